"""Shared, dependency-free helpers for the peer benchmark scripts.

Every peer script runs inside its own virtualenv, so this module uses only the
standard library (and numpy, which every peer pulls in). The model parameters below
are transcribed from benchmarks/WORKLOADS.md; all values in ms, mV, Hz.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import sys

DT_MS = 0.1

# W1 / W2: Song, Miller & Abbott (2000)
W1 = dict(
    n_in=1000,
    rate_hz=15.0,
    tau_m=10.0,
    E_e=0.0,
    E_l=-74.0,
    v_t=-54.0,
    v_r=-60.0,
    tau_e=5.0,
    tau_pre=20.0,
    tau_post=20.0,
    g_max=0.01,
)

# W3: plastic balanced CUBA network
W3 = dict(
    n_e=8000,
    n_i=2000,
    p=0.1,
    delay_ms=1.5,
    tau_m=20.0,
    tau_e=5.0,
    tau_i=10.0,
    E_l=-49.0,
    v_t=-50.0,
    v_r=-60.0,
    t_ref=5.0,
    w_e=0.162,
    w_i=-0.9,
    tau_pre=20.0,
    tau_post=20.0,
)
W3["w_max"] = 2 * W3["w_e"]
W3["a_plus"] = 0.01 * W3["w_max"]
W3["a_minus"] = 1.05 * W3["a_plus"]

WORKLOADS = ("w1", "w2", "w3", "w3_control")
DELAYS = ("none", "2ms", "random")
RANDOM_DELAY_STEPS = (1, 50)  # uniform on the steps of [0.1, 5] ms at dt = 0.1 ms


def parse_args(description: str) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--workload", choices=WORKLOADS, required=True)
    p.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--synapses", type=float, default=1e4, help="W2 only: S (e.g. 1e5)")
    p.add_argument("--delay", choices=DELAYS, default="none", help="W2 only")
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args()


def w2_sizes(S: float) -> dict:
    """N_in, N_out and g_max of W2 for a target synapse count S."""
    n_in = int(round(math.sqrt(1000.0 * S)))
    n_out = max(1, int(round(n_in / 1000.0)))
    g_max = 0.01 * 1000.0 / n_in
    return dict(n_in=n_in, n_out=n_out, g_max=g_max, n_synapses=n_in * n_out)


def ff_params(args) -> dict:
    """Feed-forward parameters for W1 (fixed size, delay 0) or W2 (scaled)."""
    p = dict(W1)
    if args.workload == "w1":
        p.update(n_out=1, delay="none", n_synapses=p["n_in"])
    else:
        sz = w2_sizes(args.synapses)
        p.update(sz, delay=args.delay, S=args.synapses)
    p["dA_pre"] = 0.01 * p["g_max"]
    p["dA_post"] = -1.05 * p["dA_pre"]
    return p


def weight_checks(w, g_max: float, duration_s: float, workload: str) -> dict:
    """Weight outcome checks for W1/W2: extreme-bin shares and bounds."""
    import numpy as np

    w = np.asarray(w, dtype=np.float64)
    lo = float(np.mean(w <= 0.1 * g_max))
    hi = float(np.mean(w >= 0.9 * g_max))
    out = dict(
        w_mean_over_gmax=float(w.mean() / g_max),
        w_min=float(w.min()),
        w_max=float(w.max()),
        weights_in_bounds=bool(np.all(w >= 0.0) and np.all(w <= g_max * (1 + 1e-6))),
        frac_bottom_tenth=lo,
        frac_top_tenth=hi,
        frac_extreme_bins=lo + hi,
    )
    if workload == "w1":
        # WORKLOADS.md: only meaningful for runs >= 50 s
        out["extreme_bins_applicable"] = bool(duration_s >= 50.0)
        # read as: bottom + top tenth together hold >= 35 % of the weights
        out["extreme_bins_ok"] = bool(lo + hi >= 0.35) if duration_s >= 50.0 else None
    return out


def rate_checks(spike_times_s, n_neurons: int, duration_s: float) -> dict:
    """Mean rate over the run plus the first and last simulated second."""
    import numpy as np

    t = np.asarray(spike_times_s, dtype=np.float64)
    out = dict(rate_hz=float(t.size / (n_neurons * duration_s)))
    win = min(1.0, duration_s)
    out["rate_first_s_hz"] = float(np.sum(t < win) / (n_neurons * win))
    out["rate_last_s_hz"] = float(np.sum(t >= duration_s - win) / (n_neurons * win))
    return out


def w3_weight_checks(w, count_key: str = "n_ee") -> dict:
    """Mean, min and max of the E→E weights [mV] and how many were read."""
    import numpy as np

    w = np.asarray(w, dtype=np.float64)
    return {
        "w_ee_mean_mv": float(w.mean()),
        "w_ee_min_mv": float(w.min()),
        "w_ee_max_mv": float(w.max()),
        count_key: int(w.size),
    }


def w3_rate_checks(t_e_s, t_i_s, duration_s: float) -> dict:
    """Mean E and I rates over the run, and over its second half (past the onset
    transient: v(0) lies below E_l = -49 > v_t, so every neuron fires once early on)."""
    import numpy as np

    t_e, t_i = np.asarray(t_e_s, dtype=np.float64), np.asarray(t_i_s, dtype=np.float64)
    n_e, n_i, half = W3["n_e"], W3["n_i"], duration_s / 2.0
    c = dict(
        rate_e_hz=float(t_e.size / (n_e * duration_s)),
        rate_i_hz=float(t_i.size / (n_i * duration_s)),
        rate_e_2nd_half_hz=float(np.sum(t_e >= half) / (n_e * half)),
        rate_i_2nd_half_hz=float(np.sum(t_i >= half) / (n_i * half)),
    )
    c["rates_in_1_100_hz"] = bool(1 <= c["rate_e_hz"] <= 100 and 1 <= c["rate_i_hz"] <= 100)
    return c


def peak_rss_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: KiB


def prepend_venv_to_path() -> None:
    """Put this interpreter's bin dir first on PATH (peers that compile code call the
    `python`/`python3` they find on PATH and must get the venv's)."""
    bindir = os.path.dirname(os.path.abspath(sys.executable))
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("VIRTUAL_ENV", os.path.dirname(bindir))


@contextlib.contextmanager
def stdout_to_stderr():
    """Send everything written to fd 1 (also by compilers and C++ code) to stderr, so
    that the JSON result is the only thing on stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _jsonable(o):
    """json fallback for numpy scalars/arrays."""
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    return str(o)


def emit(
    system: str,
    version: str,
    args,
    params: dict,
    n_synapses: int,
    build_s: float,
    run_s: float,
    checks: dict,
    extra: dict | None = None,
) -> None:
    rec = dict(
        system=system,
        version=version,
        workload=args.workload,
        params=params,
        n_synapses=int(n_synapses),
        build_s=float(build_s),
        run_s=float(run_s),
        sim_s=float(args.duration),
        checks=checks,
    )
    if extra:
        rec["extra"] = extra
    sys.stdout.write(json.dumps(rec, default=_jsonable) + "\n")
    sys.stdout.flush()
