"""The command line: data info/check, artists search/show, one-line errors, --help everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import tiny_files, write_folder
from tunerec.cli import build_parser, main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_data_info_json_counts(capsys) -> None:
    code, out, _ = run(capsys, "data", "info", "--json")
    s = json.loads(out)
    assert code == 0
    assert (s["users"], s["artists"], s["tags"], s["plays"], s["friend_relations"], s["tag_assignments"]) == (
        1892, 17632, 11946, 92834, 12717, 186479,
    )


def test_data_info_table(capsys) -> None:
    code, out, _ = run(capsys, "data", "info")
    assert code == 0 and "17,632" in out and "186,479" in out


def test_data_check_good_and_bad(capsys, tmp_path: Path) -> None:
    good = write_folder(tmp_path / "good", tiny_files())
    code, out, _ = run(capsys, "data", "check", str(good))
    assert code == 0 and "ok:" in out
    files = tiny_files()
    files["user_artists.dat"] = files["user_artists.dat"].replace(b"3\t4\t7", b"3\t4\tseven")
    bad = write_folder(tmp_path / "bad", files)
    code, out, _ = run(capsys, "data", "check", str(bad), "--json")
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    assert "user_artists.dat, line 5, column 'weight'" in report["errors"][0]


def test_data_option_and_env_select_the_source(capsys, tmp_path: Path, monkeypatch) -> None:
    tiny = write_folder(tmp_path / "tiny", tiny_files())
    code, out, _ = run(capsys, "data", "info", "--json", "--data", str(tiny))
    assert code == 0 and json.loads(out)["plays"] == 5
    monkeypatch.setenv("TUNEREC_DATA", str(tiny))
    code, out, _ = run(capsys, "data", "info", "--json")
    assert json.loads(out)["users"] == 3


def test_bad_data_is_one_readable_line(capsys, tmp_path: Path) -> None:
    files = tiny_files()
    files["user_friends.dat"] += b"2\t999\r\n"
    bad = write_folder(tmp_path / "bad", files)
    code, out, err = run(capsys, "--data", str(bad), "data", "info")
    assert code == 2
    assert "Traceback" not in err
    assert "user_friends.dat, line 6, column 'friendID': unknown user 999" in " ".join(err.split())


def test_artists_search_is_accent_and_case_insensitive(capsys) -> None:
    code, out, _ = run(capsys, "artists", "search", "BJORK", "--json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["name"] == "Björk"
    assert rows[0]["listeners"] >= rows[-1]["listeners"] or len(rows) == 1


def test_artists_search_ranks_exact_then_listeners(capsys) -> None:
    _, out, _ = run(capsys, "artists", "search", "radio", "--json", "-n", "5")
    rows = json.loads(out)
    assert rows[0]["name"] == "Radiohead"  # prefix match with the most listeners


def test_artists_show_profile(capsys) -> None:
    code, out, _ = run(capsys, "artists", "show", "radiohead", "--json")
    p = json.loads(out)
    assert code == 0 and p["artist_id"] == 154 and p["listeners"] > 300
    assert p["top_tags"][0]["tag"] == "alternative" and len(p["co_listened"]) == 10
    code, out, _ = run(capsys, "artists", "show", "#154", "--json")
    assert json.loads(out)["name"] == "Radiohead"


def test_unknown_artist_suggests(capsys) -> None:
    code, _, err = run(capsys, "artists", "show", "Radiohed")
    assert code == 2 and "unknown artist 'Radiohed'" in err
    assert "did you mean: Radiohead (#154)" in " ".join(err.split())  # spelling suggestion
    code, _, err = run(capsys, "artists", "show", "the")
    assert code == 2 and "did you mean" in " ".join(err.split())


def test_every_command_has_help() -> None:
    parser = build_parser()
    stack = [parser]
    seen = 0
    while stack:
        p = stack.pop()
        with pytest.raises(SystemExit) as e:
            p.parse_args(["--help"])
        assert e.value.code == 0
        seen += 1
        for action in p._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                stack.extend(action.choices.values())
    assert seen >= 5


def test_version_and_console_script() -> None:
    exe = Path(sys.executable).with_name("tunerec")
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("tunerec ")
