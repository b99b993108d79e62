"""History file formats: detection, streaming parsers, bad lines with line numbers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from test_history_helpers import T0, iso, lastfm1k_text, listenbrainz_listen, spotify_stream, spotify_text
from tunerec.data.errors import DataError
from tunerec.history import formats
from tunerec.history.formats import FORMATS, Problems, choose_format, detect_format


def parse(fmt: str, data: bytes, **kw) -> tuple[list, Problems]:
    problems = Problems()
    plays = [p for batch in FORMATS[fmt].parse(io.BytesIO(data), len(data), problems, **kw) for p in batch]
    return plays, problems


LASTFM = lastfm1k_text([(T0 + 300, "Radiohead", "Airbag"), (T0, "Björk", "Jóga")])
JSONL = "\n".join(json.dumps(listenbrainz_listen(T0 + i, "Portishead", f"t{i}")) for i in range(3)) + "\n"
SPOTIFY = spotify_text([spotify_stream(T0, "Massive Attack", 200_000)])
CSV = "timestamp,artist,track\n2009-04-29T10:00:00Z,Radiohead,Airbag\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        (LASTFM, "lastfm1k"),
        (JSONL, "listenbrainz"),
        ("[" + json.dumps(listenbrainz_listen(T0, "Portishead")) + "]", "listenbrainz"),
        (SPOTIFY, "spotify"),
        (CSV, "csv"),
        ("\ufeff" + CSV, "csv"),
        ("hello world\nthis is not a history\n", None),
        ('[{"foo": 1}]', None),
    ],
)
def test_detect_format(text: str, expected: str | None) -> None:
    assert detect_format(text.encode("utf-8")) == expected


def test_lastfm1k_parses_plays_in_file_order() -> None:
    plays, problems = parse("lastfm1k", LASTFM.encode())
    assert plays == [(T0 + 300, "Radiohead", "Airbag", "mbid-radi"), (T0, "Björk", "Jóga", "mbid-björ")]
    assert problems.bad_lines == 0


def test_lastfm1k_bad_lines_are_counted_with_line_numbers_first_ten_kept() -> None:
    good = f"user_000001\t{iso(T0)}\t\tRadiohead\t\tAirbag"
    lines = [good]
    for i in range(12):
        lines.append("only\ttwo")  # lines 2..13
    lines.append("user_000001\tyesterday\t\tRadiohead\t\tAirbag")  # 14
    lines.append(f"user_000001\t{iso(T0)}\t\t \t\tAirbag")  # 15: empty artist
    lines.append("user_000001\t1800-01-01T00:00:00Z\t\tRadiohead\t\tx")  # 16: out of range
    data = ("\r\n".join(lines) + "\r\n").encode() + b"user_000001\t2009-04-29T10:00:00Z\t\tBj\xf6rk\t\tx\n" + (good + "\n").encode()
    plays, problems = parse("lastfm1k", data)
    assert len(plays) == 2
    assert problems.bad_lines == 16
    assert [n for n, _ in problems.first] == list(range(2, 12))
    assert "expected 6 tab-separated fields, found 2" in problems.first[0][1]
    _, p2 = parse("lastfm1k", "\n".join(lines[13:16]).encode() + b"\nuser_000001\t2009-04-29T10:00:00Z\t\tBj\xf6rk\t\tx\n")
    assert [(n, why.split(" ")[0]) for n, why in p2.first] == [(1, "bad"), (2, "empty"), (3, "timestamp"), (4, "not")]


def test_lastfm1k_user_filter_skips_other_users() -> None:
    text = lastfm1k_text([(T0, "Radiohead", "a")], user="user_000001") + lastfm1k_text([(T0 + 1, "Björk", "b")], user="user_000002")
    plays, problems = parse("lastfm1k", text.encode(), user="user_000002")
    assert [p[1] for p in plays] == ["Björk"] and problems.skipped == {"other users": 1}


SPOTIFY_40 = spotify_text([spotify_stream(T0 + 60 * i, "Massive Attack", 200_000, f"t{i}") for i in range(40)])
LB_ARRAY_40 = json.dumps([listenbrainz_listen(T0 + i, "Portishead", f"t{i}") for i in range(40)], indent=1)


@pytest.mark.parametrize(
    "fmt, text",
    [
        ("lastfm1k", LASTFM * 40),
        ("listenbrainz", JSONL * 40),
        ("listenbrainz", LB_ARRAY_40),
        ("spotify", SPOTIFY_40),
        ("csv", CSV + CSV.split("\n", 1)[1] * 40),
    ],
)
def test_parsers_stream_across_tiny_chunks(monkeypatch: pytest.MonkeyPatch, fmt: str, text: str) -> None:
    whole, _ = parse(fmt, text.encode())
    monkeypatch.setattr(formats, "CHUNK", 7)
    chunked, problems = parse(fmt, text.encode())
    assert chunked == whole and problems.bad_lines == 0 and len(whole) >= 40


def test_listenbrainz_jsonl_and_array_give_the_same_plays() -> None:
    listens = [listenbrainz_listen(T0 + 60 * i, "Portishead", f"t{i}", ["8f6bd1e4-fbe1-4f50-aa9b-94c450ec0f11"]) for i in range(5)]
    a, _ = parse("listenbrainz", "\n".join(json.dumps(x) for x in listens).encode())
    b, _ = parse("listenbrainz", json.dumps(listens, indent=1).encode())
    assert a == b
    assert a[0] == (T0, "Portishead", "t0", "8f6bd1e4-fbe1-4f50-aa9b-94c450ec0f11")


def test_listenbrainz_bad_records_counted_and_the_rest_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "CHUNK", 64)
    rows = [
        json.dumps(listenbrainz_listen(T0, "Portishead")),  # 1
        '{"listened_at": 1241000000, "track_metadata": {"artist_name": "Bro',  # 2: broken JSON
        json.dumps({"listened_at": T0, "track_metadata": {}}),  # 3: no artist
        json.dumps(listenbrainz_listen(T0, "Radiohead") | {"listened_at": "never"}),  # 4: bad time
        "[1, 2]",  # 5: not an object
        json.dumps(listenbrainz_listen(T0 + 9, "Radiohead")),  # 6
    ]
    plays, problems = parse("listenbrainz", ("\n".join(rows) + "\n").encode())
    assert [p[1] for p in plays] == ["Portishead", "Radiohead"]
    assert [n for n, _ in problems.first] == [2, 3, 4, 5]
    assert problems.first[0][1] == "malformed JSON record"


def test_spotify_skips_short_plays_and_podcasts_and_reports_bad_records() -> None:
    streams = [
        spotify_stream(T0, "Massive Attack", 200_000, "Teardrop"),
        spotify_stream(T0 + 300, "Massive Attack", 29_999),
        spotify_stream(T0 + 600, None, 900_000),
        spotify_stream(T0 + 900, "Portishead", 30_000, "Roads"),
        {"ts": "garbage", "ms_played": 1, "master_metadata_album_artist_name": "X"},
    ]
    plays, problems = parse("spotify", spotify_text(streams).encode())
    assert plays == [(T0, "Massive Attack", "Teardrop", ""), (T0 + 900, "Portishead", "Roads", "")]
    assert problems.skipped == {"played under 30 s": 1, "not music (no artist)": 1}
    assert problems.bad_lines == 1 and "'ts'" in problems.first[0][1]
    object_lines = [i + 1 for i, line in enumerate(spotify_text(streams).split("\n")) if line == "  {"]
    assert problems.first[0][0] == object_lines[4]


def test_csv_accepts_iso_and_unix_times_and_any_column_order() -> None:
    text = "artist,timestamp\nRadiohead,1241000000\nBjörk,2009-04-29 10:00:00\n\"Simon & Garfunkel, live\",1241000000000\n"
    plays, problems = parse("csv", text.encode())
    assert plays == [(T0, "Radiohead", "", ""), (1240999200, "Björk", "", ""), (T0, "Simon & Garfunkel, live", "", "")]
    assert problems.bad_lines == 0


def test_csv_without_header_is_an_error() -> None:
    with pytest.raises(DataError, match="header required"):
        parse("csv", b"2009-04-29T10:00:00Z,Radiohead\n")


def test_wrong_format_names_the_expected_one(tmp_path: Path) -> None:
    f = tmp_path / "Streaming_History_Audio_2009.json"
    f.write_text(LASTFM, encoding="utf-8")
    with pytest.raises(DataError) as err:
        choose_format(f, "spotify")
    msg = str(err.value)
    assert "not a Spotify extended streaming history file" in msg and "'ms_played'" in msg and "--format lastfm1k" in msg
    f.write_text("just some words\n", encoding="utf-8")
    with pytest.raises(DataError, match="cannot tell the history format"):
        choose_format(f, None)


def test_spotify_array_with_a_broken_element_resyncs_at_the_next_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "CHUNK", 100)
    good = [spotify_stream(T0 + 60 * i, "Massive Attack", 200_000, f"t{i}") for i in range(6)]
    text = spotify_text(good)
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if line == "  {"]
    lines[starts[2] + 2] = '    "ms_played": 200000 oops,'  # break the third element
    plays, problems = parse("spotify", "\n".join(lines).encode())
    assert [p[2] for p in plays] == ["t0", "t1", "t3", "t4", "t5"]
    assert problems.bad_lines == 1 and problems.first[0] == (starts[2] + 1, "malformed JSON record")


def test_iso_utc_seconds_agrees_with_datetime_on_every_day_and_refuses_other_forms() -> None:
    import random
    from datetime import datetime, timedelta, timezone

    from tunerec.history.formats import iso_utc_seconds, parse_time

    rng = random.Random(3)
    start = datetime(1990, 1, 1, tzinfo=timezone.utc)
    stamps = [(start + timedelta(days=d, seconds=rng.randrange(86400))).strftime("%Y-%m-%dT%H:%M:%SZ") for d in range(40177)]
    got = iso_utc_seconds(stamps)
    assert got is not None and got.tolist() == [parse_time(s) for s in stamps]
    assert stamps[-1].startswith("2099-12-31")
    ok = "2009-01-01T00:00:00Z"
    for bad in [
        "2009-02-29T00:00:00Z", "2009-04-31T10:00:00Z", "2009-13-01T00:00:00Z", "2009-00-10T00:00:00Z", "2009-01-00T00:00:00Z",
        "2009-01-01T24:00:00Z", "2009-01-01T23:60:00Z", "2009-01-01T23:59:60Z", "1989-12-31T23:59:59Z", "2100-01-01T00:00:00Z",
        "2009-01-01 00:00:00Z", "2009-01-01T00:00:00+", "20O9-01-01T00:00:00Z", "2009-01-01T00:00:00", "２009-01-01T00:00:00Z",
    ]:
        assert iso_utc_seconds([ok, bad]) is None, bad  # the caller then parses line by line
    assert iso_utc_seconds(["2008-02-29T12:00:00Z", "2000-02-29T00:00:00Z"]).tolist() == [1204286400, 951782400]


def test_lastfm1k_fast_chunks_and_line_by_line_parsing_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of well-formed lines are split column-wise, any other chunk line by line:
    the plays, bad lines (with numbers), skipped plays and users must not depend on which."""
    import random

    rng = random.Random(11)
    good = [f"user_00000{u}\t{iso(T0 - 60 * i)}\tmbid-{i % 7}\tArtist {i % 13}\t\tTrack {i}" for i in range(400) for u in (rng.choice("12"),)]
    odd = [
        "only\ttwo", "", f"user_000001\t{iso(T0)}\t\t \t\tx", f"user_000001\t{iso(T0)}\t\t\t\tx", "user_000001\t1241000000\t\tUnix\t\tx",
        "user_000001\t2009-04-29T10:00:00+00:00\t\tOffset\t\tx", "user_000001\t2009-02-30T10:00:00Z\t\tA\t\tx",
        f"u\t{iso(T0)}\tm\ta\tb\tc\td", f"u\t{iso(T0)}\tm\ta", f"user_000001\t{iso(T0)}\t\tCarriage\t\tx\r",
    ]
    lines = list(good)
    for bad in odd:
        lines.insert(rng.randrange(len(lines)), bad)
    data = ("\n".join(lines) + "\n").encode() + b"user_000001\t2009-04-29T10:00:00Z\t\tBj\xf6rk\t\tx\n" + (good[0] + "\n").encode()

    def line_by_line(user: str | None) -> tuple[list, tuple]:
        problems = Problems()
        plays = formats._lastfm1k_lines(formats._decode_lines(data), 0, problems, user)
        return plays, (problems.bad_lines, problems.first, problems.skipped, problems.users)

    for chunk in (300, 4096, 1 << 20):
        monkeypatch.setattr(formats, "CHUNK", chunk)
        for user in (None, "user_000002", "user_000009"):
            plays, problems = parse("lastfm1k", data, user=user)
            assert (plays, (problems.bad_lines, problems.first, problems.skipped, problems.users)) == line_by_line(user)
    monkeypatch.setattr(formats, "CHUNK", 4096)
    plays, problems = parse("lastfm1k", ("\n".join(good) + "\n").encode())  # only well-formed chunks
    assert len(plays) == 400 and problems.bad_lines == 0 and plays[1] == (T0 - 60, "Artist 1", "Track 1", "mbid-1")
