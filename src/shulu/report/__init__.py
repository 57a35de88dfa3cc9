"""Layer 8, reports: figures of results and comparisons, and the standalone HTML report."""
