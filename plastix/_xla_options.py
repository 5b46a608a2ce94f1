"""XLA options plastix asks for, set in ``XLA_FLAGS`` before JAX starts its backend.

On a CPU, XLA runs a compiled program as a sequence of kernels ("thunks"), and a
``lax.scan`` runs its body's sequence once per step: dispatching each kernel and setting
up each step costs ~0.1 µs, which is most of a step of a small network (Song2000: 1000
synapses, ~23 kernels a step). XLA can instead compile a *small* loop whole, as one
function, with no dispatch between its kernels; it does so for loops whose HLO cost
analysis says they touch fewer bytes per iteration than a threshold (1 kB by default)
and that hold no scatter, sort or custom call. plastix raises the threshold to
``SMALL_LOOP_BYTES``: Song2000 then runs ~1.6× faster. Results are equal up to
rounding: in one function LLVM may fuse a multiply and an add that were in two kernels
(a 1-ulp difference in float64 weights was seen between two paths; Song2000's weights
came out bit-identical for chunk sizes from 1 to 2000 steps, and the suite's
chunk-size tests pass unchanged). Loops touching more memory per step keep the
kernel sequence, so large networks keep XLA's multi-threaded kernels.

XLA reads ``XLA_FLAGS`` once, when JAX starts its backend (the first computation): the
option is added when plastix is imported, if that has not happened yet, and only if
``XLA_FLAGS`` holds no ``--xla_backend_extra_options`` of the user's own (theirs wins).
``PLASTIX_XLA_OPTIONS=0`` in the environment leaves ``XLA_FLAGS`` untouched. The option
only concerns XLA's CPU backend; other backends ignore it.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

SMALL_LOOP_OPTION = "xla_cpu_small_while_loop_byte_threshold"
SMALL_LOOP_BYTES = 1_000_000
"""Loops touching less than this (bytes per iteration, XLA's estimate) compile whole:
Song2000's step touches ~20–50 kB; 1 MB is ~0.1 ms of memory traffic a step, against
which per-kernel dispatch (~µs a step) no longer matters."""


def small_loop_flag(bytes_per_iteration: int = SMALL_LOOP_BYTES) -> str:
    """The ``XLA_FLAGS`` entry that compiles loops under ``bytes_per_iteration`` whole."""
    if bytes_per_iteration < 0:
        raise ValueError(
            f"small_loop_flag: bytes_per_iteration must be >= 0, got {bytes_per_iteration}."
        )
    return f"--xla_backend_extra_options={SMALL_LOOP_OPTION}={int(bytes_per_iteration)}"


def request_small_loops(environ: MutableMapping[str, str] | None = None) -> bool:
    """Add ``small_loop_flag()`` to ``environ["XLA_FLAGS"]`` (default ``os.environ``).

    Returns whether it was added: not when ``PLASTIX_XLA_OPTIONS`` is ``"0"``, nor when
    ``XLA_FLAGS`` already sets ``--xla_backend_extra_options`` (the user's choice wins;
    XLA keeps only one such flag). Adding it after JAX has started its backend has no
    effect (XLA has read ``XLA_FLAGS`` then); plastix calls this on import.
    """
    env = os.environ if environ is None else environ
    if env.get("PLASTIX_XLA_OPTIONS", "1").strip() == "0":
        return False
    flags = env.get("XLA_FLAGS", "")
    if "--xla_backend_extra_options" in flags:
        return False
    env["XLA_FLAGS"] = f"{flags} {small_loop_flag()}".strip()
    return True
