"""Small real-shaped history files and a tiny catalogue shared by the history tests (no tests here)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from tunerec.history import CatalogueMatcher

#: (artist_id, name) of a tiny catalogue with the traps the matcher must handle.
CATALOGUE = [
    (1, "Radiohead"),
    (2, "The Beatles"),
    (3, "Simon & Garfunkel"),
    (4, "Björk"),
    (5, "Guns N' Roses"),
    (6, "Yael Naïm"),
    (7, "Yael Naim"),
    (8, "Young Love"),
    (9, "J Cole"),
    (10, "AC/DC"),
    (11, "Jazzanova"),
    (12, "4 Hero"),
    (13, "!!!"),
    (14, "Portishead"),
    (15, "Massive Attack"),
]


def tiny_matcher(threshold: float = 90.0) -> CatalogueMatcher:
    return CatalogueMatcher([a for a, _ in CATALOGUE], [n for _, n in CATALOGUE], threshold)


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


T0 = 1_241_000_000  # 2009-04-29


def lastfm1k_text(plays: list[tuple[int, str, str]], user: str = "user_000001", newest_first: bool = True) -> str:
    rows = sorted(plays, key=lambda p: -p[0] if newest_first else p[0])
    return "".join(f"{user}\t{iso(ts)}\tmbid-{artist.lower()[:4]}\t{artist}\t\t{track}\n" for ts, artist, track in rows)


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def listenbrainz_listen(ts: int, artist: str, track: str = "song", mbids: list[str] | None = None) -> dict:
    info = {"artist_mbids": mbids} if mbids else {}
    return {"listened_at": ts, "track_metadata": {"artist_name": artist, "track_name": track, "additional_info": info}, "user_name": "me"}


def spotify_stream(ts: int, artist: str | None, ms: int, track: str = "song") -> dict:
    return {
        "ts": iso(ts), "platform": "linux", "ms_played": ms, "conn_country": "ES",
        "master_metadata_track_name": track if artist else None, "master_metadata_album_artist_name": artist,
        "master_metadata_album_album_name": "album" if artist else None, "spotify_track_uri": "spotify:track:x" if artist else None,
        "episode_name": None if artist else "A podcast", "reason_start": "trackdone", "reason_end": "trackdone", "shuffle": False, "skipped": None,
    }


def spotify_text(streams: list[dict]) -> str:
    return json.dumps(streams, indent=2)
