"""Core modules import neither textual nor rich nor torch (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = [
    "tunerec",
    "tunerec.data",
    "tunerec.data.search",
    "tunerec.store",
    "tunerec.models",
    "tunerec.modelfile",
    "tunerec.recommenders.base",
    "tunerec.recommenders.popularity",
    "tunerec.recommenders.knn",
    "tunerec.evaluation",
    "tunerec.history",
    "tunerec.sessions",
    "tunerec.browse",
    "tunerec.listinfo",
    "tunerec.export",
    "tunerec.trainjob",
    "tunerec.evalcache",
    "tunerec.recommenders.ga",
    "tunerec.recommenders.rnn",  # torch only once a model is built
]


def imported_after(module: str) -> set[str]:
    code = f"import sys, importlib; importlib.import_module({module!r}); print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {m.split(".")[0] for m in out.split()}


@pytest.mark.parametrize("module", CORE)
def test_core_module_is_ui_and_torch_free(module: str) -> None:
    loaded = imported_after(module)
    assert not loaded & {"textual", "rich", "torch"}, f"{module} imports {loaded & {'textual', 'rich', 'torch'}}"


def test_cli_parser_does_not_import_torch() -> None:
    assert "torch" not in imported_after("tunerec.cli")
