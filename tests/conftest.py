"""Shared test set-up: float64 everywhere (precision matters for reference equality)."""

import jax

jax.config.update("jax_enable_x64", True)
