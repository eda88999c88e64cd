"""The ``mlcloss`` command: ``mlcloss report`` (``python -m mlcloss report``), ``mlcloss demo``,
``mlcloss bench``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up log, if it loads
    parser = argparse.ArgumentParser(prog="mlcloss", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "report", add_help=False, help="conformance of every loss on every installed framework"
    )
    commands.add_parser(  # its own parser reads the options, --help included
        "demo",
        add_help=False,
        help="sigmoid BCE against ZLPR (and focal, ASL) on an imbalanced multi-label problem",
    )
    commands.add_parser(
        "bench",
        help="the performance targets, timed against the peers (from a source checkout); "
        "--suite: every loss on every backend",
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "report":
        from .testing.report import main as report

        return report(rest)
    if args.command == "demo":
        from .demo import main as demo

        return demo(rest)
    return _bench(rest)


def _bench(argv) -> int:
    """Run benchmarks/targets.py from a source checkout: beside the package, or the current folder."""
    for root in (Path(__file__).resolve().parents[1], Path.cwd()):
        if (root / "benchmarks" / "targets.py").is_file():
            break
    else:
        print(
            "mlcloss bench: no benchmarks/ folder beside the package or in the current folder; "
            "run it from a source checkout (git clone, then cd into it)",
            file=sys.stderr,
        )
        return 2
    sys.path.insert(0, str(root))
    if "--suite" in argv:
        from benchmarks.suite import main as suite

        return suite([a for a in argv if a != "--suite"])
    from benchmarks.targets import main as bench

    return bench(argv)


if __name__ == "__main__":
    sys.exit(main())
