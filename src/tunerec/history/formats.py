"""Listening-history file formats: detection from content and streaming parsers.

Every parser reads the file in 512 KiB chunks (constant memory), yields a :class:`Batch` of
plays ``(unix_ts, artist_name, track_name, artist_mbid)`` per chunk and records malformed
lines in a :class:`Problems` (count plus the first ten with their line numbers) instead of
stopping.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import repeat
from operator import contains
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import numpy as np

from tunerec.data.errors import DataError

Play = tuple[int, str, str, str]  # (unix seconds UTC, artist name, track name, artist MBID or "")
Progress = Callable[[int, int], None]  # (bytes read, total bytes)

CHUNK = 1 << 19  # 512 KiB: less memory held per batch, as fast as 1 MiB
MAX_RECORD = 1 << 20  # a JSON record larger than this is malformed
SHOWN_PROBLEMS = 10
MIN_SPOTIFY_MS = 30_000
#: Plays outside [1990-01-01, 2100-01-01) are rejected as bad timestamps.
TS_MIN, TS_MAX = 631_152_000, 4_102_444_800
NOT_UTF8 = "not valid UTF-8"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class Problems:
    """Malformed lines (count and the first few with line numbers) and skipped plays."""

    bad_lines: int = 0
    first: list[tuple[int, str]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    users: set[str] = field(default_factory=set)  # Last.fm 1K: the user ids seen

    def bad(self, line: int, reason: str) -> None:
        self.bad_lines += 1
        if len(self.first) < SHOWN_PROBLEMS:
            self.first.append((line, reason))

    def skip(self, why: str, n: int = 1) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + n


class Batch:
    """Plays column-wise (unix times as an int64 array; artist names, track names, artist
    MBIDs as lists), so that the importer's per-play work runs in C; iterating gives
    ``(ts, artist, track, mbid)`` tuples."""

    __slots__ = ("times", "artists", "tracks", "mbids")

    def __init__(self, times: np.ndarray, artists: list[str], tracks: list[str], mbids: list[str]) -> None:
        self.times, self.artists, self.tracks, self.mbids = times, artists, tracks, mbids

    @classmethod
    def of(cls, plays: list[Play]) -> "Batch":
        if not plays:
            return cls(np.zeros(0, dtype=np.int64), [], [], [])
        times, artists, tracks, mbids = zip(*plays)
        return cls(np.array(times, dtype=np.int64), list(artists), list(tracks), list(mbids))

    def __len__(self) -> int:
        return len(self.artists)

    def __iter__(self) -> Iterator[Play]:
        return zip(self.times.tolist(), self.artists, self.tracks, self.mbids)


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    expected: str  # what a file of this format looks like (for error messages)
    parse: Callable[..., Iterator[Batch]]


# ------------------------------------------------------------------ helpers
def parse_time(text: str) -> int:
    """ISO-8601 (naive = UTC) or unix seconds/milliseconds -> unix seconds; ValueError if bad."""
    s = text.strip()
    if s.isdigit():
        v = int(s)
        ts = v // 1000 if v > 100_000_000_000 else v
    else:
        dt = datetime.fromisoformat(s)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        ts = int(dt.timestamp())
    if not TS_MIN <= ts < TS_MAX:
        raise ValueError(f"timestamp {text!r} is outside 1990..2100")
    return ts


def _chunks(fb: BinaryIO, total: int, progress: Progress | None) -> Iterator[bytes]:
    """Chunks of whole lines (split after the last newline), the first without a UTF-8 BOM."""
    rest = b""
    done = 0
    first = True
    while True:
        data = fb.read(CHUNK)
        done += len(data)
        if first:
            first = False
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
        if not data:
            if rest:
                yield rest
            if progress:
                progress(done, total)
            return
        buf = rest + data
        cut = buf.rfind(b"\n")
        if cut < 0:
            rest = buf
            continue
        rest = buf[cut + 1 :]
        yield buf[: cut + 1]
        if progress:
            progress(done, total)


def _decode_lines(chunk: bytes) -> list[str | None]:
    """The lines of a chunk (None for a line that is not valid UTF-8: the parser counts it)."""
    try:
        text = chunk.decode("utf-8")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines: list[str | None] = text.split("\n")
    except UnicodeDecodeError:
        lines = []
        for raw in chunk.split(b"\n"):
            try:
                lines.append(raw.decode("utf-8").rstrip("\r"))
            except UnicodeDecodeError:
                lines.append(None)
    if chunk.endswith(b"\n"):
        lines.pop()
    return lines


def _lines(fb: BinaryIO, total: int, progress: Progress | None) -> Iterator[list[str | None]]:
    """Decoded lines per chunk (see :func:`_decode_lines`)."""
    for chunk in _chunks(fb, total, progress):
        yield _decode_lines(chunk)


# ---------------------------------------------------------------- Last.fm 1K
#: Positions of the digits in 'YYYY-MM-DDTHH:MM:SSZ', and the separators' positions and bytes.
_ISO_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
_ISO_SEP_AT = [4, 7, 10, 13, 16, 19]
_ISO_SEPS = np.frombuffer(b"--T::Z", dtype=np.uint8)
#: Days in each month (index 1..12) of a common year.
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


def iso_utc_seconds(times: list[str]) -> np.ndarray | None:
    """Unix seconds of timestamps all written 'YYYY-MM-DDTHH:MM:SSZ' (the Last.fm 1K
    form), converted together with numpy; None unless every one is of that form, a real
    date and time (no leap seconds) and inside 1990..2100 (the caller then parses them
    one by one and reports the bad ones)."""
    n = len(times)
    text = "".join(times)
    if n == 0 or len(text) != 20 * n or not text.isascii():
        return None
    a = np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(n, 20)
    if not (a[:, _ISO_SEP_AT] == _ISO_SEPS).all():
        return None
    d = a[:, _ISO_DIGITS] - np.uint8(48)  # a non-digit wraps around to > 9
    if (d > 9).any():
        return None
    d = d.astype(np.int32)
    pairs = d[:, 0::2] * 10 + d[:, 1::2]  # YY, YY, MM, DD, hh, mm, ss
    year = pairs[:, 0] * 100 + pairs[:, 1]
    month, day, hour, minute, second = pairs[:, 2], pairs[:, 3], pairs[:, 4], pairs[:, 5], pairs[:, 6]
    if not ((month >= 1) & (month <= 12) & (day >= 1) & (hour <= 23) & (minute <= 59) & (second <= 59)).all():
        return None
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    if (day > _MONTH_DAYS[month] + (leap & (month == 2))).any():
        return None
    # days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    ts = days.astype(np.int64) * 86400 + (hour * 3600 + minute * 60 + second)
    if ts.min() < TS_MIN or ts.max() >= TS_MAX:
        return None
    return ts


def _lastfm1k_chunk(chunk: bytes, problems: Problems, user: str | None) -> tuple[Batch, int] | None:
    """The plays and the number of lines of a chunk in which every line is a well-formed
    play (exactly six fields, a 'YYYY-MM-DDTHH:MM:SSZ' time in range, an artist name),
    split column-wise with a few C-level passes; None when any line is not, so that the
    line-by-line parser reports it."""
    if b"\r" in chunk:
        return None
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None
    n = chunk.count(b"\n")
    if not text.endswith("\n"):
        text += "\n"
        n += 1
    # split on tabs only: each line's track merges with the next line's user ("track\nuser").
    # With 5n + 1 fields, n newlines and one in each merged field (flat[5::5], n of them),
    # every line has exactly six fields.
    flat = text.split("\t")
    if len(flat) != 5 * n + 1:
        return None
    merged = flat[5::5]
    if not all(map(contains, merged, repeat("\n"))):
        return None
    artists = flat[3::5]
    distinct = set(artists)
    if "" in distinct or any(map(str.isspace, distinct)):
        return None
    ts = iso_utc_seconds(flat[1::5])
    if ts is None:
        return None
    parts = "\n".join(merged).split("\n")  # track 1, user 2, track 2, user 3, ..., track n, ""
    users = parts[1::2]
    users[-1] = flat[0]
    seen = set(users)
    problems.users.update(seen)
    if user is not None and seen != {user}:
        if user in seen:
            return None  # a chunk with several users: filtered line by line
        problems.skip("other users", n)
        return Batch.of([]), n
    return Batch(ts, artists, parts[0::2], flat[2::5]), n


def parse_lastfm1k(fb: BinaryIO, total: int, problems: Problems, progress: Progress | None = None, user: str | None = None) -> Iterator[Batch]:
    """Last.fm 1K per-play TSV: user, ISO timestamp, artist MBID, artist, track MBID, track.

    Chunks of well-formed lines take a column-wise path (:func:`_lastfm1k_chunk`); a chunk
    with any other line is parsed line by line, with the same results."""
    lineno = 0
    for chunk in _chunks(fb, total, progress):
        fast = _lastfm1k_chunk(chunk, problems, user)
        if fast is not None:
            batch, n = fast
            lineno += n
            yield batch
            continue
        lines = _decode_lines(chunk)
        yield Batch.of(_lastfm1k_lines(lines, lineno, problems, user))
        lineno += len(lines)


def _lastfm1k_lines(lines: list[str | None], lineno: int, problems: Problems, user: str | None) -> list[Play]:
    """Plays of Last.fm 1K lines parsed one by one (line numbers after ``lineno``); bad
    lines are counted."""
    fromiso = datetime.fromisoformat
    epoch = _EPOCH
    last_user = None
    out: list[Play] = []
    append = out.append
    for lineno, line in enumerate(lines, lineno + 1):
        try:
            who, t, mbid, artist, _, track = line.split("\t")  # type: ignore[union-attr]
            d = fromiso(t) - epoch  # TypeError when t has no time zone
            ts = d.days * 86400 + d.seconds
        except (ValueError, TypeError, AttributeError):
            if not line:
                if line is None:
                    problems.bad(lineno, NOT_UTF8)
                continue
            p = line.split("\t")
            if len(p) != 6:
                problems.bad(lineno, f"expected 6 tab-separated fields, found {len(p)}")
                continue
            who, t, mbid, artist, _, track = p
            try:
                ts = parse_time(t)
            except ValueError:
                problems.bad(lineno, f"bad timestamp {t[:40]!r}")
                continue
        if who != last_user:
            problems.users.add(who)
            last_user = who
        if user is not None and who != user:
            problems.skip("other users")
            continue
        if not TS_MIN <= ts < TS_MAX:
            problems.bad(lineno, f"timestamp {t[:40]!r} is outside 1990..2100")
            continue
        if not artist or artist.isspace():
            problems.bad(lineno, "empty artist name")
            continue
        append((ts, artist, track, mbid))
    return out


# ---------------------------------------------------------------- JSON scanner
_NEXT_RECORD = re.compile(r"\n\s*[\[{]")


def iter_json_records(fb: BinaryIO, total: int, problems: Problems, progress: Progress | None = None) -> Iterator[tuple[int, object]]:
    """(line, value) for each element of a JSON array or each JSON-lines record, streaming.

    A malformed record is counted (with its line) and skipped up to the next line that
    starts a record."""
    decoder = json.JSONDecoder()
    chunks = _chunks(fb, total, progress)
    buf = ""
    pos = 0
    line = 1
    eof = False
    started = False

    def more() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        try:
            raw = next(chunks)
        except StopIteration:
            eof = True
            return False
        buf = buf[pos:] + raw.decode("utf-8", errors="replace")
        pos = 0
        return True

    more()
    while True:
        # skip separators
        n = len(buf)
        while pos < n and buf[pos] in " \t\r\n,]":
            if buf[pos] == "\n":
                line += 1
            pos += 1
        if pos >= n:
            if more():
                continue
            return
        if not started:
            started = True
            if buf[pos] == "[":  # a JSON array: its elements are the records
                pos += 1
                continue
        try:
            value, end = decoder.raw_decode(buf, pos)
        except json.JSONDecodeError:
            if not eof and len(buf) - pos < MAX_RECORD and more():
                continue
            problems.bad(line, "malformed JSON record")
            m = _NEXT_RECORD.search(buf, pos + 1)
            while m is None and len(buf) - pos < 4 * MAX_RECORD and more():
                m = _NEXT_RECORD.search(buf, pos + 1)
            stop = m.start() if m else len(buf)
            line += buf.count("\n", pos, stop)
            pos = stop
            continue
        yield line, value
        line += buf.count("\n", pos, end)
        pos = end


def _batched(records: Iterator[Play | None], size: int = 5000) -> Iterator[Batch]:
    out: list[Play] = []
    for r in records:
        if r is not None:
            out.append(r)
            if len(out) >= size:
                yield Batch.of(out)
                out = []
    yield Batch.of(out)


# ---------------------------------------------------------------- ListenBrainz
def parse_listenbrainz(fb: BinaryIO, total: int, problems: Problems, progress: Progress | None = None, **_: object) -> Iterator[Batch]:
    """ListenBrainz export: JSON lines or a JSON array of listens."""

    def plays() -> Iterator[Play | None]:
        for line, rec in iter_json_records(fb, total, problems, progress):
            if not isinstance(rec, dict):
                problems.bad(line, "listen is not a JSON object")
                continue
            meta = rec.get("track_metadata")
            if not isinstance(meta, dict):
                problems.bad(line, "missing 'track_metadata'")
                continue
            artist = meta.get("artist_name")
            if not isinstance(artist, str) or not artist.strip():
                problems.bad(line, "missing 'track_metadata.artist_name'")
                continue
            try:
                when = rec.get("listened_at")
                if isinstance(when, bool) or not isinstance(when, (int, float, str)):
                    raise ValueError
                ts = parse_time(str(int(when)) if isinstance(when, (int, float)) else when)
            except ValueError:
                problems.bad(line, f"bad or missing 'listened_at' {str(rec.get('listened_at'))[:40]!r}")
                continue
            info = meta.get("additional_info") or {}
            mbids = info.get("artist_mbids") if isinstance(info, dict) else None
            mbid = mbids[0] if isinstance(mbids, list) and mbids and isinstance(mbids[0], str) else ""
            track = meta.get("track_name")
            yield ts, artist, track if isinstance(track, str) else "", mbid

    return _batched(plays())


# ---------------------------------------------------------------- Spotify
def parse_spotify(fb: BinaryIO, total: int, problems: Problems, progress: Progress | None = None, **_: object) -> Iterator[Batch]:
    """Spotify extended streaming history (JSON array); plays under 30 s and
    non-music streams (no artist: podcasts, audiobooks) are skipped and counted."""

    def plays() -> Iterator[Play | None]:
        for line, rec in iter_json_records(fb, total, problems, progress):
            if not isinstance(rec, dict):
                problems.bad(line, "stream is not a JSON object")
                continue
            try:
                ts = parse_time(str(rec.get("ts", "")))
            except ValueError:
                problems.bad(line, f"bad or missing 'ts' {str(rec.get('ts'))[:40]!r}")
                continue
            ms = rec.get("ms_played")
            if isinstance(ms, bool) or not isinstance(ms, (int, float)):
                problems.bad(line, "bad or missing 'ms_played'")
                continue
            artist = rec.get("master_metadata_album_artist_name")
            if artist is None:
                problems.skip("not music (no artist)")
                continue
            if not isinstance(artist, str) or not artist.strip():
                problems.bad(line, "bad 'master_metadata_album_artist_name'")
                continue
            if ms < MIN_SPOTIFY_MS:
                problems.skip("played under 30 s")
                continue
            track = rec.get("master_metadata_track_name")
            yield ts, artist, track if isinstance(track, str) else "", ""

    return _batched(plays())


# ---------------------------------------------------------------- CSV
def parse_csv(fb: BinaryIO, total: int, problems: Problems, progress: Progress | None = None, **_: object) -> Iterator[Batch]:
    """CSV with a header naming ``timestamp`` and ``artist`` (``track`` optional)."""
    lineno = 0
    cols: tuple[int, int, int | None] | None = None
    for lines in _lines(fb, total, progress):
        out: list[Play] = []
        for line in lines:
            lineno += 1
            if line is None:
                problems.bad(lineno, NOT_UTF8)
                continue
            if not line.strip():
                continue
            try:
                row = next(csv.reader([line]))
            except csv.Error as exc:
                problems.bad(lineno, f"bad CSV: {exc}")
                continue
            if cols is None:
                head = [h.strip().casefold() for h in row]
                if "timestamp" not in head or "artist" not in head:
                    raise DataError("CSV header required: timestamp,artist[,track]", line=lineno)
                cols = (head.index("timestamp"), head.index("artist"), head.index("track") if "track" in head else None)
                continue
            it, ia, itr = cols
            if len(row) <= max(it, ia):
                problems.bad(lineno, f"expected at least {max(it, ia) + 1} fields, found {len(row)}")
                continue
            try:
                ts = parse_time(row[it])
            except ValueError:
                problems.bad(lineno, f"bad timestamp {row[it][:40]!r}")
                continue
            artist = row[ia].strip()
            if not artist:
                problems.bad(lineno, "empty artist name")
                continue
            track = row[itr] if itr is not None and itr < len(row) else ""
            out.append((ts, artist, track, ""))
        yield Batch.of(out)
    if cols is None:
        raise DataError("CSV header required: timestamp,artist[,track]; the file is empty")


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("lastfm1k", "Last.fm 1K TSV", "6 tab-separated fields per line: user, ISO-8601 time, artist MBID, artist, track MBID, track", parse_lastfm1k),
        Format("listenbrainz", "ListenBrainz export", "JSON lines or a JSON array of listens with 'listened_at' and 'track_metadata.artist_name'", parse_listenbrainz),
        Format("spotify", "Spotify extended streaming history", "a JSON array of streams with 'ts', 'master_metadata_album_artist_name' and 'ms_played'", parse_spotify),
        Format("csv", "CSV", "a CSV file whose header names timestamp,artist[,track]", parse_csv),
    )
}


def detect_format(head: bytes) -> str | None:
    """The format of a file from its first bytes, or None when it fits none."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    s = text.lstrip()
    if s[:1] in ("[", "{"):
        body = s[1:].lstrip() if s[0] == "[" else s
        try:
            obj, _ = json.JSONDecoder().raw_decode(body)
        except json.JSONDecodeError:
            return None
        if isinstance(obj, dict):
            if "listened_at" in obj or "track_metadata" in obj:
                return "listenbrainz"
            if "ts" in obj and ("ms_played" in obj or "master_metadata_album_artist_name" in obj):
                return "spotify"
        return None
    first = next((ln for ln in s.splitlines() if ln.strip()), "")
    fields = first.split("\t")
    if len(fields) == 6:
        try:
            parse_time(fields[1])
            return "lastfm1k"
        except ValueError:
            pass
    try:
        head_row = [h.strip().casefold() for h in next(csv.reader([first]))]
    except (csv.Error, StopIteration):
        return None
    if "timestamp" in head_row and "artist" in head_row:
        return "csv"
    return None


def choose_format(path: Path, requested: str | None) -> str:
    """The format to read ``path`` with: detected from content, or ``requested`` after a check."""
    with open(path, "rb") as fb:
        head = fb.read(65536)
    found = detect_format(head)
    if requested is not None:
        if requested not in FORMATS:
            raise DataError(f"unknown format {requested!r}; choose one of {', '.join(FORMATS)}")
        want = FORMATS[requested]
        if found is not None and found != requested:
            raise DataError(
                f"this is not a {want.label} file (expected {want.expected}); "
                f"it looks like a {FORMATS[found].label} file: use --format {found}",
                file=str(path),
            )
        return requested
    if found is None:
        expected = "; ".join(f"{f.name}: {f.expected}" for f in FORMATS.values())
        raise DataError(f"cannot tell the history format from the content; expected one of {expected} (or give --format)", file=str(path))
    return found
