"""The GA's objectives, evaluated for a whole population at once (numpy, no Python loop).

A population is an int array ``(P, K)`` of distinct pool indices per row. Objectives
(all maximised):

0. relevance: the list's normalised relevance scores sorted best first, with a rank
   discount (none by default with calibrated relevance: then it is the list's expected hits),
   divided by the same for the pool's relevance top-K (so the relevance-only list scores 1);
1. novelty: mean −log2(listener share);
2. diversity: mean pairwise (1 − cosine) of tag profiles over the list's tagged artists
   (untagged artists are left out, as in the evaluation's ILD; fewer than two tagged
   artists ⇒ 0);
3. (only with session tags) coverage: for each session tag, min(1, Σ tag share / quota),
   averaged over the tags, with quota = K / (2 × number of tags).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from tunerec.recommenders.ga.features import ItemFeatures
from tunerec.recommenders.ga.pool import CandidatePool

OBJECTIVES = ("relevance", "novelty", "diversity", "coverage")


@dataclass
class PoolArrays:
    """Dense per-pool arrays the objectives and operators read."""

    k: int
    rel: np.ndarray  # (n,)
    novelty: np.ndarray  # (n,)
    sim: np.ndarray  # (n, n) tag cosine, float32
    tagged: np.ndarray  # (n,) bool
    dominant: np.ndarray  # (n,) dominant tag column, -1 untagged
    cover: np.ndarray | None  # (n, q) share of each session tag, None without session tags
    discount: np.ndarray  # (k,)
    best_rel: float  # discounted relevance of the top-k
    hits: float | None = None  # expected hits of the relevance top-k (calibrated relevance only)

    @property
    def n(self) -> int:
        return len(self.rel)

    @property
    def hits_per_rel(self) -> float | None:
        """Expected hits per unit of normalised relevance (calibrated relevance only)."""
        if self.hits is None:
            return None
        return self.hits / max(float(np.sort(self.rel)[::-1][: self.k].sum()), 1e-12)

    @property
    def n_objectives(self) -> int:
        return 3 if self.cover is None else 4


def pool_arrays(
    pool: CandidatePool, feat: ItemFeatures, k: int, tag_cols: Sequence[int] = (), rank_discount: float = 1.0
) -> PoolArrays:
    """Gather the pool's features into dense arrays (k is clipped to the pool size).

    ``rank_discount`` in [0, 1] blends the relevance objective's position weights between
    flat (0: plain sum, i.e. expected hits) and DCG's 1/log2(i + 2) (1)."""
    k = min(k, len(pool))
    profiles = feat.tfidf[pool.items]
    sim = np.asarray((profiles @ profiles.T).todense(), dtype=np.float32)
    cover = None
    if len(tag_cols):
        cover = np.asarray(feat.tag_share[pool.items][:, list(tag_cols)].todense(), dtype=np.float64)
    discount = (1.0 - rank_discount) + rank_discount / np.log2(np.arange(k) + 2.0)
    top = np.sort(pool.rel)[::-1][:k]
    hits = None if pool.prob is None else float(np.sort(pool.prob)[::-1][:k].sum())
    return PoolArrays(
        k=k,
        rel=pool.rel.astype(np.float64),
        novelty=feat.novelty[pool.items].astype(np.float64),
        sim=sim,
        tagged=feat.tagged[pool.items],
        dominant=feat.dominant_tag[pool.items],
        cover=cover,
        discount=discount,
        best_rel=float(top @ discount) if k else 1.0,
        hits=hits,
    )


def evaluate(pa: PoolArrays, pop: np.ndarray) -> np.ndarray:
    """Objective values, shape ``(P, n_objectives)``, of a population ``(P, K)``."""
    pop = np.asarray(pop, dtype=np.int64)
    p, k = pop.shape
    out = np.zeros((p, pa.n_objectives))
    if k == 0:
        return out
    r = np.sort(pa.rel[pop], axis=1)[:, ::-1]
    out[:, 0] = (r @ pa.discount[:k]) / max(pa.best_rel, 1e-12)
    out[:, 1] = pa.novelty[pop].mean(axis=1)
    out[:, 2] = diversity(pa, pop)
    if pa.cover is not None:
        quota = max(1.0, k / (2.0 * pa.cover.shape[1]))
        got = pa.cover[pop].sum(axis=1) / quota  # (P, q)
        out[:, 3] = np.minimum(got, 1.0).mean(axis=1)
    return out


def diversity(pa: PoolArrays, pop: np.ndarray) -> np.ndarray:
    """Mean pairwise tag distance over the tagged artists of each list."""
    p, k = pop.shape
    s = pa.sim[pop[:, :, None], pop[:, None, :]]  # (P, K, K)
    m = pa.tagged[pop]
    pairs = m[:, :, None] & m[:, None, :]
    pairs &= ~np.eye(k, dtype=bool)[None]
    n_pairs = pairs.sum(axis=(1, 2))
    total = np.where(pairs, 1.0 - s, 0.0).sum(axis=(1, 2))
    return np.where(n_pairs > 0, total / np.maximum(n_pairs, 1), 0.0)
