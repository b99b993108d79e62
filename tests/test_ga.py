"""The GA recommender on the bundled dataset: pools, determinism, discovery, tags, edge cases."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tunerec.data import Dataset
from tunerec.data.search import ArtistIndex, resolve_names
from tunerec.recommenders.base import Context
from tunerec.recommenders.ga import GARecommender
from tunerec.recommenders.ga.nsga import GAConfig
from tunerec.recommenders.ga.pool import LONGTAIL, RELEVANT, build_pool
from tunerec.recommenders.knn import ItemKNN, SessionKNN

pytestmark = pytest.mark.slow

SESSION = ["Radiohead", "Portishead", "Massive Attack"]
FAST = GAConfig(pop_size=40, max_generations=25)


@pytest.fixture(scope="module")
def knn(dataset: Dataset) -> ItemKNN:
    return ItemKNN("both").fit(dataset)


@pytest.fixture(scope="module")
def ga(dataset: Dataset, knn: ItemKNN) -> GARecommender:
    return GARecommender(source=knn, deadline=None, config=FAST).fit(dataset)


@pytest.fixture(scope="module")
def session(dataset: Dataset) -> list[int]:
    return resolve_names(ArtistIndex(dataset), SESSION)


def ids(recs) -> list[int]:
    return [r.artist_id for r in recs]


def test_list_is_twenty_distinct_new_artists_with_explanations(ga: GARecommender, session: list[int]) -> None:
    recs = ga.recommend(session, k=20)
    assert len(recs) == 20
    assert len(set(ids(recs))) == 20
    assert not set(ids(recs)) & set(session)
    assert all(r.explanation for r in recs)
    assert all(0.0 <= r.score <= 1.0 for r in recs)


def test_pool_never_holds_session_or_banned_artists(ga: GARecommender, session: list[int], knn: ItemKNN) -> None:
    assert ga.features is not None
    rng = np.random.default_rng(0)
    sess_idx = knn.indices_of(session)
    scores = knn.score_sessions([session])[0]
    for _ in range(10):
        banned = rng.random(len(ga.item_ids)) < 0.3
        pool = build_pool(ga.features, scores, sess_idx, banned)
        assert not banned[pool.items].any()
        assert not set(pool.items.tolist()) & set(sess_idx.tolist())
        assert len(set(pool.items.tolist())) == len(pool)
        assert (pool.origin > 0).all()  # every candidate knows where it came from
        assert (pool.origin & RELEVANT).sum() == 300


@pytest.mark.parametrize("seed", range(6))
def test_blocked_artists_never_appear(ga: GARecommender, session: list[int], seed: int) -> None:
    first = ids(ga.recommend(session, k=20, context=Context(seed=seed)))
    blocked = first[::2]
    again = ids(ga.recommend(session, k=20, exclude=blocked, context=Context(seed=seed)))
    assert len(again) == 20
    assert not set(again) & set(blocked)


def test_same_seed_same_list_other_seed_may_differ(ga: GARecommender, session: list[int]) -> None:
    a = ga.build(session, seed=7)
    b = ga.build(session, seed=7)
    assert ids(a.recommendations) == ids(b.recommendations)
    assert [f.artist_ids for f in a.front] == [f.artist_ids for f in b.front]
    runs = {tuple(f.artist_ids) for s in range(3) for f in ga.build(session, seed=s).front}
    assert len(runs) > len(a.front)  # other seeds explore other lists


def test_discovery_orders_relevance_and_novelty(ga: GARecommender, session: list[int]) -> None:
    familiar = ga.build(session, discovery=0.0)
    adventurous = ga.build(session, discovery=1.0)
    assert familiar.objectives["relevance"] >= adventurous.objectives["relevance"]
    assert adventurous.objectives["novelty"] >= familiar.objectives["novelty"]
    assert familiar.objectives["relevance"] == pytest.approx(1.0)  # d = 0: the relevance-only list
    assert adventurous.objectives["novelty"] > familiar.objectives["novelty"]


def test_summary_line_compares_with_relevance_list(ga: GARecommender, session: list[int]) -> None:
    r = ga.build(session, discovery=1.0)
    assert "novelty" in r.summary and "relevance" in r.summary and "diversity" in r.summary
    assert r.summary.startswith("+")  # more novelty than the relevance-only list
    assert 0 <= r.chosen < len(r.front)


def test_session_tags_steer_the_list(ga: GARecommender, session: list[int], dataset: Dataset) -> None:
    plain = ga.build(session, discovery=0.5)
    jazz = ga.build(session, discovery=0.5, tags=["jazz"])
    assert "coverage" in jazz.objectives and "coverage" not in plain.objectives

    def jazz_share(result) -> float:
        tagged = [any(t == "jazz" for t, _ in dataset.top_tags(r.artist_id, 5)) for r in result.recommendations]
        return float(np.mean(tagged))

    assert jazz_share(jazz) > jazz_share(plain)
    assert any("jazz" in r.explanation or any("jazz" in d for d in r.details) for r in jazz.recommendations)


def test_unknown_session_tags_are_noted(ga: GARecommender, session: list[int]) -> None:
    r = ga.build(session, tags=["zzzz-no-such-tag"])
    assert any("zzzz-no-such-tag" in n for n in r.notes)
    assert len(r.recommendations) == 20


def test_empty_session_falls_back_with_a_note(ga: GARecommender) -> None:
    r = ga.build([], k=20)
    assert len(r.recommendations) == 20
    assert any("no known artist" in n for n in r.notes)
    assert any("no known artist" in d for d in r.recommendations[0].details)


def test_unknown_artists_are_skipped_with_a_note(ga: GARecommender, session: list[int]) -> None:
    recs = ga.recommend([*session, 999_999_999], k=20)
    assert len(recs) == 20
    assert any("does not know" in d for d in recs[0].details)
    only_unknown = ga.build([999_999_999], k=20)
    assert len(only_unknown.recommendations) == 20


def test_tiny_pool_gives_a_shorter_list(ga: GARecommender, session: list[int]) -> None:
    keep = ga.item_ids[:12]
    banned = np.setdiff1d(ga.item_ids, keep)
    r = ga.build(session, k=20, exclude=banned.tolist())
    assert 0 < len(r.recommendations) <= 12
    assert set(ids(r.recommendations)) <= set(keep.tolist())
    assert any("shorter than 20" in n for n in r.notes)


def test_everything_excluded_gives_empty_list(ga: GARecommender, session: list[int]) -> None:
    r = ga.build(session, k=20, exclude=ga.item_ids.tolist())
    assert r.recommendations == []
    assert r.front == []


def test_deadline_is_respected(dataset: Dataset, knn: ItemKNN, session: list[int]) -> None:
    ga = GARecommender(source=knn, deadline=0.15, config=GAConfig(max_generations=100_000)).fit(dataset)
    ga.build(session)  # warm-up
    t0 = time.perf_counter()
    r = ga.build(session)
    wall = time.perf_counter() - t0
    assert r.stopped_by_deadline
    assert r.generations < 100_000
    assert wall < 0.15 + 0.15  # one generation of slack plus explanation time on a busy machine
    assert len(r.recommendations) == 20


def test_should_stop_cancels_between_generations(dataset: Dataset, knn: ItemKNN, session: list[int]) -> None:
    from tunerec.recommenders.base import Context

    ga = GARecommender(source=knn, deadline=None, config=GAConfig(max_generations=100_000)).fit(dataset)
    asked = []

    def stop_after_three() -> bool:
        asked.append(1)
        return len(asked) > 3

    r = ga.build(session, should_stop=stop_after_three)
    assert r.generations == 3 and not r.stopped_by_deadline
    recs = ga.recommend(session, context=Context(extra={"should_stop": lambda: True}))
    assert len(recs) == 20  # a cancelled run still returns the best list found so far


def test_hybrid_mode_uses_any_ranker(dataset: Dataset, knn: ItemKNN, session: list[int]) -> None:
    sknn = SessionKNN().fit(dataset)
    hybrid = GARecommender(source=sknn, colisten=knn, deadline=None, config=FAST).fit(dataset)
    r = hybrid.build(session)
    assert len(r.recommendations) == 20
    assert any("SKNN rank" in r_.explanation or any("SKNN rank" in d for d in r_.details) for r_ in r.recommendations)
    # the relevance-only list follows the source's (shrunk) ranking, not item-kNN's
    assert not hybrid.calibrated and hybrid.choice_method == "floor"
    top = hybrid.build(session, discovery=0.0)
    assert top.objectives["relevance"] == pytest.approx(1.0)


def test_calibrated_relevance_is_the_default_for_item_knn(ga: GARecommender, session: list[int], knn: ItemKNN, dataset: Dataset) -> None:
    assert ga.calibrated and ga.choice_method == "price" and ga.rank_discount == 0.0
    assert ga.features is not None
    sess_idx = knn.indices_of(session)
    banned = np.zeros(len(ga.item_ids), dtype=bool)
    scores = knn.score_sessions([session])[0]
    cal = build_pool(ga.features, scores, sess_idx, banned, calibrated=True)
    raw = build_pool(ga.features, scores, sess_idx, banned)
    assert cal.prob is not None and raw.prob is None
    assert ((cal.prob > 0) & (cal.prob < 1)).all() and cal.rel.max() == 1.0
    # same candidates but for the long tail, which calibration picks by hit probability
    assert set(cal.items[cal.origin != LONGTAIL].tolist()) == set(raw.items[raw.origin != LONGTAIL].tolist())
    lt_cal, lt_raw = cal.items[cal.origin == LONGTAIL], raw.items[raw.origin == LONGTAIL]
    assert len(lt_cal) == len(lt_raw) > 0
    assert (ga.features.listeners[lt_cal] < np.median(ga.features.listeners[cal.items[cal.origin != LONGTAIL]])).all()
    # item-kNN's top-20 holds many artists one or two people know; the calibrated top-20 few
    lis = ga.features.listeners
    rare_cal = rare_raw = 0
    for _, _, s in dataset.session_list()[:40]:
        idx = knn.indices_of(s)
        sc = knn.score_sessions([s])[0]
        for mode in (True, False):
            p = build_pool(ga.features, sc, idx[idx >= 0], banned, calibrated=mode)
            top = p.items[np.argsort(-p.rel if mode else p.rank, kind="stable")[:20]]
            if mode:
                rare_cal += int((lis[top] <= 2).sum())
            else:
                rare_raw += int((lis[top] <= 2).sum())
    assert rare_cal < rare_raw / 2
    result = ga.build(session, discovery=0.5)
    assert 0.0 < result.objectives["relevance"] < 1.0


def test_hybrid_relevance_is_calibrated_on_rnn_logits_and_item_knn(ga: GARecommender, session: list[int], knn: ItemKNN) -> None:
    from tunerec.recommenders.ga.calibration import HYBRID_FEATURES
    from tunerec.recommenders.rnn import RNNRecommender

    hybrid = GARecommender(source=RNNRecommender(), colisten=knn)
    assert hybrid.calibrated and hybrid.choice_method == "price" and hybrid.rank_discount == 0.0
    assert ga.features is not None
    sess_idx = knn.indices_of(session)
    banned = np.zeros(len(ga.item_ids), dtype=bool)
    knn_scores = knn.score_sessions([session])[0]
    logits = np.log(np.maximum(knn_scores, 1e-9))  # stand-in for the RNN's logits
    pool = build_pool(ga.features, logits, sess_idx, banned, extra_scores=knn_scores, calibrated=True)
    assert pool.features is not None and pool.features.shape == (len(pool), len(HYBRID_FEATURES))
    col = dict(zip(HYBRID_FEATURES, pool.features.T))
    # the logits' differences are the log score ratios of item-kNN's own scores
    assert np.allclose(col["log_score_ratio"], col["colisten_log_score_ratio"])
    assert col["colisten_log_rank"][0] == 0.0 and col["log_rank"][0] == 0.0
    assert pool.prob is not None and ((pool.prob > 0) & (pool.prob < 1)).all() and pool.rel.max() == 1.0


def test_relevance_mode_is_checked(knn: ItemKNN) -> None:
    with pytest.raises(ValueError, match="relevance"):
        GARecommender(source=knn, relevance="magic")
    shrunk = GARecommender(source=knn, relevance="shrunk")
    assert not shrunk.calibrated and shrunk.choice_method == "floor" and shrunk.rank_discount == 1.0


def test_invalid_discovery_is_refused(knn: ItemKNN) -> None:
    with pytest.raises(ValueError, match="discovery"):
        GARecommender(source=knn, discovery=1.5)


def test_can_score_is_false_and_score_sessions_refuses(ga: GARecommender, session: list[int]) -> None:
    assert GARecommender.can_score is False
    with pytest.raises(NotImplementedError):
        ga.score_sessions([session])


def test_tags_steer_even_at_discovery_zero(ga: GARecommender, session: list[int]) -> None:
    plain = ga.build(session, discovery=0.0, tags=[])
    jazz = ga.build(session, discovery=0.0, tags=["jazz"])
    assert jazz.objectives["coverage"] > jazz.baseline["coverage"]
    assert jazz.objectives["relevance"] >= 0.8 - 1e-9  # never below the tag floor at d = 0
    assert ids(plain.recommendations) != ids(jazz.recommendations)


def test_mmr_baseline_builds_from_the_same_pool(dataset: Dataset, knn: ItemKNN, session: list[int]) -> None:
    from tunerec.recommenders.ga.baseline import MMRRecommender

    top = MMRRecommender(source=knn, lam=1.0).fit(dataset).recommend(session, k=20)
    ga0 = GARecommender(source=knn, deadline=None, config=FAST).fit(dataset).build(session, discovery=0.0)
    assert set(ids(top)) == set(ids(ga0.recommendations))  # λ = 1: the relevance-only list
    mixed = MMRRecommender(source=knn, lam=0.3).fit(dataset)
    recs = mixed.recommend(session, k=20, exclude=ids(top)[:5])
    assert len(set(ids(recs))) == 20 and not set(ids(recs)) & (set(session) | set(ids(top)[:5]))
    known = {a: 1.0 for a in ids(mixed.recommend(session, k=20))[:5]}  # a history profile's artists
    fresh = mixed.recommend(session, k=20, context=Context(profile=known, exclude_known=True))  # left out on request
    assert len(fresh) == 20 and not set(ids(fresh)) & set(known)
    with pytest.raises(ValueError, match="lam"):
        MMRRecommender(source=knn, lam=2.0)


def test_ga_variants_share_one_fitted_knn(dataset: Dataset) -> None:
    from tunerec.models import get_recommender

    a = get_recommender("ga", dataset, discovery=0.2, deadline=None)
    b = get_recommender("ga", dataset, discovery=0.8, tags=("jazz",), deadline=None)
    assert a.source is b.source and a.source.dataset is dataset
