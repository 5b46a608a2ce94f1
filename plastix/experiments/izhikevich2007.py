"""Izhikevich (2007): solving the distal reward problem with dopamine-modulated STDP.

1000 Izhikevich neurons (800 regular-spiking E, 200 fast-spiking I), 100 random targets
per neuron (E → any, I → E only), 1 ms delays, random input current 13·(U − 0.5) per
neuron and ms. One E→E synapse is chosen and set to 0; whenever its postsynaptic neuron
fires 1–19 ms after its presynaptic neuron, a reward (a dopamine jump of 0.5) follows
1–3 s later. With reward-modulated STDP (eligibility traces decaying over ~1 s) the
chosen synapse grows to the maximum while the others stay weak, although thousands of
spikes fall between each pairing and its reward. The update order is that of the paper's
``daspnet.m``: plastix's step order with a one-step delay gives the same pairings, and the
depression amplitude absorbs the one extra trace decay of our order (0.15/0.95).

References:
    Izhikevich (2007), Cereb. Cortex 17:2443–2452.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from .. import connectivity
from ..network import Monitor, Network, Population, Projection
from ..neurons import Izhikevich
from ..neurons._base import AbstractPopulationModel
from ..rules import RewardSTDP
from ._registry import Experiment, register, save_results


class PairingRewardState(NamedTuple):
    """State of :class:`PairingReward`."""

    gap: Int[Array, ""]
    """Steps since the last spike on ``first`` (large when none yet)."""
    pending: Int[Array, " L"]
    """Rewards due, by step modulo L."""
    step: Int[Array, ""]


class PairingReward(AbstractPopulationModel):
    """One unit that emits a reward spike after each pre→post pairing of a synapse.

    A spike arriving on the ``"second"`` input less than ``window`` [ms] after one on
    ``"first"`` (strictly later; the paper's n1 → n2 within 20 ms) schedules a reward
    spike a uniform whole number of ms in [``delay_min``, ``delay_max``] later (counted
    from the spike's emission, one step before its arrival here). Two rewards due in the
    same step are emitted in consecutive steps (none is lost).
    """

    receptors: ClassVar[tuple[str, ...]] = ("first", "second")
    window: float = eqx.field(static=True)
    delay_min: float = eqx.field(static=True)
    delay_max: float = eqx.field(static=True)

    def __init__(self, window: float = 20.0, delay_min: float = 1001.0, delay_max: float = 3000.0):
        if not 0 < delay_min <= delay_max:
            raise ValueError(
                f"PairingReward: need 0 < delay_min <= delay_max, got {delay_min}, {delay_max}."
            )
        self.window, self.delay_min, self.delay_max = window, delay_min, delay_max

    def _length(self, dt: float) -> int:
        return math.ceil(self.delay_max / dt) + 2

    def init(self, n: int, dt: float) -> PairingRewardState:
        big = jnp.asarray(2**30, jnp.int32)
        return PairingRewardState(
            big, jnp.zeros(self._length(dt), jnp.int32), jnp.zeros((), jnp.int32)
        )

    def drive(self, key: Array, steps: Array, n: int, dt: float) -> Any:
        return jax.vmap(lambda s: jax.random.uniform(jax.random.fold_in(key, s)))(steps)

    def step(self, state: PairingRewardState, inputs: dict, drive: Any, dt: float):
        length = state.pending.shape[0]
        first, second = inputs["first"][0] > 0, inputs["second"][0] > 0
        gap = jnp.minimum(state.gap + 1, 2**30)
        paired = second & ~first & (gap * dt < self.window)
        gap = jnp.where(first, 0, gap)
        k = state.step % length
        due = state.pending[k]
        fire = due > 0
        pending = state.pending.at[k].set(0)
        pending = pending.at[(k + 1) % length].add(jnp.maximum(due - 1, 0))
        lo, hi = round(self.delay_min / dt), round(self.delay_max / dt)
        delay = lo + jnp.floor(drive * (hi - lo + 1)).astype(jnp.int32) - 1  # −1: arrival lag
        pending = pending.at[(k + delay) % length].add(paired.astype(jnp.int32))
        return PairingRewardState(gap, pending, state.step + 1), fire[None]


@dataclass(frozen=True)
class Izhikevich2007Config:
    """Parameters of ``daspnet.m`` (units in brackets)."""

    n_exc: int = 800
    n_inh: int = 200
    outdegree: int = 100
    duration: float = 1_200_000.0  # [ms]
    dt: float = 1.0  # [ms]
    noise: float = 13.0  # width of the uniform input current
    s_max: float = 4.0
    a_plus: float = 0.1
    a_minus: float = 0.15
    trace_decay: float = 0.95  # STDP traces ×0.95 per ms
    eligibility_decay: float = 0.99  # ×0.99 per update
    update_period: float = 10.0  # [ms]
    dopamine_decay: float = 0.995  # ×0.995 per ms
    reward: float = 0.5
    tonic: float = 0.002
    rewarded: bool = True
    seed: int = 1
    format: str = "csr"
    capacity: int = 64  # event buffers (spikes per step)
    on_overflow: str = "error"
    chunk_size: int = 10_000  # [steps]
    record_every: float = 1000.0  # [ms]


def _targets(rng: np.random.Generator, n_pre: int, n_targets: int, k: int) -> tuple:
    """``k`` random targets per neuron, drawn with replacement (as ``daspnet.m`` does)."""
    pre = np.repeat(np.arange(n_pre), k)
    return pre, rng.integers(0, n_targets, n_pre * k)


def build(config: Izhikevich2007Config) -> tuple[Network, dict]:
    c = config
    rng = np.random.default_rng(c.seed)
    net = Network(dt=c.dt, seed=c.seed)
    tau = -c.dt / math.log(c.trace_decay)

    def neuron(preset: str) -> Izhikevich:
        return Izhikevich(preset=preset, noise=c.noise, integration="paper")

    exc = net.add(Population(neuron("RS"), c.n_exc, name="exc"))
    inh = net.add(Population(neuron("FS"), c.n_inh, name="inh"))
    critic = net.add(Population(PairingReward(), 1, name="reward"))
    rule = RewardSTDP(
        tau_plus=tau,
        tau_minus=tau,
        a_plus=c.a_plus,
        a_minus=c.a_minus / c.trace_decay,  # our order decays the post trace once more
        tau_c=-c.update_period / math.log(c.eligibility_decay),
        tau_d=-c.dt / math.log(c.dopamine_decay),
        reward=c.reward if c.rewarded else 0.0,
        tonic=c.tonic,
        period=c.update_period,
        w_min=0.0,
        w_max=c.s_max,
        nearest=True,
    )
    pre, post = _targets(rng, c.n_exc, c.n_exc + c.n_inh, c.outdegree)
    to_exc = post < c.n_exc
    ee = connectivity.from_indices(pre[to_exc], post[to_exc], c.n_exc, c.n_exc, c.format)
    ei = connectivity.from_indices(
        pre[~to_exc], post[~to_exc] - c.n_exc, c.n_exc, c.n_inh, c.format
    )
    canon_pre, canon_post = ee.canonical_indices()
    chosen = 0  # the first E→E synapse of neuron 0 in canonical order
    n1, n2 = int(canon_pre[chosen]), int(canon_post[chosen])
    w_ee = np.ones(ee.n_synapses)
    w_ee[chosen] = 0.0
    cap = {"capacity": c.capacity, "on_overflow": c.on_overflow}
    plastic_ee = net.add(
        Projection(exc, exc, ee, rule, weights=w_ee, modulator=critic, name="E->E", **cap)
    )
    net.add(Projection(exc, inh, ei, rule, weights=1.0, modulator=critic, name="E->I", **cap))
    pre_i, post_i = _targets(rng, c.n_inh, c.n_exc, c.outdegree)
    ie = connectivity.from_indices(pre_i, post_i, c.n_inh, c.n_exc, c.format)
    net.add(Projection(inh, exc, ie, weights=-1.0, receptor="inh", name="I->E", **cap))
    for pop_index, receptor in ((n1, "first"), (n2, "second")):
        link = connectivity.from_indices([pop_index], [0], c.n_exc, 1, "csr")
        net.add(Projection(exc, critic, link, weights=1.0, receptor=receptor))
    monitors = {
        "chosen": net.add(Monitor(plastic_ee, "w", every=c.record_every, indices=[chosen])),
        "reward": net.add(Monitor(critic)),
        "exc": net.add(Monitor(exc)),
    }
    return net, {"plastic": plastic_ee, "n1": n1, "n2": n2, **monitors}


def run(config: Izhikevich2007Config, progress: bool = True) -> tuple[dict, dict]:
    c = config
    net, mon = build(c)
    start = time.perf_counter()
    net.run(c.duration, chunk_size=c.chunk_size, progress=progress)
    wall = time.perf_counter() - start
    proj_index = net.projections.index(mon["plastic"])
    w_all = np.asarray(
        mon["plastic"].connectivity.to_canonical(net.state.projections[proj_index].w)
    )
    others = np.delete(w_all, 0)
    t, w = mon["chosen"].t, mon["chosen"].values[:, 0]

    def first_crossing(level: float) -> float | None:
        above = np.nonzero(w >= level * c.s_max)[0]
        return float(t[above[0]] * 1e-3) if above.size else None

    last = t >= c.duration - min(600_000.0, c.duration)
    summary = {
        "experiment": "izhikevich2007",
        "rewarded": c.rewarded,
        "chosen_synapse": {"pre": mon["n1"], "post": mon["n2"]},
        "chosen_final_weight": float(w[-1]) if w.size else None,
        "chosen_mean_last_600s": float(np.mean(w[last])) if w.size else None,
        "first_crossing_s": {f"{q}": first_crossing(q) for q in (0.25, 0.5, 0.9)},
        "median_other_ee_weight": float(np.median(others)),
        "rewards": int(mon["reward"].t.size),
        "exc_rate_hz": mon["exc"].t.size / c.n_exc / (c.duration * 1e-3),
        "duration_s": c.duration * 1e-3,
        "wall_s": wall,
        "seconds_per_simulated_second": wall / (c.duration * 1e-3),
        "config": asdict(c),
    }
    data = {"t": t, "w": w, "reward_t": mon["reward"].t, "others": others}
    return summary, data


def plot(config: Izhikevich2007Config, data: dict, summary: dict, path: Path) -> None:
    """The chosen synapse's weight over time with the rewards, and the other weights."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plot as pxplot

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    ax = axes[0]
    ax.plot(data["t"] * 1e-3, data["w"], color="tab:red", label="rewarded synapse")
    ax.plot(data["reward_t"] * 1e-3, np.full(data["reward_t"].size, -0.1), "|", color="k",
            label="rewards")  # fmt: skip
    ax.set(xlabel="time [s]", ylabel="weight", ylim=(-0.2, config.s_max * 1.05))
    ax.legend(loc="upper left")
    ax = pxplot.weight_histogram(
        data["others"], bins=40, value_range=(0.0, config.s_max), ax=axes[1]
    )
    ax.set(ylabel="E→E synapses", title="all other E→E weights at the end")
    fig.suptitle("Izhikevich (2007): distal reward with dopamine-modulated STDP")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=1200.0, help="simulated time [s]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-reward", action="store_true", help="control without rewards")
    parser.add_argument("--out", type=Path, default=Path("plastix-out/izhikevich2007"))
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _main(args: argparse.Namespace) -> dict:
    if not args.duration > 0:
        raise ValueError(f"--duration must be > 0 [s], got {args.duration}.")
    config = Izhikevich2007Config(
        duration=args.duration * 1000.0, seed=args.seed, rewarded=not args.no_reward
    )
    summary, data = run(config, progress=not args.no_progress)
    save_results(args, summary, data)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(config, data, summary, args.out / "izhikevich2007.png")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


EXPERIMENT = register(
    Experiment(
        name="izhikevich2007",
        description="Izhikevich (2007) distal reward: dopamine-modulated STDP finds one synapse",
        add_arguments=_add_arguments,
        main=_main,
    )
)
