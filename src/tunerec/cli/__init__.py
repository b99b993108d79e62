"""The ``tunerec`` command line: a thin shell over the core modules.

``tunerec`` with no subcommand starts the app. Each subcommand group lives in its own
module with a ``register(subparsers)`` function, listed in :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from tunerec import __version__

#: Modules under ``tunerec.cli`` that add subcommands (each has ``register(subparsers)``).
COMMAND_MODULES = ["data_cmd", "artists_cmd", "history_cmd", "eval_cmd", "train_cmd", "recommend_cmd"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tunerec",
        description="Offline terminal music assistant: artist recommendations from Last.fm HetRec 2011 "
        "with an RNN and a genetic algorithm. Without a command, starts the app.",
    )
    parser.add_argument("--version", action="version", version=f"tunerec {__version__}")
    add_common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"tunerec.cli.{name}").register(sub)
    return parser


def add_common(parser: argparse.ArgumentParser) -> None:
    """--data and --debug, accepted before or after the subcommand."""
    parser.add_argument(
        "--data",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="dataset zip or folder of the six .dat files (default: $TUNEREC_DATA, else the bundled zip)",
    )
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tunerec`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        if not getattr(args, "command", None):
            from tunerec.app import run_app

            return run_app(data=getattr(args, "data", None)) or 0
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.parse_args([*(argv or sys.argv[1:]), "--help"])
            return 2
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one readable line, unless --debug
        from tunerec.cli.common import user_error_message

        message = user_error_message(exc)
        if message is None or debug or os.environ.get("TUNEREC_DEBUG"):
            raise
        from tunerec.cli.common import err_console

        err_console().print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
