"""Where could the GA's trade-off still improve? Two checks on validation carves of the TRAIN users.

1. Relevance information (``--features``): the calibration's logistic model of a candidate's
   hit chance (ga/calibration.py) refitted with extra features — how many session artists
   co-listen with it, its strongest single similarity, friends of the session's listeners who
   play it, session-kNN and EASE scores — fitted on one carve's GA pools and scored on the
   other carve's (both ways): Recall@20 of each session's top 20 by estimated hit chance.
   With scikit-learn installed, a gradient-boosted model of the same features is added.
2. Optimiser convergence (``--polish``): the "price" value at d = 0.5 of the front's pick, of
   the pick after the swap search (ga/polish.py) with its 20-swap cap and with 100 swaps,
   and of the best of 100-swap searches started from the five best front lists and every seed list.

    TUNEREC_HOME=$(mktemp -d) nice .venv/bin/python bench/ga_headroom.py --features
    TUNEREC_HOME=$(mktemp -d) nice .venv/bin/python bench/ga_headroom.py --polish --max 200
"""

from __future__ import annotations

import argparse

import numpy as np

from tunerec.data import load_dataset
from tunerec.evaluation import make_split, validation_split
from tunerec.evaluation.harness import list_cases, sample_events
from tunerec.recommenders.ga import GARecommender
from tunerec.recommenders.ga.calibration import fit_coefficients, hit_probability
from tunerec.recommenders.ga.pool import build_pool
from tunerec.recommenders.knn import ItemKNN, SessionKNN

EXTRA = ("log_support", "support_share", "log_max_over_sum", "log_friends", "sknn_log_rank", "sknn_ratio", "ease_log_rank", "ease_ratio")
SETS = {
    "calibration features (shipped)": (),
    "+ co-listening support": (0, 1, 2),
    "+ friends": (3,),
    "+ session-kNN": (4, 5),
    "+ EASE": (6, 7),
    "+ all": tuple(range(len(EXTRA))),
}


def rank_of(scores: np.ndarray) -> np.ndarray:
    out = np.empty(len(scores))
    out[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    return out


def carve_pools(ds, val_seed: int) -> tuple[np.ndarray, ...]:
    """Calibration features, extra features, hit flags, 1/|targets| weights and session rows of a carve's GA pools."""
    from tunerec.recommenders.ease import EASERecommender

    split = validation_split(make_split(ds, 42).train, val_seed)
    given, targets = list_cases(split)
    knn = ItemKNN("both").fit(split.train)
    sknn, ease = SessionKNN().fit(split.train), EASERecommender().fit(split.train)
    ga = GARecommender(source=knn).fit(split.train)
    feat = ga.features
    scores, s_scores, e_scores = (m.score_sessions(given) for m in (knn, sknn, ease))
    out: list[list[np.ndarray]] = [[], [], [], [], []]
    for r, (g, t) in enumerate(zip(given, targets)):
        gi = ga.indices_of(g)
        gi = np.unique(gi[gi >= 0])
        banned = np.zeros(len(ga.item_ids), dtype=bool)
        banned[gi] = True
        pool = build_pool(feat, scores[r], gi, banned, sizes=ga.sizes, calibrated=True)
        it = pool.items
        sims = knn.similarity_rows(g)[:, it].toarray()
        support = (sims > 0).sum(axis=0)
        strongest = sims.max(axis=0) if len(sims) else np.zeros(len(it))
        extra = [np.log1p(support), support / max(len(gi), 1), np.log(np.maximum(strongest, 1e-12) / np.maximum(pool.scores, 1e-12)).clip(-14, 0)]
        extra.append(np.log1p(pool.friend_count))
        for sc in (s_scores[r], e_scores[r]):
            sc = np.where(banned, -np.inf, sc)
            top = max(float(sc[np.isfinite(sc)].max()), 1e-12)
            extra += [np.log1p(rank_of(sc)[it]), np.clip(sc[it] / top, -1, 1)]
        tset = {int(a) for a in t}
        out[0].append(pool.features)
        out[1].append(np.stack(extra, axis=1))
        out[2].append(np.array([int(a) in tset for a in ga.item_ids[it]], dtype=float))
        out[3].append(np.full(len(it), 1.0 / len(tset)))
        out[4].append(np.full(len(it), r))
    return tuple(np.concatenate(o) for o in out)


def top20_recall(p: np.ndarray, y: np.ndarray, w: np.ndarray, row: np.ndarray) -> float:
    order = np.lexsort((-p, row))
    rs = row[order]
    starts = np.r_[0, np.flatnonzero(np.diff(rs)) + 1, len(rs)]
    return float(np.mean([(y[order[a:b][:20]] * w[order[a:b][:20]]).sum() for a, b in zip(starts[:-1], starts[1:])]))


def check_features(ds) -> None:
    data = {s: carve_pools(ds, s) for s in (42, 43)}
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError:
        HistGradientBoostingClassifier = None
    for fit_seed, test_seed in ((42, 43), (43, 42)):
        x, ex, y, w, _ = data[fit_seed]
        x2, ex2, y2, w2, row2 = data[test_seed]
        print(f"fitted on carve {fit_seed} ({len(x)} candidates, {int(y.sum())} hits), scored on carve {test_seed}:")
        print(f"  {'item-kNN rank alone':32s} {top20_recall(-np.arange(len(y2), dtype=float), y2, w2, row2):.4f}")
        for name, cols in SETS.items():
            a, b = np.c_[x, ex[:, list(cols)]], np.c_[x2, ex2[:, list(cols)]]
            line = f"  {name:32s} {top20_recall(hit_probability(b, fit_coefficients(a, y, w)), y2, w2, row2):.4f}"
            if HistGradientBoostingClassifier is not None:
                gbm = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=200, random_state=0)
                gbm.fit(a, y, sample_weight=w * len(w) / w.sum())
                line += f"   boosted trees {top20_recall(gbm.predict_proba(b)[:, 1], y2, w2, row2):.4f}"
            print(line, flush=True)


def check_polish(ds, max_sessions: int) -> None:
    from tunerec.recommenders.ga.choose import price_value
    from tunerec.recommenders.ga.objectives import evaluate
    from tunerec.recommenders.ga.polish import polish

    split = validation_split(make_split(ds, 42).train, 42)
    given, _ = list_cases(split)
    chosen = sample_events(len(given), max_sessions or None, split.seed)
    given = given if chosen is None else [given[j] for j in chosen]
    ga = GARecommender(source=ItemKNN("both"), deadline=None).fit(split.train)
    d, share = 0.5, ga.novelty_share
    values: dict[str, list[float]] = {"front pick": [], "swaps (20 max, shipped)": [], "swaps (100 max)": [], "best of 5 front + seed starts": []}
    for g in given:
        run = ga.run(g, k=20, exclude=g)
        pa = run.arrays
        if pa is None:
            continue

        def value(row: np.ndarray) -> float:
            return float(price_value(evaluate(pa, row[None]), d, pa.hits, share)[0])  # type: ignore[arg-type]

        fv = price_value(run.front_objectives, d, pa.hits, share)  # type: ignore[arg-type]
        pick = run.front_lists[int(np.argmax(fv))]
        starts = [run.front_lists[i] for i in np.argsort(-fv)[:5]] + list(run.seeds if run.seeds is not None else [])
        values["front pick"].append(value(pick))
        values["swaps (20 max, shipped)"].append(value(polish(pa, pick, d, share)))
        values["swaps (100 max)"].append(value(polish(pa, pick, d, share, max_swaps=100)))
        values["best of 5 front + seed starts"].append(max(value(polish(pa, s, d, share, max_swaps=100)) for s in starts))
    base = np.asarray(values["front pick"])
    print(f"price value at d = 0.5, {len(base)} validation sessions (carve 42):")
    for name, v in values.items():
        print(f"  {name:32s} mean {np.mean(v):.5f}  gain over the front pick {np.mean(np.asarray(v) - base):+.5f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", action="store_true", help="relevance information check (two carves, ~3 min)")
    ap.add_argument("--polish", action="store_true", help="optimiser convergence check")
    ap.add_argument("--max", type=int, default=200, help="sessions for --polish (0: all)")
    args = ap.parse_args()
    ds = load_dataset()
    if args.features:
        check_features(ds)
    if args.polish:
        check_polish(ds, args.max)
    if not (args.features or args.polish):
        ap.error("choose --features and/or --polish")


if __name__ == "__main__":
    main()
