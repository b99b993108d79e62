"""Shared fixtures: an isolated TUNEREC_HOME, the bundled dataset, and tiny hand-made copies."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from tunerec.data import Dataset, load_dataset

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def tunerec_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own user home (store, models, cache)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TUNEREC_HOME", str(home))
    monkeypatch.delenv("TUNEREC_DATA", raising=False)
    return home


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """The bundled dataset, loaded once per test run (cache in a private folder)."""
    old = os.environ.get("TUNEREC_HOME")
    os.environ["TUNEREC_HOME"] = str(tmp_path_factory.mktemp("session-home"))
    try:
        return load_dataset()
    finally:
        if old is None:
            os.environ.pop("TUNEREC_HOME", None)
        else:
            os.environ["TUNEREC_HOME"] = old


def madrid_midnight_ms(year: int, month: int, day: int = 1) -> int:
    ts = pd.Timestamp(year=year, month=month, day=day, tz="Europe/Madrid")
    return int(ts.tz_convert("UTC").value // 1_000_000)


def tiny_files() -> dict[str, bytes]:
    """A small, valid HetRec-shaped dataset with the real files' traps:
    quotes in artist names (UTF-8, LF), latin-1 tags with CRLF, tags differing only
    by case/spacing, a tagged artist missing from artists.dat (99), and a 1956 row."""
    artists = (
        "id\tname\turl\tpictureURL\n"
        "1\tRadiohead\thttp://www.last.fm/music/Radiohead\thttp://img/1.jpg\n"
        '2\t"Weird Al" Yankovic\thttp://www.last.fm/music/%22Weird+Al%22+Yankovic\t\n'
        "3\tBjörk\thttp://www.last.fm/music/Bj%C3%B6rk\thttp://img/3.jpg\n"
        "4\tPortishead\thttp://www.last.fm/music/Portishead\thttp://img/4.jpg\n"
    ).encode("utf-8")
    tags = "tagID\ttagValue\r\n1\trock\r\n2\telectrónica\r\n3\tHip Hop\r\n4\thip  hop\r\n".encode("latin-1")
    user_artists = b"userID\tartistID\tweight\r\n2\t1\t100\r\n2\t3\t50\r\n3\t1\t10\r\n3\t4\t7\r\n4\t2\t1\r\n"
    friends = b"userID\tfriendID\r\n2\t3\r\n3\t2\r\n3\t4\r\n4\t3\r\n"
    rows = [  # user, artist, tag, day, month, year
        (2, 1, 1, 1, 4, 2009),
        (2, 3, 2, 1, 4, 2009),
        (2, 99, 1, 1, 5, 2009),
        (3, 1, 1, 1, 4, 2009),
        (3, 4, 3, 1, 4, 2009),
        (3, 4, 4, 1, 1, 1956),
        (4, 2, 1, 1, 6, 2010),
    ]
    dated = "userID\tartistID\ttagID\tday\tmonth\tyear\r\n" + "".join(
        f"{u}\t{a}\t{t}\t{d}\t{m}\t{y}\r\n" for u, a, t, d, m, y in rows
    )
    stamped = "userID\tartistID\ttagID\ttimestamp\r\n" + "".join(
        f"{u}\t{a}\t{t}\t{madrid_midnight_ms(y, m, d)}\r\n" for u, a, t, d, m, y in rows
    )
    return {
        "artists.dat": artists,
        "tags.dat": tags,
        "user_artists.dat": user_artists,
        "user_friends.dat": friends,
        "user_taggedartists.dat": dated.encode(),
        "user_taggedartists-timestamps.dat": stamped.encode(),
    }


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "tiny", tiny_files())
