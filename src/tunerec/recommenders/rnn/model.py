"""The network: GRU over artist embeddings, scores = output vector · item embeddings + bias."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tunerec.recommenders.rnn.config import RNNConfig


class GRU4RecNet(nn.Module):
    """Item embedding -> dropout -> GRU (1+ layers) -> dropout -> projection to the embedding
    size (when hidden != embedding) [+ mean input embedding of the session] -> dot with the
    output item embeddings (tied to the input ones when ``tie_embeddings``) + item bias."""

    def __init__(self, n_items: int, cfg: RNNConfig) -> None:
        super().__init__()
        d, h = cfg.embedding_dim, cfg.hidden_size
        self.n_items = n_items
        self.cfg = cfg
        self.item_emb = nn.Embedding(n_items, d)
        self.gru = nn.GRU(d, h, num_layers=cfg.num_layers, dropout=cfg.dropout_hidden if cfg.num_layers > 1 else 0.0)
        self.proj = nn.Linear(h, d) if h != d or cfg.pooling == "mean" else None
        self.out_emb = None if cfg.tie_embeddings else nn.Embedding(n_items, d)
        self.out_bias = nn.Parameter(torch.zeros(n_items))
        self.drop_emb = nn.Dropout(cfg.dropout_embedding)
        self.drop_hidden = nn.Dropout(cfg.dropout_hidden)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-style uniform init of every weight matrix, zero biases."""
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                if name.startswith("gru."):
                    # each gate block of the stacked GRU matrices gets its own fan
                    rows = p.shape[0] // 3
                    for k in range(3):
                        nn.init.xavier_uniform_(p.data[k * rows : (k + 1) * rows])
                else:
                    nn.init.xavier_uniform_(p)
            else:
                nn.init.zeros_(p)
        if self.cfg.pooling == "mean" and self.proj is not None:
            # the GRU starts silent: the first scores come from the pooled embeddings alone
            nn.init.zeros_(self.proj.weight)

    def set_item_embeddings(self, emb: np.ndarray, out: np.ndarray | None = None) -> None:
        """Copy ``emb`` into the input embeddings and ``out`` (default: ``emb``) into the
        untied output embeddings."""
        with torch.no_grad():
            self.item_emb.weight.copy_(torch.from_numpy(np.ascontiguousarray(emb, dtype=np.float32)))
            if self.out_emb is not None:
                self.out_emb.weight.copy_(torch.from_numpy(np.ascontiguousarray(emb if out is None else out, dtype=np.float32)))

    @property
    def output_weight(self) -> torch.Tensor:
        return self.item_emb.weight if self.out_emb is None else self.out_emb.weight

    def init_hidden(self, batch: int) -> torch.Tensor:
        return torch.zeros(self.cfg.num_layers, batch, self.cfg.hidden_size)

    def output_vector(self, h_top: torch.Tensor, pooled: torch.Tensor | None) -> torch.Tensor:
        """(R, hidden) top-layer states (+ (R, d) mean input embeddings) -> (R, d) query vectors."""
        x = self.drop_hidden(h_top)
        if self.proj is not None:
            x = self.proj(x)
        if pooled is not None:
            x = x + pooled
        return x

    def step(self, items: torch.Tensor, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One step for a batch: (R,) items, (L, R, H) hidden -> (top output, new hidden, input embeddings)."""
        e = self.item_emb(items)
        x = self.drop_emb(e)
        out, new_h = self.gru(x.unsqueeze(0), hidden)
        return out[0], new_h, e

    def scores(self, q: torch.Tensor) -> torch.Tensor:
        """(R, d) query vectors -> (R, n_items) scores."""
        return q @ self.output_weight.T + self.out_bias

    def encode(self, sessions: list[list[int]], all_positions: bool = False) -> torch.Tensor:
        """Query vectors for non-empty sessions of item positions.

        Returns (n, d) for the last position of each session, or with ``all_positions`` a
        (sum of lengths, d) tensor with one row per position (session by session).
        """
        n = len(sessions)
        lengths = torch.tensor([len(s) for s in sessions], dtype=torch.int64)
        T = int(lengths.max())
        pad = torch.zeros(n, T, dtype=torch.int64)
        for i, s in enumerate(sessions):
            pad[i, : len(s)] = torch.as_tensor(s, dtype=torch.int64)
        e = self.item_emb(pad)  # (n, T, d)
        x = self.drop_emb(e)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # (n, T, H)
        pooled = None
        if self.cfg.pooling == "mean":
            mask = (torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(2).float()
            csum = torch.cumsum(e * mask, dim=1)
            pooled = csum / torch.arange(1, T + 1, dtype=torch.float32).view(1, T, 1)
        if all_positions:
            keep = torch.arange(T).unsqueeze(0) < lengths.unsqueeze(1)
            return self.output_vector(out[keep], None if pooled is None else pooled[keep])
        last = lengths - 1
        idx = torch.arange(n)
        return self.output_vector(out[idx, last], None if pooled is None else pooled[idx, last])


def param_count(net: nn.Module) -> int:
    return int(sum(p.numel() for p in net.parameters()))


def glorot_scale(n_items: int, dim: int) -> float:
    return math.sqrt(6.0 / (n_items + dim))
