"""Regenerate the figures of the documentation site (``docs/figures/*.png``).

Usage, from the repository root::

    python docs/make_figures.py              # every figure (about 10 min on 2 CPU cores)
    python docs/make_figures.py song2000 tsodyks_markram   # some of them
    python docs/make_figures.py --list

Two kinds of figure: the experiments' own figures, made by their command line
(``plastix run NAME --out DIR`` with modest options) and copied here; and small dedicated
simulations for the rules without an experiment, each drawn against the rule's equations
evaluated here in NumPy (float64), independently of the plastix kernels. The script prints
the largest deviation it measured for each of those. Every PNG is kept under 250 KB (a
larger one is re-encoded with a palette, then scaled down). The PNGs are committed; the
documentation build does not run this script.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)  # the reference curves are float64

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import plastix as px  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
SJOSTROM = ROOT.parent / "shared" / "data" / "sjostrom2001_frequency.csv"
MAX_BYTES = 250_000
DPI = 100
plt.rcParams.update(
    {
        "axes.titlesize": 9,
        "axes.labelsize": 9,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.fontsize": 7,
        "figure.constrained_layout.use": True,
    }
)


# -- helpers --------------------------------------------------------------------------------


def _save(fig: plt.Figure, name: str) -> Path:
    """Write ``fig`` as ``docs/figures/NAME.png`` and close it."""
    path = FIGURES / f"{name}.png"
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    _shrink(path)
    return path


def _shrink(path: Path) -> None:
    """Re-encode ``path`` until it is under ``MAX_BYTES``: a palette first, then smaller."""
    from PIL import Image

    if path.stat().st_size <= MAX_BYTES:
        return
    image = Image.open(path).convert("RGB")
    scale = 1.0
    while True:
        size = (round(image.width * scale), round(image.height * scale))
        small = image.resize(size, Image.LANCZOS) if scale < 1 else image
        small.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        if path.stat().st_size <= MAX_BYTES:
            return
        scale *= 0.85


def _cli(name: str, *options: str) -> Path:
    """Run ``plastix run NAME OPTIONS --out TMP`` and copy its PNG to ``docs/figures``."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "plastix.cli", "run", name, *options, "--out", tmp]
        print("  $", " ".join(command[2:]), flush=True)
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        target = FIGURES / f"{name}.png"
        shutil.copyfile(Path(tmp) / f"{name}.png", target)
        summary = json.loads((Path(tmp) / "summary.json").read_text())
        scalars = {k: v for k, v in summary.items() if isinstance(v, int | float | str)}
        print("  summary:", json.dumps(scalars), flush=True)  # the figures the docs quote
    _shrink(target)
    return target


def _pairs_network(
    rule: px.rules.AbstractRule,
    t_pre_arrival: np.ndarray,
    t_post: np.ndarray,
    w0: float | np.ndarray,
    dt: float,
    pre_index: np.ndarray | None = None,
    post_index: np.ndarray | None = None,
    n: int | None = None,
) -> np.ndarray:
    """Final weights of ``n`` one-to-one synapses driven by given spike times.

    A presynaptic spike emitted in step k arrives in step k + 1 (the minimum delay), so it
    is emitted one step before its arrival time.

    Args:
        rule: the plasticity rule of the synapses.
        t_pre_arrival: arrival times of the presynaptic spikes at the synapses [ms].
        t_post: times of the postsynaptic spikes [ms].
        w0: initial weights [weight units].
        dt: time step [ms].
        pre_index, post_index: the synapse of each pre / post spike (default: spike i on
            synapse i).
        n: number of synapses (default: one per presynaptic spike).

    Returns:
        The ``n`` final weights [weight units].
    """
    n = len(t_pre_arrival) if n is None else n
    pre_index = np.arange(n) if pre_index is None else pre_index
    post_index = np.arange(n) if post_index is None else post_index
    net = px.Network(dt=dt)
    pre = net.add(px.Population(px.SpikeTimesInput(t_pre_arrival - dt, pre_index), n))
    post = net.add(px.Population(px.SpikeTimesInput(t_post, post_index), n))
    proj = net.add(px.Projection(pre, post, px.one_to_one(n), rule, weights=w0))
    net.run(float(max(np.max(t_pre_arrival), np.max(t_post)) + 2 * dt), progress=False)
    return np.diag(net.weights(proj))


def _report(what: str, error: float) -> None:
    print(f"  {what}: max |plastix − reference| = {error:.2e}", flush=True)


# -- spike-timing rules ---------------------------------------------------------------------


def pair_stdp_window() -> None:
    """PairSTDP: the window from isolated pairs, and the four pairings on one spike train."""
    dt, tau_p, tau_m, a_p, a_m = 0.1, 20.0, 20.0, 0.01, 0.0105
    lags = np.arange(-100, 101) * 0.5  # Δt = t_post − t_arrival [ms]
    t_arrival = np.full(lags.size, 150.0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    fine = np.linspace(lags.min(), lags.max(), 1001)
    for mu, w0, style, label in (
        (0.0, 0.0, "o", "additive (μ = 0)"),
        (1.0, 0.25, "s", "multiplicative (μ = 1), w₀ = 0.25"),
    ):
        rule = px.PairSTDP(
            tau_p, tau_m, a_p, a_m, w_min=0.0 if mu else -1.0, w_max=1.0, mu_plus=mu, mu_minus=mu
        )
        dw = _pairs_network(rule, t_arrival, t_arrival + lags, w0, dt) - w0

        def window(d: np.ndarray, mu: float = mu, w0: float = w0) -> np.ndarray:
            f_plus, f_minus = (1.0 - w0) ** mu, w0**mu
            return np.where(
                d >= 0, a_p * f_plus * np.exp(-d / tau_p), -a_m * f_minus * np.exp(d / tau_m)
            )

        _report(f"PairSTDP window, {label}", np.max(np.abs(dw - window(lags))))
        for side in (fine < 0, fine >= 0):  # no vertical line across the jump at Δt = 0
            left.plot(fine[side], window(fine[side]), "k-", lw=0.8)
        left.plot(lags[::4], dw[::4], style, ms=3.5, mfc="none", label=f"plastix, {label}")
    left.plot([], [], "k-", lw=0.8, label="a₊·f₊(w)·e^(−Δt/τ₊), −a₋·f₋(w)·e^(Δt/τ₋)")
    left.axhline(0, color="0.7", lw=0.5)
    left.set(
        xlabel="Δt = t_post − t_pre [ms]",
        ylabel="Δw [weight units]",
        title="Isolated pairs, one per synapse\n(a₊ = 0.01, a₋ = 0.0105, τ₊ = τ₋ = 20 ms)",
    )
    left.legend(loc="lower right")

    # One synapse per pairing scheme, all driven by the same random pre and post trains.
    rng = np.random.default_rng(3)
    duration, rate = 2000.0, 20.0  # [ms], [Hz]
    t_pre = np.sort(np.round(rng.uniform(1, duration, rng.poisson(rate * duration / 1e3)), 1))
    t_post = np.sort(np.round(rng.uniform(1, duration, rng.poisson(rate * duration / 1e3)), 1))
    t_pre, t_post = np.unique(t_pre), np.unique(t_post)
    makers = {
        "all-to-all": lambda: px.PairSTDP(20.0, 20.0, 1.0, 1.0, w_min=0, w_max=100.0),
        "stdp_nn_symm": lambda: px.rules.stdp_nn_symm(mu_plus=0.0, mu_minus=0.0, w_max=100.0),
        "stdp_nn_pre_centered": lambda: px.rules.stdp_nn_pre_centered(
            mu_plus=0.0, mu_minus=0.0, w_max=100.0
        ),
        "stdp_nn_restr": lambda: px.rules.stdp_nn_restr(mu_plus=0.0, mu_minus=0.0, w_max=100.0),
    }
    for label, make in makers.items():
        net = px.Network(dt=dt)
        pre = net.add(px.Population(px.SpikeTimesInput(t_pre - dt, np.zeros(t_pre.size, int)), 1))
        post = net.add(px.Population(px.SpikeTimesInput(t_post, np.zeros(t_post.size, int)), 1))
        proj = net.add(px.Projection(pre, post, px.one_to_one(1), make(), weights=50.0))
        monitor = net.add(px.Monitor(proj, "w", every=1.0))
        net.run(duration + 1.0, progress=False)
        right.plot(monitor.t, monitor.values[:, 0], lw=1, label=label)
    right.set(
        xlabel="t [ms]",
        ylabel="w [weight units]",
        title="One synapse, the same 20 Hz pre and post trains,\n"
        "four pairings (a± = λ·w_max = 1, additive)",
    )
    right.legend()
    _save(fig, "pair_stdp_window")


def _sjostrom_spikes(freq: float, lag: float, pairs: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times of the pre spikes and times of the post spikes [ms] of ``pairs``
    pairings at ``freq`` [Hz] with ``Δt = lag`` [ms]."""
    t_pre = 20.0 + np.arange(pairs) * 1000.0 / freq
    return t_pre, t_pre + lag


def _triplet_event_by_event(p: dict, t_pre: np.ndarray, t_post: np.ndarray) -> float:
    """Σ Δw of Pfister & Gerstner's Eq. 3–4, spike by spike in continuous time."""
    tau_plus, tau_minus = p.get("tau_plus", 16.8), p.get("tau_minus", 33.7)
    events = sorted([(t, 0) for t in t_pre] + [(t, 1) for t in t_post])  # pre first on ties
    r1 = r2 = o1 = o2 = 0.0
    last, w = events[0][0], 0.0
    for t, kind in events:
        gap, last = t - last, t
        r1, r2 = r1 * np.exp(-gap / tau_plus), r2 * np.exp(-gap / p["tau_x"])
        o1, o2 = o1 * np.exp(-gap / tau_minus), o2 * np.exp(-gap / p["tau_y"])
        jump = (lambda x: 1.0) if p.get("nearest", False) else (lambda x: x + 1.0)
        if kind == 0:
            w -= o1 * (p["a2_minus"] + p["a3_minus"] * r2)
            r1, r2 = jump(r1), jump(r2)
        else:
            w += r1 * (p["a2_plus"] + p["a3_plus"] * o2)
            o1, o2 = jump(o1), jump(o2)
    return w


def triplet_stdp() -> None:
    """TripletSTDP: Sjöström's frequency protocol against the data; a hippocampal window."""
    dt = 1.0
    freqs = np.array([0.1, 1.0, 5.0, 10.0, 20.0, 25.0, 40.0, 50.0])  # whole-ms periods
    cases = [(f, lag) for lag in (10.0, -10.0) for f in freqs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for preset, color in (("visual_all_to_all_full", "C0"), ("visual_nearest_minimal", "C2")):
        rule = px.TripletSTDP.preset(preset, w_min=-10.0, w_max=10.0)
        pre_t, pre_i, post_t, post_i = [], [], [], []
        for i, (f, lag) in enumerate(cases):
            a, b = _sjostrom_spikes(f, lag)
            pre_t.append(a), post_t.append(b)
            pre_i.append(np.full(a.size, i)), post_i.append(np.full(b.size, i))
        dw = _pairs_network(
            rule,
            np.concatenate(pre_t),
            np.concatenate(post_t),
            0.0,
            dt,
            np.concatenate(pre_i),
            np.concatenate(post_i),
            len(cases),
        )
        params = {**px.rules.TRIPLET_PRESETS[preset]}
        expected = [_triplet_event_by_event(params, *_sjostrom_spikes(f, lag)) for f, lag in cases]
        _report(f"TripletSTDP Sjöström protocol, {preset}", np.max(np.abs(dw - expected)))
        half = freqs.size
        left.plot(freqs, dw[:half], "-o", color=color, ms=3, label=f"{preset}, Δt = +10 ms")
        left.plot(
            freqs, dw[half:], "--s", color=color, ms=3, mfc="none", label=f"{preset}, Δt = −10 ms"
        )
    if SJOSTROM.exists():
        with SJOSTROM.open() as handle:
            rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]
        for lag, marker in ((10.0, "D"), (-10.0, "v")):
            data = [r for r in rows if r["delta_t_ms"] == lag]
            left.errorbar(
                [r["frequency_hz"] for r in data],
                [r["delta_w_fraction"] for r in data],
                [r["sem_fraction"] for r in data],
                fmt=marker,
                color="k",
                ms=4,
                capsize=2,
                label=f"Sjöström et al. 2001, Δt = {lag:+.0f} ms",
            )
    else:
        print(f"  (no data at {SJOSTROM}: the data points are left out)")
    left.axhline(0, color="0.7", lw=0.5)
    left.set(
        xlabel="pairing frequency [Hz]",
        ylabel="Δw after 60 pairings [fraction]",
        title="Sjöström protocol, visual-cortex presets",
    )
    left.legend(fontsize=6.5, loc="upper left")

    params = {**px.rules.TRIPLET_PRESETS["hippocampal_all_to_all_full"]}
    rule = px.TripletSTDP.preset("hippocampal_all_to_all_full", w_min=-10.0, w_max=10.0)
    lags = np.arange(-100, 101, 2.0)
    t_arrival = np.full(lags.size, 100.0)
    dw = _pairs_network(rule, t_arrival, t_arrival + lags, 0.0, dt)
    expected = np.array([_triplet_event_by_event(params, [100.0], [100.0 + d]) for d in lags])
    _report("TripletSTDP isolated pairs, hippocampal preset", np.max(np.abs(dw - expected)))
    for side, label in ((lags < 0, "Eq. 3–4, one pair"), (lags >= 0, None)):
        right.plot(lags[side], expected[side], "k-", lw=0.8, label=label)
    right.plot(lags[::2], dw[::2], "o", ms=3.5, mfc="none", label="plastix")
    right.axhline(0, color="0.7", lw=0.5)
    right.set(
        xlabel="Δt = t_post − t_pre [ms]",
        ylabel="Δw [weight units]",
        title="Isolated pairs, hippocampal_all_to_all_full",
    )
    right.legend()
    _save(fig, "triplet_stdp")


def exp_stdp_window() -> None:
    """ExpSTDP: the weight-dependent window from isolated pairs at three initial weights."""
    dt, tau, a_p, a_m, beta, w_max = 0.1, 20.0, 0.01, 0.01, 3.0, 1.0
    lags = np.arange(-100, 101) * 0.5
    t_arrival = np.full(lags.size, 150.0)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    fine = np.linspace(lags.min(), lags.max(), 1001)
    for ax, x_target in zip(axes, (0.0, 0.3), strict=True):
        for w0, color in ((0.2, "C0"), (0.5, "C1"), (0.8, "C3")):
            rule = px.ExpSTDP(tau, tau, 1.0, a_p, a_m, beta, x_target, w_max, nearest=False)
            dw = _pairs_network(rule, t_arrival, t_arrival + lags, w0, dt) - w0

            def window(d: np.ndarray, w0: float = w0, x_target: float = x_target) -> np.ndarray:
                # Δt ≥ 0: the pre arrival finds y = 0, the post spike finds x = e^(−Δt/τ).
                # Δt < 0: the post spike finds x = 0 (only the target term acts), then the
                # pre arrival finds y = e^(Δt/τ) and the weight the post spike left.
                def ltp(w: float | np.ndarray, x: float | np.ndarray) -> np.ndarray:
                    return a_p * (x * np.exp(-beta * w) - x_target * np.exp(-beta * (w_max - w)))

                after_post = w0 + ltp(w0, 0.0)
                ltd = -a_m * np.exp(d / tau) * np.exp(-beta * after_post)
                return np.where(d >= 0, ltp(w0, np.exp(-d / tau)), after_post - w0 + ltd)

            _report(
                f"ExpSTDP window, w0 = {w0}, x_target = {x_target}",
                np.max(np.abs(dw - window(lags))),
            )
            for side in (fine < 0, fine >= 0):
                ax.plot(fine[side], window(fine[side]), "-", color=color, lw=0.8)
            ax.plot(lags[::4], dw[::4], "o", color=color, ms=3, mfc="none", label=f"w₀ = {w0}")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.set(
            xlabel="Δt = t_post − t_pre [ms]",
            title=f"β = {beta}, x_target = {x_target} (lines: equations)",
        )
        ax.legend(title="plastix", title_fontsize=7)
    axes[0].set_ylabel("Δw [weight units]")
    _save(fig, "exp_stdp_window")


def inhibitory_stdp_drift() -> None:
    """InhibitorySTDP: the mean drift against the postsynaptic rate changes sign at ρ₀."""
    dt, tau, eta, rho0 = 1.0, 20.0, 1e-3, 5.0
    post_rates = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    fig, ax = plt.subplots(figsize=(5.4, 3.6))
    for rho_pre, color in ((2.0, "C0"), (10.0, "C1"), (50.0, "C3")):
        per_rate, duration = 100, 200_000.0  # synapses per point, [ms]: 2·10⁴ synapse·s
        n_post = post_rates.size
        net = px.Network(dt=dt, seed=int(rho_pre))
        pre = net.add(px.Population(px.PoissonInput(rho_pre), per_rate * n_post))
        post = net.add(px.Population(px.PoissonInput(post_rates), n_post))
        conn = px.from_indices(
            np.arange(per_rate * n_post),
            np.repeat(np.arange(n_post), per_rate),
            per_rate * n_post,
            n_post,
            format="csr",
        )
        rule = px.InhibitorySTDP(tau=tau, eta=eta, rho0=rho0, w_min=-1e9, w_max=1e9)
        proj = net.add(px.Projection(pre, post, conn, rule, weights=0.0))
        net.run(duration, chunk_size=50_000, progress=False)
        w = net.weights(proj)[np.arange(per_rate * n_post), np.repeat(np.arange(n_post), per_rate)]
        drift = w.reshape(n_post, per_rate).mean(axis=1) / (duration / 1000.0)  # [w/s]
        scale = eta * rho_pre * 2 * tau / 1000.0  # η·ρ_pre·2τ [w/Hz/s]; τ in s
        slope, offset = np.polyfit(post_rates, drift / scale, 1)
        print(
            f"  ρ_pre = {rho_pre:g} Hz: zero crossing {-offset / slope:.2f} Hz, slope {slope:.3f}"
        )
        ax.plot(
            post_rates,
            drift / scale,
            "o",
            color=color,
            ms=4,
            mfc="none",
            label=f"plastix, ρ_pre = {rho_pre:g} Hz",
        )
    ax.plot(post_rates, post_rates - rho0, "k-", lw=0.8, label="ρ_post − ρ₀ (independent Poisson)")
    ax.axhline(0, color="0.7", lw=0.5)
    ax.axvline(rho0, color="0.7", lw=0.5, ls=":")
    ax.set(
        xlabel="postsynaptic rate ρ_post [Hz]",
        ylabel="⟨dw/dt⟩ / (η·ρ_pre·2τ) [Hz]",
        title="Vogels rule, ρ₀ = 5 Hz, 2·10⁴ synapse·s per point",
    )
    ax.legend()
    _save(fig, "inhibitory_stdp_drift")


# -- rate rules, homeostasis, short-term plasticity ------------------------------------------


def rate_rules() -> None:
    """Oja: |cos(w, e₁)| and ‖w‖ against time; BCM: the responses to K patterns."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    n, eta, steps, learners = 10, 0.002, 3000, 5
    rng = np.random.default_rng(0)
    eigenvalues = np.concatenate([[3.0], np.linspace(1.0, 0.1, n - 1)])
    bases = [np.linalg.qr(rng.normal(size=(n, n)))[0] for _ in range(learners)]
    cov = np.zeros((n * learners, n * learners))
    for j, basis in enumerate(bases):
        cov[j * n : (j + 1) * n, j * n : (j + 1) * n] = (basis * eigenvalues) @ basis.T
    net = px.Network(dt=1.0, seed=0)
    x = net.add(px.Population(px.GaussianRateInput(cov), n * learners))
    y = net.add(px.Population(px.RateNeuron("linear"), learners))
    inputs = np.arange(n * learners)
    conn = px.from_indices(inputs, inputs // n, n * learners, learners, format="csr")
    proj = net.add(px.Projection(x, y, conn, px.Oja(eta), weights=rng.normal(0, 0.3, n * learners)))
    monitor = net.add(px.Monitor(proj, "w", every=10.0))
    net.run(float(steps + 1), progress=False)
    w = monitor.values.reshape(-1, learners, n)  # canonical order: learner j's inputs together
    e1 = np.stack([b[:, 0] for b in bases])
    norm = np.linalg.norm(w, axis=2)
    cosine = np.abs(np.einsum("tjn,jn->tj", w, e1)) / norm
    print(f"  Oja: final |cos| {np.round(cosine[-1], 4)}, ‖w‖ {np.round(norm[-1], 4)}")
    for j in range(learners):
        left.plot(monitor.t, cosine[:, j], "C0", lw=0.8, label="|cos(w, e₁)|" if j == 0 else None)
        left.plot(monitor.t, norm[:, j], "C1", lw=0.8, label="‖w‖" if j == 0 else None)
    left.axhline(1.0, color="k", lw=0.5, ls=":")
    left.set(
        xlabel="t [ms] (one sample per 1 ms step)",
        ylabel="dimensionless",
        title=f"Oja, n = {n}, η = {eta}, eigengap 2, {learners} learners",
    )
    left.legend()

    k, dim, y0, presentations = 4, 10, 1.0, 60_000
    rng = np.random.default_rng(1)
    patterns = np.zeros((k, dim))
    for j, support in enumerate(np.array_split(rng.permutation(dim), k)):
        patterns[j, support] = rng.uniform(0.5, 1.5, support.size)
    patterns /= np.linalg.norm(patterns, axis=1, keepdims=True)
    rows = np.zeros((presentations + 1, dim))
    rows[:-1] = patterns[rng.integers(0, k, presentations)]
    net = px.Network(dt=1.0)
    x = net.add(px.Population(px.RateArrayInput(rows), dim))
    y = net.add(px.Population(px.RateNeuron("linear"), 1))
    rule = px.BCM(eta=0.001, tau_theta=100.0, y0=y0)
    proj = net.add(
        px.Projection(x, y, px.all_to_all(dim, 1), rule, weights=rng.uniform(0.0, 1.0, dim))
    )
    monitor = net.add(px.Monitor(proj, "w", every=100.0))
    net.run(float(presentations + 1), chunk_size=20_000, progress=False)
    responses = monitor.values @ patterns.T  # y to each pattern with the weights of time t
    print(f"  BCM: final responses / (K·y0) {np.round(responses[-1] / (k * y0), 4)}")
    for j in range(k):
        right.plot(monitor.t / 1000.0, responses[:, j], lw=1, label=f"pattern {j + 1}")
    right.axhline(k * y0, color="k", lw=0.5, ls=":", label="K·y0")
    right.set(
        xlabel="t [s] (one presentation per 1 ms step)",
        ylabel="response y = wᵀx",
        title=f"BCM, K = {k} orthonormal patterns, η = 0.001, τ_θ = 100 ms",
    )
    right.legend()
    _save(fig, "rate_rules")


def homeostasis() -> None:
    """SynapticScaling: two groups of LIF neurons reach the target rate from either side;
    WeightNormalization: the incoming sums under STDP, with and without it."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    target, bin_ms = 10.0, 2000.0
    for w_init, color in ((0.5, "C0"), (40.0, "C3")):
        for eta, style in ((2e-5, "-"), (0.0, ":")):
            net = px.Network(dt=1.0, seed=2)
            inputs = net.add(px.Population(px.PoissonInput(20.0), 200))
            cells = net.add(px.Population(px.LIF(tau_syn_exc=5.0), 4))
            rule = px.rules.SynapticScaling(target=target, eta=eta, tau_rate=2000.0, period=100.0)
            net.add(px.Projection(inputs, cells, px.all_to_all(200, 4), rule, weights=w_init))
            spikes = net.add(px.Monitor(cells))
            net.run(60_000.0, chunk_size=20_000, progress=False)
            edges = np.arange(0.0, 60_000.0 + bin_ms, bin_ms)
            rate = np.histogram(spikes.t, edges)[0] / 4 / (bin_ms / 1000.0)
            label = f"w₀ = {w_init:g} pA, " + ("scaling" if eta else "no scaling")
            left.plot(edges[:-1] / 1000.0 + 1.0, rate, style, color=color, lw=1, label=label)
    left.axhline(target, color="k", lw=0.5, ls="--", label="target 10 Hz")
    left.set_yscale("symlog", linthresh=1.0)
    left.set_ylim(bottom=0.0)
    left.set(
        xlabel="t [s]",
        ylabel="output rate [Hz] (2 s bins)",
        title="SynapticScaling toward 10 Hz,\n200 Poisson inputs (20 Hz) → 4 LIF",
    )
    left.legend(fontsize=6.5, loc="center right")

    total, n_in = 4000.0, 100  # [pA]: a mean weight of 40 pA keeps the neurons firing
    for normalise, style in ((True, "-"), (False, ":")):
        net = px.Network(dt=1.0, seed=4)
        inputs = net.add(px.Population(px.PoissonInput(20.0), n_in))
        cells = net.add(px.Population(px.LIF(tau_syn_exc=5.0), 3))
        stdp = px.PairSTDP(20.0, 20.0, 1.0, 1.05, w_min=0.0, w_max=150.0)
        rule = px.chain(stdp, px.rules.WeightNormalization(total=total, period=500.0))
        proj = net.add(
            px.Projection(
                inputs,
                cells,
                px.all_to_all(n_in, 3),
                rule if normalise else stdp,
                weights=px.initializers.uniform(20.0, 60.0),
            )
        )
        monitor = net.add(px.Monitor(proj, "w", every=50.0))
        spikes = net.add(px.Monitor(cells))
        net.run(20_000.0, progress=False)
        sums = monitor.values.reshape(-1, n_in, 3).sum(axis=1)  # canonical (pre, post) order
        print(
            f"  normalise={normalise}: output rate {spikes.t.size / 3 / 20.0:.1f} Hz, final "
            f"sums {np.round(sums[-1], 1)} pA"
        )
        label = "chain(PairSTDP, WeightNormalization)" if normalise else "PairSTDP alone"
        for j in range(3):
            right.plot(
                monitor.t / 1000.0,
                sums[:, j],
                style,
                color=f"C{j}",
                lw=1,
                label=label if j == 0 else None,
            )
    right.axhline(total, color="k", lw=0.5, ls="--", label=f"total = {total:g} pA")
    right.set(
        xlabel="t [s]",
        ylabel="Σᵢ wᵢⱼ, incoming weights of neuron j [pA]",
        title=f"WeightNormalization every 500 ms after PairSTDP,\n"
        f"{n_in} Poisson inputs (20 Hz) → 3 LIF",
    )
    right.legend()
    _save(fig, "homeostasis")


def tsodyks_markram() -> None:
    """TsodyksMarkram: what each spike of a train transmits, against the event-by-event
    equations, for the depressing and the facilitating parameter sets."""
    dt, tau_syn = 0.1, 2.0
    train = np.concatenate([20.0 + np.arange(10) * 50.0, [20.0 + 9 * 50.0 + 500.0]])  # 20 Hz
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, (name, stp) in zip(
        axes,
        (
            ("depressing", px.TsodyksMarkram.depressing()),
            ("facilitating", px.TsodyksMarkram.facilitating()),
        ),
        strict=True,
    ):
        net = px.Network(dt=dt)
        pre = net.add(px.Population(px.SpikeTimesInput(train - dt, np.zeros(train.size, int)), 1))
        cell = net.add(px.Population(px.LIF(v_th=1e6, tau_syn_exc=tau_syn), 1))
        net.add(px.Projection(pre, cell, px.one_to_one(1), stp, weights=1.0))
        current = net.add(px.Monitor(cell, "i_exc"))
        net.run(float(train[-1] + 5.0), progress=False)
        i = current.values[:, 0]  # recorded after the step's decay: (i_prev + input)·P
        delivered = i / np.exp(-dt / tau_syn) - np.concatenate([[0.0], i[:-1]])
        steps = np.round(train / dt).astype(int)
        got = delivered[steps]
        # The equations, spike by spike: u⁺ = u⁻ + U(1 − u⁻), PSC = u⁺R⁻, R⁺ = R⁻(1 − u⁺).
        p = {"U": float(stp.U), "tau_rec": float(stp.tau_rec), "tau_fac": float(stp.tau_fac)}
        u, r, last, expected = 0.0, 1.0, None, []
        for t in train:
            if last is not None:
                gap = t - last
                u = u * np.exp(-gap / p["tau_fac"]) if p["tau_fac"] > 0 else 0.0
                r = 1.0 - (1.0 - r) * np.exp(-gap / p["tau_rec"])
            u = u + p["U"] * (1.0 - u)
            expected.append(u * r)
            r, last = r * (1.0 - u), t
        expected = np.array(expected)
        _report(f"TsodyksMarkram {name}", np.max(np.abs(got - expected)))
        numbers = np.arange(1, train.size + 1)
        ax.bar(numbers, expected, color="0.85", label="equations (u⁺·R⁻)")
        ax.plot(numbers, got, "o", color="C0", ms=5, mfc="none", label="plastix (delivered / w)")
        ax.set_xticks(numbers, [*map(str, numbers[:-1]), "11\n(+500 ms)"])
        ax.set(
            xlabel="spike number (20 Hz train, then one 500 ms later)",
            ylabel="transmitted / w [dimensionless]",
            title=f"{name}: U = {p['U']}, τ_rec = {p['tau_rec']:g} ms, τ_fac = {p['tau_fac']:g} ms",
        )
        ax.legend()
    _save(fig, "tsodyks_markram")


# -- the experiments -------------------------------------------------------------------------


FIGURE_MAKERS: dict[str, Callable[[], object]] = {
    "pair_stdp_window": pair_stdp_window,
    "triplet_stdp": triplet_stdp,
    "exp_stdp_window": exp_stdp_window,
    "inhibitory_stdp_drift": inhibitory_stdp_drift,
    "rate_rules": rate_rules,
    "homeostasis": homeostasis,
    "tsodyks_markram": tsodyks_markram,
    "song2000": lambda: _cli("song2000", "--duration", "100", "--no-progress"),
    "clopath_pairing": lambda: _cli("clopath_pairing"),
    "graupner_brunel": lambda: _cli("graupner_brunel", "--repetitions", "200"),
    "vogels2011": lambda: _cli("vogels2011", "--duration", "10", "--no-progress"),
    "izhikevich2007": lambda: _cli("izhikevich2007", "--duration", "300", "--no-progress"),
    "diehl_cook_digits": lambda: _cli("diehl_cook_digits", "--no-progress"),
    "metalearn_oja": lambda: _cli("metalearn_oja", "--no-progress"),
    "metalearn_stdp": lambda: _cli("metalearn_stdp", "--no-progress"),
}


def main(argv: list[str] | None = None) -> int:
    """Make the figures named in ``argv`` (all by default); returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="figures to make (default: all)")
    parser.add_argument("--list", action="store_true", help="list the figures and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(FIGURE_MAKERS))
        return 0
    unknown = sorted(set(args.names) - set(FIGURE_MAKERS))
    if unknown:
        parser.error(f"unknown figures {unknown}; known: {sorted(FIGURE_MAKERS)}")
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name in args.names or FIGURE_MAKERS:
        start = time.perf_counter()
        print(f"{name} …", flush=True)
        FIGURE_MAKERS[name]()
        size = (FIGURES / f"{name}.png").stat().st_size
        print(
            f"  wrote docs/figures/{name}.png ({size / 1000:.0f} KB) in "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
