"""Evaluable models by name: ``MODELS[name](seed)`` builds an unfitted recommender.

A plain dict of factories with lazy imports (torch and DEAP load only when their model
is built). Adding a model is one line, e.g.
``MODELS["rnn"] = lazy("tunerec.recommenders.rnn:RNNRecommender")``.
"""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from tunerec.recommenders.base import Recommender

Factory = Callable[[int], "Recommender"]


def lazy(target: str, **kwargs: Any) -> Factory:
    """A factory for ``"package.module:Class"`` called with ``kwargs`` (plus ``seed=`` when
    the class accepts a ``seed`` argument); the module is imported on first use."""

    def factory(seed: int) -> "Recommender":
        module, _, cls_name = target.partition(":")
        cls = getattr(importlib.import_module(module), cls_name)
        extra = {"seed": seed} if "seed" in inspect.signature(cls).parameters else {}
        return cls(**kwargs, **extra)

    factory.__qualname__ = f"lazy({target!r})"
    return factory


MODELS: dict[str, Factory] = {
    "pop": lazy("tunerec.recommenders.popularity:PopularityRecommender"),
    "iknn_sessions": lazy("tunerec.recommenders.knn:ItemKNN", source="sessions"),
    "iknn_profiles": lazy("tunerec.recommenders.knn:ItemKNN", source="profiles"),
    "iknn_both": lazy("tunerec.recommenders.knn:ItemKNN", source="both"),
    "sknn": lazy("tunerec.recommenders.knn:SessionKNN"),
    "tags": lazy("tunerec.recommenders.knn:TagRecommender"),
    "ease": lazy("tunerec.recommenders.ease:EASERecommender"),
    "rnn": lazy("tunerec.recommenders.rnn:RNNRecommender", cache=True),
    "ga": lazy("tunerec.recommenders.ga:GARecommender", deadline=None),  # generation cap only: reproducible
    "ga_hybrid": lazy("tunerec.recommenders.ga:hybrid_ga", deadline=None),
}

#: the baselines of issue 3, in table order
BASELINES = ("pop", "iknn_sessions", "iknn_profiles", "iknn_both", "sknn", "tags")


def build(name: str, seed: int = 42) -> "Recommender":
    """An unfitted recommender for registry ``name`` (ValueError naming the known ones)."""
    try:
        factory = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r} (known: {', '.join(MODELS)})") from None
    return factory(seed)
