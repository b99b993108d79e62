"""The bundled HetRec 2011 zip loads with the counts of the dataset's own readme."""

from __future__ import annotations

import numpy as np

from tunerec.data import SESSION_MIN_YEAR, load_dataset
from tunerec.data.source import BUNDLED_SHA256, bundled_zip, source_fingerprint


def test_bundled_zip_is_the_original() -> None:
    _, sha = source_fingerprint(bundled_zip())
    assert sha == BUNDLED_SHA256


def test_counts_match_the_readme(dataset) -> None:
    s = dataset.summary()
    assert s["users"] == 1892
    assert s["artists"] == 17632
    assert s["tags"] == 11946
    assert s["plays"] == 92834
    assert s["friend_relations"] == 12717
    assert s["tag_assignments"] == 186479
    assert s["unknown_artists"] == 390


def test_quoted_names_parsed_verbatim(dataset) -> None:
    names = set(dataset.artists["name"])
    assert '"Weird Al" Yankovic' in names
    assert 'Lee "Scratch" Perry' in names


def test_tags_are_latin1_decoded(dataset) -> None:
    names = dataset.tags["name"]
    # CRLF must not leak into values
    assert not names.str.contains("\r").any()
    assert dataset.tag_name(2863) == "tropicália"
    assert dataset.tag_name(11213) == "die Ärzte"


def test_tags_differing_by_case_or_spacing_share_a_key(dataset) -> None:
    t = dataset.tags
    a = t[t["name"] == "patriotic metal"]
    b = t[t["name"] == "patriotic  metal"]
    assert len(a) == 1 and len(b) == 1
    assert a["key"].iat[0] == b["key"].iat[0]
    assert t["key"].nunique() < len(t)


def test_timestamps_are_utc_and_match_local_dates(dataset) -> None:
    a = dataset.assignments
    assert str(a["timestamp"].dt.tz) == "UTC"
    local = a["timestamp"].dt.tz_convert("Europe/Madrid")
    assert (local.dt.day.to_numpy() == a["day"].to_numpy()).all()
    month_level = (a["day"] == 1) & (local.dt.hour == 0)
    assert month_level.mean() > 0.95
    assert a["year"].min() < 1980  # the bogus early rows exist in the data…
    assert dataset.sessions["ym"].min() >= SESSION_MIN_YEAR * 100  # …but never in sessions


def test_unknown_artists_kept_with_placeholder(dataset) -> None:
    unknown = dataset.artists[~dataset.artists["known"]]
    assert len(unknown) == 390
    aid = int(unknown.index[0])
    assert dataset.artist_name(aid) == f"unknown artist #{aid}"
    assert (dataset.assignments["artist_id"] == aid).any()


def test_sessions_are_distinct_artists_per_user_month(dataset) -> None:
    s = dataset.sessions
    assert not s.duplicated(["user_id", "ym", "artist_id"]).any()
    # pos counts 0..n-1 inside each session
    sizes = s.groupby(["user_id", "ym"]).size()
    assert (s.groupby(["user_id", "ym"])["pos"].max() == sizes - 1).all()


def test_session_order_is_not_file_order(dataset) -> None:
    """File order is sorted by artist id inside a user; sessions use a seeded shuffle."""
    sessions = dataset.session_list()
    long = [a for _, _, a in sessions if len(a) >= 5]
    assert sum(a == sorted(a) for a in long) < 0.2 * len(long)
    other = dataset.with_seed(7).session_list()
    assert [a for _, _, a in other] != [a for _, _, a in sessions]
    assert [sorted(a) for _, _, a in other] == [sorted(a) for _, _, a in sessions]


def test_restrict_users_keeps_only_their_data(dataset) -> None:
    users = dataset.users[:100]
    sub = dataset.restrict_users(users)
    assert set(sub.plays["user_id"]) <= set(users)
    assert set(sub.sessions["user_id"]) <= set(users)
    assert set(sub.friends["user_id"]) | set(sub.friends["friend_id"]) <= set(users)
    full = dataset.sessions[np.isin(dataset.sessions["user_id"], users)]
    assert sub.sessions["artist_id"].tolist() == full["artist_id"].tolist()


def test_warm_load_from_cache_is_identical(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TUNEREC_HOME", str(tmp_path))
    cold = load_dataset()
    assert list((tmp_path / "cache" / "dataset").glob("*.npz"))
    warm = load_dataset()
    for name in ("artists", "tags", "plays", "friends", "assignments"):
        a, b = getattr(cold, name), getattr(warm, name)
        assert a.shape == b.shape, name
        assert (a.reset_index().astype(str).to_numpy() == b.reset_index().astype(str).to_numpy()).all(), name


def test_corrupt_cache_is_rebuilt(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TUNEREC_HOME", str(tmp_path))
    load_dataset()
    (cache,) = (tmp_path / "cache" / "dataset").glob("*.npz")
    cache.write_bytes(b"garbage")
    assert len(load_dataset().plays) == 92834


def test_derived_views(dataset) -> None:
    stats = dataset.artist_stats
    radiohead = 154
    assert stats.at[radiohead, "listeners"] == int((dataset.plays["artist_id"] == radiohead).sum())
    tags = [t for t, _ in dataset.top_tags(radiohead, 3)]
    assert "alternative" in tags
    co = dataset.co_listened(radiohead, 5)
    assert len(co) == 5 and all(0 < s <= 1 for _, s in co)
    assert radiohead not in [a for a, _ in co]
    prof = dataset.user_profile(2)
    assert prof["artists"][0][1] >= prof["artists"][-1][1]
