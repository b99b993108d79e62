"""Calibrated relevance of the GA (hit probability of a candidate) and the "price" choice rule."""

from __future__ import annotations

import numpy as np
import pytest

from tunerec.recommenders.ga.calibration import (
    COEFFICIENTS,
    FEATURES,
    fit_coefficients,
    hit_probability,
    relevance_features,
)
from tunerec.recommenders.ga.choose import choose, price_weights


def test_fit_recovers_a_known_logistic_model() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40_000, 2)) * [1.0, 3.0] + [0.0, 5.0]
    true = np.array([-2.0, 1.5, -0.4])
    p = 1.0 / (1.0 + np.exp(-(true[0] + x @ true[1:])))
    y = (rng.random(len(x)) < p).astype(float)
    b = fit_coefficients(x, y, np.ones(len(x)), l2=0.0)
    assert b == pytest.approx(true, abs=0.12)
    # weights count: doubling the weight of the positives raises the intercept by about log 2
    w = np.where(y > 0, 2.0, 1.0)
    b2 = fit_coefficients(x, y, w, l2=0.0)
    assert b2[0] - b[0] == pytest.approx(np.log(2.0), abs=0.1)


def test_features_of_a_pool() -> None:
    scores = np.array([2.0, 1.0, 0.0, -np.inf])
    x = relevance_features(scores, np.array([0, 1, 5, 9]), np.array([100, 10, 1, 0]), 1000, np.array([0.0, 0.2, 0.4, 0.1]))
    assert x.shape == (4, len(FEATURES)) and np.isfinite(x).all()
    col = dict(zip(FEATURES, x.T))
    assert col["log_score_ratio"][0] == 0.0 and col["log_score_ratio"][1] == pytest.approx(np.log(0.5))
    assert col["log_score_ratio"][2] == col["log_score_ratio"][3] < np.log(0.5)  # zero and -inf scores: the floor
    assert col["log_rank"][0] == 0.0
    assert col["log_share"][0] == pytest.approx(np.log(0.1))
    assert col["log_share"][3] == col["log_share"][2]  # listeners count at least 1
    assert col["tag_sim_ratio"].max() == 1.0
    assert relevance_features(np.zeros(0), np.zeros(0), np.zeros(0), 10, np.zeros(0)).shape == (0, len(FEATURES))
    # no positive score (e.g. an empty session's fallback): the score ratio carries no information
    flat = relevance_features(np.zeros(3), np.arange(3), np.ones(3), 10, np.zeros(3))
    assert (flat[:, 0] == 0).all()


def test_hybrid_features_read_the_source_scores_as_logits() -> None:
    from tunerec.recommenders.ga.calibration import HYBRID_FEATURES

    logits = np.array([1.0, -0.5, -40.0, -np.inf])
    knn = (np.array([0.8, 0.4, 0.0, 0.1]), np.array([0, 1, 7, 3]))
    x = relevance_features(logits, np.array([0, 1, 5, 9]), np.array([100, 10, 1, 5]), 1000, np.zeros(4), colisten=knn)
    assert x.shape == (4, len(HYBRID_FEATURES)) and np.isfinite(x).all()
    col = dict(zip(HYBRID_FEATURES, x.T))
    assert col["log_score_ratio"].tolist() == [0.0, -1.5, -14.0, -14.0]  # differences, floored
    assert col["colisten_log_score_ratio"][1] == pytest.approx(np.log(0.5)) and col["colisten_log_score_ratio"][2] == -14.0
    assert col["colisten_log_rank"].tolist() == pytest.approx(np.log1p([0, 1, 7, 3]).tolist())
    assert col["log_share"][0] == pytest.approx(np.log(0.1)) and col["log_rank"][1] == pytest.approx(np.log(2))


def test_hit_probability() -> None:
    x = relevance_features(np.array([3.0, 1.0]), np.array([0, 200]), np.array([300, 2]), 1500, np.array([0.5, 0.0]))
    p = hit_probability(x)
    assert ((p > 0) & (p < 1)).all()
    assert p[0] > 5 * p[1]  # a top-ranked, tag-similar, known artist versus a far-down one-off
    with pytest.raises(ValueError, match="coefficients"):
        hit_probability(x, COEFFICIENTS[:-1])


F = np.array([[1.0, 2.0, 0.5], [0.9, 4.0, 0.6], [0.7, 6.0, 0.8], [0.3, 9.0, 0.9]])


def test_price_choice_prices_novelty_in_hits() -> None:
    for hits in (0.1, 1.0, 10.0):
        assert choose(F, 0.0, "price", 0.5, hits=hits) == 0
        assert F[choose(F, 1.0, "price", 0.5, hits=hits), 1] >= F[choose(F, 0.5, "price", 0.5, hits=hits), 1]
    # d = 0.5 (hand-computed values of price_value with 0.7 hits per unit): a session with
    # likely hits keeps them, one whose candidates are unlikely hits anyway gives relevance up
    assert choose(F, 0.5, "price", 0.5, hits=10.0, hits_unit=0.7) == 0
    assert choose(F, 0.5, "price", 0.5, hits=1.0, hits_unit=0.7) == 1
    assert choose(F, 0.5, "price", 0.5, hits=0.1, hits_unit=0.7) == 3
    # a dearer hit (larger unit) buys more novelty
    assert choose(F, 0.5, "price", 0.5, hits=1.0, hits_unit=3.0) == 3
    # without expected hits (uncalibrated relevance) "price" is the "floor" rule
    for d in (0.0, 0.5, 1.0):
        assert choose(F, d, "price", 0.5) == choose(F, d, "floor", 0.5)
    # session tags: coverage counts at d = 0, but relevance stays within the 20% tag slack
    ft = np.c_[F, [0.0, 1.0, 1.0, 1.0]]
    assert choose(ft, 0.0, "price", 0.5, hits=1.0, hits_unit=0.7) == 1


def test_price_weights_scale_with_discovery_and_hits() -> None:
    assert price_weights(0.0, 20, 0.05, 0.5) == (0.0, 0.0)
    n1, d1 = price_weights(0.5, 20, 0.05, 0.5)
    n2, d2 = price_weights(0.5, 20, 0.10, 0.5)
    assert n1 > 0 and d1 > 0 and n1 == pytest.approx(2 * n2) and d1 == pytest.approx(2 * d2)
    assert price_weights(0.5, 20, 0.05, 1.0)[1] == 0.0  # all of d on novelty
