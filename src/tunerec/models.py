"""The recommenders the app and the CLI use, by name, on the full dataset.

Cheap models (popularity, kNN) are fitted on demand; trained models (the RNN) are
loaded from the models folder (``$TUNEREC_HOME/models``). The GA wraps a relevance
source (kNN, or the RNN in hybrid mode).
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunerec.paths import models_dir

if TYPE_CHECKING:
    from tunerec.data import Dataset
    from tunerec.recommenders.base import Recommender


class ModelNotReady(Exception):
    """A model that must be trained first (the message says how)."""


def app_model_path(name: str) -> Path:
    """Where the app's model of this kind (trained on all users) is cached."""
    return models_dir() / f"{name}-all.npz"


def get_recommender(name: str, dataset: "Dataset", **options: Any) -> "Recommender":
    """A ready recommender for the app/CLI: fitted (cheap models) or loaded from disk."""
    if name == "pop":
        from tunerec.recommenders.popularity import PopularityRecommender

        return PopularityRecommender().fit(dataset)
    if name in ("iknn_sessions", "iknn_profiles", "iknn_both"):
        from tunerec.recommenders.knn import ItemKNN

        return ItemKNN(source=name.removeprefix("iknn_")).fit(dataset)
    if name == "sknn":
        from tunerec.recommenders.knn import SessionKNN

        return SessionKNN().fit(dataset)
    if name == "tags":
        from tunerec.recommenders.knn import TagRecommender

        return TagRecommender().fit(dataset)
    if name == "rnn":
        path = app_model_path("rnn")
        if not path.is_file():
            raise ModelNotReady("RNN not trained yet: run `tunerec train rnn --all-users` or press R in the app")
        from tunerec.recommenders.rnn import RNNRecommender

        return RNNRecommender.load(path, dataset)
    if name == "ga":
        return _ga(dataset, **options)
    raise ValueError(f"unknown model {name!r}")


def _ga(
    dataset: "Dataset",
    discovery: float = 0.5,
    hybrid: bool = False,
    deadline: float | None = 0.3,
    seed: int = 42,
    tags: tuple[str, ...] | list[str] = (),
) -> "Recommender":
    """The GA list builder over item-kNN (``hybrid``: over the app's RNN, with item-kNN's
    co-listened artists in the pool)."""
    from tunerec.recommenders.ga import GARecommender

    knn = shared_knn(dataset)
    if hybrid:
        rnn = get_recommender("rnn", dataset)
        ga = GARecommender(source=rnn, colisten=knn, discovery=discovery, deadline=deadline, seed=seed, tags=tags, name="ga_hybrid")
    else:
        ga = GARecommender(source=knn, discovery=discovery, deadline=deadline, seed=seed, tags=tags)
    return ga.fit(dataset)


_knn_lock = threading.Lock()
_knn_by_dataset: dict[int, tuple[weakref.ref, "Recommender"]] = {}


def shared_knn(dataset: "Dataset") -> "Recommender":
    """The fitted ``iknn_both`` of ``dataset``, fitted once and shared by every GA built on
    it (it is read-only after fitting), so switching GA options costs no refit."""
    with _knn_lock:
        hit = _knn_by_dataset.get(id(dataset))
        if hit is not None and hit[0]() is dataset:
            return hit[1]
        knn = get_recommender("iknn_both", dataset)
        _knn_by_dataset[id(dataset)] = (weakref.ref(dataset), knn)
        return knn
