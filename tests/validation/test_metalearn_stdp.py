"""Differentiable plasticity: meta-learning pair STDP through a spiking simulation.

``a_plus``, ``a_minus`` and ``tau_plus`` of a PairSTDP rule (80 Poisson inputs at 15 Hz
→ 16 LIF neurons with a fast-sigmoid surrogate, 3 s of plasticity, dt 1 ms) are trained
with Adam through ``plastix.core.run`` so that the output rate over the last second
reaches 10 Hz. The initial rule (a+ = 20, a− = 10 pA) drives the neurons to ~150 Hz.
The slow test checks the loss drop and the rate of the learned rule on held-out seeds,
simulated without a surrogate through the Network user layer; the fast one the CLI.
"""

import json

import numpy as np
import pytest

from plastix.cli import main
from plastix.experiments.metalearn_stdp import MetalearnSTDPConfig, run


@pytest.mark.slow
def test_meta_learning_stdp_reaches_the_target_rate():
    summary, data = run(MetalearnSTDPConfig(seed=0), progress=False)
    print(json.dumps({k: v for k, v in summary.items() if k != "config"}, indent=1))
    target = summary["target_hz"]
    assert summary["skipped_meta_steps"] == 0
    assert summary["loss_drop"] >= 10.0
    # the control (the initial rule) misses the target by far on the held-out seeds
    before = np.asarray(summary["test_rate_before_hz"])
    assert np.all(before > 5 * target)
    # the learned rule, plain boolean spikes, 8 held-out seeds: the mean within ±20 %,
    # each seed within ±35 % (16 neurons × 1 s per seed)
    after = np.asarray(summary["test_rate_after_hz"])
    assert after.shape == (8,)
    assert abs(np.mean(after) - target) <= 0.2 * target
    assert np.all(np.abs(after - target) <= 0.35 * target)
    # the parameters stay positive and moved: depression now outweighs potentiation
    p = summary["learned_params"]
    assert all(v > 0 for v in p.values())
    assert p["a_minus"] * 20.0 > p["a_plus"] * p["tau_plus"]
    assert data["params"].shape == (41, 3) and data["train_rate"].shape == (40,)


def test_cli_runs_metalearn_stdp_and_writes_figure_and_summary(tmp_path):
    out = tmp_path / "ml"
    argv = ["run", "metalearn_stdp", "--meta-steps", "2", "--seed", "1", "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in ("initial_loss", "final_loss", "test_rate_after_mean_hz", "train_wall_s"):
        assert np.isfinite(summary[key])
    assert summary["config"]["meta_steps"] == 2 and summary["config"]["seed"] == 1
    assert len(summary["test_rate_after_hz"]) == 8
    assert summary["test_rate_before_mean_hz"] > 50.0  # the initial rule: far too fast
    assert (out / "metalearn_stdp.png").stat().st_size > 10_000
    assert main(["run", "metalearn_stdp", "--meta-steps", "0", "--out", str(out)]) == 2
