"""Mean and spread over seeds of the next-item Recall@20 / MRR@20 of the RNN (default config)
and the kNN baselines, each seed being its own protocol split (same as running
``tunerec eval --models rnn,iknn_both,sknn --task next --seed S`` for each seed; the RNN
model of each seed is cached, so a second run only evaluates).

Usage: nice .venv/bin/python bench/rnn_seeds.py [--seeds 42,43,44] [--models rnn,iknn_both,sknn] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="42,43,44")
    ap.add_argument("--models", default="rnn,iknn_both,sknn")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args()
    from tunerec.data import load_dataset
    from tunerec.evaluation import make_split
    from tunerec.evaluation.harness import fit_and_evaluate

    seeds = [int(s) for s in args.seeds.split(",")]
    models = args.models.split(",")
    ds = load_dataset()
    rows: dict[str, list[dict]] = {m: [] for m in models}
    for seed in seeds:
        split = make_split(ds, seed)
        for m in models:
            t0 = time.perf_counter()
            r = fit_and_evaluate(m, split, tasks=("next",))
            rec = {"seed": seed, "recall@20": r["next"]["recall@20"], "mrr@20": r["next"]["mrr@20"], "fit_s": round(r["fit_s"], 1),
                   "eval_s": round(r["eval_s"], 1), "wall_s": round(time.perf_counter() - t0, 1)}
            rows[m].append(rec)
            print(f"seed {seed} {m}: R@20 {rec['recall@20']:.4f} MRR@20 {rec['mrr@20']:.4f} (fit {rec['fit_s']}s, eval {rec['eval_s']}s, "
                  f"load {os.getloadavg()[0]:.1f})", flush=True)
    summary = {}
    print("\nmodel | Recall@20 mean ± sd (min–max) | MRR@20 mean ± sd (min–max)")
    for m in models:
        r = [x["recall@20"] for x in rows[m]]
        q = [x["mrr@20"] for x in rows[m]]
        sd = (lambda v: statistics.stdev(v) if len(v) > 1 else 0.0)
        summary[m] = {"recall@20_mean": statistics.mean(r), "recall@20_sd": sd(r), "mrr@20_mean": statistics.mean(q), "mrr@20_sd": sd(q), "runs": rows[m]}
        print(f"{m} | {statistics.mean(r):.4f} ± {sd(r):.4f} ({min(r):.4f}–{max(r):.4f}) | {statistics.mean(q):.4f} ± {sd(q):.4f} ({min(q):.4f}–{max(q):.4f})")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"seeds": seeds, "summary": summary}, f, indent=2)


if __name__ == "__main__":
    main()
