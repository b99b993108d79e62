"""Core helpers behind the app (UI-free): session editing, browsing, list summaries,
export formats, training runs, the eval cache reader."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tunerec.browse import Browser
from tunerec.evalcache import EvalCacheError, load_eval
from tunerec.export import FORMATS, export_list, items_for, render
from tunerec.listinfo import overlap, summarize, tag_diversity
from tunerec.sessions import CURRENT_KEY, SessionEditor, example_sessions
from tunerec.store import open_store
from tunerec.trainjob import TrainJob, parse_progress, train_command


# ------------------------------------------------------------------ sessions
def test_editor_writes_through_every_edit(tunerec_home: Path) -> None:
    store = open_store()
    ed = SessionEditor(store)
    assert ed.session is None and ed.artists == []
    assert ed.add(10) and ed.add(20) and ed.add(30)
    assert not ed.add(20)  # no duplicates
    sid = ed.session_id
    other = open_store()  # a second connection sees each committed change at once
    assert other.get_session(sid).artists == [10, 20, 30]
    assert ed.move(0, 1) == 1
    assert other.get_session(sid).artists == [20, 10, 30]
    assert ed.move(2, 5) == 2  # clamped at the end: nothing changes
    assert ed.remove(1) == 10
    assert other.get_session(sid).artists == [20, 30]
    ed.add_tag("  late   night ")
    ed.add_tag("rock")
    ed.add_tag("rock")
    assert other.get_session(sid).tags == ["late night", "rock"]
    ed.remove_tag("rock")
    ed.rename("  Sunday   morning ")
    s = other.get_session(sid)
    assert (s.name, s.tags) == ("Sunday morning", ["late night"])
    with pytest.raises(ValueError):
        ed.rename("   ")


def test_editor_undo_clear_and_restore_current(tunerec_home: Path) -> None:
    store = open_store()
    ed = SessionEditor(store)
    for a in (1, 2, 3):
        ed.add(a)
    ed.clear()
    assert ed.artists == []
    assert ed.undo() and ed.artists == [1, 2, 3]
    assert ed.undo() and ed.artists == [1, 2]
    assert store.get_session(ed.session_id).artists == [1, 2]
    # a new editor (next app start) reopens the same session
    again = SessionEditor(open_store())
    assert again.restore_current()
    assert again.artists == [1, 2]
    again.detach()
    assert open_store().get_setting(CURRENT_KEY) is None
    assert not SessionEditor(open_store()).restore_current()


def test_editor_delete_restore_duplicate(tunerec_home: Path) -> None:
    store = open_store()
    ed = SessionEditor(store)
    ed.new("A", [5, 6], ["x"])
    sid = ed.session_id
    copy = ed.duplicate(sid)
    assert copy.id != sid and copy.name == "A (copy)" and copy.artists == [5, 6] and copy.tags == ["x"]
    gone = ed.delete(copy.id)
    assert ed.session is None  # the open session was deleted
    assert [s.id for s in store.list_sessions()] == [sid]
    ed.restore(gone)
    assert sorted(s.id for s in store.list_sessions()) == sorted([sid, copy.id])


def test_kill_minus_nine_loses_nothing_written(tunerec_home: Path) -> None:
    """A process killed with SIGKILL right after its edits keeps every one of them."""
    code = textwrap.dedent(
        """
        import os, signal
        from tunerec.store import open_store
        from tunerec.sessions import SessionEditor
        ed = SessionEditor(open_store())
        for a in (7, 8, 9):
            ed.add(a)
        ed.add_tag("kept")
        print(ed.session_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    assert proc.returncode == -9
    sid = int(proc.stdout.strip())
    s = open_store().get_session(sid)
    assert s.artists == [7, 8, 9] and s.tags == ["kept"]


def test_example_sessions(dataset) -> None:  # noqa: ANN001
    ex = example_sessions(dataset, limit=30)
    assert len(ex) == 30
    assert all(5 <= len(e.artists) <= 30 for e in ex)
    assert [e.ym for e in ex] == sorted((e.ym for e in ex), reverse=True)
    first = ex[0]
    assert dict(((u, m), a) for u, m, a in dataset.session_list())[(first.user_id, first.ym)] == list(first.artists)


# ------------------------------------------------------------------ browsing
@pytest.fixture(scope="module")
def browser(dataset) -> Browser:  # noqa: ANN001
    return Browser(dataset)


def test_browse_search_is_ranked_and_accent_insensitive(browser: Browser) -> None:
    rows = browser.rows("BJORK")
    assert rows[0].name == "Björk"
    assert all("bjork" in r.name.lower().replace("ö", "o") for r in rows)


def test_browse_sorts(browser: Browser) -> None:
    by_listeners = browser.rows("", sort="listeners", limit=50)
    assert [r.listeners for r in by_listeners] == sorted((r.listeners for r in by_listeners), reverse=True)
    by_plays = browser.rows("the", sort="plays", limit=50)
    assert [r.plays for r in by_plays] == sorted((r.plays for r in by_plays), reverse=True)
    by_name = browser.rows("the", sort="name", limit=50)
    assert len(by_name) == 50
    with pytest.raises(ValueError, match="unknown sort"):
        browser.rows("", sort="age")


def test_browse_tag_filter(browser: Browser, dataset) -> None:  # noqa: ANN001
    jazz = browser.rows("", tag="JAZZ", limit=20)
    assert jazz, "the bundled data has jazz artists"
    tagged = browser.artists_with_tag("jazz")
    assert all(r.artist_id in tagged for r in jazz)
    # 'match' order with only a tag: most tagged first
    counts = [tagged[r.artist_id] for r in jazz]
    assert counts == sorted(counts, reverse=True)
    assert "Miles Davis" in [r.name for r in jazz]
    assert browser.rows("", tag="no such tag at all") == []
    assert browser.complete_tag("ro", 3)[0] == "rock"


# ------------------------------------------------------------------ summaries
def test_list_summary(dataset) -> None:  # noqa: ANN001
    stats = dataset.artist_stats["listeners"]
    top = stats.sort_values(ascending=False).index[:5].tolist()
    s = summarize(dataset, top)
    assert s.n == 5
    assert s.mean_listeners == pytest.approx(float(stats.loc[top].mean()))
    rare = stats[stats == 1].index[:5].tolist()
    assert summarize(dataset, rare).novelty > s.novelty  # rarer artists are more novel
    assert summarize(dataset, []).line() == "empty list"
    assert tag_diversity(dataset, [top[0], top[0]]) == pytest.approx(0.0, abs=1e-6)
    assert 0.0 <= s.tag_diversity <= 1.0
    assert overlap([1, 2, 3], [3, 4, 1]) == {1, 3}


# ------------------------------------------------------------------ export
def test_export_formats_parse_back(dataset, tmp_path: Path) -> None:  # noqa: ANN001
    ids = [1098, 289]  # Björk, Britney Spears
    items = items_for(dataset, ids, [0.9, 0.5], ["because <tags> & co", "popular"])
    m3u = export_list(items, "m3u", tmp_path / "a.m3u", "Mix")
    lines = m3u.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U" and "#EXTINF:-1,Björk" in lines
    root = ET.parse(export_list(items, "xspf", tmp_path / "a.xspf", "Mix & more")).getroot()
    ns = {"x": "http://xspf.org/ns/0/"}
    assert [c.text for c in root.findall(".//x:creator", ns)][1:] == ["Björk", "Britney Spears"]
    assert root.find("x:title", ns).text == "Mix & more"
    assert root.find(".//x:annotation", ns).text == "because <tags> & co"
    jspf = json.loads(export_list(items, "jspf", tmp_path / "a.jspf", "Mix").read_text(encoding="utf-8"))
    assert [t["creator"] for t in jspf["playlist"]["track"]] == ["Björk", "Britney Spears"]
    rows = list(csv.DictReader(io.StringIO(export_list(items, "csv", tmp_path / "a.csv", "Mix").read_text(encoding="utf-8"))))
    assert [(r["rank"], r["artist_id"], r["name"]) for r in rows] == [("1", "1098", "Björk"), ("2", "289", "Britney Spears")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "a.jspf", "a.m3u", "a.xspf"]  # no temp files left
    with pytest.raises(ValueError, match="unknown export format"):
        render(items, "wav", "x")
    assert set(FORMATS) == {"m3u", "xspf", "jspf", "csv"}


# ------------------------------------------------------------------ training runs
def test_parse_progress() -> None:
    p = parse_progress('{"epoch": 2, "epochs": 8, "loss": 1.25, "val_recall@20": 0.1, "eta": 75}\n')
    assert p is not None and (p.epoch, p.epochs, p.loss, p.val_recall, p.eta) == (2, 8, 1.25, 0.1, 75.0)
    assert p.fraction == 0.25
    assert "epoch 2/8" in p.line() and "ETA 1m15s" in p.line()
    # the RNN trainer's batch events: share of the run and an ETA from the event rate
    b = parse_progress('{"event": "batch", "epoch": 2, "epochs": 4, "done": 500, "total": 1000, "loss": 0.5, "events_per_s": 100.0}')
    assert b is not None and b.fraction == pytest.approx(1.5 / 4)
    assert b.eta == pytest.approx((500 + 2 * 1000) / 100.0)
    assert b.message == ""
    saved = parse_progress('{"event": "saved", "message": "saved /x.npz"}')
    assert saved is not None and saved.event == "saved" and saved.line() == "saved /x.npz"
    assert parse_progress("not json") is None
    assert parse_progress("{broken") is None
    assert parse_progress("[1, 2]") is None


def test_train_command() -> None:
    argv = train_command("rnn", epochs=3, all_users=True, time_budget=60, data="/d.zip")
    assert argv[:4] == [sys.executable, "-m", "tunerec", "train"]
    assert argv[4] == "rnn" and "--progress-jsonl" in argv and "--all-users" in argv
    assert argv[argv.index("--epochs") + 1] == "3" and argv[argv.index("--data") + 1] == "/d.zip"
    assert "--all-users" not in train_command("rnn", all_users=False)


def _script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "fake_train.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return [sys.executable, str(path)]


def test_train_job_reads_progress_and_logs_stderr(tmp_path: Path) -> None:
    argv = _script(
        tmp_path,
        """
        import json, sys
        for e in (1, 2, 3):
            print(json.dumps({"epoch": e, "epochs": 3, "loss": 1.0 / e}), flush=True)
            print("noise that is not json", flush=True)
        print("boom", file=sys.stderr)
        sys.exit(4)
        """,
    )
    job = TrainJob(argv, tmp_path / "logs" / "t.log")
    job.start()
    seen = [p.epoch for p in job.progress()]
    assert seen == [1, 2, 3]
    assert job.wait() == 4
    assert "boom" in job.log_tail()
    assert job.last is not None and job.last.epoch == 3


def test_train_job_cancel(tmp_path: Path) -> None:
    argv = _script(
        tmp_path,
        """
        import json, time
        for e in range(1, 1000):
            print(json.dumps({"epoch": e, "epochs": 999}), flush=True)
            time.sleep(0.05)
        """,
    )
    job = TrainJob(argv, tmp_path / "t.log")
    job.start()
    it = job.progress()
    assert next(it).epoch == 1
    job.cancel(grace=5)
    assert job.cancelled and not job.running
    assert job.wait() != 0


# ------------------------------------------------------------------ eval cache
def test_eval_cache_reads_tunerec_eval_json(tunerec_home: Path) -> None:
    folder = tunerec_home / "cache" / "eval"
    folder.mkdir(parents=True)
    assert load_eval() is None
    doc = {
        "protocol": "hetrec-sessions-v2",
        "results": {
            "pop": {"next": {"recall@20": 0.05, "sampled": False}, "list": {"novelty": 2.0}, "fit_s": 0.1},
            "rnn": {"next": {"recall@20": 0.2}, "list": {"novelty": 6.0}},
        },
    }
    (folder / "run-1.json").write_text(json.dumps(doc), encoding="utf-8")
    ev = load_eval()
    assert ev is not None and [n for n, _ in ev.rows] == ["pop", "rnn"]
    assert ev.rows[1][1]["next.recall@20"] == 0.2 and ev.meta["protocol"] == "hetrec-sessions-v2"
    assert ev.find_metric("recall", "20") == "next.recall@20" and ev.find_metric("novelty") == "list.novelty"
    (folder / "latest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(EvalCacheError, match="latest.json"):
        load_eval()


@pytest.mark.parametrize(
    "module",
    ["tunerec.sessions", "tunerec.browse", "tunerec.listinfo", "tunerec.export", "tunerec.trainjob", "tunerec.evalcache", "tunerec.app.recs"],
)
def test_app_core_helpers_are_ui_and_torch_free(module: str) -> None:
    code = f"import sys, importlib; importlib.import_module({module!r}); print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = {m.split(".")[0] for m in out.split()}
    assert not loaded & {"textual", "rich", "torch"}, f"{module} imports {loaded & {'textual', 'rich', 'torch'}}"


def test_save_eval_merges_models_of_the_same_split(tmp_path) -> None:
    from tunerec.evalcache import save_eval

    base = {"protocol": "hetrec-sessions-v2", "seed": 42, "n_items": 10, "n_test_events": 5}
    save_eval({**base, "results": {"pop": {"next": {"recall@20": 0.1}}}}, tmp_path)
    save_eval({**base, "results": {"rnn": {"next": {"recall@20": 0.2}}}}, tmp_path)
    table = load_eval(tmp_path)
    assert [name for name, _ in table.rows] == ["pop", "rnn"]
    save_eval({**base, "seed": 7, "results": {"sknn": {"next": {"recall@20": 0.3}}}}, tmp_path)
    assert [name for name, _ in load_eval(tmp_path).rows] == ["sknn"]  # another split replaces
