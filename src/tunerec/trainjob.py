"""Run model training in a separate process and read its JSON-lines progress (UI-free).

The app cannot train in-process (Textual replaces ``sys.stderr``, which breaks
``multiprocessing``, and training would starve the UI), so it starts
``python -m tunerec train ... --progress-jsonl`` with ``stdin=DEVNULL``, stdout piped
(one JSON object per line) and stderr appended to a log file under the cache dir.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from tunerec.paths import cache_dir


@dataclass(frozen=True)
class TrainProgress:
    """One progress line of a training run (every field optional)."""

    epoch: int | None = None
    epochs: int | None = None
    loss: float | None = None
    val_recall: float | None = None
    eta: float | None = None  # seconds
    done: int | None = None  # events done in this epoch
    total: int | None = None  # events in an epoch
    event: str = ""
    message: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        parts = []
        if self.epoch is not None:
            parts.append(f"epoch {self.epoch}" + (f"/{self.epochs}" if self.epochs else ""))
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4f}")
        if self.val_recall is not None:
            parts.append(f"val Recall@20 {self.val_recall:.3f}")
        if self.eta is not None:
            parts.append(f"ETA {format_seconds(self.eta)}")
        if self.message:
            parts.append(self.message)
        return " · ".join(parts) or "training…"

    @property
    def fraction(self) -> float | None:
        """Share of the whole run done (epochs, and events inside the current epoch)."""
        if self.epoch is None or not self.epochs:
            return None
        if self.done is not None and self.total:
            f = (self.epoch - 1 + self.done / self.total) / self.epochs
        elif self.event in ("epoch_start",):
            f = (self.epoch - 1) / self.epochs
        else:
            f = self.epoch / self.epochs
        return max(0.0, min(1.0, f))


def format_seconds(s: float) -> str:
    s = max(0, int(round(s)))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def _num(d: dict[str, Any], *keys: str) -> float | None:
    for k in keys:
        v = d.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    return None


def parse_progress(line: str) -> TrainProgress | None:
    """A :class:`TrainProgress` from one stdout line (None for blank or non-JSON lines)."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        d = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(d, dict):
        return None
    epoch = _num(d, "epoch")
    epochs = _num(d, "epochs", "total_epochs")
    done, total = _num(d, "done"), _num(d, "total")
    event = str(d.get("event") or "")
    msg = d.get("message") or ("" if event in ("batch", "epoch_start", "epoch_end") else event) or d.get("status") or ""
    eta = _num(d, "eta", "eta_s", "eta_seconds")
    rate = _num(d, "events_per_s")
    if eta is None and rate and done is not None and total and epoch is not None and epochs:
        left = (total - done) + (epochs - epoch) * total  # events still to train (validation not counted)
        eta = left / rate
    return TrainProgress(
        epoch=None if epoch is None else int(epoch),
        epochs=None if epochs is None else int(epochs),
        loss=_num(d, "loss", "train_loss"),
        val_recall=_num(d, "val_recall", "val_recall@20", "val_recall_20", "recall@20"),
        eta=eta,
        done=None if done is None else int(done),
        total=None if total is None else int(total),
        event=event,
        message=str(msg),
        raw=d,
    )


def train_command(
    model: str = "rnn",
    *,
    epochs: int | None = None,
    all_users: bool = True,
    time_budget: float | None = None,
    data: str | None = None,
) -> list[str]:
    """argv of the ``tunerec train`` command the app runs."""
    argv = [sys.executable, "-m", "tunerec", "train", model, "--progress-jsonl"]
    if all_users:
        argv.append("--all-users")
    if epochs is not None:
        argv += ["--epochs", str(int(epochs))]
    if time_budget is not None:
        argv += ["--time-budget", f"{float(time_budget):g}"]
    if data:
        argv += ["--data", data]
    return argv


def default_log_path(model: str) -> Path:
    return cache_dir() / "logs" / f"train-{model}-{time.strftime('%Y%m%d-%H%M%S')}.log"


class TrainJob:
    """A training subprocess: ``start()``, iterate ``progress()``, ``wait()`` or ``cancel()``."""

    def __init__(self, argv: Sequence[str], log_path: str | os.PathLike[str], env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.log_path = Path(log_path)
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self.cancelled = False
        self.last: TrainProgress | None = None
        self.saved = False  # the run reported a saved model ({"event": "saved"})
        self.best_val: float | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "a", encoding="utf-8")
        try:
            log.write(f"$ {' '.join(self.argv)}\n")
            log.flush()
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                bufsize=1,
                env=self.env,
                start_new_session=True,  # a cancel reaches the whole process group
            )
        finally:
            log.close()

    def progress(self) -> Iterator[TrainProgress]:
        """Parsed progress lines until the process closes stdout."""
        assert self.proc is not None and self.proc.stdout is not None
        for raw in self.proc.stdout:
            p = parse_progress(raw)
            if p is not None:
                self.last = p
                if p.event == "saved":
                    self.saved = True
                if p.val_recall is not None:
                    self.best_val = p.val_recall if self.best_val is None else max(self.best_val, p.val_recall)
                yield p

    def wait(self, timeout: float | None = None) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        """Ask the run to stop (SIGTERM to its process group) without waiting."""
        self.cancelled = True
        if not self.running:
            return
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError, AttributeError):
            self.proc.terminate()

    def cancel(self, grace: float = 5.0) -> None:
        """Stop the run (SIGTERM to its process group, SIGKILL after ``grace`` seconds)."""
        self.terminate()
        if self.proc is None:
            return
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, AttributeError):
                self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines: int = 5) -> str:
        """The last lines of the log (the error, usually)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])
