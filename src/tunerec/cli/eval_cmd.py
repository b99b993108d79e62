"""``tunerec eval``: fit models on the train users and score them with protocol hetrec-sessions-v2."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from tunerec.cli.common import UsageError, add_command, console, err_console, load_data

#: (key, header, higher is better)
NEXT_COLUMNS = [
    ("recall@1", "R@1", True),
    ("recall@5", "R@5", True),
    ("recall@10", "R@10", True),
    ("recall@20", "R@20", True),
    ("mrr@5", "MRR@5", True),
    ("mrr@10", "MRR@10", True),
    ("mrr@20", "MRR@20", True),
]
LIST_COLUMNS = [
    ("recall@20", "R@20", True),
    ("ndcg@20", "NDCG@20", True),
    ("ild@20", "ILD@20", True),
    ("untagged@20", "untagged", False),
    ("novelty", "novelty", True),
    ("coverage", "coverage", True),
    ("gini", "Gini", False),
]


def register(sub: argparse._SubParsersAction) -> None:
    from tunerec.evaluation.registry import BASELINES

    p = add_command(
        sub,
        "eval",
        "evaluate recommenders offline (protocol hetrec-sessions-v2: a fifth of the users held out, full ranking)",
    )
    p.add_argument(
        "--models",
        default=",".join(BASELINES),
        metavar="A,B,…",
        help=f"comma-separated model names (default: {','.join(BASELINES)})",
    )
    p.add_argument("--task", choices=["next", "list", "both"], default="both", help="next-item task, list task or both (default both)")
    p.add_argument("--seed", type=int, default=42, help="protocol seed: session order and test users (default 42)")
    p.add_argument(
        "--max-events",
        type=int,
        metavar="N",
        help="sample N next-item events (and N list-task sessions) with the seed, for slow models; flagged as sampled",
    )
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH (atomically)")
    p.set_defaults(handler=cmd_eval)


def parse_models(text: str) -> list[str]:
    from tunerec.evaluation.registry import MODELS

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--models: give at least one model name")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise UsageError(f"--models: unknown model {unknown[0]!r} (known: {', '.join(MODELS)})")
    return list(dict.fromkeys(names))


def cmd_eval(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tunerec.atomic import atomic_write_text
    from tunerec.evaluation import fit_and_evaluate, make_split, results_json

    names = parse_models(args.models)
    if args.max_events is not None and args.max_events < 1:
        raise UsageError(f"--max-events must be at least 1, got {args.max_events}")
    tasks = ["next", "list"] if args.task == "both" else [args.task]
    ds = load_data(args)
    t_start = time.perf_counter()
    split = make_split(ds, seed=args.seed)
    results: dict[str, dict[str, Any]] = {}
    with Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=err_console(),
        transient=False,
    ) as progress:
        sizes = {"next": split.n_events, "list": split.n_test_sessions}
        if args.max_events is not None:
            sizes = {k: min(v, args.max_events) for k, v in sizes.items()}
        expected = sum(sizes[t] for t in tasks)
        for name in names:
            bar = progress.add_task(name, total=expected, stage="fitting")

            def report(task: str, done: int, total: int, bar: int = bar) -> None:
                before = sizes["next"] if task == "list" and "next" in tasks else 0
                progress.update(bar, completed=before + done, stage=f"{task} task")

            r = fit_and_evaluate(name, split, tasks, max_events=args.max_events, progress=report)
            results[name] = r
            progress.update(bar, completed=expected, stage=f"fit {r['fit_s']:.1f}s, eval {r['eval_s']:.1f}s")
    doc = results_json(split, results)
    if args.json:
        atomic_write_text(args.json, json.dumps(doc, indent=2) + "\n")
    if not any(isinstance(t, dict) and t.get("sampled") for r in results.values() for t in r.values()):
        from tunerec.evalcache import save_eval

        save_eval(doc)  # the app's compare view reads it
    print_tables(doc, tasks, time.perf_counter() - t_start)
    if args.json:
        console().print(f"wrote {args.json}", highlight=False)
    return 0


def print_tables(doc: dict[str, Any], tasks: list[str], wall_s: float) -> None:
    """The results as one rich table per task; the best value of each column in bold with *."""
    from rich import box
    from rich.table import Table

    c = console()
    c.print(
        f"protocol {doc['protocol']} · seed {doc['seed']} · {doc['n_items']:,} artists · "
        f"{doc['n_test_users']:,} test users · {doc['n_test_sessions']:,} test sessions · "
        f"{doc['n_test_events']:,} next-item events",
        highlight=False,
    )
    results = doc["results"]
    for task, columns, title in (("next", NEXT_COLUMNS, "next-item task (full ranking)"), ("list", LIST_COLUMNS, "list task (20 artists)")):
        if task not in tasks:
            continue
        rows = {m: r[task] for m, r in results.items() if task in r}
        if not rows:
            continue
        t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 0), pad_edge=False)
        t.add_column("model", style="bold", no_wrap=True)
        for _, header, _ in columns:
            t.add_column(header, justify="right", no_wrap=True)
        best = {key: _best([r.get(key) for r in rows.values()], higher) for key, _, higher in columns}
        for m, r in rows.items():
            label = m + (f" (sampled {r.get('n_events', r.get('n_sessions'))})" if r.get("sampled") else "")
            cells = []
            for key, _, _ in columns:
                v = r.get(key)
                cell = "—" if v is None else f"{v:.4f}"
                cells.append(f"[bold green]{cell}*[/]" if v is not None and v == best[key] else f"{cell} ")
            t.add_row(label, *cells)
        c.print(t)
    timing = ", ".join(f"{m} {r['fit_s']:.1f}+{r['eval_s']:.1f}s" for m, r in results.items())
    c.print(f"* best in column (untagged, Gini: lowest). fit+eval: {timing}. wall time {wall_s:.1f}s", highlight=False)


def _best(values: list[Any], higher: bool) -> float | None:
    vals = [v for v in values if v is not None]
    if len(vals) < 2:
        return None
    return max(vals) if higher else min(vals)
