"""Training sequences for the RNN (numpy only): month sessions plus play-count profiles.

Items are vocabulary positions (``int64``). Sequences are stored flat with ``offsets``
(sequence ``i`` is ``items[offsets[i]:offsets[i + 1]]``). Every epoch draws a new
arrangement with its own seeded generator: the order of the sequences, and (optionally)
the order inside each of them, since neither a month session nor a profile has a real order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tunerec.data import Dataset


@dataclass
class FlatSequences:
    """Sequences stored flat: ``items[offsets[i]:offsets[i+1]]``; ``weights`` align with ``items``."""

    items: np.ndarray
    offsets: np.ndarray
    weights: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def n_events(self) -> int:
        """Next-item training events: one per item after the first of each sequence."""
        return int(np.maximum(self.lengths - 1, 0).sum())

    def group_ids(self) -> np.ndarray:
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)

    def to_lists(self) -> list[list[int]]:
        return [self.items[a:b].tolist() for a, b in zip(self.offsets[:-1], self.offsets[1:])]


def from_lists(seqs: list[list[int]] | list[np.ndarray], weights: list[np.ndarray] | None = None) -> FlatSequences:
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    items = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs]) if len(seqs) else np.zeros(0, np.int64)
    w = np.concatenate([np.asarray(x, dtype=np.float64) for x in weights]) if weights is not None and len(seqs) else None
    return FlatSequences(items, offsets, w)


def _grouped(keys: np.ndarray, values: np.ndarray, weights: np.ndarray | None = None) -> FlatSequences:
    """Group ``values`` by the (already sorted) ``keys`` into flat sequences."""
    if len(keys) == 0:
        return FlatSequences(np.zeros(0, np.int64), np.zeros(1, np.int64), None if weights is None else np.zeros(0))
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    offsets = np.r_[starts, len(keys)].astype(np.int64)
    return FlatSequences(values.astype(np.int64), offsets, None if weights is None else weights.astype(np.float64))


def session_sequences(dataset: "Dataset", vocab: np.ndarray, users: np.ndarray | None = None) -> FlatSequences:
    """The month sessions (protocol order) of ``users`` (default: all), as vocabulary positions.

    Artists outside ``vocab`` are dropped; sessions left with fewer than 2 artists are dropped.
    """
    s = dataset.sessions
    if users is not None:
        s = s[np.isin(s["user_id"].to_numpy(), users)]
    pos = _vocab_positions(vocab, s["artist_id"].to_numpy())
    keep = pos >= 0
    keys = (s["user_id"].to_numpy().astype(np.int64) * 1_000_000 + s["ym"].to_numpy())[keep]
    flat = _grouped(keys, pos[keep])
    return keep_min_length(flat, 2)


def profile_sequences(dataset: "Dataset", vocab: np.ndarray, users: np.ndarray | None = None) -> FlatSequences:
    """Each user's ``user_artists`` profile (artists with play-count weights), one sequence per user."""
    p = dataset.plays
    if users is not None:
        p = p[np.isin(p["user_id"].to_numpy(), users)]
    p = p.sort_values(["user_id", "artist_id"], kind="stable")
    pos = _vocab_positions(vocab, p["artist_id"].to_numpy())
    keep = pos >= 0
    flat = _grouped(p["user_id"].to_numpy()[keep], pos[keep], p["weight"].to_numpy()[keep].astype(np.float64))
    return keep_min_length(flat, 2)


def keep_min_length(seqs: FlatSequences, n: int) -> FlatSequences:
    ok = seqs.lengths >= n
    if ok.all():
        return seqs
    idx = np.flatnonzero(ok)
    return select(seqs, idx)


def select(seqs: FlatSequences, idx: np.ndarray) -> FlatSequences:
    """The sequences ``idx`` (in that order)."""
    lengths = seqs.lengths[idx]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    src = ranges(seqs.offsets[idx], seqs.offsets[idx + 1])[1]
    w = None if seqs.weights is None else seqs.weights[src]
    return FlatSequences(seqs.items[src], offsets, w)


def ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, position) pairs of the half-open ranges ``[starts[r], ends[r])``, row by row."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.maximum(np.asarray(ends, dtype=np.int64) - starts, 0)
    total = int(lengths.sum())
    rows = np.repeat(np.arange(len(starts), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    positions = np.arange(total, dtype=np.int64) - np.repeat(first, lengths) + np.repeat(starts, lengths)
    return rows, positions


def reorder_within(seqs: FlatSequences, rng: np.random.Generator, mode: str = "shuffle") -> FlatSequences:
    """A new order inside every sequence: ``shuffle`` (uniform), ``plays`` (by weight, ties
    shuffled) or ``weighted`` (random, heavier items tend to come first: Efraimidis-Spirakis keys)."""
    groups = seqs.group_ids()
    u = rng.random(len(seqs.items))
    if mode == "shuffle" or seqs.weights is None:
        key = u
    elif mode == "plays":
        return _apply(seqs, np.lexsort((u, -seqs.weights, groups)))
    elif mode == "weighted":
        key = -np.log(np.maximum(u, 1e-300)) / np.maximum(seqs.weights, 1e-12)
    else:
        raise ValueError(f"unknown order mode {mode!r}")
    order = np.lexsort((key, groups))
    return _apply(seqs, order)


def _apply(seqs: FlatSequences, order: np.ndarray) -> FlatSequences:
    return FlatSequences(seqs.items[order], seqs.offsets.copy(), None if seqs.weights is None else seqs.weights[order])


def concat(parts: list[FlatSequences]) -> FlatSequences:
    parts = [p for p in parts if len(p)]
    if not parts:
        return FlatSequences(np.zeros(0, np.int64), np.zeros(1, np.int64))
    items = np.concatenate([p.items for p in parts])
    lengths = np.concatenate([p.lengths for p in parts])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return FlatSequences(items, offsets)


@dataclass
class TrainingData:
    """What one training run learns from: sessions, profiles, and how to arrange them per epoch."""

    sessions: FlatSequences
    profiles: FlatSequences
    n_items: int

    def epoch(self, rng: np.random.Generator, *, profile_copies: int, profile_order: str, reshuffle: bool) -> FlatSequences:
        """The sequences of one epoch in a random order (new orders inside them if ``reshuffle``)."""
        parts = [reorder_within(self.sessions, rng, "shuffle") if reshuffle else self.sessions]
        for _ in range(profile_copies):
            if reshuffle or profile_order != "shuffle":
                parts.append(reorder_within(self.profiles, rng, profile_order))
            else:
                parts.append(self.profiles)
        allseq = concat([FlatSequences(p.items, p.offsets) for p in parts])
        return select(allseq, rng.permutation(len(allseq)))

    def n_events(self, profile_copies: int) -> int:
        return self.sessions.n_events + profile_copies * self.profiles.n_events


def build_training_data(dataset: "Dataset", vocab: np.ndarray, users: np.ndarray | None = None) -> TrainingData:
    return TrainingData(
        sessions=session_sequences(dataset, vocab, users),
        profiles=profile_sequences(dataset, vocab, users),
        n_items=len(vocab),
    )


def _vocab_positions(vocab: np.ndarray, ids: np.ndarray) -> np.ndarray:
    ids = np.asarray(ids, dtype=np.int64)
    if len(vocab) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    pos = np.clip(np.searchsorted(vocab, ids), 0, len(vocab) - 1)
    return np.where(vocab[pos] == ids, pos, -1)
