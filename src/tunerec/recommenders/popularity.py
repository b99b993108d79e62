"""Popularity: the first recommender under the one interface, and the empty-session fallback."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Sequence

import numpy as np

from tunerec.modelfile import read_model, write_model
from tunerec.recommenders.base import Recommender, human_count

if TYPE_CHECKING:
    from tunerec.data import Dataset

FORMAT_VERSION = 1


def popularity_scores(dataset: "Dataset") -> tuple[np.ndarray, np.ndarray]:
    """(item_ids, score) with score = sessions containing the artist + users who play it."""
    items = dataset.item_ids
    s = dataset.sessions
    in_sessions = s.drop_duplicates(["user_id", "ym", "artist_id"])["artist_id"].value_counts()
    listeners = dataset.plays["artist_id"].value_counts()
    score = in_sessions.reindex(items, fill_value=0).to_numpy() + listeners.reindex(items, fill_value=0).to_numpy()
    return items, score.astype(np.float64)


class PopularityRecommender(Recommender):
    """Scores every artist by how many sessions and listeners it has, whatever the session."""

    name = "pop"

    def __init__(self) -> None:
        super().__init__()
        self.scores = np.zeros(0)

    def fit(self, dataset: "Dataset") -> "PopularityRecommender":
        self.dataset = dataset
        items, self.scores = popularity_scores(dataset)
        self._set_items(items)
        self.listeners = dataset.plays["artist_id"].value_counts().reindex(items, fill_value=0).to_numpy()
        return self

    def score_sessions(self, sessions: Sequence[Sequence[int]]) -> np.ndarray:
        return np.broadcast_to(self.scores.astype(np.float32), (len(sessions), len(self.scores))).copy()

    def explain(self, session: Sequence[int], artist_id: int, score: float) -> tuple[str, list[str]]:
        i = self.index_of(artist_id)
        return f"popular: {human_count(int(self.listeners[i]))} listeners", []

    def save(self, path: str | os.PathLike[str]) -> None:
        self._require_fit()
        assert self.dataset is not None
        header = {"kind": self.name, "format_version": FORMAT_VERSION, "dataset_sha256": self.dataset.sha256}
        write_model(path, header, {"item_ids": self.item_ids, "scores": self.scores, "listeners": self.listeners})

    @classmethod
    def load(cls, path: str | os.PathLike[str], dataset: "Dataset") -> "PopularityRecommender":
        header, arrays = read_model(path, kind=cls.name, format_version=FORMAT_VERSION, dataset_sha256=dataset.sha256)
        m = cls()
        m.dataset = dataset
        m._set_items(arrays["item_ids"])
        m.scores = arrays["scores"]
        m.listeners = arrays["listeners"]
        return m
