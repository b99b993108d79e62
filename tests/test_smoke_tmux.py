"""Smoke test of the real ``tunerec`` binary in a tmux terminal: search an artist, add it,
see recommendations in both panes.

The RNN pane needs a trained model. Training one takes minutes, so the test uses the
model file named by ``$TUNEREC_TEST_RNN_MODEL`` when set (copied into the test's home)
and otherwise checks that the RNN pane says how to train it while the GA pane recommends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tunerec.store import open_store

TMUX = shutil.which("tmux")
BINARY = Path(sys.executable).parent / "tunerec"
W, H = 120, 40

pytestmark = [
    pytest.mark.skipif(TMUX is None, reason="tmux is not installed"),
    pytest.mark.skipif(not BINARY.exists(), reason=f"no tunerec console script next to {sys.executable}"),
]


def tmux(*args: str) -> str:
    return subprocess.run([TMUX, *args], capture_output=True, text=True, check=True).stdout


def screen(name: str) -> str:
    return tmux("capture-pane", "-p", "-t", name)


def wait_for(name: str, cond, what: str, timeout: float = 60.0) -> str:  # noqa: ANN001
    end = time.monotonic() + timeout
    text = ""
    while time.monotonic() < end:
        text = screen(name)
        if cond(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; screen was:\n{text}")


def pane_rows(text: str, left: bool) -> list[str]:
    """Lines of the RNN (left) or GA (right) pane: the box columns of the Recommend view."""
    rows = []
    for line in text.splitlines():
        boxes = line.split("││")
        if len(boxes) == 2:
            rows.append(boxes[0] if left else boxes[1])
    return rows


def test_search_add_and_see_recommendations(tmp_path: Path, tunerec_home: Path) -> None:
    store = open_store()
    store.set_setting("autotrain", False)  # no background training in a smoke test
    store.close()
    model = os.environ.get("TUNEREC_TEST_RNN_MODEL")
    if model:
        (tunerec_home / "models").mkdir(parents=True, exist_ok=True)
        shutil.copy(model, tunerec_home / "models" / "rnn-all.npz")
    name = f"tunerec-smoke-{os.getpid()}"
    # COLUMNS/LINES may be inherited from the test runner; the app must size itself from the tty
    cmd = f"env -u COLUMNS -u LINES TUNEREC_HOME={tunerec_home} {BINARY}; sleep 30"
    tmux("new-session", "-d", "-s", name, "-x", str(W), "-y", str(H), cmd)
    try:
        wait_for(name, lambda t: "1 Browse" in t and "artists · sort" in t, "the app with its artist list")
        tmux("send-keys", "-t", name, "/")
        time.sleep(0.3)  # a person's pause between "/" and the query
        tmux("send-keys", "-t", name, "-l", "radiohead")
        wait_for(name, lambda t: "Radiohead" in t and "1 artist ·" in t, "the search result")
        tmux("send-keys", "-t", name, "Enter")
        time.sleep(0.5)
        tmux("send-keys", "-t", name, "Enter")
        wait_for(name, lambda t: "Session · 1 artist" in t, "Radiohead in the session")
        tmux("send-keys", "-t", name, "3")

        def both_panes(t: str) -> bool:
            ga = [r for r in pane_rows(t, left=False) if "█" in r]
            rnn_ok = any("█" in r for r in pane_rows(t, left=True)) if model else "press R to train" in t
            return len(ga) >= 3 and rnn_ok

        text = wait_for(name, both_panes, "recommendations in both panes", timeout=90)
        assert "RNN (GRU4Rec-style)" in text and "GA (multi-objective)" in text
        assert "Radiohead" in text  # the session stays visible beside the panes
        if not model:
            assert "model not trained yet — press R to train" in text
        tmux("send-keys", "-t", name, "q")
        wait_for(name, lambda t: "1 Browse" not in t, "the app to quit", timeout=20)
    finally:
        subprocess.run([TMUX, "kill-session", "-t", name], capture_output=True)
    assert open_store().list_sessions()[0].artists  # the session was saved by the real binary
