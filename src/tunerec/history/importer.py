"""Import a listening-history file into the user store (one transaction, idempotent)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable

from tunerec.data.errors import DataError
from tunerec.history.formats import FORMATS, Problems, choose_format
from tunerec.history.prefetch import prefetch
from tunerec.history.matching import AMBIGUOUS, EXACT, FUZZY, MBID, CatalogueMatcher, NameMatch
from tunerec.history.sessions import count_stored_sessions
from tunerec.store import Store, StoreError

TOP_UNMATCHED = 10
_ts_of, _artist_of, _track_of = itemgetter(0), itemgetter(1), itemgetter(2)


class _NameIds(dict):
    """Artist name -> history_artists id; unseen names get the next ids and are
    written by :meth:`flush` (with the MBID of their first play in the batch)."""

    def __init__(self, conn: Any) -> None:
        super().__init__(conn.execute("SELECT name, id FROM history_artists"))
        self.conn = conn
        self.next_id = conn.execute("SELECT COALESCE(MAX(id), 0) FROM history_artists").fetchone()[0] + 1
        self.pending: list[str] = []

    def __missing__(self, name: str) -> int:
        nid = self[name] = self.next_id
        self.next_id += 1
        self.pending.append(name)
        return nid

    def flush(self, batch: list) -> None:
        wanted = set(self.pending)
        mbids: dict[str, str] = {}
        for _, artist, _, mbid in batch:
            if artist in wanted and artist not in mbids:
                mbids[artist] = mbid
        self.conn.executemany(
            "INSERT INTO history_artists(id, name, mbid) VALUES (?, ?, ?)", [(self[n], n, mbids.get(n, "")) for n in self.pending]
        )
        self.pending.clear()


@dataclass
class ImportReport:
    """What one import read, added and matched (``to_json`` keys are stable)."""

    path: str
    format: str
    import_id: int = 0
    plays: int = 0  # plays read from the file
    new_plays: int = 0  # plays added to the store (not there before)
    matched_plays: int = 0
    matched_exact: int = 0
    matched_fuzzy: int = 0
    matched_mbid: int = 0
    unmatched_plays: int = 0  # not in catalogue, including ambiguous
    ambiguous_plays: int = 0
    bad_lines: int = 0
    bad_line_examples: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    sessions: int = 0
    first_play: str | None = None
    last_play: str | None = None
    artists: int = 0  # distinct artist names in the file
    fuzzy_matches: list[dict[str, Any]] = field(default_factory=list)
    ambiguous: list[dict[str, Any]] = field(default_factory=list)
    top_unmatched: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def import_history(
    store: Store,
    path: str | Path,
    matcher: CatalogueMatcher,
    fmt: str | None = None,
    *,
    user: str | None = None,
    gap_seconds: int = 1800,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Read ``path`` (format detected unless ``fmt``), match artists, store new plays.

    All writes happen in one transaction: an error or interrupt leaves the store as it
    was. Plays already stored (same time, artist name and track) are not added again.
    Raises :class:`DataError` when the format is wrong or no line is readable, and
    :class:`StoreError` when the store cannot be written (busy, disk full)."""
    try:
        return _import(store, path, matcher, fmt, user=user, gap_seconds=gap_seconds, progress=progress)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot write the listening history to {store.path}: {exc}") from exc


def _import(
    store: Store,
    path: str | Path,
    matcher: CatalogueMatcher,
    fmt: str | None = None,
    *,
    user: str | None = None,
    gap_seconds: int = 1800,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    path = Path(path)
    if path.is_dir():
        raise DataError("is a folder; give one history file", file=str(path))
    fmt = choose_format(path, fmt)
    spec = FORMATS[fmt]
    total = path.stat().st_size
    problems = Problems()
    report = ImportReport(str(path), fmt)
    started = time.perf_counter()
    conn = store.conn
    counts: Counter[int] = Counter()
    first_ts: int | None = None
    last_ts: int | None = None
    with store.transaction():
        import_id = int(
            conn.execute(
                "INSERT INTO history_imports(path, format, imported, plays, new_plays) VALUES (?, ?, ?, 0, 0)",
                (str(path.resolve()), fmt, time.time()),
            ).lastrowid
        )
        names = _NameIds(conn)
        new_plays = 0
        insert = f"INSERT OR IGNORE INTO history_plays(ts, name_id, track, import_id) VALUES (?, ?, ?, {import_id:d})"
        with open(path, "rb") as fb:
            batches = prefetch(spec.parse(fb, total, problems, progress, user=user))
            try:
                for batch in batches:
                    if not batch:
                        continue
                    # column-wise, so that the per-play work runs in C
                    times = list(map(_ts_of, batch))
                    nids = list(map(names.__getitem__, map(_artist_of, batch)))
                    if names.pending:
                        names.flush(batch)
                    before = conn.total_changes
                    conn.executemany(insert, zip(times, nids, map(_track_of, batch)))
                    new_plays += conn.total_changes - before
                    counts.update(nids)
                    lo, hi = min(times), max(times)
                    first_ts = lo if first_ts is None else min(first_ts, lo)
                    last_ts = hi if last_ts is None else max(last_ts, hi)
            except DataError as exc:
                if exc.file is None:
                    raise DataError(exc.reason, file=str(path), line=exc.line, column=exc.column) from exc
                raise
            finally:
                batches.close()  # stops the parsing thread before the file closes
        plays = sum(counts.values())
        if plays == 0:
            shown = "; ".join(f"line {n}: {why}" for n, why in problems.first[:3])
            raise DataError(
                f"no readable plays for {spec.label} (expected {spec.expected})" + (f"; {shown}" if shown else ""),
                file=str(path),
            )
        report.import_id = import_id
        report.plays, report.new_plays = plays, new_plays
        _match_names(conn, matcher, counts, report)
        report.bad_lines = problems.bad_lines
        report.bad_line_examples = [{"line": n, "problem": why} for n, why in problems.first]
        report.skipped = dict(problems.skipped)
        report.first_play, report.last_play = iso(first_ts), iso(last_ts)
        report.artists = len(counts)
        report.sessions = count_stored_sessions(conn, first_ts, last_ts, gap_seconds)
        report.seconds = round(time.perf_counter() - started, 3)
        conn.execute(
            "UPDATE history_imports SET plays = ?, new_plays = ?, bad_lines = ?, first_ts = ?, last_ts = ?, report = ? WHERE id = ?",
            (plays, new_plays, problems.bad_lines, first_ts, last_ts, json.dumps(report.to_json()), import_id),
        )
    return report


def _match_names(conn: Any, matcher: CatalogueMatcher, counts: Counter[int], report: ImportReport) -> None:
    """Match every artist name of this import, store the results, fill the report's counts."""
    names = {}
    for nid, name, mbid in conn.execute("SELECT id, name, mbid FROM history_artists"):
        if nid in counts:
            names[nid] = (name, mbid)
    results: dict[int, NameMatch] = {nid: matcher.match(name) for nid, (name, _) in names.items()}
    # names without a match borrow the match of another name with the same MBID
    by_mbid: dict[str, set[int]] = {}
    for aid, mbid in conn.execute(
        "SELECT artist_id, mbid FROM history_artists WHERE mbid != '' AND artist_id IS NOT NULL AND match IN (?, ?)", (EXACT, FUZZY)
    ):
        by_mbid.setdefault(mbid, set()).add(aid)
    for nid, r in results.items():
        mbid = names[nid][1]
        if r.kind == EXACT and mbid:
            by_mbid.setdefault(mbid, set()).add(r.artist_id)  # type: ignore[arg-type]
    for nid, r in list(results.items()):
        mbid = names[nid][1]
        if r.artist_id is None and mbid and len(by_mbid.get(mbid, ())) == 1:
            aid = next(iter(by_mbid[mbid]))
            results[nid] = NameMatch(aid, MBID, matcher.names[matcher.ids.index(aid)] if aid in matcher.ids else "", 100.0, "same MBID")
    conn.executemany(
        "UPDATE history_artists SET artist_id = ?, match = ?, matched_name = ? WHERE id = ?",
        [(r.artist_id, r.kind, r.matched_name, nid) for nid, r in results.items()],
    )
    unmatched: list[tuple[int, str]] = []
    for nid, r in results.items():
        n = counts[nid]
        name = names[nid][0]
        if r.kind == EXACT:
            report.matched_exact += n
        elif r.kind == FUZZY:
            report.matched_fuzzy += n
            report.fuzzy_matches.append({"name": name, "artist_id": r.artist_id, "matched_name": r.matched_name, "score": r.score, "rule": r.rule, "plays": n})
        elif r.kind == MBID:
            report.matched_mbid += n
        else:
            report.unmatched_plays += n
            unmatched.append((n, name))
            if r.kind == AMBIGUOUS:
                report.ambiguous_plays += n
                report.ambiguous.append({"name": name, "plays": n, "candidates": [{"artist_id": a, "name": nm} for a, nm in r.candidates]})
    report.matched_plays = report.matched_exact + report.matched_fuzzy + report.matched_mbid
    report.fuzzy_matches.sort(key=lambda d: (-d["plays"], d["name"]))
    report.ambiguous.sort(key=lambda d: (-d["plays"], d["name"]))
    unmatched.sort(key=lambda t: (-t[0], t[1]))
    report.top_unmatched = [{"name": nm, "plays": n} for n, nm in unmatched[:TOP_UNMATCHED]]
