"""Match artist names from a listening history to catalogue artists.

Exact first, at increasing folding strength (raw case-insensitive, then
:func:`~tunerec.history.normalize.fold_key`, :func:`~tunerec.history.normalize.name_key`,
:func:`~tunerec.history.normalize.compact_key`); then the primary artist of a "feat."
credit; then similar spelling (rapidfuzz ratio at or above a threshold, same number of
words, each differing word keeping its first and last letter, short words and numbers
equal). A name that fits several catalogue artists equally well is *ambiguous*: it is
reported with its candidates and left unmatched, never guessed.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from tunerec.history.normalize import fold_key, name_key, primary_artist

if TYPE_CHECKING:
    from tunerec.data import Dataset

EXACT, FUZZY, AMBIGUOUS, NONE, MBID = "exact", "fuzzy", "ambiguous", "none", "mbid"
DEFAULT_THRESHOLD = 90.0
#: A runner-up this close (in ratio points) to the best fuzzy candidate makes the name ambiguous.
AMBIGUITY_MARGIN = 2.0
MIN_FUZZY_LENGTH = 5
_rapidfuzz: tuple[Any, Any] | None = None  # (fuzz.ratio, process.extract), imported on first use


@dataclass(frozen=True)
class NameMatch:
    """How one history artist name was matched."""

    artist_id: int | None
    kind: str  # exact | fuzzy | mbid | ambiguous | none
    matched_name: str = ""
    score: float = 0.0
    rule: str = ""  # for fuzzy matches: which rule matched
    candidates: tuple[tuple[int, str], ...] = ()  # for ambiguous names


NO_MATCH = NameMatch(None, NONE)


def _raw(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip()


def _keys(name: str) -> tuple[str, str, str, str]:
    """The exact-match keys, strictest first: raw case-folded, folded, name key, compact."""
    folded = fold_key(name)
    nk = name_key(name, folded)
    return _raw(name).casefold(), folded, nk, nk.replace(" ", "")


class CatalogueMatcher:
    """Index of catalogue artist names; :meth:`match` resolves one history name."""

    def __init__(self, artist_ids: Sequence[int], names: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 50 <= threshold <= 100:
            raise ValueError(f"fuzzy threshold must be between 50 and 100, not {threshold}")
        self.threshold = float(threshold)
        self.ids = [int(a) for a in artist_ids]
        self.names = [str(n) for n in names]
        self._raw = [_raw(n) for n in self.names]
        self._tiers: list[dict[str, list[int]]] = [{}, {}, {}, {}]
        for i, n in enumerate(self.names):
            for index, k in zip(self._tiers, _keys(n)):
                if k:
                    index.setdefault(k, []).append(i)
        self._name_index = self._tiers[2]
        # fuzzy candidates share the first letter and the number of words (see similar_words);
        # per (letter, words): the keys by length (stable), and their lengths for bisect
        shapes: dict[tuple[str, int], list[str]] = {}
        for k in self._name_index:
            shapes.setdefault((k[0], k.count(" ")), []).append(k)
        self._shapes: dict[tuple[str, int], tuple[list[int], list[str]]] = {}
        for shape, keys in shapes.items():
            keys.sort(key=len)
            self._shapes[shape] = ([len(k) for k in keys], keys)

    @classmethod
    def from_dataset(cls, dataset: "Dataset", threshold: float = DEFAULT_THRESHOLD) -> "CatalogueMatcher":
        """Matcher over the dataset's known artists (placeholders for unknown ids excluded)."""
        known = dataset.artists[dataset.artists["known"]]
        return cls(known.index.tolist(), known["name"].tolist(), threshold)

    # ----------------------------------------------------------------- public
    def match(self, name: str) -> NameMatch:
        """Match one artist name (see the module docstring for the rules)."""
        keys = _keys(name)
        found = self._exact(name, keys)
        if found is not None:
            return found
        primary = primary_artist(name)
        if primary is not None:
            found = self._exact(primary, _keys(primary))
            if found is not None and found.kind == EXACT:
                return NameMatch(found.artist_id, FUZZY, found.matched_name, 100.0, f"primary artist of a featuring credit ({primary!r})")
            if found is not None:
                return found
        return self._fuzzy(keys[2])

    def match_many(self, names: Iterable[str]) -> dict[str, NameMatch]:
        return {n: self.match(n) for n in names}

    # ---------------------------------------------------------------- helpers
    def _exact(self, name: str, keys: tuple[str, str, str, str]) -> NameMatch | None:
        for index, key in zip(self._tiers, keys):
            hits = index.get(key) if key else None
            if not hits:
                continue
            ids = sorted({self.ids[i] for i in hits})
            if len(ids) == 1:
                return NameMatch(ids[0], EXACT, self.names[hits[0]], 100.0)
            raw = _raw(name)
            same = sorted({self.ids[i] for i in hits if self._raw[i] == raw})
            if len(same) == 1:
                i = next(i for i in hits if self.ids[i] == same[0])
                return NameMatch(same[0], EXACT, self.names[i], 100.0)
            return self._ambiguous(hits, 100.0)
        return None

    def _ambiguous(self, hits: Iterable[int], score: float) -> NameMatch:
        seen: dict[int, str] = {}
        for i in hits:
            seen.setdefault(self.ids[i], self.names[i])
        return NameMatch(None, AMBIGUOUS, "", score, "", tuple(sorted(seen.items())))

    def _fuzzy(self, key: str) -> NameMatch:
        """Similar spelling of the name key ``key``."""
        if len(key.replace(" ", "")) < MIN_FUZZY_LENGTH:
            return NO_MATCH
        global _rapidfuzz
        if _rapidfuzz is None:
            from rapidfuzz import fuzz, process

            _rapidfuzz = fuzz.ratio, process.extract
        ratio, extract = _rapidfuzz

        # a ratio >= t (0..1) needs the other length within [t / (2 - t), (2 - t) / t] of this one
        t = self.threshold / 100
        lo, hi = int(len(key) * t / (2 - t)), int(len(key) * (2 - t) / t) + 1
        lengths, keys = self._shapes.get((key[0], key.count(" ")), ((), ()))
        bucket = keys[bisect_left(lengths, lo) : bisect_right(lengths, hi)]
        if not bucket:
            return NO_MATCH
        scored = extract(key, bucket, scorer=ratio, score_cutoff=self.threshold, limit=10)
        good = [(k, s) for k, s, _ in scored if similar_words(key, k)]
        if not good:
            return NO_MATCH
        good.sort(key=lambda ks: -ks[1])
        best_key, best = good[0]
        close = [k for k, s in good if s >= best - AMBIGUITY_MARGIN]
        hits = [i for k in close for i in self._name_index[k]]
        if len({self.ids[i] for i in hits}) > 1:
            return self._ambiguous(hits, best)
        i = self._name_index[best_key][0]
        return NameMatch(self.ids[i], FUZZY, self.names[i], float(round(best, 1)), "similar spelling")


def similar_words(a: str, b: str) -> bool:
    """True when two keys differ only by small spelling changes inside words: same number
    of words; each differing word longer than 3 letters, not a number, and keeping its
    first and last letter ('radiohed' ~ 'radiohead', but not 'lovers' ~ 'love')."""
    wa, wb = a.split(), b.split()
    if len(wa) != len(wb):
        return False
    for x, y in zip(wa, wb):
        if x == y:
            continue
        if len(x) <= 3 or len(y) <= 3 or any(c.isdigit() for c in x + y):
            return False
        if x[0] != y[0] or x[-1] != y[-1]:
            return False
    return True
