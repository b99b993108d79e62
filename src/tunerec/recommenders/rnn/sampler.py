"""Negative sampling from popularity^alpha, drawn in large blocks and reused (GRU4Rec style)."""

from __future__ import annotations

import numpy as np


def sampling_probabilities(counts: np.ndarray, alpha: float) -> np.ndarray:
    """p(i) proportional to counts[i]^alpha (items never seen get no mass unless alpha is 0)."""
    c = np.asarray(counts, dtype=np.float64)
    w = np.where(c > 0, c, 0.0) ** alpha if alpha != 0 else np.ones_like(c)
    total = w.sum()
    if total <= 0:
        return np.full(len(c), 1.0 / max(1, len(c)))
    return w / total


class NegativeSampler:
    """Hands out ``n`` items at a time from blocks of ``block`` draws of popularity^alpha."""

    def __init__(self, counts: np.ndarray, alpha: float, block: int, rng: np.random.Generator) -> None:
        self.p = sampling_probabilities(counts, alpha)
        self.cdf = np.cumsum(self.p)
        self.cdf[-1] = 1.0
        self.block = int(block)
        self.rng = rng
        self._buf = np.zeros(0, dtype=np.int64)
        self._at = 0

    def _refill(self, n: int) -> None:
        size = max(self.block, n)
        self._buf = np.searchsorted(self.cdf, self.rng.random(size), side="right").astype(np.int64)
        self._buf = np.minimum(self._buf, len(self.cdf) - 1)
        self._at = 0

    def draw(self, n: int) -> np.ndarray:
        if self._at + n > len(self._buf):
            self._refill(n)
        out = self._buf[self._at : self._at + n]
        self._at += n
        return out
