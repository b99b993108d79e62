"""Per-artist features the GA needs, computed once at fit time from the training data.

- tag profiles: TF-IDF of tag assignment counts, rows L2-normalised, exactly as the
  evaluation's ILD uses them (diversity = 1 − cosine);
- listeners (users with the artist in their play counts or sessions, at least 1) and
  novelty = −log2(listeners / users);
- dominant tag (the most assigned tag; the per-tag cap and "first jazz artist" use it);
- a column-normalised listening matrix for "co-listened with X (0.41)" explanations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np
import scipy.sparse as sp

from tunerec.data.search import fold
from tunerec.recommenders.knn import tag_profiles

if TYPE_CHECKING:
    from tunerec.data import Dataset


@dataclass
class ItemFeatures:
    """Features aligned with ``item_ids`` (the relevance source's items)."""

    item_ids: np.ndarray
    tfidf: sp.csr_matrix  # items × tags, rows L2-normalised (all-zero rows for untagged artists)
    tag_share: sp.csr_matrix  # items × tags, count / the artist's largest tag count (in [0, 1])
    tagged: np.ndarray  # bool per item
    listeners: np.ndarray  # int per item, >= 1
    novelty: np.ndarray  # -log2(listeners / n_users)
    dominant_tag: np.ndarray  # tag column per item, -1 when untagged
    colisten: sp.csc_matrix  # users × items, columns L2-normalised (binary listening)
    listen: sp.csr_matrix  # users × items, binary (plays or sessions)
    friends: sp.csr_matrix  # users × users, symmetric friendship adjacency
    tag_ids: np.ndarray
    tag_names: list[str]
    tag_keys: dict[str, int]  # folded tag name -> tag column
    n_users: int

    def tag_name(self, col: int) -> str:
        return self.tag_names[col]

    def colisten_sim(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Cosine co-listening similarity, shape (len(a), len(b)), of item indices."""
        if len(a) == 0 or len(b) == 0:
            return np.zeros((len(a), len(b)))
        return np.asarray((self.colisten[:, a].T @ self.colisten[:, b]).todense())

    def match_tags(self, tags: Sequence[str]) -> tuple[list[int], list[str]]:
        """Tag columns for free-text tags (case/accent/punctuation-insensitive) and the unmatched ones."""
        cols: list[int] = []
        missing: list[str] = []
        for t in tags:
            key = fold(t)
            if not key:
                continue
            col = self.tag_keys.get(key)
            if col is None:
                col = self.tag_keys.get(key.replace(" ", ""))
            if col is None:
                missing.append(t.strip())
            elif col not in cols:
                cols.append(col)
        return cols, missing


def build_features(dataset: "Dataset", item_ids: np.ndarray) -> ItemFeatures:
    """Features of ``item_ids`` from ``dataset`` (pass the train users' dataset for evaluation)."""
    item_ids = np.asarray(item_ids, dtype=np.int64)
    rows = dataset.artist_index(item_ids)
    ok = rows >= 0
    counts = sp.csr_matrix((len(item_ids), len(dataset.tag_ids)), dtype=np.float64)
    if ok.any():
        sel = sp.csr_matrix(dataset.artist_tag_matrix, dtype=np.float64)[rows[ok]]
        place = sp.csr_matrix(
            (np.ones(int(ok.sum())), (np.flatnonzero(ok), np.arange(int(ok.sum())))),
            shape=(len(item_ids), int(ok.sum())),
        )
        counts = sp.csr_matrix(place @ sel)
    counts.eliminate_zeros()
    tagged = np.diff(counts.indptr) > 0
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    tfidf, _ = tag_profiles(dataset, item_ids)  # the evaluation's own profiles (ILD)
    row_max = np.zeros(len(item_ids))
    dominant = np.full(len(item_ids), -1, dtype=np.int64)
    for i in np.flatnonzero(tagged):
        lo, hi = counts.indptr[i], counts.indptr[i + 1]
        data, idx = counts.data[lo:hi], counts.indices[lo:hi]
        best = np.lexsort((idx, -data))[0]
        row_max[i] = data[best]
        dominant[i] = idx[best]
    tag_share = sp.csr_matrix(sp.diags(1.0 / np.maximum(row_max, 1.0)) @ counts)

    # listeners: play counts or sessions, as the protocol's novelty defines them
    users = dataset.users
    n_users = max(1, len(users))
    play = dataset.play_matrix.tocsc()
    cols = dataset.artist_index(item_ids)
    listen = sp.csc_matrix((len(users), len(item_ids)), dtype=np.float64)
    if (cols >= 0).any():
        pick = sp.csr_matrix(
            (np.ones(int((cols >= 0).sum())), (cols[cols >= 0], np.flatnonzero(cols >= 0))),
            shape=(play.shape[1], len(item_ids)),
        )
        listen = sp.csc_matrix(play @ pick)
    s = dataset.sessions
    if len(s) and len(item_ids):
        aid = s["artist_id"].to_numpy()
        su = np.searchsorted(users, s["user_id"].to_numpy())
        si = np.clip(np.searchsorted(item_ids, aid), 0, len(item_ids) - 1)
        valid = item_ids[si] == aid
        sess = sp.csc_matrix((np.ones(int(valid.sum())), (su[valid], si[valid])), shape=listen.shape)
        listen = sp.csc_matrix(listen + sess)
    listen.sum_duplicates()
    listen.data[:] = 1.0
    listeners = np.maximum(np.asarray(listen.sum(axis=0)).ravel(), 1).astype(np.int64)
    novelty = -np.log2(listeners / n_users)
    cnorm = np.sqrt(np.asarray(listen.sum(axis=0)).ravel())
    colisten = sp.csc_matrix(listen @ sp.diags(1.0 / np.maximum(cnorm, 1e-12)))

    tag_names = [str(n) for n in dataset.tags["name"].tolist()]
    tag_keys: dict[str, int] = {}
    for col, key in enumerate(dataset.tags["key"].tolist()):
        k = fold(str(key))
        if k and (k not in tag_keys or df[col] > df[tag_keys[k]]):
            tag_keys[k] = col
    for k, col in list(tag_keys.items()):
        tag_keys.setdefault(k.replace(" ", ""), col)
    return ItemFeatures(
        item_ids=item_ids,
        tfidf=tfidf,
        tag_share=tag_share,
        tagged=tagged,
        listeners=listeners,
        novelty=novelty,
        dominant_tag=dominant,
        colisten=colisten,
        listen=sp.csr_matrix(listen),
        friends=friend_matrix(dataset),
        tag_ids=dataset.tag_ids,
        tag_names=tag_names,
        tag_keys=tag_keys,
        n_users=n_users,
    )


def friend_matrix(dataset: "Dataset") -> sp.csr_matrix:
    """Symmetric users × users friendship adjacency (rows follow ``dataset.users``)."""
    users = dataset.users
    f = dataset.friends
    a = np.searchsorted(users, f["user_id"].to_numpy())
    b = np.searchsorted(users, f["friend_id"].to_numpy())
    n = len(users)
    ok = (a < n) & (b < n)
    if n:
        ok &= (users[np.minimum(a, n - 1)] == f["user_id"].to_numpy()) & (users[np.minimum(b, n - 1)] == f["friend_id"].to_numpy())
    a, b = a[ok], b[ok]
    data = np.ones(2 * len(a))
    m = sp.csr_matrix((data, (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m
