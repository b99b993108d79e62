"""Calibrated relevance: the chance that a candidate shows up in the rest of the session.

Item-kNN's raw co-listening score is a poor guide to *which* little-known artists come true:
artists with one or two listeners top many rankings on the strength of one or two people
and rarely turn out right, while a little-known artist that shares the session's tags often
does. The GA trades relevance against novelty additively, so its relevance has to be on
the scale of expected hits, or every trade it makes is mispriced. This module estimates

    p(hit) = sigmoid(b · x)

from a few features of a candidate in its pool (:data:`FEATURES`): the log of its score
relative to the pool's best, the log of its rank in the source's ranking, the log of its
listener share (and its square, and its product with the score ratio), the cosine of its
tag profile with the session's (raw, times the log share, and relative to the pool's best).
:data:`COEFFICIENTS` were fitted by :func:`fit_coefficients` (weighted logistic regression,
each session weighted by 1 / its number of targets, as Recall@20 weighs it) on the pools of
the validation split of the train users (protocol hetrec-sessions-v2, seed 42), with
``bench/bench_ga_tune.py --calibrate``. They hold for item-kNN (``iknn_both``) scores.
In hybrid mode (the RNN as relevance source, item-kNN as co-listening ranker) the same
features are taken of the RNN's scores, which are logits (so the "log score ratio" is the
difference to the pool's best), plus item-kNN's log score ratio and rank
(:data:`HYBRID_FEATURES`, :data:`HYBRID_COEFFICIENTS`, fitted the same way with
``bench/bench_ga_tune.py --calibrate --hybrid``, the RNN trained on the carve's train users).
Other relevance sources use the listener shrinkage of :func:`.pool.normalised_relevance`.
"""

from __future__ import annotations

import numpy as np

FEATURES = (
    "log_score_ratio",
    "log_rank",
    "log_share",
    "log_share_sq",
    "score_ratio_x_share",
    "tag_sim",
    "tag_sim_x_share",
    "tag_sim_ratio",
)
#: The hybrid's features: :data:`FEATURES` of the RNN's scores, then item-kNN's.
HYBRID_FEATURES = FEATURES + ("colisten_log_score_ratio", "colisten_log_rank")
#: Intercept, then one weight per feature of :data:`FEATURES` (fitted on the GA's pools of
#: the 1010 validation sessions: 433,096 candidates, 2492 hits; fitted on a random half, the
#: top-20 by p of the other half's pools reach Recall@20 .163, item-kNN's own top-20 .126).
COEFFICIENTS = (
    -3.1784,  # intercept
    0.3873,  # log_score_ratio
    -0.3537,  # log_rank
    0.4296,  # log_share
    -0.0163,  # log_share_sq
    0.0630,  # score_ratio_x_share
    -1.4803,  # tag_sim
    -0.4298,  # tag_sim_x_share
    2.2012,  # tag_sim_ratio
)
#: The hybrid's (fitted as :data:`COEFFICIENTS` are, the RNN trained on the carve's train users:
#: 475,201 candidates, 2549 hits; half-split check: Recall@20 of the top-20 by p .167).
HYBRID_COEFFICIENTS = (
    -3.6433,  # intercept
    -0.0124,  # log_score_ratio (RNN logit difference)
    -0.0667,  # log_rank (RNN)
    0.4031,  # log_share
    0.0180,  # log_share_sq
    -0.0104,  # score_ratio_x_share
    -1.2513,  # tag_sim
    -0.3349,  # tag_sim_x_share
    2.5687,  # tag_sim_ratio
    0.0773,  # colisten_log_score_ratio
    -0.2851,  # colisten_log_rank
)
#: Lower bound of the log score ratio (scores of candidates the source barely ranks).
MIN_LOG_RATIO = -14.0


def log_score_ratio(scores: np.ndarray, logits: bool = False) -> np.ndarray:
    """log(score / best score), floored at :data:`MIN_LOG_RATIO` (-inf scores too); for
    ``logits`` the difference to the best. Zeros when no score is finite (or, not ``logits``, positive)."""
    s = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(s)
    if not finite.any():
        return np.zeros(len(s))
    top = float(s[finite].max())
    if logits:
        ratio = np.where(finite, s, -np.inf) - top
    elif top > 0:
        ratio = np.log(np.maximum(np.where(finite, s, 0.0), 1e-300) / top)
    else:
        return np.zeros(len(s))
    return np.maximum(ratio, MIN_LOG_RATIO)


def relevance_features(
    scores: np.ndarray,
    rank: np.ndarray,
    listeners: np.ndarray,
    n_users: int,
    tag_sim: np.ndarray,
    colisten: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Feature matrix ``(n, len(FEATURES))`` of a pool's candidates (see the module docstring);
    with ``colisten`` = (item-kNN scores, item-kNN ranks) the hybrid's ``(n, len(HYBRID_FEATURES))``,
    ``scores`` then being the RNN's logits."""
    s = np.asarray(scores, dtype=np.float64)
    n = len(s)
    width = len(FEATURES if colisten is None else HYBRID_FEATURES)
    if n == 0:
        return np.zeros((0, width))
    ratio = log_score_ratio(s, logits=colisten is not None)
    share = np.log(np.maximum(np.asarray(listeners, dtype=np.float64), 1.0) / max(int(n_users), 1))
    ts = np.asarray(tag_sim, dtype=np.float64)
    ts_top = float(ts.max()) if n else 0.0
    ts_ratio = ts / ts_top if ts_top > 0 else np.zeros(n)
    cols = [ratio, np.log1p(np.asarray(rank, dtype=np.float64)), share, share**2, ratio * share, ts, ts * share, ts_ratio]
    if colisten is not None:
        cols += [log_score_ratio(colisten[0]), np.log1p(np.asarray(colisten[1], dtype=np.float64))]
    return np.stack(cols, axis=1)


def hit_probability(x: np.ndarray, coefficients: tuple[float, ...] | np.ndarray = COEFFICIENTS) -> np.ndarray:
    """sigmoid(b0 + x · b) for a feature matrix from :func:`relevance_features`."""
    b = np.asarray(coefficients, dtype=np.float64)
    if len(b) != x.shape[1] + 1:
        raise ValueError(f"expected {x.shape[1] + 1} coefficients, got {len(b)}")
    z = b[0] + x @ b[1:]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))


def fit_coefficients(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = 0.01) -> np.ndarray:
    """Weighted logistic regression (L-BFGS on standardised features, L2 ``l2`` on the
    weights but not the intercept); returns the intercept and weights in raw feature units."""
    from scipy.optimize import minimize

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    z = np.c_[np.ones(len(x)), (x - mu) / sd]

    def loss(b: np.ndarray) -> tuple[float, np.ndarray]:
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ b, -50.0, 50.0)))
        ll = -(w * (y * np.log(p + 1e-12) + (1.0 - y) * np.log(1.0 - p + 1e-12))).sum()
        reg = np.r_[0.0, b[1:]]
        return float(ll + l2 * (reg**2).sum()), z.T @ (w * (p - y)) + 2.0 * l2 * reg

    b = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
    raw = b[1:] / sd
    return np.r_[b[0] - float(raw @ mu), raw]
