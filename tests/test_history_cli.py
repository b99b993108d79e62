"""``tunerec history import|show|sessions|forget`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_history_helpers import T0, lastfm1k_text, write
from tunerec.cli import main

PLAYS = [
    (T0, "Radiohead", "Airbag"),
    (T0 + 240, "Radiohed", "Creep"),
    (T0 + 480, "Not A Catalogue Band [live]", "x"),
    (T0 + 7200, "Portishead", "Roads"),
]
REPORT_KEYS = {"plays", "new_plays", "matched_plays", "matched_exact", "matched_fuzzy", "unmatched_plays", "bad_lines", "sessions"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_json_report_then_reimport_adds_nothing(capsys, tmp_path: Path) -> None:
    f = write(tmp_path / "plays.tsv", lastfm1k_text(PLAYS) + "garbage\n")
    code, out, _ = run(capsys, "history", "import", str(f), "--json")
    r = json.loads(out)
    assert code == 0 and REPORT_KEYS <= set(r)
    assert {k: r[k] for k in REPORT_KEYS} == {
        "plays": 4, "new_plays": 4, "matched_plays": 3, "matched_exact": 2, "matched_fuzzy": 1, "unmatched_plays": 1, "bad_lines": 1, "sessions": 2,
    }
    assert r["bad_line_examples"] == [{"line": 5, "problem": "expected 6 tab-separated fields, found 1"}]
    code, out, _ = run(capsys, "history", "import", str(f), "--json")
    assert json.loads(out)["new_plays"] == 0


def test_import_text_report_show_sessions_and_forget(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = write(tmp_path / "plays.tsv", lastfm1k_text(PLAYS) + "garbage\n")
    code, out, _ = run(capsys, "history", "import", str(f))
    assert code == 0
    assert "4 plays read, 4 new" in out and "line 5: expected 6 tab-separated fields" in out
    assert "'Radiohed' → Radiohead" in out and "Not A Catalogue Band [live] (1)" in out
    code, out, _ = run(capsys, "history", "show")
    assert code == 0 and "top artists" in out and "(not in catalogue)" in out and "2009-04     2 █" in out
    code, out, _ = run(capsys, "history", "sessions", "-n", "1", "--json")
    assert [a["name"] for a in json.loads(out)[0]["artists"]] == ["Portishead"]
    # forgetting needs a confirmation; without a terminal, --yes
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _, err = run(capsys, "history", "forget")
    assert code == 2 and "add --yes" in err
    code, out, _ = run(capsys, "history", "show", "--json")
    assert json.loads(out)["plays"] == 4
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert run(capsys, "history", "forget")[0] == 1
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    code, out, _ = run(capsys, "history", "forget")
    assert code == 0 and "forgot 4 plays" in out
    code, out, _ = run(capsys, "history", "show", "--json")
    assert json.loads(out)["plays"] == 0


def test_import_errors_are_one_line(capsys, tmp_path: Path) -> None:
    f = write(tmp_path / "plays.tsv", lastfm1k_text(PLAYS))
    code, out, err = run(capsys, "history", "import", str(f), "--format", "csv")
    assert code == 2 and "not a CSV file (expected a CSV file whose header names timestamp,artist[,track])" in err and "Traceback" not in err
    code, _, err = run(capsys, "history", "import", str(tmp_path / "missing.tsv"))
    assert code == 2 and "missing.tsv" in err
    code, _, err = run(capsys, "history", "forget", "--import", "7", "--yes")
    assert code == 2 and "no such import" in err


def test_help_everywhere(capsys) -> None:
    for cmd in ("import", "show", "sessions", "settings", "forget"):
        with pytest.raises(SystemExit) as e:
            main(["history", cmd, "--help"])
        assert e.value.code == 0
    assert "--format" in capsys.readouterr().out


def test_settings_change_the_session_split(capsys, tmp_path: Path) -> None:
    f = write(tmp_path / "plays.tsv", lastfm1k_text(PLAYS))
    run(capsys, "history", "import", str(f))
    assert json.loads(run(capsys, "history", "show", "--json")[1])["sessions"] == 2
    code, out, _ = run(capsys, "history", "settings", "--gap", "3", "--json")
    assert code == 0 and json.loads(out)["session_gap_minutes"] == 3
    assert json.loads(run(capsys, "history", "show", "--json")[1])["sessions"] == 4
    code, _, err = run(capsys, "history", "settings", "--fuzzy-threshold", "30")
    assert code == 2 and "--fuzzy-threshold must be between 50 and 100" in err
