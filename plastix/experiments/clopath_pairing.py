"""Clopath et al. (2010): the frequency dependence of spike-pair plasticity.

NEST's ``pynest/examples/clopath_synapse_spike_pairing.py`` (VALIDATION §6): one
``aeif_psc_delta_clopath`` neuron receives one Clopath synapse (w₀ = 0.5) from a
presynaptic spike train, and its own spikes are forced by 80 mV delta kicks. Five
post-pre pairs (post 10 ms before pre) or six pre-post pairs (pre 10 ms before post),
repeated at 10–50 Hz; the readout is NEST's normalised weight ``100 + 1500·(w − w₀)/w₀``
just after the last presynaptic spike (NEST's example and test scale the change by 15).
Depression dominates the post-pre pairs at low rates and potentiation takes over at
high rates, where each post spike is also followed by a pre spike within 10 ms.

The ten conditions run side by side in one network (ten independent pre/post pairs with
``one_to_one`` projections). NEST's timing is reproduced exactly: its spike generators
emit at step ``t/dt − 1`` (we give our source ``t − dt``), its parrot neuron relays the
presynaptic train one step later (our source at ``t``), every connection has a 0.1 ms
delay, and NEST's synapse sees the postsynaptic history with that delay as a dendritic
delay (``Clopath(dendritic_delay=0.2)``, twice the axonal delay of our projection).

References:
    Clopath, Büsing, Vasilaki & Gerstner (2010), Nat. Neurosci. 13:344–352, Fig. 2b.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import connectivity
from ..inputs import SpikeTimesInput
from ..network import Monitor, Network, Population, Projection
from ..neurons import AdExClopath
from ..rules import Clopath
from ._registry import Experiment, register, save_results

FREQUENCIES = (10.0, 20.0, 30.0, 40.0, 50.0)
"""Pairing frequencies [Hz]."""

PRE_TIMES = (
    # post-pre pairs: the presynaptic spike 10 ms after the postsynaptic one
    (20.0, 120.0, 220.0, 320.0, 420.0),
    (20.0, 70.0, 120.0, 170.0, 220.0),
    (20.0, 53.3, 86.7, 120.0, 153.3),
    (20.0, 45.0, 70.0, 95.0, 120.0),
    (20.0, 40.0, 60.0, 80.0, 100.0),
    # pre-post pairs: the presynaptic spike 10 ms before the postsynaptic one
    (120.0, 220.0, 320.0, 420.0, 520.0, 620.0),
    (70.0, 120.0, 170.0, 220.0, 270.0, 320.0),
    (53.3, 86.6, 120.0, 153.3, 186.6, 220.0),
    (45.0, 70.0, 95.0, 120.0, 145.0, 170.0),
    (40.0, 60.0, 80.0, 100.0, 120.0, 140.0),
)
"""Presynaptic spike times [ms] of NEST's example (its comments swap the two halves)."""

POST_TIMES = (
    (10.0, 110.0, 210.0, 310.0, 410.0),
    (10.0, 60.0, 110.0, 160.0, 210.0),
    (10.0, 43.3, 76.7, 110.0, 143.3),
    (10.0, 35.0, 60.0, 85.0, 110.0),
    (10.0, 30.0, 50.0, 70.0, 90.0),
    (130.0, 230.0, 330.0, 430.0, 530.0, 630.0),
    (80.0, 130.0, 180.0, 230.0, 280.0, 330.0),
    (63.3, 96.6, 130.0, 163.3, 196.6, 230.0),
    (55.0, 80.0, 105.0, 130.0, 155.0, 180.0),
    (50.0, 70.0, 90.0, 110.0, 130.0, 150.0),
)
"""Times [ms] of the kicks that force the postsynaptic spikes (NEST's spike generator)."""

NEST_POST_PRE = (57.83, 57.43, 72.17, 103.87, 149.43)
"""NEST's normalised weights after the post-pre pairs, 10 → 50 Hz."""
NEST_PRE_POST = (103.30, 112.54, 124.04, 138.95, 157.03)
"""NEST's normalised weights after the pre-post pairs, 10 → 50 Hz."""


@dataclass(frozen=True)
class ClopathPairingConfig:
    """Parameters of NEST's spike-pairing example (units in brackets)."""

    dt: float = 0.1  # [ms]
    w0: float = 0.5  # initial weight [mV]
    kick: float = 80.0  # [mV] delta kick that forces a postsynaptic spike
    delay: float = 0.1  # [ms] every connection's delay in NEST's example
    e_l: float = -70.6  # [mV]
    c_m: float = 281.0  # [pF]
    a: float = 4.0  # [nS]
    b: float = 0.0805  # [pA]
    v_reset: float = -70.6 + 21.0  # [mV]
    v_clamp: float = 33.0  # [mV]
    t_clamp: float = 2.0  # [ms]
    tau_u_bar_plus: float = 7.0  # [ms]
    tau_u_bar_minus: float = 10.0  # [ms]
    theta_minus: float = -70.6  # [mV]
    theta_plus: float = -45.3  # [mV]
    a_ltd: float = 14e-5  # [1/mV]
    a_ltp: float = 8e-5  # [1/mV²]
    delay_u_bars: float = 4.0  # [ms]
    tau_x: float = 15.0  # [ms]
    w_max: float = 100.0
    substeps: int = 1  # RK4 substeps of the neuron per step
    format: str = "csr"  # or "coo" (a weight Monitor does not yet work on a masked Dense)


def normalised(w: np.ndarray, w0: float) -> np.ndarray:
    """NEST's readout ``100 + 1500·(w − w0)/w0`` (100: no change)."""
    return 100.0 + 1500.0 * (np.asarray(w) - w0) / w0


def run(config: ClopathPairingConfig = ClopathPairingConfig()) -> tuple[dict, dict]:
    """Simulate the ten conditions in one network; returns the summary and the data
    (weight traces of every pair and the postsynaptic spike times)."""
    c = config
    n = len(PRE_TIMES)
    net = Network(dt=c.dt)

    def source(trains: tuple, shift: float) -> SpikeTimesInput:
        times = np.concatenate([np.asarray(t) + shift for t in trains])
        units = np.concatenate([np.full(len(t), i) for i, t in enumerate(trains)])
        return SpikeTimesInput(times, units)

    # A NEST spike generator at t emits in step t/dt − 1; the parrot relays it at t/dt.
    pre = net.add(Population(source(PRE_TIMES, 0.0), n, name="pre"))
    kicks = net.add(Population(source(POST_TIMES, -c.dt), n, name="kicks"))
    neuron = AdExClopath(
        c_m=c.c_m, e_l=c.e_l, a=c.a, b=c.b, v_reset=c.v_reset, v_clamp=c.v_clamp,
        t_clamp=c.t_clamp, tau_u_bar_plus=c.tau_u_bar_plus,
        tau_u_bar_minus=c.tau_u_bar_minus, substeps=c.substeps,
    )  # fmt: skip
    post = net.add(Population(neuron, n, name="post"))
    rule = Clopath(
        a_ltd=c.a_ltd, a_ltp=c.a_ltp, theta_minus=c.theta_minus, theta_plus=c.theta_plus,
        tau_x=c.tau_x, w_max=c.w_max, delay_u_bars=c.delay_u_bars,
        dendritic_delay=2 * c.delay, dt=c.dt,
    )  # fmt: skip
    net.add(
        Projection(kicks, post, connectivity.one_to_one(n, format=c.format), weights=c.kick,
                   delay=c.delay)
    )  # fmt: skip
    synapses = net.add(
        Projection(pre, post, connectivity.one_to_one(n, format=c.format), rule, weights=c.w0,
                   delay=c.delay, name="clopath")
    )  # fmt: skip
    weights = net.add(Monitor(synapses, "w"))
    spikes = net.add(Monitor(post))
    duration = 10.0 + max(max(p[-1], q[-1]) for p, q in zip(PRE_TIMES, POST_TIMES, strict=True))
    start = time.perf_counter()
    net.run(duration, progress=False)
    wall = time.perf_counter() - start
    # NEST records the weight when the last presynaptic spike has been processed: in
    # plastix, at the end of the step in which it arrives.
    pre_idx, post_idx = synapses.connectivity.canonical_indices()
    trace = weights.values[:, np.argsort(pre_idx)]
    delay_steps = round(c.delay / c.dt)
    last = [round(times[-1] / c.dt) + delay_steps for times in PRE_TIMES]
    final = np.array([trace[step, i] for i, step in enumerate(last)])
    values = normalised(final, c.w0)
    ours_post_pre, ours_pre_post = values[:5], values[5:]
    errors = np.abs(values - np.array(NEST_POST_PRE + NEST_PRE_POST))
    n_spikes = [int(np.sum(spikes.i == i)) for i in range(n)]
    summary = {
        "experiment": "clopath_pairing",
        "frequencies_hz": list(FREQUENCIES),
        "post_pre": [float(v) for v in ours_post_pre],
        "pre_post": [float(v) for v in ours_pre_post],
        "nest_post_pre": list(NEST_POST_PRE),
        "nest_pre_post": list(NEST_PRE_POST),
        "max_abs_difference_from_nest": float(errors.max()),
        "post_spikes_per_condition": n_spikes,
        "kicks_per_condition": [len(t) for t in POST_TIMES],
        "readout": "100 + 1500 (w - w0)/w0 just after the last presynaptic spike (NEST)",
        "wall_s": wall,
        "config": asdict(c),
    }
    data = {
        "t": weights.t,
        "w": trace,
        "readout_steps": np.array(last),
        "spike_t": spikes.t,
        "spike_i": spikes.i,
    }
    return summary, data


def plot(summary: dict, data: dict, path: Path) -> None:
    """Normalised weight against pairing frequency (ours and NEST's), and the weights."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plot as pxplot

    f = summary["frequencies_hz"]
    fig, (ax, ax_w, ax_s) = plt.subplots(
        1, 3, figsize=(16, 4.2), layout="constrained", gridspec_kw={"width_ratios": [1, 1, 0.8]}
    )
    for key, color, label in (
        ("pre_post", "tab:blue", "pre-post (+10 ms)"),
        ("post_pre", "tab:green", "post-pre (−10 ms)"),
    ):
        ax.plot(f, summary[key], "o-", color=color, lw=2, label=f"plastix {label}")
        ax.plot(f, summary[f"nest_{key}"], "x--", color="k", ms=8, lw=1)
    ax.plot([], [], "x--", color="k", label="NEST (reference)")
    ax.axhline(100.0, color="gray", lw=0.8, ls=":")
    ax.set(xlabel="pairing frequency [Hz]", ylabel="normalised weight [%]",
           title="Clopath rule: spike pairing", xticks=f)  # fmt: skip
    ax.legend()
    w0 = summary["config"]["w0"]
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(FREQUENCIES)))
    for i in range(2 * len(FREQUENCIES)):
        style = "--" if i < len(FREQUENCIES) else "-"
        color = colors[i % len(FREQUENCIES)]
        end = data["readout_steps"][i] + 1  # (the potentiation after it is not read out)
        weight = normalised(data["w"][:end, i], w0)
        ax_w.plot(data["t"][:end], weight, style, color=color, lw=1.2)
        ax_w.plot(data["t"][end - 1], weight[-1], "o", color=color, ms=4)
    ax_w.axhline(100.0, color="gray", lw=0.8, ls=":")
    ax_w.set(
        xlabel="time [ms]",
        ylabel="normalised weight [%]",
        title="weights until the readout (dot)",
    )
    ax_w.plot([], [], "-", color="gray", label="pre-post")
    ax_w.plot([], [], "--", color="gray", label="post-pre")
    ax_w.legend(title="10 → 50 Hz: dark → light", loc="upper right")
    pre_t = np.concatenate(PRE_TIMES)
    pre_i = np.concatenate([np.full(len(times), i) for i, times in enumerate(PRE_TIMES)])
    pxplot.raster(pre_t, pre_i, marker="|", marker_size=60.0, color="tab:blue", ax=ax_s)
    pxplot.raster(data["spike_t"], data["spike_i"], marker="|", marker_size=60.0, ax=ax_s)
    conditions = [f"{name} {rate:g} Hz" for name in ("post-pre", "pre-post") for rate in f]
    ax_s.set_yticks(range(len(conditions)), conditions, fontsize=8)
    ax_s.set(ylabel="", title="spikes: pre (blue), post (black)")
    fig.suptitle(
        f"NEST's clopath_synapse_spike_pairing: max |plastix − NEST| = "
        f"{summary['max_abs_difference_from_nest']:.3f}"
    )
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("csr", "coo"), default="csr")
    parser.add_argument("--substeps", type=int, default=1, help="RK4 substeps per step")
    parser.add_argument("--out", type=Path, default=Path("plastix-out/clopath_pairing"))


def _main(args: argparse.Namespace) -> dict:
    if args.substeps < 1:
        raise ValueError(f"--substeps must be >= 1, got {args.substeps}.")
    summary, data = run(ClopathPairingConfig(format=args.format, substeps=args.substeps))
    save_results(args, summary, data)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(summary, data, args.out / "clopath_pairing.png")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


EXPERIMENT = register(
    Experiment(
        name="clopath_pairing",
        description="Clopath et al. (2010) voltage-based STDP: NEST's spike-pairing curves",
        add_arguments=_add_arguments,
        main=_main,
    )
)
