"""Seeded, bounded hyperparameter search for the RNN on TRAIN users only.

The protocol split (seed 42) gives the train users; ``validation_split`` carves 20% of
them as validation users. Every trial trains on the remaining train users and reports the
validation Recall@20 / MRR@20 after each epoch (the best epoch counts). Test users are
never touched. Trials are either drawn at random from SPACE around the base config
(``--trials N``) or given explicitly (``--configs FILE``: JSON list of override dicts).
One JSON line per trial goes to ``--out``; a table is printed at the end.

Usage:
  nice .venv/bin/python bench/rnn_search.py --trials 6 --max-minutes 40 --out rnn_search.jsonl
  nice .venv/bin/python bench/rnn_search.py --configs trials.json --out rnn_search.jsonl
Set TUNEREC_TORCH_THREADS=1 to run two searches side by side on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from typing import Any

#: The random-search space (values drawn uniformly per key, seeded).
SPACE: dict[str, list[Any]] = {
    "embedding_dim": [96, 128, 192],
    "hidden_size": [128, 256],
    "pooling": ["none", "mean"],
    "learning_rate": [0.0005, 0.001, 0.002],
    "embedding_lr_scale": [0.02, 0.05, 0.2],
    "init_scale": [2.0, 4.0, 6.0],
    "dropout_hidden": [0.0, 0.2, 0.4],
    "profile_copies": [1, 2],
}


def validation_baselines(vs: Any) -> dict[str, dict[str, float]]:
    from tunerec.evaluation import evaluate
    from tunerec.evaluation.registry import build

    out = {}
    for name in ("iknn_both", "sknn"):
        m = build(name, vs.seed).fit(vs.train)
        r = evaluate(m, vs, "next")
        out[name] = {"recall@20": r["recall@20"], "mrr@20": r["mrr@20"]}
    return out


def run_trial(vs: Any, overrides: dict[str, Any], seed: int, log: Any = None) -> dict[str, Any]:
    """Train one config on the validation split's train users; per-epoch validation figures."""
    import numpy as np
    import torch

    from tunerec.recommenders.rnn.config import from_dict
    from tunerec.recommenders.rnn.embedinit import initialise_items
    from tunerec.recommenders.rnn.model import GRU4RecNet
    from tunerec.recommenders.rnn.sequences import build_training_data
    from tunerec.recommenders.rnn.training import Trainer, next_item_metrics

    cfg = from_dict({**overrides, "val_frac": 0.0})
    vocab = vs.vocab
    t0 = time.perf_counter()
    data = build_training_data(vs.train, vocab)
    torch.manual_seed(seed)
    net = GRU4RecNet(len(vocab), cfg)
    initialise_items(net, cfg, data, seed)
    prep_s = time.perf_counter() - t0
    val = [np.searchsorted(vocab, s).tolist() for s in vs.test_sessions]
    m0 = next_item_metrics(net, val)
    trainer = Trainer(net, data, cfg, seed, val)
    # early stopping on validation (patience from the config)
    history: list[dict[str, Any]] = []

    def on(e: dict[str, Any]) -> None:
        if e.get("event") == "epoch_end":
            history.append(e)
            if log:
                log(f"  epoch {e['epoch']}: val R@20 {e['val_recall']:.4f} MRR@20 {e['val_mrr']:.4f} ({e['seconds']:.0f}s, {e['events_per_s']:.0f} ev/s)")

    st = trainer.run(on)
    best = max(history, key=lambda h: h["val_recall"] + 1e-3 * h["val_mrr"])
    to_best = prep_s + sum(h["seconds"] + h.get("val_seconds", 0) for h in history if h["epoch"] <= best["epoch"])
    events = sum(h["events"] for h in history)
    secs = sum(h["seconds"] for h in history)
    return {
        "overrides": overrides,
        "seed": seed,
        "epoch0": {"recall@20": m0["recall@20"], "mrr@20": m0["mrr@20"]},
        "best_epoch": best["epoch"],
        "val_recall@20": best["val_recall"],
        "val_mrr@20": best["val_mrr"],
        "seconds_to_best": round(to_best, 1),
        "events_per_s": round(events / max(secs, 1e-9), 1),
        "epochs_run": st.epoch,
        "history": [{k: h[k] for k in ("epoch", "loss", "val_recall", "val_mrr", "seconds")} for h in history],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=6, help="random trials (ignored with --configs)")
    ap.add_argument("--configs", metavar="FILE", help="JSON list of config override dicts to run instead of random trials")
    ap.add_argument("--base", default="{}", help="JSON overrides applied to every trial (e.g. '{\"epochs\": 4}')")
    ap.add_argument("--seed", type=int, default=42, help="split, validation carve and search seed")
    ap.add_argument("--max-minutes", type=float, default=40.0, help="stop starting trials after this much time")
    ap.add_argument("--out", default="rnn_search.jsonl", help="JSON lines, one per trial (appended)")
    ap.add_argument("--baselines", action="store_true", help="also evaluate iknn_both and sknn on the validation split")
    args = ap.parse_args()
    os.environ.setdefault("TUNEREC_HOME", tempfile.mkdtemp(prefix="tunerec-search-"))
    import numpy as np

    from tunerec.data import load_dataset
    from tunerec.evaluation import make_split, validation_split

    ds = load_dataset()
    split = make_split(ds, args.seed)
    vs = validation_split(split.train, args.seed, frac=0.2)
    print(f"validation split: {vs.counts()}", flush=True)
    if args.baselines:
        for name, r in validation_baselines(vs).items():
            print(f"baseline {name}: val R@20 {r['recall@20']:.4f} MRR@20 {r['mrr@20']:.4f}", flush=True)
    base = json.loads(args.base)
    if args.configs:
        with open(args.configs, encoding="utf-8") as f:
            trials = [{**base, **c} for c in json.load(f)]
    else:
        rng = np.random.default_rng(args.seed)
        trials = [{**base, **{k: v[int(rng.integers(len(v)))] for k, v in SPACE.items()}} for _ in range(args.trials)]
    t_start = time.perf_counter()
    rows = []
    for i, ov in enumerate(trials):
        if (time.perf_counter() - t_start) / 60 > args.max_minutes:
            print(f"time budget reached after {i} trials", flush=True)
            break
        print(f"trial {i + 1}/{len(trials)}: {json.dumps(ov)}", flush=True)
        r = run_trial(vs, ov, args.seed, log=lambda s: print(s, flush=True))
        rows.append(r)
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(r) + "\n")
        print(f"  -> best epoch {r['best_epoch']}: val R@20 {r['val_recall@20']:.4f} MRR@20 {r['val_mrr@20']:.4f}, "
              f"{r['seconds_to_best']:.0f}s to best, {r['events_per_s']:.0f} ev/s", flush=True)
    print("\nconfig | best epoch | val R@20 | val MRR@20 | s to best | ev/s")
    for r in sorted(rows, key=lambda r: -r["val_recall@20"]):
        print(f"{json.dumps(r['overrides'])} | {r['best_epoch']} | {r['val_recall@20']:.4f} | {r['val_mrr@20']:.4f} | {r['seconds_to_best']:.0f} | {r['events_per_s']:.0f}")


if __name__ == "__main__":
    main()
