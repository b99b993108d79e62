"""Summaries of the stored history (``tunerec history show``) and forgetting it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tunerec.history.importer import iso
from tunerec.history.sessions import stored_session_starts
from tunerec.history.settings import history_settings

if TYPE_CHECKING:
    from tunerec.store import Store


def sessions_per_month(store: "Store", gap_seconds: int) -> list[tuple[str, int]]:
    """(YYYY-MM, sessions starting that month), every month from the first to the last."""
    lo, hi = store.conn.execute("SELECT MIN(ts), MAX(ts) FROM history_plays").fetchone()
    counts: dict[str, int] = {}
    if lo is not None:
        for start in stored_session_starts(store.conn, lo, hi, gap_seconds):
            month = time.strftime("%Y-%m", time.gmtime(start))
            counts[month] = counts.get(month, 0) + 1
    if not counts:
        return []
    first, final = min(counts), max(counts)
    y, m = int(first[:4]), int(first[5:])
    out = []
    while True:
        key = f"{y:04d}-{m:02d}"
        out.append((key, counts.get(key, 0)))
        if key >= final:
            return out
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def history_summary(store: "Store", top: int = 10) -> dict[str, Any]:
    """Totals, imports, top artists (catalogue artists merged over name variants;
    others marked not in catalogue) and sessions per month."""
    conn = store.conn
    plays, first, last = conn.execute("SELECT COUNT(*), MIN(ts), MAX(ts) FROM history_plays").fetchone()
    per_name = conn.execute(
        "SELECT a.name, a.artist_id, a.matched_name, a.match, c.n FROM "
        "(SELECT name_id, COUNT(*) AS n FROM history_plays GROUP BY name_id) c JOIN history_artists a ON a.id = c.name_id"
    ).fetchall()
    merged: dict[Any, dict[str, Any]] = {}
    matched = 0
    for name, aid, matched_name, match, n in per_name:
        key = ("id", aid) if aid is not None else ("name", name)
        row = merged.setdefault(
            key, {"name": matched_name if aid is not None else name, "artist_id": aid, "plays": 0, "in_catalogue": aid is not None, "match": match}
        )
        row["plays"] += n
        if aid is not None:
            matched += n
    top_rows = sorted(merged.values(), key=lambda r: (-r["plays"], r["name"]))[:top]
    imports = [
        {"id": i, "path": p, "format": f, "imported": iso(int(t)), "plays": n, "new_plays": new}
        for i, p, f, t, n, new in conn.execute("SELECT id, path, format, imported, plays, new_plays FROM history_imports ORDER BY id")
    ]
    gap = history_settings(store).gap_seconds
    months = sessions_per_month(store, gap)
    return {
        "plays": plays,
        "matched_plays": matched,
        "unmatched_plays": plays - matched,
        "artists": len(merged),
        "first_play": iso(first),
        "last_play": iso(last),
        "sessions": sum(n for _, n in months),
        "session_gap_minutes": gap / 60,
        "imports": imports,
        "top_artists": top_rows,
        "sessions_per_month": [{"month": m, "sessions": n} for m, n in months],
    }


def forget_history(store: "Store", import_id: int | None = None) -> dict[str, int]:
    """Delete all imported history (or the plays first added by one import); returns
    the numbers of plays and imports removed. One transaction."""
    conn = store.conn
    with store.transaction():
        if import_id is None:
            plays = conn.execute("SELECT COUNT(*) FROM history_plays").fetchone()[0]
            imports = conn.execute("SELECT COUNT(*) FROM history_imports").fetchone()[0]
            conn.execute("DELETE FROM history_plays")
            conn.execute("DELETE FROM history_artists")
            conn.execute("DELETE FROM history_imports")
            return {"plays": plays, "imports": imports}
        if conn.execute("SELECT 1 FROM history_imports WHERE id = ?", (import_id,)).fetchone() is None:
            raise KeyError(f"no history import with id {import_id}")
        plays = conn.execute("DELETE FROM history_plays WHERE import_id = ?", (import_id,)).rowcount
        conn.execute("DELETE FROM history_imports WHERE id = ?", (import_id,))
        conn.execute("DELETE FROM history_artists WHERE id NOT IN (SELECT DISTINCT name_id FROM history_plays)")
        return {"plays": plays, "imports": 1}
