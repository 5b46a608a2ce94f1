"""Shared test set-up: float64 everywhere (precision matters for reference equality),
and compiled code released after each test module."""

import jax
import pytest

jax.config.update("jax_enable_x64", True)


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_code():
    """Drop JAX's compilation caches after each module. Every compiled executable keeps
    a few memory mappings of JIT code; the suite compiles thousands, and one process
    that keeps them all reaches the kernel's limit on mappings (``vm.max_map_count``,
    65 530 by default), after which a compilation fails and the process crashes
    unwinding the error."""
    yield
    jax.clear_caches()
