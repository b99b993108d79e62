"""Artist name search: accent- and case-insensitive, ranked by match quality then listeners."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tunerec.data import Dataset

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'Björk!' -> 'bjork'."""
    decomposed = unicodedata.normalize("NFKD", text)
    no_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_PUNCT.sub(" ", no_marks.casefold()).split())


@dataclass(frozen=True)
class Match:
    artist_id: int
    name: str
    rank: int  # 0 exact, 1 prefix, 2 word prefix, 3 substring, 4 similar spelling
    listeners: int


class ArtistIndex:
    """Folded names of every known artist, for fast ranked search."""

    def __init__(self, dataset: "Dataset") -> None:
        known = dataset.artists[dataset.artists["known"]]
        self.ids = known.index.to_numpy()
        self.names = known["name"].tolist()
        self.folded = [fold(n) for n in self.names]
        self.listeners = dataset.artist_stats["listeners"].reindex(self.ids).to_numpy()
        self._exact: dict[str, list[int]] = {}
        for i, f in enumerate(self.folded):
            self._exact.setdefault(f, []).append(i)

    def exact_names(self, text: str) -> list[str]:
        """Catalogue names that fold to the same text as ``text``."""
        return [self.names[i] for i in self._exact.get(fold(text), [])]

    def search(self, query: str, limit: int = 20) -> list[Match]:
        """Artists whose folded name matches ``query``: exact, prefix, word prefix, substring."""
        q = fold(query)
        if not q:
            return []
        ranks = np.full(len(self.ids), 9, dtype=np.int8)
        for i in self._exact.get(q, []):
            ranks[i] = 0
        word_q = " " + q
        for i, f in enumerate(self.folded):
            if ranks[i] == 0 or q not in f:
                continue
            if f.startswith(q):
                ranks[i] = 1
            elif word_q in " " + f:
                ranks[i] = 2
            else:
                ranks[i] = 3
        hit = np.flatnonzero(ranks < 9)
        order = hit[np.lexsort((hit, -self.listeners[hit], ranks[hit]))][:limit]
        return [Match(int(self.ids[i]), self.names[i], int(ranks[i]), int(self.listeners[i])) for i in order]

    def similar(self, query: str, limit: int = 5) -> list[Match]:
        """Artists whose folded name is spelled most like ``query`` (typo suggestions)."""
        from rapidfuzz import fuzz, process

        q = fold(query)
        if not q:
            return []
        hits = process.extract(q, self.folded, scorer=fuzz.ratio, limit=limit, score_cutoff=70)
        return [Match(int(self.ids[i]), self.names[i], 4, int(self.listeners[i])) for _, _, i in hits]

    def resolve(self, text: str) -> tuple[int | None, list[Match]]:
        """An id (``"#123"`` or ``"123"``), or a name: (artist_id, []) when unambiguous,
        else (None, suggestions)."""
        t = text.strip()
        if t.lstrip("#").isdigit():
            aid = int(t.lstrip("#"))
            pos = np.searchsorted(self.ids, aid)
            if pos < len(self.ids) and self.ids[pos] == aid:
                return aid, []
            if t.startswith("#"):
                return None, []
        matches = self.search(t, limit=8)
        exact = [m for m in matches if m.rank == 0]
        if len(exact) == 1:
            return exact[0].artist_id, []
        if len(exact) > 1:
            return None, exact
        return None, matches or self.similar(t)


class ResolveError(ValueError):
    """A session artist could not be resolved; the message carries suggestions."""


def resolve_names(index: ArtistIndex, names: list[str]) -> list[int]:
    """Resolve names or ids to artist ids, raising :class:`ResolveError` with suggestions."""
    out = []
    for raw in names:
        if not raw.strip():
            continue
        aid, suggestions = index.resolve(raw)
        if aid is None:
            if suggestions:
                hint = "; did you mean: " + ", ".join(f"{m.name} (#{m.artist_id})" for m in suggestions[:5])
                kind = "ambiguous" if suggestions[0].rank == 0 else "unknown"
                raise ResolveError(f"{kind} artist {raw.strip()!r}{hint}")
            raise ResolveError(f"unknown artist {raw.strip()!r}: no artist name contains it")
        out.append(aid)
    return out
