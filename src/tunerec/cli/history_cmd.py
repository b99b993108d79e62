"""``tunerec history import|show|sessions|forget``: personal listening history."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from rich.markup import escape

from tunerec.cli.common import UsageError, add_command, console, err_console, load_data, print_json

FORMAT_CHOICES = ["lastfm1k", "listenbrainz", "spotify", "csv"]


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "history", "import your listening history and see what was matched")
    hsub = p.add_subparsers(dest="history_command", metavar="SUBCOMMAND", required=True)
    imp = add_command(
        hsub, "import",
        "import a listening history file (Last.fm 1K TSV, ListenBrainz JSON/JSONL, Spotify extended streaming history, CSV timestamp,artist[,track])",
    )
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--format", choices=FORMAT_CHOICES, help="file format (default: detected from the content)")
    imp.add_argument("--user", metavar="USER", help="Last.fm 1K: import only this user's plays (e.g. user_000001)")
    imp.add_argument("--json", action="store_true", help="print the import report as one JSON object")
    imp.set_defaults(handler=cmd_import)
    show = add_command(hsub, "show", "top artists and sessions per month of the imported history")
    show.add_argument("-n", "--top", type=int, default=10, help="number of top artists (default 10)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)
    ses = add_command(hsub, "sessions", "the most recent imported listening sessions")
    ses.add_argument("-n", "--limit", type=int, default=10, help="number of sessions (default 10)")
    ses.add_argument("--json", action="store_true")
    ses.set_defaults(handler=cmd_sessions)
    st = add_command(hsub, "settings", "show or change the history settings (session gap, profile half-life, fuzzy threshold)")
    st.add_argument("--gap", type=float, metavar="MINUTES", help="a pause longer than this starts a new session (default 30)")
    st.add_argument("--half-life", type=float, metavar="DAYS", help="a play this old counts half in the personal profile (default 90)")
    st.add_argument("--fuzzy-threshold", type=float, metavar="SCORE", help="similarity (50-100) a fuzzy artist-name match needs (default 90)")
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=cmd_settings)
    fg = add_command(hsub, "forget", "delete the imported history from the user store (asks first)")
    fg.add_argument("--import", dest="import_id", type=int, metavar="ID", help="forget only the plays added by this import (see history show)")
    fg.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    fg.set_defaults(handler=cmd_forget)


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M")


def cmd_import(args: argparse.Namespace) -> int:
    from tunerec.history import CatalogueMatcher, history_settings, import_history
    from tunerec.store import open_store

    ds = load_data(args)
    store = open_store()
    try:
        settings = history_settings(store)
        matcher = CatalogueMatcher.from_dataset(ds, settings.fuzzy_threshold)
        if sys.stderr.isatty() and not args.json:
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

            with Progress(
                "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                console=err_console(), transient=True,
            ) as bar:
                task = bar.add_task(f"reading {escape(args.file)}", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)
                    if done >= total:
                        bar.update(task, description="storing the plays and matching artists…")

                report = import_history(
                    store, args.file, matcher, args.format, user=args.user, gap_seconds=settings.gap_seconds, progress=progress
                )
        else:
            report = import_history(store, args.file, matcher, args.format, user=args.user, gap_seconds=settings.gap_seconds)
    finally:
        store.close()
    if args.json:
        print_json(report.to_json())
        return 0
    _print_report(report)
    return 0


def _pct(n: int, total: int) -> str:
    return f"{n:,} ({n / total:.1%})" if total else f"{n:,}"


def _print_report(r) -> None:  # r: ImportReport
    c = console()
    c.print(f"[bold]{escape(r.path)}[/] ({r.format}): {r.plays:,} plays read, {r.new_plays:,} new, {r.plays - r.new_plays:,} already stored", highlight=False)
    c.print(f"dates {r.first_play} … {r.last_play}; {r.sessions:,} sessions; {r.artists:,} distinct artist names", highlight=False)
    if r.users > 1 and not r.skipped.get("other users"):
        c.print(f"[yellow]note:[/] this file holds {r.users} listeners and their plays were merged; use --user to import one listener", highlight=False)
    for why, n in r.skipped.items():
        c.print(f"skipped {n:,} plays: {why}", highlight=False, markup=False)
    if r.bad_lines:
        c.print(f"[yellow]{r.bad_lines:,} bad line(s)[/]" + (", first ones:" if r.bad_line_examples else ""), highlight=False)
        for b in r.bad_line_examples:
            c.print(f"  line {b['line']}: {b['problem']}", highlight=False, markup=False)
    c.print(
        f"matched plays: {_pct(r.matched_plays, r.plays)} — exact {r.matched_exact:,}, fuzzy {r.matched_fuzzy:,}, by MBID {r.matched_mbid:,}; "
        f"not in catalogue {_pct(r.unmatched_plays, r.plays)}" + (f" (ambiguous {r.ambiguous_plays:,})" if r.ambiguous_plays else ""),
        highlight=False,
    )
    if r.fuzzy_matches:
        c.print("fuzzy matches (check them):")
        for m in r.fuzzy_matches[:20]:
            c.print(f"  {m['name']!r} → {m['matched_name']} #{m['artist_id']} ({m['rule']}, {m['plays']:,} plays)", highlight=False, markup=False)
        if len(r.fuzzy_matches) > 20:
            c.print(f"  … and {len(r.fuzzy_matches) - 20} more (--json lists all)")
    if r.ambiguous:
        c.print("ambiguous names (left unmatched):")
        for a in r.ambiguous[:10]:
            cands = ", ".join(f"{x['name']} #{x['artist_id']}" for x in a["candidates"][:5])
            c.print(f"  {a['name']!r} ({a['plays']:,} plays): {cands}", highlight=False, markup=False)
    if r.top_unmatched:
        c.print("top artists not in catalogue: " + ", ".join(f"{u['name']} ({u['plays']:,})" for u in r.top_unmatched), highlight=False, markup=False)


def _bar(n: int, top: int, width: int = 40) -> str:
    if top <= 0 or n <= 0:
        return ""
    cells = n / top * width
    return "█" * int(cells) + ("▌" if cells - int(cells) >= 0.5 else "") or "▏"


def cmd_show(args: argparse.Namespace) -> int:
    from tunerec.history import history_summary
    from tunerec.store import open_store

    if args.top < 1:
        raise UsageError("--top must be at least 1")
    store = open_store()
    try:
        s = history_summary(store, top=args.top)
    finally:
        store.close()
    if args.json:
        print_json(s)
        return 0
    c = console()
    if not s["plays"]:
        c.print("no listening history imported yet: tunerec history import FILE")
        return 0
    c.print(
        f"[bold]{s['plays']:,}[/] plays, {s['artists']:,} artists, {s['sessions']:,} sessions ({s['session_gap_minutes']:g}-minute gap), "
        f"{s['first_play']} … {s['last_play']}; in catalogue {_pct(s['matched_plays'], s['plays'])}",
        highlight=False,
    )
    c.print("imports: " + "; ".join(f"#{i['id']} {i['format']} {i['imported']} ({i['new_plays']:,} new of {i['plays']:,})" for i in s["imports"]), highlight=False, markup=False)
    c.print("\n[bold]top artists[/]")
    top = s["top_artists"][0]["plays"] if s["top_artists"] else 0
    from rich.cells import cell_len

    width = max(cell_len(a["name"]) for a in s["top_artists"])
    for a in s["top_artists"]:
        tag = "" if a["in_catalogue"] else "  [dim](not in catalogue)[/]"
        pad = " " * (width - cell_len(a["name"]))
        c.print(f"  {escape(a['name'])}{pad} {a['plays']:>7,} {_bar(a['plays'], top, 30)}{tag}", highlight=False)
    c.print("\n[bold]sessions per month[/]")
    months = s["sessions_per_month"]
    peak = max((m["sessions"] for m in months), default=0)
    for m in months:
        c.print(f"  {m['month']} {m['sessions']:>5,} {_bar(m['sessions'], peak)}", highlight=False)
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    from tunerec.history import list_history_sessions
    from tunerec.store import open_store

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    ds = load_data(args)
    store = open_store()
    try:
        sessions = list_history_sessions(store, ds, args.limit)
    finally:
        store.close()
    rows = [
        {
            "start": _when(s.start), "end": _when(s.end), "plays": s.plays,
            "artists": [{"artist_id": a, "name": ds.artist_name(a), "plays": n} for a, n in zip(s.artist_ids, s.play_counts)],
            "not_in_catalogue": [{"name": k, "plays": v} for k, v in sorted(s.unmatched.items(), key=lambda kv: -kv[1])],
        }
        for s in sessions
    ]
    if args.json:
        print_json(rows)
        return 0
    c = console()
    if not rows:
        c.print("no listening history imported yet: tunerec history import FILE")
        return 0
    for r in rows:
        names = ", ".join(f"{escape(a['name'])} ×{a['plays']}" for a in r["artists"]) or "[dim]no catalogue artists[/]"
        extra = f"  [dim]+{sum(u['plays'] for u in r['not_in_catalogue'])} plays not in catalogue[/]" if r["not_in_catalogue"] else ""
        c.print(f"[bold]{r['start']}[/]–{r['end'][11:]}  {r['plays']:>3} plays  {names}{extra}", highlight=False)
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from tunerec.history import forget_history
    from tunerec.store import open_store

    store = open_store()
    try:
        if args.import_id is not None:
            row = store.conn.execute("SELECT new_plays FROM history_imports WHERE id = ?", (args.import_id,)).fetchone()
            if row is None:
                raise UsageError(f"--import {args.import_id}: no such import (see tunerec history show)")
            what = f"the {row[0]:,} plays added by import #{args.import_id}"
        else:
            plays = store.conn.execute("SELECT COUNT(*) FROM history_plays").fetchone()[0]
            if plays == 0:
                console().print("no listening history to forget")
                return 0
            what = f"all {plays:,} imported plays"
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError(f"not forgetting {what} without confirmation: add --yes")
            answer = input(f"Forget {what}? This cannot be undone. [y/N] ").strip().casefold()
            if answer not in ("y", "yes"):
                console().print("nothing forgotten")
                return 1
        done = forget_history(store, args.import_id)
    finally:
        store.close()
    console().print(f"forgot {done['plays']:,} plays from {done['imports']} import(s)", highlight=False)
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from tunerec.history import history_settings
    from tunerec.history.settings import GAP_KEY, HALF_LIFE_KEY, THRESHOLD_KEY
    from tunerec.store import open_store

    changes = {}
    if args.gap is not None:
        if not 0 < args.gap <= 24 * 60:
            raise UsageError("--gap must be between 0 and 1440 minutes")
        changes[GAP_KEY] = args.gap
    if args.half_life is not None:
        if args.half_life <= 0:
            raise UsageError("--half-life must be more than 0 days")
        changes[HALF_LIFE_KEY] = args.half_life
    if args.fuzzy_threshold is not None:
        if not 50 <= args.fuzzy_threshold <= 100:
            raise UsageError("--fuzzy-threshold must be between 50 and 100")
        changes[THRESHOLD_KEY] = args.fuzzy_threshold
    store = open_store()
    try:
        for key, value in changes.items():
            store.set_setting(key, value)
        current = asdict(history_settings(store))
    finally:
        store.close()
    if args.json:
        print_json(current)
        return 0
    for key, value in current.items():
        console().print(f"{key.replace('_', ' ')}: {value:g}", highlight=False)
    return 0
