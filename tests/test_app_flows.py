"""Pilot tests of every flow of the app (size 120×40, isolated TUNEREC_HOME)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any, Callable

import pytest

from tunerec.app.main import NOT_TRAINED, TunerecApp
from tunerec.app.screens import ErrorScreen, HelpScreen, RetrainRequest
from tunerec.app.widgets import ArtistTable, RecList, SessionList
from tunerec.models import ModelNotReady, get_recommender
from tunerec.store import open_store

SIZE = (120, 40)
_MODELS: dict[tuple, Any] = {}
_LOCK = threading.Lock()


def shared_factory(aliases: dict[str, str] | None = None) -> Callable[..., Any]:
    """``get_recommender`` with fitted models shared across tests (fitting kNN once)."""
    aliases = aliases or {}

    def factory(name: str, dataset, **options):  # noqa: ANN001, ANN003, ANN202
        real = aliases.get(name, name)
        key = (real, tuple(sorted(options.items())))
        with _LOCK:
            if key not in _MODELS:
                _MODELS[key] = get_recommender(real, dataset, **options)
            return _MODELS[key]

    return factory


def make_app(dataset, **kw) -> TunerecApp:  # noqa: ANN001
    kw.setdefault("autotrain", False)
    kw.setdefault("model_factory", shared_factory({"rnn": "iknn_sessions"}))
    kw.setdefault("debounce", 0.05)
    kw.setdefault("ga_deadline", 0.3)
    return TunerecApp(dataset=dataset, **kw)


async def wait_until(pilot, cond: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:  # noqa: ANN001
    import time

    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what or cond}")
        await pilot.pause(0.05)


async def settle(pilot, app: TunerecApp) -> None:  # noqa: ANN001
    await wait_until(pilot, lambda: app.ready, what="data loaded")
    await browsed(pilot)
    await wait_until(pilot, lambda: not app.recs_busy and all(app.pane_state[p] for p in ("rnn", "ga")), what="panes")
    await pilot.pause(0.05)


def artist_id(dataset, name: str) -> int:  # noqa: ANN001
    a = dataset.artists
    return int(a.index[a["name"] == name][0])


async def browsed(pilot) -> None:  # noqa: ANN001
    """Wait for the artist list (search debounce and worker) to catch up."""
    await pilot.pause(0.1)
    await wait_until(pilot, lambda: not pilot.app.browse_busy, what="artist list")


async def add_by_search(pilot, text: str) -> None:  # noqa: ANN001
    await pilot.press("slash", *text, "enter")
    await browsed(pilot)
    await pilot.press("enter")


# ------------------------------------------------------------------ start, browse
async def test_search_and_add_artists(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"bjork")
        await browsed(pilot)
        table = app.query_one("#artists", ArtistTable)
        assert table.current_artist == artist_id(dataset, "Björk")  # ranked: exact match first
        assert "Björk" in str(app.query_one("#detail-body").render())
        await pilot.press("enter", "enter")  # leave the search, add the highlighted artist
        await add_by_search(pilot, "muse")
        await pilot.press("j", "a")  # the second match too
        ids = app.editor.artists
        assert ids == [artist_id(dataset, "Björk"), artist_id(dataset, "Muse"), artist_id(dataset, "Museum")]
        # written through: another connection sees the session
        assert open_store().get_session(app.editor.session_id).artists == ids
        names = [str(o.prompt) for o in app.query_one("#browse-session-list", SessionList).options]
        assert "Björk" in names[0] and "Muse" in names[1]


async def test_tag_filter_and_sort(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await pilot.press(*"jazz", "enter")
        await browsed(pilot)
        assert app.tag_filter == "jazz"
        table = app.query_one("#artists", ArtistTable)
        tagged = app.browser.artists_with_tag("jazz")
        first = table.current_artist
        assert first in tagged
        await pilot.press("s")  # match -> listeners
        await browsed(pilot)
        assert app.sort == "listeners"
        rows = app.browser.rows("", "jazz", "listeners")
        assert table.current_artist == rows[0].artist_id
        await pilot.press("t", "ctrl+a", "ctrl+k", "enter")  # empty clears the filter
        await browsed(pilot)
        assert app.tag_filter is None


async def test_artist_list_grows_as_the_cursor_nears_the_end(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        table = app.query_one("#artists", ArtistTable)
        first_page = table.row_count
        assert first_page < len(app.browse_rows)
        table.move_cursor(row=first_page - 1)
        await pilot.pause(0.05)
        assert table.row_count > first_page
        assert table.current_artist == app.browse_rows[first_page - 1].artist_id
        await pilot.press("j")
        assert table.current_artist == app.browse_rows[first_page].artist_id


async def test_reorder_remove_clear_undo(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for a in ("Muse", "Coldplay", "Madonna"):
            app.editor.add(artist_id(dataset, a))
        app.session_changed()
        await pilot.press("2")
        lst = app.query_one("#session-list", SessionList)
        assert app.focused is lst
        lst.highlighted = 0
        await pilot.press("shift+down")
        assert [dataset.artist_name(a) for a in app.editor.artists] == ["Coldplay", "Muse", "Madonna"]
        assert lst.highlighted == 1
        await pilot.press("d")
        assert [dataset.artist_name(a) for a in app.editor.artists] == ["Coldplay", "Madonna"]
        await pilot.press("u")
        assert [dataset.artist_name(a) for a in app.editor.artists] == ["Coldplay", "Muse", "Madonna"]
        await pilot.press("C")
        assert app.editor.artists == []
        await pilot.press("u")
        assert len(app.editor.artists) == 3
        assert len(open_store().get_session(app.editor.session_id).artists) == 3


async def test_build_tag_rename_reopen_session(dataset, tunerec_home: Path) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await add_by_search(pilot, "muse")
        await pilot.press("number_sign")
        assert app.focused.id == "tag-input"
        await pilot.press(*"late night", "enter", *"rock", "enter")
        await pilot.press("escape", "r")
        await pilot.press("ctrl+a", "ctrl+k", *"My mix", "enter")
        await pilot.pause(0.05)
        sid = app.editor.session_id
        s = open_store().get_session(sid)
        assert (s.name, s.tags, s.artists) == ("My mix", ["late night", "rock"], [artist_id(dataset, "Muse")])
        assert "late night" in str(app.query_one("#session-head").render())
        await pilot.press("n")  # a new, empty session
        assert app.editor.session is None
        await add_by_search(pilot, "coldplay")
        await pilot.press("2")
        saved = app.query_one("#saved-list")
        saved.focus()
        names = [str(o.prompt) for o in saved.options]
        assert any("My mix" in n for n in names) and len(names) == 2
        saved.highlighted = next(i for i, n in enumerate(names) if "My mix" in n)
        await pilot.press("enter")  # reopen
        assert app.editor.session_id == sid and app.editor.tags == ["late night", "rock"]
    # the next start reopens the session that was open
    app2 = make_app(dataset)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(pilot, app2)
        assert app2.editor.session_id == sid and app2.editor.name == "My mix"


async def test_delete_undo_duplicate_and_example_sessions(dataset) -> None:  # noqa: ANN001
    store = open_store()
    a = store.create_session("Keep me", [artist_id(dataset, "Muse")])
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        saved = app.query_one("#saved-list")
        saved.focus()
        saved.highlighted = 0
        await pilot.press("d")
        assert [s.id for s in open_store().list_sessions()] == []
        await pilot.press("u")
        assert [s.name for s in open_store().list_sessions()] == ["Keep me"]
        saved.highlighted = 0
        await pilot.press("c")  # duplicate opens the copy
        assert app.editor.name == "Keep me (copy)" and app.editor.session_id != a
        examples = app.query_one("#example-list")
        examples.focus()
        examples.highlighted = 0
        await pilot.press("enter")
        ex = app.examples[0]
        assert app.editor.artists == list(ex.artists) and app.editor.name.startswith("Example: user")
        assert open_store().get_session(app.editor.session_id).source == "example"


# ------------------------------------------------------------------ recommendations
async def test_recommendations_in_both_panes_with_explanations(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for name in ("Radiohead", "Muse"):
            await add_by_search(pilot, name.lower())
        await pilot.press("3")
        await settle(pilot, app)
        session = set(app.editor.artists)
        for pane in ("rnn", "ga"):
            recs = app.pane_recs[pane]
            assert len(recs) == app.k, pane
            assert all(r.explanation for r in recs), pane
            assert not session & {r.artist_id for r in recs}, pane
            lst = app.query_one(f"#{pane}-list", RecList)
            assert lst.option_count == app.k
            first = str(lst.get_option_at_index(0).prompt)
            assert dataset.artist_name(recs[0].artist_id) in first and recs[0].explanation[:10] in first
        both = {r.artist_id for r in app.pane_recs["rnn"]} & {r.artist_id for r in app.pane_recs["ga"]}
        assert all(i.in_both == (i.rec.artist_id in both) for i in app.query_one("#ga-list", RecList).items)
        assert "novelty" in str(app.query_one("#ga-summary").render())
        # the explanation box shows the highlighted item; space expands it in the list
        assert app.focused is app.query_one("#rnn-list")
        top = app.pane_recs["rnn"][0]
        assert top.explanation in str(app.query_one("#explain").render())
        await pilot.press("space")
        assert 0 in app.query_one("#rnn-list", RecList).expanded
        # enter adds the recommended artist; the panes refresh without it
        await pilot.press("enter")
        assert app.editor.artists[-1] == top.artist_id
        await settle(pilot, app)
        assert top.artist_id not in {r.artist_id for r in app.pane_recs["rnn"]}


async def test_block_removes_artist(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await add_by_search(pilot, "radiohead")
        await pilot.press("3")
        await settle(pilot, app)
        lst = app.query_one("#ga-list", RecList)
        lst.focus()
        lst.highlighted = 0
        victim = app.pane_recs["ga"][0].artist_id
        await pilot.press("b")
        assert victim in open_store().blocked()
        assert victim not in {r.artist_id for p in ("rnn", "ga") for r in app.pane_recs[p]}  # at once
        await settle(pilot, app)
        assert victim not in {r.artist_id for p in ("rnn", "ga") for r in app.pane_recs[p]}  # and after recompute
        assert len(app.pane_recs["ga"]) == app.k
        await pilot.press("u")  # undo unblocks
        assert victim not in open_store().blocked()


def ga_available(dataset) -> bool:  # noqa: ANN001
    try:
        get_recommender("ga", dataset, deadline=0.05)
    except ValueError:
        return False
    return True


async def test_discovery_slider_and_hybrid_change_the_ga_list(dataset) -> None:  # noqa: ANN001
    if not ga_available(dataset):
        pytest.skip("the GA recommender is not in this build yet")
    app = make_app(dataset, model_factory=get_recommender)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for name in ("radiohead", "muse", "coldplay"):
            await add_by_search(pilot, name)
        await pilot.press("3")
        await settle(pilot, app)
        before = [r.artist_id for r in app.pane_recs["ga"]]
        rnn_gen = app.pane_gen["rnn"]
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket", "right_square_bracket", "right_square_bracket")
        assert app.discovery == pytest.approx(0.8)
        await settle(pilot, app)
        after = [r.artist_id for r in app.pane_recs["ga"]]
        assert after and after != before
        assert app.pane_gen["rnn"] == rnn_gen  # only the GA pane was recomputed
        assert "0.8" in str(app.query_one("#ga-knobs").render())
        await pilot.press("minus")
        assert app.discovery == pytest.approx(0.7)


async def test_rnn_pane_says_not_trained(dataset) -> None:  # noqa: ANN001
    try:
        get_recommender("rnn", dataset)
    except ModelNotReady:
        pass
    except ValueError:
        pytest.skip("the RNN recommender is not in this build yet")
    else:
        pytest.skip("an RNN model exists in this home")
    app = make_app(dataset, model_factory=shared_factory())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.pane_state["rnn"] == NOT_TRAINED
        assert "press R to train" in str(app.query_one("#rnn-status").render())
        assert app.pane_recs["ga"]  # the GA pane works without the RNN


# ------------------------------------------------------------------ retrain
def fake_trainer(tmp_path: Path, body: str) -> Callable[[RetrainRequest], list[str]]:
    script = tmp_path / "fake_train.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    seen: list[RetrainRequest] = []

    def argv(req: RetrainRequest) -> list[str]:
        seen.append(req)
        return [sys.executable, str(script)]

    argv.seen = seen  # type: ignore[attr-defined]
    return argv


async def test_retrain_progress_and_cancel(dataset, tmp_path: Path) -> None:  # noqa: ANN001
    trainer = fake_trainer(
        tmp_path,
        """
        import json, time
        for e in range(1, 10000):
            print(json.dumps({"epoch": e, "epochs": 10000, "loss": 2.0 / e, "val_recall@20": 0.01 * (e % 10)}), flush=True)
            time.sleep(0.02)
        """,
    )
    app = make_app(dataset, train_argv=trainer)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("R")
        await pilot.pause(0.1)
        await pilot.press("ctrl+a", "ctrl+k")  # the focused field: epochs
        app.screen.query_one("#retrain-epochs").value = "3"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "epoch" in app.train_status, what="progress")
        req = trainer.seen[0]
        assert (req.model, req.epochs, req.all_users) == ("rnn", 3, True)
        status = str(app.query_one("#status-text").render())
        assert "RNN training: epoch" in status and "loss" in status and "X cancels" in status
        await pilot.press("1", "slash", *"abba")  # the app stays usable while training
        await pilot.pause(0.2)
        assert app.query_text == "abba"
        await pilot.press("escape", "escape", "X")
        await wait_until(pilot, lambda: app.train_job is None, what="training stopped")
        assert "training" not in str(app.query_one("#status-text").render())


async def test_retrain_success_swaps_model_and_failure_keeps_log(dataset, tmp_path: Path) -> None:  # noqa: ANN001
    ok = fake_trainer(
        tmp_path,
        """
        import json
        for e in (1, 2):
            print(json.dumps({"epoch": e, "epochs": 2, "loss": 1.0}), flush=True)
        """,
    )
    app = make_app(dataset, train_argv=ok)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        gen = app.pane_gen["rnn"]
        app.start_training(RetrainRequest("rnn", 2, None, True))
        await wait_until(pilot, lambda: app.train_job is None, what="training finished")
        await settle(pilot, app)
        assert app.pane_gen["rnn"] > gen  # panes refreshed with the new model

    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = fake_trainer(
        bad_dir,
        """
        import sys
        print("CUDA? no: something broke", file=sys.stderr)
        sys.exit(3)
        """,
    )
    app = make_app(dataset, train_argv=bad)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.start_training(RetrainRequest("rnn", 1, None, True))
        await wait_until(pilot, lambda: app.train_job is None, what="training finished")
        status = str(app.query_one("#status-text").render())
        assert "training failed" in status and "log:" in status
        log = Path(status.split("log: ", 1)[1].strip())
        assert "something broke" in log.read_text(encoding="utf-8")


# ------------------------------------------------------------------ errors, help, settings, export
async def test_missing_data_screen(tmp_path: Path) -> None:
    app = TunerecApp(data_path=str(tmp_path / "nope.zip"), autotrain=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorScreen), what="error screen")
        await pilot.pause(0.1)
        text = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "nope.zip" in text and "--data PATH" in text
        await pilot.press("q")
    assert app.return_code in (0, None)


async def test_corrupt_store_is_replaced_with_notice(dataset, tunerec_home: Path) -> None:  # noqa: ANN001
    tunerec_home.mkdir(parents=True, exist_ok=True)
    (tunerec_home / "tunerec.sqlite3").write_bytes(b"this is not a database" * 100)
    app = make_app(dataset)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot, app)
        assert app.store.notice and "moved to" in app.store.notice
        assert any("damaged" in n.message for n in app._notifications)
    assert list(tunerec_home.glob("tunerec.sqlite3.corrupt-*"))


async def test_help_lists_every_binding(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        described = {r.description for r in app.screen.rows}
        for b in app.BINDINGS:
            assert b.description in described
        for w in (ArtistTable, RecList, SessionList):
            for b in w.BINDINGS:
                assert b.description in described
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_number_keys_and_palette(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        tabs = app.query_one("#views")
        for key, view in (("2", "sessions"), ("3", "recommend"), ("4", "compare"), ("1", "browse")):
            await pilot.press(key)
            assert tabs.active == view
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Retrain", "Export", "Settings", "Search", "Help"} <= titles


async def test_settings_persist(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("comma")
        scr = app.screen
        scr.query_one("#set-k").value = "7"
        scr.query_one("#set-discovery").value = "0.9"
        scr.query_one("#set-theme").value = "textual-light"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert (app.k, app.discovery, app.theme) == (7, 0.9, "textual-light")
        assert len(app.pane_recs["rnn"]) == 7
    store = open_store()
    assert (store.get_setting("k"), store.get_setting("discovery"), store.get_setting("theme")) == (7, 0.9, "textual-light")
    app2 = make_app(dataset)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(pilot, app2)
        assert (app2.k, app2.discovery, app2.theme) == (7, 0.9, "textual-light")


async def test_settings_reject_bad_values(dataset) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("comma")
        scr = app.screen
        scr.query_one("#set-k").value = "500"
        await pilot.press("ctrl+s")
        assert app.screen is scr and "between 5 and 50" in str(scr.query_one("#settings-error").render())
        await pilot.press("escape")
        assert app.k == 20


async def test_export_session_and_recommendations(dataset, tunerec_home: Path) -> None:  # noqa: ANN001
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await add_by_search(pilot, "radiohead")
        await settle(pilot, app)
        await pilot.press("e")
        scr = app.screen
        scr.query_one("#export-format").value = "jspf"
        await pilot.pause(0.05)
        path = Path(scr.query_one("#export-path").value)
        assert path.suffix == ".jspf" and path.parent == tunerec_home / "exports"
        await pilot.press("ctrl+s")
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert [t["creator"] for t in doc["playlist"]["track"]] == ["Radiohead"]
        await pilot.press("3")
        app.query_one("#ga-list").focus()
        await pilot.press("e")
        scr = app.screen
        assert scr.query_one("#export-source").value == "ga"
        target = tunerec_home / "ga.csv"
        scr.query_one("#export-format").value = "csv"
        await pilot.pause(0.05)
        scr.query_one("#export-path").value = str(target)
        await pilot.press("ctrl+s")
        lines = target.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1 + len(app.pane_recs["ga"])
        assert dataset.artist_name(app.pane_recs["ga"][0].artist_id) in lines[1]


async def test_compare_view_reads_cached_eval(dataset, tunerec_home: Path) -> None:  # noqa: ANN001
    folder = tunerec_home / "cache" / "eval"
    folder.mkdir(parents=True)
    doc = {"protocol": "hetrec-sessions-v2", "results": {
        "pop": {"next": {"recall@20": 0.0567, "mrr@20": 0.008}, "list": {"recall@20": 0.07, "novelty": 2.16}},
        "iknn_both": {"next": {"recall@20": 0.1233, "mrr@20": 0.037}, "list": {"recall@20": 0.115, "novelty": 6.35}},
    }}
    (folder / "latest.json").write_text(json.dumps(doc), encoding="utf-8")
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("4")
        table = app.query_one("#compare-table")
        assert table.row_count == 2
        assert [str(c.label) for c in table.columns.values()][:2] == ["model", "next.recall@20"]
        chart = str(app.query_one("#compare-chart").render())
        assert "next.recall@20" in chart and "list.novelty" in chart and "0.1233" in chart
        assert "This session's lists" in str(app.query_one("#compare-session").render())


def test_first_frame_does_not_import_torch(tmp_path: Path) -> None:
    """The app's first frame (and the data load) happen without importing torch."""
    code = textwrap.dedent(
        """
        import asyncio, sys
        from tunerec.app.main import TunerecApp

        async def main():
            app = TunerecApp(autotrain=False)
            async with app.run_test(size=(80, 24)) as pilot:
                while app.first_frame_at is None:
                    await pilot.pause(0.01)
                print("torch" in sys.modules, flush=True)

        asyncio.run(main())
        """
    )
    import os

    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"


async def test_imported_history_is_a_session_source(dataset, tmp_path: Path) -> None:  # noqa: ANN001
    """Sessions from the imported listening history appear beside the examples and open as sessions."""
    from tunerec.history import CatalogueMatcher, import_history

    csv_path = tmp_path / "plays.csv"
    rows = ["timestamp,artist,track"]
    for i, name in enumerate(["Radiohead", "Muse", "Björk", "Radiohead"]):
        rows.append(f"2024-03-0{1 + i // 3}T20:{10 * (i % 3):02d}:00Z,{name},song {i}")
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    store = open_store()
    import_history(store, csv_path, CatalogueMatcher.from_dataset(dataset), "csv")
    app = make_app(dataset)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.history_sessions and app.personal is not None
        await pilot.press("2")
        lst = app.query_one("#example-list")
        labels = [str(o.prompt) for o in lst.options]
        assert labels[0].startswith("♪ my listening") and len(labels) == len(app.history_sessions) + len(app.examples)
        lst.focus()
        lst.highlighted = 0
        await pilot.press("enter")
        first = app.history_sessions[0]
        assert app.editor.artists == list(first.artist_ids)
        assert open_store().get_session(app.editor.session_id).source == "history"


async def test_ga_requests_do_not_pile_up(dataset) -> None:  # noqa: ANN001
    """Rapid discovery changes run one GA at a time; the newest setting is computed last."""
    if not ga_available(dataset):
        pytest.skip("the GA recommender is not in this build yet")
    app = make_app(dataset, model_factory=shared_factory({"rnn": "iknn_sessions"}), ga_deadline=0.4)
    running = {"now": 0, "most": 0, "calls": 0}
    lock = threading.Lock()
    original = app._rec_job

    def counted(pane, *args):  # noqa: ANN001, ANN002, ANN202
        if pane != "ga":
            return original(pane, *args)
        with lock:
            running["now"] += 1
            running["calls"] += 1
            running["most"] = max(running["most"], running["now"])
        try:
            return original(pane, *args)
        finally:
            with lock:
                running["now"] -= 1

    app._rec_job = counted  # type: ignore[method-assign]
    asked: list[float] = []
    original_ctx = app.rec_context

    def ctx():  # noqa: ANN202
        c = original_ctx()
        asked.append(c.discovery)
        return c

    app.rec_context = ctx  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await add_by_search(pilot, "radiohead")
        await settle(pilot, app)
        calls = running["calls"]
        for _ in range(6):
            await pilot.press("right_square_bracket")
        await pilot.pause(0.2)
        for _ in range(3):
            await pilot.press("left_square_bracket")
            await pilot.pause(0.02)
        await settle(pilot, app)
        assert running["most"] == 1  # never two GA runs at once
        assert 1 <= running["calls"] - calls <= 9
        assert app.discovery == pytest.approx(0.6)
        assert asked[-1] == pytest.approx(0.6)  # the newest setting was computed last
        assert app.pane_state["ga"] == "ok" and len(app.pane_recs["ga"]) == app.k
