"""Read the cached results of ``tunerec eval --json`` for the app's compare view (UI-free).

The evaluation writes its JSON under ``cache_dir()/eval/``; ``latest.json`` is preferred,
else the newest ``*.json`` there. A document maps ``results`` to ``model -> metrics``;
nested metric dicts are flattened (``next.recall@20``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunerec.paths import cache_dir

class EvalCacheError(Exception):
    """The cached evaluation file exists but cannot be read (with its path)."""


@dataclass
class EvalTable:
    path: Path
    rows: list[tuple[str, dict[str, float]]]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        seen: list[str] = []
        for _, m in self.rows:
            for k in m:
                if k not in seen:
                    seen.append(k)
        return seen

    def find_metric(self, *needles: str) -> str | None:
        """The first metric whose name contains every needle (case-insensitive)."""
        for m in self.metrics:
            low = m.lower()
            if all(n.lower() in low for n in needles):
                return m
        return None


def eval_dir() -> Path:
    return cache_dir() / "eval"


def find_eval_file(folder: Path | None = None) -> Path | None:
    folder = folder or eval_dir()
    latest = folder / "latest.json"
    if latest.is_file():
        return latest
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.is_dir() else []
    return files[0] if files else None


def save_eval(doc: dict[str, Any], folder: Path | None = None) -> Path:
    """Merge a ``tunerec eval`` document into ``latest.json`` (atomically).

    Results of the same protocol, seed and vocabulary are merged model by model (a
    model evaluated again replaces its old row); anything else replaces the file.
    """
    from tunerec.atomic import atomic_write_text

    path = (folder or eval_dir()) / "latest.json"
    merged = dict(doc)
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        old = None
    same = ("protocol", "seed", "n_items", "n_test_events")
    if isinstance(old, dict) and isinstance(old.get("results"), dict) and all(old.get(k) == doc.get(k) for k in same):
        merged["results"] = {**old["results"], **doc["results"]}
    atomic_write_text(path, json.dumps(merged, indent=2) + "\n")
    return path


def load_eval(folder: Path | None = None) -> EvalTable | None:
    """The cached evaluation (None when there is none); raises :class:`EvalCacheError`."""
    path = find_eval_file(folder)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalCacheError(f"{path}: cannot read the cached evaluation ({exc}); run `tunerec eval` again") from exc
    rows, meta = _rows(data)
    if not rows:
        raise EvalCacheError(f"{path}: no model results found; run `tunerec eval` again")
    return EvalTable(path, rows, meta)


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            out[key] = float(v)
        elif isinstance(v, dict):
            out.update(_flatten(v, key + "."))
    return out


def _rows(data: Any) -> tuple[list[tuple[str, dict[str, float]]], dict[str, Any]]:
    """Rows and scalar metadata of a ``tunerec eval`` document (``{"results": {model: metrics}, ...}``)."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        return [], {}
    meta = {k: v for k, v in data.items() if not isinstance(v, (list, dict))}
    rows = [(str(name), _flatten(m)) for name, m in data["results"].items() if isinstance(m, dict)]
    return rows, meta
