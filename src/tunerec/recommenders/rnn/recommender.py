"""The RNN recommender under the one interface: fit, score, recommend with explanations, save/load."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import torch

from tunerec.modelfile import ModelFileError, read_model, write_model
from tunerec.recommenders.base import Recommender, human_count
from tunerec.recommenders.popularity import popularity_scores
from tunerec.recommenders.rnn.config import ConfigError, RNNConfig, from_dict
from tunerec.recommenders.rnn.embedinit import initialise_items
from tunerec.recommenders.rnn.model import GRU4RecNet
from tunerec.recommenders.rnn.sequences import build_training_data
from tunerec.recommenders.rnn.training import ProgressFn, Trainer, TrainState

if TYPE_CHECKING:
    from tunerec.data import Dataset

KIND = "rnn"
CHECKPOINT_KIND = "rnn-checkpoint"
FORMAT_VERSION = 1
WEIGHT_PREFIX = "w."
#: Leave-one-out explanations are computed for sessions up to this many artists.
MAX_LOO = 40
#: Prefixes encoded per forward pass in :meth:`RNNRecommender.score_sessions`.
SCORE_CHUNK = 512


def vocab_hash(item_ids: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(item_ids, dtype=np.int64).tobytes()).hexdigest()


def users_hash(dataset: "Dataset") -> str:
    return hashlib.sha256(np.ascontiguousarray(dataset.users, dtype=np.int64).tobytes()).hexdigest()


class RNNRecommender(Recommender):
    """GRU4Rec-style session model. ``fit`` trains it (see :class:`RNNConfig`); with
    ``cache=True`` a model trained earlier for exactly the same data, users, seed and config
    is loaded from the models folder instead."""

    name = KIND

    def __init__(
        self,
        config: RNNConfig | None = None,
        seed: int = 42,
        *,
        cache: bool = False,
        trained_on: str | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        super().__init__()
        self.config = config or RNNConfig()
        self.seed = int(seed)
        self.cache = cache
        self.trained_on = trained_on
        self.progress = progress
        self.net: GRU4RecNet | None = None
        self.pop = np.zeros(0, dtype=np.float32)
        self.header: dict[str, Any] = {}
        self.train_state: TrainState | None = None

    # ------------------------------------------------------------------ training
    def cache_path(self, dataset: "Dataset") -> Path:
        """Where ``fit(dataset)`` caches its model when ``cache`` is on."""
        from tunerec.paths import models_dir

        key = hashlib.sha256(
            json.dumps([FORMAT_VERSION, dataset.sha256, users_hash(dataset), dataset.seed, self.seed, self.config.to_dict()], sort_keys=True).encode()
        ).hexdigest()[:16]
        return models_dir() / f"rnn-eval-{key}.npz"

    def fit(
        self,
        dataset: "Dataset",
        *,
        progress: ProgressFn | None = None,
        should_stop: Callable[[], bool] | None = None,
        time_budget: float | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        resume: bool = False,
    ) -> "RNNRecommender":
        """Train on ``dataset`` (its users are the training users).

        A share ``config.val_frac`` of them is held out (protocol carve, this seed) to pick
        the best epoch. ``checkpoint``: a file updated after every epoch; ``resume`` continues
        from it. Raises :class:`TrainingStopped` when stopped before a first epoch completed.
        """
        progress = progress or self.progress
        if self.cache:
            path = self.cache_path(dataset)
            if path.is_file():
                try:
                    loaded = type(self).load(path, dataset)
                    if loaded.config == self.config:
                        self._adopt(loaded)
                        return self
                except ModelFileError:
                    pass
        resuming = resume and checkpoint is not None and Path(checkpoint).is_file()
        if progress and self.config.init != "glorot" and not resuming:
            progress({"event": "prepare", "message": f"starting the artist tables from co-listening ({self.config.init})"})
        trainer = self._make_trainer(dataset, initialise=not resuming)  # a checkpoint holds every weight
        if resuming:
            assert checkpoint is not None
            load_checkpoint(trainer, checkpoint, dataset, self.seed)
            if progress:
                progress({"event": "resumed", "epoch": trainer.state.epoch, "epochs": self.config.epochs,
                          "message": f"resumed after epoch {trainer.state.epoch}"})
        on_epoch = (lambda tr: save_checkpoint(tr, checkpoint, dataset)) if checkpoint is not None else None
        st = trainer.run(progress, should_stop, time_budget, on_epoch)
        if st.best_epoch == 0:
            raise TrainingStopped("training stopped before the first epoch finished; no model was made")
        self.net = trainer.net
        self.net.eval()
        self.train_state = st
        self.dataset = dataset
        _, pop = popularity_scores(dataset)
        self.pop = pop.astype(np.float32)
        self.header = self._make_header(dataset, trainer)
        if self.cache:
            self.save(self.cache_path(dataset))
        return self

    def _make_trainer(self, dataset: "Dataset", initialise: bool = True) -> Trainer:
        cfg = self.config
        vocab = np.asarray(dataset.item_ids, dtype=np.int64)
        self._set_items(vocab)
        self.dataset = dataset
        train_users = np.asarray(dataset.users, dtype=np.int64)
        val_sessions: list[list[int]] = []
        if cfg.val_frac > 0:
            from tunerec.evaluation.protocol import validation_split

            vs = validation_split(dataset, self.seed, frac=cfg.val_frac)
            train_users = vs.train_users
            val_sessions = [self.indices_of(s).tolist() for s in vs.test_sessions]
        data = build_training_data(dataset, vocab, train_users)
        torch.manual_seed(self.seed)
        net = GRU4RecNet(len(vocab), cfg)
        if initialise:
            initialise_items(net, cfg, data, self.seed)
        return Trainer(net, data, cfg, self.seed, val_sessions)

    def _make_header(self, dataset: "Dataset", trainer: Trainer) -> dict[str, Any]:
        st = trainer.state
        best = next((h for h in st.history if h["epoch"] == st.best_epoch), {})
        events = sum(h["events"] for h in st.history)
        secs = sum(h["seconds"] for h in st.history)
        return {
            "kind": KIND,
            "format_version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            "seed": self.seed,
            "dataset_sha256": dataset.sha256,
            "vocabulary": {"size": int(len(self.item_ids)), "sha256": vocab_hash(self.item_ids)},
            "trained_on": self.trained_on or f"{len(dataset.users)} users",
            "n_users": int(len(dataset.users)),
            "users_sha256": users_hash(dataset),
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "torch_version": torch.__version__,
            "training": {
                "epochs_run": st.epoch,
                "best_epoch": st.best_epoch,
                "stopped": st.stopped,
                "train_seconds": round(st.train_seconds, 2),
                "events_per_s": round(events / max(secs, 1e-9), 1),
                "val_recall@20": best.get("val_recall"),
                "val_mrr@20": best.get("val_mrr"),
                "history": st.history,
            },
        }

    def _adopt(self, other: "RNNRecommender") -> None:
        self.net, self.pop, self.header, self.dataset = other.net, other.pop, other.header, other.dataset
        self._set_items(other.item_ids)

    # ------------------------------------------------------------------- scoring
    def _positions(self, session: Sequence[int]) -> list[int]:
        idx = self.indices_of(list(session))
        return [int(i) for i in idx if i >= 0]

    @torch.no_grad()
    def score_sessions(self, sessions: Sequence[Sequence[int]]) -> np.ndarray:
        """Scores (n, len(item_ids)); unknown artists are skipped, empty sessions get popularity."""
        self._require_fit()
        assert self.net is not None
        out = np.empty((len(sessions), len(self.item_ids)), dtype=np.float32)
        pos = [self._positions(s) for s in sessions]
        empty = [i for i, p in enumerate(pos) if not p]
        for i in empty:
            out[i] = self.pop
        rows = [i for i, p in enumerate(pos) if p]
        for a in range(0, len(rows), SCORE_CHUNK):
            chunk = rows[a : a + SCORE_CHUNK]
            q = self.net.encode([pos[i] for i in chunk])
            out[chunk] = self.net.scores(q).numpy()
        return out

    @torch.no_grad()
    def score_prefixes(self, sessions: Sequence[Sequence[int]]) -> np.ndarray:
        """Scores of every proper prefix of each session, session by session (rows for
        prefixes of length 1 .. n-1), from one pass of the GRU over each session."""
        self._require_fit()
        assert self.net is not None
        blocks: list[np.ndarray] = []
        plain: list[list[int]] = []

        def flush() -> None:
            if plain:
                q = self.net.encode(plain, all_positions=True)  # type: ignore[union-attr]
                lengths = np.array([len(s) for s in plain])
                starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
                keep = np.concatenate([np.arange(a, a + n - 1) for a, n in zip(starts, lengths)])
                blocks.append(self.net.scores(q[torch.from_numpy(keep)]).numpy())  # type: ignore[union-attr]
                plain.clear()

        for s in sessions:
            if len(s) < 2:
                continue
            idx = self.indices_of(list(s))
            if np.all(idx >= 0):
                plain.append(idx.tolist())
                if sum(len(x) for x in plain) >= SCORE_CHUNK:
                    flush()
            else:  # unknown artists are skipped, prefix by prefix
                flush()
                blocks.append(self.score_sessions([list(s[:p]) for p in range(1, len(s))]))
        flush()
        if not blocks:
            return np.zeros((0, len(self.item_ids)), dtype=np.float32)
        return np.concatenate(blocks, axis=0)

    # ------------------------------------------------------------ recommending
    def explain_top(self, session: Sequence[int], scores: np.ndarray, top: np.ndarray) -> list[tuple[str, list[str]]]:
        """The session artist that drove each pick most (leave-one-out score drop), shared
        top tags, and popularity — computed for all the top artists at once."""
        assert self.dataset is not None
        known = [int(a) for a in session]
        drops = self._leave_one_out(known, scores, top)
        listeners = self._listeners()
        names = self._artist_names(known)
        out: list[tuple[str, list[str]]] = []
        for j, i in enumerate(top):
            a = int(self.item_ids[i])
            pop_line = f"{human_count(int(listeners[i]))} listeners"
            if not known:
                out.append((f"empty session: popular pick · {pop_line}", []))
                continue
            col = drops[:, j] if drops is not None else np.zeros(len(known))
            d = int(np.argmax(col))
            driver = known[d]
            parts = [f"because of {names[driver]}"]
            tags = shared_tags(self.dataset, a, driver, tag_names=self._tag_names())
            if tags:
                parts.append("shares " + ", ".join(tags))
            parts.append(pop_line)
            details = []
            if drops is not None and len(known) > 1:
                order = np.argsort(-col, kind="stable")[:3]
                details.append("score drop without: " + ", ".join(f"{names[known[o]]} ({col[o]:+.2f})" for o in order))
            out.append((" · ".join(parts), details))
        return out

    def _artist_names(self, artist_ids: list[int]) -> dict[int, str]:
        """Names of catalogue artists, looked up together (much faster than one by one)."""
        assert self.dataset is not None
        if getattr(self, "_names_cache", None) is None:
            self._names_cache = self.dataset.artists["name"].to_numpy()
        pos = self.dataset.artist_index(artist_ids)
        return {a: (str(self._names_cache[p]) if p >= 0 else self.dataset.artist_name(a)) for a, p in zip(artist_ids, pos)}

    def _tag_names(self) -> np.ndarray:
        """Tag names in ``dataset.tag_ids`` order (cached)."""
        assert self.dataset is not None
        if getattr(self, "_tag_names_cache", None) is None:
            self._tag_names_cache = self.dataset.tags["name"].reindex(self.dataset.tag_ids).to_numpy()
        return self._tag_names_cache

    def _listeners(self) -> np.ndarray:
        """Listeners per vocabulary artist (cached)."""
        assert self.dataset is not None
        if getattr(self, "_listeners_cache", None) is None or len(self._listeners_cache) != len(self.item_ids):
            stats = self.dataset.artist_stats["listeners"]
            self._listeners_cache = stats.reindex(self.item_ids, fill_value=0).to_numpy()
        return self._listeners_cache

    @torch.no_grad()
    def _leave_one_out(self, known: list[int], scores: np.ndarray, top: np.ndarray) -> np.ndarray | None:
        """(len(known), len(top)) score drops of the top artists when each session artist is left out."""
        if len(known) < 2 or len(known) > MAX_LOO or len(top) == 0:
            return None
        assert self.net is not None
        pos = self._positions(known)
        variants = [pos[:i] + pos[i + 1 :] for i in range(len(pos))]
        cols = torch.from_numpy(np.asarray(top, dtype=np.int64))
        q = self.net.encode(variants)
        loo = (q @ self.net.output_weight[cols].T + self.net.out_bias[cols]).numpy()
        return scores[top][None, :] - loo

    def explain(self, session: Sequence[int], artist_id: int, score: float) -> tuple[str, list[str]]:
        i = self.index_of(int(artist_id))
        if i < 0:
            return "", []
        known = [int(a) for a in session if self.index_of(int(a)) >= 0]
        scores = self.score_sessions([known])[0].astype(np.float64)
        return self.explain_top(known, scores, np.array([i]))[0]

    def describe(self) -> dict[str, Any]:
        """When and on what the model was trained (for the app and the CLI)."""
        h = self.header
        t = h.get("training", {})
        return {
            "trained_at": h.get("trained_at"),
            "trained_on": h.get("trained_on"),
            "n_users": h.get("n_users"),
            "seed": h.get("seed"),
            "best_epoch": t.get("best_epoch"),
            "epochs_run": t.get("epochs_run"),
            "train_seconds": t.get("train_seconds"),
            "val_recall@20": t.get("val_recall@20"),
            "val_mrr@20": t.get("val_mrr@20"),
            "vocabulary": h.get("vocabulary", {}).get("size"),
        }

    # --------------------------------------------------------------- save/load
    def save(self, path: str | os.PathLike[str]) -> None:
        self._require_fit()
        assert self.net is not None
        arrays = {WEIGHT_PREFIX + k: v.detach().numpy().astype(np.float32) for k, v in self.net.state_dict().items()}
        arrays["item_ids"] = self.item_ids
        arrays["pop"] = self.pop
        write_model(path, self.header, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str], dataset: "Dataset") -> "RNNRecommender":
        """Load a model file; any mismatch or damage raises :class:`ModelFileError`."""
        header, arrays = read_model(path, kind=KIND, format_version=FORMAT_VERSION, dataset_sha256=dataset.sha256)
        try:
            cfg = from_dict(header.get("config"), source="config")
        except ConfigError as exc:
            raise ModelFileError(f"{path}: bad model config in header ({exc})") from None
        item_ids = arrays.get("item_ids")
        voc = header.get("vocabulary") or {}
        if item_ids is None or item_ids.dtype != np.int64 or item_ids.ndim != 1:
            raise ModelFileError(f"{path}: missing or malformed vocabulary array 'item_ids'")
        if voc.get("size") != len(item_ids) or voc.get("sha256") != vocab_hash(item_ids):
            raise ModelFileError(f"{path}: vocabulary does not match its header (damaged file)")
        if len(item_ids) and (np.any(np.diff(item_ids) <= 0) or np.any(dataset.artist_index(item_ids) < 0)):
            raise ModelFileError(f"{path}: vocabulary holds artists that are not in this catalogue")
        m = cls(cfg, seed=int(header.get("seed", 0)))
        net = GRU4RecNet(len(item_ids), cfg)
        state = {}
        for key, ref in net.state_dict().items():
            a = arrays.get(WEIGHT_PREFIX + key)
            if a is None:
                raise ModelFileError(f"{path}: weight {key!r} is missing")
            if a.shape != tuple(ref.shape) or a.dtype != np.float32:
                raise ModelFileError(f"{path}: weight {key!r} has shape {a.shape} {a.dtype}, expected {tuple(ref.shape)} float32")
            if not np.all(np.isfinite(a)):
                raise ModelFileError(f"{path}: weight {key!r} holds non-finite values")
            state[key] = torch.from_numpy(np.array(a))
        pop = arrays.get("pop")
        if pop is None or pop.shape != (len(item_ids),):
            raise ModelFileError(f"{path}: popularity array 'pop' is missing or has the wrong shape")
        net.load_state_dict(state)
        net.eval()
        m.net = net
        m.dataset = dataset
        m._set_items(item_ids)
        m.pop = pop.astype(np.float32)
        m.header = header
        return m


class TrainingStopped(Exception):
    """Training ended before any epoch completed, so there is no model."""


def shared_tags(dataset: "Dataset", a: int, b: int, n: int = 3, top: int = 15, tag_names: np.ndarray | None = None) -> list[str]:
    """Names of the top tags the two artists share (in the first artist's tag order);
    ``tag_names``: the names in ``dataset.tag_ids`` order (faster than looking each one up)."""
    m = dataset.artist_tag_matrix
    ia, ib = (int(i) for i in dataset.artist_index([a, b]))
    if ia < 0 or ib < 0:
        return []

    def best(i: int) -> np.ndarray:
        lo, hi = m.indptr[i], m.indptr[i + 1]
        cols, counts = m.indices[lo:hi], m.data[lo:hi]
        return cols[np.lexsort((cols, -counts))[:top]]

    cb = set(best(ib).tolist())
    shared = [c for c in best(ia).tolist() if c in cb][:n]
    if tag_names is not None:
        return [str(tag_names[c]) for c in shared]
    return [dataset.tag_name(int(dataset.tag_ids[c])) for c in shared]


# --------------------------------------------------------------- checkpoints
def save_checkpoint(trainer: Trainer, path: str | os.PathLike[str], dataset: "Dataset") -> None:
    """Write the run's full state (weights, optimiser, best weights, history) atomically."""
    st = trainer.state
    arrays: dict[str, np.ndarray] = {}
    for k, v in trainer.net.state_dict().items():
        arrays["net." + k] = v.detach().numpy().astype(np.float32)
    if st.best_weights is not None:
        for k, v in st.best_weights.items():
            arrays["best." + k] = v.detach().numpy().astype(np.float32)
    opt_state = trainer.opt.state_dict()
    for pid, pstate in opt_state["state"].items():
        for name, val in pstate.items():
            arrays[f"opt.{pid}.{name}"] = torch.as_tensor(val).detach().numpy()
    header = {
        "kind": CHECKPOINT_KIND,
        "format_version": FORMAT_VERSION,
        "config": trainer.cfg.to_dict(),
        "seed": trainer.seed,
        "dataset_sha256": dataset.sha256,
        "users_sha256": users_hash(dataset),
        "epoch": st.epoch,
        "best_epoch": st.best_epoch,
        "best_score": st.best_score,
        "train_seconds": st.train_seconds,
        "history": st.history,
        "param_groups": opt_state["param_groups"],
    }
    write_model(path, header, arrays)


def load_checkpoint(trainer: Trainer, path: str | os.PathLike[str], dataset: "Dataset", seed: int) -> None:
    """Restore a run saved by :func:`save_checkpoint` (same data, users, seed and config)."""
    header, arrays = read_model(path, kind=CHECKPOINT_KIND, format_version=FORMAT_VERSION, dataset_sha256=dataset.sha256)
    if header.get("config") != trainer.cfg.to_dict() or header.get("seed") != seed or header.get("users_sha256") != users_hash(dataset):
        raise ModelFileError(f"{path}: checkpoint made with another config, seed or set of users; cannot resume (train without --resume)")
    try:
        trainer.net.load_state_dict({k: torch.from_numpy(np.array(arrays["net." + k])) for k in trainer.net.state_dict()})
        best = {k: torch.from_numpy(np.array(arrays["best." + k])) for k in trainer.net.state_dict() if "best." + k in arrays}
        opt_state: dict[str, Any] = {"state": {}, "param_groups": header["param_groups"]}
        for key, val in arrays.items():
            if key.startswith("opt."):
                _, pid, name = key.split(".", 2)
                opt_state["state"].setdefault(int(pid), {})[name] = torch.from_numpy(np.array(val))
        trainer.opt.load_state_dict(opt_state)
    except (KeyError, RuntimeError, ValueError) as exc:
        raise ModelFileError(f"{path}: damaged checkpoint ({exc})") from None
    st = trainer.state
    st.epoch = int(header["epoch"])
    st.best_epoch = int(header["best_epoch"])
    st.best_score = float(header["best_score"])
    st.train_seconds = float(header["train_seconds"])
    st.history = list(header["history"])
    st.best_weights = best or None
