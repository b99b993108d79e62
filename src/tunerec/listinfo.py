"""Small, honest summaries of an artist list (what the app shows under each pane).

UI-free: mean listeners, novelty (mean self-information of an artist's listener share)
and tag diversity (1 - mean pairwise cosine similarity of the artists' tag vectors),
plus the overlap between two lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from tunerec.data import Dataset


@dataclass(frozen=True)
class ListSummary:
    n: int
    mean_listeners: float
    novelty: float  # mean -log2(listeners / users); higher = less known
    tag_diversity: float  # 0 (same tags) .. 1 (no shared tags)

    def line(self) -> str:
        if self.n == 0:
            return "empty list"
        return (
            f"{self.n} artists · mean listeners {self.mean_listeners:.0f} · "
            f"novelty {self.novelty:.1f} bits · tag diversity {self.tag_diversity:.2f}"
        )

    def short(self) -> str:
        if self.n == 0:
            return "empty list"
        return f"listeners μ {self.mean_listeners:.0f} · novelty {self.novelty:.1f} · tag div {self.tag_diversity:.2f}"


def summarize(dataset: "Dataset", artist_ids: Sequence[int]) -> ListSummary:
    """Summary of a list of artist ids (unknown ids count as 0 listeners)."""
    ids = [int(a) for a in artist_ids]
    if not ids:
        return ListSummary(0, 0.0, 0.0, 0.0)
    stats = dataset.artist_stats["listeners"]
    listeners = stats.reindex(ids, fill_value=0).to_numpy().astype(np.float64)
    n_users = max(1, len(dataset.users))
    novelty = float(np.mean(-np.log2(np.maximum(listeners, 1.0) / n_users)))
    return ListSummary(len(ids), float(listeners.mean()), novelty, tag_diversity(dataset, ids))


def tag_diversity(dataset: "Dataset", artist_ids: Sequence[int]) -> float:
    """1 - mean pairwise cosine similarity of tag vectors (artists without tags skipped)."""
    rows = dataset.artist_index(list(artist_ids))
    rows = rows[rows >= 0]
    if len(rows) < 2:
        return 0.0
    m = dataset.artist_tag_matrix[rows]
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    keep = norms > 0
    if keep.sum() < 2:
        return 0.0
    m = m[np.flatnonzero(keep)]
    norms = norms[keep]
    sim = (m @ m.T).toarray() / np.outer(norms, norms)
    n = len(norms)
    mean_off = (sim.sum() - np.trace(sim)) / (n * (n - 1))
    return float(max(0.0, min(1.0, 1.0 - mean_off)))


def overlap(a: Sequence[int], b: Sequence[int]) -> set[int]:
    """Artists present in both lists."""
    return set(int(x) for x in a) & set(int(x) for x in b)
