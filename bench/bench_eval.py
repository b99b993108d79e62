"""Evaluation speed: split time, per-model fit and eval seconds (next-item and list task),
the total against the issue's 2-minute budget, and the speed-up of the one-cumulative-sum
prefix scoring over scoring every prefix on its own (same model, same events, same run).

Usage: .venv/bin/python bench/bench_eval.py [--models pop,iknn_both,...] [--seed 42] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

BUDGET_S = 120.0


def main() -> None:
    from tunerec.evaluation.registry import BASELINES

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(BASELINES))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--prefix-sessions", type=int, default=200, help="test sessions used for the prefix-scoring comparison")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args()
    os.environ.setdefault("TUNEREC_HOME", tempfile.mkdtemp(prefix="tunerec-bench-"))

    from tunerec.data import load_dataset
    from tunerec.evaluation import evaluate, make_split
    from tunerec.evaluation.registry import build

    t_all = time.perf_counter()
    t0 = time.perf_counter()
    ds = load_dataset()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    split = make_split(ds, seed=args.seed)
    split_s = time.perf_counter() - t0
    print(f"load {load_s:.2f}s, split {split_s:.2f}s: {split.counts()}")
    print(f"{'model':<14} {'fit s':>7} {'next s':>7} {'list s':>7} {'total s':>8}")
    rows = {}
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        model = build(name, args.seed)
        t0 = time.perf_counter()
        model.fit(split.train)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        if model.can_score:
            evaluate(model, split, "next")
        next_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        evaluate(model, split, "list")
        list_s = time.perf_counter() - t0
        rows[name] = {"fit_s": fit_s, "next_s": next_s, "list_s": list_s, "total_s": fit_s + next_s + list_s}
        print(f"{name:<14} {fit_s:7.2f} {next_s:7.2f} {list_s:7.2f} {rows[name]['total_s']:8.2f}")
    total = time.perf_counter() - t_all
    print(f"total (load + split + all models, both tasks): {total:.1f}s = {total / BUDGET_S:.0%} of the {BUDGET_S:.0f}s budget")

    # one cumulative sum per session vs one score_sessions call per prefix, iknn_both
    model = build("iknn_both", args.seed).fit(split.train)
    sessions = split.test_sessions[: args.prefix_sessions]
    prefixes = [s[:p] for s in sessions for p in range(1, len(s))]
    t0 = time.perf_counter()
    fast = model.score_prefixes(sessions)  # type: ignore[attr-defined]
    fast_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = [model.score_sessions(prefixes[i : i + 512]) for i in range(0, len(prefixes), 512)]
    slow_s = time.perf_counter() - t0
    assert sum(len(b) for b in slow) == len(fast)
    print(
        f"iknn_both prefix scoring, {len(prefixes)} prefixes of {len(sessions)} sessions: "
        f"cumulative {fast_s:.2f}s vs per prefix {slow_s:.2f}s ({slow_s / max(fast_s, 1e-9):.1f}x faster)"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")
    if args.json:
        from tunerec.atomic import atomic_write_text

        doc = {
            "load_s": load_s, "split_s": split_s, "models": rows, "total_s": total,
            "prefix_scoring": {"prefixes": len(prefixes), "cumulative_s": fast_s, "per_prefix_s": slow_s},
            "peak_rss_mb": peak_mb,
        }
        atomic_write_text(args.json, json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
