"""Helpers shared by the CLI commands: consoles, data loading, JSON output, errors."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console

from tunerec.cli import add_common

_console: Console | None = None
_err: Console | None = None


def console() -> Console:
    global _console
    if _console is None:
        _console = Console()
    return _console


def err_console() -> Console:
    global _err
    if _err is None:
        _err = Console(stderr=True)
    return _err


def add_command(sub: argparse._SubParsersAction, name: str, help: str, **kw: Any) -> argparse.ArgumentParser:
    """A subcommand parser that also accepts --data/--debug."""
    p = sub.add_parser(name, help=help, description=help, **kw)
    add_common(p)
    return p


def load_data(args: argparse.Namespace):  # -> Dataset
    """Load the dataset named by --data / $TUNEREC_DATA / bundled, with a spinner on a TTY."""
    from tunerec.data import load_dataset

    path = getattr(args, "data", None)
    if sys.stderr.isatty():
        with err_console().status("Loading the Last.fm dataset…"):
            return load_dataset(path)
    return load_dataset(path)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=_default) + "\n")


def _default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def user_error_message(exc: BaseException) -> str | None:
    """The one-line message for errors caused by input or environment (None: a bug)."""
    from tunerec.data.errors import DataError
    from tunerec.data.search import ResolveError
    from tunerec.modelfile import ModelFileError
    from tunerec.store import StoreError

    if isinstance(exc, (DataError, ModelFileError, StoreError, ResolveError, UsageError)):
        return str(exc)
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return f"{exc.filename}: {exc.strerror}"
    return None


class UsageError(Exception):
    """A bad argument value, reported as one line."""
