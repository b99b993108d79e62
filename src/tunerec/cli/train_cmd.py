"""``tunerec train rnn``: train the RNN with a progress display, keep the best epoch.

Without ``--all-users`` the model is trained on the protocol's train users for ``--seed``
and stored where ``tunerec eval --models rnn`` finds it; with ``--all-users`` it is the
app's model. Ctrl-C (or SIGTERM) stops cleanly: the best finished epoch is saved.
``--progress-jsonl`` prints one JSON object per progress event on stdout (for the app).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from tunerec.cli.common import UsageError, add_command, console, err_console, load_data, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "train", "train a model (the RNN) and keep its best epoch")
    tsub = p.add_subparsers(dest="train_command", metavar="MODEL", required=True)
    r = add_command(tsub, "rnn", "train the GRU4Rec-style RNN (best epoch chosen on held-out train users)")
    r.add_argument("--all-users", action="store_true", help="train on every user: the app's model (default: the protocol's train users, for evaluation)")
    r.add_argument("--seed", type=int, default=42, help="random seed: protocol split and training (default 42)")
    r.add_argument("--epochs", type=int, default=None, help="maximum number of epochs (default: from the config)")
    r.add_argument("--config", metavar="FILE", default=None, help="JSON file with config keys to change (see tunerec.recommenders.rnn.config)")
    r.add_argument("--resume", action="store_true", help="continue the interrupted run with the same settings from its last finished epoch")
    r.add_argument("--time-budget", type=float, default=None, metavar="SECONDS", help="stop after about this many seconds of training (best epoch kept)")
    r.add_argument("--output", metavar="PATH", default=None, help="model file to write (default: the models folder)")
    r.add_argument("--progress-jsonl", action="store_true", help="print one JSON object per progress event on stdout (no progress bar)")
    r.add_argument("--json", action="store_true", help="print the training summary as JSON")
    r.set_defaults(handler=cmd_train_rnn)


def _config(args: argparse.Namespace) -> Any:
    from tunerec.recommenders.rnn.config import ConfigError, RNNConfig, load_config

    try:
        cfg = load_config(args.config) if args.config else RNNConfig()
        if args.epochs is not None:
            if args.epochs < 1:
                raise UsageError("--epochs must be at least 1")
            cfg = cfg.replace(epochs=args.epochs)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return cfg


class _StopFlag:
    """Set by SIGINT/SIGTERM; training checks it between steps."""

    def __init__(self) -> None:
        self.stop = False
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "_StopFlag":
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread
                pass
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.stop:  # second Ctrl-C: give up at once
            raise KeyboardInterrupt
        self.stop = True

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def __call__(self) -> bool:
        return self.stop


def cmd_train_rnn(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if args.time_budget is not None and args.time_budget <= 0:
        raise UsageError("--time-budget must be positive")
    jsonl = args.progress_jsonl

    def emit_json(obj: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    if jsonl:
        emit_json({"event": "loading", "message": "loading the dataset"})
    ds = load_data(args)
    from tunerec.models import app_model_path
    from tunerec.paths import cache_dir
    from tunerec.recommenders.rnn.recommender import RNNRecommender, TrainingStopped

    if args.all_users:
        train_ds = ds.with_seed(args.seed)
        trained_on = "all users"
        model = RNNRecommender(cfg, seed=args.seed, trained_on=trained_on)
        out = Path(args.output) if args.output else app_model_path("rnn")
        ckpt = cache_dir() / "rnn-checkpoint-all.npz"
    else:
        from tunerec.evaluation.protocol import make_split

        train_ds = make_split(ds, args.seed).train
        trained_on = f"hetrec-sessions-v2 train users, seed {args.seed}"
        model = RNNRecommender(cfg, seed=args.seed, trained_on=trained_on)
        out = Path(args.output) if args.output else model.cache_path(train_ds)
        ckpt = cache_dir() / f"rnn-checkpoint-seed{args.seed}.npz"
    if args.resume and not ckpt.is_file():
        raise UsageError(f"--resume: no interrupted run to resume ({ckpt} does not exist)")

    started = time.perf_counter()
    with _StopFlag() as flag:
        if jsonl:
            emit_json({"event": "start", "epochs": cfg.epochs, "message": f"training on {trained_on}"})
            try:
                model.fit(train_ds, progress=emit_json, should_stop=flag, time_budget=args.time_budget, checkpoint=ckpt, resume=args.resume)
            except TrainingStopped as exc:
                emit_json({"event": "stopped", "message": str(exc)})
                return 130 if flag.stop else 1
        else:
            try:
                _fit_with_progress(model, train_ds, cfg, flag, args, ckpt, trained_on)
            except TrainingStopped as exc:
                err_console().print(f"[yellow]{exc}[/]", highlight=False)
                return 130 if flag.stop else 1
    model.save(out)
    ckpt.unlink(missing_ok=True)
    summary = {"model_path": str(out), "trained_on": trained_on, **model.describe(),
               "stopped": model.header.get("training", {}).get("stopped", ""),
               "events_per_s": model.header.get("training", {}).get("events_per_s"),
               "wall_seconds": round(time.perf_counter() - started, 1)}
    if jsonl:
        emit_json({"event": "saved", **summary, "message": f"saved {out}"})
    elif args.json:
        print_json(summary)
    else:
        _print_summary(summary)
    return 0


def _fit_with_progress(model: Any, train_ds: Any, cfg: Any, flag: _StopFlag, args: argparse.Namespace, ckpt: Path, trained_on: str) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    c = err_console()
    c.print(f"training the RNN on {trained_on} (up to {cfg.epochs} epochs; Ctrl-C stops and keeps the best epoch)", highlight=False)
    with Progress(
        TextColumn("[bold]epoch {task.fields[epoch]}/{task.fields[epochs]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]} · {task.fields[rate]} ev/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=c,
        transient=True,
    ) as prog:
        task = prog.add_task("epoch", total=None, epoch=0, epochs=cfg.epochs, loss="-", rate="-")

        def on(e: dict[str, Any]) -> None:
            ev = e.get("event")
            if ev == "epoch_start":
                prog.reset(task, total=e["events"], epoch=e["epoch"], epochs=e["epochs"], loss="-", rate="-")
            elif ev == "batch":
                prog.update(task, completed=e["done"], loss=f"{e['loss']:.4f}", rate=f"{e['events_per_s']:,.0f}")
            elif ev == "epoch_end":
                val = ""
                if e.get("val_recall") is not None:
                    val = f" · val Recall@20 {e['val_recall']:.4f} MRR@20 {e['val_mrr']:.4f}"
                best = " [green](best)[/]" if e.get("best_epoch") == e["epoch"] else ""
                prog.console.print(
                    f"epoch {e['epoch']}/{e['epochs']} · loss {e['loss']:.4f} · {e['events_per_s']:,.0f} ev/s · {e['seconds']:.0f}s{val}{best}",
                    highlight=False,
                )
            elif ev in ("resumed", "prepare"):
                prog.console.print(e.get("message", ""), highlight=False)

        model.fit(train_ds, progress=on, should_stop=flag, time_budget=args.time_budget, checkpoint=ckpt, resume=args.resume)
    if flag.stop:
        c.print("[yellow]stopped: the best finished epoch is kept[/]", highlight=False)


def _print_summary(s: dict[str, Any]) -> None:
    from rich.table import Table

    t = Table(title="RNN trained", show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    fmt = lambda v: "-" if v is None else (f"{v:.4f}" if isinstance(v, float) and v < 1 else str(v))  # noqa: E731
    for k in ("trained_on", "best_epoch", "epochs_run", "val_recall@20", "val_mrr@20", "train_seconds", "events_per_s", "stopped", "model_path"):
        t.add_row(k.replace("_", " "), fmt(s.get(k)))
    console().print(t)
