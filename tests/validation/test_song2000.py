"""VALIDATION §2: Song, Miller & Abbott (2000) competitive STDP, 100 s (slow)."""

import json

import pytest

from plastix.cli import main
from plastix.experiments.song2000 import Song2000Config, run


@pytest.mark.slow
def test_song2000_becomes_bimodal_at_a_moderate_rate():
    summary, _ = run(Song2000Config(duration=100_000.0, seed=2), progress=False)
    histogram = summary["weight_histogram"]
    assert set(sorted(range(10), key=histogram.__getitem__)[-2:]) == {0, 9}
    assert (histogram[0] + histogram[9]) / sum(histogram) >= 0.35
    assert 15.0 <= summary["rate_last10s_hz"] <= 40.0


def test_cli_runs_song2000_and_writes_figure_and_summary(tmp_path, capsys):
    out = tmp_path / "song"
    code = main(
        [
            "run",
            "song2000",
            "--duration",
            "2",
            "--out",
            str(out),
            "--no-progress",
            "--format",
            "csr",
        ]
    )
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "bimodal_fraction",
        "weight_histogram",
        "rate_last10s_hz",
        "n_synapses",
        "duration_s",
        "wall_s",
    ):
        assert key in summary
    assert summary["n_synapses"] == 1000 and summary["duration_s"] == 2.0
    assert sum(summary["weight_histogram"]) == 1000
    assert (out / "song2000.png").stat().st_size > 10_000
    assert "bimodal_fraction" in capsys.readouterr().out


def test_cli_lists_experiments(capsys):
    assert main(["run", "--list"]) == 0
    assert "song2000" in capsys.readouterr().out
