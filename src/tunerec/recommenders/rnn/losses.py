"""Training losses over the output scores of one session-parallel step.

All take the query vectors ``q`` (R, d) of the step and a :class:`Targets`; the full-softmax
losses score every artist, the sampled ones only the mini-batch's targets plus shared
negatives drawn from popularity^alpha.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from tunerec.recommenders.rnn.model import GRU4RecNet

NEG_INF = float("-inf")


@dataclass
class Targets:
    """Per row: the next item; (row, item) pairs of the items still to come (``rest_*``,
    with weights 1/count per row); (row, item) pairs of the items already seen (``seen_*``)."""

    next_items: torch.Tensor
    rest_rows: torch.Tensor | None = None
    rest_items: torch.Tensor | None = None
    rest_weights: torch.Tensor | None = None
    seen_rows: torch.Tensor | None = None
    seen_items: torch.Tensor | None = None


def _masked_logits(net: GRU4RecNet, q: torch.Tensor, t: Targets, mask_seen: bool) -> torch.Tensor:
    logits = net.scores(q).float()
    if mask_seen and t.seen_rows is not None and len(t.seen_rows):
        # in place: the matmul's backward does not need its output
        logits.index_put_((t.seen_rows, t.seen_items), torch.tensor(NEG_INF))
    return logits


def set_softmax_loss(net: GRU4RecNet, q: torch.Tensor, t: Targets, mask_seen: bool) -> torch.Tensor:
    """Full-softmax cross-entropy against the uniform distribution over the items still to come."""
    assert t.rest_rows is not None and t.rest_items is not None and t.rest_weights is not None
    logp = torch.log_softmax(_masked_logits(net, q, t, mask_seen), dim=1)
    return -(logp[t.rest_rows, t.rest_items] * t.rest_weights).sum() / len(q)


def softmax_loss(net: GRU4RecNet, q: torch.Tensor, t: Targets, mask_seen: bool) -> torch.Tensor:
    """Full-softmax cross-entropy on the next item."""
    return F.cross_entropy(_masked_logits(net, q, t, mask_seen), t.next_items)


def _sampled_logits(net: GRU4RecNet, q: torch.Tensor, t: Targets, negatives: torch.Tensor) -> torch.Tensor:
    cand = torch.cat([t.next_items, negatives])
    w = net.output_weight[cand]
    return q @ w.T + net.out_bias[cand], cand


def sampled_softmax_loss(
    net: GRU4RecNet, q: torch.Tensor, t: Targets, negatives: torch.Tensor, log_q: torch.Tensor | None, logq: float
) -> torch.Tensor:
    """Cross-entropy over the batch's targets + shared negatives (column r is row r's target),
    with the logQ correction ``logits -= logq * log p_sample(item)`` when ``log_q`` is given."""
    logits, cand = _sampled_logits(net, q, t, negatives)
    if log_q is not None and logq:
        logits = logits - logq * log_q[cand]
    return F.cross_entropy(logits, torch.arange(len(q)))


def bpr_max_loss(net: GRU4RecNet, q: torch.Tensor, t: Targets, negatives: torch.Tensor, bpreg: float) -> torch.Tensor:
    """BPR-max (Hidasi & Karatzoglou 2018): -log Σ_j s_j σ(r_i - r_j) + bpreg Σ_j s_j r_j²,
    s = softmax over the negative scores (the row's own target excluded)."""
    logits, _ = _sampled_logits(net, q, t, negatives)
    R = len(q)
    pos = logits[torch.arange(R), torch.arange(R)].unsqueeze(1)
    own = torch.zeros_like(logits, dtype=torch.bool)
    own[torch.arange(R), torch.arange(R)] = True
    neg_logits = logits.masked_fill(own, NEG_INF)
    s = torch.softmax(neg_logits, dim=1)
    sig = torch.sigmoid(pos - logits).masked_fill(own, 0.0)
    loss = -torch.log((s * sig).sum(dim=1) + 1e-24) + bpreg * (s * logits.masked_fill(own, 0.0) ** 2).sum(dim=1)
    return loss.mean()
