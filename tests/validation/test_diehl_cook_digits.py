"""VALIDATION §11: Diehl & Cook (2015) unsupervised learning of the 8×8 digits."""

import json

import numpy as np
import pytest

import plastix as px
from plastix.cli import main
from plastix.experiments.diehl_cook_digits import DiehlCookConfig, make_rule, run

DT = 0.5


def dc_reference(pre_times, post_times, w0, nu_pre=1e-4, nu_post=1e-2):
    """Diehl & Cook's trace rule, event by event, as written in their Brian code."""
    # In one step, arrivals come before the post spike (plastix's order, docs/semantics.md).
    events = sorted([(t, 0, i) for i, t in pre_times] + [(t, 1, 0) for t in post_times])
    w = np.array(w0, float)
    last_pre = np.full(w.size, -np.inf)
    last_post = -np.inf
    for t, is_post, i in events:
        if not is_post:  # pre = 1; w -= nu_ee_pre * post1
            last_pre[i] = t
            w[i] = np.clip(w[i] - nu_pre * np.exp(-(t - last_post) / 20.0), 0.0, 1.0)
        else:  # post2before = post2; w += nu_ee_post * pre * post2before; post1 = post2 = 1
            pre = np.exp(-(t - last_pre) / 20.0)
            w = np.clip(w + nu_post * pre * np.exp(-(t - last_post) / 40.0), 0.0, 1.0)
            last_post = t
    return w


def test_triplet_stdp_is_diehl_and_cooks_trace_rule():
    rng = np.random.default_rng(0)
    n_in, duration = 5, 400.0
    grid = np.arange(2, round(duration / DT) - 2)
    pre_steps = {i: np.sort(rng.choice(grid, 40, replace=False)) for i in range(n_in)}
    post_steps = np.sort(rng.choice(grid[::7], 25, replace=False))  # >= 3.5 ms apart
    net = px.Network(dt=DT, seed=0)
    idx = np.concatenate([np.full(40, i) for i in range(n_in)])
    times = np.concatenate([pre_steps[i] for i in range(n_in)]) * DT
    inputs = net.add(px.Population(px.SpikeTimesInput(times, idx), n_in, name="inputs"))
    driver = net.add(px.Population(px.SpikeTimesInput(post_steps * DT, 0 * post_steps), 1))
    neuron = net.add(px.Population(px.LIFCond(tau_exc=0.1, t_ref=1.0), 1, name="neuron"))
    w0 = rng.uniform(0.2, 0.8, n_in)
    proj = net.add(
        px.Projection(
            inputs,
            neuron,
            px.all_to_all(n_in, 1),
            make_rule(DiehlCookConfig()),
            weights=w0[:, None],
        )
    )
    net.add(px.Projection(driver, neuron, px.all_to_all(1, 1), weights=200.0))
    fired = net.add(px.Monitor(neuron))
    net.run(duration, progress=False)
    # Spikes reach their synapses one step after they are emitted.
    np.testing.assert_array_equal(np.round(fired.t / DT), post_steps + 1)
    pre_times = [(i, (s + 1) * DT) for i in range(n_in) for s in pre_steps[i]]
    expected = dc_reference(pre_times, fired.t, w0)
    np.testing.assert_allclose(net.weights(proj)[:, 0], expected, rtol=0, atol=1e-12)
    assert np.max(np.abs(expected - w0)) > 1e-3  # the rule did change the weights


def test_cli_runs_diehl_cook_digits_and_writes_figure_and_summary(tmp_path, capsys):
    out = tmp_path / "dc"
    argv = ["run", "diehl_cook_digits", "--n-exc", "10", "--n-train", "30", "--n-test", "20"]
    assert main([*argv, "--out", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "test_accuracy",
        "per_class_accuracy",
        "neuron_labels",
        "spikes_per_image_train",
        "spikes_per_image_test",
        "test_spike_counts",
        "wall_s",
        "config",
    ):
        assert key in summary
    assert 0.0 <= summary["test_accuracy"] <= 1.0
    assert len(summary["neuron_labels"]) == 10 and len(summary["test_spike_counts"]) == 20
    assert min(summary["test_spike_counts"]) >= 5  # quiet images were shown again
    assert summary["config"]["rule"] == "dc_trace"
    assert (out / "diehl_cook_digits.png").stat().st_size > 10_000
    assert "test_accuracy" in capsys.readouterr().out
    assert main(["run", "--list"]) == 0
    assert "diehl_cook_digits" in capsys.readouterr().out


def test_bad_arguments_are_reported(capsys):
    assert main(["run", "diehl_cook_digits", "--n-train", "2000", "--no-progress"]) == 2
    assert "n_train must be in 1..1297" in capsys.readouterr().err


@pytest.mark.long  # 74 s: out of CI, which reached its 20 min limit (run: pytest -m long)
def test_one_epoch_reaches_the_target_accuracy_for_seed_1():
    """One seed (the three-seed criterion below takes 4 min; the fifty-neuron run below,
    73 s, is out of CI too: CI runs the pipeline through the CLI test above)."""
    assert run(DiehlCookConfig(seed=1), progress=False)[0]["test_accuracy"] >= 0.75


@pytest.mark.long
def test_one_epoch_reaches_the_target_accuracy_for_three_seeds():
    accuracies = [
        run(DiehlCookConfig(seed=s), progress=False)[0]["test_accuracy"] for s in (1, 2, 3)
    ]
    assert min(accuracies) >= 0.75, accuracies
    assert np.mean(accuracies) >= 0.78, accuracies


@pytest.mark.long  # 73 s: out of CI, which took up to 19.7 min (run: pytest -m long)
def test_fifty_neurons_reach_seventy_percent():
    summary, _ = run(DiehlCookConfig(seed=1, n_exc=50), progress=False)
    assert summary["test_accuracy"] >= 0.70
