"""Layer 5, the digital twin: policy interface, job engine, power balance, battery dispatch, results."""
