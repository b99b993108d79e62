"""What the app and recommenders read from the imported history: recent sessions,
a recency-weighted artist profile, a :class:`~tunerec.recommenders.base.Context`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from tunerec.history.sessions import HistorySession, split_sessions
from tunerec.history.settings import history_settings
from tunerec.recommenders.base import Context

if TYPE_CHECKING:
    from tunerec.data import Dataset
    from tunerec.store import Store

DAY = 86400
#: How many extra recent sessions to look through for ones with catalogue artists.
SESSION_LOOKBACK = 20
#: At most this many plays are read to list recent sessions.
MAX_SCAN = 50_000
PROFILE_CHUNK = 100_000


def _known_ids(dataset: "Dataset | None") -> set[int] | None:
    if dataset is None:
        return None
    return {int(a) for a in dataset.artists.index[dataset.artists["known"]]}


def _rows_newest_first(store: "Store", known: set[int] | None) -> Iterator[tuple[int, int | None, str]]:
    cur = store.conn.execute(
        "SELECT p.ts, a.artist_id, a.name FROM history_plays p JOIN history_artists a ON a.id = p.name_id "
        "ORDER BY p.ts DESC, p.name_id DESC, p.track DESC"
    )
    for ts, aid, name in cur:
        if aid is not None and known is not None and aid not in known:
            aid = None
        yield ts, aid, name


def list_history_sessions(store: "Store", dataset: "Dataset | None" = None, limit: int = 20, gap_seconds: int | None = None) -> list[HistorySession]:
    """The ``limit`` most recent imported listening sessions, newest first. Each has its
    start/end time, the catalogue artists in first-play order with play counts, and the
    plays of artists not in the catalogue. Reads only as many plays as needed, and at
    most :data:`MAX_SCAN` (the oldest session returned is then cut at that point)."""
    if limit <= 0:
        return []
    gap = history_settings(store).gap_seconds if gap_seconds is None else gap_seconds
    out: list[HistorySession] = []
    block: list[tuple[int, int | None, str]] = []
    last = None
    rows = _rows_newest_first(store, _known_ids(dataset))
    for scanned, row in enumerate(rows):
        if scanned >= MAX_SCAN:  # merged listeners can form one endless "session"
            break
        if last is not None and last - row[0] > gap:
            out.append(next(split_sessions(reversed(block), gap)))
            block = []
            if len(out) >= limit:
                break
        block.append(row)
        last = row[0]
    if block and len(out) < limit:
        out.append(next(split_sessions(reversed(block), gap)))
    rows.close()
    return out[:limit]


def build_profile(store: "Store", dataset: "Dataset | None" = None, half_life_days: float | None = None) -> dict[int, float]:
    """Catalogue artist id -> recency-weighted plays: each play counts
    ``0.5 ** (age / half_life)``, its age in days measured from the newest play (so an old
    export still gives a profile). Artists not in ``dataset`` are left out."""
    half = history_settings(store).half_life_days if half_life_days is None else float(half_life_days)
    if half <= 0:
        raise ValueError("half_life_days must be > 0")
    conn = store.conn
    newest = conn.execute("SELECT MAX(ts) FROM history_plays").fetchone()[0]
    if newest is None:
        return {}
    newest_day = newest // DAY
    matched = dict(conn.execute("SELECT id, artist_id FROM history_artists WHERE artist_id IS NOT NULL"))
    if not matched:
        return {}
    # weights per name id, summed in chunks with numpy (one pass over the plays, constant memory)
    weights = np.zeros(max(matched) + 1, dtype=np.float64)
    cur = conn.execute("SELECT ts, name_id FROM history_plays WHERE name_id <= ?", (len(weights) - 1,))
    while chunk := cur.fetchmany(PROFILE_CHUNK):
        ts, nid = np.array(chunk, dtype=np.int64).T
        weights += np.bincount(nid, weights=0.5 ** ((newest_day - ts // DAY) / half), minlength=len(weights))
    known = _known_ids(dataset)
    profile: dict[int, float] = {}
    for nid, aid in matched.items():
        if weights[nid] > 0 and (known is None or aid in known):
            profile[aid] = profile.get(aid, 0.0) + float(weights[nid])
    return dict(sorted(profile.items(), key=lambda kv: (-kv[1], kv[0])))


def personal_context(store: "Store", dataset: "Dataset | None" = None, *, sessions: int = 1, exclude_known: bool = False) -> Context:
    """A :class:`Context` from the imported history: ``profile`` (recency-weighted plays)
    and ``recent_sessions`` (the artists of the last ``sessions`` sessions that have
    catalogue artists, oldest first, so the most recent session is last)."""
    recent = [s for s in list_history_sessions(store, dataset, limit=max(0, sessions) + SESSION_LOOKBACK) if s.artist_ids]
    return Context(
        profile=build_profile(store, dataset),
        recent_sessions=[s.artist_ids for s in reversed(recent[: max(0, sessions)])],
        exclude_known=exclude_known,
        extra={"source": "history"},
    )
