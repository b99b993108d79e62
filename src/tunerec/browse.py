"""Browsing the catalogue: filtered, sorted artist rows and tag lists (UI-free)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tunerec.data.search import ArtistIndex, fold

if TYPE_CHECKING:
    from tunerec.data import Dataset

SORTS = ("match", "listeners", "plays", "name")


@dataclass(frozen=True)
class ArtistRow:
    artist_id: int
    name: str
    listeners: int
    plays: int


class Browser:
    """Search + tag filter + sort over the known artists of a dataset."""

    def __init__(self, dataset: "Dataset", index: ArtistIndex | None = None) -> None:
        self.ds = dataset
        self.index = index or ArtistIndex(dataset)
        stats = dataset.artist_stats
        self._listeners = stats["listeners"].reindex(self.index.ids).to_numpy()
        self._plays = stats["plays"].reindex(self.index.ids).to_numpy()
        self._pos = {int(a): i for i, a in enumerate(self.index.ids)}
        tags = dataset.tags
        counts = np.asarray(dataset.artist_tag_matrix.sum(axis=0)).ravel()
        order = np.lexsort((dataset.tag_ids, -counts))
        names = tags["name"].to_numpy()
        keys = tags["key"].to_numpy()
        self.tag_names: list[str] = [str(names[i]) for i in order if counts[i] > 0]
        self._csc = None
        self._tag_col: dict[str, int] = {}
        for i in order[::-1]:  # most used tag wins for a shared key
            self._tag_col[str(keys[i])] = int(i)

    def tag_column(self, tag: str) -> int | None:
        """Column of ``tag`` in the artist × tag matrix (case/space-insensitive)."""
        key = " ".join(tag.casefold().split())
        col = self._tag_col.get(key)
        if col is None:
            f = fold(tag)
            for name in self.tag_names:
                if fold(name) == f:
                    return self._tag_col.get(" ".join(name.casefold().split()))
        return col

    def artists_with_tag(self, tag: str) -> dict[int, int]:
        """Artist id -> how often it was tagged with ``tag``."""
        col = self.tag_column(tag)
        if col is None:
            return {}
        if self._csc is None:
            self._csc = self.ds.artist_tag_matrix.tocsc()
        csc = self._csc
        lo, hi = csc.indptr[col], csc.indptr[col + 1]
        return {int(a): int(c) for a, c in zip(self.ds.artist_ids[csc.indices[lo:hi]], csc.data[lo:hi])}

    def rows(self, query: str = "", tag: str | None = None, sort: str = "match", limit: int = 300) -> list[ArtistRow]:
        """Artists matching ``query`` (ranked search) and ``tag``, sorted by ``sort``.

        ``match`` keeps search rank (then listeners); with only a tag it ranks by how often
        the artist was given that tag; with neither it means listeners.
        """
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
        has_query = bool(query.strip())
        if has_query:
            ids = [m.artist_id for m in self.index.search(query, limit=len(self.index.ids))]
            pos = np.array([self._pos[a] for a in ids], dtype=np.int64)
        else:
            pos = np.lexsort((self.index.ids, -self._listeners))
        if tag:
            allowed = self.artists_with_tag(tag)
            pos = np.array([p for p in pos if int(self.index.ids[p]) in allowed], dtype=np.int64)
            if sort == "match" and not has_query and len(pos):
                weight = np.array([allowed[int(self.index.ids[p])] for p in pos])
                pos = pos[np.lexsort((self.index.ids[pos], -self._listeners[pos], -weight))]
        elif sort == "match" and not has_query:
            sort = "listeners"
        if sort == "listeners":
            pos = pos[np.lexsort((self.index.ids[pos], -self._listeners[pos]))] if len(pos) else pos
        elif sort == "plays":
            pos = pos[np.lexsort((self.index.ids[pos], -self._plays[pos]))] if len(pos) else pos
        elif sort == "name":
            pos = np.array(sorted(pos, key=lambda p: (self.index.folded[p], self.index.ids[p])), dtype=np.int64)
        pos = pos[:limit]
        return [
            ArtistRow(int(self.index.ids[p]), self.index.names[p], int(self._listeners[p]), int(self._plays[p]))
            for p in pos
        ]

    def complete_tag(self, prefix: str, limit: int = 10) -> list[str]:
        """Dataset tags starting with ``prefix`` (folded), most used first."""
        f = fold(prefix)
        if not f:
            return self.tag_names[:limit]
        return [t for t in self.tag_names if fold(t).startswith(f)][:limit]
