"""The Textual app (UI shell over the core modules)."""

from __future__ import annotations


def run_app(data: str | None = None) -> int:
    """Start the app (``tunerec`` without a subcommand)."""
    from tunerec.app.main import TunerecApp

    TunerecApp(data_path=data).run()
    return 0
