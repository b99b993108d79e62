"""``tunerec data info`` and ``tunerec data check PATH``."""

from __future__ import annotations

import argparse

from tunerec.cli.common import add_command, console, load_data, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "data", "inspect and validate the dataset")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    info = add_command(dsub, "info", "summary of the loaded dataset")
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    info.set_defaults(handler=cmd_info)
    check = add_command(dsub, "check", "validate a copy of the dataset and list every problem")
    check.add_argument("path", help="zip or folder to check")
    check.add_argument("--json", action="store_true", help="print the problems as JSON")
    check.set_defaults(handler=cmd_check)


def cmd_info(args: argparse.Namespace) -> int:
    ds = load_data(args)
    s = ds.summary()
    if args.json:
        print_json(s)
        return 0
    from rich.table import Table

    t = Table(title="Last.fm HetRec 2011", show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column(justify="right")
    rows = [
        ("users", f"{s['users']:,}"),
        ("artists", f"{s['artists']:,}"),
        ("unknown artists (tagged, not in artists.dat)", f"{s['unknown_artists']:,}"),
        ("tags", f"{s['tags']:,}"),
        ("user–artist play counts", f"{s['plays']:,}"),
        ("total plays", f"{s['total_play_count']:,}"),
        ("friend relations", f"{s['friend_relations']:,}"),
        ("tag assignments", f"{s['tag_assignments']:,}"),
        ("sessions (user × month, 2005+)", f"{s['sessions']:,}"),
        ("session events", f"{s['session_events']:,}"),
        ("tag dates", f"{s['first_assignment']} … {s['last_assignment']}"),
        ("play matrix sparsity", f"{s['play_sparsity']:.4%}"),
        ("source", str(s["source"])),
        ("sha256", str(s["sha256"])[:16] + "…"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    console().print(t)
    for w in ds.warnings:
        console().print(f"[yellow]warning:[/] {w}", highlight=False)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from tunerec.data import check_dataset

    errors, warnings = check_dataset(args.path)
    if args.json:
        print_json({"path": args.path, "ok": not errors, "errors": errors, "warnings": warnings})
        return 1 if errors else 0
    c = console()
    for e in errors:
        c.print(f"[bold red]error:[/] {e}", highlight=False)
    for w in warnings:
        c.print(f"[yellow]warning:[/] {w}", highlight=False)
    if not errors:
        c.print(f"[green]ok:[/] {args.path} is a valid HetRec 2011 Last.fm dataset" + (f" ({len(warnings)} warning(s))" if warnings else ""), highlight=False)
    return 1 if errors else 0
