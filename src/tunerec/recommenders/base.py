"""The one recommender interface shared by baselines, the RNN and the GA.

Every recommender answers ``fit(dataset)`` and
``recommend(session, k, exclude=..., context=...) -> list[Recommendation]``, and can be
saved and loaded. Rankers also implement :meth:`Recommender.score_sessions`, which
scores every artist of :attr:`Recommender.item_ids` for a batch of sessions (used by
the vectorised evaluation); list builders (the GA) only build lists.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:
    from tunerec.data import Dataset


@dataclass(frozen=True)
class Recommendation:
    """One recommended artist with its score and a short, true explanation."""

    artist_id: int
    score: float
    explanation: str
    details: tuple[str, ...] = ()


@dataclass
class Context:
    """Optional context for a request: personal profile, session tags, discovery setting."""

    profile: Mapping[int, float] | None = None  # artist id -> weight (e.g. imported history)
    tags: Sequence[str] = ()  # the session's tags (free text)
    discovery: float | None = None  # 0 familiar .. 1 adventurous (list builders)
    recent_sessions: Sequence[Sequence[int]] = ()
    exclude_known: bool = False  # drop artists of the profile from the results
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Recommender(ABC):
    """Base class: subclasses set :attr:`name`, implement :meth:`fit` and either
    :meth:`score_sessions` (rankers) or :meth:`recommend` (list builders)."""

    name: ClassVar[str] = "base"
    #: True when :meth:`score_sessions` is implemented (the next-item task needs it).
    can_score: ClassVar[bool] = True

    def __init__(self) -> None:
        self.dataset: Dataset | None = None
        self.item_ids: np.ndarray = np.zeros(0, dtype=np.int64)

    # -------------------------------------------------------------- interface
    @abstractmethod
    def fit(self, dataset: "Dataset") -> "Recommender":
        """Learn from ``dataset`` (for evaluation: the train users only)."""

    def score_sessions(self, sessions: Sequence[Sequence[int]]) -> np.ndarray:
        """Scores, shape ``(len(sessions), len(item_ids))``, higher is better."""
        raise NotImplementedError(f"{self.name} builds lists; it does not score single artists")

    def recommend(
        self,
        session: Sequence[int],
        k: int = 20,
        exclude: Iterable[int] = (),
        context: Context | None = None,
    ) -> list[Recommendation]:
        """Top ``k`` artists for ``session`` (session and excluded artists never returned)."""
        self._require_fit()
        known = [int(a) for a in session if self.index_of(int(a)) >= 0]
        scores = self.score_sessions([known])[0].astype(np.float64)
        banned = set(int(a) for a in session) | set(int(a) for a in exclude)
        if context is not None and context.exclude_known and context.profile:
            banned |= {int(a) for a in context.profile}
        idx = self.indices_of(list(banned))
        scores[idx[idx >= 0]] = -np.inf
        top = top_k(scores, k)
        notes = tuple(self.session_notes(session, known))
        return [
            Recommendation(int(self.item_ids[i]), float(scores[i]), line, tuple(details) + notes)
            for i, (line, details) in zip(top, self.explain_top(known, scores, top))
        ]

    def explain_top(self, session: Sequence[int], scores: np.ndarray, top: np.ndarray) -> list[tuple[str, list[str]]]:
        """Explanations of the ``top`` indices (override to explain them all at once)."""
        return [self.explain(session, int(self.item_ids[i]), float(scores[i])) for i in top]

    def explain(self, session: Sequence[int], artist_id: int, score: float) -> tuple[str, list[str]]:
        """A one-line explanation and optional detail lines for one recommended artist."""
        return "", []

    def session_notes(self, session: Sequence[int], known: Sequence[int]) -> list[str]:
        """Notes about the request itself (e.g. artists skipped as unknown)."""
        skipped = [a for a in session if a not in set(known)]
        if not skipped or self.dataset is None:
            return []
        names = ", ".join(self.dataset.artist_name(a) for a in skipped[:3])
        return [f"skipped {len(skipped)} artist(s) this model does not know: {names}"]

    def save(self, path: str | os.PathLike[str]) -> None:
        raise NotImplementedError(f"{self.name} cannot be saved")

    @classmethod
    def load(cls, path: str | os.PathLike[str], dataset: "Dataset") -> "Recommender":
        raise NotImplementedError(f"{cls.name} cannot be loaded")

    # ---------------------------------------------------------------- helpers
    def _require_fit(self) -> None:
        if self.dataset is None:
            raise RuntimeError(f"{self.name}: call fit(dataset) first")

    def _set_items(self, item_ids: np.ndarray) -> None:
        self.item_ids = np.asarray(item_ids, dtype=np.int64)

    def index_of(self, artist_id: int) -> int:
        i = int(np.searchsorted(self.item_ids, artist_id))
        return i if i < len(self.item_ids) and self.item_ids[i] == artist_id else -1

    def indices_of(self, artist_ids: Sequence[int]) -> np.ndarray:
        ids = np.asarray(list(artist_ids), dtype=np.int64)
        if len(self.item_ids) == 0 or len(ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.item_ids, ids), 0, len(self.item_ids) - 1)
        return np.where(self.item_ids[pos] == ids, pos, -1)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best finite scores, best first (ties: lower index first)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    k = min(k, len(finite))
    vals = scores[finite]
    kth = vals[np.argpartition(-vals, k - 1)[k - 1]]  # the k-th best value
    above, tied = finite[vals > kth], finite[vals == kth]  # ``finite`` is ascending
    chosen = np.concatenate([above, tied[: k - len(above)]])
    return chosen[np.lexsort((chosen, -scores[chosen]))]


def human_count(n: int) -> str:
    """1234 -> '1.2k'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)
