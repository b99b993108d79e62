"""Greedy MMR re-ranking of a pool: the simple baseline the GA must beat, and a seed list.

At each step the artist maximising
``λ·relevance + (1 − λ)·(novelty' + (1 − max tag similarity to the chosen artists)) / 2``
is added (novelty' = novelty min-max scaled over the pool; an untagged artist counts a
neutral 0.5 similarity, since its distance is unknown).
"""

from __future__ import annotations

import numpy as np

from tunerec.recommenders.ga.objectives import PoolArrays

#: The λ grid of the MMR lists used as GA seeds and in the hypervolume comparison.
MMR_LAMBDAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def mmr_list(pa: PoolArrays, lam: float, k: int | None = None) -> np.ndarray:
    """The MMR list of pool indices, in pick order."""
    k = pa.k if k is None else min(k, pa.n)
    nov = pa.novelty
    span = nov.max() - nov.min() if pa.n else 0.0
    nov01 = (nov - nov.min()) / span if span > 0 else np.zeros(pa.n)
    max_sim = np.zeros(pa.n)
    chosen = np.zeros(pa.n, dtype=bool)
    out = np.zeros(k, dtype=np.int64)
    for step in range(k):
        if step == 0:
            spread = np.ones(pa.n)
        else:
            spread = np.where(pa.tagged, 1.0 - max_sim, 0.5)
        score = lam * pa.rel + (1.0 - lam) * (nov01 + spread) / 2.0
        score[chosen] = -np.inf
        j = int(np.argmax(score))
        out[step] = j
        chosen[j] = True
        if pa.tagged[j]:
            max_sim = np.maximum(max_sim, pa.sim[j])
    return out


def mmr_lists(pa: PoolArrays, lambdas: tuple[float, ...] = MMR_LAMBDAS) -> np.ndarray:
    """One MMR list per λ, shape (len(lambdas), k)."""
    if pa.k == 0:
        return np.zeros((len(lambdas), 0), dtype=np.int64)
    return np.stack([mmr_list(pa, lam) for lam in lambdas])


def linear_list(pa: PoolArrays, w_novelty: float, w_diversity: float, raw_novelty: bool = False) -> np.ndarray:
    """Greedy list on the GA's own objectives, linearised: each step adds the artist
    maximising relevance + ``w_novelty``·novelty' + ``w_diversity``·(mean tag distance to
    the tagged artists chosen so far; an untagged artist gets no credit for variety, since
    nothing is known of its style; validation lists that counted untagged artists as neutral
    filled up with them: a third of the list at d = 1). novelty' is novelty min-max scaled
    over the pool, or in bits with ``raw_novelty``."""
    k = pa.k
    nov = pa.novelty
    span = nov.max() - nov.min() if pa.n else 0.0
    if raw_novelty:
        nov01 = nov
    else:
        nov01 = (nov - nov.min()) / span if span > 0 else np.zeros(pa.n)
    base = pa.rel + w_novelty * nov01
    dist_sum = np.zeros(pa.n)  # distance of each artist to the tagged artists chosen so far
    n_tagged = 0
    chosen = np.zeros(pa.n, dtype=bool)
    out = np.zeros(k, dtype=np.int64)
    for step in range(k):
        if n_tagged:
            score = base + w_diversity * np.where(pa.tagged, dist_sum / n_tagged, 0.0)
        else:
            score = base.copy()
        score[chosen] = -np.inf
        j = int(np.argmax(score))
        out[step] = j
        chosen[j] = True
        if pa.tagged[j]:
            dist_sum += 1.0 - pa.sim[j]
            n_tagged += 1
    return out
