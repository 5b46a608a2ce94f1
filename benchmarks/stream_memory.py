"""Host memory over a long run: monitors kept in memory vs streamed to HDF5.

The Song (2000) network (1000 Poisson inputs at 15 Hz → 1 conductance LIF, pair STDP,
dt 0.1 ms) with three monitors: every input spike (~15 000 per simulated second), the
output spikes and all 1000 weights every 100 ms. It runs ``--segments`` runs of
``--segment`` simulated seconds each; after each, the resident set size (VmRSS) of the
process is read. Each mode runs in its own process.

    python -m benchmarks.stream_memory [--segments 60] [--segment 60]

Prints one line per segment and writes ``benchmarks/results/<date>-stream-memory.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def rss_mib() -> float:
    """Resident set size of this process [MiB]."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


def one_mode(mode: str, segments: int, segment_s: float) -> list[dict]:
    import plastix as px

    net = px.Network(dt=0.1, seed=1)
    inputs = net.add(px.Population(px.PoissonInput(15.0), 1000, name="inputs"))
    neuron = net.add(
        px.Population(
            px.LIFCond(tau_m=10.0, e_leak=-74.0, v_th=-54.0, v_reset=-60.0, t_ref=0.0),
            1,
            name="neuron",
        )
    )
    rule = px.PairSTDP(a_plus=1e-4, a_minus=1.05e-4, w_min=0.0, w_max=0.01)
    syn = net.add(
        px.Projection(
            inputs,
            neuron,
            px.all_to_all(1000, 1, format="csr"),
            rule,
            weights=px.initializers.uniform(0.0, 0.01),
            capacity=(32, 1),
            on_overflow="dense",
        )
    )
    for monitor in (px.Monitor(inputs), px.Monitor(neuron), px.Monitor(syn, "w", every=100.0)):
        net.add(monitor)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        save = Path(tmp) / "run.h5" if mode == "stream" else None
        for k in range(segments):
            start = time.perf_counter()
            net.run(segment_s * 1000.0, chunk_size=10_000, progress=False, save=save)
            size = save.stat().st_size / 2**20 if save is not None else 0.0
            rows.append(
                {
                    "simulated_s": (k + 1) * segment_s,
                    "rss_mib": rss_mib(),
                    "file_mib": size,
                    "wall_s": time.perf_counter() - start,
                }
            )
            print(mode, json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=60)
    parser.add_argument("--segment", type=float, default=60.0, help="simulated seconds")
    parser.add_argument("--mode", choices=("memory", "stream"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.mode is not None:
        rows = one_mode(args.mode, args.segments, args.segment)
        print("RESULT " + json.dumps(rows))
        return {}
    results = {}
    for mode in ("memory", "stream"):
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.stream_memory", "--mode", mode,
             "--segments", str(args.segments), "--segment", str(args.segment)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
        results[mode] = json.loads(line[len("RESULT ") :])
    summary = {
        "date": datetime.date.today().isoformat(),
        "workload": "Song2000 (1000 Poisson → 1 LIFCond, STDP, dt 0.1 ms), monitors: all "
        "input spikes, output spikes, 1000 weights every 100 ms",
        "segment_s": args.segment,
        "results": results,
    }
    for mode, rows in results.items():
        first, last = rows[0], rows[-1]
        growth = (last["rss_mib"] - first["rss_mib"]) / max(
            last["simulated_s"] - first["simulated_s"], 1e-9
        )
        summary[f"{mode}_rss_growth_mib_per_simulated_min"] = 60.0 * growth
        print(
            f"{mode:>6}: RSS {first['rss_mib']:.0f} MiB after {first['simulated_s']:g} s, "
            f"{last['rss_mib']:.0f} MiB after {last['simulated_s']:g} s "
            f"({60.0 * growth:+.2f} MiB per simulated minute); file {last['file_mib']:.0f} MiB"
        )
    path = Path(__file__).parent / "results" / f"{summary['date']}-stream-memory.json"
    path.write_text(json.dumps(summary, indent=1) + "\n")
    return summary


if __name__ == "__main__":
    main()
