"""Tune the GA on a validation split of the TRAIN users (never the test users).

Each validation session is evolved once per configuration; every (choice method, d)
pair then picks its list from the same final front, so one run gives a whole
trade-off curve. Lists are scored with the evaluation's own metrics and printed
relative to item-kNN (iknn_both) on the same sessions.

    nice .venv/bin/python bench/bench_ga_tune.py --max 300 --support 0,10,20 --methods sum,floor
    nice .venv/bin/python bench/bench_ga_tune.py --max 300 --relevance calibrated --methods floor/0.6^1@0.8
    nice .venv/bin/python bench/bench_ga_tune.py --max 0 --calibrate   # fit the calibration on all validation sessions
    nice .venv/bin/python bench/bench_ga_tune.py --max 0 --calibrate --hybrid   # the hybrid's (RNN + item-kNN)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tunerec.data import load_dataset
from tunerec.evaluation import make_split, metrics, validation_split
from tunerec.evaluation.harness import list_cases, sample_events
from tunerec.recommenders.ga import GARecommender
from tunerec.recommenders.ga.choose import choose, order_list
from tunerec.recommenders.ga.polish import polish
from tunerec.recommenders.ga.pool import PoolSizes
from tunerec.recommenders.knn import ItemKNN


def list_metrics(lists, targets, split) -> dict[str, float]:
    recall, ndcg = metrics.recall_ndcg(lists, targets, 20)
    ild, untagged = metrics.intra_list_distance(lists, split.tag_profiles, split.tagged)
    return {
        "recall": recall,
        "ndcg": ndcg,
        "ild": ild,
        "novelty": metrics.novelty(lists, split.listeners, split.n_train_users),
        "untagged": untagged,
    }


def calibrate(split, knn, given, targets, rnn=None) -> None:
    """Fit :mod:`tunerec.recommenders.ga.calibration` on the GA's pools of the validation
    sessions (hit = the candidate is in the session's targets; weight 1 / number of targets)
    and print the coefficients, with the fit on a random half checked on the other half.
    The pools are the GA's own (their long-tail slice is chosen by the current coefficients).
    With ``rnn``: the hybrid's (RNN relevance, item-kNN co-listening)."""
    from tunerec.recommenders.ga.calibration import FEATURES, HYBRID_FEATURES, fit_coefficients, hit_probability

    ga = GARecommender(source=rnn or knn, colisten=knn if rnn else None, relevance="calibrated").fit(split.train)
    xs, ys, ws, rows = [], [], [], []
    for r, (g, t) in enumerate(zip(given, targets)):
        pool = ga.run(g, k=20, exclude=g, evolve_lists=False).pool  # the GA's own pool
        tset = set(int(a) for a in t)
        xs.append(pool.features)
        ys.append(np.array([int(a) in tset for a in ga.item_ids[pool.items]], dtype=float))
        ws.append(np.full(len(pool), 1.0 / len(tset)))
        rows.append(np.full(len(pool), r))
    x, y, w, row = map(np.concatenate, (xs, ys, ws, rows))
    half = np.random.default_rng(split.seed).random(len(given)) < 0.5
    fit_half = half[row]

    def recall_of_top(b: np.ndarray, mask: np.ndarray) -> float:
        p = hit_probability(x, b)
        out = []
        for r in np.unique(row[mask]):
            sel = np.flatnonzero(row == r)
            top = sel[np.argsort(-p[sel], kind="stable")[:20]]
            out.append(float((y[top] * w[top]).sum()))
        return float(np.mean(out))

    b_half = fit_coefficients(x[fit_half], y[fit_half], w[fit_half])
    print(f"half-split check: Recall@20 of the top-20 by p on the other half {recall_of_top(b_half, ~fit_half):.4f}")
    b = fit_coefficients(x, y, w)
    print(f"{len(given)} sessions, {len(x)} candidates, {int(y.sum())} hits; {'HYBRID_' if rnn else ''}COEFFICIENTS = (")
    print(f"    {b[0]:.4f},  # intercept")
    for name, v in zip(HYBRID_FEATURES if rnn else FEATURES, b[1:]):
        print(f"    {v:.4f},  # {name}")
    print(")")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--val-seed", type=int, default=None, help="seed of the validation carve of the train users (default --seed)")
    ap.add_argument("--max", type=int, default=300, help="validation sessions (sampled with the split seed; 0: all)")
    ap.add_argument("--support", default="0", help="comma-separated listener-shrinkage values")
    ap.add_argument(
        "--methods", default="sum,floor", help="METHOD[/FLOOR_SPAN[^FLOOR_POWER] or /PRICE_HITS][@NOVELTY_SHARE],..."
    )
    ap.add_argument("--relevance", default="auto", help="relevance of the GA: shrunk, calibrated or auto (the GA's default)")
    ap.add_argument("--no-linear-seeds", action="store_true", help="without the linearised greedy seed lists")
    ap.add_argument("--shares", default=None, help="comma-separated novelty shares of the GA (its seeds and choice); default the GA's")
    ap.add_argument("--price-hits", type=float, default=None, help="override choose.PRICE_HITS (seeds and default choice)")
    ap.add_argument("--price-min", type=float, default=None, help="override choose.PRICE_MIN_RELEVANCE")
    ap.add_argument("--polish", action="store_true", help="also score each price pick after the swap local search (ga/polish.py)")
    ap.add_argument("--hybrid", action="store_true", help="the RNN (default config, trained on the carve's train users; cached under TUNEREC_HOME) as relevance source, item-kNN as co-listening")
    ap.add_argument("--calibrate", action="store_true", help="fit the relevance calibration on the validation pools and print it")
    ap.add_argument("--ds", default="0,0.25,0.5,0.75,1")
    ap.add_argument("--pop", type=int, default=None)
    ap.add_argument("--gens", type=int, default=None)
    ap.add_argument("--deadline", type=float, default=None)
    ap.add_argument("--tag-weight", type=float, default=0.0)
    ap.add_argument("--sizes", default="", help="pool sizes, e.g. longtail=150,relevant=300 (default the GA's PoolSizes)")
    ap.add_argument("--seeds", action="store_true", help="also score the seed lists (top, MMR λ grid, relevance+novelty grid)")
    ap.add_argument("--discount", type=float, default=None, help="rank discount of the relevance objective (0 flat .. 1 DCG; default the GA's)")
    args = ap.parse_args()

    ds = load_dataset()
    split = validation_split(make_split(ds, args.seed).train, args.seed if args.val_seed is None else args.val_seed)
    given, targets = list_cases(split)
    chosen = sample_events(len(given), args.max or None, split.seed)
    if chosen is not None:
        given = [given[j] for j in chosen]
        targets = [targets[j] for j in chosen]
    tpos = [split.vocab_index(t) for t in targets]
    knn = ItemKNN("both").fit(split.train)

    def top_lists(model) -> list[np.ndarray]:
        scores = model.score_sessions(given)
        out = []
        for r, g in enumerate(given):
            row = scores[r].astype(np.float64)
            gi = model.indices_of(g)
            row[gi[gi >= 0]] = -np.inf
            out.append(split.vocab_index(model.item_ids[np.argsort(-row, kind="stable")[:20]]))
        return out

    base = list_metrics(top_lists(knn), tpos, split)
    print(f"validation sessions {len(given)}; iknn_both: " + " ".join(f"{k} {v:.4f}" for k, v in base.items()))

    import tunerec.recommenders.ga.choose as choose_mod

    if args.price_min is not None:
        choose_mod.PRICE_MIN_RELEVANCE = args.price_min
    if args.price_hits is not None:
        choose_mod.PRICE_HITS = args.price_hits
    rnn = None
    if args.hybrid:
        from tunerec.recommenders.rnn import RNNRecommender

        t0 = time.perf_counter()
        rnn = RNNRecommender(seed=args.seed, cache=True).fit(split.train)  # cached per carve under TUNEREC_HOME
        print(f"rnn for the carve's train users ready in {time.perf_counter() - t0:.0f}s", flush=True)
        m = list_metrics(top_lists(rnn), tpos, split)
        print(
            f"rnn: recall {m['recall']:.4f} ({m['recall'] / base['recall']:.1%}) ILD {m['ild']:.4f} ({m['ild'] / base['ild'] - 1:+.1%}) "
            f"novelty {m['novelty']:.3f} ({m['novelty'] / base['novelty'] - 1:+.1%})",
            flush=True,
        )
    if args.calibrate:
        calibrate(split, knn, given, targets, rnn)
        return

    from tunerec.recommenders.ga.nsga import GAConfig

    cfg = GAConfig()
    if args.pop:
        cfg = GAConfig(**{**cfg.__dict__, "pop_size": args.pop})
    if args.gens:
        cfg = GAConfig(**{**cfg.__dict__, "max_generations": args.gens})
    source, colisten = (rnn, knn) if rnn else (knn, None)
    d_values = [float(x) for x in args.ds.split(",")]
    shares = [float(x) for x in args.shares.split(",")] if args.shares else [None]
    for support, share in [(su, sh) for su in (float(x) for x in args.support.split(",")) for sh in shares]:
        extra = {} if share is None else {"novelty_share": share}
        ga = GARecommender(
            **extra,  # type: ignore[arg-type]
            source=source,
            colisten=colisten,
            deadline=args.deadline,
            support=support,
            config=cfg,
            rank_discount=args.discount,
            tag_weight=args.tag_weight,
            relevance=args.relevance,
            linear_seeds=not args.no_linear_seeds,
            sizes=PoolSizes(**{k: int(v) for k, v in (kv.split("=") for kv in args.sizes.split(",") if kv)}),
        ).fit(split.train)
        t0 = time.perf_counter()
        runs = [ga.run(g, k=20, exclude=g) for g in given]
        el = time.perf_counter() - t0
        lists: dict[tuple[str, float], list[np.ndarray]] = {}
        for run in runs:
            pa = run.arrays
            for method in args.methods.split(","):
                for d in d_values:
                    key = (method, d)
                    name, _, share = method.partition("@")
                    name, _, span = name.partition("/")
                    span, _, power = span.partition("^")
                    polished = (method + "+polish", d) if args.polish and name == "price" else None
                    if pa is None:
                        for kk in filter(None, (key, polished)):
                            lists.setdefault(kk, []).append(np.zeros(0, np.int64))
                        continue
                    novelty_share = float(share) if share else ga.novelty_share
                    hits_unit = float(span) if span and name == "price" else ga.price_hits
                    pick = choose(
                        run.front_objectives,
                        d,
                        name,
                        novelty_share,
                        float(span) if span and name == "floor" else None,
                        float(power) if power else None,
                        hits=pa.hits,
                        hits_unit=hits_unit,
                    )
                    rows = {key: run.front_lists[pick]}
                    if polished:
                        rows[polished] = polish(pa, rows[key], d, novelty_share, hits_unit)
                    for kk, row in rows.items():
                        row = row[order_list(pa.rel[row], pa.sim[np.ix_(row, row)], pa.tagged[row])]
                        lists.setdefault(kk, []).append(split.vocab_index(ga.item_ids[run.pool.items[row]]))
        if args.seeds:
            for run in runs:
                if run.seeds is None:
                    continue
                for j, row in enumerate(run.seeds):
                    lists.setdefault((f"seed{j}", 0.0), []).append(split.vocab_index(ga.item_ids[run.pool.items[row]]))
        gens = np.mean([r.evolution.generations for r in runs if r.evolution])
        print(f"support {support} share {ga.novelty_share}: {el / len(given) * 1000:.0f} ms/list, {gens:.1f} generations")
        for (method, d), ls in lists.items():
            m = list_metrics(ls, tpos, split)
            print(
                f"  {method:11s} d={d:<4} recall {m['recall']:.4f} ({m['recall'] / base['recall']:.1%}) "
                f"ndcg {m['ndcg']:.4f} ILD {m['ild']:.4f} ({m['ild'] / base['ild'] - 1:+.1%}) "
                f"novelty {m['novelty']:.3f} ({m['novelty'] / base['novelty'] - 1:+.1%}) untagged {m['untagged']:.3f}"
            )


if __name__ == "__main__":
    main()
