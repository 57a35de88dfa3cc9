"""Layer 6, optimisation models: the oracle's lower bound (planning comes later)."""
