"""Layer 7, carbon accounts: per-job attribution, the hash-chained ledger, tenant accounts, reporting standards."""
