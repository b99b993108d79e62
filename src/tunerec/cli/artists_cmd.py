"""``tunerec artists search QUERY`` and ``tunerec artists show NAME_OR_ID``."""

from __future__ import annotations

import argparse

from tunerec.cli.common import UsageError, add_command, console, load_data, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "artists", "search and show artists")
    asub = p.add_subparsers(dest="artists_command", metavar="SUBCOMMAND", required=True)
    s = add_command(asub, "search", "find artists by name (accent- and case-insensitive)")
    s.add_argument("query")
    s.add_argument("-n", "--limit", type=int, default=20, help="number of results (default 20)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_search)
    sh = add_command(asub, "show", "an artist's profile: listeners, plays, top tags, co-listened artists")
    sh.add_argument("artist", metavar="NAME_OR_ID")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(handler=cmd_show)


def cmd_search(args: argparse.Namespace) -> int:
    from tunerec.data.search import ArtistIndex

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    ds = load_data(args)
    matches = ArtistIndex(ds).search(args.query, limit=args.limit)
    rows = [
        {"artist_id": m.artist_id, "name": m.name, "listeners": m.listeners, "top_tags": [t for t, _ in ds.top_tags(m.artist_id, 3)]}
        for m in matches
    ]
    if args.json:
        print_json(rows)
        return 0 if rows else 1
    if not rows:
        console().print(f"no artist matches {args.query!r}", highlight=False)
        return 1
    from rich.table import Table

    t = Table(title=f"artists matching {args.query!r}", title_justify="left")
    t.add_column("id", justify="right", style="dim")
    t.add_column("artist", style="bold")
    t.add_column("listeners", justify="right")
    t.add_column("top tags")
    for r in rows:
        t.add_row(str(r["artist_id"]), r["name"], f"{r['listeners']:,}", ", ".join(r["top_tags"]))
    console().print(t)
    return 0


def artist_profile(ds, artist_id: int) -> dict:
    """The facts shown by ``artists show`` (and the app's detail panel)."""
    stats = ds.artist_stats.loc[artist_id]
    return {
        "artist_id": int(artist_id),
        "name": ds.artist_name(artist_id),
        "url": str(ds.artists.at[artist_id, "url"]),
        "in_catalogue": bool(ds.artists.at[artist_id, "known"]),
        "listeners": int(stats["listeners"]),
        "plays": int(stats["plays"]),
        "taggers": int(stats["taggers"]),
        "top_tags": [{"tag": t, "count": c} for t, c in ds.top_tags(artist_id, 8)],
        "co_listened": [{"artist_id": a, "name": ds.artist_name(a), "similarity": round(s, 4)} for a, s in ds.co_listened(artist_id, 10)],
    }


def cmd_show(args: argparse.Namespace) -> int:
    from tunerec.data.search import ArtistIndex, resolve_names

    ds = load_data(args)
    (artist_id,) = resolve_names(ArtistIndex(ds), [args.artist])
    prof = artist_profile(ds, artist_id)
    if args.json:
        print_json(prof)
        return 0
    c = console()
    c.print(f"[bold]{prof['name']}[/]  [dim]#{artist_id}  {prof['url']}[/]", highlight=False)
    c.print(f"listeners [bold]{prof['listeners']:,}[/]   plays [bold]{prof['plays']:,}[/]   taggers {prof['taggers']:,}")
    if prof["top_tags"]:
        c.print("top tags: " + ", ".join(f"{t['tag']} ({t['count']})" for t in prof["top_tags"]), highlight=False)
    if prof["co_listened"]:
        c.print("most co-listened:")
        for r in prof["co_listened"]:
            c.print(f"  {r['similarity']:.2f}  {r['name']}", highlight=False)
    return 0
