"""The training loop: session-parallel steps, per-epoch validation, best-epoch keeping.

Deterministic under a seed: every epoch draws its data arrangement and its dropout masks
from generators seeded with (seed, epoch), so a resumed run continues exactly.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from tunerec.recommenders.rnn.batching import session_parallel_steps
from tunerec.recommenders.rnn.config import RNNConfig
from tunerec.recommenders.rnn.losses import (
    Targets,
    bpr_max_loss,
    sampled_softmax_loss,
    set_softmax_loss,
    softmax_loss,
)
from tunerec.recommenders.rnn.model import GRU4RecNet
from tunerec.recommenders.rnn.sampler import NegativeSampler, sampling_probabilities
from tunerec.recommenders.rnn.sequences import FlatSequences, TrainingData, ranges

TRAIN_THREADS = 2


def train_threads() -> int:
    """Torch threads for training: 2 (this project's 2-core target), or ``$TUNEREC_TORCH_THREADS``."""
    try:
        return max(1, int(os.environ.get("TUNEREC_TORCH_THREADS", TRAIN_THREADS)))
    except ValueError:
        return TRAIN_THREADS
ProgressFn = Callable[[dict[str, Any]], None]


class AdagradNesterov(torch.optim.Optimizer):
    """Adagrad with Nesterov momentum, the optimiser of the original GRU4Rec."""

    def __init__(self, params: Any, lr: float, momentum: float = 0.0, eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if group["weight_decay"]:
                    g = g.add(p, alpha=group["weight_decay"])
                st = self.state[p]
                if not st:
                    st["acc"] = torch.zeros_like(p)
                    st["vel"] = torch.zeros_like(p)
                st["acc"].addcmul_(g, g)
                upd = g / (st["acc"].sqrt() + group["eps"]) * group["lr"]
                m = group["momentum"]
                if m:
                    vel = st["vel"]
                    vel.mul_(m).add_(upd)
                    p.sub_(upd + m * vel)
                else:
                    p.sub_(upd)


def make_optimizer(net: GRU4RecNet, cfg: RNNConfig) -> torch.optim.Optimizer:
    """Adam or Adagrad-Nesterov; item embeddings get ``embedding_lr_scale`` × the rate
    (with a full softmax every artist gets a small gradient at every step, and Adam's normalised
    steps would make rare artists' embeddings drift away from their co-listening init)."""
    item_names = {"item_emb.weight", "out_emb.weight"}
    items = [p for n, p in net.named_parameters() if n in item_names]
    rest = [p for n, p in net.named_parameters() if n not in item_names]
    groups = [{"params": rest}, {"params": items, "lr": cfg.learning_rate * cfg.embedding_lr_scale}]
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.learning_rate, weight_decay=cfg.weight_decay, fused=True)
    return AdagradNesterov(groups, lr=cfg.learning_rate, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


# ----------------------------------------------------------------- validation
@torch.no_grad()
def next_item_metrics(net: GRU4RecNet, sessions: list[list[int]], k: int = 20, rows_per_chunk: int = 512) -> dict[str, float]:
    """Recall@k and MRR@k of the next-item task on sessions of item positions (full ranking,
    prefix items excluded, ties counted against the model)."""
    net.eval()
    sessions = sorted((s for s in sessions if len(s) >= 2), key=len)  # similar lengths: little padding
    hits = 0.0
    rr = 0.0
    n = 0
    chunk: list[list[int]] = []
    size = 0

    def flush(batch: list[list[int]]) -> tuple[float, float, int]:
        lengths = np.array([len(s) for s in batch])
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        keep = np.concatenate([np.arange(a, a + L - 1) for a, L in zip(starts, lengths)])  # rows with a next item
        scores = net.scores(net.encode(batch, all_positions=True)[torch.from_numpy(keep)])
        flat = np.concatenate([np.asarray(s, dtype=np.int64) for s in batch])
        first = np.repeat(starts, lengths - 1)
        rows, pos = ranges(first, keep + 1)  # each row's prefix (excluded from the ranking)
        scores.index_put_((torch.from_numpy(rows), torch.from_numpy(flat[pos])), torch.tensor(float("-inf")))
        targets = torch.from_numpy(flat[keep + 1])
        tgt = scores[torch.arange(len(targets)), targets].unsqueeze(1)
        rank = (scores >= tgt).sum(dim=1).numpy()
        ok = rank <= k
        return float(ok.sum()), float((1.0 / rank[ok]).sum()), len(rank)

    for s in sessions:
        chunk.append(s)
        size += len(s)
        if size >= rows_per_chunk:
            h, r, c = flush(chunk)
            hits, rr, n = hits + h, rr + r, n + c
            chunk, size = [], 0
    if chunk:
        h, r, c = flush(chunk)
        hits, rr, n = hits + h, rr + r, n + c
    return {f"recall@{k}": hits / max(n, 1), f"mrr@{k}": rr / max(n, 1), "events": n}


# ------------------------------------------------------------------- training
@dataclass
class TrainState:
    """Everything needed to continue a run: weights, optimiser, history, best epoch."""

    epoch: int = 0  # epochs completed
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = float("-inf")
    best_weights: dict[str, torch.Tensor] | None = None
    train_seconds: float = 0.0
    stopped: str = ""  # why training ended early ("interrupted", "time budget", "early stop")


def _step_targets(seqs: FlatSequences, pos: np.ndarray, seq: np.ndarray, cfg: RNNConfig) -> Targets:
    items = seqs.items
    nxt = torch.from_numpy(items[pos + 1])
    t = Targets(next_items=nxt)
    if cfg.loss == "set_softmax":
        ends = seqs.offsets[seq + 1]
        rows, p = ranges(pos + 1, ends)
        counts = (ends - pos - 1).astype(np.float32)
        t.rest_rows = torch.from_numpy(rows)
        t.rest_items = torch.from_numpy(items[p])
        t.rest_weights = torch.from_numpy(1.0 / counts[rows])
    if cfg.mask_seen and cfg.loss in ("set_softmax", "softmax"):
        rows, p = ranges(seqs.offsets[seq], pos + 1)
        t.seen_rows = torch.from_numpy(rows)
        t.seen_items = torch.from_numpy(items[p])
    return t


class Trainer:
    """Trains a :class:`GRU4RecNet` on :class:`TrainingData`, validating after each epoch."""

    def __init__(
        self,
        net: GRU4RecNet,
        data: TrainingData,
        cfg: RNNConfig,
        seed: int,
        val_sessions: list[list[int]] | None = None,
        item_counts: np.ndarray | None = None,
    ) -> None:
        self.net = net
        self.data = data
        self.cfg = cfg
        self.seed = seed
        self.val_sessions = val_sessions or []
        self.opt = make_optimizer(net, cfg)
        counts = item_counts if item_counts is not None else np.bincount(
            np.concatenate([data.sessions.items, data.profiles.items]), minlength=data.n_items
        )
        self.sample_p = sampling_probabilities(counts, cfg.sample_alpha)
        self.log_q = torch.from_numpy(np.log(np.maximum(self.sample_p, 1e-12)).astype(np.float32))
        self.counts = counts
        self.state = TrainState()

    # ------------------------------------------------------------------
    def run(
        self,
        progress: ProgressFn | None = None,
        should_stop: Callable[[], bool] | None = None,
        time_budget: float | None = None,
        on_epoch: Callable[["Trainer"], None] | None = None,
    ) -> TrainState:
        """Train until ``cfg.epochs``, early stopping, ``should_stop()`` or the time budget;
        the net ends with the best epoch's weights (or the last epoch's without validation)."""
        torch.set_num_threads(train_threads())
        cfg, st = self.cfg, self.state
        emit = progress or (lambda e: None)
        stop = should_stop or (lambda: False)
        t_start = time.perf_counter() - st.train_seconds
        n_events = self.data.n_events(cfg.profile_copies)
        while st.epoch < cfg.epochs and not st.stopped:
            epoch = st.epoch + 1
            emit({"event": "epoch_start", "epoch": epoch, "epochs": cfg.epochs, "events": n_events})
            budget_left = None if time_budget is None else time_budget - (time.perf_counter() - t_start)
            result = self._train_epoch(epoch, emit, stop, budget_left)
            if result is None:
                st.stopped = "interrupted" if stop() else "time budget"
                break
            loss, events, secs = result
            rec: dict[str, Any] = {
                "event": "epoch_end", "epoch": epoch, "epochs": cfg.epochs, "loss": loss, "events": events,
                "seconds": round(secs, 2), "events_per_s": round(events / max(secs, 1e-9), 1),
            }
            if self.val_sessions:
                t0 = time.perf_counter()
                m = next_item_metrics(self.net, self.val_sessions)
                rec.update({"val_recall": m["recall@20"], "val_mrr": m["mrr@20"], "val_seconds": round(time.perf_counter() - t0, 2)})
                score = m["recall@20"] + 1e-3 * m["mrr@20"]
            else:
                score = float(epoch)
            st.epoch = epoch
            st.train_seconds = time.perf_counter() - t_start
            if score > st.best_score:
                st.best_score, st.best_epoch = score, epoch
                st.best_weights = copy.deepcopy(self.net.state_dict())
            rec["best_epoch"] = st.best_epoch
            rec["elapsed"] = round(st.train_seconds, 2)
            avg_epoch = st.train_seconds / max(1, len(st.history) + 1)
            rec["eta"] = round(avg_epoch * (cfg.epochs - epoch), 1)
            st.history.append(rec)
            emit(rec)
            if on_epoch is not None:
                on_epoch(self)
            if self.val_sessions and epoch - st.best_epoch >= cfg.patience and epoch < cfg.epochs:
                st.stopped = "early stop"
            elif time_budget is not None and st.train_seconds + avg_epoch > time_budget and epoch < cfg.epochs:
                st.stopped = "time budget"
        if st.best_weights is not None:
            self.net.load_state_dict(st.best_weights)
        self.net.eval()
        emit({"event": "done", "epoch": st.epoch, "epochs": cfg.epochs, "best_epoch": st.best_epoch, "stopped": st.stopped,
              "elapsed": round(st.train_seconds, 2)})
        return st

    # ------------------------------------------------------------------
    def _train_epoch(
        self, epoch: int, emit: ProgressFn, stop: Callable[[], bool], budget_left: float | None
    ) -> tuple[float, int, float] | None:
        cfg, net, opt = self.cfg, self.net, self.opt
        rng = np.random.default_rng([self.seed, epoch])
        torch.manual_seed(self.seed * 1009 + epoch)
        seqs = self.data.epoch(rng, profile_copies=cfg.profile_copies, profile_order=cfg.profile_order, reshuffle=cfg.reshuffle)
        sampler = NegativeSampler(self.counts, cfg.sample_alpha, cfg.sample_block, rng) if cfg.loss in ("sampled_softmax", "bpr_max") else None
        items = torch.from_numpy(seqs.items)
        B = cfg.batch_size
        hidden = net.init_hidden(B)
        pooled_sum = torch.zeros(B, cfg.embedding_dim) if cfg.pooling == "mean" else None
        pooled_n = torch.zeros(B, 1)
        total = seqs.n_events
        done = 0
        loss_sum = 0.0
        t0 = time.perf_counter()
        last_emit = t0
        net.train()
        for step in session_parallel_steps(seqs.offsets, B):
            if stop() or (budget_left is not None and time.perf_counter() - t0 > budget_left):
                return None
            slots = torch.from_numpy(step.slots)
            reset = torch.from_numpy(step.reset)
            h = hidden[:, slots]
            if step.reset.any():
                h[:, reset] = 0.0
            # bf16 only for full batches: every batch size of the shrinking tail would get its
            # own cached oneDNN primitive (about 1 GB extra memory at the end of an epoch)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16 and len(step.slots) == B):
                loss, new_h = self._step_loss(step, seqs, items, h, reset, slots, pooled_sum, pooled_n, sampler)
            hidden[:, slots] = new_h.detach().float()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            opt.step()
            R = len(step.slots)
            done += R
            loss_sum += float(loss.detach()) * R
            now = time.perf_counter()
            if now - last_emit >= 0.5:
                last_emit = now
                rate = done / max(now - t0, 1e-9)
                emit({"event": "batch", "epoch": epoch, "epochs": cfg.epochs, "done": done, "total": total,
                      "loss": loss_sum / done, "events_per_s": round(rate, 1), "epoch_eta": round((total - done) / max(rate, 1e-9), 1)})
        secs = time.perf_counter() - t0
        return loss_sum / max(done, 1), done, secs

    def _step_loss(self, step: Any, seqs: FlatSequences, items: torch.Tensor, h: torch.Tensor, reset: torch.Tensor,
                   slots: torch.Tensor, pooled_sum: torch.Tensor | None, pooled_n: torch.Tensor,
                   sampler: NegativeSampler | None) -> tuple[torch.Tensor, torch.Tensor]:
        cfg, net = self.cfg, self.net
        out, new_h, e = net.step(items[torch.from_numpy(step.pos)], h)
        pooled = None
        if pooled_sum is not None:
            ps = pooled_sum[slots]
            pn = pooled_n[slots]
            ps[reset] = 0.0
            pn[reset] = 0.0
            e32 = e.float()
            if cfg.dropout_item > 0:  # leave whole artists out of the pooled context
                keep = (torch.rand(len(e32), 1) >= cfg.dropout_item).float()
                e32 = e32 * keep
                pn = pn + keep
            else:
                pn = pn + 1.0
            total = ps + e32
            pooled = total / pn.clamp(min=1.0)
            pooled_sum[slots] = total.detach()
            pooled_n[slots] = pn
        q = net.output_vector(out, pooled)
        t = _step_targets(seqs, step.pos, step.seq, cfg)
        if cfg.loss == "set_softmax":
            loss = set_softmax_loss(net, q, t, cfg.mask_seen)
        elif cfg.loss == "softmax":
            loss = softmax_loss(net, q, t, cfg.mask_seen)
        else:
            assert sampler is not None
            neg = torch.from_numpy(sampler.draw(cfg.n_sample))
            if cfg.loss == "sampled_softmax":
                loss = sampled_softmax_loss(net, q, t, neg, self.log_q, cfg.logq)
            else:
                loss = bpr_max_loss(net, q, t, neg, cfg.bpreg)
        return loss, new_h
