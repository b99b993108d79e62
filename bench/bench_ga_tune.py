"""Tune the GA on a validation split of the TRAIN users (never the test users).

Each validation session is evolved once per configuration; every (choice method, d)
pair then picks its list from the same final front, so one run gives a whole
trade-off curve. Lists are scored with the evaluation's own metrics and printed
relative to item-kNN (iknn_both) on the same sessions.

    nice .venv/bin/python bench/bench_ga_tune.py --max 300 --support 0,10,20 --methods sum,floor
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max", type=int, default=300, help="validation sessions (sampled with the split seed)")
    ap.add_argument("--support", default="0", help="comma-separated listener-shrinkage values")
    ap.add_argument("--methods", default="sum,floor", help="METHOD[/FLOOR_SPAN][@NOVELTY_SHARE],...")
    ap.add_argument("--ds", default="0,0.25,0.5,0.75,1")
    ap.add_argument("--pop", type=int, default=None)
    ap.add_argument("--gens", type=int, default=None)
    ap.add_argument("--deadline", type=float, default=None)
    ap.add_argument("--tag-weight", type=float, default=0.0)
    ap.add_argument("--seeds", action="store_true", help="also score the seed lists (top, MMR λ grid, relevance+novelty grid)")
    ap.add_argument("--discount", type=float, default=1.0, help="rank discount of the relevance objective (0 flat .. 1 DCG)")
    args = ap.parse_args()

    ds = load_dataset()
    split = validation_split(make_split(ds, args.seed).train, args.seed)
    given, targets = list_cases(split)
    chosen = sample_events(len(given), args.max, split.seed)
    if chosen is not None:
        given = [given[j] for j in chosen]
        targets = [targets[j] for j in chosen]
    tpos = [split.vocab_index(t) for t in targets]
    knn = ItemKNN("both").fit(split.train)
    scores = knn.score_sessions(given)
    base_lists = []
    for r, g in enumerate(given):
        row = scores[r].copy()
        gi = knn.indices_of(g)
        row[gi[gi >= 0]] = -np.inf
        base_lists.append(split.vocab_index(knn.item_ids[np.argsort(-row, kind="stable")[:20]]))
    base = list_metrics(base_lists, tpos, split)
    print(f"validation sessions {len(given)}; iknn_both: " + " ".join(f"{k} {v:.4f}" for k, v in base.items()))

    from tunerec.recommenders.ga.nsga import GAConfig

    cfg = GAConfig()
    if args.pop:
        cfg = GAConfig(**{**cfg.__dict__, "pop_size": args.pop})
    if args.gens:
        cfg = GAConfig(**{**cfg.__dict__, "max_generations": args.gens})
    d_values = [float(x) for x in args.ds.split(",")]
    for support in [float(x) for x in args.support.split(",")]:
        ga = GARecommender(source=knn, deadline=args.deadline, support=support, config=cfg, rank_discount=args.discount, tag_weight=args.tag_weight).fit(split.train)
        t0 = time.perf_counter()
        runs = [ga.run(g, k=20, exclude=g) for g in given]
        el = time.perf_counter() - t0
        lists: dict[tuple[str, float], list[np.ndarray]] = {}
        for run in runs:
            pa = run.arrays
            for method in args.methods.split(","):
                for d in d_values:
                    key = (method, d)
                    if pa is None:
                        lists.setdefault(key, []).append(np.zeros(0, np.int64))
                        continue
                    name, _, share = method.partition("@")
                    name, _, span = name.partition("/")
                    pick = choose(
                        run.front_objectives, d, name, float(share or 0.5), float(span) if span else None
                    )
                    row = run.front_lists[pick]
                    row = row[order_list(pa.rel[row], pa.sim[np.ix_(row, row)], pa.tagged[row])]
                    ids = ga.item_ids[run.pool.items[row]]
                    lists.setdefault(key, []).append(split.vocab_index(ids))
        if args.seeds:
            for run in runs:
                if run.seeds is None:
                    continue
                for j, row in enumerate(run.seeds):
                    lists.setdefault((f"seed{j}", 0.0), []).append(split.vocab_index(ga.item_ids[run.pool.items[row]]))
        gens = np.mean([r.evolution.generations for r in runs if r.evolution])
        print(f"support {support}: {el / len(given) * 1000:.0f} ms/list, {gens:.1f} generations")
        for (method, d), ls in lists.items():
            m = list_metrics(ls, tpos, split)
            print(
                f"  {method:11s} d={d:<4} recall {m['recall']:.4f} ({m['recall'] / base['recall']:.0%}) "
                f"ndcg {m['ndcg']:.4f} ILD {m['ild']:.4f} ({m['ild'] / base['ild'] - 1:+.0%}) "
                f"novelty {m['novelty']:.3f} ({m['novelty'] / base['novelty'] - 1:+.0%}) untagged {m['untagged']:.3f}"
            )


if __name__ == "__main__":
    main()
