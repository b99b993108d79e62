"""The Last.fm HetRec 2011 data model: typed tables plus derived views.

Tables (pandas DataFrames):

- ``artists``: index ``artist_id``; ``name``, ``url``, ``known`` (False for the artists
  that are tagged but missing from ``artists.dat``; they get a placeholder name).
- ``tags``: index ``tag_id``; ``name`` and ``key`` (case/space-folded name, so tags that
  differ only by case or spacing share a key).
- ``plays``: ``user_id``, ``artist_id``, ``weight`` (play count).
- ``friends``: undirected pairs ``user_id`` < ``friend_id``.
- ``assignments``: ``user_id``, ``artist_id``, ``tag_id``, ``timestamp`` (UTC),
  ``year``, ``month``, ``day`` (local date of the tag assignment, in file order).

File order is sorted by user then artist id: it is never used as a time order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

#: Tag assignments before this year are dropped from sessions. Last.fm launched in
#: 2002 and the dataset's tag timestamps start in earnest in 2005; the few rows dated
#: 1956-1979 are bogus clock values, and 2005 keeps every real month.
SESSION_MIN_YEAR = 2005
DEFAULT_SEED = 42


def placeholder_name(artist_id: int) -> str:
    return f"unknown artist #{artist_id}"


@dataclass
class Dataset:
    """All six HetRec tables plus derived per-artist and per-user views."""

    artists: pd.DataFrame
    tags: pd.DataFrame
    plays: pd.DataFrame
    friends: pd.DataFrame
    assignments: pd.DataFrame
    sha256: str = ""
    source: str = ""
    warnings: list[str] = field(default_factory=list)
    seed: int = DEFAULT_SEED

    # ----------------------------------------------------------------- identity
    @cached_property
    def users(self) -> np.ndarray:
        """Sorted ids of users with plays or tag assignments."""
        return np.union1d(self.plays["user_id"].to_numpy(), self.assignments["user_id"].to_numpy())

    @cached_property
    def artist_ids(self) -> np.ndarray:
        """Sorted ids of every artist in the catalogue (known and placeholder)."""
        return self.artists.index.to_numpy()

    @cached_property
    def item_ids(self) -> np.ndarray:
        """Sorted artist ids that occur in this dataset's sessions or play counts."""
        return np.union1d(self.sessions["artist_id"].to_numpy(), self.plays["artist_id"].to_numpy())

    @cached_property
    def tag_ids(self) -> np.ndarray:
        return self.tags.index.to_numpy()

    def artist_index(self, artist_ids: np.ndarray | list[int]) -> np.ndarray:
        """Positions of artist ids in :attr:`artist_ids` (-1 where unknown)."""
        ids = np.asarray(artist_ids, dtype=np.int64)
        pos = np.searchsorted(self.artist_ids, ids)
        pos = np.clip(pos, 0, len(self.artist_ids) - 1)
        return np.where(self.artist_ids[pos] == ids, pos, -1)

    def artist_name(self, artist_id: int) -> str:
        try:
            return str(self.artists.at[int(artist_id), "name"])
        except KeyError:
            return placeholder_name(int(artist_id))

    def tag_name(self, tag_id: int) -> str:
        return str(self.tags.at[int(tag_id), "name"])

    # ------------------------------------------------------------------ derived
    @cached_property
    def artist_stats(self) -> pd.DataFrame:
        """Per artist: ``listeners`` (users with plays), ``plays`` (sum), ``taggers``."""
        g = self.plays.groupby("artist_id")["weight"]
        stats = pd.DataFrame({"listeners": g.size(), "plays": g.sum()})
        stats = stats.reindex(self.artist_ids, fill_value=0)
        taggers = self.assignments.groupby("artist_id")["user_id"].nunique()
        stats["taggers"] = taggers.reindex(self.artist_ids, fill_value=0).to_numpy()
        stats.index.name = "artist_id"
        return stats.astype(np.int64)

    @cached_property
    def artist_tag_matrix(self) -> sp.csr_matrix:
        """Artists × tags assignment counts (rows follow :attr:`artist_ids`, cols :attr:`tag_ids`)."""
        rows = self.artist_index(self.assignments["artist_id"].to_numpy())
        cols = np.searchsorted(self.tag_ids, self.assignments["tag_id"].to_numpy())
        data = np.ones(len(rows), dtype=np.float32)
        m = sp.csr_matrix((data, (rows, cols)), shape=(len(self.artist_ids), len(self.tag_ids)))
        m.sum_duplicates()
        return m

    def top_tags(self, artist_id: int, n: int = 5) -> list[tuple[str, int]]:
        """The artist's most assigned tags with their counts."""
        i = int(self.artist_index([artist_id])[0])
        if i < 0:
            return []
        row = self.artist_tag_matrix.getrow(i)
        if row.nnz == 0:
            return []
        order = np.lexsort((row.indices, -row.data))[:n]
        return [(self.tag_name(self.tag_ids[row.indices[j]]), int(row.data[j])) for j in order]

    @cached_property
    def play_matrix(self) -> sp.csr_matrix:
        """Binary users × artists listening matrix (rows follow :attr:`users`, cols :attr:`artist_ids`)."""
        rows = np.searchsorted(self.users, self.plays["user_id"].to_numpy())
        cols = self.artist_index(self.plays["artist_id"].to_numpy())
        data = np.ones(len(rows), dtype=np.float32)
        return sp.csr_matrix((data, (rows, cols)), shape=(len(self.users), len(self.artist_ids)))

    @cached_property
    def _play_columns(self) -> sp.csc_matrix:
        """:attr:`play_matrix` by column (one artist's listeners at a time)."""
        return self.play_matrix.tocsc()

    def co_listened(self, artist_id: int, n: int = 10) -> list[tuple[int, float]]:
        """Artists most often listened by the same users, with cosine similarity."""
        i = int(self.artist_index([artist_id])[0])
        if i < 0:
            return []
        x = self.play_matrix
        col = self._play_columns.getcol(i)
        if col.nnz == 0:
            return []
        co = np.asarray((x.T @ col).todense()).ravel()
        norms = np.sqrt(self.artist_stats["listeners"].to_numpy())
        sim = co / np.maximum(norms * norms[i], 1e-9)
        sim[i] = 0.0
        top = np.argsort(-sim, kind="stable")[:n]
        return [(int(self.artist_ids[j]), float(sim[j])) for j in top if sim[j] > 0]

    def friends_picks(self, artist_id: int, n: int = 5) -> list[tuple[int, int]]:
        """Artists that friends of this artist's listeners play more than users at large:
        (artist id, number of such friends who play it), ranked by excess over the
        count expected from the artist's overall listener share (at least 2 friends)."""
        i = int(self.artist_index([artist_id])[0])
        if i < 0 or len(self.friends) == 0:
            return []
        x = self.play_matrix
        listeners = self.users[self._play_columns.getcol(i).nonzero()[0]]
        if len(listeners) == 0:
            return []
        a, b = self.friends["user_id"].to_numpy(), self.friends["friend_id"].to_numpy()
        friends = np.setdiff1d(np.union1d(b[np.isin(a, listeners)], a[np.isin(b, listeners)]), listeners)
        if len(friends) == 0:
            return []
        counts = np.asarray(x[np.searchsorted(self.users, friends)].sum(axis=0)).ravel()
        expected = len(friends) * self.artist_stats["listeners"].to_numpy() / max(1, x.shape[0])
        lift = (counts - expected) / np.sqrt(expected + 1.0)
        lift[(counts < 2) | (np.arange(len(lift)) == i)] = -np.inf
        top = np.argsort(-lift, kind="stable")[:n]
        return [(int(self.artist_ids[j]), int(counts[j])) for j in top if np.isfinite(lift[j]) and lift[j] > 0]

    @cached_property
    def sessions(self) -> pd.DataFrame:
        """Listening sessions: (user, calendar month) with the distinct artists tagged in it.

        Only assignments from :data:`SESSION_MIN_YEAR` on are used: a few rows are dated
        1956-1979 (impossible for Last.fm, founded 2002) and would form bogus sessions.
        Timestamps are month-level for 98% of rows, so there is no real order inside a
        month; the order is a seeded shuffle (protocol hetrec-sessions-v2): one
        ``default_rng(seed).random`` value per deduplicated row in file order.

        Columns: ``user_id``, ``ym`` (year*100+month), ``artist_id``, ``pos``.
        """
        return build_sessions(self.assignments, self.seed)

    def session_list(self) -> list[tuple[int, int, list[int]]]:
        """Sessions as ``(user_id, ym, [artist ids in order])``."""
        s = self.sessions
        keys = s["user_id"].to_numpy() * 1_000_000 + s["ym"].to_numpy()
        cuts = np.flatnonzero(np.diff(keys)) + 1
        artists = np.split(s["artist_id"].to_numpy(), cuts)
        starts = np.concatenate([[0], cuts]) if len(s) else np.array([], dtype=np.int64)
        users = s["user_id"].to_numpy()[starts]
        yms = s["ym"].to_numpy()[starts]
        return [(int(u), int(m), a.tolist()) for u, m, a in zip(users, yms, artists)]

    def user_profile(self, user_id: int) -> dict[str, object]:
        """A user's top artists by plays, tags used and friends."""
        p = self.plays[self.plays["user_id"] == user_id].sort_values("weight", ascending=False)
        a = self.assignments[self.assignments["user_id"] == user_id]
        tag_counts = a["tag_id"].value_counts()
        return {
            "user_id": int(user_id),
            "artists": [(int(r.artist_id), int(r.weight)) for r in p.itertuples()],
            "tags": [(self.tag_name(t), int(c)) for t, c in tag_counts.items()],
            "friends": self.friends_of(user_id).tolist(),
        }

    def friends_of(self, user_id: int) -> np.ndarray:
        f = self.friends
        a = f.loc[f["user_id"] == user_id, "friend_id"].to_numpy()
        b = f.loc[f["friend_id"] == user_id, "user_id"].to_numpy()
        return np.union1d(a, b)

    def summary(self) -> dict[str, object]:
        """Counts and ranges shown by ``tunerec data info``."""
        ts = self.assignments["timestamp"]
        n_users = len(self.users)
        n_items = int((self.artists["known"]).sum())
        sessions = self.sessions
        n_sessions = int(sessions.groupby(["user_id", "ym"]).ngroups) if len(sessions) else 0
        return {
            "users": n_users,
            "artists": n_items,
            "unknown_artists": int((~self.artists["known"]).sum()),
            "tags": len(self.tags),
            "plays": len(self.plays),
            "total_play_count": int(self.plays["weight"].sum()),
            "friend_relations": len(self.friends),
            "tag_assignments": len(self.assignments),
            "sessions": n_sessions,
            "session_events": len(sessions),
            "first_assignment": str(ts.min().date()) if len(ts) else None,
            "last_assignment": str(ts.max().date()) if len(ts) else None,
            "sessions_from": str(sessions["ym"].min()) if len(sessions) else None,
            "sessions_to": str(sessions["ym"].max()) if len(sessions) else None,
            "play_sparsity": 1.0 - len(self.plays) / max(1, n_users * len(self.artists)),
            "sha256": self.sha256,
            "source": self.source,
        }

    # ---------------------------------------------------------------- subsetting
    def restrict_users(self, user_ids: np.ndarray | list[int]) -> "Dataset":
        """The same catalogue with only these users' plays, tags, sessions and mutual friendships.

        Sessions keep the order drawn on the full dataset (the protocol draws one value
        per deduplicated row of the whole file).
        """
        keep = np.asarray(sorted(set(int(u) for u in user_ids)), dtype=np.int64)
        plays = self.plays[np.isin(self.plays["user_id"].to_numpy(), keep)].reset_index(drop=True)
        assignments = self.assignments[np.isin(self.assignments["user_id"].to_numpy(), keep)]
        f = self.friends
        friends = f[np.isin(f["user_id"].to_numpy(), keep) & np.isin(f["friend_id"].to_numpy(), keep)]
        sub = Dataset(
            artists=self.artists,
            tags=self.tags,
            plays=plays,
            friends=friends.reset_index(drop=True),
            assignments=assignments.reset_index(drop=True),
            sha256=self.sha256,
            source=self.source,
            warnings=list(self.warnings),
            seed=self.seed,
        )
        s = self.sessions
        sub.__dict__["sessions"] = s[np.isin(s["user_id"].to_numpy(), keep)].reset_index(drop=True)
        sub.__dict__["users"] = np.intersect1d(self.users, keep)
        return sub

    def with_seed(self, seed: int) -> "Dataset":
        """A view of the same data whose session order is drawn with another seed."""
        if seed == self.seed:
            return self
        return Dataset(
            self.artists, self.tags, self.plays, self.friends, self.assignments,
            self.sha256, self.source, list(self.warnings), seed,
        )


def build_sessions(assignments: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Protocol hetrec-sessions-v2, steps 1-2: month sessions in a seeded order."""
    a = assignments[assignments["year"].to_numpy() >= SESSION_MIN_YEAR]
    ym = a["year"].to_numpy().astype(np.int64) * 100 + a["month"].to_numpy()
    ev = pd.DataFrame({"user_id": a["user_id"].to_numpy(), "ym": ym, "artist_id": a["artist_id"].to_numpy()})
    ev = ev.drop_duplicates(["user_id", "ym", "artist_id"], keep="first").reset_index(drop=True)
    r = np.random.default_rng(seed).random(len(ev))
    order = np.lexsort((r, ev["ym"].to_numpy(), ev["user_id"].to_numpy()))
    ev = ev.iloc[order].reset_index(drop=True)
    keys = ev["user_id"].to_numpy() * 1_000_000 + ev["ym"].to_numpy()
    starts = np.r_[True, keys[1:] != keys[:-1]] if len(ev) else np.zeros(0, dtype=bool)
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(ev)), 0)) if len(ev) else starts
    ev["pos"] = np.arange(len(ev)) - group_start
    return ev
