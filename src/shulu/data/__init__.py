"""Layer 3, data: the built-in China dataset, profile synthesis, workload synthesis, importers."""
