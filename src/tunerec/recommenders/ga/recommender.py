"""The GA recommender: NSGA-II over whole lists, one list picked by the discovery setting.

``GARecommender(source)`` wraps a relevance source (any ranker with ``score_sessions``:
item-kNN by default, the RNN in hybrid mode). Per request it builds a candidate pool,
evolves lists trading relevance against novelty and diversity (and session-tag coverage),
picks one from the final Pareto front by discovery d, orders it and explains it.
:meth:`GARecommender.build` returns everything (front, summary, timings);
:meth:`GARecommender.recommend` returns the list under the one recommender interface.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, ClassVar, Iterable, Sequence

import numpy as np

from tunerec.recommenders.base import Context, Recommendation, Recommender
from tunerec.recommenders.ga import choose as rules
from tunerec.recommenders.ga.choose import choose, order_list, price_weights
from tunerec.recommenders.ga.explain import explain_list, summary_line
from tunerec.recommenders.ga.features import ItemFeatures, build_features
from tunerec.recommenders.ga.mmr import MMR_LAMBDAS, linear_list, mmr_lists
from tunerec.recommenders.ga.nsga import Evolution, GAConfig, evolve
from tunerec.recommenders.ga.objectives import OBJECTIVES, PoolArrays, evaluate, pool_arrays
from tunerec.recommenders.ga.polish import polish
from tunerec.recommenders.ga.pool import CandidatePool, PoolSizes, build_pool

if TYPE_CHECKING:
    from tunerec.data import Dataset

DEFAULT_DEADLINE = 0.3
DEFAULT_DISCOVERY = 0.5
#: Listener shrinkage of the uncalibrated relevance (see :func:`.pool.normalised_relevance`).
#: Validation split of the train users, both carves (bench/bench_ga_tune.py --hybrid
#: --relevance shrunk): the EASE-initialised RNN does not inflate rare artists, and shrinking
#: them cost its relevance-only list 9% of its recall (support 5: 96% / 103% of iknn_both's
#: recall at d = 0; support 0: 105% / 112%).
SUPPORT = 0.0
#: Share of the discovery weight given to novelty (the rest to diversity) when choosing
#: (validation split: with "price", 0.6 beat 0.65 and 0.7, which gave up recall for novelty
#: and fell short of +10% ILD; with "floor", 0.6 met the ILD target, 0.8 did not).
NOVELTY_SHARE = 0.6
#: How the relevance objective is computed (see :class:`GARecommender`).
RELEVANCE_MODES = ("auto", "calibrated", "shrunk")
#: Share of the deadline kept for choosing, ordering and explaining after the evolution.
DEADLINE_RESERVE = 0.15


@dataclass
class FrontList:
    """One list of the final Pareto front: objective values and artists (relevance order)."""

    objectives: dict[str, float]
    artist_ids: list[int]


@dataclass
class GAResult:
    """Everything one GA request produced."""

    recommendations: list[Recommendation]
    summary: str
    objectives: dict[str, float]  # of the chosen list
    baseline: dict[str, float]  # of the relevance-only list of the same pool
    front: list[FrontList]
    chosen: int  # index of the chosen list in ``front`` (-1 when no front)
    pool_size: int
    generations: int
    elapsed: float
    stopped_by_deadline: bool
    notes: list[str] = field(default_factory=list)
    discovery: float = DEFAULT_DISCOVERY


@dataclass
class GARun:
    """One request's pool, evolution and final front (lists most relevant first)."""

    start: float
    session: np.ndarray  # item indices of the known session artists
    tag_cols: list[int]
    notes: list[str]
    pool: CandidatePool
    arrays: PoolArrays | None = None
    seeds: np.ndarray | None = None  # the relevance-only list, then the MMR lists
    evolution: Evolution | None = None
    front_lists: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    front_objectives: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    baseline: np.ndarray = field(default_factory=lambda: np.zeros(3))  # relevance-only list


class GARecommender(Recommender):
    """Multi-objective GA list builder (DEAP NSGA-II) over a relevance source's candidates."""

    name: ClassVar[str] = "ga"
    can_score: ClassVar[bool] = False

    def __init__(
        self,
        source: Recommender | None = None,
        discovery: float = DEFAULT_DISCOVERY,
        deadline: float | None = DEFAULT_DEADLINE,
        seed: int = 42,
        config: GAConfig = GAConfig(),
        sizes: PoolSizes = PoolSizes(),
        choice: str = "auto",
        novelty_share: float = NOVELTY_SHARE,
        support: float = SUPPORT,
        rank_discount: float | None = None,
        tag_weight: float = 0.0,
        relevance: str = "auto",
        linear_seeds: bool = True,
        polish: bool = True,
        colisten: Recommender | None = None,
        source_label: str | None = None,
        name: str | None = None,
        tags: Sequence[str] = (),
    ) -> None:
        """``source``: the relevance ranker (default item-kNN on sessions + profiles);
        ``colisten``: an extra co-listening ranker whose top artists join the pool (hybrid
        mode: the RNN as ``source``, item-kNN here); ``deadline``: seconds per list (None:
        only the generation cap stops the run, fully deterministic); ``tags``: default
        session tags (a request's own tags replace them); ``relevance``: ``"calibrated"``
        (estimated hit probability, :mod:`.calibration`; needs item-kNN scores, or the RNN's
        with item-kNN as ``colisten``), ``"shrunk"`` (source score with listener shrinkage
        ``support``) or ``"auto"`` (calibrated for those two, shrunk otherwise); ``polish``: improve the chosen
        list by swaps on the "price" value (:mod:`.polish`)."""
        super().__init__()
        if not 0.0 <= discovery <= 1.0:
            raise ValueError(f"discovery must be between 0 and 1, got {discovery}")
        if source is None:
            from tunerec.recommenders.knn import ItemKNN

            source = ItemKNN(source="both")
        self.source = source
        self.colisten = colisten
        self.discovery = float(discovery)
        self.deadline = deadline
        self.seed = int(seed)
        self.config = config
        self.sizes = sizes
        self.choice = choice
        self.support = float(support)
        self.novelty_share = float(novelty_share)
        self._rank_discount = rank_discount
        self.tag_weight = float(tag_weight)
        if relevance not in RELEVANCE_MODES:
            raise ValueError(f"unknown relevance {relevance!r}; use one of {', '.join(RELEVANCE_MODES)}")
        self.relevance = relevance
        self.linear_seeds = bool(linear_seeds)
        self.polish = bool(polish)
        self.source_label = source_label or ("item-kNN" if source.name.startswith("iknn") else source.name.upper())
        if name is not None:
            self.name = name  # type: ignore[misc]
        self.tags = tuple(tags)
        self.features: ItemFeatures | None = None
        self.deadline_hits = 0  # runs the deadline stopped before the generation cap

    # ------------------------------------------------------------------ fitting
    def fit(self, dataset: "Dataset") -> "GARecommender":
        """Fit the relevance source(s) (unless already fitted on ``dataset``) and the features."""
        for model in (self.source, self.colisten):
            if model is not None and model.dataset is not dataset:
                model.fit(dataset)
        self.dataset = dataset
        self._set_items(self.source.item_ids)
        self.features = build_features(dataset, self.item_ids)
        return self

    @property
    def choice_method(self) -> str:
        """The choice rule: "price" with calibrated relevance, "floor" otherwise (unless set)."""
        if self.choice != "auto":
            return self.choice
        return "price" if self.calibrated else "floor"

    @property
    def price_hits(self) -> float:
        """The "price" rule's hits unit: the hybrid's or the item-kNN GA's (:mod:`.choose`)."""
        return rules.HYBRID_PRICE_HITS if self.colisten is not None else rules.PRICE_HITS

    @property
    def rank_discount(self) -> float:
        """Rank discount of the relevance objective: none (expected hits) with calibrated
        relevance, DCG otherwise (unless set)."""
        if self._rank_discount is not None:
            return float(self._rank_discount)
        return 0.0 if self.calibrated else 1.0

    @property
    def calibrated(self) -> bool:
        """Whether relevance is the calibrated hit probability (by default for an item-kNN
        source, and for the hybrid: the RNN as source, item-kNN as co-listening ranker)."""
        if self.relevance != "auto":
            return self.relevance == "calibrated"
        from tunerec.recommenders.knn import ItemKNN

        if self.colisten is None:
            return isinstance(self.source, ItemKNN)
        from tunerec.recommenders.rnn import RNNRecommender  # the hybrid has torch loaded already

        return isinstance(self.colisten, ItemKNN) and isinstance(self.source, RNNRecommender)

    # ------------------------------------------------------------------ requests
    def recommend(
        self,
        session: Sequence[int],
        k: int = 20,
        exclude: Iterable[int] = (),
        context: Context | None = None,
    ) -> list[Recommendation]:
        ctx = context or Context()
        return self.build(
            session,
            k=k,
            exclude=exclude,
            discovery=ctx.discovery,
            tags=ctx.tags or self.tags,
            seed=ctx.seed,
            exclude_known=list(ctx.profile or ()) if ctx.exclude_known else (),
            should_stop=ctx.extra.get("should_stop"),
        ).recommendations

    def build(
        self,
        session: Sequence[int],
        k: int = 20,
        exclude: Iterable[int] = (),
        discovery: float | None = None,
        tags: Sequence[str] = (),
        seed: int | None = None,
        exclude_known: Iterable[int] = (),
        should_stop: Callable[[], bool] | None = None,
    ) -> GAResult:
        """Evolve lists for ``session`` and pick one for ``discovery`` (default: the model's);
        ``should_stop()`` is asked between generations."""
        run = self.run(
            session, k=k, exclude=exclude, tags=tags, seed=seed, exclude_known=exclude_known, should_stop=should_stop
        )
        return self.choose_list(run, discovery)

    def choose_list(self, run: "GARun", discovery: float | None = None) -> GAResult:
        """The list of ``run``'s front for ``discovery`` (one run serves any number of settings)."""
        d = self.discovery if discovery is None else float(min(1.0, max(0.0, discovery)))
        if run.evolution is None:
            return GAResult([], "no candidates", {}, {}, [], -1, 0, 0, time.perf_counter() - run.start, False, run.notes, d)
        pa, pool = run.arrays, run.pool
        pick = choose(run.front_objectives, d, self.choice_method, self.novelty_share, hits=pa.hits, hits_unit=self.price_hits)
        chosen, objectives = run.front_lists[pick], run.front_objectives[pick]
        if self.choice_method == "price" and self.polish and self.config.tag_cap is None:
            chosen = polish(pa, chosen, d, self.novelty_share, self.price_hits)
            objectives = evaluate(pa, chosen[None])[0]
        ordered = chosen[order_list(pa.rel[chosen], pa.sim[np.ix_(chosen, chosen)], pa.tagged[chosen])]
        recs = self._recommendations(pool, ordered, run.session, run.tag_cols, run.notes)
        names = OBJECTIVES[: pa.n_objectives]
        front = [
            FrontList(
                objectives={n: float(v) for n, v in zip(names, run.front_objectives[i])},
                artist_ids=[int(self.item_ids[pool.items[j]]) for j in row[np.argsort(-pa.rel[row], kind="stable")]],
            )
            for i, row in enumerate(run.front_lists)
        ]
        return GAResult(
            recommendations=recs,
            summary=summary_line(objectives, run.baseline, len(run.tag_cols)),
            objectives=dict(zip(names, map(float, objectives))),
            baseline=dict(zip(names, map(float, run.baseline))),
            front=front,
            chosen=int(pick),
            pool_size=len(pool),
            generations=run.evolution.generations,
            elapsed=time.perf_counter() - run.start,
            stopped_by_deadline=run.evolution.stopped_by_deadline,
            notes=run.notes,
            discovery=d,
        )

    def run(
        self,
        session: Sequence[int],
        k: int = 20,
        exclude: Iterable[int] = (),
        tags: Sequence[str] = (),
        seed: int | None = None,
        exclude_known: Iterable[int] = (),
        evolve_lists: bool = True,
        should_stop: Callable[[], bool] | None = None,
    ) -> "GARun":
        """Pool, evolution and final front for ``session`` (before a list is chosen);
        ``evolve_lists=False`` stops after the pool and the seed lists."""
        t0 = time.perf_counter()
        self._require_fit()
        feat = self.features
        assert feat is not None and self.dataset is not None
        seed = self.seed if seed is None else int(seed)
        session = [int(a) for a in session]
        notes = self.session_notes(session, [a for a in session if self.index_of(a) >= 0])
        sess_idx = self.indices_of(session)
        sess_idx = np.unique(sess_idx[sess_idx >= 0])
        banned = np.zeros(len(self.item_ids), dtype=bool)
        ex = self.indices_of([*exclude, *exclude_known])
        banned[ex[ex >= 0]] = True
        banned[sess_idx] = True
        tag_cols, missing = feat.match_tags(tags)
        if missing:
            notes.append("session tags not in the dataset, ignored: " + ", ".join(missing))
        known = [int(a) for a in self.item_ids[sess_idx]]
        if not known:
            notes.append("no known artist in the session: starting from popular artists" + (" and your tags" if tag_cols else ""))
        scores = np.asarray(self.source.score_sessions([known])[0], dtype=np.float64)
        extra = None
        if self.colisten is not None:
            extra = _aligned(self.colisten, self.item_ids, self.colisten.score_sessions([known])[0])
        pool = build_pool(
            feat, scores, sess_idx, banned, tag_cols, extra, self.sizes, self.support, self.tag_weight, self.calibrated
        )
        if len(pool) < k:
            notes.append(f"only {len(pool)} candidate artists: the list is shorter than {k}")
        run = GARun(start=t0, session=sess_idx, tag_cols=tag_cols, notes=notes, pool=pool)
        if len(pool) == 0:
            return run
        pa = pool_arrays(pool, feat, k, tag_cols, self.rank_discount)
        rng = np.random.default_rng(_request_seed(seed, known, tag_cols, k))
        seeds = initial_lists(pa, self.linear_seeds, self.novelty_share, self.price_hits)
        run.arrays = pa
        run.seeds = seeds
        run.baseline = evaluate(pa, seeds[:1])[0]
        if not evolve_lists:
            return run
        budget = None if self.deadline is None else self.deadline * (1.0 - DEADLINE_RESERVE)
        evo = evolve(pa, seeds, rng, self.config, deadline=budget, start=t0, should_stop=should_stop)
        front_idx = np.lexsort((np.arange(len(evo.archive)), -evo.archive_objectives[:, 0]))
        run.evolution = evo
        self.deadline_hits += int(evo.stopped_by_deadline)
        run.front_lists = evo.archive[front_idx]
        run.front_objectives = evo.archive_objectives[front_idx]
        return run

    def _recommendations(
        self, pool: CandidatePool, ordered: np.ndarray, sess_idx: np.ndarray, tag_cols: Sequence[int], notes: list[str]
    ) -> list[Recommendation]:
        assert self.features is not None and self.dataset is not None
        lines = explain_list(self.features, pool, ordered, sess_idx, tag_cols, self.dataset.artist_name, self.source_label)
        out = []
        for j, (line, details) in zip(ordered, lines):
            aid = int(self.item_ids[pool.items[j]])
            out.append(Recommendation(aid, float(pool.rel[j]), line, tuple(details) + tuple(notes)))
        return out


#: Weights of novelty against relevance for the greedy seed lists (novelty scaled to [0, 1]).
NOVELTY_SEED_WEIGHTS = (0.2, 0.4, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.2)


#: (novelty, diversity) weights of the linearised greedy seed lists (:func:`.mmr.linear_list`).
LINEAR_SEED_WEIGHTS = ((0.2, 0.2), (0.3, 0.2), (0.4, 0.2), (0.5, 0.2), (0.7, 0.2), (0.2, 0.4), (0.3, 0.4), (0.4, 0.4), (0.5, 0.4), (0.7, 0.4))


#: Discovery settings whose linearised "price" lists seed the GA (calibrated relevance).
PRICE_SEED_DISCOVERY = (0.2, 0.35, 0.45, 0.5, 0.55, 0.65, 0.8, 1.0)


def initial_lists(pa: PoolArrays, linear: bool = True, novelty_share: float = 0.5, hits_unit: float | None = None) -> np.ndarray:
    """Seed lists: the relevance top-k first, then the MMR lists at each λ, then the top-k
    of relevance + w × novelty for each w of :data:`NOVELTY_SEED_WEIGHTS`, then (``linear``)
    greedy lists on the linearised objectives (:func:`.mmr.linear_list`): with calibrated
    relevance the "price" choice rule's for each d of :data:`PRICE_SEED_DISCOVERY`,
    otherwise those of :data:`LINEAR_SEED_WEIGHTS` (``hits_unit``: the price rule's)."""
    idx = np.arange(pa.n)
    top = np.lexsort((idx, -pa.rel))[: pa.k]
    span = np.ptp(pa.novelty) if pa.n else 0.0
    nov01 = (pa.novelty - pa.novelty.min()) / span if span > 0 else np.zeros(pa.n)
    greedy = [np.lexsort((idx, -(pa.rel + w * nov01)))[: pa.k] for w in NOVELTY_SEED_WEIGHTS]
    parts = [top[None, :], mmr_lists(pa, MMR_LAMBDAS), np.stack(greedy)]
    if linear and pa.hits is not None and pa.hits > 0:
        ws = [price_weights(d, pa.k, pa.hits_per_rel, novelty_share, hits_unit) for d in PRICE_SEED_DISCOVERY]  # type: ignore[arg-type]
        parts.append(np.stack([linear_list(pa, wn, wd, raw_novelty=True) for wn, wd in ws]))
    elif linear:
        parts.append(np.stack([linear_list(pa, wn, wd) for wn, wd in LINEAR_SEED_WEIGHTS]))
    return np.concatenate(parts).astype(np.int64)


def _request_seed(seed: int, known: Sequence[int], tag_cols: Sequence[int], k: int) -> int:
    """The random stream of one request: the seed mixed with what was asked."""
    text = f"{seed}|{','.join(map(str, known))}|{','.join(map(str, tag_cols))}|{k}".encode()
    return zlib.crc32(text)


def _aligned(model: Recommender, item_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """``scores`` over ``model.item_ids`` mapped onto ``item_ids`` (-inf where unknown)."""
    if len(model.item_ids) == len(item_ids) and np.array_equal(model.item_ids, item_ids):
        return np.asarray(scores, dtype=np.float64)
    cols = model.indices_of(item_ids)
    out = np.full(len(item_ids), -np.inf)
    out[cols >= 0] = np.asarray(scores, dtype=np.float64)[cols[cols >= 0]]
    return out


def hybrid_ga(seed: int = 42, **options: object) -> GARecommender:
    """The hybrid GA for the evaluation registry: the RNN (cached per split/seed/config) as
    relevance source, item-kNN's co-listened artists in the pool."""
    from tunerec.recommenders.knn import ItemKNN
    from tunerec.recommenders.rnn import RNNRecommender

    rnn = RNNRecommender(cache=True, seed=seed)
    return GARecommender(source=rnn, colisten=ItemKNN("both"), seed=seed, name="ga_hybrid", **options)  # type: ignore[arg-type]
