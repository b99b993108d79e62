"""The RNN pane: a GRU4Rec-style session model in PyTorch.

Importing this package does not import torch; :class:`RNNRecommender` and the training
code do, when they are used. :class:`RNNConfig` is plain Python (the CLI reads it without torch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tunerec.recommenders.rnn.config import RNNConfig, load_config

if TYPE_CHECKING:
    from tunerec.recommenders.rnn.recommender import RNNRecommender

__all__ = ["RNNConfig", "RNNRecommender", "load_config"]


def __getattr__(name: str) -> Any:
    if name == "RNNRecommender":
        from tunerec.recommenders.rnn.recommender import RNNRecommender

        return RNNRecommender
    raise AttributeError(name)
