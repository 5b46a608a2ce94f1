"""STDP picks out correlated inputs: Neuromatch's W2D3 STDP tutorial, in plastix.

Neuromatch Academy's tutorial "Spike-timing dependent plasticity" (W2D3, tutorial 4)
drives one conductance-based LIF neuron with 300 Poisson inputs through additive pair
STDP; the first 50 inputs share one spike train. After 120 s the correlated synapses
have grown to the upper bound ḡ_max while the others have lost weight: spikes that
arrive together make the neuron fire, so their synapses are the ones that precede its
spikes. The parameters are the tutorial's (VALIDATION §3): V_th −55 mV, V_reset −75 mV,
τ_m 10 ms, E_L −75 mV, t_ref 2 ms, V_init −65 mV, E_exc 0 mV, τ_syn_E 5 ms, dt 1 ms;
A₊ 0.008, A₋ 1.10·A₊, τ 20 ms, ḡ_max 0.024, initial ḡ = ḡ_max·U(0, 1); inputs at 10 Hz
(the tutorial's call) or any rate given.

How the tutorial maps onto plastix:

- *The conductance.* The tutorial integrates
  ``τ_m·dv/dt = −(v − E_L) − g_E·(v − E_exc)`` with ``g_E`` in units of the leak
  conductance, and each presynaptic spike adds its synapse's ḡ to ``g_E``. That is
  ``LIFCond`` (conductances in units of the leak conductance; an arriving spike adds its
  weight to ``g_exc``), so the weights *are* ḡ, bounded by ``w_max = ḡ_max``.
- *The rule.* The tutorial's LTP trace P jumps by A₊ at a presynaptic spike and adds
  ``P·ḡ_max`` at a postsynaptic spike; its LTD trace M jumps by −A₋ at a postsynaptic
  spike and adds ``M·ḡ_max`` at a presynaptic spike; ḡ is clipped to [0, ḡ_max]. That is
  ``PairSTDP`` with ``a_plus = A₊·ḡ_max``, ``a_minus = A₋·ḡ_max`` (traces jump by 1).
- *The shared train.* The tutorial copies input 0's train onto inputs 1–49. Here one
  ``PoissonInput`` population of 251 trains feeds 300 synapses, in one projection made
  with ``from_indices``: synapses 0–49 all come from train 0 (multapses: 50 synapses
  between the same pair of neurons, each with its own weight) and synapses 50–299 from
  trains 1–250, so synapse i is the tutorial's input i. (A ``CorrelatedPoissonInput(
  rate, c=1)`` population of 50 beside a ``PoissonInput`` of 250, in two projections, is
  the same model and gave the same statistics, but costs ~1.5× more: it draws its
  spikes step by step.)

Where plastix differs from the tutorial's loop (documented, not hidden):

- *Integration.* The tutorial steps v, g_E and the traces by forward Euler at dt = 1 ms
  (decay factors 1 − dt/τ: 0.9, 0.8, 0.95 per step); plastix integrates v exactly for
  the step's conductance (exponential Euler) and decays g and the traces exactly
  (``exp(−dt/τ)``: 0.905, 0.819, 0.951).
- *When a presynaptic spike counts, and the same-step pair.* Both deliver a spike of
  step k to the conductance of step k + 1. The tutorial's STDP counts it at step k,
  plastix at its arrival (step k + 1; docs/semantics.md), and plastix pairs an arrival
  with a postsynaptic spike of the same step once, as pre before post. The tutorial
  pairs a presynaptic spike with a postsynaptic spike of the same step *twice*: its
  LTP trace already holds the spike (+A₊) and its LTD trace already holds the
  postsynaptic spike (−A₋). The window's area, which sets the drift of a synapse whose
  train is independent of the output (drift = rate_pre·rate_post·area), is
  (20 − 22)·A₊·ms = −2·A₊·ms in the tutorial and (20.5 − 21.45)·A₊·ms ≈ −0.95·A₊·ms in
  plastix (sums over 1 ms steps), so the tutorial depresses the uncorrelated synapses
  about twice as fast. A NumPy transcription of the tutorial's loop (a few seeds) ends
  with the others at 0.33–0.39·ḡ_max at 10 Hz and 0.08–0.10 at 20 Hz, where
  plastix gives 0.40–0.44 and 0.26–0.30; the same loop with the same-step pair counted
  once (LTP only) gives 0.42–0.48 and 0.29–0.33, as plastix (and as VALIDATION §3's
  NumPy run). The correlated group saturates at ḡ_max in every variant.
- *Random numbers.* The trains come from JAX's generator, not NumPy's, so only the
  statistics match the tutorial, not individual spikes.

Several seeds (and rates) run at once as one ``px.Ensemble``.

Run ``python examples/correlated_input_stdp.py --out DIR`` (``--duration`` [s],
``--rates``, ``--seeds``). Writes ``weights_over_time.png``,
``weight_distributions.png`` and ``summary.json`` to DIR.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import jax
import numpy as np

import plastix as px

N_INPUTS = 300
N_CORRELATED = 50
N_TRAINS = N_INPUTS - N_CORRELATED + 1  # one shared train and 250 independent ones
TRAIN_OF_SYNAPSE = np.concatenate([np.zeros(N_CORRELATED, int), np.arange(1, N_TRAINS)])
G_MAX = 0.024  # ḡ_max [units of the leak conductance]
A_PLUS = 0.008  # A₊ [units of ḡ_max]
A_MINUS = 1.10 * A_PLUS
TAU_STDP = 20.0  # [ms]
DT = 1.0  # [ms]


def neuron_model() -> px.LIFCond:
    """The tutorial's conductance-based LIF neuron."""
    return px.LIFCond(
        tau_m=10.0,
        e_leak=-75.0,
        v_th=-55.0,
        v_reset=-75.0,
        e_exc=0.0,
        tau_exc=5.0,
        t_ref=2.0,
        v_init=-65.0,
    )


def stdp_rule() -> px.PairSTDP:
    """The tutorial's additive pair STDP with ḡ in [0, ḡ_max]."""
    return px.PairSTDP(
        tau_plus=TAU_STDP,
        tau_minus=TAU_STDP,
        a_plus=A_PLUS * G_MAX,
        a_minus=A_MINUS * G_MAX,
        w_min=0.0,
        w_max=G_MAX,
    )


def simulate(
    rates: list[float],
    seeds: list[int],
    duration: float,
    record_every: float = 1000.0,
    progress: bool = False,
) -> dict[str, Any]:
    """Run one instance per (rate, seed) pair, all at once as an ensemble.

    Args:
        rates: input rates [Hz] (each input, correlated or not, fires at this rate).
        seeds: seeds; every rate runs with every seed.
        duration: simulated time [ms].
        record_every: period of the weight snapshots [ms].
        progress: show a progress bar.

    Returns:
        ``rate`` [Hz] and ``seed`` of each instance; ``t`` [ms] of the snapshots;
        ``w_correlated`` ``[instance, snapshot, 50]`` and ``w_other``
        ``[instance, snapshot, 250]`` (ḡ, every ``record_every`` from t = 0 and at the
        end); ``spike_t`` [ms] and ``spike_instance`` of the output spikes; ``duration``
        [ms]; ``wall_s`` [s].

    Raises:
        ValueError: no rate or seed, a non-positive rate, or a non-positive duration.
    """
    if not rates or not seeds:
        raise ValueError(f"simulate: give at least one rate and one seed, got {rates}, {seeds}.")
    if min(rates) <= 0:
        raise ValueError(f"simulate: rates must be > 0 [Hz], got {rates}.")
    if not duration > 0:
        raise ValueError(f"simulate: duration must be > 0 [ms], got {duration}.")
    top = max(rates)  # the Poisson source sizes its spike buffers from the rate it is built with
    net = px.Network(dt=DT, seed=int(seeds[0]))
    trains = net.add(px.Population(px.PoissonInput(top), N_TRAINS, name="inputs"))
    neuron = net.add(px.Population(neuron_model(), 1, name="neuron"))
    # Synapse i carries train TRAIN_OF_SYNAPSE[i]: train 0 for the first 50 synapses.
    wiring = px.from_indices(TRAIN_OF_SYNAPSE, np.zeros(N_INPUTS, int), N_TRAINS, 1)
    syn = net.add(
        px.Projection(trains, neuron, wiring, stdp_rule(), px.initializers.uniform(0.0, G_MAX))
    )
    spikes = net.add(px.Monitor(neuron))
    weights = net.add(px.Monitor(syn, "w", every=record_every))

    rate_of = np.repeat(np.asarray(rates, dtype=float), len(seeds))
    seed_of = np.tile(np.asarray(seeds, dtype=int), len(rates))
    ensemble = px.Ensemble(net, seeds=seed_of.tolist(), params={(trains, "rate"): rate_of})
    start = time.perf_counter()
    ensemble.run(duration, progress=progress)
    wall = time.perf_counter() - start
    # Snapshots every record_every from t = 0, closed by the final weights (ensemble.weights
    # would sum the multapses into one matrix entry, so read them per synapse instead).
    final = np.asarray(jax.vmap(wiring.to_canonical)(ensemble.state.projections[0].w))
    w = np.concatenate([weights.values, final[:, None, :]], axis=1)
    return {
        "rate": rate_of,
        "seed": seed_of,
        "t": np.append(weights.t, duration),
        "w_correlated": w[:, :, :N_CORRELATED],
        "w_other": w[:, :, N_CORRELATED:],
        "spike_t": spikes.t,
        "spike_instance": spikes.batch,
        "duration": duration,
        "wall_s": wall,
    }


def summarise(data: dict[str, Any]) -> list[dict[str, float]]:
    """Per instance: mean ḡ/ḡ_max of both groups at the start (the first snapshot) and
    the end, the ratio of the final means, and output rates [Hz]."""
    rows = []
    duration = data["duration"]
    late = min(10_000.0, duration)
    for b, (rate, seed) in enumerate(zip(data["rate"], data["seed"], strict=True)):
        mean_corr = float(data["w_correlated"][b, -1].mean())
        mean_other = float(data["w_other"][b, -1].mean())
        start_corr = float(data["w_correlated"][b, 0].mean())
        start_other = float(data["w_other"][b, 0].mean())
        spike_t = data["spike_t"][data["spike_instance"] == b]
        rows.append(
            {
                "rate_hz": float(rate),
                "seed": int(seed),
                "correlated_mean": mean_corr / G_MAX,
                "other_mean": mean_other / G_MAX,
                "correlated_mean_start": start_corr / G_MAX,
                "other_mean_start": start_other / G_MAX,
                "ratio": mean_corr / mean_other if mean_other > 0 else float("inf"),
                "output_rate_hz": spike_t.size / (duration * 1e-3),
                "output_rate_last10s_hz": float(
                    np.count_nonzero(spike_t >= duration - late) / (late * 1e-3)
                ),
            }
        )
    return rows


def plot(data: dict[str, Any], out: Path) -> list[str]:
    """The weights over time and their distributions; returns the file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import plastix.plot as pxplot

    rates = list(dict.fromkeys(data["rate"].tolist()))
    first = [int(np.flatnonzero(data["rate"] == r)[0]) for r in rates]  # first seed per rate
    t_s = data["t"] * 1e-3
    red, blue = "tab:red", "tab:blue"

    # Row 1: ḡ of every correlated and 50 of the other synapses, as the tutorial draws
    # them; row 2: all 300 synapses as an image; row 3: the output rate.
    fig, axes = plt.subplots(
        3,
        len(rates),
        figsize=(6.5 * len(rates), 10),
        squeeze=False,
        layout="constrained",
        gridspec_kw={"height_ratios": [3, 2.5, 1.4]},
    )
    bin_width = data["duration"] / 24
    for column, rate, b in zip(axes.T, rates, first, strict=True):
        ax = column[0]
        ax.plot(t_s, data["w_other"][b, :, :50], color=blue, lw=0.5, alpha=0.35)
        ax.plot(t_s, data["w_correlated"][b], color=red, lw=0.5, alpha=0.6)
        ax.plot(t_s, data["w_other"][b].mean(axis=1), color="navy", lw=2.5, label="others: mean")
        ax.plot(t_s, data["w_correlated"][b].mean(axis=1), color="darkred", lw=2.5,
                label="correlated (first 50): mean")  # fmt: skip
        ax.set(
            xlabel="time [s]",
            ylabel="ḡ [leak conductance]",
            ylim=(-0.001, 1.05 * G_MAX),
            title=f"inputs at {rate:g} Hz, seed {int(data['seed'][b])}",
        )
        ax.legend(loc="lower right", framealpha=0.9, fontsize=9)
        every = np.concatenate([data["w_correlated"][b], data["w_other"][b]], axis=1)
        pxplot.weight_evolution(data["t"], every, w_max=G_MAX, time_unit="s", ax=column[1])
        column[1].set_title("all 300 synapses (the top 50 rows end as the correlated group)")
        mine = data["spike_instance"] == b
        pxplot.population_rate(
            data["spike_t"][mine],
            1,
            bin_width=bin_width,
            t_range=(0.0, data["duration"]),
            time_unit="s",
            ax=column[2],
            color="k",
        )
        column[2].set(ylabel="output rate [Hz]", ylim=(0, None))
    weights_over_time = out / "weights_over_time.png"
    fig.savefig(weights_over_time, dpi=110)
    plt.close(fig)

    # Histograms of ḡ/ḡ_max at a few times (all seeds of a rate pooled), last one at the end.
    n_times = 4
    picks = np.unique(np.linspace(0, t_s.size - 1, n_times).round().astype(int))
    bins = np.linspace(0.0, 1.0, 21)
    fig, axes = plt.subplots(
        len(rates),
        picks.size,
        figsize=(3.2 * picks.size, 2.8 * len(rates)),
        squeeze=False,
        sharex=True,
        layout="constrained",
    )
    for row, rate in zip(axes, rates, strict=True):
        mine = data["rate"] == rate
        share = 1.0 / np.count_nonzero(mine)  # each instance's synapses count 1/instances
        for ax, k in zip(row, picks, strict=True):
            corr = data["w_correlated"][mine, k].ravel() / G_MAX
            other = data["w_other"][mine, k].ravel() / G_MAX
            ax.hist(other, bins, weights=np.full(other.size, share), color=blue, alpha=0.6,
                    label="others (250)")  # fmt: skip
            ax.hist(corr, bins, weights=np.full(corr.size, share), color=red, alpha=0.6,
                    label="correlated (50)")  # fmt: skip
            ax.set_title(f"{rate:g} Hz, t = {t_s[k]:g} s", fontsize=10)
            ax.set_xlabel("ḡ / ḡ_max")
        row[0].set_ylabel("synapses per instance")
    axes[0, 0].legend(frameon=False, fontsize=8)
    distributions = out / "weight_distributions.png"
    fig.savefig(distributions, dpi=110)
    plt.close(fig)
    return [weights_over_time.name, distributions.name]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the tutorial, write the figures and ``summary.json``, and return the summary.

    Args:
        argv: command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The summary: one entry per (rate, seed) instance (mean ḡ/ḡ_max of the correlated
        group and of the others at the end, their ratio, output rates [Hz]), the
        duration [s], wall time [s] and the files written.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120.0, help="simulated time [s]")
    parser.add_argument("--rates", type=float, nargs="+", default=[10.0], help="input rates [Hz]")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds")
    parser.add_argument(
        "--record-every", type=float, default=1.0, help="weight snapshot period [s]"
    )
    parser.add_argument("--out", type=Path, default=Path("plastix-out/correlated_input_stdp"))
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    if not args.duration > 0:
        raise ValueError(f"--duration must be > 0 [s], got {args.duration}.")
    if not args.record_every > 0:
        raise ValueError(f"--record-every must be > 0 [s], got {args.record_every}.")
    if min(args.rates) <= 0:
        raise ValueError(f"--rates must all be > 0 [Hz], got {args.rates}.")

    data = simulate(
        args.rates,
        args.seeds,
        args.duration * 1e3,
        record_every=min(args.record_every, args.duration) * 1e3,
        progress=not args.no_progress,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    figures = plot(data, args.out)
    summary = {
        "duration_s": args.duration,
        "g_max": G_MAX,
        "instances": summarise(data),
        "wall_s": data["wall_s"],
        "figures": figures,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    for row in summary["instances"]:
        print(
            f"{row['rate_hz']:g} Hz, seed {row['seed']}: correlated {row['correlated_mean']:.2f}"
            f", others {row['other_mean']:.2f} (ḡ/ḡ_max), ratio {row['ratio']:.2f}, output "
            f"{row['output_rate_hz']:.1f} Hz"
        )
    print(f"{len(summary['instances'])} instances in {data['wall_s']:.1f} s; wrote {args.out}")
    return summary


if __name__ == "__main__":
    main()
