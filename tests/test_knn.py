"""kNN and tag baselines: hand-computed scores on the tiny dataset, prefix scoring, explanations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from test_evaluation_protocol import tiny_eval_dataset
from tunerec.data import Dataset
from tunerec.evaluation import make_split
from tunerec.models import get_recommender
from tunerec.recommenders.knn import ItemKNN, SessionKNN, TagRecommender, item_cosine


@pytest.fixture
def train(tmp_path: Path) -> Dataset:
    """Train users 1-4 of the tiny dataset (seed 42). Their data, by hand:
    sessions {1,2,3} {1,4} {2,5} {1}; plays u1 {1,2,3} u2 {1,2,4} u3 {2,3,5} u4 {1,6};
    pop = sessions + listeners: 1: 3+3, 2: 2+3, 3: 1+2, 4: 1+1, 5: 1+1, 6: 0+1."""
    return make_split(tiny_eval_dataset(tmp_path), seed=42).train


POP = {1: 6, 2: 5, 3: 3, 4: 2, 5: 2, 6: 1}


def score(model, session, artist) -> float:
    return float(model.score_sessions([session])[0][model.index_of(artist)])


def test_item_cosine_formula() -> None:
    x = np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1]], dtype=float)
    c = item_cosine(x).toarray()
    # co-counts: (0,1) 2, (0,2) 2, (1,2) 1; D = 3, 2, 2
    np.testing.assert_allclose(c, [[0, 2 / math.sqrt(6), 2 / math.sqrt(6)], [2 / math.sqrt(6), 0, 1 / 2], [2 / math.sqrt(6), 1 / 2, 0]])


def test_item_knn_scores_by_hand(train: Dataset) -> None:
    both = ItemKNN("both").fit(train)
    sessions = ItemKNN("sessions").fit(train)
    profiles = ItemKNN("profiles").fit(train)
    assert both.item_ids.tolist() == [1, 2, 3, 4, 5, 6]
    # C_s(1,3) = 1/sqrt(3*1); C_u(1,3) = 1/sqrt(3*2)
    assert score(sessions, [1], 3) == pytest.approx(1 / math.sqrt(3) + 1e-6 * POP[3], abs=1e-12)
    assert score(profiles, [1], 3) == pytest.approx(1 / math.sqrt(6) + 1e-6 * POP[3], abs=1e-12)
    assert score(both, [1], 3) == pytest.approx(1 / math.sqrt(3) + 1 / math.sqrt(6) + 1e-6 * POP[3], abs=1e-12)
    # prefix [1, 2] -> artist 3: C_s(1,3) + C_s(2,3) + C_u(1,3) + C_u(2,3) = 1/√3 + 1/√2 + 1/√6 + 2/√6
    expected = 1 / math.sqrt(3) + 1 / math.sqrt(2) + 3 / math.sqrt(6) + 1e-6 * POP[3]
    assert score(both, [1, 2], 3) == pytest.approx(expected, abs=1e-12)
    # repeats count once, unknown artists are skipped
    assert score(both, [1, 2, 1, 999], 3) == score(both, [1, 2], 3)
    # empty session: only the popularity tie-break -> popularity order
    empty = both.score_sessions([[]])[0]
    np.testing.assert_allclose(empty, [1e-6 * POP[a] for a in both.item_ids])
    # 6 shares only user 4 with 1: C_u(1,6) = 1/sqrt(3*1), no sessions
    assert score(sessions, [1], 6) == pytest.approx(1e-6 * POP[6], abs=1e-15)


def test_score_prefixes_equals_score_sessions_exactly(dataset: Dataset) -> None:
    for model in (ItemKNN("both").fit(dataset), TagRecommender().fit(dataset)):
        sessions = [s for _, _, s in dataset.session_list()[:40] if len(s) > 1]
        fast = model.score_prefixes(sessions)
        slow = model.score_sessions([s[:p] for s in sessions for p in range(1, len(s))])
        assert fast.shape == slow.shape and np.array_equal(fast, slow)


def test_session_knn_by_hand(train: Dataset) -> None:
    m = SessionKNN().fit(train)
    # rows: sessions {1,2,3} {1,4} {2,5} {1}, then users {1,2,3} {1,2,4} {2,3,5} {1,6}, L2-normalised.
    # prefix [3]: cosine 1/√3 with session {1,2,3}, user {1,2,3}, user {2,3,5}; 0 elsewhere.
    # score(a) = Σ sim × row(a) = Σ over those rows containing a of (1/√3)(1/√3)
    assert score(m, [3], 2) == pytest.approx(3 / 3 + 1e-6 * POP[2], abs=1e-12)
    assert score(m, [3], 1) == pytest.approx(2 / 3 + 1e-6 * POP[1], abs=1e-12)
    assert score(m, [3], 5) == pytest.approx(1 / 3 + 1e-6 * POP[5], abs=1e-12)
    # k = 2: three rows tie at 1/√3; the lower row index wins (session {1,2,3}, user 1), so 5 gets nothing
    m2 = SessionKNN(k=2).fit(train)
    assert score(m2, [3], 5) == pytest.approx(1e-6 * POP[5], abs=1e-15)
    assert score(m2, [3], 1) == pytest.approx(2 / 3 + 1e-6 * POP[1], abs=1e-12)


def test_tags_by_hand(train: Dataset) -> None:
    m = TagRecommender().fit(train)
    idf_r, idf_j = math.log(6 / 4) + 1, math.log(6 / 3) + 1
    # 3 = (rock idf_r, jazz idf_j) normalised; 5 = jazz: cosine = idf_j / |(idf_r, idf_j)|
    assert score(m, [3], 5) == pytest.approx(idf_j / math.hypot(idf_r, idf_j))
    assert score(m, [3], 4) == 0.0  # pop only: nothing shared
    assert score(m, [6], 1) == 0.0  # 6 has no train tags: no profile, no tie-break
    # summed profile of [2, 5] = rock + jazz -> artist 3 = (idf_r, idf_j)/n: cosine (idf_r + idf_j) / (√2 n)
    assert score(m, [2, 5], 3) == pytest.approx((idf_r + idf_j) / (math.sqrt(2) * math.hypot(idf_r, idf_j)))
    line, _ = m.explain([3], 5, score(m, [3], 5))
    assert line.startswith("shares tags jazz")


def test_recommend_and_explanations(dataset: Dataset) -> None:
    radiohead = 154
    m = get_recommender("iknn_both", dataset)
    recs = m.recommend([radiohead], k=5)
    assert len(recs) == 5 and radiohead not in [r.artist_id for r in recs]
    assert recs[0].explanation.startswith("co-listened with Radiohead (")
    c = m.similarity[m.index_of(radiohead), m.index_of(recs[0].artist_id)]
    assert f"({c:.2f})" in recs[0].explanation
    assert any(d.startswith("similarity from sessions") for d in recs[0].details)
    # empty session: popularity fallback with a popularity explanation
    assert "listeners" in m.recommend([], k=1)[0].explanation
    s = get_recommender("sknn", dataset).recommend([radiohead], k=3)
    assert s[0].explanation.startswith("in ") and "similar" in s[0].explanation


def test_neighbours_for_list_builders(dataset: Dataset) -> None:
    m = ItemKNN("both").fit(dataset)
    session = [154, 89]
    ids, scores = m.neighbours(session, n=50, exclude=[227])
    assert len(ids) == 50 and not {154, 89, 227} & set(ids.tolist())
    assert np.all(np.diff(scores) <= 0)
    full = m.score_sessions([session])[0]
    assert scores[0] == full[m.index_of(int(ids[0]))]
    rows = m.similarity_rows(session)
    assert rows.shape == (2, len(m.item_ids))
    np.testing.assert_allclose(np.asarray(rows.sum(axis=0)).ravel() + m.tie_break, full)


def test_bad_source() -> None:
    with pytest.raises(ValueError, match="source"):
        ItemKNN("friends")


def test_ease_scores_are_sums_of_the_closed_form_weights(train: Dataset) -> None:
    """X = the 4 train sessions + 4 profiles (see ``train``); artist 6 is in one row only,
    so with min_count 2 it is left out of B and scores only its tie-break."""
    from tunerec.recommenders.ease import EASERecommender

    rows = [{1, 2, 3}, {1, 4}, {2, 5}, {1}, {1, 2, 3}, {1, 2, 4}, {2, 3, 5}, {1, 6}]
    x = np.array([[a in r for a in (1, 2, 3, 4, 5)] for r in rows], dtype=float)
    p = np.linalg.inv(x.T @ x + 2.0 * np.eye(5))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    m = EASERecommender(lam=2.0, min_count=2).fit(train)
    for prefix in ([1], [1, 2], [3, 5, 999]):
        known = [a - 1 for a in prefix if a <= 5]
        for artist in (1, 2, 3, 4, 5):
            want = b[known, artist - 1].sum() + 1e-6 * POP[artist]
            assert score(m, prefix, artist) == pytest.approx(want, abs=1e-6), (prefix, artist)
        assert score(m, prefix, 6) == pytest.approx(1e-6 * POP[6], abs=1e-9)
    np.testing.assert_allclose(m.score_prefixes([[1, 2, 3]]), m.score_sessions([[1], [1, 2]]))
    line, _ = m.explain([1, 2], 3, 0.0)
    assert line.startswith("predicted from ")
