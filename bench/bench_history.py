"""Benchmark: Last.fm 1K history import speed and memory.

Generates Last.fm 1K-shaped TSV files (1M and 5M plays by default) in a temporary
folder, then imports each in a fresh child process into a fresh store and prints
plays/s, peak RSS (VmHWM) and the RSS the import itself added above the process
after loading the catalogue. A baseline measured in the same run: the plain
``for line in file: line.split('\\t')`` loop over the same file (timed in this process
right before and after the import's, averaged, as the machine is shared), so the import
speed is also shown as a ratio of the fastest possible Python pass.

Constant memory: the parser reads 512 KiB chunks and inserts in batches; only the
distinct artist names stay in memory. Peak RSS should be nearly flat from 1M to 5M
plays (it grows with the distinct names only); ``--sizes 16000000`` checks a 2 GB file
(the full Last.fm 1K file has ~19M plays but only ~170k distinct artists; the generated
one has ~417k at 16M, so its RSS is an upper bound).

    nice .venv/bin/python bench/bench_history.py [--sizes 1000000 5000000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


PLAYS_PER_USER = 50_000  # about 10 months of listening each


def generate(path: Path, n: int, seed: int = 7) -> None:
    """n plays, 50,000 per user, each user's newest first (like the real file), 3-5 min
    between plays and a long pause every ~15 plays. Artists follow a long tail (Zipf
    weights) over every catalogue name plus n/40 invented names, so the number of
    distinct names grows with the file, as in real logs (the 1K file: ~177k artists)."""
    from tunerec.data import load_dataset

    ds = load_dataset()
    rng = random.Random(seed)
    names = ds.artists[ds.artists["known"]]["name"].tolist() + [f"Invented Artist {i}" for i in range(n // 40)]
    rng.shuffle(names)
    artists = [(name, "%08x-%04x-%04x-%04x-%012x" % tuple(rng.getrandbits(b) for b in (32, 16, 16, 16, 48))) for name in names]
    cum, total = [], 0.0
    for rank in range(len(artists)):
        total += 1.0 / (rank + 1) ** 0.9
        cum.append(total)
    picks = rng.choices(range(len(artists)), cum_weights=cum, k=n)
    import datetime as dt

    with open(path, "w", encoding="utf-8", newline="\n") as f:
        buf = []
        for i in range(n):
            if i % PLAYS_PER_USER == 0:  # a new user, newest play first (as in the real file)
                user = f"user_{i // PLAYS_PER_USER + 1:06d}"
                ts = 1_241_478_537
            name, mbid = artists[picks[i]]
            ts -= rng.randint(2400, 7200) if i % 15 == 14 else rng.randint(180, 300)
            when = dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            buf.append(f"{user}\t{when}\t{mbid}\t{name}\t\tTrack {i % 9973} of {name}\n")
            if len(buf) >= 100_000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))


def split_loop(path: str) -> tuple[int, float]:
    """(lines, seconds) of the plain Python pass: read each line, split it on tabs."""
    t0 = time.perf_counter()
    with open(path, encoding="utf-8") as f:
        n = 0
        for line in f:
            line.split("\t")
            n += 1
    return n, time.perf_counter() - t0


def child(path: str, store_path: str) -> None:
    """Run one import in this (fresh) process and print a JSON line of figures."""
    from tunerec.data import load_dataset
    from tunerec.history import CatalogueMatcher, import_history
    from tunerec.store import open_store

    ds = load_dataset()
    matcher = CatalogueMatcher.from_dataset(ds)
    store = open_store(store_path)
    before = rss_mb()
    load = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    report = import_history(store, path, matcher)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = rss_mb("VmHWM")
    print(json.dumps({
        "plays": report.plays, "new_plays": report.new_plays, "seconds": seconds, "plays_per_s": report.plays / seconds,
        "cpu_seconds": cpu, "plays_per_cpu_s": report.plays / cpu, "load_avg_1min": load,
        "rss_before_import_mb": before, "peak_rss_mb": peak, "rss_after_mb": rss_mb(),
        "file_mb": os.path.getsize(path) / 2**20, "store_mb": os.path.getsize(store_path) / 2**20,
        "matched_plays": report.matched_plays, "sessions": report.sessions, "artist_names": report.artists,
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--child", nargs=2, metavar=("FILE", "STORE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="tunerec-bench-history-") as tmp:
        os.environ["TUNEREC_HOME"] = os.environ.get("TUNEREC_HOME") or tmp
        results = []
        for n in args.sizes:
            path = Path(tmp) / f"lastfm1k-{n}.tsv"
            t0 = time.perf_counter()
            generate(path, n)
            print(f"generated {n:,} plays ({path.stat().st_size / 2**20:.0f} MB) in {time.perf_counter() - t0:.0f} s", flush=True)
            store = Path(tmp) / f"store-{n}.sqlite3"
            lines, split_before = split_loop(str(path))
            out = subprocess.run([sys.executable, __file__, "--child", str(path), str(store)], capture_output=True, text=True)
            if out.returncode != 0:
                sys.exit(out.stderr)
            _, split_after = split_loop(str(path))
            r = json.loads(out.stdout.strip().splitlines()[-1])
            # the machine is shared: the load may change during the import
            r["split_lines_per_s"] = lines / ((split_before + split_after) / 2)
            results.append(r)
            print(
                f"{r['plays']:>10,} plays  {r['seconds']:6.1f} s  {r['plays_per_s']:>9,.0f} plays/s  "
                f"(CPU {r['cpu_seconds']:.1f} s, all threads: {r['plays_per_cpu_s']:,.0f} plays per CPU-second; "
                f"load average {r['load_avg_1min']:.1f} on {os.cpu_count()} cores)  "
                f"(plain split loop {r['split_lines_per_s']:,.0f} lines/s: import = {r['plays_per_s'] / r['split_lines_per_s']:.2f}x)  "
                f"RSS before import {r['rss_before_import_mb']:.0f} MB, peak {r['peak_rss_mb']:.0f} MB "
                f"(import adds {r['peak_rss_mb'] - r['rss_before_import_mb']:.0f} MB)  store {r['store_mb']:.0f} MB  "
                f"{r['artist_names']:,} distinct artist names, {r['matched_plays'] / r['plays']:.0%} of plays matched",
                flush=True,
            )
            path.unlink()
            store.unlink()
        if len(results) > 1:
            a, b = results[0], results[-1]
            print(
                f"peak RSS {a['peak_rss_mb']:.0f} MB at {a['plays']:,} plays vs {b['peak_rss_mb']:.0f} MB at {b['plays']:,} plays "
                f"({b['plays'] / a['plays']:.0f}x the plays, {b['peak_rss_mb'] / a['peak_rss_mb']:.2f}x the memory)"
            )


if __name__ == "__main__":
    main()
