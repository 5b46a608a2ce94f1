"""Independent NumPy float64 reference simulator, written from ``docs/semantics.md`` only."""
