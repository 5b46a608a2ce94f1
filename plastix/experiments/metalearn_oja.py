"""Confavreux et al. (2020): meta-learning Oja's rule by gradient descent.

A linear rate neuron ``y = wᵀx`` reads ``n`` inputs drawn from a zero-mean Gaussian
whose covariance has the eigenvalues ``λ₁ ~ U(2, 4)`` and ``λ₂…λₙ ~ U(0, 1)`` along
random eigenvectors. Its synapses follow a :class:`~plastix.rules.PolynomialRule`
(27 coefficients ``θ_αβγ`` of ``xᵅ·yᵝ·wᵞ``) for ``T`` steps. Starting from ``θ = 0``,
``θ`` is trained with Adam by differentiating ``plastix.core.run`` (the whole network:
input population, rate neuron, plastic projection) with respect to ``θ``, averaged over
a meta-batch of tasks (covariance, input samples and initial weights), so that the
final weights are the unit principal eigenvector ``±e₁``. The task's answer is Oja's
rule (``θ₁₁₀ = 1``, ``θ₀₂₁ = −1``); VALIDATION §12 checks that it is rediscovered.

The meta-loss of one task is ``1 − cos²(w_T, e₁) + (‖w_T‖ − 1)²``: ``cos²`` because the
sign of a principal component is arbitrary (and it is smooth where ``cos = 0``), and the
norm term because without it a Hebbian rule that grows along ``e₁`` until the hard
bounds would score as well as Oja's; with it the rule must find a decay that sets the
norm to 1 whatever ``λ₁`` is (``−y²·w`` does; a plain ``−w`` would need ``λ₁``).

The optimiser is Adam with a cosine-decayed learning rate and a weak L2 penalty on θ
(added to the gradient before Adam's normalisation). Adam moves every coefficient at
about the learning rate whatever the size of its gradient, so combinations of terms
that the loss hardly sees drift with the batch noise (``−w`` against ``x²·w``, which
cancel on average since ``E[x_i²] ≈ 0.6``); the penalty outweighs their tiny gradients
and keeps them near zero, while it barely moves the well-determined ``θ₁₁₀`` and
``θ₀₂₁`` (seeds 0 and 1: cos(θ, θ_Oja) 0.92 and 0.86 without it, 0.97 and 0.98 with it).

Divergence guard: ``w`` is clipped hard into ``[−w_bound, w_bound]`` (so no run
overflows), the gradient is clipped to a global norm, and a meta-step with a non-finite
loss or gradient is skipped (:func:`~plastix.metalearn.meta_train`).

The inputs of a batch are drawn inside the jitted meta-step and handed to the network
as a :class:`~plastix.inputs.RateArrayInput` (one row per step): the randomness stays
outside the differentiated loop.

References:
    Confavreux, Zenke, Agnes, Lillicrap & Vogels (2020), "A meta-learning approach to
    (re)discover plasticity rules that carve a desired function into a neural network",
    NeurIPS 33. Oja (1982), J. Math. Biol. 15:267.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array

from .. import core
from ..connectivity import all_to_all
from ..inputs import RateArrayInput
from ..metalearn import meta_train, replace_rule, replace_weights
from ..network import Network, Population, Projection
from ..neurons import RateNeuron
from ..rules import PolynomialRule
from ._registry import Experiment, register, save_results


@dataclass(frozen=True)
class MetalearnOjaConfig:
    """Parameters of the meta-learning experiment (VALIDATION §12, test size)."""

    n: int = 20  # inputs
    steps: int = 1000  # T: plasticity updates (input samples) per task, one per 1 ms step
    eta: float = 0.005  # [1/ms] the rule's learning rate
    w_bound: float = 2.0  # hard clipping of w into [−w_bound, w_bound]
    batch: int = 16  # tasks per meta-step
    meta_steps: int = 600
    learning_rate: float = 0.02  # Adam, decayed to 1 % over the run (cosine)
    weight_decay: float = 0.01  # L2 penalty on θ (gradient + weight_decay·θ): see above
    max_grad_norm: float = 1.0
    test_covariances: int = 20
    test_inits: int = 5  # initial weights per test covariance
    seed: int = 0


def sample_covariance(key: Array, n: int) -> tuple[Array, Array]:
    """A factor ``L`` (``L·Lᵀ = cov``) with ``λ₁ ~ U(2, 4)``, ``λ_{i>1} ~ U(0, 1)`` along
    random orthonormal eigenvectors, and the principal eigenvector ``e₁``."""
    k_basis, k_first, k_rest = jax.random.split(key, 3)
    basis, _ = jnp.linalg.qr(jax.random.normal(k_basis, (n, n)))
    first = jax.random.uniform(k_first, (1,), minval=2.0, maxval=4.0)
    eigenvalues = jnp.concatenate([first, jax.random.uniform(k_rest, (n - 1,))])
    return basis * jnp.sqrt(eigenvalues), basis[:, 0]


def sample_weights(key: Array, n: int) -> Array:
    """Initial weights: a uniformly random direction with a norm ~ U(0.5, 1.5)."""
    k_dir, k_norm = jax.random.split(key)
    direction = jax.random.normal(k_dir, (n,))
    norm = jax.random.uniform(k_norm, minval=0.5, maxval=1.5)
    return norm * direction / jnp.linalg.norm(direction)


def sample_inputs(key: Array, factor: Array, steps: int) -> Array:
    """``steps + 1`` rows ``x ~ N(0, L·Lᵀ)`` (the last row is emitted but never arrives)."""
    return jax.random.normal(key, (steps + 1, factor.shape[0])) @ factor.T


def build(config: MetalearnOjaConfig) -> Network:
    """The network (input rows are placeholders, replaced per task in the spec)."""
    c = config
    net = Network(dt=1.0, seed=c.seed)
    x = net.add(Population(RateArrayInput(np.zeros((c.steps + 1, c.n))), c.n, name="x"))
    y = net.add(Population(RateNeuron("linear"), 1, name="y"))
    rule = PolynomialRule(np.zeros((3, 3, 3)), c.eta, -c.w_bound, c.w_bound)
    net.add(Projection(x, y, all_to_all(c.n, 1), rule, weights=0.0, name="x->y"))
    net.build()
    return net


def final_weights(net: Network, theta: Array, inputs: Array, w0: Array) -> Array:
    """``w_T`` after one run of the whole network with the rule's ``θ`` (differentiable)."""
    spec = replace_rule(net.spec, 0, theta=theta)
    spec = eqx.tree_at(lambda s: s.populations[0].model.values, spec, inputs)
    state = replace_weights(net.state, 0, w0)
    final, _, _ = core.run(spec, state, jax.random.key(0), inputs.shape[0])
    return final.projections[0].w[:, 0]


def cosine_and_norm(w: Array, e1: Array) -> tuple[Array, Array]:
    """``|cos(w, e₁)|`` and ``‖w‖``."""
    norm = jnp.linalg.norm(w)
    return jnp.abs(jnp.dot(w, e1)) / jnp.maximum(norm, 1e-12), norm


def task_loss(w: Array, e1: Array) -> Array:
    """``1 − cos²(w, e₁) + (‖w‖ − 1)²`` (see the module docstring for why)."""
    cosine, norm = cosine_and_norm(w, e1)
    return 1.0 - cosine**2 + (norm - 1.0) ** 2


def draw_tasks(key: Array, config: MetalearnOjaConfig, count: int):
    """``count`` tasks: input rows ``[count, T + 1, n]``, ``w0`` and ``e₁`` ``[count, n]``."""
    c = config

    def one(k: Array):
        k_cov, k_x, k_w = jax.random.split(k, 3)
        factor, e1 = sample_covariance(k_cov, c.n)
        return sample_inputs(k_x, factor, c.steps), sample_weights(k_w, c.n), e1

    return jax.vmap(one)(jax.random.split(key, count))


def meta_loss(net: Network, config: MetalearnOjaConfig):
    """``loss(θ, key)``: the mean task loss over a fresh meta-batch drawn from ``key``."""

    def loss(theta: Array, key: Array) -> Array:
        inputs, w0, e1 = draw_tasks(key, config, config.batch)
        run_one = lambda x, w: final_weights(net, theta, x, w)  # noqa: E731
        w = jax.vmap(run_one)(inputs, w0)
        return jnp.mean(jax.vmap(task_loss)(w, e1))

    return loss


def evaluate(net: Network, config: MetalearnOjaConfig, thetas: Array, key: Array) -> list[dict]:
    """For each rule ``θ`` of ``thetas`` (``[k, 3, 3, 3]``): ``|cos(w_T, e₁)|`` and
    ``‖w_T‖`` on the same unseen covariances × initial weights (each pair with its own
    input samples), as ``[test_covariances, test_inits]`` arrays. One compiled call."""
    c = config

    def one_covariance(theta: Array, k: Array) -> tuple[Array, Array]:
        k_cov, k_rest = jax.random.split(k)
        factor, e1 = sample_covariance(k_cov, c.n)

        def one_init(k2: Array) -> tuple[Array, Array]:
            k_x, k_w = jax.random.split(k2)
            inputs = sample_inputs(k_x, factor, c.steps)
            w = final_weights(net, theta, inputs, sample_weights(k_w, c.n))
            return cosine_and_norm(w, e1)

        return jax.vmap(one_init)(jax.random.split(k_rest, c.test_inits))

    keys = jax.random.split(key, c.test_covariances)
    per_rule = jax.vmap(lambda theta: jax.vmap(one_covariance, (None, 0))(theta, keys))
    cosine, norm = jax.jit(per_rule)(thetas)
    return [
        {"cos": np.asarray(a), "norm": np.asarray(b)} for a, b in zip(cosine, norm, strict=True)
    ]


def oja_theta() -> np.ndarray:
    """``θ`` of Oja's rule (``θ₁₁₀ = 1``, ``θ₀₂₁ = −1``)."""
    return np.asarray(PolynomialRule.oja().theta)


def _test_loss(result: dict) -> float:
    """The mean task loss on the test tasks."""
    return float(np.mean(1.0 - result["cos"] ** 2 + (result["norm"] - 1.0) ** 2))


def run(config: MetalearnOjaConfig, progress: bool = True) -> tuple[dict, dict]:
    """Meta-train ``θ`` from zero, then test it and Oja's rule; the summary and data."""
    c = config
    net = build(c)
    key_train, key_test = jax.random.split(jax.random.key(c.seed))
    schedule = optax.cosine_decay_schedule(c.learning_rate, max(c.meta_steps, 1), alpha=0.01)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=c.meta_steps, desc="meta-steps")
    start = time.perf_counter()
    theta, history = meta_train(
        meta_loss(net, c),
        jnp.zeros((3, 3, 3)),
        optax.chain(optax.add_decayed_weights(c.weight_decay), optax.adam(schedule)),
        c.meta_steps,
        key_train,
        max_grad_norm=c.max_grad_norm,
        callback=None if bar is None else (lambda i, loss: bar.update(1)),
    )
    train_wall = time.perf_counter() - start
    if bar is not None:
        bar.close()
    theta = np.asarray(theta)
    learned, oja = evaluate(net, c, jnp.asarray(np.stack([theta, oja_theta()])), key_test)
    wall = time.perf_counter() - start
    ref = oja_theta().ravel()
    cos_theta = float(theta.ravel() @ ref / (np.linalg.norm(theta) * np.linalg.norm(ref) + 1e-300))
    losses = history.loss
    window = max(1, min(20, losses.size // 10))
    order = np.argsort(-np.abs(theta.ravel()))
    summary = {
        "experiment": "metalearn_oja",
        "initial_loss": float(losses[0]),  # θ = 0
        "final_loss": float(np.nanmean(losses[-window:])),  # the last meta-steps
        "loss_drop": float(losses[0] / np.nanmean(losses[-window:])),
        "skipped_meta_steps": int(history.skipped.sum()),
        "test_cos_median": float(np.median(learned["cos"])),
        "test_cos_mean": float(np.mean(learned["cos"])),
        "test_norm_error_mean": float(np.mean(np.abs(learned["norm"] - 1.0))),
        "oja_cos_median": float(np.median(oja["cos"])),
        "oja_cos_mean": float(np.mean(oja["cos"])),
        "oja_norm_error_mean": float(np.mean(np.abs(oja["norm"] - 1.0))),
        "test_loss": _test_loss(learned),
        "oja_test_loss": _test_loss(oja),
        "theta_110": float(theta[1, 1, 0]),
        "theta_021": float(theta[0, 2, 1]),
        "ratio_021_110": float(-theta[0, 2, 1] / theta[1, 1, 0]),
        "largest_terms": [
            "".join(map(str, np.unravel_index(i, (3, 3, 3)))) for i in order[:4].tolist()
        ],
        "cos_theta_oja": cos_theta,
        "train_wall_s": train_wall,
        "meta_step_s": train_wall / max(c.meta_steps, 1),
        "wall_s": wall,
        "config": asdict(c),
    }
    data = {"loss": losses, "theta": theta, "learned": learned, "oja": oja}
    return summary, data


def plot(data: dict, summary: dict, path: Path) -> None:
    """Meta-loss curve, learned θ against Oja's, test |cos| of both rules."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        1, 3, figsize=(15, 4.2), layout="constrained", gridspec_kw={"width_ratios": [1, 2, 1]}
    )
    ax = axes[0]
    loss = data["loss"]
    steps = np.arange(1, loss.size + 1)
    ax.semilogy(steps, loss, color="tab:blue", lw=0.5, alpha=0.5, label="meta-batch")
    width = min(20, loss.size)
    smooth = np.convolve(np.nan_to_num(loss, nan=np.nanmax(loss)), np.ones(width) / width, "valid")
    ax.semilogy(steps[width - 1 :], smooth, color="tab:blue", lw=1.5, label=f"mean of {width}")
    ax.axhline(summary["oja_test_loss"], color="tab:orange", ls="--", label="Oja (test tasks)")
    ax.set(xlabel="meta-step", ylabel="meta-loss", title="meta-training")
    ax.legend()
    ax = axes[1]
    labels = ["".join(map(str, idx)) for idx in np.ndindex(3, 3, 3)]
    positions = np.arange(27)
    ax.bar(positions - 0.2, data["theta"].ravel(), 0.4, label="learned", color="tab:blue")
    ax.bar(positions + 0.2, oja_theta().ravel(), 0.4, label="Oja", color="tab:orange")
    ax.axhline(0.0, color="k", lw=0.5)
    ax.set_xticks(positions, labels, rotation=90, fontsize=8)
    ax.set(
        xlabel="αβγ (term xᵅ·yᵝ·wᵞ)",
        ylabel="θ_αβγ",
        title=f"coefficients (cos(θ, θ_Oja) = {summary['cos_theta_oja']:.3f})",
    )
    ax.legend()
    ax = axes[2]
    bins = np.linspace(min(0.8, data["learned"]["cos"].min(), data["oja"]["cos"].min()), 1, 30)
    ax.hist(data["learned"]["cos"].ravel(), bins, alpha=0.6, label="learned", color="tab:blue")
    ax.hist(data["oja"]["cos"].ravel(), bins, alpha=0.6, label="Oja", color="tab:orange")
    ax.set(xlabel="|cos(w_T, e₁)| on unseen tasks", ylabel="tasks", title="test")
    ax.legend(loc="upper left")
    fig.suptitle(
        f"Meta-learned rule: loss {summary['initial_loss']:.3g} → {summary['final_loss']:.3g}, "
        f"test |cos| median {summary['test_cos_median']:.3f} (Oja {summary['oja_cos_median']:.3f})"
        f", −θ₀₂₁/θ₁₁₀ = {summary['ratio_021_110']:.2f}"
    )
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--meta-steps", type=int, default=600, help="meta-training steps")
    parser.add_argument("--out", type=Path, default=Path("plastix-out/metalearn_oja"))
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _main(args: argparse.Namespace) -> dict:
    if args.meta_steps < 1:
        raise ValueError(f"--meta-steps must be >= 1, got {args.meta_steps}.")
    config = MetalearnOjaConfig(seed=args.seed, meta_steps=args.meta_steps)
    summary, data = run(config, progress=not args.no_progress)
    save_results(args, summary, data)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(data, summary, args.out / "metalearn_oja.png")
    # The file also holds the whole θ (theta[α][β][γ] multiplies xᵅ·yᵝ·wᵞ); the printout omits it.
    full = {**summary, "theta": data["theta"].tolist()}
    (args.out / "summary.json").write_text(json.dumps(full, indent=2) + "\n")
    return summary


EXPERIMENT = register(
    Experiment(
        name="metalearn_oja",
        description="Confavreux et al. (2020): meta-learn Oja's rule by gradient descent",
        add_arguments=_add_arguments,
        main=_main,
    )
)
