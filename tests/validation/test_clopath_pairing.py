"""VALIDATION §6: the Clopath rule in NEST's spike-pairing protocol.

NEST's ``clopath_synapse_spike_pairing.py``: ten independent pre/post pairs (post-pre at
−10 ms and pre-post at +10 ms, 10–50 Hz) in one network, NEST's 0.1 ms transmission
delays reproduced (see ``plastix.experiments.clopath_pairing``). About 2 s.
"""

import json

import numpy as np
import pytest

from plastix.cli import main
from plastix.experiments.clopath_pairing import (
    NEST_POST_PRE,
    NEST_PRE_POST,
    POST_TIMES,
    ClopathPairingConfig,
    run,
)

NEST_TESTSUITE = {  # testsuite/pytests/synapses/test_clopath_synapse.py (rtol 1e-7 there)
    ("post_pre", 0): 57.82638722,
    ("post_pre", 2): 72.16730112,
    ("post_pre", 4): 149.43359357,
    ("pre_post", 0): 103.30408341,
    ("pre_post", 2): 124.03640668,
    ("pre_post", 4): 157.02882555,
}


@pytest.fixture(scope="module")
def summary():
    return run(ClopathPairingConfig())[0]


def test_every_kick_forces_exactly_one_spike(summary):
    assert summary["post_spikes_per_condition"] == [len(t) for t in POST_TIMES]


def test_matches_nests_values(summary):
    """|plastix − NEST| ≤ 0.5 at all ten points (NEST's offsets reproduced; measured
    0.043), and ≤ 0.1 against the eight-digit values of NEST's own test."""
    ours = np.array(summary["post_pre"] + summary["pre_post"])
    nest = np.array(NEST_POST_PRE + NEST_PRE_POST)
    assert np.abs(ours - nest).max() <= 0.5
    for (key, i), value in NEST_TESTSUITE.items():
        assert summary[key][i] == pytest.approx(value, abs=0.1)


def test_frequency_dependence(summary):
    post_pre, pre_post = summary["post_pre"], summary["pre_post"]
    assert post_pre[0] < 70.0 and post_pre[-1] > 130.0
    assert post_pre[2] < 100.0 < post_pre[3]  # crosses 100 between 30 and 40 Hz
    assert np.all(np.diff(pre_post) > 0)


def test_coo_gives_the_same_curves(summary):
    other = run(ClopathPairingConfig(format="coo"))[0]
    for key in ("post_pre", "pre_post"):
        np.testing.assert_allclose(other[key], summary[key], rtol=0, atol=1e-9)


def test_cli_runs_clopath_pairing_and_writes_figure_and_summary(tmp_path):
    out = tmp_path / "clopath"
    assert main(["run", "clopath_pairing", "--out", str(out)]) == 0
    written = json.loads((out / "summary.json").read_text())
    assert written["max_abs_difference_from_nest"] <= 0.5
    assert written["nest_pre_post"] == list(NEST_PRE_POST)
    assert (out / "clopath_pairing.png").stat().st_size > 20_000
