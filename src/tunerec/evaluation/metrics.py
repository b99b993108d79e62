"""Metrics of protocol hetrec-sessions-v2: full-ranking accuracy and list qualities.

All functions work on vocabulary positions (indices into ``Split.vocab``); in lists, -1
marks an entry outside the vocabulary (a miss, untagged, heard by 1 train user, and not
counted in coverage or Gini).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp

NEXT_KS = (1, 5, 10, 20)
LIST_K = 20


def ranks(scores: np.ndarray, targets: np.ndarray, n_excluded: np.ndarray) -> np.ndarray:
    """Rank of each row's target = number of candidates scoring >= the target (ties against
    the model). Excluded candidates must hold -inf in ``scores``; ``n_excluded`` counts them
    per row, so a target at -inf (unscorable) ranks last among the non-excluded."""
    t = scores[np.arange(len(targets)), targets]
    r = (scores >= t[:, None]).sum(axis=1)
    return (r - np.where(np.isneginf(t), n_excluded, 0)).astype(np.int64)


def next_item_metrics(rank: np.ndarray, ks: Sequence[int] = NEXT_KS) -> dict[str, float]:
    """Recall@k (share with rank <= k) and MRR@k (mean 1/rank where rank <= k, else 0)."""
    rank = np.asarray(rank, dtype=np.float64)
    out: dict[str, float] = {}
    n = max(len(rank), 1)
    for k in ks:
        out[f"recall@{k}"] = float((rank <= k).sum() / n)
    for k in ks:
        out[f"mrr@{k}"] = float(np.where(rank <= k, 1.0 / rank, 0.0).sum() / n)
    return out


def recall_ndcg(lists: Sequence[Sequence[int]], targets: Sequence[Sequence[int]], k: int = LIST_K) -> tuple[float, float]:
    """Mean over sessions of hits / |targets| and binary NDCG@k of the top-k lists."""
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    recalls, ndcgs = [], []
    for lst, tgt in zip(lists, targets):
        tset = set(int(t) for t in tgt)
        hit = np.array([int(a) in tset and a >= 0 for a in list(lst)[:k]], dtype=bool)
        recalls.append(hit.sum() / len(tset))
        ideal = disc[: min(k, len(tset))].sum()
        ndcgs.append(float(disc[: len(hit)][hit].sum() / ideal))
    if not recalls:
        return 0.0, 0.0
    return float(np.mean(recalls)), float(np.mean(ndcgs))


def intra_list_distance(lists: Sequence[Sequence[int]], profiles: sp.csr_matrix, tagged: np.ndarray) -> tuple[float, float]:
    """(ILD, untagged share): ILD = mean over lists (with >= 2 tagged artists) of the mean
    pairwise 1 - cosine between the tagged artists' (L2-normalised) tag profiles; untagged
    share = mean over lists of the share of entries without tags (left out of ILD)."""
    ilds, untagged = [], []
    for lst in lists:
        idx = np.asarray(list(lst), dtype=np.int64)
        if len(idx) == 0:
            continue
        has = np.where(idx >= 0, tagged[np.maximum(idx, 0)], False)
        untagged.append(1.0 - has.mean())
        t = idx[has]
        m = len(t)
        if m < 2:
            continue
        p = profiles[t]
        g = (p @ p.T).toarray()
        pair_sim = (g.sum() - np.trace(g)) / (m * (m - 1))
        ilds.append(1.0 - pair_sim)
    return (float(np.mean(ilds)) if ilds else 0.0, float(np.mean(untagged)) if untagged else 0.0)


def novelty(lists: Sequence[Sequence[int]], listeners: np.ndarray, n_users: int) -> float:
    """Mean over lists of the mean -log2(listeners(a) / n_users) of their entries."""
    vals = []
    for lst in lists:
        idx = np.asarray(list(lst), dtype=np.int64)
        if len(idx):
            heard = np.where(idx >= 0, listeners[np.maximum(idx, 0)], 1)
            vals.append(float(np.mean(-np.log2(np.maximum(heard, 1) / n_users))))
    return float(np.mean(vals)) if vals else 0.0


def coverage(lists: Sequence[Sequence[int]], n_items: int) -> float:
    """Distinct artists recommended over all lists / vocabulary size."""
    flat = _flat(lists)
    return len(np.unique(flat)) / n_items if n_items else 0.0


def gini(lists: Sequence[Sequence[int]], n_items: int) -> float:
    """Gini index of how often each vocabulary artist is recommended (0 = even, 1 = one artist)."""
    counts = np.sort(np.bincount(_flat(lists), minlength=n_items)).astype(np.float64)
    total = counts.sum()
    if total == 0 or n_items == 0:
        return 0.0
    i = np.arange(1, n_items + 1)
    return float(((2 * i - n_items - 1) * counts).sum() / (n_items * total))


def _flat(lists: Sequence[Sequence[int]]) -> np.ndarray:
    """All in-vocabulary entries of all lists."""
    flat = np.concatenate([np.asarray(list(l), dtype=np.int64) for l in lists]) if lists else np.zeros(0, np.int64)
    return flat[flat >= 0]
