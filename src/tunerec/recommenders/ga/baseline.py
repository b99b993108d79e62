"""MMR re-ranking of the GA's own candidate pool, as a list builder: the simple baseline
the GA is compared with (same pool, same relevance, no evolution)."""

from __future__ import annotations

from typing import ClassVar, Iterable, Sequence

from tunerec.recommenders.base import Context, Recommendation, Recommender
from tunerec.recommenders.ga.mmr import mmr_list
from tunerec.recommenders.ga.recommender import GARecommender


class MMRRecommender(GARecommender):
    """Greedy MMR (relevance, tag similarity, novelty) over the GA's candidate pool."""

    name: ClassVar[str] = "mmr"  # type: ignore[misc]

    def __init__(self, source: Recommender | None = None, lam: float = 0.5, **options: object) -> None:
        super().__init__(source=source, **options)  # type: ignore[arg-type]
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"lam must be between 0 and 1, got {lam}")
        self.lam = float(lam)
        self.name = f"mmr{lam:g}"  # type: ignore[misc]

    def recommend(
        self,
        session: Sequence[int],
        k: int = 20,
        exclude: Iterable[int] = (),
        context: Context | None = None,
    ) -> list[Recommendation]:
        ctx = context or Context()
        known = list(ctx.profile or ()) if ctx.exclude_known else ()
        run = self.run(session, k=k, exclude=exclude, tags=ctx.tags or self.tags, exclude_known=known, evolve_lists=False)
        if run.arrays is None:
            return []
        picked = mmr_list(run.arrays, self.lam)
        return self._recommendations(run.pool, picked, run.session, run.tag_cols, run.notes)
