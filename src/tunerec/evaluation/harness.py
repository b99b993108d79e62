"""``evaluate(model, split, task)``: the one evaluation every recommender goes through.

Next-item task (rankers): every proper prefix of every test session is scored over the
whole vocabulary, in batches; prefix artists are excluded; ties count against the model.
List task: the model gets the first ⌈n/2⌉ artists of each test session and returns 20
(a list builder's entries outside the vocabulary stay in their slots as misses, count as
untagged and as heard by 1 train user, and are left out of coverage and Gini).
Vocabulary artists a model cannot score (not in its ``item_ids``) get score -inf.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np

from tunerec.evaluation import metrics
from tunerec.evaluation.protocol import PROTOCOL, Split
from tunerec.recommenders.base import top_k

if TYPE_CHECKING:
    from tunerec.recommenders.base import Recommender

Progress = Callable[[int, int], None]
TASKS = ("next", "list")
#: score rows (prefixes) per batch: bounds memory to about BATCH_ROWS × vocabulary × 8 bytes
BATCH_ROWS = 128


class LeakageError(Exception):
    """A model was fitted on data of the split's test users."""


def check_no_leakage(model: "Recommender", split: Split) -> None:
    """Raise :class:`LeakageError` if the data the model was fitted on holds any test user."""
    ds = getattr(model, "dataset", None)
    if ds is None:
        return
    seen = np.union1d(ds.plays["user_id"].to_numpy(), ds.assignments["user_id"].to_numpy())
    seen = np.union1d(seen, ds.friends[["user_id", "friend_id"]].to_numpy().ravel())
    bad = np.intersect1d(seen, split.test_users)
    if len(bad):
        raise LeakageError(f"{model.name} was fitted on data of {len(bad)} test user(s), e.g. user {int(bad[0])}")


def evaluate(
    model: "Recommender",
    split: Split,
    task: str = "next",
    max_events: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Metrics of a fitted ``model`` on ``split`` for ``task`` ("next" or "list").

    ``max_events`` samples that many next-item events (or list-task sessions) with a
    fixed seed (the split's); the result then has ``sampled`` True. ``progress(done,
    total)`` is called after each batch.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if model.dataset is None:
        raise ValueError(f"{model.name}: fit the model before evaluating it")
    check_no_leakage(model, split)
    if task == "next":
        if not model.can_score:
            raise ValueError(f"{model.name} builds lists only; it cannot do the next-item task")
        return _evaluate_next(model, split, max_events, progress)
    return _evaluate_list(model, split, max_events, progress)


# ------------------------------------------------------------------ next item
def next_events(split: Split) -> tuple[np.ndarray, np.ndarray]:
    """All next-item events as (session index, position p >= 1), in session order."""
    lens = np.array([len(s) for s in split.test_sessions], dtype=np.int64)
    sess = np.repeat(np.arange(len(lens)), np.maximum(lens - 1, 0))
    starts = np.r_[0, np.cumsum(lens - 1)[:-1]] if len(lens) else np.zeros(0, np.int64)
    pos = np.arange(len(sess)) - np.repeat(starts, np.maximum(lens - 1, 0)) + 1
    return sess, pos


def sample_events(n_total: int, max_events: int | None, seed: int) -> np.ndarray | None:
    """Sorted indices of ``max_events`` events drawn with ``seed`` (None: use all)."""
    if max_events is None or max_events >= n_total:
        return None
    if max_events < 1:
        raise ValueError(f"max_events must be at least 1, got {max_events}")
    return np.sort(np.random.default_rng(seed).choice(n_total, size=max_events, replace=False))


def _evaluate_next(model: "Recommender", split: Split, max_events: int | None, progress: Progress | None) -> dict[str, Any]:
    sess, pos = next_events(split)
    chosen = sample_events(len(sess), max_events, split.seed)
    sessions = split.test_sessions
    vpos = [split.vocab_index(s) for s in sessions]
    mapper = _VocabMapper(model, split)
    all_ranks: list[np.ndarray] = []
    total = len(sess) if chosen is None else len(chosen)
    done = 0
    fast = chosen is None and hasattr(model, "score_prefixes")
    if fast:
        for batch in _session_batches([len(s) - 1 for s in sessions], BATCH_ROWS):
            scores = mapper(model.score_prefixes([sessions[i] for i in batch]))  # type: ignore[attr-defined]
            ev = [(i, p) for i in batch for p in range(1, len(sessions[i]))]
            all_ranks.append(_rank_rows(scores, ev, vpos))
            done += len(ev)
            if progress:
                progress(done, total)
    else:
        events = list(zip(sess.tolist(), pos.tolist()))
        if chosen is not None:
            events = [events[j] for j in chosen]
        for start in range(0, len(events), BATCH_ROWS):
            ev = events[start : start + BATCH_ROWS]
            scores = mapper(model.score_sessions([sessions[i][:p] for i, p in ev]))
            all_ranks.append(_rank_rows(scores, ev, vpos))
            done += len(ev)
            if progress:
                progress(done, total)
    rank = np.concatenate(all_ranks) if all_ranks else np.zeros(0, np.int64)
    out: dict[str, Any] = metrics.next_item_metrics(rank)
    out["n_events"] = int(len(rank))
    out["sampled"] = chosen is not None
    return out


def _rank_rows(scores: np.ndarray, events: Sequence[tuple[int, int]], vpos: list[np.ndarray]) -> np.ndarray:
    """Exclude each event's prefix (set -inf), then rank its target."""
    rows = np.concatenate([np.full(p, r) for r, (_, p) in enumerate(events)])
    cols = np.concatenate([vpos[i][:p] for i, p in events])
    scores[rows, cols] = -np.inf
    targets = np.array([vpos[i][p] for i, p in events], dtype=np.int64)
    n_excl = np.array([p for _, p in events], dtype=np.int64)
    return metrics.ranks(scores, targets, n_excl)


def _session_batches(rows_per_session: Sequence[int], max_rows: int) -> Iterable[list[int]]:
    batch: list[int] = []
    rows = 0
    for i, n in enumerate(rows_per_session):
        if batch and rows + n > max_rows:
            yield batch
            batch, rows = [], 0
        batch.append(i)
        rows += n
    if batch:
        yield batch


class _VocabMapper:
    """Model score columns (its ``item_ids``) -> vocabulary columns; -inf where unscorable."""

    def __init__(self, model: "Recommender", split: Split) -> None:
        items = np.asarray(model.item_ids, dtype=np.int64)
        self.identity = len(items) == len(split.vocab) and bool(np.array_equal(items, split.vocab))
        if not self.identity:
            self.cols = model.indices_of(split.vocab)

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        s = np.array(scores, dtype=np.float64, copy=True)
        if not self.identity:
            out = np.full((s.shape[0], len(self.cols)), -np.inf)
            ok = self.cols >= 0
            out[:, ok] = s[:, self.cols[ok]]
            s = out
        s[np.isnan(s)] = -np.inf
        return s


# ----------------------------------------------------------------------- lists
def list_cases(split: Split) -> tuple[list[list[int]], list[list[int]]]:
    """(given, targets) per test session: the first ⌈n/2⌉ artists and the rest."""
    given, targets = [], []
    for s in split.test_sessions:
        h = math.ceil(len(s) / 2)
        given.append(s[:h])
        targets.append(s[h:])
    return given, targets


def _evaluate_list(model: "Recommender", split: Split, max_sessions: int | None, progress: Progress | None) -> dict[str, Any]:
    given, targets = list_cases(split)
    chosen = sample_events(len(given), max_sessions, split.seed)
    if chosen is not None:
        given = [given[j] for j in chosen]
        targets = [targets[j] for j in chosen]
    k = metrics.LIST_K
    lists: list[np.ndarray] = []
    if model.can_score:
        mapper = _VocabMapper(model, split)
        for start in range(0, len(given), BATCH_ROWS):
            g = given[start : start + BATCH_ROWS]
            scores = mapper(model.score_sessions(g))
            for r, gi in enumerate(g):
                row = scores[r]
                gp = split.vocab_index(gi)
                row[gp[gp >= 0]] = -np.inf
                lists.append(top_k(row, k))
            if progress:
                progress(len(lists), len(given))
    else:
        for n, g in enumerate(given):
            recs = model.recommend(list(g), k=k, exclude=list(g))[:k]
            ids = [int(r.artist_id) for r in recs]
            bad = (set(ids) & set(int(a) for a in g)) or (len(set(ids)) < len(ids))
            if bad:
                raise ValueError(f"{model.name} returned a given or repeated artist for test session {n} (given {list(g)}, list {ids})")
            lists.append(split.vocab_index(ids))
            if progress:
                progress(n + 1, len(given))
    tpos = [split.vocab_index(t) for t in targets]
    recall, ndcg = metrics.recall_ndcg(lists, tpos, k)
    ild, untagged = metrics.intra_list_distance(lists, split.tag_profiles, split.tagged)
    return {
        f"recall@{k}": recall,
        f"ndcg@{k}": ndcg,
        f"ild@{k}": ild,
        f"untagged@{k}": untagged,
        "novelty": metrics.novelty(lists, split.listeners, split.n_train_users),
        "coverage": metrics.coverage(lists, split.n_items),
        "gini": metrics.gini(lists, split.n_items),
        "n_sessions": len(lists),
        "sampled": chosen is not None,
    }


# ------------------------------------------------------------------- reporting
def fit_and_evaluate(
    name: str,
    split: Split,
    tasks: Sequence[str] = TASKS,
    max_events: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Build registry model ``name``, fit it on ``split.train``, evaluate it on ``tasks``.

    Returns ``{"next": {...}, "list": {...}, "fit_s": s, "eval_s": s}`` (a task the model
    cannot do is left out). ``progress(task, done, total)`` reports each batch.
    """
    from tunerec.evaluation.registry import build

    model = build(name, split.seed)
    t0 = time.perf_counter()
    model.fit(split.train)
    fit_s = time.perf_counter() - t0
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    for task in tasks:
        if task == "next" and not model.can_score:
            continue
        cb = (lambda d, t, task=task: progress(task, d, t)) if progress else None
        out[task] = evaluate(model, split, task, max_events=max_events, progress=cb)
    out["fit_s"] = fit_s
    out["eval_s"] = time.perf_counter() - t0
    return out


def results_json(split: Split, results: dict[str, dict[str, Any]], digits: int = 4) -> dict[str, Any]:
    """The ``tunerec eval --json`` document (metric values rounded to ``digits``)."""

    def rnd(d: dict[str, Any]) -> dict[str, Any]:
        return {k: (round(float(v), digits) if isinstance(v, float) else v) for k, v in d.items()}

    return {
        "protocol": PROTOCOL,
        "seed": split.seed,
        "n_items": split.n_items,
        "n_test_users": int(len(split.test_users)),
        "n_test_sessions": split.n_test_sessions,
        "n_test_events": split.n_events,
        "results": {
            name: {k: (rnd(v) if isinstance(v, dict) else round(float(v), 2)) for k, v in r.items()}
            for name, r in results.items()
        },
    }
