"""GA figures on protocol hetrec-sessions-v2 (test split, bundled data):

1. list-task metrics (the evaluation's own ``evaluate(model, split, "list")``) of the GA at
   several discovery settings, its relevance source iknn_both, MMR re-ranking of the same
   pool, and (``--hybrid``) the GA over the RNN; with wall time per model. The table is
   computed without the wall-clock deadline (``--deadline``, default none: the generation
   cap alone stops a run), so that its numbers do not depend on the machine's load;
2. latency per list (p50/p95/max) of the GA calls made during its evaluation, and in a
   separate pass over ``--latency-sessions`` sessions with the app's deadline (0.3 s),
   with how many runs the deadline stopped;
3. hypervolume of the GA's final front versus the MMR lists (λ = 0.1 … 0.9) of the same
   pool, per session, on (relevance, novelty, diversity) scaled by the union's ranges
   (reference point: the union's minimum); also the initial population's front.

    nice .venv/bin/python bench/bench_ga.py [--max N] [--ds 0,0.5,1] [--hybrid] [--hv-sessions 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

from tunerec.data import load_dataset
from tunerec.evaluation import evaluate, make_split
from tunerec.evaluation.harness import list_cases, sample_events
from tunerec.recommenders.ga import GARecommender
from tunerec.recommenders.ga.baseline import MMRRecommender
from tunerec.recommenders.ga.mmr import mmr_lists
from tunerec.recommenders.ga.objectives import evaluate as objectives
from tunerec.recommenders.knn import ItemKNN

KEYS = ("recall@20", "ndcg@20", "ild@20", "untagged@20", "novelty", "coverage", "gini")


class Timed:
    """Wraps a list builder's ``recommend`` to record the wall time of every call."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.times: list[float] = []
        self._orig = model.recommend

        def timed(*a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            out = self._orig(*a, **kw)
            self.times.append(time.perf_counter() - t0)
            return out

        model.recommend = timed


def hv2d(points: np.ndarray, ref: np.ndarray) -> float:
    """Area dominated by 2-D points (maximisation) above ``ref``."""
    pts = points[np.argsort(-points[:, 0], kind="stable")]
    area, best_y = 0.0, ref[1]
    for x, y in pts:
        if y > best_y:
            area += (x - ref[0]) * (y - best_y)
            best_y = y
    return area


def hypervolume(points: np.ndarray, ref: np.ndarray) -> float:
    """Exact 3-D hypervolume (maximisation) of ``points`` above ``ref``, by slicing on
    the third objective (points are few: a front or an MMR λ grid)."""
    pts = points[(points > ref).all(axis=1)]
    if len(pts) == 0:
        return 0.0
    levels = np.unique(pts[:, 2])[::-1]
    vol = 0.0
    for i, z in enumerate(levels):
        below = levels[i + 1] if i + 1 < len(levels) else ref[2]
        vol += hv2d(pts[pts[:, 2] >= z][:, :2], ref[:2]) * (z - below)
    return float(vol)


def hv_study(ga: GARecommender, split: Any, n: int) -> dict[str, float]:
    given, _ = list_cases(split)
    chosen = sample_events(len(given), n, split.seed)
    if chosen is not None:
        given = [given[j] for j in chosen]
    ga_hv, mmr_hv, init_hv, wins = [], [], [], 0
    for g in given:
        run = ga.run(g, k=20, exclude=g)
        if run.arrays is None or run.evolution is None or run.arrays.k < 2:
            continue
        pa = run.arrays
        m = objectives(pa, mmr_lists(pa))[:, :3]
        f = run.front_objectives[:, :3]
        f0 = run.evolution.initial_front[:, :3]
        allp = np.concatenate([m, f, f0])
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        ref = np.full(3, -1e-9)
        hv_g = hypervolume((f - lo) / span, ref)
        hv_m = hypervolume((m - lo) / span, ref)
        hv_0 = hypervolume((f0 - lo) / span, ref)
        ga_hv.append(hv_g)
        mmr_hv.append(hv_m)
        init_hv.append(hv_0)
        wins += hv_g > hv_m + 1e-12
    a, b, c = np.array(ga_hv), np.array(mmr_hv), np.array(init_hv)
    return {
        "sessions": len(a),
        "hv_ga_mean": float(a.mean()),
        "hv_mmr_mean": float(b.mean()),
        "hv_initial_mean": float(c.mean()),
        "ga_strictly_larger_share": wins / max(1, len(a)),
        "ga_over_mmr_mean_ratio": float(np.mean(a / np.maximum(b, 1e-12))),
    }


class Replay:
    """A list builder that answers the evaluation with lists computed beforehand (by
    :func:`shared_runs`), so the harness's own code computes every metric."""

    can_score = False

    def __init__(self, name: str, dataset: Any, lists: dict[tuple[int, ...], list[Any]]) -> None:
        self.name = name
        self.dataset = dataset
        self.lists = lists

    def recommend(self, session: Any, k: int = 20, exclude: Any = (), context: Any = None) -> list[Any]:
        return self.lists[tuple(int(a) for a in session)][:k]


def shared_runs(
    ga: GARecommender, split: Any, d_values: list[float], max_sessions: int | None
) -> tuple[dict[float, Replay], np.ndarray, int, np.ndarray]:
    """One GA run per list-task session, a list chosen from its front for every d (the same
    lists ``GARecommender(discovery=d).recommend`` returns, at the cost of one run).
    Returns the replays, the wall time per list (run + choice for the first d), the
    number of runs the deadline stopped and the CPU time per list."""
    given, _ = list_cases(split)
    chosen = sample_events(len(given), max_sessions, split.seed)
    if chosen is not None:
        given = [given[j] for j in chosen]
    lists: dict[float, dict[tuple[int, ...], list[Any]]] = {d: {} for d in d_values}
    times, cpu, stops = [], [], 0
    for g in given:
        key = tuple(int(a) for a in g)
        t, c = time.perf_counter(), time.process_time()
        run = ga.run(list(g), k=20, exclude=list(g))
        for i, d in enumerate(d_values):
            lists[d][key] = ga.choose_list(run, d).recommendations
            if i == 0:
                times.append(time.perf_counter() - t)
                cpu.append(time.process_time() - c)
        stops += int(run.evolution is not None and run.evolution.stopped_by_deadline)
    replays = {d: Replay(f"ga d={d:g}", split.train, lists[d]) for d in d_values}
    return replays, np.array(times), stops, np.array(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max", type=int, default=None, help="list-task sessions (sampled; default all)")
    ap.add_argument("--ds", default="0,0.5,1", help="discovery settings of the GA")
    ap.add_argument("--mmr", default="0.5,0.7", help="MMR λ values for the list-task table")
    ap.add_argument("--deadline", type=float, default=None, help="deadline of the GA in the list-task table (default none)")
    ap.add_argument("--latency-sessions", type=int, default=300, help="sessions of the latency pass with the 0.3 s deadline")
    ap.add_argument("--hybrid", action="store_true", help="also the GA over the RNN (trains or loads the cached eval RNN)")
    ap.add_argument("--hybrid-ds", default="0,0.5,1", help="discovery settings of the hybrid GA")
    ap.add_argument("--hv-sessions", type=int, default=200)
    ap.add_argument("--skip-list", action="store_true")
    ap.add_argument("--json", default=None, metavar="PATH")
    args = ap.parse_args()

    ds = load_dataset()
    split = make_split(ds, args.seed)
    out: dict[str, Any] = {"seed": args.seed, "deadline": args.deadline, "load_average": os.getloadavg(), "list": {}, "latency": {}}
    t0 = time.perf_counter()
    knn = ItemKNN("both").fit(split.train)
    print(f"iknn_both fit {time.perf_counter() - t0:.1f}s; test sessions {split.n_test_sessions}")

    def report(name: str, model: Any) -> None:
        timed = Timed(model) if not model.can_score and not isinstance(model, Replay) else None
        t = time.perf_counter()
        r = evaluate(model, split, "list", max_events=args.max)
        r["eval_s"] = time.perf_counter() - t
        out["list"][name] = r
        line = " ".join(f"{k} {r[k]:.4f}" for k in KEYS)
        print(f"{name:14s} {line} n {r['n_sessions']} eval {r['eval_s']:.0f}s", flush=True)
        if timed and timed.times:
            ts = np.array(timed.times)
            lat = {"p50_ms": 1000 * float(np.percentile(ts, 50)), "p95_ms": 1000 * float(np.percentile(ts, 95)), "max_ms": 1000 * float(ts.max()), "n": len(ts)}
            if hasattr(model, "deadline_hits"):
                lat["deadline_stops"] = model.deadline_hits
                lat["deadline"] = model.deadline
            out["latency"][name] = lat
            print(f"{'':14s} latency p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms, max {lat['max_ms']:.0f} ms over {lat['n']} lists", flush=True)

    if not args.skip_list:
        report("iknn_both", knn)
        d_values = [float(x) for x in args.ds.split(",") if x]
        if d_values:
            ga = GARecommender(source=knn, deadline=args.deadline, seed=args.seed).fit(split.train)
            t = time.perf_counter()
            replays, times, stops, cpu = shared_runs(ga, split, d_values, args.max)
            shared_s = time.perf_counter() - t
            print(f"GA runs: {len(times)} sessions in {shared_s:.0f}s (one run serves every d); deadline stops {stops}", flush=True)
            out["ga_runs_s"] = shared_s
            out["latency"]["ga (list-task runs)"] = {
                "p50_ms": 1000 * float(np.percentile(times, 50)),
                "p95_ms": 1000 * float(np.percentile(times, 95)),
                "max_ms": 1000 * float(times.max()),
                "n": len(times),
                "cpu_p50_ms": 1000 * float(np.percentile(cpu, 50)),
                "cpu_p95_ms": 1000 * float(np.percentile(cpu, 95)),
                "deadline": args.deadline,
                "deadline_stops": stops,
            }
            print(
                f"{'':14s} latency p50 {1000 * np.percentile(times, 50):.0f} ms, p95 {1000 * np.percentile(times, 95):.0f} ms "
                f"(CPU p50 {1000 * np.percentile(cpu, 50):.0f} ms, p95 {1000 * np.percentile(cpu, 95):.0f} ms) over {len(times)} lists",
                flush=True,
            )
            for d in d_values:
                report(f"ga d={d:g}", replays[d])
        for lam in [float(x) for x in args.mmr.split(",") if x]:
            report(f"mmr λ={lam:g}", MMRRecommender(source=knn, lam=lam, seed=args.seed).fit(split.train))
        if args.hybrid:
            from tunerec.evaluation.registry import build

            rnn = build("rnn", args.seed)
            t = time.perf_counter()
            rnn.fit(split.train)
            print(f"rnn ready in {time.perf_counter() - t:.0f}s", flush=True)
            report("rnn", rnn)
            hyb = GARecommender(source=rnn, colisten=knn, deadline=args.deadline, seed=args.seed, name="ga_hybrid").fit(split.train)
            hd = [float(x) for x in args.hybrid_ds.split(",") if x]
            t = time.perf_counter()
            replays, times, stops, cpu = shared_runs(hyb, split, hd, args.max)
            print(f"GA hybrid runs: {len(times)} sessions in {time.perf_counter() - t:.0f}s; p50 {1000 * np.percentile(times, 50):.0f} ms, p95 {1000 * np.percentile(times, 95):.0f} ms; deadline stops {stops}", flush=True)
            out["latency"]["ga_hybrid (list-task runs)"] = {"p50_ms": 1000 * float(np.percentile(times, 50)), "p95_ms": 1000 * float(np.percentile(times, 95)), "n": len(times)}
            for d in hd:
                replays[d].name = f"ga_hybrid d={d:g}"
                report(f"ga_hybrid d={d:g}", replays[d])
        base = out["list"]["iknn_both"]
        print("relative to iknn_both (recall ratio, ILD change, novelty change):")
        for name, r in out["list"].items():
            print(
                f"  {name:14s} recall {r['recall@20'] / base['recall@20']:.1%}  ILD {r['ild@20'] / base['ild@20'] - 1:+.1%}  "
                f"novelty {r['novelty'] / base['novelty'] - 1:+.1%}"
            )

    if args.latency_sessions:
        ga = GARecommender(source=knn, discovery=0.5, deadline=0.3, seed=args.seed).fit(split.train)
        given, _ = list_cases(split)
        pick = sample_events(len(given), args.latency_sessions, split.seed)
        sessions = [given[j] for j in pick] if pick is not None else given
        ga.recommend(sessions[0], k=20, exclude=sessions[0])  # warm-up
        ga.deadline_hits = 0
        times, cpu = [], []
        for g in sessions:
            t, c = time.perf_counter(), time.process_time()
            ga.recommend(g, k=20, exclude=g)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        ts, cs = np.array(times), np.array(cpu)
        lat = {
            "p50_ms": 1000 * float(np.percentile(ts, 50)),
            "p95_ms": 1000 * float(np.percentile(ts, 95)),
            "max_ms": 1000 * float(ts.max()),
            "cpu_p50_ms": 1000 * float(np.percentile(cs, 50)),
            "cpu_p95_ms": 1000 * float(np.percentile(cs, 95)),
            "n": len(ts),
            "deadline_stops": ga.deadline_hits,
        }
        out["latency"]["ga d=0.5 deadline 0.3s"] = lat
        print(
            f"latency with the 0.3 s deadline over {lat['n']} test sessions: p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms, "
            f"max {lat['max_ms']:.0f} ms (CPU time p50 {lat['cpu_p50_ms']:.0f} ms, p95 {lat['cpu_p95_ms']:.0f} ms); "
            f"deadline stopped {lat['deadline_stops']} runs; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )

    if args.hv_sessions:
        ga = GARecommender(source=knn, deadline=args.deadline, seed=args.seed).fit(split.train)
        t = time.perf_counter()
        hv = hv_study(ga, split, args.hv_sessions)
        hv["wall_s"] = time.perf_counter() - t
        out["hypervolume"] = hv
        print(
            f"hypervolume over {hv['sessions']} test sessions: GA front {hv['hv_ga_mean']:.4f}, MMR λ=0.1..0.9 {hv['hv_mmr_mean']:.4f}, "
            f"initial population {hv['hv_initial_mean']:.4f}; GA strictly larger in {hv['ga_strictly_larger_share']:.1%} of sessions; "
            f"mean GA/MMR ratio {hv['ga_over_mmr_mean_ratio']:.3f}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
