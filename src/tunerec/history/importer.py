"""Import a listening-history file into the user store (one transaction, idempotent)."""

from __future__ import annotations

import heapq
import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from itertools import chain
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tunerec.data.errors import DataError
from tunerec.history.formats import FORMATS, Problems, choose_format
from tunerec.history.matching import AMBIGUOUS, EXACT, FUZZY, MBID, NONE, CatalogueMatcher
from tunerec.history.sessions import count_stored_sessions
from tunerec.store import Store, StoreError

TOP_UNMATCHED = 10
#: Batches between two :func:`release_free_memory` calls (a batch is one chunk of the file, or 5,000 JSON records).
TRIM_EVERY = 4
#: Plays per staging INSERT statement (2 parameters each, under SQLite's old 999-parameter limit).
STAGE_ROWS = 400
#: Staged plays carry (time << KEY_SHIFT) | name id in one integer (times < 2**32, ids < 2**31),
#: which sorts like (time, name id) and binds one parameter instead of two.
KEY_SHIFT = 31


def _stage_values(rows: int) -> str:
    return "INSERT INTO temp.history_stage VALUES " + ", ".join(["(?, ?)"] * rows)


_STAGE_MANY = _stage_values(STAGE_ROWS)


def _malloc_trim() -> Callable[[], None]:
    """glibc's ``malloc_trim(0)``, or a no-op elsewhere."""
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (or no libc handle at all)
        return lambda: None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int

    def release() -> None:
        trim(0)

    return release


#: Gives the freed parts of the C heap back to the OS. Each chunk of a file allocates a few
#: megabytes and frees them while longer-lived objects (new names, SQLite pages) land between
#: them; without this, glibc keeps the holes and the RSS grows with the file (757 MB for 16M
#: plays instead of 190 MB).
release_free_memory = _malloc_trim()


class _Tally:
    """Plays per name id, as a growing numpy array (8 bytes per id, C-speed adds)."""

    def __init__(self) -> None:
        self.n = np.zeros(1024, dtype=np.int64)

    def add(self, ids: np.ndarray) -> None:
        top = int(ids.max())
        if top >= len(self.n):
            self.n = np.concatenate([self.n, np.zeros(max(top + 1, 2 * len(self.n)) - len(self.n), dtype=np.int64)])
        np.add.at(self.n, ids, 1)

    def total(self) -> int:
        return int(self.n.sum())

    def distinct(self) -> int:
        return int(np.count_nonzero(self.n))


class _NameIds(dict):
    """Artist name -> history_artists id; unseen names get the next ids and are
    written by :meth:`flush` (with the MBID of their first play in the batch)."""

    def __init__(self, conn: Any) -> None:
        super().__init__(conn.execute("SELECT name, id FROM history_artists"))
        self.conn = conn
        self.next_id = self.first_new_id = conn.execute("SELECT COALESCE(MAX(id), 0) FROM history_artists").fetchone()[0] + 1
        self.pending: list[str] = []

    def __missing__(self, name: str) -> int:
        if self.next_id >> KEY_SHIFT:
            raise DataError(f"more than {(1 << KEY_SHIFT) - 1:,} distinct artist names in the listening history")
        nid = self[name] = self.next_id
        self.next_id += 1
        self.pending.append(name)
        return nid

    def flush(self, nids: np.ndarray, mbids: list[str]) -> None:
        """Store the names first seen in a batch (``nids``: its plays' name ids), each with
        the MBID of its first play there."""
        start = self.next_id - len(self.pending)
        new = np.flatnonzero(nids >= start)
        _, first = np.unique(nids[new], return_index=True)  # ids start, start + 1, ...: the pending order
        self.conn.executemany(
            "INSERT INTO history_artists(id, name, mbid) VALUES (?, ?, ?)",
            [(start + j, name, mbids[i]) for j, (name, i) in enumerate(zip(self.pending, new[first].tolist()))],
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
    users: int = 0  # Last.fm 1K: listeners in the file (their plays are merged unless --user)
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
    tally = _Tally()
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
        # plays are staged in a temporary table, then inserted in key order: one sequential
        # pass over the plays index instead of scattered inserts (files hold several users)
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS history_stage(key INTEGER NOT NULL, track TEXT NOT NULL)")
        conn.execute("DELETE FROM temp.history_stage")
        with open(path, "rb") as fb:
            # parsed in this thread: a parsing thread would contend for the GIL with this
            # one (the per-play work here is Python too), which is slower on a busy machine
            batches = spec.parse(fb, total, problems, progress, user=user)
            try:
                for k, batch in enumerate(batches, 1):
                    if k % TRIM_EVERY == 0:
                        release_free_memory()
                    if not batch:
                        continue
                    ids = np.fromiter(map(names.__getitem__, batch.artists), dtype=np.int64, count=len(batch))
                    if names.pending:
                        names.flush(ids, batch.mbids)
                    times = batch.times
                    _stage(conn, (times << KEY_SHIFT) | ids, batch.tracks)
                    tally.add(ids)
                    lo, hi = int(times.min()), int(times.max())
                    first_ts = lo if first_ts is None else min(first_ts, lo)
                    last_ts = hi if last_ts is None else max(last_ts, hi)
            except DataError as exc:
                if exc.file is None:
                    raise DataError(exc.reason, file=str(path), line=exc.line, column=exc.column) from exc
                raise
            finally:
                batches.close()
        release_free_memory()
        # names are matched (Python) while SQLite sorts and inserts the plays (no GIL held)
        matching = _Matching(matcher, names, tally.n, names.first_new_id)
        try:
            before = conn.total_changes
            conn.execute(
                "INSERT OR IGNORE INTO history_plays(ts, name_id, track, import_id) "
                f"SELECT key >> {KEY_SHIFT}, key & {(1 << KEY_SHIFT) - 1}, track, {import_id:d} FROM temp.history_stage ORDER BY key, track"
            )
            new_plays = conn.total_changes - before
            conn.execute("DROP TABLE temp.history_stage")
            matched = matching.result()  # before more statements: each would wait for the GIL
        finally:
            matching.stop()
        if first_ts is not None:
            report.sessions = count_stored_sessions(conn, first_ts, last_ts, gap_seconds)
        plays = tally.total()
        if plays == 0 and user is not None and problems.users:
            listed = ", ".join(sorted(problems.users)[:5]) + (", …" if len(problems.users) > 5 else "")
            raise DataError(f"no plays of user {user!r}; the file holds {len(problems.users)} user(s): {listed}", file=str(path))
        if plays == 0:
            shown = "; ".join([f"line {n}: {why}" for n, why in problems.first[:3]] + [f"skipped {n:,} ({why})" for why, n in problems.skipped.items()])
            raise DataError(
                f"no readable plays for {spec.label} (expected {spec.expected})" + (f"; {shown}" if shown else ""),
                file=str(path),
            )
        report.import_id = import_id
        report.plays, report.new_plays = plays, new_plays
        _store_matches(conn, matched, tally.n, report)
        report.bad_lines = problems.bad_lines
        report.bad_line_examples = [{"line": n, "problem": why} for n, why in problems.first]
        report.skipped = dict(problems.skipped)
        report.first_play, report.last_play = iso(first_ts), iso(last_ts)
        report.artists = tally.distinct()
        report.users = len(problems.users)
        report.seconds = round(time.perf_counter() - started, 3)
        conn.execute(
            "UPDATE history_imports SET plays = ?, new_plays = ?, bad_lines = ?, first_ts = ?, last_ts = ?, report = ? WHERE id = ?",
            (plays, new_plays, problems.bad_lines, first_ts, last_ts, json.dumps(report.to_json()), import_id),
        )
    return report


def _stage(conn: Any, keys: np.ndarray, tracks: list[str]) -> None:
    """Append plays (see :data:`KEY_SHIFT`) to the staging table, :data:`STAGE_ROWS` per
    statement (a multi-row VALUES costs about half of one statement per play)."""
    flat = list(chain.from_iterable(zip(keys.tolist(), tracks)))
    per = 2 * STAGE_ROWS
    whole = len(flat) - len(flat) % per
    if whole:
        conn.executemany(_STAGE_MANY, [flat[i : i + per] for i in range(0, whole, per)])
    if whole < len(flat):
        conn.execute(_stage_values(len(flat[whole:]) // 2), flat[whole:])


@dataclass
class _Matched:
    """Match results of one import's names (play counts, rows to store, report lists)."""

    exact: int = 0
    fuzzy: int = 0
    unmatched: int = 0
    ambiguous_plays: int = 0
    updates: list[tuple[int | None, str, str, int]] = field(default_factory=list)  # (artist_id, match, matched_name, name id)
    fuzzy_matches: list[dict[str, Any]] = field(default_factory=list)
    ambiguous: dict[int, dict[str, Any]] = field(default_factory=dict)


class _Matching:
    """Matches every name with plays in this import (each name once) in a helper thread.

    Names first stored by this import (ids from ``first_new_id``) that match nothing need
    no update: they were stored unmatched."""

    def __init__(self, matcher: CatalogueMatcher, names: dict[str, int], plays_of: np.ndarray, first_new_id: int) -> None:
        self._stopped = threading.Event()
        self._out = _Matched()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(matcher, names, plays_of, first_new_id), name="tunerec-history-match", daemon=True)
        self._thread.start()

    def _run(self, matcher: CatalogueMatcher, names: dict[str, int], plays_of: np.ndarray, first_new_id: int) -> None:
        try:
            out, counts, stopped = self._out, memoryview(plays_of), self._stopped
            for name, nid in names.items():
                n = counts[nid] if nid < len(counts) else 0
                if n == 0:
                    continue
                if stopped.is_set():
                    return
                r = matcher.match(name)
                if r.kind != NONE or nid < first_new_id:
                    out.updates.append((r.artist_id, r.kind, r.matched_name, nid))
                if r.kind == EXACT:
                    out.exact += n
                elif r.kind == FUZZY:
                    out.fuzzy += n
                    out.fuzzy_matches.append({"name": name, "artist_id": r.artist_id, "matched_name": r.matched_name, "score": r.score, "rule": r.rule, "plays": n})
                else:
                    out.unmatched += n
                    if r.kind == AMBIGUOUS:
                        out.ambiguous_plays += n
                        out.ambiguous[nid] = {"name": name, "plays": n, "candidates": [{"artist_id": a, "name": nm} for a, nm in r.candidates]}
        except BaseException as exc:  # noqa: BLE001 - re-raised by result()
            self._error = exc

    def result(self) -> _Matched:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._out

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


def _store_matches(conn: Any, matched: _Matched, plays_of: np.ndarray, report: ImportReport) -> None:
    """Store the match results, borrow matches through shared MBIDs, fill the report's
    counts and lists."""
    conn.executemany("UPDATE history_artists SET artist_id = ?, match = ?, matched_name = ? WHERE id = ?", matched.updates)
    report.matched_exact, report.matched_fuzzy = matched.exact, matched.fuzzy
    report.unmatched_plays, report.ambiguous_plays = matched.unmatched, matched.ambiguous_plays
    report.fuzzy_matches = matched.fuzzy_matches
    ambiguous = matched.ambiguous
    # names left without a match borrow the match of the names sharing their MBID (when all agree)
    borrowed = conn.execute(
        "UPDATE history_artists AS h SET artist_id = m.aid, match = ?, matched_name = m.mname "
        "FROM (SELECT mbid, MIN(artist_id) AS aid, MIN(matched_name) AS mname FROM history_artists "
        "      WHERE mbid != '' AND match IN (?, ?) GROUP BY mbid HAVING COUNT(DISTINCT artist_id) = 1) AS m "
        "WHERE h.mbid = m.mbid AND h.artist_id IS NULL RETURNING id",
        (MBID, EXACT, FUZZY),
    ).fetchall()
    for (nid,) in borrowed:
        n = int(plays_of[nid]) if nid < len(plays_of) else 0
        report.matched_mbid += n
        report.unmatched_plays -= n
        if nid in ambiguous:
            report.ambiguous_plays -= n
            del ambiguous[nid]
    report.matched_plays = report.matched_exact + report.matched_fuzzy + report.matched_mbid
    report.fuzzy_matches.sort(key=lambda d: (-d["plays"], d["name"]))
    report.ambiguous = sorted(ambiguous.values(), key=lambda d: (-d["plays"], d["name"]))
    unmatched = (
        (int(plays_of[nid]), name)
        for nid, name in conn.execute("SELECT id, name FROM history_artists WHERE artist_id IS NULL")
        if nid < len(plays_of) and plays_of[nid] > 0
    )
    top = heapq.nsmallest(TOP_UNMATCHED, unmatched, key=lambda t: (-t[0], t[1]))
    report.top_unmatched = [{"name": nm, "plays": n} for n, nm in top]
