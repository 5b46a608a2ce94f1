"""The ``plastix`` command line: ``plastix run NAME [options]`` and ``plastix run --list``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import experiments


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plastix", description="Run classic synaptic-plasticity experiments."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run an experiment (see --list)")
    run.add_argument("name", nargs="?", help="experiment name")
    run.add_argument("--list", action="store_true", help="list the experiments and exit")
    return parser


def _replace_results_file(path: Path) -> None:
    """Remove an earlier results file at ``path``; refuse to overwrite anything else."""
    if not path.exists():
        return
    from .io import is_results_file

    if not is_results_file(path):
        raise ValueError(
            f"--save: {str(path)!r} exists and is not a plastix results file; it is left "
            "alone. Choose another path."
        )
    path.unlink()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``plastix`` console script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.list or args.name is None:
        if not args.list:
            parser.error("give an experiment name, or --list to see them")
        for name, experiment in sorted(experiments.EXPERIMENTS.items()):
            print(f"{name:<20} {experiment.description}")
        return 0
    try:
        experiment = experiments.get(args.name)
    except KeyError as error:
        print(f"plastix: {error.args[0]}", file=sys.stderr)
        return 2
    sub = argparse.ArgumentParser(
        prog=f"plastix run {experiment.name}", description=experiment.description
    )
    experiment.add_arguments(sub)
    sub.add_argument(
        "--save",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the results to this HDF5 file (read it with plastix.io.load; an "
        "earlier plastix results file there is replaced)",
    )
    sub.add_argument(
        "--devices",
        type=int,
        default=None,
        metavar="N",
        help="run the network across N devices (jax.devices(); results equal one device's)",
    )
    options = sub.parse_args(rest)
    try:
        if options.devices is not None and not experiment.devices:
            runs_across = sorted(n for n, e in experiments.EXPERIMENTS.items() if e.devices)
            raise ValueError(
                f"--devices: experiment {experiment.name!r} runs on one device (its "
                f"networks are too small to split, or use an ensemble or a neuromodulator); "
                f"experiments that run across devices: {', '.join(runs_across)}."
            )
        if options.save is not None:
            _replace_results_file(options.save)
        summary = experiment.main(options)
    except ValueError as error:
        print(f"plastix: {error}", file=sys.stderr)
        return 2
    shown = {k: v for k, v in summary.items() if k != "config"}
    print(json.dumps(shown, indent=2))
    out = getattr(options, "out", None)
    if out is not None:
        print(f"wrote {out}/")
    if options.save is not None:
        print(f"wrote {options.save}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
