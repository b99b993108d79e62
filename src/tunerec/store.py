"""The user's own data: sessions, session tags, blocklist, settings, imported history.

SQLite in the user data dir (``$TUNEREC_HOME`` overrides), WAL mode, foreign keys on,
a schema version table with ordered migrations. Every change is one transaction, so
a crash loses at most the change being written.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from tunerec.paths import home_dir


class StoreError(Exception):
    """The user store cannot be opened or written (with the path and what to do)."""


MIGRATIONS: list[str] = [
    # 1: sessions, their artists and tags, blocklist, settings
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'manual',
        created REAL NOT NULL,
        updated REAL NOT NULL
    );
    CREATE TABLE session_items (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        pos INTEGER NOT NULL,
        artist_id INTEGER NOT NULL,
        PRIMARY KEY (session_id, pos)
    );
    CREATE TABLE session_tags (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (session_id, tag)
    );
    CREATE TABLE blocklist (
        artist_id INTEGER PRIMARY KEY,
        added REAL NOT NULL
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: imported listening history (see tunerec.history.storage)
    """
    CREATE TABLE history_imports (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        format TEXT NOT NULL,
        imported REAL NOT NULL,
        plays INTEGER NOT NULL,
        new_plays INTEGER NOT NULL,
        bad_lines INTEGER NOT NULL DEFAULT 0,
        first_ts INTEGER,
        last_ts INTEGER,
        report TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE history_artists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        mbid TEXT NOT NULL DEFAULT '',
        artist_id INTEGER,
        match TEXT NOT NULL DEFAULT 'none',
        matched_name TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE history_plays (
        ts INTEGER NOT NULL,
        name_id INTEGER NOT NULL,
        track TEXT NOT NULL DEFAULT '',
        import_id INTEGER NOT NULL,
        PRIMARY KEY (ts, name_id, track)
    ) WITHOUT ROWID;
    """,
]


@dataclass
class StoredSession:
    id: int
    name: str
    artists: list[int]
    tags: list[str] = field(default_factory=list)
    source: str = "manual"
    created: float = 0.0
    updated: float = 0.0


def default_path() -> Path:
    return home_dir() / "tunerec.sqlite3"


class Store:
    """Open (creating and migrating) the user's SQLite store."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.notice: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the tunerec home {self.path.parent}: {exc.strerror}; set TUNEREC_HOME to a writable folder") from exc
        if not os.access(self.path.parent, os.W_OK):
            raise StoreError(f"the tunerec home {self.path.parent} is read-only; set TUNEREC_HOME to a writable folder")
        try:
            self.conn = self._open()
        except sqlite3.DatabaseError as exc:
            backup = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            self.close_quietly()
            shutil.move(str(self.path), backup)
            for suffix in ("-wal", "-shm"):
                side = Path(str(self.path) + suffix)
                if side.exists():
                    side.unlink()
            self.conn = self._open()
            self.notice = f"The user store was damaged ({exc}); it was moved to {backup} and a new one was created."

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if version > len(MIGRATIONS):
                raise StoreError(f"{self.path} was written by a newer tunerec (schema {version}); upgrade tunerec")
            for i in range(version, len(MIGRATIONS)):
                conn.execute("BEGIN IMMEDIATE")
                for stmt in _statements(MIGRATIONS[i]):
                    conn.execute(stmt)
                conn.execute("DELETE FROM schema_version")
                conn.execute("INSERT INTO schema_version VALUES (?)", (i + 1,))
                conn.execute("COMMIT")
            conn.execute("PRAGMA quick_check").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def close_quietly(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    def close(self) -> None:
        self.conn.close()

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT version FROM schema_version").fetchone()[0])

    def transaction(self) -> "_Tx":
        return _Tx(self.conn)

    # ----------------------------------------------------------------- sessions
    def create_session(self, name: str, artists: list[int] | None = None, tags: list[str] | None = None, source: str = "manual") -> int:
        now = time.time()
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO sessions(name, source, created, updated) VALUES (?, ?, ?, ?)", (name, source, now, now)
            )
            sid = int(cur.lastrowid)
            self._write_items(sid, artists or [])
            self._write_tags(sid, tags or [])
        return sid

    def _write_items(self, sid: int, artists: list[int]) -> None:
        self.conn.execute("DELETE FROM session_items WHERE session_id = ?", (sid,))
        self.conn.executemany(
            "INSERT INTO session_items(session_id, pos, artist_id) VALUES (?, ?, ?)",
            [(sid, i, int(a)) for i, a in enumerate(artists)],
        )

    def _write_tags(self, sid: int, tags: list[str]) -> None:
        self.conn.execute("DELETE FROM session_tags WHERE session_id = ?", (sid,))
        seen: list[str] = []
        for t in tags:
            t = " ".join(t.split())
            if t and t not in seen:
                seen.append(t)
        self.conn.executemany("INSERT INTO session_tags(session_id, tag) VALUES (?, ?)", [(sid, t) for t in seen])

    def _touch(self, sid: int) -> None:
        cur = self.conn.execute("UPDATE sessions SET updated = ? WHERE id = ?", (time.time(), sid))
        if cur.rowcount == 0:
            raise KeyError(f"no session with id {sid}")

    def set_session_artists(self, sid: int, artists: list[int]) -> None:
        with self.transaction():
            self._touch(sid)
            self._write_items(sid, artists)

    def set_session_tags(self, sid: int, tags: list[str]) -> None:
        with self.transaction():
            self._touch(sid)
            self._write_tags(sid, tags)

    def rename_session(self, sid: int, name: str) -> None:
        with self.transaction():
            self._touch(sid)
            self.conn.execute("UPDATE sessions SET name = ? WHERE id = ?", (name, sid))

    def delete_session(self, sid: int) -> StoredSession:
        """Delete a session and return it (so the caller can offer undo via :meth:`restore_session`)."""
        s = self.get_session(sid)
        with self.transaction():
            self.conn.execute("DELETE FROM sessions WHERE id = ?", (sid,))
        return s

    def restore_session(self, s: StoredSession) -> int:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO sessions(id, name, source, created, updated) VALUES (?, ?, ?, ?, ?)",
                (s.id, s.name, s.source, s.created, time.time()),
            )
            self._write_items(s.id, s.artists)
            self._write_tags(s.id, s.tags)
        return s.id

    def duplicate_session(self, sid: int, name: str | None = None) -> int:
        s = self.get_session(sid)
        return self.create_session(name or f"{s.name} (copy)", s.artists, s.tags, s.source)

    def get_session(self, sid: int) -> StoredSession:
        row = self.conn.execute("SELECT id, name, source, created, updated FROM sessions WHERE id = ?", (sid,)).fetchone()
        if row is None:
            raise KeyError(f"no session with id {sid}")
        artists = [r[0] for r in self.conn.execute("SELECT artist_id FROM session_items WHERE session_id = ? ORDER BY pos", (sid,))]
        tags = [r[0] for r in self.conn.execute("SELECT tag FROM session_tags WHERE session_id = ? ORDER BY rowid", (sid,))]
        return StoredSession(row[0], row[1], artists, tags, row[2], row[3], row[4])

    def list_sessions(self) -> list[StoredSession]:
        ids = [r[0] for r in self.conn.execute("SELECT id FROM sessions ORDER BY updated DESC, id DESC")]
        return [self.get_session(i) for i in ids]

    # ---------------------------------------------------------------- blocklist
    def block(self, artist_id: int) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR IGNORE INTO blocklist(artist_id, added) VALUES (?, ?)", (int(artist_id), time.time()))

    def unblock(self, artist_id: int) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM blocklist WHERE artist_id = ?", (int(artist_id),))

    def blocked(self) -> set[int]:
        return {r[0] for r in self.conn.execute("SELECT artist_id FROM blocklist")}

    # ----------------------------------------------------------------- settings
    def get_setting(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except json.JSONDecodeError:
            return default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )


class _Tx:
    """``with store.transaction():`` — BEGIN IMMEDIATE … COMMIT, ROLLBACK on error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def _statements(script: str) -> Iterator[str]:
    for stmt in script.split(";"):
        if stmt.strip():
            yield stmt


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    """Open the user store, turning OS and SQLite errors into a :class:`StoreError`."""
    try:
        return Store(path)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the user store {path or default_path()}: {exc}") from exc
