"""Graupner & Brunel (2012): STDP and its frequency dependence from a calcium-based rule.

Every synapse sees a presynaptic and a postsynaptic spike train; the calcium they evoke
drives the bistable efficacy ρ of :class:`~plastix.rules.GraupnerBrunel` (with its noise)
up or down. As in the paper, a synapse is UP at the end when ρ > ρ*; ``repetitions``
synapses start DOWN and as many start UP for every protocol, giving the transition
probabilities U (UP → DOWN) and D_t (DOWN → UP), and the strength after/before a protocol
is ``[(β(1 − U) + (1 − β)D_t)·b + βU + (1 − β)(1 − D_t)] / (β·b + 1 − β)`` with β the
fraction of synapses UP before and b the UP/DOWN strength ratio.

Two protocols: the STDP curve of the "DP" parameter set (60 pairs at 1 Hz, Δt =
t_post − t_pre) and the frequency dependence of the "cortical_slices" set (Sjöström et
al.'s protocol: 15 trains of 5 pairs, trains every 10 s, Δt = ±10 ms). All the synapses
of a protocol connect one presynaptic and one postsynaptic spike source (multapses), so
one network simulates every protocol and repetition at once. The analytic curve is the
paper's time-above-threshold solution: the times the noise-free calcium spends above
θ_d and θ_p (from its exact threshold crossings) make ρ an Ornstein–Uhlenbeck process
(cubic term neglected), whose Gaussian gives U and D_t. Runs in float64.

References:
    Graupner & Brunel (2012), PNAS 109:3991–3996.
    Sjöström, Turrigiano & Nelson (2001), Neuron 32:1149–1164.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import jax
import numpy as np

from ..connectivity import from_indices
from ..inputs import SpikeTimesInput
from ..network import Network, Population, Projection
from ..rules.calcium import GRAUPNER_BRUNEL_PRESETS, GraupnerBrunel
from ._registry import Experiment, register, save_results

START = 200.0  # [ms] first pair (room for the earliest post spike at Δt = −100 ms)


@dataclass(frozen=True)
class GraupnerBrunelConfig:
    """The two protocols and the simulation (units in brackets)."""

    repetitions: int = 200  # synapses per protocol and initial state (DOWN, UP)
    seed: int = 1
    lags: tuple[float, ...] = (
        -80.0, -60.0, -40.0, -30.0, -24.0, -20.0, -15.0, -10.0, -5.0,
        0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 60.0, 80.0,
    )  # [ms]  # fmt: skip
    pairs: int = 60  # STDP curve: pairs at pair_rate
    pair_rate: float = 1.0  # [Hz]
    frequencies: tuple[float, ...] = (1.0, 10.0, 20.0, 30.0, 40.0, 50.0)  # [Hz]
    frequency_lags: tuple[float, ...] = (-10.0, 10.0)  # [ms]
    trains: int = 15
    pairs_per_train: int = 5
    train_interval: float = 10_000.0  # [ms]
    beta: float = 0.5  # fraction of synapses UP before the protocol
    dt_stdp: float = 0.1  # [ms] D = 13.7 ms of the DP set is a whole number of steps
    dt_frequency: float = 0.2  # [ms] D = 4.6098 ms rounds to 4.6 ms
    chunk_size: int = 50_000  # [steps]


def pairing_times(
    lag: float, pairs: int, rate: float, trains: int = 1, train_interval: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Pre and post spike times [ms] at the synapse: ``trains`` trains of ``pairs`` pairs
    at ``rate`` [Hz], ``train_interval`` [ms] apart, post ``lag`` [ms] after pre."""
    within = np.arange(pairs) * 1000.0 / rate
    t_pre = (START + np.arange(trains)[:, None] * train_interval + within[None, :]).ravel()
    return t_pre, t_pre + lag


def time_above(params: dict, t_pre: np.ndarray, t_post: np.ndarray, theta: float) -> float:
    """Total time [ms] the noise-free calcium spends above ``theta``, from the exact
    crossings of its exponential decay between the (delayed) pre and post jumps."""
    times = np.concatenate([t_pre + params["delay"], t_post])
    jumps = np.concatenate(
        [np.full(t_pre.size, params["c_pre"]), np.full(t_post.size, params["c_post"])]
    )
    order = np.argsort(times, kind="stable")
    times, jumps = times[order], jumps[order]
    gaps = np.append(np.diff(times), np.inf)
    c, total, tau = 0.0, 0.0, params["tau_ca"]
    for k in range(times.size):
        c = c * (math.exp(-gaps[k - 1] / tau) if k else 0.0) + jumps[k]
        if c > theta:
            total += min(gaps[k], tau * math.log(c / theta))
    return total


def transition_probabilities(params: dict, t_d: float, t_p: float) -> tuple[float, float]:
    """(U, D_t) after a protocol with ``t_d``/``t_p`` [ms] above θ_d/θ_p (the paper's
    Ornstein–Uhlenbeck approximation: ρ is Gaussian at the end)."""
    rate_p, rate_d = params["gamma_p"] * t_p, params["gamma_d"] * t_d
    if rate_p + rate_d == 0.0:
        return 0.0, 0.0
    decay = math.exp(-(rate_p + rate_d) / params["tau_rho"])
    rho_bar = rate_p / (rate_p + rate_d)
    spread = math.sqrt(params["sigma"] ** 2 * (t_p + t_d) / (rate_p + rate_d) * (1 - decay**2))
    star = params["rho_star"]
    up_to_down = 0.5 * (1 + math.erf((star - rho_bar + (rho_bar - 1) * decay) / spread))
    down_to_up = 0.5 * (1 - math.erf((star - rho_bar + rho_bar * decay) / spread))
    return up_to_down, down_to_up


def strength_ratio(u: float, d_t: float, beta: float, b: float) -> float:
    """Synaptic strength after/before a protocol with transition probabilities U, D_t."""
    after = (beta * (1 - u) + (1 - beta) * d_t) * b + beta * u + (1 - beta) * (1 - d_t)
    return after / (beta * b + 1 - beta)


def ratio_se(u: float, d_t: float, n: int, beta: float, b: float) -> float:
    """Standard error of the ratio estimated from ``n`` synapses started in each state."""
    var = ((1 - beta) ** 2 * d_t * (1 - d_t) + beta**2 * u * (1 - u)) / n
    return (b - 1) / (beta * b + 1 - beta) * math.sqrt(var)


def analytic_ratio(params: dict, t_pre: np.ndarray, t_post: np.ndarray, beta: float) -> float:
    """The paper's time-above-threshold prediction of the strength ratio."""
    t_d = time_above(params, t_pre, t_post, params["theta_d"])
    t_p = time_above(params, t_pre, t_post, params["theta_p"])
    return strength_ratio(*transition_probabilities(params, t_d, t_p), beta, params["w_up"])


def simulate(
    preset: str,
    protocols: list[tuple[np.ndarray, np.ndarray]],
    repetitions: int,
    dt: float,
    seed: int,
    chunk_size: int = 50_000,
) -> tuple[np.ndarray, np.ndarray]:
    """(U, D_t) per protocol from ``repetitions`` synapses started UP and as many DOWN,
    all in one network (the full stochastic model of ``GraupnerBrunel``)."""
    rule = GraupnerBrunel.preset(preset)
    n = len(protocols)
    pre_t = np.concatenate([p[0] - dt for p in protocols])  # emitted a step early: arrive at p[0]
    post_t = np.concatenate([p[1] for p in protocols])
    units = np.concatenate([np.full(p[0].size, i) for i, p in enumerate(protocols)])
    net = Network(dt=dt, seed=seed)
    pre = net.add(Population(SpikeTimesInput(pre_t, units), n, name="pre"))
    post = net.add(Population(SpikeTimesInput(post_t, units), n, name="post"))
    index = np.repeat(np.arange(n), 2 * repetitions)  # synapse i·2R + j: protocol i
    start_up = np.tile(np.arange(2 * repetitions) >= repetitions, n)
    weights = np.where(start_up, float(rule.w_up), float(rule.w_down))
    conn = from_indices(index, index, n, n, format="csr")
    net.add(Projection(pre, post, conn, rule, weights=weights, name="calcium"))
    last = max(max(p[0].max(), p[1].max()) for p in protocols)
    net.run(last + float(rule.delay) + 300.0, chunk_size=chunk_size, progress=False)
    rho = np.asarray(conn.to_canonical(net.state.projections[0].synapses))
    up = (rho > float(rule.rho_star)).reshape(n, 2, repetitions)
    return 1.0 - up[:, 1].mean(axis=1), up[:, 0].mean(axis=1)


def run(config: GraupnerBrunelConfig) -> tuple[dict, dict]:
    """Simulate both protocols and compute their analytic curves."""
    c = config
    start = time.perf_counter()
    dp, cs = GRAUPNER_BRUNEL_PRESETS["DP"], GRAUPNER_BRUNEL_PRESETS["cortical_slices"]
    stdp = [pairing_times(lag, c.pairs, c.pair_rate) for lag in c.lags]
    freq_keys = [(f, lag) for lag in c.frequency_lags for f in c.frequencies]
    freq = [
        pairing_times(lag, c.pairs_per_train, f, c.trains, c.train_interval) for f, lag in freq_keys
    ]
    with jax.enable_x64(True):  # the cubic drift per step (~1e-8) is below float32's resolution
        u1, d1 = simulate("DP", stdp, c.repetitions, c.dt_stdp, c.seed, c.chunk_size)
        u2, d2 = simulate("cortical_slices", freq, c.repetitions, c.dt_frequency, c.seed + 1,
                          c.chunk_size)  # fmt: skip
    wall = time.perf_counter() - start

    def rows(params, keys, protocols, us, ds):
        out = []
        for key, (t_pre, t_post), u, d in zip(keys, protocols, us, ds, strict=True):
            b = params["w_up"]
            out.append({
                **key,
                "simulated": strength_ratio(u, d, c.beta, b),
                "se": ratio_se(u, d, c.repetitions, c.beta, b),
                "analytic": analytic_ratio(params, t_pre, t_post, c.beta),
                "up_to_down": float(u),
                "down_to_up": float(d),
            })  # fmt: skip
        return out

    stdp_rows = rows(dp, [{"lag_ms": lag} for lag in c.lags], stdp, u1, d1)
    freq_labels = [{"frequency_hz": f, "lag_ms": lag} for f, lag in freq_keys]
    freq_rows = rows(cs, freq_labels, freq, u2, d2)
    fine_lags, fine_f = np.arange(-100.0, 100.01, 0.5), np.arange(1.0, 50.01, 0.5)

    def stdp_curve(lag: float) -> float:
        return analytic_ratio(dp, *pairing_times(lag, c.pairs, c.pair_rate), c.beta)

    def freq_curve(f: float, lag: float) -> float:
        times = pairing_times(lag, c.pairs_per_train, f, c.trains, c.train_interval)
        return analytic_ratio(cs, *times, c.beta)

    data = {
        "fine_lags": fine_lags,
        "fine_stdp": np.array([stdp_curve(lag) for lag in fine_lags]),
        "fine_f": fine_f,
        "fine_freq": {
            lag: np.array([freq_curve(f, lag) for f in fine_f]) for lag in c.frequency_lags
        },
    }
    every = stdp_rows + freq_rows
    summary = {
        "experiment": "graupner_brunel",
        "stdp_dp": stdp_rows,
        "frequency_cortical_slices": freq_rows,
        "max_abs_simulated_minus_analytic": max(abs(r["simulated"] - r["analytic"]) for r in every),
        "analytic_dp_minimum": {
            "lag_ms": float(fine_lags[np.argmin(data["fine_stdp"])]),
            "ratio": float(np.min(data["fine_stdp"])),
        },
        "analytic_dp_maximum": {
            "lag_ms": float(fine_lags[np.argmax(data["fine_stdp"])]),
            "ratio": float(np.max(data["fine_stdp"])),
        },
        "n_synapses": 2 * c.repetitions * (len(stdp) + len(freq)),
        "wall_s": wall,
        "config": asdict(c),
    }
    return summary, data


def plot(config: GraupnerBrunelConfig, data: dict, summary: dict, path: Path) -> None:
    """The STDP curve (DP set) and the frequency dependence (cortical-slices set)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plot as pxplot

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    right.axhline(1.0, color="gray", ls="--", lw=1)
    rows = summary["stdp_dp"]
    pxplot.stdp_window(
        [r["lag_ms"] for r in rows], [r["simulated"] for r in rows],
        yerr=[r["se"] for r in rows], reference=(data["fine_lags"], data["fine_stdp"]),
        baseline=1.0, ylabel="strength after / before", reference_label="analytic",
        label=f"simulated ±1 SE ({config.repetitions} DOWN + {config.repetitions} UP synapses)",
        ax=left,
    )  # fmt: skip
    left.set(title=f"DP set: {config.pairs} pairs at {config.pair_rate:g} Hz")
    left.set_ylim(top=max(left.get_ylim()[1], 1.45))  # room for the legend
    left.legend(frameon=False, fontsize=8, loc="upper left")
    colors = {-10.0: "tab:blue", 10.0: "tab:red"}
    for lag, curve in data["fine_freq"].items():
        color = colors.get(lag)
        right.plot(data["fine_f"], curve, color=color, lw=2, label=f"Δt = {lag:+g} ms analytic")
        rows = [r for r in summary["frequency_cortical_slices"] if r["lag_ms"] == lag]
        right.errorbar(
            [r["frequency_hz"] for r in rows], [r["simulated"] for r in rows],
            yerr=[r["se"] for r in rows], fmt="o", color=color, ms=4, capsize=2,
            label=f"Δt = {lag:+g} ms simulated ±1 SE",
        )  # fmt: skip
    right.set(
        xlabel="pairing frequency [Hz]", ylabel="strength after / before",
        title=f"cortical-slices set: {config.trains} trains of {config.pairs_per_train} pairs",
    )  # fmt: skip
    right.legend(frameon=False, fontsize=8, loc="upper left")
    fig.suptitle("Graupner & Brunel (2012): calcium-based plasticity")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repetitions", type=int, default=200,
        help="synapses per protocol started in each state (DOWN and UP)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dt", type=float, default=None,
        help="time step of both protocols [ms] (default 0.1 for the STDP curve, 0.2 for the "
        "frequency protocol; the calcium delay D is rounded to it)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("plastix-out/graupner_brunel"))


def _main(args: argparse.Namespace) -> dict:
    if args.repetitions < 1:
        raise ValueError(f"--repetitions must be >= 1, got {args.repetitions}.")
    steps = {}
    if args.dt is not None:
        if not args.dt > 0:
            raise ValueError(f"--dt must be > 0 [ms], got {args.dt}.")
        steps = {"dt_stdp": args.dt, "dt_frequency": args.dt}
    config = GraupnerBrunelConfig(repetitions=args.repetitions, seed=args.seed, **steps)
    summary, data = run(config)
    save_results(args, summary, data)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(config, data, summary, args.out / "graupner_brunel.png")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


EXPERIMENT = register(
    Experiment(
        name="graupner_brunel",
        description="Graupner & Brunel (2012) calcium-based rule: STDP curve and frequency "
        "dependence, simulated and analytic",
        add_arguments=_add_arguments,
        main=_main,
    )
)
