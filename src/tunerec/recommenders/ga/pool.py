"""The candidate pool of one request: a few hundred artists, each with where it came from.

Sources (each a bit flag in :attr:`CandidatePool.origin`):

- ``RELEVANT``: the relevance source's top artists (item-kNN co-listening, or the RNN);
- ``COLISTEN``: item-kNN's top artists when another model is the relevance source (hybrid);
- ``TAGS``: artists whose tag profile is closest to the session's (and to its own tags);
- ``FRIENDS``: artists played by friends of the users who play the session's artists;
- ``LONGTAIL``: the most relevant of the little-known artists outside the top (with
  calibrated relevance: the likeliest hits among the artists with fewer listeners than the
  pool's median, anywhere in the ranking).

Session artists and excluded (blocked) artists never enter the pool.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from tunerec.recommenders.base import top_k
from tunerec.recommenders.ga.calibration import COEFFICIENTS, HYBRID_COEFFICIENTS, hit_probability, relevance_features
from tunerec.recommenders.ga.features import ItemFeatures

RELEVANT, COLISTEN, TAGS, FRIENDS, LONGTAIL = 1, 2, 4, 8, 16
#: How far below the relevance top the long-tail slice looks.
LONGTAIL_DEPTH = 2000
ORIGIN_NAMES = {RELEVANT: "relevant", COLISTEN: "co-listened", TAGS: "tags", FRIENDS: "friends", LONGTAIL: "long tail"}


@dataclass(frozen=True)
class PoolSizes:
    """How many candidates each source adds (before deduplication)."""

    relevant: int = 300
    colisten: int = 100
    tags: int = 50
    friends: int = 30
    longtail: int = 50


@dataclass
class CandidatePool:
    """Candidates (indices into the features' items) with relevance and provenance."""

    items: np.ndarray  # item indices
    scores: np.ndarray  # raw relevance-source scores
    rel: np.ndarray  # relevance normalised to [0, 1] over the pool
    rank: np.ndarray  # rank of the item in the relevance source's ranking (0 = best)
    origin: np.ndarray  # bit flags (RELEVANT, COLISTEN, TAGS, FRIENDS, LONGTAIL)
    tag_sim: np.ndarray  # cosine of the item's tag profile with the session's query profile
    friend_count: np.ndarray  # friends of the session's listeners who play it
    notes: list[str] = field(default_factory=list)
    prob: np.ndarray | None = None  # calibrated hit probability (None unless calibrated)
    features: np.ndarray | None = None  # its features (:mod:`.calibration`; None unless calibrated)

    def __len__(self) -> int:
        return len(self.items)

    def sources(self, j: int) -> list[str]:
        return [name for flag, name in ORIGIN_NAMES.items() if self.origin[j] & flag]


def build_pool(
    feat: ItemFeatures,
    scores: np.ndarray,
    session: Sequence[int],
    banned: np.ndarray,
    tag_cols: Sequence[int] = (),
    extra_scores: np.ndarray | None = None,
    sizes: PoolSizes = PoolSizes(),
    support: float = 0.0,
    tag_weight: float = 0.0,
    calibrated: bool = False,
) -> CandidatePool:
    """The pool for one request.

    ``scores``: relevance-source scores of every item (higher = more relevant);
    ``session``: item indices of the session; ``banned``: bool mask of items that must
    not be recommended (session, blocked, excluded); ``tag_cols``: the session's own tags;
    ``extra_scores``: item-kNN scores in hybrid mode; ``support``: listener shrinkage of
    relevance (see :func:`normalised_relevance`); ``tag_weight``: share of the relevance
    given to the tag similarity with the session; ``calibrated``: relevance is the
    estimated hit probability of :mod:`.calibration` (item-kNN scores; with ``extra_scores``
    the hybrid's model of RNN and item-kNN scores) scaled so that the best is 1, instead of
    the shrunk score.
    """
    n = len(feat.item_ids)
    scores = np.asarray(scores, dtype=np.float64)
    allowed = ~np.asarray(banned, dtype=bool)
    allowed[np.asarray(session, dtype=np.int64)] = False
    allowed &= np.isfinite(scores)
    masked = np.where(allowed, scores, -np.inf)
    order = top_k(masked, int(allowed.sum()))
    rank = np.full(n, n, dtype=np.int64)
    rank[order] = np.arange(len(order))

    origin = np.zeros(n, dtype=np.uint8)
    taken = np.zeros(n, dtype=bool)

    def add(idx: np.ndarray, flag: int) -> None:
        origin[idx] |= flag
        taken[idx] = True

    add(order[: sizes.relevant], RELEVANT)
    colisten = None  # hybrid: item-kNN's (scores, ranks) over the allowed artists
    if extra_scores is not None:
        extra = np.where(allowed, np.asarray(extra_scores, dtype=np.float64), -np.inf)
        extra_order = top_k(extra, int(np.isfinite(extra).sum()))
        extra_rank = np.full(n, n, dtype=np.int64)
        extra_rank[extra_order] = np.arange(len(extra_order))
        colisten = (extra, extra_rank)
        if sizes.colisten:
            add(extra_order[: sizes.colisten], COLISTEN)

    # tag-similar artists: the session's tag profile plus its own tags (weighted up)
    q = np.zeros(feat.tfidf.shape[1])
    sess = np.asarray(session, dtype=np.int64)
    if len(sess):
        q += np.asarray(feat.tfidf[sess].sum(axis=0)).ravel()
    nq = np.linalg.norm(q)
    if nq > 0:
        q /= nq
    if len(tag_cols):
        q[list(tag_cols)] += 1.0
        q /= np.linalg.norm(q)
    tag_sim = feat.tfidf @ q if nq > 0 or len(tag_cols) else np.zeros(n)
    if sizes.tags and (nq > 0 or len(tag_cols)):
        cand = np.where(allowed & ~taken & (tag_sim > 0), tag_sim, -np.inf)
        add(top_k(cand, sizes.tags), TAGS)
        if len(tag_cols):  # the artists most tagged with the session's own tags
            share = np.asarray(feat.tag_share[:, list(tag_cols)].sum(axis=1)).ravel()
            cand = np.where(allowed & ~taken & (share > 0), share + 1e-3 * np.log1p(feat.listeners), -np.inf)
            add(top_k(cand, sizes.tags), TAGS)

    # friends of the users who play the session's artists
    friend_count = np.zeros(n)
    if sizes.friends and len(sess) and feat.friends.nnz:
        fans = (np.asarray(feat.listen[:, sess].sum(axis=1)).ravel() > 0).astype(np.float64)
        fw = (feat.friends @ fans > 0).astype(np.float64)  # friends of the session's listeners
        if fw.any():
            friend_count = feat.listen.T @ fw  # how many of those friends play each artist
            cand = np.where(allowed & ~taken & (friend_count > 0), friend_count / np.sqrt(feat.listeners), -np.inf)
            add(top_k(cand, sizes.friends), FRIENDS)

    def features_of(sel: np.ndarray, source: np.ndarray, sims: np.ndarray) -> np.ndarray:
        """Calibration features of the items ``sel`` (relative to them)."""
        both = None if colisten is None else (colisten[0][sel], colisten[1][sel])
        return relevance_features(source[sel], rank[sel], feat.listeners[sel], feat.n_users, sims[sel], both)

    coefficients = COEFFICIENTS if extra_scores is None else HYBRID_COEFFICIENTS

    # long tail: relevant artists outside the top that few people know (calibrated: the
    # likeliest hits among them, anywhere in the ranking; otherwise the best ranked)
    if sizes.longtail and taken.any():
        median = float(np.median(feat.listeners[taken]))
        rare = allowed & ~taken & (feat.listeners < median)
        if calibrated:
            p_all = hit_probability(features_of(np.arange(n), masked, np.where(allowed, tag_sim, 0.0)), coefficients)
            cand = np.where(rare, p_all, -np.inf)
        else:
            near = rank < sizes.relevant + LONGTAIL_DEPTH
            cand = np.where(rare & near, -rank.astype(np.float64), -np.inf)
        add(top_k(cand, sizes.longtail), LONGTAIL)

    items = np.flatnonzero(taken)
    items = items[np.lexsort((items, rank[items]))]  # the source's order
    s = scores[items]
    prob = x = None
    if calibrated and len(items):
        x = features_of(items, masked, np.asarray(tag_sim))
        prob = hit_probability(x, coefficients)
        rel = prob / max(float(prob.max()), 1e-300)
    else:
        rel = normalised_relevance(s, feat.listeners[items], support)
    if tag_weight > 0 and len(items):
        ts = np.asarray(tag_sim)[items]
        rel = (1.0 - tag_weight) * rel + tag_weight * ts / max(float(ts.max()), 1e-12)
    return CandidatePool(
        items=items,
        scores=s,
        rel=rel,
        rank=rank[items],
        origin=origin[items],
        tag_sim=np.asarray(tag_sim)[items],
        friend_count=np.asarray(friend_count)[items],
        prob=prob,
        features=x,
    )


def normalised_relevance(scores: np.ndarray, listeners: np.ndarray, support: float = 0.0) -> np.ndarray:
    """Source scores min-max scaled to [0, 1] over the pool, times the listener shrinkage
    ``(L / (L + support))²`` (then rescaled so the best is 1).

    Co-listening similarities of artists with one or two listeners rest on one or two
    people and rarely come true; on a validation split of the train users their hit rate
    is 10-30× lower than that of artists with the same score and 100+ listeners. The
    shrinkage makes the GA's relevance objective track expected hits (``support`` = 0: off).
    """
    s = np.asarray(scores, dtype=np.float64)
    if len(s) == 0:
        return s
    finite = np.isfinite(s)
    s = np.where(finite, s, s[finite].min() if finite.any() else 0.0)
    lo, hi = float(s.min()), float(s.max())
    rel = (s - lo) / (hi - lo) if hi > lo else np.ones(len(s))
    if support > 0:
        lis = np.asarray(listeners, dtype=np.float64)
        rel = rel * (lis / (lis + support)) ** 2
        top = rel.max()
        rel = rel / top if top > 0 else np.ones(len(s))
    return rel
