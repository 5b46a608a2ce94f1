"""Vogels et al. (2011): inhibitory plasticity balances excitation and inhibition.

A recurrent network of 8000 excitatory and 2000 inhibitory conductance-based LIF
neurons (connection probability 0.02) starts unbalanced: the inhibitory→excitatory
synapses are nearly zero and the excitatory neurons fire at > 100 Hz. After the first
second the inhibitory synapses onto excitatory neurons learn with the symmetric
inhibitory STDP rule (target rate ρ₀ = 3 Hz) and bring the network into an asynchronous
irregular state at a low rate. The set-up is Brian2's ``frompapers/Vogels_et_al_2011.py``
(VALIDATION §7); :func:`single_neuron` is the paper's single-cell set-up (Fig. 1).

Conductances are in units of the leak conductance (10 nS); the 200 pA background current
of the original is folded into the leak reversal: −60 mV + 200 pA / 10 nS = −40 mV.

References:
    Vogels, Sprekeler, Zenke, Clopath & Gerstner (2011), Science 334:1569–1573.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import connectivity
from ..inputs import PoissonInput
from ..network import Monitor, Network, Population, Projection
from ..neurons import LIFCond
from ..rules import InhibitorySTDP
from ._registry import Experiment, register, save_results

G_LEAK = 10.0  # [nS]: conductances below are divided by it


@dataclass(frozen=True)
class Vogels2011Config:
    """Parameters of the network experiment (Brian2's example; units in brackets)."""

    n_exc: int = 8000
    n_inh: int = 2000
    p: float = 0.02
    duration: float = 10_000.0  # [ms]
    plastic_after: float = 1000.0  # [ms] the first second runs without plasticity
    dt: float = 0.1  # [ms]
    tau_m: float = 20.0  # [ms] 200 pF / 10 nS
    e_leak: float = -40.0  # [mV] −60 mV rest + 200 pA background / 10 nS
    v_th: float = -50.0  # [mV]
    v_reset: float = -60.0  # [mV]
    v_init: float = 0.0  # [mV] Brian2's default initial value
    e_exc: float = 0.0  # [mV]
    e_inh: float = -80.0  # [mV]
    tau_exc: float = 5.0  # [ms]
    tau_inh: float = 10.0  # [ms]
    t_ref: float = 5.0  # [ms]
    g_exc: float = 0.3  # [nS] E→E and E→I
    g_inh_inh: float = 3.0  # [nS] I→I
    g_inh_exc_init: float = 1e-10  # [nS] I→E before learning
    g_inh_exc_max: float = 100.0  # [nS]
    eta: float = 1e-2  # [nS]
    rho0: float = 3.0  # [Hz]
    tau_stdp: float = 20.0  # [ms]
    seed: int = 1
    format: str = "csr"
    capacity_exc: int = 128  # event buffers (spikes per step); a fuller step falls back
    capacity_inh: int = 64  # to the all-synapse path
    chunk_size: int = 10_000  # [steps]
    devices: int | None = None  # run across this many devices (None: one)


def build(config: Vogels2011Config) -> tuple[Network, dict]:
    """The network, its plastic projection and monitors."""
    c = config
    net = Network(dt=c.dt, seed=c.seed)
    neuron = LIFCond(
        tau_m=c.tau_m,
        e_leak=c.e_leak,
        v_th=c.v_th,
        v_reset=c.v_reset,
        e_exc=c.e_exc,
        e_inh=c.e_inh,
        tau_exc=c.tau_exc,
        tau_inh=c.tau_inh,
        t_ref=c.t_ref,
        v_init=c.v_init,
    )
    exc = net.add(Population(neuron, c.n_exc, name="exc"))
    inh = net.add(Population(neuron, c.n_inh, name="inh"))

    def conn(n_pre: int, n_post: int, stream: int) -> connectivity.AbstractConnectivity:
        return connectivity.pairwise_bernoulli(
            n_pre, n_post, c.p, seed=c.seed * 10 + stream, format=c.format
        )

    def events(capacity: int) -> dict:
        return {"capacity": capacity, "on_overflow": "dense"}

    for target, n, stream in ((exc, c.n_exc, 0), (inh, c.n_inh, 1)):
        net.add(
            Projection(
                exc, target, conn(c.n_exc, n, stream), weights=c.g_exc / G_LEAK,
                **events(c.capacity_exc),
            )
        )  # fmt: skip
    net.add(
        Projection(
            inh, inh, conn(c.n_inh, c.n_inh, 2), weights=c.g_inh_inh / G_LEAK, receptor="inh",
            **events(c.capacity_inh),
        )
    )  # fmt: skip
    rule = InhibitorySTDP(
        tau=c.tau_stdp, eta=0.0, rho0=c.rho0, w_min=0.0, w_max=c.g_inh_exc_max / G_LEAK
    )
    plastic = net.add(
        Projection(
            inh, exc, conn(c.n_inh, c.n_exc, 3), rule, weights=c.g_inh_exc_init / G_LEAK,
            receptor="inh", capacity=(c.capacity_inh, c.capacity_exc), on_overflow="dense",
            name="inh->exc",
        )
    )  # fmt: skip
    monitors = {"exc": net.add(Monitor(exc)), "inh": net.add(Monitor(inh))}
    return net, {"plastic": plastic, **monitors}


def _rate(times: np.ndarray, n: int, start: float, stop: float) -> float:
    """Mean rate [Hz] of ``n`` neurons in [start, stop) ms."""
    count = np.count_nonzero((times >= start) & (times < stop))
    return count / n / ((stop - start) * 1e-3)


def mean_cv(times: np.ndarray, units: np.ndarray, start: float, stop: float) -> float:
    """Mean coefficient of variation of the ISIs in [start, stop) of the neurons with ≥ 3
    ISIs there (NaN if none)."""
    keep = (times >= start) & (times < stop)
    t, i = times[keep], units[keep]
    order = np.lexsort((t, i))
    t, i = t[order], i[order]
    cvs = []
    for unit in np.unique(i):
        isi = np.diff(t[i == unit])
        if isi.size >= 3:
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def run(config: Vogels2011Config, progress: bool = True) -> tuple[dict, dict]:
    """Run the network; returns the summary and the recorded data."""
    c = config
    net, mon = build(c)
    start = time.perf_counter()
    first = min(c.plastic_after, c.duration)
    net.run(first, chunk_size=c.chunk_size, progress=progress, devices=c.devices)
    if c.duration > first:
        net.set_param(mon["plastic"], "eta", c.eta / G_LEAK)  # no recompilation
        net.run(c.duration - first, chunk_size=c.chunk_size, progress=progress,
                devices=c.devices)  # fmt: skip
    wall = time.perf_counter() - start
    pre, post = mon["plastic"].connectivity.canonical_indices()
    w = net.weights(mon["plastic"])[pre, post] * G_LEAK
    e_t, e_i, i_t = mon["exc"].t, mon["exc"].i, mon["inh"].t
    end = c.duration
    window = min(2000.0, end)
    summary = {
        "experiment": "vogels2011",
        "exc_rate_first_second_hz": _rate(e_t, c.n_exc, 0.0, min(1000.0, end)),
        "exc_rate_last_second_hz": _rate(e_t, c.n_exc, end - min(1000.0, end), end),
        "inh_rate_last_second_hz": _rate(i_t, c.n_inh, end - min(1000.0, end), end),
        "exc_cv_isi_last_2s": mean_cv(e_t, e_i, end - window, end),
        # the long-run criteria (VALIDATION §7, ≥ 200 s): windows shrink on shorter runs
        "exc_rate_last_20s_hz": _rate(e_t, c.n_exc, end - min(20_000.0, end), end),
        "exc_cv_isi_last_5s": mean_cv(e_t, e_i, end - min(5000.0, end), end),
        "mean_inh_exc_weight_ns": float(np.mean(w)),
        "n_plastic_synapses": int(w.size),
        "duration_s": c.duration * 1e-3,
        "wall_s": wall,
        "seconds_per_simulated_second": wall / (c.duration * 1e-3),
        "config": asdict(c),
    }
    data = {"exc_t": e_t, "exc_i": e_i, "inh_t": i_t, "weights_ns": w}
    return summary, data


def plot(config: Vogels2011Config, data: dict, summary: dict, path: Path) -> None:
    """Rasters before and after learning, population rates, final inhibitory weights."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plot as pxplot

    c = config
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), layout="constrained")
    for ax, (lo, hi), title in (
        (axes[0, 0], (max(0.0, min(c.plastic_after, c.duration) - 200.0),
                      min(c.plastic_after, c.duration)), "before learning"),
        (axes[0, 1], (max(0.0, c.duration - 200.0), c.duration), "after learning"),
    ):  # fmt: skip
        pxplot.raster(data["exc_t"], data["exc_i"], t_range=(lo, hi), max_units=min(500, c.n_exc),
                      marker_size=1.0, ax=ax)  # fmt: skip
        ax.set(ylabel="excitatory neuron", title=f"{title} (first {min(500, c.n_exc)} neurons)")
    ax = axes[1, 0]
    for key, n, color, label in (
        ("exc_t", c.n_exc, "tab:red", "excitatory"),
        ("inh_t", c.n_inh, "tab:blue", "inhibitory"),
    ):
        pxplot.population_rate(data[key], n, bin_width=50.0, t_range=(0.0, c.duration),
                               time_unit="s", ax=ax, color=color, label=label)  # fmt: skip
    ax.axvline(c.plastic_after * 1e-3, color="gray", ls="--", lw=1)
    ax.set(yscale="log", title="population rates (plastic from the dashed line on)")
    ax.legend()
    ax = pxplot.weight_histogram(data["weights_ns"], bins=50, unit="nS", ax=axes[1, 1])
    ax.set(title="inhibitory→excitatory weights at the end")
    fig.suptitle(
        f"Vogels et al. (2011): E rate {summary['exc_rate_last_second_hz']:.1f} Hz, "
        f"CV {summary['exc_cv_isi_last_2s']:.2f} at the end"
    )
    fig.savefig(path, dpi=120)
    plt.close(fig)


def single_neuron(
    seed: int = 1, eta: float = 0.005, rho0: float = 5.0, duration: float = 200_000.0
) -> dict:
    """The paper's single cell (VALIDATION §7): 800 excitatory Poisson inputs at 10 Hz
    (static, 0.14 nS) and 200 inhibitory ones at 10 Hz (plastic from 0.05 nS, ``eta`` [nS])
    onto one conductance LIF. Returns the output rate over the first 2 s and the last
    40 s [Hz] and the final mean inhibitory weight [nS]."""
    net = Network(dt=0.1, seed=seed)
    neuron = LIFCond(
        tau_m=20.0, e_leak=-60.0, v_th=-50.0, v_reset=-60.0, e_exc=0.0, e_inh=-80.0,
        tau_exc=5.0, tau_inh=10.0, t_ref=5.0,
    )  # fmt: skip
    exc = net.add(Population(PoissonInput(10.0), 800))
    inh = net.add(Population(PoissonInput(10.0), 200))
    out = net.add(Population(neuron, 1))
    net.add(Projection(exc, out, connectivity.all_to_all(800, 1), weights=0.14 / G_LEAK))
    rule = InhibitorySTDP(tau=20.0, eta=eta / G_LEAK, rho0=rho0)
    plastic = net.add(
        Projection(
            inh, out, connectivity.all_to_all(200, 1), rule, weights=0.05 / G_LEAK,
            receptor="inh", capacity=(16, None),
        )
    )  # fmt: skip
    spikes = net.add(Monitor(out))
    net.run(duration, progress=False)
    last = min(40_000.0, duration)
    return {
        "rate_first_2s_hz": _rate(spikes.t, 1, 0.0, min(2000.0, duration)),
        "rate_last_40s_hz": _rate(spikes.t, 1, duration - last, duration),
        "mean_inh_weight_ns": float(np.mean(net.weights(plastic)) * G_LEAK),
    }


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=10.0, help="simulated time [s]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n-exc", type=int, default=8000, help="excitatory neurons (I: 1/4)")
    parser.add_argument("--format", choices=("dense", "csr", "coo"), default="csr")
    parser.add_argument("--out", type=Path, default=Path("plastix-out/vogels2011"))
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _main(args: argparse.Namespace) -> dict:
    if not args.duration > 0:
        raise ValueError(f"--duration must be > 0 [s], got {args.duration}.")
    if args.n_exc < 4:
        raise ValueError(f"--n-exc must be >= 4, got {args.n_exc}.")
    config = Vogels2011Config(
        duration=args.duration * 1000.0,
        seed=args.seed,
        n_exc=args.n_exc,
        n_inh=args.n_exc // 4,
        format=args.format,
        devices=getattr(args, "devices", None),
    )
    summary, data = run(config, progress=not args.no_progress)
    save_results(args, summary, data)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(config, data, summary, args.out / "vogels2011.png")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


EXPERIMENT = register(
    Experiment(
        name="vogels2011",
        description="Vogels et al. (2011) inhibitory STDP balancing an 8000 E / 2000 I network",
        add_arguments=_add_arguments,
        main=_main,
        devices=True,
    )
)
