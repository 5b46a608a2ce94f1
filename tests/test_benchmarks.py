"""The benchmark scripts still run and report what the runner reads (no timing here)."""

import json
import os
import subprocess
import sys

import pytest

from benchmarks import plastix_bench, run


@pytest.mark.parametrize("n_steps, target", [(10_000, 632), (20_000, 10_000), (5_000, 2_000)])
def test_equal_chunks_divide_the_run_into_at_least_two(n_steps, target):
    chunk = plastix_bench.equal_chunks(n_steps, target)
    assert chunk <= target and n_steps % chunk == 0 and n_steps // chunk >= 2


def test_plastix_bench_reports_a_checked_run(capsys):
    # --cores 0: all cores (the default, 1, would pin this test process to one core)
    result = plastix_bench.main(["--workload", "w1", "--duration", "0.05", "--cores", "0"])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == result
    assert result["n_synapses"] == 1000 and result["sim_s"] == pytest.approx(0.025)
    assert result["run_s"] > 0 and result["checks"]["weights_in_bounds"]
    assert result["checks"]["rate_hz"] >= 0


def test_runner_table_reports_ratios_and_errors():
    rows = [
        {
            "label": "w1",
            "plastix_per_s": 0.5,
            "systems": {
                "plastix": {"run_s": 1.0, "sim_s": 2.0, "build_s": 1.0, "checks": {}},
                "brian2": {"run_s": 2.0, "sim_s": 2.0, "build_s": 3.0, "checks": {"r": 1.5}},
                "nest": {"error": "exit 1: boom"},
            },
        }
    ]
    text = run.table(rows)
    assert "| w1 | brian2 | 1 | 2.00 | 3.0 | r=1.5 |" in text
    assert "exit 1: boom" in text
    assert [c["workload"] for c in run.configurations(["w1", "w3"], quick=True)] == [
        "w1",
        "w3",
        "w3_control",
    ]


def test_repeated_runs_report_the_median_run_and_the_range():
    runs = [
        {"run_s": 3.0, "sim_s": 1.0, "build_s": 1.0, "checks": {"k": 3}},
        {"error": "timed out after 5 s"},
        {"run_s": 1.0, "sim_s": 1.0, "build_s": 1.0, "checks": {"k": 1}},
        {"run_s": 2.0, "sim_s": 1.0, "build_s": 1.0, "checks": {"k": 2}},
    ]
    median = run.median_run(runs)
    assert median["checks"] == {"k": 2}  # the median run's own checks, not a mix
    assert median["per_s_runs"] == [3.0, None, 1.0, 2.0]
    row = {"label": "w3", "plastix_per_s": 2.0, "systems": {"plastix": median}}
    assert "| w3 | plastix | 2 (1–3) | 1.00 |" in run.table([row])
    assert run.median_run([{"error": "exit 1"}]) == {"error": "exit 1"}
    even = run.median_run(runs[2:])  # two runs: the faster one
    assert even["checks"] == {"k": 1}


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this OS")
def test_use_cores_restricts_the_process():
    """In a child process: one core when asked, all allowed cores for 0."""
    code = (
        "import os; from benchmarks.plastix_bench import use_cores; "
        "n = len(os.sched_getaffinity(0)); print(use_cores(0) == n, use_cores(1), "
        "len(os.sched_getaffinity(0)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=os.getcwd()
    ).stdout.split()
    assert out == ["True", "1", "1"]
