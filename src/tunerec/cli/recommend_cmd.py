"""``tunerec recommend --model NAME --session "A, B, C"``: one list from any model.

Names are resolved with the artist search (ambiguous or unknown names get a one-line
message with suggestions). Artist names that contain commas ("Crosby, Stills, Nash &
Young") are recognised by joining neighbouring pieces when the joined text is an exact
artist name; ``;`` can also separate artists. Blocked artists (``tunerec`` user store)
never appear. For the GA, ``--discovery``, ``--hybrid``, ``--tags`` and ``--front``
choose where on the trade-off to stand and show the whole Pareto front.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from tunerec.cli.common import UsageError, add_command, console, err_console, load_data, print_json

MODEL_NAMES = ("pop", "iknn_sessions", "iknn_profiles", "iknn_both", "sknn", "tags", "rnn", "ga")
GA_ONLY = ("discovery", "hybrid", "front")


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "recommend", "recommend artists for a session with any model (GA: with a discovery setting)")
    p.add_argument("--model", "-m", default="ga", help=f"model name: {', '.join(MODEL_NAMES)} (default ga)")
    p.add_argument("--session", "-s", required=True, metavar="ARTISTS", help='artist names or #ids, e.g. "Radiohead, Portishead, Massive Attack" (";" also separates)')
    p.add_argument("-k", type=int, default=20, help="list length (default 20)")
    p.add_argument("--discovery", "-d", type=float, default=None, help="GA: 0 familiar .. 1 adventurous (default 0.5)")
    p.add_argument("--hybrid", action="store_true", help="GA: the RNN as relevance source (needs a trained app model)")
    p.add_argument("--tags", default="", metavar="TAGS", help='session tags that steer the list, e.g. "late-night, jazz"')
    p.add_argument("--seed", type=int, default=None, help="GA: random seed (same seed, same list)")
    p.add_argument("--front", action="store_true", help="GA: also print the whole Pareto front")
    p.add_argument("--json", action="store_true", help="print the list (and GA details) as JSON")
    p.set_defaults(handler=cmd_recommend)


def split_session(index: Any, text: str) -> list[str]:
    """Artist names of a session string: ``;``-separated when it holds a ``;``, else
    comma-separated, except that neighbouring pieces are joined when together they are
    exactly the name of an artist whose name has a comma (longest such name first)."""
    if ";" in text:
        return [p.strip() for p in text.split(";") if p.strip()]
    pieces = [p.strip() for p in text.split(",")]
    out: list[str] = []
    i = 0
    while i < len(pieces):
        taken = 1
        for j in range(len(pieces), i + 1, -1):
            if _comma_name(index, ", ".join(pieces[i:j])):
                taken = j - i
                break
        out.append(", ".join(pieces[i : i + taken]))
        i += taken
    return [p for p in out if p.strip()]


def _comma_name(index: Any, text: str) -> bool:
    """True when ``text`` folds to the name of an artist whose real name contains a comma."""
    return any("," in name for name in index.exact_names(text))


def cmd_recommend(args: argparse.Namespace) -> int:
    from tunerec.data.search import ArtistIndex, resolve_names
    from tunerec.models import ModelNotReady, get_recommender
    from tunerec.recommenders.base import Context
    from tunerec.store import open_store

    if args.model not in MODEL_NAMES:
        raise UsageError(f"--model: unknown model {args.model!r} (known: {', '.join(MODEL_NAMES)})")
    if args.k < 1:
        raise UsageError("-k must be at least 1")
    if args.discovery is not None and not 0.0 <= args.discovery <= 1.0:
        raise UsageError(f"--discovery must be between 0 and 1, got {args.discovery}")
    is_ga = args.model == "ga"
    if not is_ga:
        used = [f"--{o}" for o in GA_ONLY if getattr(args, o) not in (None, False)]
        if used:
            raise UsageError(f"{', '.join(used)} only appl{'ies' if len(used) == 1 else 'y'} to --model ga")
    tags = [t.strip() for t in args.tags.split(",") if t.strip()]

    ds = load_data(args)
    index = ArtistIndex(ds)
    names = split_session(index, args.session)
    session = resolve_names(index, names)
    store = open_store()
    try:
        blocked = sorted(store.blocked())
    finally:
        store.close()

    options: dict[str, Any] = {}
    if is_ga:
        options = {"hybrid": args.hybrid, "seed": 42 if args.seed is None else args.seed}
        if args.discovery is not None:
            options["discovery"] = args.discovery
    t0 = time.perf_counter()
    try:
        with err_console().status(f"Preparing {args.model}…"):
            model = get_recommender(args.model, ds, **options)
    except ModelNotReady as exc:
        raise UsageError(str(exc)) from None
    prepare_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = None
    if is_ga:
        result = model.build(session, k=args.k, exclude=blocked, tags=tags)  # type: ignore[attr-defined]
        recs = result.recommendations
    else:
        recs = model.recommend(session, k=args.k, exclude=blocked, context=Context(tags=tags, seed=args.seed))
    recommend_s = time.perf_counter() - t0

    rows = [
        {
            "rank": i + 1,
            "artist_id": r.artist_id,
            "name": ds.artist_name(r.artist_id),
            "score": round(float(r.score), 4),
            "explanation": r.explanation,
            "details": list(r.details),
        }
        for i, r in enumerate(recs)
    ]
    out: dict[str, Any] = {
        "model": getattr(model, "name", args.model),
        "session": [{"artist_id": a, "name": ds.artist_name(a)} for a in session],
        "tags": tags,
        "blocked_excluded": len(blocked),
        "recommendations": rows,
        "prepare_s": round(prepare_s, 3),
        "recommend_s": round(recommend_s, 3),
    }
    if result is not None:
        out.update(
            {
                "discovery": result.discovery,
                "summary": result.summary,
                "objectives": {k: round(v, 4) for k, v in result.objectives.items()},
                "relevance_only": {k: round(v, 4) for k, v in result.baseline.items()},
                "front_size": len(result.front),
                "pool_size": result.pool_size,
                "generations": result.generations,
                "stopped_by_deadline": result.stopped_by_deadline,
                "notes": result.notes,
            }
        )
        if args.front:
            out["front"] = [
                {
                    "objectives": {k: round(v, 4) for k, v in f.objectives.items()},
                    "chosen": i == result.chosen,
                    "artists": [ds.artist_name(a) for a in f.artist_ids],
                }
                for i, f in enumerate(result.front)
            ]
    if args.json:
        print_json(out)
        return 0 if rows else 1
    _print_table(out, result, args)
    return 0 if rows else 1


def _print_table(out: dict[str, Any], result: Any, args: argparse.Namespace) -> None:
    from rich.table import Table

    c = console()
    sess = ", ".join(a["name"] for a in out["session"]) or "(empty session)"
    title = f"{out['model']} for {sess}"
    if result is not None:
        title += f"  (discovery {result.discovery:.2f})"
    t = Table(title=title, title_justify="left")
    t.add_column("#", justify="right", style="dim")
    t.add_column("artist", style="bold")
    t.add_column("score", justify="right")
    t.add_column("why")
    for r in out["recommendations"]:
        t.add_row(str(r["rank"]), r["name"], f"{r['score']:.3f}", r["explanation"])
    if not out["recommendations"]:
        c.print("no recommendations: every candidate artist is in the session or blocked", highlight=False)
    else:
        c.print(t)
    if result is not None:
        c.print(f"[bold]{result.summary}[/]", highlight=False)
        c.print(
            f"Pareto front: {len(result.front)} lists · pool {result.pool_size} artists · "
            f"{result.generations} generations in {result.elapsed * 1000:.0f} ms"
            + (" (deadline reached)" if result.stopped_by_deadline else ""),
            highlight=False,
            style="dim",
        )
        for n in result.notes:
            c.print(f"note: {n}", highlight=False, style="yellow")
        if args.front and result.front:
            _print_front(out, result)
    else:
        notes = sorted({d for r in out["recommendations"] for d in r["details"] if "skipped" in d})
        for n in notes:
            c.print(f"note: {n}", highlight=False, style="yellow")
    if out["blocked_excluded"]:
        c.print(f"{out['blocked_excluded']} blocked artist(s) excluded", style="dim")


def _print_front(out: dict[str, Any], result: Any) -> None:
    from rich.table import Table

    names = list(result.front[0].objectives)
    picked = out["front"][result.chosen]["objectives"] if 0 <= result.chosen < len(out["front"]) else None
    caption = None
    if picked is not None and picked != out["objectives"]:
        caption = "the list shown is ▶ improved by swaps: " + ", ".join(f"{n} {out['objectives'][n]:.3f}" for n in names)
    t = Table(title="Pareto front (most relevant first; ▶ = chosen)", title_justify="left", caption=caption, caption_justify="left")
    t.add_column("", width=1)
    for n in names:
        t.add_column(n, justify="right")
    t.add_column("first artists")
    for i, f in enumerate(out["front"]):
        t.add_row(
            "▶" if f["chosen"] else "",
            *(f"{f['objectives'][n]:.3f}" for n in names),
            ", ".join(f["artists"][:4]) + ("…" if len(f["artists"]) > 4 else ""),
        )
    console().print(t)
