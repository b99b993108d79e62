"""The popularity recommender under the one interface."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tunerec.modelfile import ModelFileError
from tunerec.recommenders.base import Recommendation, top_k
from tunerec.recommenders.popularity import PopularityRecommender


def test_score_is_sessions_plus_listeners(dataset) -> None:
    m = PopularityRecommender().fit(dataset)
    lady_gaga = 89
    s = dataset.sessions
    expected = s[s["artist_id"] == lady_gaga][["user_id", "ym"]].drop_duplicates().shape[0] + int(
        (dataset.plays["artist_id"] == lady_gaga).sum()
    )
    assert m.scores[m.index_of(lady_gaga)] == expected
    assert m.score_sessions([[1], [2, 3]]).shape == (2, len(dataset.item_ids))


def test_recommend_excludes_session_and_exclusions(dataset) -> None:
    m = PopularityRecommender().fit(dataset)
    top = m.recommend([], k=3)
    assert all(isinstance(r, Recommendation) for r in top)
    assert [r.score for r in top] == sorted((r.score for r in top), reverse=True)
    first = top[0].artist_id
    again = m.recommend([first], k=3, exclude=[top[1].artist_id])
    ids = [r.artist_id for r in again]
    assert first not in ids and top[1].artist_id not in ids and len(ids) == 3
    assert "listeners" in again[0].explanation


def test_unknown_session_artists_are_noted(dataset) -> None:
    m = PopularityRecommender().fit(dataset)
    recs = m.recommend([10**9], k=1)
    assert any("does not know" in d for d in recs[0].details)


def test_save_load_round_trip(dataset, tmp_path: Path) -> None:
    m = PopularityRecommender().fit(dataset)
    m.save(tmp_path / "pop.npz")
    m2 = PopularityRecommender.load(tmp_path / "pop.npz", dataset)
    assert [r.artist_id for r in m2.recommend([154], 10)] == [r.artist_id for r in m.recommend([154], 10)]
    other = dataset.with_seed(1)
    other.sha256 = "0" * 64
    with pytest.raises(ModelFileError, match="another catalogue"):
        PopularityRecommender.load(tmp_path / "pop.npz", other)


def test_top_k_breaks_ties_by_index_and_skips_minus_inf() -> None:
    s = np.array([1.0, 3.0, 3.0, -np.inf, 2.0])
    assert top_k(s, 3).tolist() == [1, 2, 4]
    assert top_k(s, 10).tolist() == [1, 2, 4, 0]


def test_top_k_ties_at_the_cut_go_to_the_lower_index() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        s = rng.integers(0, 4, size=50).astype(float)
        k = int(rng.integers(1, 50))
        expected = sorted(range(50), key=lambda i: (-s[i], i))[:k]
        assert top_k(s, k).tolist() == expected
