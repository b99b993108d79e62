"""The SQLite user store: sessions, tags, blocklist, settings, migrations, damage recovery."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tunerec.store import MIGRATIONS, Store, StoreError, open_store


def test_creates_schema_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    s = Store(tmp_path / "db.sqlite3")
    assert s.schema_version == len(MIGRATIONS)
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_default_location_follows_tunerec_home(tunerec_home: Path) -> None:
    s = open_store()
    assert s.path.parent == tunerec_home


def test_session_round_trip_and_edits(tmp_path: Path) -> None:
    s = Store(tmp_path / "db.sqlite3")
    sid = s.create_session("late night", [154, 418], ["jazz", " late-night ", "jazz"])
    got = s.get_session(sid)
    assert got.artists == [154, 418] and got.tags == ["jazz", "late-night"]
    s.set_session_artists(sid, [418, 154, 1098])
    s.rename_session(sid, "calm")
    s.set_session_tags(sid, ["ambient"])
    again = Store(tmp_path / "db.sqlite3").get_session(sid)  # survives reopening
    assert (again.name, again.artists, again.tags) == ("calm", [418, 154, 1098], ["ambient"])


def test_delete_restore_and_duplicate(tmp_path: Path) -> None:
    s = Store(tmp_path / "db.sqlite3")
    sid = s.create_session("a", [1, 2], ["x"])
    copy = s.duplicate_session(sid)
    assert s.get_session(copy).artists == [1, 2] and s.get_session(copy).name == "a (copy)"
    gone = s.delete_session(sid)
    with pytest.raises(KeyError):
        s.get_session(sid)
    assert s.conn.execute("SELECT COUNT(*) FROM session_items WHERE session_id=?", (sid,)).fetchone()[0] == 0
    s.restore_session(gone)
    assert s.get_session(sid).artists == [1, 2] and s.get_session(sid).tags == ["x"]
    assert [x.id for x in s.list_sessions()][0] == sid  # most recently updated first


def test_blocklist_and_settings(tmp_path: Path) -> None:
    s = Store(tmp_path / "db.sqlite3")
    s.block(5)
    s.block(5)
    s.block(7)
    s.unblock(7)
    assert s.blocked() == {5}
    s.set_setting("discovery", 0.6)
    s.set_setting("discovery", 0.7)
    assert s.get_setting("discovery") == 0.7 and s.get_setting("missing", "d") == "d"


def test_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    s = Store(tmp_path / "db.sqlite3")
    sid = s.create_session("keep", [1, 2, 3])
    with pytest.raises(TypeError):  # fails after the old items were deleted inside the transaction
        s.set_session_artists(sid, [4, 5, None])  # type: ignore[list-item]
    assert s.get_session(sid).artists == [1, 2, 3]


def test_corrupt_store_is_backed_up_and_replaced(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    s = Store(db)
    assert s.notice and "damaged" in s.notice
    backups = list(tmp_path.glob("db.sqlite3.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes().startswith(b"this is not")
    assert s.create_session("fresh") > 0


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    Store(db).conn.execute("UPDATE schema_version SET version = 999")
    with pytest.raises(StoreError, match="newer tunerec"):
        Store(db)


def test_read_only_home_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() == 0:  # root ignores permission bits: make the check see them
        import tunerec.store as store_mod

        monkeypatch.setattr(store_mod.os, "access", lambda p, mode: not (Path(p) == ro and mode & os.W_OK))
    with pytest.raises(StoreError, match="read-only"):
        Store(ro / "db.sqlite3")


def test_missing_home_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create"):
        Store(blocker / "sub" / "db.sqlite3")
