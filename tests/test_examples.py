"""The runnable examples in ``examples/``: each ``main`` runs short and its summary holds.

The scripts are imported by path and run in this process (a subprocess would pay JAX's
start-up per script). Expected values come from the formulas, not from the examples.
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(
        f"plastix_example_{name}", EXAMPLES / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_figures(out: Path, summary: dict, expected: set[str]) -> None:
    """The summary names the expected figures, and each is a PNG of real content."""
    assert set(summary["figures"]) == expected
    for name in expected:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC), name
        assert len(data) > 20_000, f"{name} is only {len(data)} bytes"
    assert (out / "summary.json").stat().st_size > 100


# -- the STDP window ----------------------------------------------------------------------------

N_TRIALS = 21  # t_pre every 5 ms from 100 to 0: Δt = 0 is among them


@pytest.fixture(scope="module")
def window(tmp_path_factory):
    out = tmp_path_factory.mktemp("stdp_window")
    module = load_example("stdp_window")
    summary = module.main(["--duration", str(N_TRIALS * 0.105), "--out", str(out)])
    return summary, out


def test_stdp_window_matches_the_analytic_window(window):
    summary, out = window
    assert summary["n_trials"] == N_TRIALS
    lag = 50.0 - np.linspace(100.0, 0.0, N_TRIALS)  # Δt = t_post − t_pre [ms]
    np.testing.assert_allclose(summary["lag_ms"], lag, atol=1e-12)
    # ANNarchy's protocol: A± = 0.01, w_max = 2, τ = 20 ms; Δt = 0 counts as pre first
    expected = np.where(lag >= 0, 0.02 * np.exp(-lag / 20.0), -0.02 * np.exp(lag / 20.0))
    np.testing.assert_allclose(summary["dw"], expected, rtol=1e-12, atol=1e-15)
    assert summary["dw_at_zero_lag"] == pytest.approx(0.02, rel=1e-12)
    # the weight is not reset between trials and never reaches a bound here
    assert summary["w_final"] == pytest.approx(1.0 + expected.sum(), abs=1e-12)
    assert summary["max_abs_error"] < 1e-12
    assert_figures(out, summary, {"stdp_window.png"})


def test_stdp_window_rejects_a_non_positive_duration():
    module = load_example("stdp_window")
    with pytest.raises(ValueError, match=r"--duration must be > 0 \[s\], got -1"):
        module.main(["--duration", "-1", "--out", "unused"])


# -- correlated inputs (Neuromatch W2D3) ---------------------------------------------------------

CORR_ARGS = ["--duration", "3", "--record-every", "0.001", "--rates", "10", "20", "--seeds", "0"]
G_MAX = 0.024


@pytest.fixture(scope="module")
def correlated(tmp_path_factory):
    out = tmp_path_factory.mktemp("correlated")
    module = load_example("correlated_input_stdp")
    summary = module.main([*CORR_ARGS, "--out", str(out), "--no-progress"])
    return module, summary, out


def test_correlated_example_summary(correlated):
    _, summary, out = correlated
    rows = summary["instances"]
    assert [(r["rate_hz"], r["seed"]) for r in rows] == [(10.0, 0), (20.0, 0)]
    gain = {}
    for row in rows:
        # initial ḡ = ḡ_max·U(0, 1): group means near 1/2
        assert 0.35 < row["correlated_mean_start"] < 0.65
        assert 0.42 < row["other_mean_start"] < 0.58
        # after 3 s the shared train has driven its synapses up; the others barely moved
        gain[row["rate_hz"]] = row["correlated_mean"] - row["correlated_mean_start"]
        assert gain[row["rate_hz"]] > 0.03 + abs(row["other_mean"] - row["other_mean_start"])
        assert row["ratio"] == pytest.approx(row["correlated_mean"] / row["other_mean"])
        assert 1.0 < row["output_rate_hz"] < 80.0
    assert gain[20.0] > max(0.25, gain[10.0])  # faster at the higher rate
    assert_figures(out, summary, {"weights_over_time.png", "weight_distributions.png"})


def test_the_first_50_synapses_share_one_spike_train(correlated):
    """Additive STDP moves synapses that see the same presynaptic spikes (and the same
    postsynaptic ones) by the same amounts, as long as no bound clips them."""
    module, _, _ = correlated
    # the main run's shapes: this reuses its compiled code
    data = module.simulate([10.0, 20.0], [0], 3000.0, record_every=1.0)
    for b in range(2):
        for group, shared in ((data["w_correlated"][b], True), (data["w_other"][b], False)):
            free = np.all((group > 0.0) & (group < G_MAX), axis=0)  # never at a bound
            drift = group[:, free] - group[:1, free]  # [snapshot, synapse]
            assert free.sum() >= 10
            spread = np.max(np.ptp(drift, axis=1))
            if shared:
                assert spread < 1e-12
            else:
                assert spread > 3 * 0.008 * G_MAX  # independent trains: paths differ by pairs


def test_correlated_example_rejects_bad_rates():
    module = load_example("correlated_input_stdp")
    with pytest.raises(ValueError, match=r"--rates must all be > 0 \[Hz\], got \[10.0, -5.0\]"):
        module.main(["--rates", "10", "-5", "--out", "unused"])


# -- event-driven STDP: formats, paths and the 200 → 100 → 10 network ---------------------------


@pytest.fixture(scope="module")
def event_driven(tmp_path_factory):
    out = tmp_path_factory.mktemp("event_driven")
    module = load_example("event_driven_stdp")
    args = ["--duration", "0.5", "--compare-duration", "0.1", "--no-progress"]
    summary = module.main([*args, "--out", str(out)])
    return summary, out


def test_formats_and_paths_give_the_same_weights_and_spikes(event_driven):
    summary, _ = event_driven
    assert summary["float64"]
    runs = summary["paths"]
    expected = {f"{f}/{p}" for f in ("dense", "csr", "coo") for p in ("all-synapse", "event")}
    assert set(runs) == expected
    for name, run in runs.items():
        assert run["max_abs_weight_diff"] <= 1e-12, name
        assert run["same_spikes"], name
        assert run["n_spikes"] > 0, name
        assert run["run_s"] > 0 and run["first_chunk_s"] > 0
    assert runs["csr/event"]["capacity"] == (16, 8)
    assert runs["csr/all-synapse"]["capacity"] is None
    # the comparison is not vacuous: STDP changed the weights by several pA [w_max 300 pA]
    assert summary["max_weight_change"] > 1.0
    assert summary["all_same_spikes"] and summary["max_abs_weight_diff"] <= 1e-12


def test_three_layer_network_runs_and_learns(event_driven):
    summary, out = event_driven
    net = summary["network"]
    layers = net["layers"]
    assert set(layers) == {"inputs", "hidden", "output"}
    # inputs: four groups take turns at 30 Hz among 3 Hz, a mean of (30 + 3·3)/4 Hz
    assert layers["inputs"]["rate_hz"] == pytest.approx((30.0 + 3 * 3.0) / 4, rel=0.1)
    assert layers["hidden"]["rate_hz"] > 1.0 and layers["output"]["rate_hz"] > 1.0
    # pairwise_bernoulli at 25 % of 200·100 and 50 % of 100·10 (within 5 standard deviations)
    assert abs(net["w_hidden"]["n_synapses"] - 5000) < 5 * np.sqrt(20000 * 0.25 * 0.75)
    assert abs(net["w_output"]["n_synapses"] - 500) < 5 * np.sqrt(1000 * 0.25)
    for key in ("w_hidden", "w_output"):
        assert 0.0 <= net[key]["mean_end"] <= 1.0
        assert net[key]["mean_end"] != net[key]["mean_start"]  # plastic
    assert_figures(out, summary, {"paths.png", "network_spikes.png", "network_weights.png"})


def test_event_driven_example_rejects_a_non_positive_duration():
    module = load_example("event_driven_stdp")
    with pytest.raises(ValueError, match=r"--compare-duration must be > 0 \[s\], got 0.0"):
        module.main(["--compare-duration", "0", "--out", "unused"])
