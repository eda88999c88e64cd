"""The ``mlcloss`` command: ``mlcloss report`` (``python -m mlcloss report``)."""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="mlcloss", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("report", help="conformance of every loss on every installed framework")
    args = parser.parse_args(argv)
    if args.command == "report":
        from .testing.report import main as report

        return report()
    return 2


if __name__ == "__main__":
    sys.exit(main())
