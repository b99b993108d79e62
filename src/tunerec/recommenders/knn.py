"""Neighbourhood and content baselines: item-kNN, session-kNN and tag similarity.

Exact definitions (protocol hetrec-sessions-v2, issue 3), with X binary:

- ``ItemKNN(source)``: Xs = sessions × artists, Xu = users × artists (play counts);
  C = D^-1/2 (XᵀX with zero diagonal) D^-1/2 with D = diag(XᵀX);
  score(prefix) = Σ over prefix artists of their rows of C_s, C_u or C_s + C_u,
  plus 1e-6 × pop (:func:`tunerec.recommenders.popularity.popularity_scores`).
- ``SessionKNN``: the stacked rows of Xs and Xu, each L2-normalised; the k = 100 rows
  most similar (cosine) to the binary prefix vector (ties: lower row index first);
  score = Σ similarity × row, plus 1e-6 × pop.
- ``TagRecommender``: cosine between the prefix's summed tag profile and each artist's
  tag profile (TF-IDF of the tag counts, rows L2-normalised; no tie-break).

Prefix artists are summed in session order, sequentially (``np.cumsum``), so scoring a
session with :meth:`score_sessions` and its prefixes with :meth:`score_prefixes` gives
bit-identical numbers. Unknown artists are skipped; repeated artists count once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Sequence

import numpy as np
import scipy.sparse as sp

from tunerec.recommenders.base import Recommender, human_count, top_k
from tunerec.recommenders.popularity import popularity_scores

if TYPE_CHECKING:
    from tunerec.data import Dataset

POP_TIE_BREAK = 1e-6
SKNN_NEIGHBOURS = 100
SOURCES = ("sessions", "profiles", "both")


# --------------------------------------------------------------------- matrices
def session_matrix(dataset: "Dataset", item_ids: np.ndarray) -> sp.csr_matrix:
    """Binary sessions × items matrix (rows in (user, ym) order)."""
    s = dataset.sessions
    keys = s["user_id"].to_numpy().astype(np.int64) * 1_000_000 + s["ym"].to_numpy()
    _, rows = np.unique(keys, return_inverse=True)
    cols = np.searchsorted(item_ids, s["artist_id"].to_numpy())
    return _binary(rows, cols, (int(rows.max()) + 1 if len(rows) else 0, len(item_ids)))


def profile_matrix(dataset: "Dataset", item_ids: np.ndarray) -> sp.csr_matrix:
    """Binary users × items matrix from the play counts (rows: users with plays, sorted)."""
    p = dataset.plays
    _, rows = np.unique(p["user_id"].to_numpy(), return_inverse=True)
    cols = np.searchsorted(item_ids, p["artist_id"].to_numpy())
    return _binary(rows, cols, (int(rows.max()) + 1 if len(rows) else 0, len(item_ids)))


def _binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def item_cosine(x: sp.csr_matrix) -> sp.csr_matrix:
    """C = D^-1/2 (XᵀX with zero diagonal) D^-1/2 for a binary X (D = diag(XᵀX))."""
    x = sp.csr_matrix(x, dtype=np.float64)
    g = (x.T @ x).tocsr()
    d = g.diagonal()
    g.setdiag(0.0)
    g.eliminate_zeros()
    inv = np.zeros_like(d)
    inv[d > 0] = 1.0 / np.sqrt(d[d > 0])
    c = sp.csr_matrix(sp.diags(inv) @ g @ sp.diags(inv))
    c.sort_indices()
    return c


def normalize_rows(x: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit L2 norm (zero rows stay zero)."""
    x = sp.csr_matrix(x, dtype=np.float64)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    inv = np.zeros_like(norms)
    inv[norms > 0] = 1.0 / norms[norms > 0]
    out = sp.csr_matrix(sp.diags(inv) @ x)
    out.sort_indices()
    return out


def tag_profiles(dataset: "Dataset", item_ids: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """TF-IDF tag profiles of ``item_ids`` from ``dataset``'s tag assignments.

    tf = times the tag was assigned to the artist; idf = ln((1 + N) / (1 + df)) + 1 with
    N = tagged artists among ``item_ids`` and df = those carrying the tag; rows
    L2-normalised. Returns (items × tags csr, columns = ``dataset.tag_ids``;
    boolean "has at least one tag" per item).
    """
    counts = dataset.artist_tag_matrix[dataset.artist_index(item_ids)].astype(np.float64).tocsr()
    counts.eliminate_zeros()
    tagged = np.diff(counts.indptr) > 0
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1.0 + tagged.sum()) / (1.0 + df)) + 1.0
    return normalize_rows(counts @ sp.diags(idf)), tagged


# ------------------------------------------------------------------ base class
class _SumOfRows(Recommender):
    """Scores = sequential sum of one matrix row per prefix artist (+ a tie-break vector)."""

    #: rows × items matrix summed per prefix artist (subclasses set it in fit)
    rows: sp.csr_matrix
    tie_break: np.ndarray | None

    def _positions(self, session: Sequence[int]) -> np.ndarray:
        """Row index per session artist; -1 for unknown artists and repeats."""
        idx = self.indices_of(list(session))
        seen: set[int] = set()
        for j, i in enumerate(idx):
            if i >= 0:
                if i in seen:
                    idx[j] = -1
                seen.add(int(i))
        return idx

    def _prepare(self, dataset: "Dataset") -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary, popularity, listeners and the dataset for ``fit``; returns (items, pop)."""
        items, pop = popularity_scores(dataset)
        self._set_items(items)
        self.dataset = dataset
        self.pop = pop
        self.listeners = dataset.plays["artist_id"].value_counts().reindex(items, fill_value=0).to_numpy()
        self.tie_break = POP_TIE_BREAK * pop
        return items, pop

    @property
    def width(self) -> int:
        """Columns of the summed rows (before :meth:`_transform`)."""
        return self.rows.shape[1]

    def _gather(self, idx: np.ndarray) -> np.ndarray:
        """Dense rows for ``idx`` (zero rows where idx < 0)."""
        out = self.rows[np.maximum(idx, 0)].toarray()
        out[idx < 0] = 0.0
        return out

    def _finish(self, summed: np.ndarray) -> np.ndarray:
        if self.tie_break is not None:
            summed += self.tie_break
        return summed

    def score_sessions(self, sessions: Sequence[Sequence[int]]) -> np.ndarray:
        self._require_fit()
        out = np.zeros((len(sessions), self.width))
        for r, session in enumerate(sessions):
            idx = self._positions(session)
            if len(idx):
                out[r] = np.cumsum(self._gather(idx), axis=0)[-1]
        return self._finish(self._transform(out))

    def score_prefixes(self, sessions: Sequence[Sequence[int]]) -> np.ndarray:
        """Scores of every proper prefix: rows for session[:1], …, session[:n-1] of each
        session in turn, shape ``(Σ (len - 1), n_items)``; equal to :meth:`score_sessions`
        of those prefixes, computed with one cumulative sum per session."""
        self._require_fit()
        idx = [self._positions(s)[:-1] for s in sessions if len(s) > 1]
        if not idx:
            return self._finish(self._transform(np.zeros((0, self.width))))
        flat = np.concatenate(idx)
        out = self._gather(flat)
        start = 0
        for i in idx:
            np.cumsum(out[start : start + len(i)], axis=0, out=out[start : start + len(i)])
            start += len(i)
        return self._finish(self._transform(out))

    def _transform(self, summed: np.ndarray) -> np.ndarray:
        return summed


# --------------------------------------------------------------------- item kNN
class ItemKNN(_SumOfRows):
    """Item-item cosine kNN over sessions, play-count profiles, or both."""

    name: ClassVar[str] = "iknn_both"

    def __init__(self, source: str = "both") -> None:
        super().__init__()
        if source not in SOURCES:
            raise ValueError(f"ItemKNN source must be one of {', '.join(SOURCES)}, got {source!r}")
        self.source = source
        self.name = f"iknn_{source}"  # type: ignore[misc]
        self.parts: dict[str, sp.csr_matrix] = {}

    def fit(self, dataset: "Dataset") -> "ItemKNN":
        items, _ = self._prepare(dataset)
        self.parts = {}
        if self.source in ("sessions", "both"):
            self.parts["sessions"] = item_cosine(session_matrix(dataset, items))
        if self.source in ("profiles", "both"):
            self.parts["profiles"] = item_cosine(profile_matrix(dataset, items))
        sim = None
        for m in self.parts.values():
            sim = m if sim is None else sim + m
        assert sim is not None
        self.rows = sp.csr_matrix(sim)
        self.rows.sort_indices()
        return self

    @property
    def similarity(self) -> sp.csr_matrix:
        """The item × item similarity (rows/cols follow :attr:`item_ids`)."""
        return self.rows

    def similarity_rows(self, session: Sequence[int]) -> sp.csr_matrix:
        """The similarity rows of the session's known artists (one row per distinct artist)."""
        idx = self._positions(session)
        return self.rows[idx[idx >= 0]]

    def neighbours(self, session: Sequence[int], n: int = 100, exclude: Sequence[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best-scored artists for ``session`` (session and ``exclude`` left out):
        (artist ids, scores), best first; for list builders that need candidates fast."""
        scores = self.score_sessions([session])[0]
        ban = self.indices_of([*session, *exclude])
        scores[ban[ban >= 0]] = -np.inf
        top = top_k(scores, n)
        return self.item_ids[top], scores[top]

    def explain(self, session: Sequence[int], artist_id: int, score: float) -> tuple[str, list[str]]:
        assert self.dataset is not None
        b = self.index_of(artist_id)
        idx = self._positions(session)
        idx = idx[idx >= 0]
        contrib = self.rows[idx][:, b].toarray().ravel() if len(idx) and b >= 0 else np.zeros(0)
        if len(contrib) == 0 or contrib.max() <= 0:
            return f"popular: {human_count(int(self.listeners[b]))} listeners", []
        order = np.lexsort((idx, -contrib))
        best = order[0]
        name = self.dataset.artist_name(int(self.item_ids[idx[best]]))
        line = f"co-listened with {name} ({contrib[best]:.2f})"
        details = []
        for j in order[1:3]:
            if contrib[j] > 0:
                details.append(f"also co-listened with {self.dataset.artist_name(int(self.item_ids[idx[j]]))} ({contrib[j]:.2f})")
        if len(self.parts) > 1:
            shares = [f"{k} {self.parts[k][idx][:, b].sum():.2f}" for k in self.parts]
            details.append("similarity from " + " + ".join(shares))
        return line, details


# ------------------------------------------------------------------ session kNN
class SessionKNN(Recommender):
    """Session/user-kNN: the 100 most similar train sessions and listener profiles vote."""

    name: ClassVar[str] = "sknn"

    def __init__(self, k: int = SKNN_NEIGHBOURS) -> None:
        super().__init__()
        self.k = k

    def fit(self, dataset: "Dataset") -> "SessionKNN":
        items, pop = popularity_scores(dataset)
        self._set_items(items)
        self.dataset = dataset
        xs = session_matrix(dataset, items)
        xu = profile_matrix(dataset, items)
        self.n_session_rows = xs.shape[0]
        self.matrix = normalize_rows(sp.vstack([xs, xu]).tocsr())
        self.by_item = self.matrix.T.tocsr()
        self.tie_break = POP_TIE_BREAK * pop
        self.listeners = dataset.plays["artist_id"].value_counts().reindex(items, fill_value=0).to_numpy()
        return self

    def neighbour_weights(self, sessions: Sequence[Sequence[int]]) -> sp.csr_matrix:
        """(sessions × stacked rows) cosine of the k nearest rows (ties: lower row first)."""
        q = _binary_queries(self, sessions)
        sims = np.asarray((q @ self.by_item).todense())
        qn = np.sqrt(np.asarray(q.sum(axis=1)).ravel())
        sims /= np.where(qn > 0, qn, 1.0)[:, None]
        n, n_rows = sims.shape
        k = min(self.k, n_rows)
        if k == 0 or n == 0:
            return sp.csr_matrix((n, n_rows))
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(sims, part, axis=1)
        kth = vals.min(axis=1)
        # every row value above the k-th is in ``part``; values equal to it may be too many:
        # then the lowest row indices win, which argpartition does not guarantee.
        keep = vals > np.maximum(kth, 0.0)[:, None]
        rows = [np.repeat(np.arange(n), keep.sum(axis=1))]
        cols = [part[keep]]
        for r in np.flatnonzero(kth > 0):
            need = k - int(keep[r].sum())
            cols.append(np.flatnonzero(sims[r] == kth[r])[:need])
            rows.append(np.full(len(cols[-1]), r))
        rr, cc = np.concatenate(rows), np.concatenate(cols)
        w = sp.csr_matrix((sims[rr, cc], (rr, cc)), shape=(n, n_rows))
        w.sort_indices()
        return w

    def score_sessions(self, sessions: Sequence[Sequence[int]]) -> np.ndarray:
        self._require_fit()
        w = self.neighbour_weights(sessions)
        out = (w @ self.matrix).toarray()
        out += self.tie_break
        return out

    def explain(self, session: Sequence[int], artist_id: int, score: float) -> tuple[str, list[str]]:
        b = self.index_of(artist_id)
        w = self.neighbour_weights([session])
        rows = w.indices
        has = np.asarray(self.matrix[rows][:, b].todense()).ravel() > 0 if b >= 0 else np.zeros(0, bool)
        n_sess = int((has & (rows < self.n_session_rows)).sum())
        n_users = int((has & (rows >= self.n_session_rows)).sum())
        if n_sess + n_users == 0:
            return f"popular: {human_count(int(self.listeners[b]))} listeners", []
        parts = []
        if n_sess:
            parts.append(f"{n_sess} similar session{'s' if n_sess != 1 else ''}")
        if n_users:
            parts.append(f"{n_users} similar listener{'s' if n_users != 1 else ''}")
        return f"in {' and '.join(parts)} ({score:.2f})", []


def _binary_queries(model: Recommender, sessions: Sequence[Sequence[int]]) -> sp.csr_matrix:
    rows, cols = [], []
    for r, s in enumerate(sessions):
        idx = np.unique(model.indices_of(list(s)))
        idx = idx[idx >= 0]
        rows.append(np.full(len(idx), r))
        cols.append(idx)
    r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(sessions), len(model.item_ids)))


# ------------------------------------------------------------------------ tags
class TagRecommender(_SumOfRows):
    """Content-based: cosine between the prefix's summed tag profile and each artist's."""

    name: ClassVar[str] = "tags"

    def fit(self, dataset: "Dataset") -> "TagRecommender":
        items, _ = popularity_scores(dataset)
        self._set_items(items)
        self.dataset = dataset
        self.rows, self.tagged = tag_profiles(dataset, items)
        self.tie_break = None
        return self

    def _transform(self, summed: np.ndarray) -> np.ndarray:
        """Summed tag profiles (n × tags) -> cosine with every artist (n × items)."""
        norms = np.linalg.norm(summed, axis=1)
        q = summed / np.where(norms > 0, norms, 1.0)[:, None]
        return np.asarray(self.rows @ q.T).T

    def explain(self, session: Sequence[int], artist_id: int, score: float) -> tuple[str, list[str]]:
        assert self.dataset is not None
        b = self.index_of(artist_id)
        idx = self._positions(session)
        idx = idx[idx >= 0]
        if b < 0 or len(idx) == 0 or score <= 0:
            return "no shared tags", []
        q = np.asarray(self.rows[idx].sum(axis=0)).ravel()
        shared = q * self.rows[b].toarray().ravel()
        top = [t for t in np.argsort(-shared, kind="stable")[:3] if shared[t] > 0]
        names = ", ".join(self.dataset.tag_name(int(self.dataset.tag_ids[t])) for t in top)
        return f"shares tags {names} ({score:.2f})", []
