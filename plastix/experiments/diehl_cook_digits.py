"""Diehl & Cook (2015): unsupervised digit learning with STDP (VALIDATION §11).

64 Poisson inputs (the 8×8 digits bundled with scikit-learn, pixel/16 · 255 Hz) drive
``n_exc`` excitatory conductance LIF neurons with adaptive thresholds through plastic
synapses; each excitatory neuron excites its own inhibitory neuron (one-to-one), which
inhibits every other excitatory neuron, so the neurons compete and each learns a
prototype of a digit. After one epoch over the training images (each shown for 350 ms,
then 150 ms of rest), every neuron is labelled with the class it responds to most, and
a test image is classified by the labelled neurons' mean spike counts.

Diehl & Cook's own learning rule (their Brian code) is, with nearest-spike traces set to
1 at their neuron's spike (``pre``: tau 20 ms; ``post1``: 20 ms; ``post2``: 40 ms)::

    pre spike arrives:  pre = 1;  w -= nu_pre · post1
    post spike:         w += nu_post · pre · post2_before;  post1 = 1;  post2 = 1

clipped to [0, w_max], with nu_pre = 1e-4, nu_post = 1e-2, w_max = 1. It is exactly
``TripletSTDP(tau_plus=20, tau_minus=20, tau_y=40, a2_plus=0, a3_plus=1e-2,
a2_minus=1e-4, a3_minus=0, w_min=0, w_max=1, nearest=True)``: at a pre arrival the
triplet rule subtracts ``o1·(a2_minus + a3_minus·r2) = nu_pre·post1`` (``o1`` is the
post trace with ``tau_minus`` = 20 ms); at a post spike it adds ``r1·(a2_plus +
a3_plus·o2) = nu_post·pre·post2_before`` (``r1``: pre trace, ``tau_plus`` = 20 ms;
``o2``: post trace, ``tau_y`` = 40 ms, read before this spike's reset to 1). ``tau_x``
plays no part because ``a3_minus = 0``.

Neurons (Diehl & Cook's Brian code; conductances in units of the leak conductance):
excitatory ``tau_m`` 100 ms, rest and reset −65 mV, threshold −52 mV + theta, E_exc 0,
E_inh −100 mV, refractory 5 ms, ``theta += 0.05`` mV per spike decaying with 10⁷ ms;
inhibitory ``tau_m`` 10 ms, rest −60 mV, reset −45 mV, threshold −40 mV, E_inh −85 mV,
refractory 2 ms; both ``tau_ge`` 1 ms and ``tau_gi`` 2 ms. E→I weight 10.4, I→E 17.0
(one step of delay), input weights drawn uniformly in [0.003, 0.3] with delays uniform in
[dt, 10 ms], and the sum of the input weights of each excitatory neuron normalised to
``weight_total`` before each presentation (Diehl & Cook: 78 for 784 inputs; not clipped,
the rule clips at its next update). An image that makes fewer than 5 excitatory spikes in
all is shown again with every rate raised by half the base rate (their +32 Hz on a
0–63.75 Hz scale). The membrane is integrated with exponential Euler at ``dt`` = 0.5 ms
(their step).

As in Diehl & Cook's evaluation, the neurons are labelled from a second pass over the
training images with the learned weights and thresholds frozen (``label_pass="frozen"``;
``"training"`` uses the counts of the training presentations instead), and the test
images are then shown to the same frozen network. The frozen network is a second
``Network`` with static input synapses and ``theta_plus = 0``, ``tau_theta = inf``, into
which the learned weights and thresholds are written (``set_weights``, ``set_state``).

References:
    Diehl & Cook (2015), Front. Comput. Neurosci. 9:99; github.com/peter-u-diehl/stdp-mnist.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import connectivity, initializers
from ..inputs import PoissonInput
from ..network import Monitor, Network, Population, Projection
from ..neurons import LIFCond
from ..rules import ExpSTDP, TripletSTDP
from ..rules._base import AbstractRule
from ._registry import Experiment, register, save_results

N_CLASSES = 10
N_PIXELS = 64


@dataclass(frozen=True)
class DiehlCookConfig:
    """Parameters of the experiment (VALIDATION §11; units in brackets)."""

    seed: int = 1
    n_exc: int = 100
    n_train: int = 1297  # images of the training split, shown once each
    n_test: int = 500  # images of the test split
    rule: str = "dc_trace"  # "dc_trace" (Diehl & Cook's rule) or "exp" (ExpSTDP)
    dt: float = 0.5  # [ms]
    max_rate: float = 255.0  # [Hz] at pixel value 16
    presentation: float = 350.0  # [ms]
    rest: float = 150.0  # [ms]
    weight_total: float = 20.0  # sum of the 64 incoming weights of an excitatory neuron
    min_spikes: int = 5  # excitatory spikes (all neurons) below which an image is repeated
    rate_step: float = 0.5  # rate increase per repeat [fraction of the base rates]
    max_repeats: int = 8
    theta_plus: float = 0.05  # [mV]
    tau_theta: float = 1e7  # [ms]
    w_exc_inh: float = 10.4
    w_inh_exc: float = 17.0
    w_init: tuple[float, float] = (0.003, 0.3)
    input_delay: float = 10.0  # [ms] input delays uniform in [dt, input_delay]; 0: one step
    label_pass: str = "frozen"  # "frozen": a second pass over the training set with
    # plasticity and threshold adaptation off; "training": the training presentations


def load_digits_split(n_train: int, n_test: int) -> tuple[np.ndarray, ...]:
    """The fixed split of scikit-learn's 8×8 digits: the first 1297 images train, the last
    500 test (pixels 0–16, shape ``[n, 64]``); the first ``n_train`` / ``n_test`` of each."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x, y = digits.data.astype(float), digits.target.astype(int)
    if not (1 <= n_train <= 1297 and 1 <= n_test <= 500):
        raise ValueError(
            f"n_train must be in 1..1297 and n_test in 1..500, got {n_train} and {n_test}."
        )
    return x[:n_train], y[:n_train], x[1297 : 1297 + n_test], y[1297 : 1297 + n_test]


def make_rule(config: DiehlCookConfig) -> AbstractRule:
    """Diehl & Cook's trace rule as TripletSTDP (``"dc_trace"``), or ExpSTDP (``"exp"``)."""
    if config.rule == "dc_trace":
        return TripletSTDP(
            tau_plus=20.0,
            tau_minus=20.0,
            tau_x=20.0,  # unused: a3_minus = 0
            tau_y=40.0,
            a2_plus=0.0,
            a3_plus=1e-2,
            a2_minus=1e-4,
            a3_minus=0.0,
            w_min=0.0,
            w_max=1.0,
            nearest=True,
        )
    if config.rule == "exp":
        # ngc-learn's ExpSTDPSynapse in its Diehl & Cook model: weight-dependent,
        # nearest-spike traces, the same amplitudes as the trace rule.
        return ExpSTDP(
            tau_plus=20.0,
            tau_minus=20.0,
            eta=1.0,
            a_plus=1e-2,
            a_minus=1e-4,
            beta=1.0,
            x_target=0.0,
            w_max=1.0,
            nearest=True,
        )
    raise ValueError(f"rule must be 'dc_trace' or 'exp', got {config.rule!r}.")


def normalise(w: np.ndarray, total: float) -> np.ndarray:
    """Scale each column (the incoming weights of one neuron) to sum to ``total``."""
    sums = w.sum(axis=0, keepdims=True)
    return w * (total / np.where(sums > 0, sums, 1.0))


def build(config: DiehlCookConfig, plastic: bool = True) -> tuple[Network, dict]:
    """The network; ``plastic=False`` gives the test network (static input synapses,
    thresholds kept at the values written into it with ``set_state``)."""
    c = config
    net = Network(dt=c.dt, seed=c.seed)
    top = c.max_rate * (1.0 + c.rate_step * c.max_repeats)
    # Built with the highest rate ever shown, so the spike buffers are sized for it; the
    # rates of each image are then set with set_param (no recompilation).
    inputs = net.add(Population(PoissonInput(np.full(N_PIXELS, top)), N_PIXELS, name="inputs"))
    exc = LIFCond(
        tau_m=100.0,
        e_leak=-65.0,
        v_th=-52.0,
        v_reset=-65.0,
        e_exc=0.0,
        e_inh=-100.0,
        tau_exc=1.0,
        tau_inh=2.0,
        t_ref=5.0,
        theta_plus=c.theta_plus if plastic else 0.0,
        tau_theta=c.tau_theta if plastic else float("inf"),
    )
    inh = LIFCond(
        tau_m=10.0,
        e_leak=-60.0,
        v_th=-40.0,
        v_reset=-45.0,
        e_exc=0.0,
        e_inh=-85.0,
        tau_exc=1.0,
        tau_inh=2.0,
        t_ref=2.0,
    )
    exc = net.add(Population(exc, c.n_exc, name="exc"))
    inh = net.add(Population(inh, c.n_exc, name="inh"))
    synapses = net.add(
        Projection(
            inputs,
            exc,
            connectivity.all_to_all(N_PIXELS, c.n_exc),
            make_rule(c) if plastic else None,
            weights=initializers.uniform(*c.w_init),
            delay=initializers.uniform(c.dt, c.input_delay) if c.input_delay > 0 else None,
            name="input_exc",
        )
    )
    net.add(Projection(exc, inh, connectivity.one_to_one(c.n_exc), weights=c.w_exc_inh, name="e_i"))
    net.add(
        Projection(
            inh,
            exc,
            connectivity.all_to_all(c.n_exc, c.n_exc, allow_autapses=False),
            weights=c.w_inh_exc,
            receptor="inh",
            name="i_e",
        )
    )
    spikes = net.add(Monitor(exc))
    return net, {"inputs": inputs, "exc": exc, "synapses": synapses, "spikes": spikes}


def present(
    net: Network, parts: dict, rates: np.ndarray, config: DiehlCookConfig, learn: bool
) -> tuple[np.ndarray, int]:
    """Show one image (``rates`` [Hz]) and let the network rest; repeat it at higher rates
    while it evokes fewer than ``min_spikes`` spikes. Returns the spike count of each
    excitatory neuron in the last presentation and the number of repeats."""
    c = config
    n_present = round(c.presentation / c.dt)
    n_rest = round(c.rest / c.dt)
    monitor, synapses = parts["spikes"], parts["synapses"]
    for repeat in range(c.max_repeats + 1):
        if learn:  # Diehl & Cook normalise before every presentation
            net.set_weights(synapses, normalise(net.weights(synapses), c.weight_total))
        net.set_param(parts["inputs"], "rate", rates * (1.0 + c.rate_step * repeat))
        seen = monitor.i.size
        net.run(c.presentation, chunk_size=n_present, progress=False)
        counts = np.bincount(monitor.i[seen:], minlength=c.n_exc)
        net.set_param(parts["inputs"], "rate", np.zeros(N_PIXELS))
        net.run(c.rest, chunk_size=n_rest, progress=False)
        if counts.sum() >= c.min_spikes:
            break
    return counts, repeat


def assign_labels(counts: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each neuron's class: the one with the highest mean response (Diehl & Cook)."""
    means = np.stack(
        [
            counts[labels == k].mean(axis=0) if np.any(labels == k) else np.zeros(counts.shape[1])
            for k in range(N_CLASSES)
        ]
    )
    return np.argmax(means, axis=0)


def predict(counts: np.ndarray, assignments: np.ndarray) -> np.ndarray:
    """The class whose neurons spike most on average (classes without neurons score 0)."""
    scores = np.zeros((counts.shape[0], N_CLASSES))
    for k in range(N_CLASSES):
        members = assignments == k
        if np.any(members):
            scores[:, k] = counts[:, members].mean(axis=1)
    return np.argmax(scores, axis=1)


def _pass(
    net: Network,
    parts: dict,
    images: np.ndarray,
    config: DiehlCookConfig,
    learn: bool,
    progress: bool,
    what: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Present ``images`` in order; per image, the neurons' spike counts and repeats."""
    from tqdm.auto import tqdm

    counts, repeats = [], []
    for image in tqdm(images, desc=what, leave=False, disable=not progress):
        c, r = present(net, parts, image / 16.0 * config.max_rate, config, learn)
        counts.append(c)
        repeats.append(r)
    return np.array(counts), np.array(repeats)


def run(config: DiehlCookConfig, progress: bool = True) -> tuple[dict, dict]:
    """Train for one epoch, label the neurons, test; returns the summary and the data."""
    c = config
    if c.label_pass not in ("frozen", "training"):
        raise ValueError(f"label_pass must be 'frozen' or 'training', got {c.label_pass!r}.")
    if c.input_delay != 0 and not c.dt <= c.input_delay < float("inf"):
        raise ValueError(f"input_delay must be 0 or >= dt = {c.dt} ms, got {c.input_delay}.")
    x_train, y_train, x_test, y_test = load_digits_split(c.n_train, c.n_test)
    start = time.perf_counter()
    net, parts = build(c, plastic=True)
    train_counts, train_repeats = _pass(net, parts, x_train, c, True, progress, "train")
    weights = normalise(net.weights(parts["synapses"]), c.weight_total)
    theta = net.get_state(parts["exc"])["theta"]
    train_s = time.perf_counter() - start
    test_net, test_parts = build(c, plastic=False)
    test_net.set_weights(test_parts["synapses"], weights)
    test_net.set_state(test_parts["exc"], theta=theta)
    if c.label_pass == "frozen":
        train_counts, _ = _pass(test_net, test_parts, x_train, c, False, progress, "label")
    assignments = assign_labels(train_counts, y_train)
    label_s = time.perf_counter() - start - train_s
    test_counts, test_repeats = _pass(test_net, test_parts, x_test, c, False, progress, "test")
    wall = time.perf_counter() - start
    predicted = predict(test_counts, assignments)
    confusion = np.zeros((N_CLASSES, N_CLASSES), int)
    np.add.at(confusion, (y_test, predicted), 1)
    per_class = [
        float(confusion[k, k] / confusion[k].sum()) if confusion[k].sum() else None
        for k in range(N_CLASSES)
    ]
    summary = {
        "experiment": "diehl_cook_digits",
        "test_accuracy": float(np.mean(predicted == y_test)),
        "per_class_accuracy": per_class,
        "confusion": confusion.tolist(),
        "neuron_labels": assignments.tolist(),
        "neurons_per_class": np.bincount(assignments, minlength=N_CLASSES).tolist(),
        "spikes_per_image_train": float(train_counts.sum(axis=1).mean()),
        "spikes_per_image_test": float(test_counts.sum(axis=1).mean()),
        "test_spike_counts": test_counts.sum(axis=1).tolist(),  # excitatory, per image
        "repeated_images_train": int(np.count_nonzero(train_repeats)),
        "repeated_images_test": int(np.count_nonzero(test_repeats)),
        "theta_mean_mv": float(theta.mean()),
        "theta_max_mv": float(theta.max()),
        "n_train": c.n_train,
        "n_test": c.n_test,
        "wall_s": wall,
        "wall_train_s": train_s,
        "wall_label_s": label_s,
        "wall_test_s": wall - train_s - label_s,
        "config": asdict(c),
    }
    data = {"weights": weights, "assignments": assignments, "confusion": confusion}
    return summary, data


def plot(config: DiehlCookConfig, data: dict, summary: dict, path: Path) -> None:
    """Write the figure: every excitatory neuron's receptive field and the confusion."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import plot as pxplot

    n = config.n_exc
    fig, axes = plt.subplots(
        1, 2, figsize=(13, 6.6), layout="constrained", gridspec_kw={"width_ratios": [1.15, 1]}
    )
    ax = pxplot.receptive_fields(
        data["weights"], (8, 8), labels=list(data["assignments"]), ax=axes[0]
    )
    ax.set(title=f"receptive fields of the {n} excitatory neurons (label top left)")
    ax = axes[1]
    confusion = data["confusion"]
    ax.imshow(confusion, cmap="Blues")
    for (i, k), value in np.ndenumerate(confusion):
        if value:
            colour = "white" if value > confusion.max() / 2 else "black"
            ax.text(k, i, str(value), ha="center", va="center", fontsize=8, color=colour)
    ax.set(
        xticks=range(N_CLASSES),
        yticks=range(N_CLASSES),
        xlabel="predicted",
        ylabel="true",
        title=f"test confusion (accuracy {summary['test_accuracy']:.1%}, "
        f"{summary['n_test']} images)",
    )
    fig.suptitle("Diehl & Cook (2015): unsupervised STDP on the 8×8 digits")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n-exc", type=int, default=100, help="excitatory neurons")
    parser.add_argument("--n-train", type=int, default=1297, help="training images (<= 1297)")
    parser.add_argument("--n-test", type=int, default=500, help="test images (<= 500)")
    parser.add_argument("--rule", choices=("dc_trace", "exp"), default="dc_trace")
    parser.add_argument("--label-pass", choices=("frozen", "training"), default="frozen")
    parser.add_argument(
        "--input-delay",
        type=float,
        default=10.0,
        help="largest input delay [ms] (Diehl & Cook: 10); 0: one step, about 3x faster",
    )
    parser.add_argument("--out", type=Path, default=Path("plastix-out/diehl_cook_digits"))
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _main(args: argparse.Namespace) -> dict:
    if args.n_exc < 1:
        raise ValueError(f"--n-exc must be >= 1, got {args.n_exc}.")
    if not 0 <= args.input_delay < float("inf"):
        raise ValueError(f"--input-delay must be a time >= 0 [ms], got {args.input_delay}.")
    config = DiehlCookConfig(
        seed=args.seed,
        n_exc=args.n_exc,
        n_train=args.n_train,
        n_test=args.n_test,
        rule=args.rule,
        label_pass=args.label_pass,
        input_delay=args.input_delay,
    )
    summary, data = run(config, progress=not args.no_progress)
    save_results(args, summary, data)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(config, data, summary, args.out / "diehl_cook_digits.png")
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    bulky = ("confusion", "neuron_labels", "test_spike_counts")  # in summary.json only
    return {key: value for key, value in summary.items() if key not in bulky}


EXPERIMENT = register(
    Experiment(
        name="diehl_cook_digits",
        description="Diehl & Cook (2015) unsupervised STDP digit learning on the 8x8 digits",
        add_arguments=_add_arguments,
        main=_main,
    )
)
