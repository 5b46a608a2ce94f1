"""The pair STDP window of a single synapse, measured with ANNarchy's protocol.

ANNarchy's "STDP – single synapse" notebook drives one synapse with one presynaptic and
one postsynaptic spike per trial and records how much the weight changed. Its rule, in
ANNarchy's words, is

    pre spike:  x += A_plus·w_max;   w = clip(w − y, w_min, w_max)
    post spike: y += A_minus·w_max;  w = clip(w + x, w_min, w_max)

with τ₊ = τ₋ = 20 ms, A₊ = A₋ = 0.01, w ∈ [0, 2] and w = 1 at the start (the weight is
*not* reset between trials). Each trial lasts 105 ms: the traces are reset, the
postsynaptic neuron fires at 50 ms and the presynaptic one at ``t_pre``, for
``t_pre = 100, 99, …, 0`` ms (101 trials). The expected change is

    Δw(Δt) = +A₊·w_max·exp(−Δt/τ₊) for Δt = 50 − t_pre ≥ 0,  −A₋·w_max·exp(Δt/τ₋) otherwise.

``plastix.PairSTDP`` is the same rule once its amplitudes are ``a± = A±·w_max`` (its
traces jump by 1). Here both neurons are ``SpikeTimesInput`` sources that carry the
whole 101-trial schedule; the network runs one trial at a time and the traces are set to
zero between trials through the functional state (``net.state``), as the protocol asks.

Timing: a presynaptic spike is seen by plasticity when it *arrives* at the synapse,
one step (``dt``) after it is emitted (docs/semantics.md), so the presynaptic source
emits at ``t_pre − dt`` to make the spike arrive at ``t_pre``. At Δt = 0 (``t_pre`` = 50
ms) ANNarchy's result depends on which event it processes first; in plastix an arrival
precedes a postsynaptic spike of the same step, so Δt = 0 potentiates by ``a_plus``.

Run ``python examples/stdp_window.py --out DIR``; ``--duration`` [s] shortens the run
(fewer trials, spread over the same range of Δt). It runs in float64 (``--float32``:
JAX's default precision, within ~1e-7 of the window). Writes ``stdp_window.png`` and
``summary.json`` to DIR.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import plastix as px

TAU = 20.0  # τ₊ = τ₋ [ms]
A = 0.01  # A₊ = A₋ (in units of w_max)
W_MIN, W_MAX, W_INIT = 0.0, 2.0, 1.0
TRIAL = 105.0  # [ms]
T_POST = 50.0  # [ms] within a trial
DT = 0.1  # [ms]
FULL_TRIALS = 101


def analytic_window(lag: np.ndarray) -> np.ndarray:
    """The protocol's expected weight change for ``lag = t_post − t_pre`` [ms].

    Args:
        lag: Δt [ms]; 0 counts as pre before post (plastix's order).

    Returns:
        Δw (in the units of w), from the formula alone.
    """
    lag = np.asarray(lag, dtype=float)
    return np.where(lag >= 0, A * W_MAX * np.exp(-lag / TAU), -A * W_MAX * np.exp(lag / TAU))


def _reset_traces(state: px.core.NetworkState) -> px.core.NetworkState:
    """The network state with every projection's rule traces set to zero."""
    projections = tuple(
        p._replace(rule=jax.tree_util.tree_map(jnp.zeros_like, p.rule)) for p in state.projections
    )
    return state._replace(projections=projections)


def run_protocol(n_trials: int = FULL_TRIALS) -> dict[str, np.ndarray]:
    """Run the protocol's trials one after another on a single synapse.

    Args:
        n_trials: number of 105 ms trials (101 in the protocol); ``t_pre`` runs from
            100 to 0 ms in ``n_trials`` equal steps.

    Returns:
        ``t_pre`` [ms], ``lag`` = 50 − t_pre [ms], the measured ``dw`` and the weight
        ``w`` after each trial.
    """
    t_pre = np.linspace(100.0, 0.0, n_trials)
    starts = TRIAL * np.arange(n_trials)
    # Emitted one step early so that the spike arrives at the synapse at t_pre. The first
    # trial has t_pre = 100 ms, so no emission time is negative.
    pre_times = starts + t_pre - DT
    post_times = starts + T_POST

    net = px.Network(dt=DT, seed=0)
    pre = net.add(px.Population(px.SpikeTimesInput(pre_times, np.zeros(n_trials, int)), 1))
    post = net.add(px.Population(px.SpikeTimesInput(post_times, np.zeros(n_trials, int)), 1))
    rule = px.PairSTDP(TAU, TAU, A * W_MAX, A * W_MAX, w_min=W_MIN, w_max=W_MAX)
    syn = net.add(px.Projection(pre, post, px.all_to_all(1, 1), rule, weights=W_INIT))
    net.build()

    dw, w_after = np.zeros(n_trials), np.zeros(n_trials)
    w = W_INIT
    for trial in range(n_trials):
        net.state = _reset_traces(net.state)  # the protocol resets the traces per trial
        net.run(TRIAL, progress=False)
        w_new = float(net.weights(syn)[0, 0])
        dw[trial], w_after[trial], w = w_new - w, w_new, w_new
    return {"t_pre": t_pre, "lag": T_POST - t_pre, "dw": dw, "w": w_after}


def plot(data: dict[str, np.ndarray], path: Path) -> None:
    """Measured Δw against Δt over the analytic window, and the weight across trials."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import plastix.plot as pxplot

    fig, (ax_window, ax_w) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    # The analytic curve on a fine grid, broken at Δt = 0 where it jumps.
    side = np.linspace(0.0, 50.0, 501)
    fine = np.concatenate([-side[::-1], [np.nan], side])
    curve = np.concatenate([analytic_window(-side[::-1] - 1e-12), [np.nan], analytic_window(side)])
    pxplot.stdp_window(
        data["lag"],
        data["dw"],
        reference=(fine, curve),
        label="plastix (one trial per point)",
        reference_label="analytic: ±0.02·exp(−|Δt|/20 ms)",
        color="tab:blue",
        reference_color="0.6",
        ax=ax_window,
    )
    ax_window.set_title("Pair STDP window, ANNarchy's single-synapse protocol")
    ax_window.legend(frameon=False, loc="lower right", fontsize=9)
    trials = np.arange(data["w"].size + 1)
    ax_w.plot(trials, np.concatenate([[W_INIT], data["w"]]), color="k", marker=".", ms=3)
    ax_w.set(
        xlabel="trial (t_pre from 100 down to 0 ms)",
        ylabel="w after the trial",
        title="The weight carries over between trials",
    )
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the protocol, write the figure and ``summary.json``, and return the summary.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The summary: the number of trials, the largest deviation from the analytic
        window (absolute and relative to 0.02), Δw at Δt = 0, the final weight, wall
        time [s] and the files written.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=FULL_TRIALS * TRIAL * 1e-3,
        help="simulated time [s]; the protocol's 101 trials of 105 ms take 10.605 s, a "
        "shorter duration runs fewer trials over the same Δt range",
    )
    parser.add_argument("--out", type=Path, default=Path("plastix-out/stdp_window"))
    parser.add_argument(
        "--float32", action="store_true", help="keep JAX's default float32 (default: float64)"
    )
    args = parser.parse_args(argv)
    if not args.duration > 0:
        raise ValueError(f"--duration must be > 0 [s], got {args.duration}.")
    if not args.float32:  # exact traces: the window is then met to rounding (~1e-16)
        jax.config.update("jax_enable_x64", True)
    n_trials = int(min(FULL_TRIALS, max(2, args.duration * 1e3 // TRIAL)))

    start = time.perf_counter()
    data = run_protocol(n_trials)
    wall = time.perf_counter() - start
    expected = analytic_window(data["lag"])
    error = np.abs(data["dw"] - expected)
    at_zero = data["dw"][data["lag"] == 0.0]

    args.out.mkdir(parents=True, exist_ok=True)
    figure = args.out / "stdp_window.png"
    plot(data, figure)
    summary = {
        "n_trials": n_trials,
        "lag_ms": data["lag"].tolist(),
        "dw": data["dw"].tolist(),
        "dw_analytic": expected.tolist(),
        "max_abs_error": float(error.max()),
        "max_rel_error": float(error.max() / (A * W_MAX)),
        "dw_at_zero_lag": float(at_zero[0]) if at_zero.size else None,
        "w_final": float(data["w"][-1]),
        "float64": bool(jax.config.jax_enable_x64),
        "wall_s": wall,
        "figures": [figure.name],
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"{n_trials} trials: max |Δw − analytic| = {summary['max_abs_error']:.2e}, "
        f"Δw(0) = {summary['dw_at_zero_lag']}, final w = {summary['w_final']:.6f} "
        f"({wall:.1f} s); wrote {args.out}"
    )
    return summary


if __name__ == "__main__":
    main()
