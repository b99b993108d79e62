"""Split plays into listening sessions (a pause longer than the gap starts a new one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

HistoryRow = tuple[int, "int | None", str]  # (unix ts, catalogue artist id or None, name as played)


@dataclass
class HistorySession:
    """One listening session: matched artists in first-play order with their play counts."""

    start: int  # unix seconds UTC
    end: int
    artist_ids: list[int] = field(default_factory=list)
    play_counts: list[int] = field(default_factory=list)
    plays: int = 0  # all plays, matched or not
    unmatched: dict[str, int] = field(default_factory=dict)  # name -> plays (not in catalogue)

    @property
    def unmatched_plays(self) -> int:
        return sum(self.unmatched.values())

    def add(self, ts: int, artist_id: int | None, name: str) -> None:
        self.plays += 1
        self.start = min(self.start, ts)
        self.end = max(self.end, ts)
        if artist_id is None:
            self.unmatched[name] = self.unmatched.get(name, 0) + 1
            return
        try:
            i = self.artist_ids.index(artist_id)
        except ValueError:
            self.artist_ids.append(artist_id)
            self.play_counts.append(1)
        else:
            self.play_counts[i] += 1


def split_sessions(rows: Iterable[HistoryRow], gap_seconds: int) -> Iterator[HistorySession]:
    """Sessions from plays sorted by time (ascending); a gap > ``gap_seconds`` splits."""
    current: HistorySession | None = None
    last = None
    for ts, artist_id, name in rows:
        if current is None or ts - last > gap_seconds:  # type: ignore[operator]
            if current is not None:
                yield current
            current = HistorySession(ts, ts)
        current.add(ts, artist_id, name)
        last = ts
    if current is not None:
        yield current


def stored_session_starts(conn: Any, first_ts: int, last_ts: int, gap_seconds: int) -> Iterator[int]:
    """Start times of the sessions among the stored plays between two times (inclusive).

    Walks the ``ts`` index instead of visiting every play: from a play at ``t``, the latest
    play at or before ``t + gap`` is in the same session; when there is none after ``t``,
    the next play starts a new session. About two index probes per ``gap`` of listening
    time, however many plays the range holds."""
    last_within = "SELECT MAX(ts) FROM history_plays WHERE ts > ? AND ts <= ?"
    next_after = "SELECT MIN(ts) FROM history_plays WHERE ts > ? AND ts <= ?"
    t = conn.execute("SELECT MIN(ts) FROM history_plays WHERE ts BETWEEN ? AND ?", (first_ts, last_ts)).fetchone()[0]
    while t is not None:
        yield t
        while True:
            within = conn.execute(last_within, (t, min(t + gap_seconds, last_ts))).fetchone()[0]
            if within is None:
                break
            t = within
        t = conn.execute(next_after, (t, last_ts)).fetchone()[0]


def count_stored_sessions(conn: Any, first_ts: int, last_ts: int, gap_seconds: int) -> int:
    """Number of sessions among the stored plays between two times (inclusive)."""
    return sum(1 for _ in stored_session_starts(conn, first_ts, last_ts, gap_seconds))
