"""VALIDATION §3: STDP selects correlated inputs (Neuromatch W2D3 tutorial), 120 s (slow).

300 Poisson inputs onto one conductance LIF neuron, the first 50 sharing one spike train
(``examples/correlated_input_stdp.py`` builds it; its docstring maps the tutorial onto
plastix). The three seeds at both input rates run as one ensemble of six instances.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "correlated_input_stdp.py"
SEEDS = [0, 1, 2]
G_MAX = 0.024  # ḡ_max of VALIDATION §3


def load_example():
    spec = importlib.util.spec_from_file_location("plastix_example_correlated", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_correlated_group_saturates_and_the_others_lose_weight():
    example = load_example()
    assert example.G_MAX == G_MAX and example.N_INPUTS == 300 and example.N_CORRELATED == 50
    data = example.simulate([10.0, 20.0], SEEDS, 120_000.0, record_every=120_000.0)
    assert data["t"][-1] == 120_000.0  # the last snapshot is the end of the run
    correlated = data["w_correlated"][:, -1].mean(axis=1) / G_MAX  # [instance]
    others = data["w_other"][:, -1].mean(axis=1) / G_MAX
    ratio = correlated / others
    report = {
        (float(r), int(s)): (round(c, 3), round(o, 3), round(q, 2))
        for r, s, c, o, q in zip(data["rate"], data["seed"], correlated, others, ratio, strict=True)
    }
    at10, at20 = data["rate"] == 10.0, data["rate"] == 20.0
    assert at10.sum() == at20.sum() == len(SEEDS)
    # 10 Hz (the tutorial's call): in each seed
    assert np.all(correlated[at10] >= 0.9), report
    assert np.all(others[at10] <= 0.5), report
    assert np.all(ratio[at10] >= 1.8), report
    # 20 Hz: the others lose more
    assert np.all(others[at20] <= 0.4), report
    assert np.all(ratio[at20] >= 2.5), report
