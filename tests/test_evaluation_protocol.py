"""Protocol hetrec-sessions-v2 on a tiny hand-made dataset: split, vocabulary, targets,
every metric by hand (ties, excluded prefix items, unscorable artists), leakage, determinism."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest

from conftest import madrid_midnight_ms, write_folder
from tunerec.data import Dataset, load_dataset
from tunerec.evaluation import LeakageError, evaluate, fit_and_evaluate, make_split, results_json, validation_split
from tunerec.evaluation import metrics, registry
from tunerec.recommenders.base import Recommendation, Recommender

# user, artist, tag, month, year — in file order. Tags: 1 rock, 2 jazz, 3 pop.
# Duplicates (user, month, artist) with another tag: (1, 3) and (2, 1); a 1990 row (dropped
# from sessions). User 5 is the test user for seed 42 (see test_split_by_hand).
ROWS = [
    (1, 1, 1, 4, 2009), (1, 2, 1, 4, 2009), (1, 3, 2, 4, 2009), (1, 3, 1, 4, 2009),
    (2, 1, 1, 5, 2009), (2, 1, 3, 5, 2009), (2, 4, 3, 5, 2009),
    (3, 2, 1, 1, 2010), (3, 5, 2, 1, 2010), (3, 8, 1, 1, 1990),
    (4, 1, 1, 2, 2010),
    (5, 1, 1, 6, 2009), (5, 2, 1, 6, 2009), (5, 3, 2, 6, 2009), (5, 9, 1, 6, 2009), (5, 6, 2, 6, 2009),
    (5, 4, 3, 7, 2009), (5, 5, 2, 7, 2009),
]
# Artist 6 is only played by train user 4 (and tagged only by test user 5: untagged in train);
# 7 and 9 are known only to test user 5 (outside the vocabulary).
PLAYS = [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 4), (3, 2), (3, 3), (3, 5), (4, 1), (4, 6), (5, 1), (5, 2), (5, 7), (5, 9)]
FRIENDS = [(1, 2), (2, 5), (4, 5)]


def eval_files() -> dict[str, bytes]:
    artists = "id\tname\turl\tpictureURL\n" + "".join(f"{i}\tArtist {i}\thttp://x/{i}\t\n" for i in range(1, 10))
    tags = "tagID\ttagValue\n1\trock\n2\tjazz\n3\tpop\n"
    plays = "userID\tartistID\tweight\n" + "".join(f"{u}\t{a}\t{10 * a}\n" for u, a in PLAYS)
    friends = "userID\tfriendID\n" + "".join(f"{a}\t{b}\n{b}\t{a}\n" for a, b in FRIENDS)
    dated = "userID\tartistID\ttagID\tday\tmonth\tyear\n" + "".join(f"{u}\t{a}\t{t}\t1\t{m}\t{y}\n" for u, a, t, m, y in ROWS)
    stamped = "userID\tartistID\ttagID\ttimestamp\n" + "".join(
        f"{u}\t{a}\t{t}\t{madrid_midnight_ms(y, m, 1)}\n" for u, a, t, m, y in ROWS
    )
    return {
        "artists.dat": artists.encode(),
        "tags.dat": tags.encode(),
        "user_artists.dat": plays.encode(),
        "user_friends.dat": friends.encode(),
        "user_taggedartists.dat": dated.encode(),
        "user_taggedartists-timestamps.dat": stamped.encode(),
    }


def tiny_eval_dataset(tmp_path: Path) -> Dataset:
    return load_dataset(write_folder(tmp_path / "evaltiny", eval_files()), use_cache=False)


@pytest.fixture
def tiny(tmp_path: Path) -> Dataset:
    return tiny_eval_dataset(tmp_path)


class TableModel(Recommender):
    """Fixed scores whatever the session; knows 1-5 and 7 (not 6): 6 scores -inf."""

    name = "table"
    SCORES = {1: 5.0, 2: 3.0, 3: 3.0, 4: 1.0, 5: 3.0, 7: 100.0}

    def fit(self, dataset: Dataset) -> "TableModel":
        self.dataset = dataset
        self._set_items(np.array(sorted(self.SCORES)))
        return self

    def score_sessions(self, sessions: Sequence[Sequence[int]]) -> np.ndarray:
        row = np.array([self.SCORES[a] for a in self.item_ids])
        return np.tile(row, (len(sessions), 1))


class ListModel(Recommender):
    """A list builder returning 6, 9, 1, 4, 2 minus the excluded artists."""

    name = "fixed_list"
    can_score = False

    def fit(self, dataset: Dataset) -> "ListModel":
        self.dataset = dataset
        return self

    def recommend(self, session, k=20, exclude=(), context=None):
        ban = set(session) | set(exclude)
        return [Recommendation(a, 1.0, "") for a in (6, 9, 1, 4, 2) if a not in ban][:k]


# ------------------------------------------------------------------------ split
def test_split_by_hand(tiny: Dataset) -> None:
    split = make_split(tiny, seed=42)
    # 5 users -> int(0.2 * 5) = 1 test user: default_rng(42).permutation([1..5]) = [5, 3, 4, 2, 1].
    assert split.test_users.tolist() == [5]
    assert split.train_users.tolist() == [1, 2, 3, 4]
    # train users' sessions and plays: 1-6 (8 is only in a 1990 row; 7, 9 only test user 5's).
    assert split.vocab.tolist() == [1, 2, 3, 4, 5, 6]
    # Deduplicated 2005+ rows in file order get default_rng(42).random(15); user 5's rows draw
    # June: 1 .128, 2 .450, 3 .371, 9 .927, 6 .644 -> 1 3 2 6 9 (9 out of vocabulary);
    # July: 4 .823, 5 .443 -> 5 4.
    assert split.test_sessions == [[1, 3, 2, 6], [5, 4]]
    assert split.test_keys == [(5, 200906), (5, 200907)]
    assert split.counts() == {"n_items": 6, "n_train_users": 4, "n_test_users": 1, "n_test_sessions": 2, "n_test_events": 4}


def test_train_stats_by_hand(tiny: Dataset) -> None:
    split = make_split(tiny, seed=42)
    # train users with the artist in plays or sessions: 1 {1,2,4}, 2 {1,2,3}, 3 {1,3}, 4 {2}, 5 {3}, 6 {4}
    assert split.listeners.tolist() == [3, 3, 2, 1, 1, 1]
    # 6 is tagged only by the test user: untagged in train
    assert split.tagged.tolist() == [True, True, True, True, True, False]
    p = split.tag_profiles.toarray()
    # tf: 1 rock 3 + pop 1; 2 rock 2; 3 jazz 1 + rock 1; 4 pop; 5 jazz. N = 5 tagged; df rock 3, jazz 2, pop 2
    idf_r, idf_j, idf_p = math.log(6 / 4) + 1, math.log(6 / 3) + 1, math.log(6 / 3) + 1
    n1 = math.hypot(3 * idf_r, idf_p)
    np.testing.assert_allclose(p[0], [3 * idf_r / n1, 0, idf_p / n1])
    np.testing.assert_allclose(p[2], [idf_r / math.hypot(idf_r, idf_j), idf_j / math.hypot(idf_r, idf_j), 0])
    np.testing.assert_allclose(p[5], [0, 0, 0])


def test_validation_split_uses_train_users_only(tiny: Dataset) -> None:
    split = make_split(tiny, seed=42)
    val = validation_split(split.train, seed=42)
    # train users [1, 2, 3, 4]: int(0.2 * 4) = 0 held out with frac 0.2; with 0.5, 2 of them.
    assert len(val.test_users) == 0
    val = validation_split(split.train, seed=42, frac=0.5)
    assert len(val.test_users) == 2 and set(val.test_users) | set(val.train_users) == {1, 2, 3, 4}
    assert 5 not in set(val.train.plays["user_id"]) | set(val.train.assignments["user_id"])
    assert val.kind == "validation"
    with pytest.raises(ValueError, match="frac"):
        validation_split(split.train, frac=1.5)


# ---------------------------------------------------------------------- metrics
def test_next_item_metrics_by_hand(tiny: Dataset) -> None:
    split = make_split(tiny, seed=42)
    model = TableModel().fit(split.train)
    out = evaluate(model, split, "next")
    # Scores 1:5 2:3 3:3 4:1 5:3 6:-inf (unknown to the model); prefix artists excluded; rank = #>=.
    # [1,3,2,6]: p=1 target 3, candidates 2,3,4,5,6 -> {2,3,5} >= 3: rank 3 (4 without exclusion)
    #            p=2 target 2, candidates 2,4,5,6   -> {2,5}: rank 2 (3 if 1 were not excluded)
    #            p=3 target 6 (-inf), candidates 4,5,6 -> last: rank 3
    # [5,4]:     p=1 target 4, candidates 1,2,3,4,6 -> {1,2,3,4}: rank 4
    assert out["n_events"] == 4 and out["sampled"] is False
    assert out["recall@1"] == 0.0 and out["recall@5"] == 1.0 and out["recall@20"] == 1.0
    assert out["mrr@1"] == 0.0
    assert out["mrr@5"] == pytest.approx((1 / 3 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    m = metrics.next_item_metrics(np.array([3, 2, 3, 4]), ks=(2, 3))
    assert m == pytest.approx({"recall@2": 0.25, "recall@3": 0.75, "mrr@2": 0.5 / 4, "mrr@3": (1 / 3 + 1 / 2 + 1 / 3) / 4})


def test_ranks_ties_count_against_the_model() -> None:
    scores = np.array([[2.0, 2.0, 2.0, 1.0, -np.inf], [-np.inf, 0.5, -np.inf, 0.5, -np.inf]])
    # row 0: target 1 tied with 0 and 2 -> rank 3; row 1: target 4 at -inf, 2 excluded -> rank 3 of 3
    assert metrics.ranks(scores, np.array([1, 4]), np.array([0, 2])).tolist() == [3, 3]


def test_list_task_for_a_ranker_by_hand(tiny: Dataset) -> None:
    split = make_split(tiny, seed=42)
    out = evaluate(TableModel().fit(split.train), split, "list")
    # [1,3,2,6]: given 1,3 -> list 2,5,4 (2 and 5 tie: lower id first; 6 unscorable), targets 2,6
    # [5,4]: given 5 -> list 1,2,3,4, target 4 at position 4
    ndcg_a = 1 / (1 + 1 / math.log2(3))
    ndcg_b = 1 / math.log2(5)
    assert out["recall@20"] == pytest.approx((0.5 + 1.0) / 2)
    assert out["ndcg@20"] == pytest.approx((ndcg_a + ndcg_b) / 2)
    assert out["coverage"] == pytest.approx(5 / 6)
    assert out["n_sessions"] == 2


def test_list_task_for_a_list_builder_by_hand(tiny: Dataset) -> None:
    split = make_split(tiny, seed=42)
    out = evaluate(ListModel().fit(split.train), split, "list")
    # given 1,3 -> 6 9 4 2 (9 outside the vocabulary stays a miss); targets 2, 6 hit at 1 and 4
    # given 5   -> 6 9 1 4 2; target 4 hit at 4
    assert out["recall@20"] == 1.0
    ideal_a = 1 + 1 / math.log2(3)
    assert out["ndcg@20"] == pytest.approx(((1 + 1 / math.log2(5)) / ideal_a + 1 / math.log2(5)) / 2)
    # ILD over tagged entries only: list A {4 pop, 2 rock} -> 1; list B {1, 4, 2}
    idf_r, idf_p = math.log(6 / 4) + 1, math.log(6 / 3) + 1
    n1 = math.hypot(3 * idf_r, idf_p)
    cos_14, cos_12, cos_42 = idf_p / n1, 3 * idf_r / n1, 0.0
    ild_b = 1 - (cos_14 + cos_12 + cos_42) / 3
    assert out["ild@20"] == pytest.approx((1 + ild_b) / 2)
    assert out["untagged@20"] == pytest.approx((2 / 4 + 2 / 5) / 2)  # 6 and 9 in both lists
    # listeners 1:3 2:3 4:1 6:1, 9 counts as 1; 4 train users
    rare, common = -math.log2(1 / 4), -math.log2(3 / 4)
    assert out["novelty"] == pytest.approx(((3 * rare + common) / 4 + (3 * rare + 2 * common) / 5) / 2)
    assert out["coverage"] == pytest.approx(4 / 6)  # 6, 4, 2, 1
    # counts over the vocabulary sorted: 0 0 1 2 2 2 (total 7): sum (2i - 7) x_i = -1 + 2 + 6 + 10
    assert out["gini"] == pytest.approx(17 / (6 * 7))


def test_list_builder_returning_a_given_artist_is_rejected(tiny: Dataset) -> None:
    class Cheat(ListModel):
        def recommend(self, session, k=20, exclude=(), context=None):
            return [Recommendation(a, 1.0, "") for a in session]

    split = make_split(tiny, seed=42)
    with pytest.raises(ValueError, match="given or repeated"):
        evaluate(Cheat().fit(split.train), split, "list")
    with pytest.raises(ValueError, match="lists only"):
        evaluate(ListModel().fit(split.train), split, "next")


def test_gini_extremes() -> None:
    assert metrics.gini([[0, 1], [2, 3]], 4) == 0.0
    assert metrics.gini([[0], [0], [0]], 4) == pytest.approx(3 / 4)


def test_sampled_next_item_task_is_flagged_and_fixed(tiny: Dataset) -> None:
    split = make_split(tiny, seed=42)
    model = TableModel().fit(split.train)
    a = evaluate(model, split, "next", max_events=2)
    b = evaluate(model, split, "next", max_events=2)
    assert a == b and a["sampled"] is True and a["n_events"] == 2
    done: list[tuple[int, int]] = []
    evaluate(model, split, "next", progress=lambda d, t: done.append((d, t)))
    assert done[-1] == (4, 4)


# ---------------------------------------------------------------------- leakage
class Spy(Recommender):
    """Records the dataset it was fitted on; scores by popularity in it."""

    name = "spy"
    seen: list[Dataset] = []

    def fit(self, dataset: Dataset) -> "Spy":
        Spy.seen.append(dataset)
        self.dataset = dataset
        self._set_items(dataset.item_ids)
        return self

    def score_sessions(self, sessions):
        return np.zeros((len(sessions), len(self.item_ids)))


def test_no_test_user_data_reaches_fit(tiny: Dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    Spy.seen = []
    monkeypatch.setitem(registry.MODELS, "spy", lambda seed: Spy())
    split = make_split(tiny, seed=42)
    fit_and_evaluate("spy", split, ["next", "list"])
    (seen,) = Spy.seen
    assert 5 not in set(seen.plays["user_id"])
    assert 5 not in set(seen.assignments["user_id"])
    assert 5 not in set(seen.sessions["user_id"])
    assert 5 not in set(seen.friends["user_id"]) | set(seen.friends["friend_id"])
    assert len(seen.friends) == 1  # only 1-2; 2-5 and 4-5 involve the test user
    assert not {7, 9} & set(seen.item_ids)  # artists only the test user knows
    # a model fitted on everything is refused
    with pytest.raises(LeakageError, match="test user"):
        evaluate(Spy().fit(tiny), split, "next")


# ------------------------------------------------------------------ determinism
def without_timing(doc: dict) -> dict:
    return {**doc, "results": {m: {k: v for k, v in r.items() if k not in ("fit_s", "eval_s")} for m, r in doc["results"].items()}}


def test_same_seed_same_json_other_seed_other_split(tmp_path: Path) -> None:
    docs = []
    for _ in range(2):
        ds = tiny_eval_dataset(tmp_path / f"run{len(docs)}")  # a fresh load each run
        split = make_split(ds, seed=42)
        results = {name: fit_and_evaluate(name, split) for name in registry.BASELINES}
        docs.append(json.dumps(without_timing(results_json(split, results)), sort_keys=True))
    assert docs[0] == docs[1]
    other = make_split(tiny_eval_dataset(tmp_path / "other"), seed=7)
    # default_rng(7).permutation([1..5]) = [3, 1, 5, 2, 4]: user 3 is tested instead of 5
    assert other.test_users.tolist() == [3]
    assert other.test_sessions == [[5, 2]]


def test_results_json_schema_and_rounding(tiny: Dataset) -> None:
    split = make_split(tiny, seed=42)
    doc = results_json(split, {"pop": fit_and_evaluate("pop", split)})
    assert doc["protocol"] == "hetrec-sessions-v2" and doc["seed"] == 42
    assert (doc["n_items"], doc["n_test_users"], doc["n_test_sessions"], doc["n_test_events"]) == (6, 1, 2, 4)
    r = doc["results"]["pop"]
    assert set(r) == {"next", "list", "fit_s", "eval_s"}
    assert {"recall@20", "mrr@20", "recall@1", "mrr@1"} <= set(r["next"])
    assert {"recall@20", "ndcg@20", "ild@20", "novelty", "coverage", "gini"} <= set(r["list"])
    for v in [*r["next"].values(), *r["list"].values()]:
        if isinstance(v, float):
            assert round(v, 4) == v
