"""Run the benchmark suite: plastix and its peers on the same workloads, in one run.

    python -m benchmarks.run                      # every workload, every installed peer
    python -m benchmarks.run --workloads w1 w3 --quick
    python -m benchmarks.run --peers brian2       # only this peer beside plastix

Each measurement runs in its own process (peers in their own virtual environments, made
by ``benchmarks/setup_peers.sh`` under ``$PEER_VENVS``, default
``~/.cache/plastix-peers``). A peer that is not installed is skipped with a note. The
table gives seconds of wall-clock run time per simulated second (compilation and network
construction apart, in ``build s``) and each system's time as a multiple of plastix's.
With ``--repeats N`` every measurement runs N times, the systems taking turns (plastix,
then each peer, N rounds), and the table gives each system's median run with the range
of all N: on a shared machine one run can be 2x slower than the next.
Results go to ``benchmarks/results/<date>-<host>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = ("brian2", "nest", "annarchy", "brainpy")
VENVS = Path(os.environ.get("PEER_VENVS", Path.home() / ".cache" / "plastix-peers"))


def configurations(workloads: list[str], quick: bool) -> list[dict]:
    """Every (workload, options, duration) to measure."""
    d1, d2, d3 = (2.0, 0.5, 0.2) if quick else (20.0, 2.0, 1.0)
    out: list[dict] = []
    if "w1" in workloads:
        out.append({"workload": "w1", "duration": d1})
    if "w2" in workloads:
        sizes = ("1e4", "1e5") if quick else ("1e4", "1e5", "1e6")
        for s in sizes:
            for delay in ("none", "2ms", "random"):
                out.append({"workload": "w2", "synapses": s, "delay": delay, "duration": d2})
    if "w3" in workloads:
        out.append({"workload": "w3", "duration": d3})
        out.append({"workload": "w3_control", "duration": d3})
    return out


def _args(config: dict) -> list[str]:
    args = ["--workload", config["workload"], "--duration", str(config["duration"])]
    if config["workload"] == "w2":
        args += ["--synapses", config["synapses"], "--delay", config["delay"]]
    return args


def _run(command: list[str], timeout: float, env: dict | None = None) -> dict:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, cwd=HERE.parent
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail)}
    return json.loads(lines[-1])


def plastix_command(config: dict, cores: int = 1) -> list[str]:
    command = [sys.executable, "-m", "benchmarks.plastix_bench", *_args(config)]
    return command + ["--cores", str(cores)]


def peer_command(peer: str, config: dict) -> list[str] | None:
    python = VENVS / peer / "bin" / "python"
    script = HERE / "peers" / f"{peer}_bench.py"
    if not python.exists() or not script.exists():
        return None
    return [str(python), str(script), *_args(config)]


def peer_env(peer: str) -> dict:
    env = dict(os.environ)
    # Brian2's and ANNarchy's compile steps call the venv's own python.
    env["PATH"] = f"{VENVS / peer / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def label(config: dict) -> str:
    if config["workload"] == "w2":
        return f"w2 S={config['synapses']} delay={config['delay']}"
    return config["workload"]


def per_second(result: dict) -> float | None:
    if "run_s" not in result or not result.get("sim_s"):
        return None
    return result["run_s"] / result["sim_s"]


def median_run(results: list[dict]) -> dict:
    """The run with the median time among ``results`` (the lower middle one for an even
    count), with every run's seconds per simulated second in ``per_s_runs``; an error
    when no run succeeded."""
    timed = sorted((r for r in results if per_second(r) is not None), key=per_second)
    if not timed:
        return results[-1]
    return {**timed[(len(timed) - 1) // 2], "per_s_runs": [per_second(r) for r in results]}


def _speed_text(result: dict) -> str:
    """``median`` or, over several runs, ``median (min–max)``."""
    speed = per_second(result)
    runs = [r for r in result.get("per_s_runs", []) if r is not None]
    if len(runs) < 2:
        return f"{speed:.4g}"
    return f"{speed:.4g} ({min(runs):.3g}–{max(runs):.3g})"


def table(rows: list[dict]) -> str:
    lines = [
        "| workload | system | s per simulated s | × plastix | build s | checks |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        base = row["plastix_per_s"]
        for system, result in row["systems"].items():
            speed = per_second(result)
            if speed is None:
                lines.append(f"| {row['label']} | {system} | – | – | – | {result.get('error')} |")
                continue
            ratio = f"{speed / base:.2f}" if base else "–"
            checks = ", ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in result.get("checks", {}).items()
            )
            lines.append(
                f"| {row['label']} | {system} | {_speed_text(result)} | {ratio} | "
                f"{result.get('build_s', float('nan')):.1f} | {checks} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workloads", nargs="+", default=["w1", "w2", "w3", "ensemble"])
    parser.add_argument("--peers", nargs="*", default=list(PEERS))
    parser.add_argument("--quick", action="store_true", help="short runs (minutes in all)")
    parser.add_argument("--timeout", type=float, default=1200.0, help="per run [s]")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="runs of each measurement, systems taking turns; the table gives medians",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--plastix-cores",
        type=int,
        default=1,
        help="CPU cores plastix may use (default 1: the peers run on one thread; 0: all)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")

    notes: list[str] = []
    for peer in args.peers:
        if peer_command(peer, {"workload": "w1", "duration": 1}) is None:
            notes.append(
                f"{peer}: not installed (run `bash benchmarks/setup_peers.sh {peer}`); skipped"
            )
    rows = []
    for config in configurations(args.workloads, args.quick):
        row = {"label": label(config), "config": config, "systems": {}}
        print(f"== {row['label']}", flush=True)
        runs: dict[str, list[dict]] = {"plastix": []}
        for _ in range(args.repeats):  # the systems take turns: drift hits them alike
            runs["plastix"].append(_run(plastix_command(config, args.plastix_cores), args.timeout))
            for peer in args.peers:
                command = peer_command(peer, config)
                if command is not None:
                    runs.setdefault(peer, []).append(_run(command, args.timeout, peer_env(peer)))
        row["systems"] = {system: median_run(results) for system, results in runs.items()}
        row["plastix_per_s"] = per_second(row["systems"]["plastix"])
        for system, result in row["systems"].items():
            print(f"   {system:10s} {per_second(result) or result.get('error')}", flush=True)
        rows.append(row)
    ensemble = None
    if "ensemble" in args.workloads:
        print("== ensemble (64 × W1)", flush=True)
        duration = "0.5" if args.quick else "2"
        ensemble = _run(
            [
                sys.executable,
                "-m",
                "benchmarks.ensemble_bench",
                "--instances",
                "64",
                "--duration",
                duration,
                "--sequential",
                "8",
            ],
            args.timeout,
        )
        print(f"   {ensemble}", flush=True)

    stamp = datetime.date.today().isoformat()
    host = socket.gethostname().split(".")[0] or "host"
    args.out.mkdir(parents=True, exist_ok=True)
    record = {
        "date": stamp,
        "host": host,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "quick": args.quick,
        "plastix_cores": args.plastix_cores,
        "repeats": args.repeats,
        "notes": notes,
        "rows": rows,
        "ensemble": ensemble,
    }
    path = args.out / f"{stamp}-{host}.json"
    path.write_text(json.dumps(record, indent=1))
    text = table(rows)
    if ensemble and "speedup" in ensemble:
        text += (
            f"\n\nEnsemble: 64 vmapped W1 instances took {ensemble['batched_s']:.3g} s for "
            f"{ensemble['sim_s']} simulated s; 64 sequential runs "
            f"{ensemble['sequential_s']:.3g} s ({ensemble['speedup']:.3g}× the throughput)."
        )
    if notes:
        text += "\n\n" + "\n".join(f"- {n}" for n in notes)
    path.with_suffix(".md").write_text(text + "\n")
    print(text)
    print(f"\nwrote {path} and {path.with_suffix('.md')}")


if __name__ == "__main__":
    main()
