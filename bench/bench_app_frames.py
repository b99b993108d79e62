"""Frame-stall benchmark of the tunerec app (headless, driven with Pilot).

Prints:
- first frame: wall time from process start (``python -c``) to the app's first refresh,
  median of ``--runs`` fresh processes, and whether torch was imported by then;
- the longest gap between screen refreshes while each load runs. A ticker widget
  changes every 1/60 s, so the app must refresh at ~60 Hz; every gap above ~17 ms is
  time the event loop could not draw. Loads: idle (baseline), data load, type-ahead
  search, first recommendations (model fit), GA evolving under discovery changes,
  RNN recommending (when a trained model exists), a training subprocess running.

Usage::

    TUNEREC_HOME=$(mktemp -d) .venv/bin/python bench/bench_app_frames.py [--runs 3] [--train-seconds 6]

The quality bar of issue 6 is "no gap above 100 ms".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

FIRST_FRAME_CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from tunerec.app.main import TunerecApp

    async def main():
        app = TunerecApp(autotrain=False)
        async with app.run_test(size=(120, 40)) as pilot:
            while app.first_frame_at is None:
                await pilot.pause(0.005)
            print(time.time(), "torch" in sys.modules, flush=True)
            app.exit()

    asyncio.run(main())
    """
)


def first_frame(runs: int) -> tuple[list[float], bool]:
    times, torch_seen = [], False
    for _ in range(runs):
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", FIRST_FRAME_CHILD], capture_output=True, text=True, check=True)
        stamp, torch = out.stdout.split()[-2:]
        times.append(float(stamp) - t0)
        torch_seen |= torch == "True"
    return times, torch_seen


FAKE_TRAINER = textwrap.dedent(
    """
    # Stand-in for `tunerec train` when this build has none: burns one core in a
    # separate process and prints a JSON progress line every 50 ms.
    import json, sys, time
    t0 = time.time(); e = 0
    while time.time() - t0 < float(sys.argv[1]):
        x = 0
        end = time.time() + 0.05
        while time.time() < end:
            x += 1
        e += 1
        print(json.dumps({"epoch": e, "epochs": 10**6, "loss": 1.0 / e}), flush=True)
    """
)


class StallTracer:
    """Samples the main thread's stack whenever no refresh happened for ``threshold`` s."""

    def __init__(self, frames: "Frames", threshold: float = 0.08) -> None:
        import threading

        self.frames = frames
        self.threshold = threshold
        self.samples: dict[str, int] = {}
        self.main_id = threading.get_ident()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        import traceback

        while not self.stop.wait(0.02):
            last = self.frames.times[-1] if self.frames.times else None
            if last is None or time.perf_counter() - last < self.threshold:
                continue
            frame = sys._current_frames().get(self.main_id)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            ours = [f for f in stack if "/tunerec/" in f.filename or "site-packages/textual" in f.filename][-4:]
            key = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(ours)) or "(outside tunerec/textual)"
            self.samples[key] = self.samples.get(key, 0) + 1

    def report(self) -> None:
        self.stop.set()
        print("\nmain-thread stacks sampled during stalls (count, innermost first):")
        for key, n in sorted(self.samples.items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {n:>4}  {key}")


class Frames:
    """Timestamps of screen refreshes (wraps ``App._display``)."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.times: list[float] = []
        self.cpu: list[float] = []  # main-thread CPU clock at each refresh
        orig = app._display

        def display(screen, renderable):  # noqa: ANN001, ANN202
            if renderable is not None:
                self.times.append(time.perf_counter())
                self.cpu.append(time.thread_time())
            return orig(screen, renderable)

        app._display = display

    def max_gap(self, start: float, end: float) -> tuple[float, int, float]:
        """(longest wall gap, refreshes, longest main-thread CPU time between two refreshes)."""
        idx = [i for i, t in enumerate(self.times) if start <= t <= end]
        ts = [start] + [self.times[i] for i in idx] + [end]
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        cpu = [self.cpu[i] - self.cpu[i - 1] for i in idx if i > 0]
        return max(gaps), len(idx), max(cpu, default=0.0)


async def run_loads(args: argparse.Namespace) -> list[tuple[str, float, int, float, str, float]]:
    from textual.widgets import Static

    from tunerec.app.main import TunerecApp
    from tunerec.app.screens import RetrainRequest
    from tunerec.app.main import train_command_available

    fake = Path(tempfile.mkdtemp()) / "fake_train.py"
    fake.write_text(FAKE_TRAINER, encoding="utf-8")
    real_train = train_command_available() and not args.fake_train

    def train_argv(req: RetrainRequest) -> list[str]:
        if real_train:
            from tunerec.trainjob import train_command

            out = Path(tempfile.mkdtemp()) / "rnn-bench.npz"  # never replace the home's model
            return train_command("rnn", epochs=req.epochs, all_users=True, time_budget=req.time_budget) + ["--output", str(out)]
        return [sys.executable, str(fake), str(args.train_seconds)]

    app = TunerecApp(autotrain=False, train_argv=train_argv, ga_deadline=args.ga_deadline)
    frames = Frames(app)
    import gc
    import threading

    gc_pauses: list[tuple[int, float, bool]] = []  # (generation, seconds, on the UI thread)
    gc_start: dict[str, float] = {}
    main_thread = threading.get_ident()

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            gc_start["t"] = time.perf_counter()
        elif "t" in gc_start:
            gc_pauses.append((info["generation"], time.perf_counter() - gc_start.pop("t"), threading.get_ident() == main_thread))

    gc.callbacks.append(on_gc)
    tracer = StallTracer(frames) if args.trace_stalls else None
    rows: list[tuple[str, float, int, float, str, float]] = []

    def record(name: str, start: float, note: str = "") -> None:
        end = time.perf_counter()
        gap, n, cpu = frames.max_gap(start, end)
        rows.append((name, gap * 1000, n, end - start, note, cpu * 1000))

    from textual import events

    async def wait(pilot, cond, timeout=120.0):  # noqa: ANN001, ANN202
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise TimeoutError("load did not finish")
            await asyncio.sleep(0.01)

    async def press(*keys: str, gap: float = 0.0) -> None:
        """Keys as the terminal driver sends them (Pilot.press would force extra refreshes)."""
        for k in keys:
            char = " " if k == "space" else (k if len(k) == 1 else None)
            app.post_message(events.Key(k, char))
            await asyncio.sleep(gap or 0.001)

    def panes_done() -> bool:
        return app.ready and not app.recs_busy

    async with app.run_test(size=(120, 40)) as pilot:
        ticker = Static("0", id="bench-ticker")
        ticker.styles.dock = "top"
        ticker.styles.width = 8
        ticker.styles.height = 1
        await app.screen.mount(ticker)
        n = 0

        def tick() -> None:
            nonlocal n
            n += 1
            ticker.update(str(n), layout=False)

        app.set_interval(1 / 60, tick)
        t = time.perf_counter()
        await wait(pilot, lambda: app.ready)
        record("data load (worker)", t)
        await wait(pilot, panes_done)

        t = time.perf_counter()
        await asyncio.sleep(1.0)
        record("idle (baseline)", t)

        t = time.perf_counter()
        await press("slash")
        await press(*["space" if c == " " else c for c in "the beatles radiohead"], gap=0.05)
        await asyncio.sleep(0.3)
        record("type-ahead search (21 keys, 50 ms apart)", t)
        await press("escape", "escape")

        app.models.invalidate()
        t = time.perf_counter()
        for name in ("Radiohead", "Muse", "Coldplay"):
            a = app.ds.artists
            app.editor.add(int(a.index[a["name"] == name][0]))
        app.session_changed()
        await press("3")
        await asyncio.sleep(0.1)
        await wait(pilot, panes_done)
        record("first recommendations (fit + recommend)", t, f"rnn pane: {app.pane_state['rnn'][:40]}; ga pane model: {note_of(app, 'ga')}")

        t = time.perf_counter()
        await press(*["right_square_bracket"] * 8, gap=0.15)
        await press(*["left_square_bracket"] * 4, gap=0.15)
        await wait(pilot, panes_done)
        record("GA evolving (12 discovery changes, cancels)", t, f"model: {note_of(app, 'ga')}, deadline {args.ga_deadline}s")

        t = time.perf_counter()
        for name in ("Björk", "Portishead", "Massive Attack"):
            a = app.ds.artists
            app.editor.add(int(a.index[a["name"] == name][0]))
            app.session_changed()
            await asyncio.sleep(0.2)
        await wait(pilot, panes_done)
        record("session edits → both panes recompute", t, f"rnn pane: {note_of(app, 'rnn')}")

        t = time.perf_counter()
        app.start_training(RetrainRequest("rnn", args.train_epochs, args.train_seconds, True))
        await asyncio.sleep(0.5)
        await press("1", "slash")
        await press(*"massive", gap=0.05)
        await wait(pilot, lambda: app.train_job is None, timeout=args.train_seconds + 120)
        record("training subprocess running", t, ("real `tunerec train rnn`" if real_train else "stand-in CPU-bound process") + f"; {app.train_status[:60]}")
        app.exit()
    gc.callbacks.remove(on_gc)
    worst = sorted(gc_pauses, key=lambda g: -g[1])[:3]
    print("longest garbage-collection pauses: " + (", ".join(f"gen{g} {d * 1000:.0f} ms ({'UI' if ui else 'worker'} thread)" for g, d, ui in worst) or "none"))
    if tracer is not None:
        tracer.report()
    return rows


def note_of(app, pane: str) -> str:  # noqa: ANN001
    status = str(app.query_one(f"#{pane}-status").render())
    return status.splitlines()[0][:60] if status.strip() else pane


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="first-frame runs (default 3)")
    parser.add_argument("--ga-deadline", type=float, default=1.5, help="GA time budget per request (s)")
    parser.add_argument("--train-seconds", type=float, default=6.0, help="training time budget (s)")
    parser.add_argument("--train-epochs", type=int, default=1)
    parser.add_argument("--trace-stalls", action="store_true", help="sample the main thread's stack during stalls")
    parser.add_argument("--skip-first-frame", action="store_true")
    parser.add_argument("--fake-train", action="store_true", help="use the stand-in trainer even if `tunerec train` exists")
    args = parser.parse_args()
    if "TUNEREC_HOME" not in os.environ:
        os.environ["TUNEREC_HOME"] = tempfile.mkdtemp(prefix="tunerec-bench-")
    print(f"TUNEREC_HOME={os.environ['TUNEREC_HOME']}")
    # warm the dataset cache so the first-frame runs measure the app, not the zip parse
    from tunerec.data import load_dataset

    load_dataset()
    times, torch_seen = first_frame(0 if args.skip_first_frame else args.runs)
    if times:
        print(f"first frame (process start -> first refresh): median {statistics.median(times) * 1000:.0f} ms "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in times)} ms); torch imported by then: {torch_seen}")
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rows = asyncio.run(run_loads(args))
    print(f"machine load average after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"\n{'load':<45} {'longest gap':>12} {'max main CPU':>13} {'refreshes':>10} {'duration':>9}  note")
    for name, gap, n, dur, note, cpu in rows:
        flag = "  <-- over 100 ms" if gap > 100 else ""
        print(f"{name:<45} {gap:>9.0f} ms {cpu:>10.0f} ms {n:>10} {dur:>8.1f}s  {note}{flag}")
    print("(longest gap: wall time between two refreshes; max main CPU: CPU time the UI thread spent between two refreshes)")
    print(json.dumps({"first_frame_ms": [round(t * 1000) for t in times],
                      "longest_gap_ms": {r[0]: round(r[1]) for r in rows}, "max_main_cpu_ms": {r[0]: round(r[5]) for r in rows}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
