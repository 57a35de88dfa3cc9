"""Layer 6, optimisation models: the oracle's lower bound and flow network, and Benders decomposition of block LPs."""
