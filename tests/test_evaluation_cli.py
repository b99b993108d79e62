"""``tunerec eval`` on the tiny hand-made dataset: JSON schema, determinism, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import write_folder
from test_evaluation_protocol import eval_files, without_timing
from tunerec.cli import main


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "evaltiny", eval_files())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_json_and_tables(capsys, tiny_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "out" / "eval.json"
    code, out, _ = run(capsys, "eval", "--data", str(tiny_data), "--models", "pop,iknn_both", "--json", str(path))
    assert code == 0
    doc = json.loads(path.read_text())
    assert (doc["protocol"], doc["seed"], doc["n_items"], doc["n_test_users"], doc["n_test_sessions"], doc["n_test_events"]) == (
        "hetrec-sessions-v2", 42, 6, 1, 2, 4,
    )
    assert list(doc["results"]) == ["pop", "iknn_both"]
    for r in doc["results"].values():
        assert set(r) == {"next", "list", "fit_s", "eval_s"}
        assert r["next"]["n_events"] == 4 and r["next"]["sampled"] is False
    assert "next-item task" in out and "list task" in out and "iknn_both" in out
    assert "*" in out  # best per column marked
    assert not list(path.parent.glob(".*.tmp"))  # atomic write left no temp file


def test_eval_same_seed_identical_json_other_seed_other_split(capsys, tiny_data: Path, tmp_path: Path) -> None:
    docs = []
    for name, seed in (("a", "42"), ("b", "42"), ("c", "7")):
        p = tmp_path / f"{name}.json"
        assert run(capsys, "eval", "--data", str(tiny_data), "--seed", seed, "--json", str(p))[0] == 0
        docs.append(without_timing(json.loads(p.read_text())))
    assert docs[0] == docs[1]
    assert docs[2]["seed"] == 7 and docs[2]["n_test_events"] != docs[0]["n_test_events"]


def test_eval_list_task_only_and_sampling(capsys, tiny_data: Path, tmp_path: Path) -> None:
    p = tmp_path / "l.json"
    assert run(capsys, "eval", "--data", str(tiny_data), "--models", "tags", "--task", "list", "--json", str(p))[0] == 0
    assert set(json.loads(p.read_text())["results"]["tags"]) == {"list", "fit_s", "eval_s"}
    code, out, _ = run(capsys, "eval", "--data", str(tiny_data), "--models", "pop", "--task", "next", "--max-events", "2")
    assert code == 0 and "sampled 2" in out


def test_full_eval_is_cached_for_the_app_and_sampled_is_not(capsys, tiny_data: Path, tunerec_home: Path) -> None:
    from tunerec.evalcache import load_eval

    assert run(capsys, "eval", "--data", str(tiny_data), "--models", "pop", "--max-events", "2")[0] == 0
    assert load_eval() is None  # a sampled run never reaches the compare view
    assert run(capsys, "eval", "--data", str(tiny_data), "--models", "pop")[0] == 0
    assert run(capsys, "eval", "--data", str(tiny_data), "--models", "tags")[0] == 0
    assert [name for name, _ in load_eval().rows] == ["pop", "tags"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--models", "pop,nope"], "--models: unknown model 'nope'"),
        (["--models", ","], "--models: give at least one model name"),
        (["--max-events", "0"], "--max-events must be at least 1"),
    ],
)
def test_eval_bad_arguments_are_one_line(capsys, tiny_data: Path, argv: list[str], message: str) -> None:
    code, _, err = run(capsys, "eval", "--data", str(tiny_data), *argv)
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2


def test_eval_help(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["eval", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--max-events" in out and "--json" in out and "hetrec-sessions-v2" in out
