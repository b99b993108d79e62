"""Hyperparameters of the RNN recommender (plain Python, no torch).

The defaults are the configuration chosen on a validation split carved from the train
users (see ``bench/rnn_search.py`` and the README).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOSSES = ("set_softmax", "softmax", "sampled_softmax", "bpr_max")
OPTIMIZERS = ("adam", "adagrad")
INITS = ("glorot", "svd", "ease")
POOLINGS = ("none", "mean")
PROFILE_ORDERS = ("shuffle", "plays", "weighted")


class ConfigError(ValueError):
    """A bad configuration value or file (the message names the key and the file)."""


@dataclass(frozen=True)
class RNNConfig:
    """Model, loss, data and optimisation settings.

    Losses: ``set_softmax`` (full softmax; the target is every artist still to come in the
    sequence, which is the expected next-item target when the order inside a session is
    random), ``softmax`` (full softmax on the next artist), ``sampled_softmax`` (the
    mini-batch's targets plus ``n_sample`` negatives drawn from popularity^``sample_alpha``,
    optional logQ correction) and ``bpr_max`` (GRU4Rec's BPR-max with score regularisation).
    """

    # model
    embedding_dim: int = 512
    hidden_size: int = 128
    num_layers: int = 1
    tie_embeddings: bool = False  # True: output item embeddings = input embeddings ("constrained")
    pooling: str = "mean"  # "mean": add the mean input embedding of the session to the output
    dropout_embedding: float = 0.0
    dropout_hidden: float = 0.3
    dropout_item: float = 0.0  # share of the session's artists left out of the pooled mean while training
    init: str = "ease"  # "svd": item embeddings from the train co-listening matrix; "ease": from a linear item-item model of it
    init_scale: float = 8.0  # root-mean-square row norm of the initial embeddings (svd: grow it with sqrt(embedding_dim))
    ease_lambda: float = 100.0  # ridge of the "ease" init (item-item regression on sessions + profiles)
    # loss
    loss: str = "set_softmax"
    mask_seen: bool = True  # artists already in the sequence are left out of the softmax
    n_sample: int = 2048
    sample_alpha: float = 0.75
    sample_block: int = 200_000
    logq: float = 1.0
    bpreg: float = 1.0
    # data
    profile_copies: int = 0  # each train user's play-count profile as extra sequences (with init "ease" the profiles are in the init)
    profile_order: str = "shuffle"  # "plays": by play count, "weighted": sampled by play count
    reshuffle: bool = True  # new random order inside every sequence at every epoch
    # optimisation
    optimizer: str = "adam"
    learning_rate: float = 0.00005
    momentum: float = 0.0  # Nesterov momentum for adagrad
    embedding_lr_scale: float = 0.25  # learning-rate multiplier for the item embeddings
    weight_decay: float = 0.0
    batch_size: int = 256
    epochs: int = 4
    patience: int = 1
    val_frac: float = 0.1  # share of the training users held out to pick the best epoch
    grad_clip: float = 5.0
    bf16: bool = True  # bfloat16 matrix products while training (inference is float32)

    def __post_init__(self) -> None:
        checks = [
            ("loss", self.loss in LOSSES, f"one of {', '.join(LOSSES)}"),
            ("optimizer", self.optimizer in OPTIMIZERS, f"one of {', '.join(OPTIMIZERS)}"),
            ("init", self.init in INITS, f"one of {', '.join(INITS)}"),
            ("pooling", self.pooling in POOLINGS, f"one of {', '.join(POOLINGS)}"),
            ("profile_order", self.profile_order in PROFILE_ORDERS, f"one of {', '.join(PROFILE_ORDERS)}"),
            ("embedding_dim", self.embedding_dim >= 1, "at least 1"),
            ("hidden_size", self.hidden_size >= 1, "at least 1"),
            ("num_layers", self.num_layers >= 1, "at least 1"),
            ("dropout_embedding", 0.0 <= self.dropout_embedding < 1.0, "in [0, 1)"),
            ("dropout_hidden", 0.0 <= self.dropout_hidden < 1.0, "in [0, 1)"),
            ("dropout_item", 0.0 <= self.dropout_item < 1.0, "in [0, 1)"),
            ("init_scale", self.init_scale > 0, "positive"),
            ("ease_lambda", self.ease_lambda > 0, "positive"),
            ("tie_embeddings", not (self.init == "ease" and self.tie_embeddings), "false with init 'ease' (its input and output tables differ)"),
            ("n_sample", self.n_sample >= 0, "at least 0"),
            ("sample_block", self.sample_block >= 1, "at least 1"),
            ("profile_copies", self.profile_copies >= 0, "at least 0"),
            ("learning_rate", self.learning_rate > 0, "positive"),
            ("momentum", 0.0 <= self.momentum < 1.0, "in [0, 1)"),
            ("embedding_lr_scale", self.embedding_lr_scale > 0, "positive"),
            ("weight_decay", self.weight_decay >= 0, "at least 0"),
            ("batch_size", self.batch_size >= 1, "at least 1"),
            ("epochs", self.epochs >= 1, "at least 1"),
            ("patience", self.patience >= 1, "at least 1"),
            ("val_frac", 0.0 <= self.val_frac < 1.0, "in [0, 1)"),
            ("grad_clip", self.grad_clip >= 0, "at least 0 (0 = off)"),
        ]
        for key, ok, want in checks:
            if not ok:
                raise ConfigError(f"config key {key!r}: {getattr(self, key)!r} is not valid (must be {want})")

    # ------------------------------------------------------------------ helpers
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> "RNNConfig":
        return from_dict({**self.to_dict(), **changes})

    def fingerprint(self) -> str:
        """Short stable hash of every setting (model cache keys)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def from_dict(d: dict[str, Any], source: str = "config") -> RNNConfig:
    """An :class:`RNNConfig` from a mapping; unknown keys and wrong types raise :class:`ConfigError`."""
    if not isinstance(d, dict):
        raise ConfigError(f"{source}: must be a JSON object of settings")
    fields = {f.name: f for f in dataclasses.fields(RNNConfig)}
    defaults = RNNConfig()
    values: dict[str, Any] = {}
    for key, value in d.items():
        if key not in fields:
            raise ConfigError(f"{source}: unknown key {key!r} (known: {', '.join(sorted(fields))})")
        want = type(getattr(defaults, key))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise ConfigError(f"{source}: key {key!r} must be a {want.__name__}, got {value!r}")
        values[key] = value
    try:
        return RNNConfig(**values)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def load_config(path: str | os.PathLike[str]) -> RNNConfig:
    """Read a JSON config file (any subset of the keys; the rest keep their defaults)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read config file ({exc.strerror or exc})") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}:{exc.lineno}:{exc.colno}: invalid JSON ({exc.msg})") from None
    return from_dict(d, source=str(p))
