"""Editing the user's listening sessions, written through to the store on every change.

UI-free: the app (and tests) drive a :class:`SessionEditor`; every edit is one store
transaction, so a crash loses at most the edit being written. Also lists the dataset's
own month sessions as "example sessions" to start from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tunerec.store import Store, StoredSession

if TYPE_CHECKING:
    from tunerec.data import Dataset

#: Settings key of the session the user was editing last (reopened on start).
CURRENT_KEY = "current_session_id"


def default_session_name(now: float | None = None) -> str:
    """'Session 2026-12-04 16:40' (local time)."""
    return time.strftime("Session %Y-%m-%d %H:%M", time.localtime(now if now is not None else time.time()))


@dataclass(frozen=True)
class ExampleSession:
    """One of the dataset's (user, month) sessions."""

    user_id: int
    ym: int
    artists: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"user {self.user_id}, {self.ym // 100}-{self.ym % 100:02d}"


def example_sessions(dataset: "Dataset", limit: int = 200, min_len: int = 5, max_len: int = 30) -> list[ExampleSession]:
    """Dataset sessions of a comfortable length, most recent month first (then user id)."""
    out = [
        ExampleSession(u, ym, tuple(a))
        for u, ym, a in dataset.session_list()
        if min_len <= len(a) <= max_len
    ]
    out.sort(key=lambda s: (-s.ym, s.user_id))
    return out[:limit]


class SessionEditor:
    """The session being edited: an ordered artist list with tags and a name.

    A session row is created lazily on the first edit, so opening the app does not
    litter the store with empty sessions. ``undo()`` reverts the last artist-list edit.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.session: StoredSession | None = None
        self._undo: list[list[int]] = []

    # ------------------------------------------------------------------ state
    @property
    def artists(self) -> list[int]:
        return list(self.session.artists) if self.session else []

    @property
    def tags(self) -> list[str]:
        return list(self.session.tags) if self.session else []

    @property
    def name(self) -> str:
        return self.session.name if self.session else "new session"

    @property
    def session_id(self) -> int | None:
        return self.session.id if self.session else None

    def restore_current(self) -> bool:
        """Reopen the session that was current at the last run (False when there is none)."""
        sid = self.store.get_setting(CURRENT_KEY)
        if sid is None:
            return False
        try:
            self.open(int(sid))
        except (KeyError, ValueError, TypeError):
            return False
        return True

    def open(self, sid: int) -> StoredSession:
        self.session = self.store.get_session(sid)
        self._undo.clear()
        self.store.set_setting(CURRENT_KEY, sid)
        return self.session

    def new(self, name: str | None = None, artists: list[int] | None = None, tags: list[str] | None = None, source: str = "manual") -> StoredSession:
        """Create and open a new session (written at once)."""
        sid = self.store.create_session(name or default_session_name(), list(artists or []), list(tags or []), source)
        return self.open(sid)

    def detach(self) -> None:
        """Start over with a fresh (not yet stored) session."""
        self.session = None
        self._undo.clear()
        self.store.set_setting(CURRENT_KEY, None)

    def _ensure(self) -> StoredSession:
        if self.session is None:
            self.new()
        assert self.session is not None
        return self.session

    def _set_artists(self, artists: list[int]) -> None:
        s = self._ensure()
        self._undo.append(list(s.artists))
        del self._undo[:-50]
        self.store.set_session_artists(s.id, artists)
        s.artists = list(artists)

    # ------------------------------------------------------------------ edits
    def add(self, artist_id: int) -> bool:
        """Append an artist (False when it is already in the session)."""
        artists = self.artists
        if int(artist_id) in artists:
            return False
        self._set_artists(artists + [int(artist_id)])
        return True

    def remove(self, index: int) -> int:
        """Remove the artist at ``index``; returns its id."""
        artists = self.artists
        aid = artists.pop(index)
        self._set_artists(artists)
        return aid

    def move(self, index: int, delta: int) -> int:
        """Move the artist at ``index`` by ``delta`` places; returns its new index."""
        artists = self.artists
        if not artists:
            return index
        new = max(0, min(len(artists) - 1, index + delta))
        if new != index:
            artists.insert(new, artists.pop(index))
            self._set_artists(artists)
        return new

    def clear(self) -> None:
        if self.artists:
            self._set_artists([])

    def undo(self) -> bool:
        """Revert the last change of the artist list (False when there is nothing to undo)."""
        if not self._undo or self.session is None:
            return False
        prev = self._undo.pop()
        self.store.set_session_artists(self.session.id, prev)
        self.session.artists = prev
        return True

    def set_tags(self, tags: list[str]) -> None:
        s = self._ensure()
        self.store.set_session_tags(s.id, tags)
        s.tags = self.store.get_session(s.id).tags

    def add_tag(self, tag: str) -> None:
        tag = " ".join(tag.split())
        if tag and tag not in self.tags:
            self.set_tags(self.tags + [tag])

    def remove_tag(self, tag: str) -> None:
        self.set_tags([t for t in self.tags if t != tag])

    def rename(self, name: str) -> None:
        name = " ".join(name.split())
        if not name:
            raise ValueError("a session name cannot be empty")
        s = self._ensure()
        self.store.rename_session(s.id, name)
        s.name = name

    # ------------------------------------------------------- whole sessions
    def delete(self, sid: int) -> StoredSession:
        """Delete a stored session (returned, for undo); detaches it when it is open."""
        gone = self.store.delete_session(sid)
        if self.session is not None and self.session.id == sid:
            self.detach()
        return gone

    def restore(self, s: StoredSession) -> int:
        return self.store.restore_session(s)

    def duplicate(self, sid: int) -> StoredSession:
        return self.open(self.store.duplicate_session(sid))

    def start_from(self, artists: list[int], name: str, source: str, tags: list[str] | None = None) -> StoredSession:
        """A new session seeded with ``artists`` (e.g. an example or imported session)."""
        return self.new(name, artists, tags, source)
