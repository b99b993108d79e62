"""RNN figures: training time to the best epoch, events/s, peak RSS, test Recall@20 / MRR@20
against iknn_both and sknn (same split, same run), and recommend() latency for a
10-artist session (p50/p95, with explanations) against iknn_both's.

Training uses the default config (or --config FILE) on the protocol's train users; with
--reuse, a model cached by ``tunerec eval --models rnn`` / ``tunerec train rnn`` for the
same split, seed and config is loaded instead (then no training figures are printed).

Usage: nice .venv/bin/python bench/bench_rnn.py [--seed 42] [--config FILE] [--reuse | --model PATH] [--json PATH]
The CPU may be shared: the script prints the load average next to the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time


def latency(model, sessions, k: int = 20, repeats: int = 3) -> tuple[float, float]:
    """p50 and p95 in ms of model.recommend over the sessions."""
    import numpy as np

    model.recommend(sessions[0], k=k)  # warm-up
    times = []
    for _ in range(repeats):
        for s in sessions:
            t0 = time.perf_counter()
            model.recommend(s, k=k)
            times.append((time.perf_counter() - t0) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--config", metavar="FILE")
    ap.add_argument("--reuse", action="store_true", help="use a cached model for this split/seed/config when there is one")
    ap.add_argument("--model", metavar="PATH", help="evaluate this model file (trained on the split's train users) instead of training")
    ap.add_argument("--sessions", type=int, default=100, help="10-artist sessions timed for latency")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args()
    os.environ.setdefault("TUNEREC_HOME", tempfile.mkdtemp(prefix="tunerec-bench-"))
    import numpy as np

    from tunerec.data import load_dataset
    from tunerec.evaluation import evaluate, make_split
    from tunerec.evaluation.registry import build
    from tunerec.recommenders.rnn import RNNConfig, RNNRecommender, load_config

    cfg = load_config(args.config) if args.config else RNNConfig()
    ds = load_dataset()
    split = make_split(ds, args.seed)
    out: dict = {"seed": args.seed, "config": cfg.to_dict(), "load_avg_start": os.getloadavg()[0]}
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    if args.model:
        model = RNNRecommender.load(args.model, split.train)
        if model.header.get("users_sha256") != __import__("tunerec.recommenders.rnn.recommender", fromlist=["users_hash"]).users_hash(split.train):
            raise SystemExit(f"{args.model} was not trained on the train users of seed {args.seed}")
    else:
        model = RNNRecommender(cfg, seed=args.seed, cache=args.reuse)
        model.fit(split.train)
    fit_s = time.perf_counter() - t0
    tr = model.header["training"]
    hist = tr["history"]
    to_best = sum(h["seconds"] + h.get("val_seconds", 0) for h in hist if h["epoch"] <= tr["best_epoch"])
    out["train"] = {
        "fit_wall_s": round(fit_s, 1),
        "train_s_to_best_epoch": round(to_best, 1),
        "best_epoch": tr["best_epoch"],
        "epochs_run": tr["epochs_run"],
        "events_per_s": tr["events_per_s"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_fit_mb": round(rss0, 1),
        "val_recall@20": tr["val_recall@20"],
        "val_mrr@20": tr["val_mrr@20"],
    }
    print(f"training: {json.dumps(out['train'])} (load average {os.getloadavg()[0]:.1f})", flush=True)
    res = {}
    for name, m in [("rnn", model), ("iknn_both", None), ("sknn", None), ("ease", None)]:
        if m is None:
            m = build(name, args.seed).fit(split.train)
        t0 = time.perf_counter()
        r = evaluate(m, split, "next")
        res[name] = {"recall@20": round(r["recall@20"], 4), "mrr@20": round(r["mrr@20"], 4), "eval_s": round(time.perf_counter() - t0, 1)}
        print(f"test {name}: {json.dumps(res[name])}", flush=True)
        if name == "iknn_both":
            knn = m
    out["test"] = res
    best = max(res["iknn_both"]["recall@20"], res["sknn"]["recall@20"]), max(res["iknn_both"]["mrr@20"], res["sknn"]["mrr@20"])
    out["rnn_vs_best_knn"] = {"recall@20": round(res["rnn"]["recall@20"] / best[0] - 1, 4), "mrr@20": round(res["rnn"]["mrr@20"] / best[1] - 1, 4)}
    print(f"rnn vs best kNN: {json.dumps(out['rnn_vs_best_knn'])}", flush=True)

    rng = np.random.default_rng(args.seed)
    items = model.item_ids
    sessions = [rng.choice(items, 10, replace=False).tolist() for _ in range(args.sessions)]
    import torch

    torch.set_num_threads(1)
    p50, p95 = latency(model, sessions)
    k50, k95 = latency(knn, sessions)
    out["latency_ms"] = {"rnn_p50": round(p50, 2), "rnn_p95": round(p95, 2), "iknn_both_p50": round(k50, 2), "iknn_both_p95": round(k95, 2),
                         "target_p95": 10.0, "load_avg": os.getloadavg()[0]}
    print(f"recommend(10-artist session, k=20, with explanations): {json.dumps(out['latency_ms'])}", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
