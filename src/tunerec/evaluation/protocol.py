"""Protocol hetrec-sessions-v2: the fixed train/test split every recommender is judged on.

Steps 1-2 (month sessions, seeded order) live in :attr:`tunerec.data.Dataset.sessions`.
This module does steps 3-5 and 8: users, the seeded 20% test-user draw, the vocabulary
(train users' artists), the in-vocabulary test sessions, and the train-only dataset, plus
the train-only statistics the list metrics need (tag profiles, listener counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from tunerec.recommenders.knn import tag_profiles

if TYPE_CHECKING:
    from tunerec.data import Dataset

PROTOCOL = "hetrec-sessions-v2"
DEFAULT_SEED = 42
TEST_FRACTION = 0.2


@dataclass
class Split:
    """A train/test split (or a train/validation split carved from train users only).

    ``test_sessions[i]`` belongs to user ``test_keys[i][0]`` and month ``test_keys[i][1]``;
    it holds only vocabulary artists, in session order, and has at least 2 of them.
    Arrays indexed by vocabulary position: ``tag_profiles`` (L2-normalised TF-IDF rows,
    columns = ``train.tag_ids``), ``tagged``, ``listeners``.
    """

    seed: int
    train: "Dataset"
    train_users: np.ndarray
    test_users: np.ndarray
    vocab: np.ndarray
    test_sessions: list[list[int]]
    test_keys: list[tuple[int, int]]
    tag_profiles: sp.csr_matrix
    tagged: np.ndarray
    listeners: np.ndarray
    n_train_users: int
    kind: str = "test"
    protocol: str = PROTOCOL

    @property
    def n_items(self) -> int:
        return len(self.vocab)

    @property
    def n_test_sessions(self) -> int:
        return len(self.test_sessions)

    @property
    def n_events(self) -> int:
        """Next-item events: one per position p >= 1 of every test session."""
        return sum(len(s) - 1 for s in self.test_sessions)

    def vocab_index(self, artist_ids: np.ndarray | list[int]) -> np.ndarray:
        """Positions of artist ids in :attr:`vocab` (-1 where not in the vocabulary)."""
        ids = np.asarray(artist_ids, dtype=np.int64)
        if len(self.vocab) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.vocab, ids), 0, len(self.vocab) - 1)
        return np.where(self.vocab[pos] == ids, pos, -1)

    def counts(self) -> dict[str, int]:
        """The split's sizes (as reported by ``tunerec eval --json``)."""
        return {
            "n_items": self.n_items,
            "n_train_users": self.n_train_users,
            "n_test_users": len(self.test_users),
            "n_test_sessions": self.n_test_sessions,
            "n_test_events": self.n_events,
        }


def protocol_users(dataset: "Dataset") -> np.ndarray:
    """Step 3: sorted user ids found in the (2005+) session events or in the play counts."""
    return np.union1d(dataset.sessions["user_id"].to_numpy(), dataset.plays["user_id"].to_numpy()).astype(np.int64)


def make_split(dataset: "Dataset", seed: int = DEFAULT_SEED) -> Split:
    """The hetrec-sessions-v2 test split of the full ``dataset`` for ``seed``.

    The seed drives both the within-month session order (step 2) and the test-user draw.
    """
    ds = dataset.with_seed(seed) if dataset.seed != seed else dataset
    return _carve(ds, seed, TEST_FRACTION, kind="test")


def validation_split(train_dataset: "Dataset", seed: int = DEFAULT_SEED, frac: float = TEST_FRACTION) -> Split:
    """The same protocol carved out of the TRAIN users only (for tuning; never sees test users).

    ``train_dataset`` is ``make_split(...).train``; its sessions keep the order drawn on the
    full data, so ``seed`` only drives which ``frac`` of its users are held out.
    """
    if not 0.0 < frac < 1.0:
        raise ValueError(f"frac must be between 0 and 1, got {frac}")
    return _carve(train_dataset, seed, frac, kind="validation")


def _carve(ds: "Dataset", seed: int, frac: float, kind: str) -> Split:
    users = protocol_users(ds)
    perm = np.random.default_rng(seed).permutation(users)
    n_test = int(frac * len(users))
    test_users = np.sort(perm[:n_test])
    train_users = np.sort(perm[n_test:])
    train = ds.restrict_users(train_users)
    vocab = np.union1d(train.sessions["artist_id"].to_numpy(), train.plays["artist_id"].to_numpy()).astype(np.int64)
    sessions, keys = _test_sessions(ds, test_users, vocab)
    profiles, tagged = tag_profiles(train, vocab)
    return Split(
        seed=seed,
        train=train,
        train_users=train_users,
        test_users=test_users,
        vocab=vocab,
        test_sessions=sessions,
        test_keys=keys,
        tag_profiles=profiles,
        tagged=tagged,
        listeners=train_listeners(train, vocab),
        n_train_users=len(train_users),
        kind=kind,
    )


def _test_sessions(ds: "Dataset", test_users: np.ndarray, vocab: np.ndarray) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """Step 5: test users' sessions in (user, ym) order, in-vocabulary artists only, length >= 2."""
    s = ds.sessions
    s = s[np.isin(s["user_id"].to_numpy(), test_users) & np.isin(s["artist_id"].to_numpy(), vocab)]
    users, yms, artists = s["user_id"].to_numpy(), s["ym"].to_numpy(), s["artist_id"].to_numpy()
    # ds.sessions is sorted by (user, ym, draw) already; a stable sort keeps that order.
    order = np.lexsort((np.arange(len(s)), yms, users))
    users, yms, artists = users[order], yms[order], artists[order]
    if len(users) == 0:
        return [], []
    keys = users.astype(np.int64) * 1_000_000 + yms
    cuts = np.flatnonzero(np.diff(keys)) + 1
    starts = np.r_[0, cuts]
    groups = np.split(artists, cuts)
    sessions, out_keys = [], []
    for st, g in zip(starts, groups):
        if len(g) >= 2:
            sessions.append([int(a) for a in g])
            out_keys.append((int(users[st]), int(yms[st])))
    return sessions, out_keys


def train_listeners(train: "Dataset", vocab: np.ndarray) -> np.ndarray:
    """Per vocabulary artist: train users having it in their play counts or sessions (>= 1)."""
    s = train.sessions
    pairs = np.concatenate(
        [
            np.stack([train.plays["user_id"].to_numpy(), train.plays["artist_id"].to_numpy()], axis=1),
            np.stack([s["user_id"].to_numpy(), s["artist_id"].to_numpy()], axis=1),
        ]
    ).astype(np.int64)
    pairs = np.unique(pairs, axis=0)
    pos = np.searchsorted(vocab, pairs[:, 1])
    pos = np.clip(pos, 0, max(len(vocab) - 1, 0))
    ok = (vocab[pos] == pairs[:, 1]) if len(vocab) else np.zeros(len(pairs), dtype=bool)
    counts = np.bincount(pos[ok], minlength=len(vocab))
    return np.maximum(counts, 1).astype(np.int64)
