"""Importing history into the store: idempotence, one transaction, bad input, sessions, profile."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from conftest import REPO
from test_history_helpers import CATALOGUE, T0, lastfm1k_text, listenbrainz_listen, spotify_stream, spotify_text, tiny_matcher, write
from tunerec.data.errors import DataError
from tunerec.history import (
    CatalogueMatcher,
    build_profile,
    forget_history,
    history_summary,
    import_history,
    list_history_sessions,
    personal_context,
    split_sessions,
)
from tunerec.history import formats
from tunerec.history.settings import GAP_KEY
from tunerec.store import Store

MIN = 60
SAMPLE_ENV = "TUNEREC_LASTFM1K_SAMPLE"
DEFAULT_SAMPLE = REPO.parent / "shared" / "data" / "lastfm-1k-sample" / "userid-timestamp-artid-artname-traid-traname.head5000.tsv"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "store.sqlite3")
    yield s
    s.close()


def counts(store: Store) -> tuple[int, int, int]:
    c = store.conn
    return tuple(c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("history_plays", "history_artists", "history_imports"))


PLAYS = [
    (T0, "Radiohead", "Airbag"),
    (T0 + 4 * MIN, "Radiohead", "Paranoid Android"),
    (T0 + 8 * MIN, "Björk", "Jóga"),
    (T0 + 12 * MIN, "Unknown Local Band", "Demo"),
    (T0 + 3 * 3600, "Portishead", "Roads"),
    (T0 + 3 * 3600 + 4 * MIN, "Radiohed", "Creep"),
]


def test_import_reports_and_is_idempotent(store: Store, tmp_path: Path) -> None:
    f = write(tmp_path / "plays.tsv", lastfm1k_text(PLAYS))
    r1 = import_history(store, f, tiny_matcher())
    assert (r1.format, r1.plays, r1.new_plays, r1.bad_lines, r1.sessions) == ("lastfm1k", 6, 6, 0, 2)
    assert (r1.matched_exact, r1.matched_fuzzy, r1.unmatched_plays, r1.matched_plays) == (4, 1, 1, 5)
    assert r1.fuzzy_matches[0]["name"] == "Radiohed" and r1.fuzzy_matches[0]["matched_name"] == "Radiohead"
    assert r1.top_unmatched == [{"name": "Unknown Local Band", "plays": 1}]
    assert r1.first_play == "2009-04-29T10:13:20Z"
    r2 = import_history(store, f, tiny_matcher())
    assert (r2.plays, r2.new_plays, r2.matched_plays) == (6, 0, 5)
    assert counts(store)[0] == 6
    # an overlapping file adds only its new plays
    g = write(tmp_path / "more.tsv", lastfm1k_text(PLAYS + [(T0 + 5 * 3600, "Portishead", "Glory Box")]))
    assert import_history(store, g, tiny_matcher()).new_plays == 1
    assert counts(store)[0] == 7


def test_interrupted_import_leaves_the_store_unchanged(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import_history(store, write(tmp_path / "a.tsv", lastfm1k_text(PLAYS[:2])), tiny_matcher())
    before = counts(store)
    big = write(tmp_path / "big.tsv", lastfm1k_text([(T0 + 86400 + i * MIN, f"Band {i % 50}", f"t{i}") for i in range(3000)]))
    monkeypatch.setattr(formats, "CHUNK", 4096)
    seen = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done > total // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_history(store, big, tiny_matcher(), progress=progress)
    assert len(seen) > 3  # several batches were written before the interrupt
    assert counts(store) == before
    assert import_history(store, big, tiny_matcher()).new_plays == 3000  # and the store still works


def test_unreadable_file_is_an_error_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    f = write(tmp_path / "bad.tsv", "user_000001\tnot-a-time\t\tRadiohead\t\tx\n" * 3)
    with pytest.raises(DataError) as err:
        import_history(store, f, tiny_matcher(), "lastfm1k")
    msg = str(err.value)
    assert "bad.tsv" in msg and "no readable plays for Last.fm 1K TSV" in msg and "line 1: bad timestamp" in msg
    assert counts(store) == (0, 0, 0)


def test_some_bad_lines_do_not_abort(store: Store, tmp_path: Path) -> None:
    text = lastfm1k_text(PLAYS[:3]) + "broken line\n" + lastfm1k_text(PLAYS[3:])
    r = import_history(store, write(tmp_path / "p.tsv", text), tiny_matcher())
    assert (r.plays, r.bad_lines, r.bad_line_examples) == (6, 1, [{"line": 4, "problem": "expected 6 tab-separated fields, found 1"}])


def test_wrong_format_is_refused_before_writing(store: Store, tmp_path: Path) -> None:
    f = write(tmp_path / "x.json", spotify_text([spotify_stream(T0, "Radiohead", 100_000)]))
    with pytest.raises(DataError, match=r"not a ListenBrainz export file \(expected JSON lines"):
        import_history(store, f, tiny_matcher(), "listenbrainz")
    assert counts(store) == (0, 0, 0)


def test_every_format_imports(store: Store, tmp_path: Path) -> None:
    files = {
        "listenbrainz": write(tmp_path / "lb.jsonl", "\n".join(json.dumps(listenbrainz_listen(T0 + i, "Portishead", f"t{i}")) for i in range(3))),
        "spotify": write(tmp_path / "sp.json", spotify_text([spotify_stream(T0 + 100, "Björk", 60_000), spotify_stream(T0 + 200, "Björk", 5_000)])),
        "csv": write(tmp_path / "h.csv", "timestamp,artist,track\n2009-04-29T11:00:00Z,The Beatles,Help\n"),
    }
    got = {fmt: import_history(store, f, tiny_matcher()) for fmt, f in files.items()}
    assert {k: (r.format, r.plays, r.matched_exact) for k, r in got.items()} == {
        "listenbrainz": ("listenbrainz", 3, 3), "spotify": ("spotify", 1, 1), "csv": ("csv", 1, 1),
    }
    assert got["spotify"].skipped == {"played under 30 s": 1}


def test_names_sharing_an_mbid_borrow_the_match(store: Store, tmp_path: Path) -> None:
    mbid = "a74b1b7f-71a5-4011-9441-d0b5e4122711"
    rows = [listenbrainz_listen(T0, "Radiohead", "a", [mbid]), listenbrainz_listen(T0 + 60, "レディオヘッド", "b", [mbid])]
    r = import_history(store, write(tmp_path / "lb.jsonl", "\n".join(json.dumps(x) for x in rows)), tiny_matcher())
    assert (r.matched_exact, r.matched_mbid, r.unmatched_plays) == (1, 1, 0)


@pytest.mark.parametrize("gap_s, sessions", [(30 * MIN - 1, 1), (30 * MIN, 1), (30 * MIN + 1, 2)])
def test_sessions_split_when_the_gap_exceeds_30_minutes(store: Store, tmp_path: Path, gap_s: int, sessions: int) -> None:
    plays = [(T0, "Radiohead", "a"), (T0 + 3 * MIN, "Björk", "b"), (T0 + 3 * MIN + gap_s, "Portishead", "c")]
    r = import_history(store, write(tmp_path / "p.tsv", lastfm1k_text(plays)), tiny_matcher())
    assert r.sessions == sessions
    assert len(list_history_sessions(store, None, 10)) == sessions


def test_split_sessions_and_gap_setting(store: Store, tmp_path: Path) -> None:
    rows = [(0, 1, "Radiohead"), (60, 1, "Radiohead"), (120, None, "Local"), (180, 4, "Björk"), (5000, 4, "Björk")]
    s = list(split_sessions(rows, 1800))
    assert [(x.start, x.end, x.artist_ids, x.play_counts, x.plays, x.unmatched) for x in s] == [
        (0, 180, [1, 4], [2, 1], 4, {"Local": 1}), (5000, 5000, [4], [1], 1, {}),
    ]
    import_history(store, write(tmp_path / "p.tsv", lastfm1k_text(PLAYS)), tiny_matcher())
    assert len(list_history_sessions(store, None, 10)) == 2
    store.set_setting(GAP_KEY, 3)  # minutes; the plays are 4 minutes apart
    assert len(list_history_sessions(store, None, 10)) == 6


def test_recent_sessions_newest_first_with_play_order_and_counts(store: Store, tmp_path: Path) -> None:
    import_history(store, write(tmp_path / "p.tsv", lastfm1k_text(PLAYS)), tiny_matcher())
    newest, older = list_history_sessions(store, None, 5)
    assert (newest.artist_ids, newest.play_counts) == ([14, 1], [1, 1])
    assert (older.artist_ids, older.play_counts, older.unmatched_plays) == ([1, 4], [2, 1], 1)
    assert newest.start == T0 + 3 * 3600 and older.end == T0 + 12 * MIN
    assert [s.start for s in list_history_sessions(store, None, 1)] == [newest.start]


def test_profile_is_recency_weighted_and_feeds_a_context(store: Store, tmp_path: Path) -> None:
    day = 86400
    plays = [(T0 - 90 * day, "Björk", "old"), (T0 - 90 * day + 60, "Björk", "old2"), (T0, "Radiohead", "new"), (T0 + 60, "Portishead", "new")]
    import_history(store, write(tmp_path / "p.tsv", lastfm1k_text(plays)), tiny_matcher())
    prof = build_profile(store, half_life_days=90)
    assert prof[1] == pytest.approx(1.0) and prof[14] == pytest.approx(1.0)
    assert prof[4] == pytest.approx(1.0, rel=0.02)  # 2 plays, 90 days older: half weight each
    assert build_profile(store, half_life_days=30)[4] == pytest.approx(0.25, rel=0.05)
    ctx = personal_context(store, None, sessions=2)
    assert ctx.profile == build_profile(store)
    assert ctx.recent_sessions == [[4], [1, 14]]  # oldest first, most recent last


def test_personal_context_with_a_recommender(store: Store, tmp_path: Path, dataset) -> None:
    from tunerec.recommenders.popularity import PopularityRecommender

    matcher = CatalogueMatcher.from_dataset(dataset)
    top = PopularityRecommender().fit(dataset).recommend([], k=3)
    names = [dataset.artist_name(r.artist_id) for r in top]
    plays = [(T0 + i * MIN, n, "t") for i, n in enumerate(names[:2])]
    import_history(store, write(tmp_path / "p.tsv", lastfm1k_text(plays)), matcher)
    ctx = personal_context(store, dataset, exclude_known=True)
    assert set(ctx.profile) == {top[0].artist_id, top[1].artist_id}
    assert ctx.recent_sessions == [[top[0].artist_id, top[1].artist_id]]
    recs = PopularityRecommender().fit(dataset).recommend([], k=3, context=ctx)
    assert recs[0].artist_id == top[2].artist_id and not set(ctx.profile) & {r.artist_id for r in recs}
    assert list_history_sessions(store, dataset, 1)[0].artist_ids == [top[0].artist_id, top[1].artist_id]


def test_summary_and_forget(store: Store, tmp_path: Path) -> None:
    r1 = import_history(store, write(tmp_path / "a.tsv", lastfm1k_text(PLAYS[:4])), tiny_matcher())
    r2 = import_history(store, write(tmp_path / "b.tsv", lastfm1k_text(PLAYS)), tiny_matcher())
    s = history_summary(store)
    assert (s["plays"], s["matched_plays"], s["sessions"]) == (6, 5, 2)
    # 'Radiohead' (2 plays) and the fuzzy 'Radiohed' (1) merge into one catalogue artist
    assert (s["top_artists"][0]["name"], s["top_artists"][0]["artist_id"], s["top_artists"][0]["plays"]) == ("Radiohead", 1, 3)
    assert {"name": "Unknown Local Band", "artist_id": None, "plays": 1, "in_catalogue": False, "match": "none"} in s["top_artists"]
    assert s["sessions_per_month"] == [{"month": "2009-04", "sessions": 2}]
    assert forget_history(store, r2.import_id) == {"plays": 2, "imports": 1}
    assert counts(store) == (4, 3, 1)  # Radiohead, Björk, Unknown Local Band
    assert forget_history(store) == {"plays": 4, "imports": 1}
    assert counts(store) == (0, 0, 0) and r1.import_id == 1


def sample_path() -> Path:
    return Path(os.environ.get(SAMPLE_ENV, DEFAULT_SAMPLE))


#: Every fuzzy match on the real sample, checked by eye: the primary artist of "feat." credits.
SAMPLE_FUZZY = {
    "Jazzanova Feat. Paul Randolph": "Jazzanova",
    "Jazzanova Feat. Ben Westbeech": "Jazzanova",
    "Jazzanova Feat. Thief": "Jazzanova",
    "Jazzanova Feat. Leon Ware & Dwele": "Jazzanova",
    "Jazzanova Feat. Bémbé Ségué": "Jazzanova",
    "Jazzanova Feat. Pedro Martins & Azymuth": "Jazzanova",
}


def test_real_lastfm1k_sample(store: Store, dataset) -> None:
    path = sample_path()
    if not path.is_file():
        pytest.skip(f"real Last.fm 1K sample not found at {path} (set ${SAMPLE_ENV})")
    from tunerec.data.search import fold

    matcher = CatalogueMatcher.from_dataset(dataset)
    r = import_history(store, path, matcher)
    assert (r.format, r.plays, r.new_plays, r.bad_lines) == ("lastfm1k", 5000, 5000, 0)
    # baseline: a plain folded exact name match
    known = {fold(n) for n in dataset.artists[dataset.artists["known"]]["name"]}
    names = Counter(line.split("\t")[3] for line in path.read_text(encoding="utf-8").splitlines())
    plain = sum(n for name, n in names.items() if fold(name) in known)
    assert r.matched_exact >= plain - 12 and r.matched_plays > plain  # (12: 'Yael Naim' folds to two artists)
    assert {m["name"]: m["matched_name"] for m in r.fuzzy_matches} == SAMPLE_FUZZY
    assert r.matched_plays + r.unmatched_plays == r.plays
    assert import_history(store, path, matcher).new_plays == 0


def test_sql_session_count_agrees_with_the_plain_split(store: Store) -> None:
    import random

    from tunerec.history.sessions import count_stored_sessions

    def count_sessions(timestamps: list[int], gap: int) -> int:  # the plain split, one pass over every play
        return sum(1 for i, t in enumerate(timestamps) if i == 0 or t - timestamps[i - 1] > gap)

    rng = random.Random(5)
    conn = store.conn
    for _ in range(300):
        conn.execute("DELETE FROM history_plays")
        times = [rng.randint(0, 20_000) for _ in range(rng.randint(1, 40))]
        conn.executemany("INSERT OR IGNORE INTO history_plays(ts, name_id, track, import_id) VALUES (?, ?, '', 1)", [(t, i % 3) for i, t in enumerate(times)])
        lo, hi = sorted(rng.sample(range(20_001), 2))
        gap = rng.choice([0, 1, 60, 1800, 1800, 5000, 30_000])
        stored = sorted(t for (t,) in conn.execute("SELECT ts FROM history_plays"))
        assert count_stored_sessions(conn, lo, hi, gap) == count_sessions([t for t in stored if lo <= t <= hi], gap)


def test_a_failing_name_match_leaves_the_store_unchanged(store: Store, tmp_path: Path) -> None:
    """Names are matched in a helper thread while SQLite inserts the plays; its errors
    reach the caller and roll the import back."""
    import_history(store, write(tmp_path / "a.tsv", lastfm1k_text(PLAYS[:2])), tiny_matcher())
    before = counts(store)

    class Broken(CatalogueMatcher):
        def match(self, name: str):  # noqa: ANN201
            if name == "Portishead":
                raise RuntimeError("matcher broke on Portishead")
            return super().match(name)

    broken = Broken([a for a, _ in CATALOGUE], [n for _, n in CATALOGUE])
    with pytest.raises(RuntimeError, match="matcher broke"):
        import_history(store, write(tmp_path / "b.tsv", lastfm1k_text(PLAYS)), broken)
    assert counts(store) == before
    assert import_history(store, write(tmp_path / "b.tsv", lastfm1k_text(PLAYS)), tiny_matcher()).new_plays == 4


def test_a_new_name_keeps_the_mbid_of_its_first_play(store: Store, tmp_path: Path) -> None:
    rows = [(T0 + 60 * i, "Portishead", f"t{i}") for i in range(3)]
    text = lastfm1k_text(rows).replace("mbid-port", "{}")  # newest first: line 1 is the newest play
    text = text.format("mbid-newest", "mbid-middle", "")
    import_history(store, write(tmp_path / "p.tsv", text), tiny_matcher())
    assert store.conn.execute("SELECT name, mbid FROM history_artists").fetchall() == [("Portishead", "mbid-newest")]


def test_sessions_per_month_fills_empty_months(store: Store, tmp_path: Path) -> None:
    from tunerec.history.summary import sessions_per_month

    jan, mar = 1_230_800_000, 1_236_000_000  # 2009-01-01, 2009-03-02 (UTC)
    plays = [(jan, "Radiohead", "a"), (jan + 60, "Björk", "b"), (jan + 7200, "Björk", "c"), (mar, "Portishead", "d")]
    import_history(store, write(tmp_path / "p.tsv", lastfm1k_text(plays)), tiny_matcher())
    assert sessions_per_month(store, 1800) == [("2009-01", 2), ("2009-02", 0), ("2009-03", 1)]


def test_busy_store_is_a_store_error(store: Store, tmp_path: Path) -> None:
    import sqlite3

    from tunerec.store import StoreError

    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program is writing
    store.conn.execute("PRAGMA busy_timeout = 50")
    try:
        with pytest.raises(StoreError, match="cannot write the listening history"):
            import_history(store, write(tmp_path / "p.tsv", lastfm1k_text(PLAYS)), tiny_matcher())
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert counts(store) == (0, 0, 0)


def test_lastfm1k_users_are_counted_and_can_be_chosen(store: Store, tmp_path: Path) -> None:
    text = lastfm1k_text(PLAYS[:3], user="user_000001") + lastfm1k_text(PLAYS[3:], user="user_000002")
    f = write(tmp_path / "two.tsv", text)
    r = import_history(store, f, tiny_matcher(), user="user_000002")
    assert (r.users, r.plays, r.skipped) == (2, 3, {"other users": 3})
    assert import_history(store, f, tiny_matcher()).new_plays == 3


def test_unknown_lastfm1k_user_is_named(store: Store, tmp_path: Path) -> None:
    f = write(tmp_path / "one.tsv", lastfm1k_text(PLAYS, user="user_000007"))
    with pytest.raises(DataError, match=r"no plays of user 'user_000001'; the file holds 1 user\(s\): user_000007"):
        import_history(store, f, tiny_matcher(), user="user_000001")
    assert counts(store) == (0, 0, 0)


def test_listing_sessions_reads_a_bounded_number_of_plays(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tunerec.history import profile

    plays = [(T0 + 60 * i, "Radiohead" if i % 2 else "Björk", f"t{i}") for i in range(10)]  # one long session
    import_history(store, write(tmp_path / "p.tsv", lastfm1k_text(plays)), tiny_matcher())
    assert [s.plays for s in list_history_sessions(store, None, 5)] == [10]
    monkeypatch.setattr(profile, "MAX_SCAN", 3)
    (cut,) = list_history_sessions(store, None, 5)
    assert (cut.plays, cut.start, cut.end) == (3, T0 + 420, T0 + 540)
