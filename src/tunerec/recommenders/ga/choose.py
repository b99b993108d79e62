"""Picking one list from the Pareto front by the discovery setting, and ordering it.

Discovery d ∈ [0, 1] weights the front's objectives: relevance gets weight 1 − d, novelty
and diversity share d (coverage, when the session has tags, gets a fixed weight of its own).
With calibrated relevance (expected hits, :mod:`.calibration`) the default is ``"price"``:
a weighted sum in absolute units (hits, bits, ILD; :func:`price_value`), so that the price
of novelty in hits is the same in every session. Otherwise the front's objectives are scaled
to [0, 1] over the front and three scalarisations are available:
``"sum"`` (weighted sum), ``"tchebycheff"`` (smallest weighted distance to the ideal point
in the worst objective) and ``"floor"`` (the default: the most novel/diverse list whose
relevance is at least 1 − :data:`FLOOR_SPAN`·d^:data:`FLOOR_POWER` of the relevance-only list's; with session
tags the floor is :data:`TAG_FLOOR_SLACK` lower so that coverage can act even at d = 0).
On a validation split of the train users (bench/bench_ga_tune.py) "floor" gave the
smoothest and best trade-off curve of the scaled rules (the weighted sum jumps between
distant lists); with calibrated relevance "price" beat it (at equal recall, 3-5 points more
novelty and ILD at d = 0.5).
"""

from __future__ import annotations

import numpy as np

METHODS = ("sum", "tchebycheff", "floor", "price")
#: Weight of tag coverage when the session has tags (relative to a total of 1 for the rest).
COVERAGE_WEIGHT = 1.0
#: "floor" (the rule for uncalibrated relevance: sources other than item-kNN and the hybrid,
#: or ``relevance="shrunk"``): the chosen list keeps at least 1 − FLOOR_SPAN·d^FLOOR_POWER of
#: the top list's relevance: 89% at d = 0.5 and 70% at d = 1. With the RNN's min-max scaled
#: scores (the hybrid before its calibration) on the validation split of the train users
#: (bench/bench_ga_tune.py --hybrid --relevance shrunk, both carves), span 0.5 / 0.3 / 0.7 at
#: d = 0.5 kept 65% / 78% / 46% and 64% / 80% / 53% of iknn_both's Recall@20 (ILD +21% / +17% /
#: +24%, novelty +9% / −4% / +20% on the first carve). (With item-kNN relevance, before the
#: calibration, 0.5 had kept 95%.)
FLOOR_SPAN = 0.3
FLOOR_POWER = 1.5
#: "floor" with session tags: relevance the list may give up for tag coverage at any d.
TAG_FLOOR_SLACK = 0.2
#: "price": expected hits worth one unit of diversity (ILD) at d = 0.5 when all of d goes to
#: diversity, and bits of novelty worth one unit (see :func:`price_value`). Validation split of
#: the train users (novelty share 0.6; Recall@20 kept / ILD / novelty versus iknn_both at
#: d = 0.5), on the carve the calibration was fitted on (seed 42, 1010 sessions) and on a
#: second carve (seed 43, 1221 sessions): 0.50: 95%/+9%/+13% and 90%/+9%/+10%; 0.52: 92%/+10%/
#: +14% and 87%/+10%/+12%; 0.54: 92%/+11%/+15% and 85%/+11%/+13%. 0.52 keeps about 90% of the
#: recall and +10% ILD on average; no setting reached +15% novelty on both carves.
PRICE_HITS = 0.52
#: The hybrid's (relevance calibrated on the RNN's and item-kNN's scores): its pools hold
#: likelier hits, so the same unit keeps more relevance. Chosen the same way (the largest unit
#: whose recall kept at d = 0.5, with the swaps, averages 90% over both carves): 0.56 / 0.58 /
#: 0.60 / 0.62 gave 95% / 93% / 91% / 90% and 91% / 89% / 87% / 86% of iknn_both's Recall@20,
#: ILD +11% / +11% / +12% / +13% and +10% / +11% / +11% / +12%, novelty +13% / +14% / +16% /
#: +17% and +10% / +11% / +12% / +13% — the item-kNN GA's trade-off curve, within a point
#: (0.56 on the second carve with the calibration's first-pass coefficients).
HYBRID_PRICE_HITS = 0.58
PRICE_NOVELTY_BITS = 10.0
#: "price": relevance keeps at least this weight at d = 1 (the most adventurous list still
#: keeps some relevance: 27% of iknn_both's recall on the validation split, +47% novelty).
PRICE_MIN_RELEVANCE = 0.3


def scale(f: np.ndarray) -> np.ndarray:
    """Each column min-max scaled to [0, 1] (a constant column becomes 1)."""
    lo, hi = f.min(axis=0), f.max(axis=0)
    span = hi - lo
    return np.where(span > 0, (f - lo) / np.where(span > 0, span, 1.0), 1.0)


def weights_for(d: float, n_objectives: int, novelty_share: float = 0.5) -> np.ndarray:
    """Choice weights: relevance 1 − d; novelty and diversity split d by ``novelty_share``."""
    w = [1.0 - d, d * novelty_share, d * (1.0 - novelty_share)]
    if n_objectives > 3:
        w.append(COVERAGE_WEIGHT)
    return np.asarray(w)


def price_value(
    f: np.ndarray, d: float, hits: float, novelty_share: float, hits_unit: float | None = None
) -> np.ndarray:
    """The "price" rule's value of each list: a weighted sum in absolute units,

        max(1 − d, PRICE_MIN_RELEVANCE) · H / hits_unit
        + d · (share · novelty / PRICE_NOVELTY_BITS + (1 − share) · diversity)

    with H = relevance × ``hits`` the list's expected hits (``hits``: those of the relevance
    top list; ``hits_unit``: default :data:`PRICE_HITS`). With session tags, coverage adds :data:`COVERAGE_WEIGHT` × coverage and the
    list keeps at least 1 − :data:`TAG_FLOOR_SLACK` − d of the top list's relevance (:func:`choose`).
    Unlike min-max scaling over the front, the price of novelty in hits is the same
    in every session: a session whose candidates are unlikely hits anyway (a small ``hits``)
    gives relevance up cheaply, one with likely hits keeps them — over many sessions this
    buys more novelty per lost hit (a Lagrangian of expected recall against novelty and ILD).
    """
    hits_unit = PRICE_HITS if hits_unit is None else hits_unit
    rel_w = max(1.0 - d, PRICE_MIN_RELEVANCE)
    value = rel_w * f[:, 0] * hits / hits_unit + d * (novelty_share * f[:, 1] / PRICE_NOVELTY_BITS + (1.0 - novelty_share) * f[:, 2])
    if f.shape[1] > 3:
        value = value + COVERAGE_WEIGHT * f[:, 3]
    return value


def price_weights(
    d: float, k: int, hits_per_rel: float, novelty_share: float, hits_unit: float | None = None
) -> tuple[float, float]:
    """Per-artist weights (novelty in bits, mean tag distance) that linearise :func:`price_value`
    in units of normalised relevance (``hits_per_rel``: expected hits of an artist of
    relevance 1): adding an artist to a list of k changes the mean novelty by novelty / k and
    ILD by about 2 × (its mean distance to the others) / k (``hits_unit``: default :data:`PRICE_HITS`)."""
    hits_unit = PRICE_HITS if hits_unit is None else hits_unit
    rel_w = max(1.0 - d, PRICE_MIN_RELEVANCE)
    to_rel = hits_unit / (rel_w * max(hits_per_rel, 1e-12))
    k = max(k, 1)
    return d * novelty_share / (PRICE_NOVELTY_BITS * k) * to_rel, d * (1.0 - novelty_share) * 2.0 / k * to_rel


def choose(
    f: np.ndarray,
    d: float,
    method: str = "sum",
    novelty_share: float = 0.5,
    floor_span: float | None = None,
    floor_power: float | None = None,
    hits: float | None = None,
    hits_unit: float | None = None,
) -> int:
    """Row of ``f`` (front objectives, column 0 = relevance) chosen for discovery ``d``
    (``floor_span``/``floor_power``: the "floor" rule's, default :data:`FLOOR_SPAN`/:data:`FLOOR_POWER`;
    ``hits``: expected hits of the relevance top list, needed by "price", which falls back
    to "floor" without it; ``hits_unit``: "price"'s, default :data:`PRICE_HITS`).

    Ties go to the more relevant list, then to the lower row.
    """
    if method not in METHODS:
        raise ValueError(f"unknown choice method {method!r}; use one of {', '.join(METHODS)}")
    d = float(min(1.0, max(0.0, d)))
    if method == "price" and (hits is None or not hits > 0):
        method = "floor"
    s = scale(f)
    w = weights_for(d, f.shape[1], novelty_share)
    if method == "sum":
        value = s @ w
    elif method == "price":
        value = price_value(f, d, float(hits), novelty_share, hits_unit)  # type: ignore[arg-type]
        if f.shape[1] > 3:  # tag coverage may cost at most TAG_FLOOR_SLACK of relevance at d = 0
            value = np.where(f[:, 0] >= min(1.0 - TAG_FLOOR_SLACK - d, f[:, 0].max()), value, -np.inf)
    elif method == "tchebycheff":
        value = -(w * (1.0 - s)).max(axis=1)
    else:
        has_tags = f.shape[1] > 3
        span = (FLOOR_SPAN if floor_span is None else floor_span) * d ** (FLOOR_POWER if floor_power is None else floor_power)
        floor = 1.0 - span - (TAG_FLOOR_SLACK if has_tags else 0.0)
        ok = f[:, 0] >= min(floor, f[:, 0].max())
        rest = s[:, 1:] @ w[1:] if d > 0 or has_tags else s[:, 0]
        value = np.where(ok, rest, -np.inf)
    order = np.lexsort((np.arange(len(f)), -f[:, 0], -value))
    return int(order[0])


def order_list(rel: np.ndarray, sim: np.ndarray, tagged: np.ndarray, too_similar: float = 0.5, window: int = 3) -> np.ndarray:
    """Order of a list's artists: most relevant first, but two artists whose tag profiles
    have cosine ≥ ``too_similar`` are not put side by side when one of the next ``window``
    most relevant artists left is less similar (so a relevant artist is never buried)."""
    n = len(rel)
    left = list(np.lexsort((np.arange(n), -rel)))
    out: list[int] = []
    while left:
        pick = 0
        if out and tagged[out[-1]]:
            prev = out[-1]
            for pos, j in enumerate(left[:window]):
                if not tagged[j] or sim[prev, j] < too_similar:
                    pick = pos
                    break
        out.append(left.pop(pick))
    return np.asarray(out, dtype=np.int64)

