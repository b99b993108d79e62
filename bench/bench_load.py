"""Dataset load time (cold: parse the zip; warm: from the npz cache) and peak memory.

Each measurement runs in a fresh interpreter so imports and caches do not leak between
runs. Usage: .venv/bin/python bench/bench_load.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from tunerec.data import load_dataset
t1 = time.perf_counter()
ds = load_dataset(use_cache=sys.argv[1] == "warm")
t2 = time.perf_counter()
n = len(ds.sessions)  # derived view used by every model
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "sessions_s": t3 - t2,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(mode: str, home: str) -> dict:
    env = dict(os.environ, TUNEREC_HOME=home)
    out = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        run("warm", home)  # fill the cache
        rows = {"cold (parse zip)": [run("cold", home) for _ in range(args.repeat)],
                "warm (npz cache)": [run("warm", home) for _ in range(args.repeat)]}
    print(f"dataset load, {args.repeat} fresh interpreters each (median; min..max)")
    for name, rs in rows.items():
        load = [r["load_s"] for r in rs]
        rss = [r["peak_rss_mb"] for r in rs]
        print(f"  {name:18s} load {statistics.median(load):.3f} s ({min(load):.3f}..{max(load):.3f})"
              f"  +sessions {statistics.median(r['sessions_s'] for r in rs):.3f} s"
              f"  import {statistics.median(r['import_s'] for r in rs):.3f} s"
              f"  peak RSS {statistics.median(rss):.0f} MB")
    cold = statistics.median(r["load_s"] for r in rows["cold (parse zip)"])
    warm = statistics.median(r["load_s"] for r in rows["warm (npz cache)"])
    print(f"  warm/cold ratio {warm / cold:.2f}  (targets: cold <= 1.0 s, warm <= 0.3 s)")


if __name__ == "__main__":
    main()
