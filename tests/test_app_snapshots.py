"""Snapshot tests of the main screens (pytest-textual-snapshot, fixed size and theme).

Deterministic set-up: a preloaded dataset, fixed session names, panes served by
deterministic models (item-kNN variants), cursor blink off, notifications cleared.
Update after an intended UI change with ``pytest tests/test_app_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from textual.widgets import Input

from tunerec.app.main import TunerecApp
from tunerec.store import open_store

from test_app_flows import shared_factory

THEME = "textual-dark"


def app_for(dataset, **kw) -> TunerecApp:  # noqa: ANN001
    kw.setdefault("autotrain", False)
    kw.setdefault("model_factory", shared_factory({"rnn": "iknn_sessions", "ga": "iknn_both"}))
    kw.setdefault("debounce", 0.01)
    app = TunerecApp(dataset=dataset, **kw)
    return app


def seed_session(dataset, name: str = "Evening mix", artists=("Radiohead", "Muse", "Björk"), tags=("late night", "indie")) -> int:  # noqa: ANN001
    store = open_store()
    a = dataset.artists
    ids = [int(a.index[a["name"] == n][0]) for n in artists]
    sid = store.create_session(name, ids, list(tags))
    store.set_setting("current_session_id", sid)
    store.set_setting("theme", THEME)
    return sid


async def ready(pilot, view: str | None = None, keys: tuple[str, ...] = ()) -> None:  # noqa: ANN001
    app: TunerecApp = pilot.app
    end = time.monotonic() + 60
    while not app.ready or app.recs_busy or app.browse_busy:
        assert time.monotonic() < end, "app did not settle"
        await pilot.pause(0.05)
    for inp in app.query(Input):
        inp.cursor_blink = False
    if view:
        await pilot.press(view)
    if keys:
        await pilot.press(*keys)
    await pilot.pause(0.1)
    while app.recs_busy or app.browse_busy:
        assert time.monotonic() < end, "app did not settle"
        await pilot.pause(0.05)
    for inp in app.screen.query(Input):
        inp.cursor_blink = False
    app.clear_notifications()
    await pilot.pause(0.05)


def test_snapshot_browse(snap_compare, dataset) -> None:  # noqa: ANN001
    seed_session(dataset)

    async def before(pilot) -> None:  # noqa: ANN001
        await ready(pilot, keys=("slash", *"radiohead", "enter"))

    assert snap_compare(app_for(dataset), terminal_size=(120, 40), run_before=before)


def test_snapshot_browse_80x24(snap_compare, dataset) -> None:  # noqa: ANN001
    seed_session(dataset)

    async def before(pilot) -> None:  # noqa: ANN001
        await ready(pilot)

    assert snap_compare(app_for(dataset), terminal_size=(80, 24), run_before=before)


def test_snapshot_sessions(snap_compare, dataset) -> None:  # noqa: ANN001
    seed_session(dataset, "Sunday morning", ("Coldplay", "Keane"), ("calm",))
    seed_session(dataset)

    async def before(pilot) -> None:  # noqa: ANN001
        await ready(pilot, view="2")

    assert snap_compare(app_for(dataset), terminal_size=(120, 40), run_before=before)


def test_snapshot_recommend(snap_compare, dataset) -> None:  # noqa: ANN001
    seed_session(dataset)

    async def before(pilot) -> None:  # noqa: ANN001
        await ready(pilot, view="3")

    assert snap_compare(app_for(dataset), terminal_size=(120, 40), run_before=before)


def test_snapshot_recommend_80x24(snap_compare, dataset) -> None:  # noqa: ANN001
    seed_session(dataset)

    async def before(pilot) -> None:  # noqa: ANN001
        await ready(pilot, view="3")

    assert snap_compare(app_for(dataset), terminal_size=(80, 24), run_before=before)


def test_snapshot_compare(snap_compare, dataset, tunerec_home: Path) -> None:  # noqa: ANN001
    seed_session(dataset)
    folder = tunerec_home / "cache" / "eval"
    folder.mkdir(parents=True)
    doc = {"protocol": "hetrec-sessions-v2", "results": {
        "pop": {"next": {"recall@20": 0.0567, "mrr@20": 0.0081}, "list": {"recall@20": 0.0711, "ndcg@20": 0.0426, "ild@20": 0.7065, "novelty": 2.1632, "coverage": 0.0015}},
        "iknn_both": {"next": {"recall@20": 0.1233, "mrr@20": 0.0371}, "list": {"recall@20": 0.1152, "ndcg@20": 0.0773, "ild@20": 0.7396, "novelty": 6.3527, "coverage": 0.1846}},
    }}
    (folder / "latest.json").write_text(json.dumps(doc), encoding="utf-8")

    async def before(pilot) -> None:  # noqa: ANN001
        await ready(pilot, view="4")

    assert snap_compare(app_for(dataset), terminal_size=(120, 40), run_before=before)


def test_snapshot_help(snap_compare, dataset) -> None:  # noqa: ANN001
    seed_session(dataset)

    async def before(pilot) -> None:  # noqa: ANN001
        await ready(pilot, keys=("question_mark",))

    assert snap_compare(app_for(dataset), terminal_size=(120, 40), run_before=before)


def test_snapshot_missing_data(snap_compare, tmp_path: Path) -> None:
    open_store().set_setting("theme", THEME)
    app = TunerecApp(data_path="/nonexistent/tunerec-snapshot/lastfm.zip", autotrain=False)

    async def before(pilot) -> None:  # noqa: ANN001
        end = time.monotonic() + 30
        while len(app.screen_stack) < 2:
            assert time.monotonic() < end
            await pilot.pause(0.05)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(100, 30), run_before=before)
