"""``tunerec recommend``: any model, name resolution, blocklist, GA options, errors."""

from __future__ import annotations

import json

import pytest

from tunerec.cli import main
from tunerec.cli.recommend_cmd import split_session
from tunerec.data import Dataset
from tunerec.data.search import ArtistIndex
from tunerec.store import open_store

pytestmark = pytest.mark.slow

SESSION = "Radiohead, Portishead, Massive Attack"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ga_json_list_summary_and_front(capsys, dataset: Dataset) -> None:
    code, out, _ = run(capsys, "recommend", "--model", "ga", "--session", SESSION, "--discovery", "0.6", "--front", "--json")
    assert code == 0
    doc = json.loads(out)
    names = [r["name"] for r in doc["recommendations"]]
    assert len(names) == 20 and len(set(names)) == 20
    assert not {"Radiohead", "Portishead", "Massive Attack"} & set(names)
    assert [s["name"] for s in doc["session"]] == ["Radiohead", "Portishead", "Massive Attack"]
    assert all(r["explanation"] for r in doc["recommendations"])
    assert "novelty" in doc["summary"] and doc["discovery"] == 0.6
    assert doc["front_size"] == len(doc["front"]) > 1
    assert sum(f["chosen"] for f in doc["front"]) == 1


def test_ga_table_prints_summary_and_front(capsys) -> None:
    code, out, _ = run(capsys, "recommend", "--session", SESSION, "-k", "10", "--front")
    assert code == 0
    assert "vs the relevance-only list" in out
    assert "Pareto front:" in out and "Pareto front (most relevant first" in out
    assert "why" in out


@pytest.mark.parametrize("model", ["pop", "iknn_both", "tags"])
def test_other_models_work(capsys, model: str) -> None:
    code, out, _ = run(capsys, "recommend", "--model", model, "--session", SESSION, "-k", "5", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["model"] == model
    assert len(doc["recommendations"]) == 5
    assert "summary" not in doc


def test_blocked_artists_are_excluded(capsys, dataset: Dataset) -> None:
    _, out, _ = run(capsys, "recommend", "--model", "iknn_both", "--session", SESSION, "-k", "3", "--json")
    first = json.loads(out)["recommendations"][0]
    store = open_store()
    store.block(first["artist_id"])
    store.close()
    for model in ("iknn_both", "ga"):
        code, out, _ = run(capsys, "recommend", "--model", model, "--session", SESSION, "-k", "20", "--json")
        doc = json.loads(out)
        assert code == 0 and doc["blocked_excluded"] == 1
        assert first["artist_id"] not in [r["artist_id"] for r in doc["recommendations"]]


def test_session_tags_are_used(capsys) -> None:
    code, out, _ = run(capsys, "recommend", "--session", SESSION, "--tags", "jazz, no-such-tag-xyz", "--json")
    doc = json.loads(out)
    assert code == 0
    assert "coverage" in doc["objectives"]
    assert any("no-such-tag-xyz" in n for n in doc["notes"])


def test_unknown_artist_is_one_line_error_with_suggestions(capsys) -> None:
    code, out, err = run(capsys, "recommend", "--session", "Radiohead, Portished")
    assert code == 2
    assert "Portished" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 3  # one message (rich may wrap it)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "nope"], "unknown model 'nope'"),
        (["--model", "pop", "--front"], "--front only applies to --model ga"),
        (["--model", "iknn_both", "--discovery", "0.3", "--hybrid"], "only apply to --model ga"),
        (["--discovery", "1.5"], "--discovery must be between 0 and 1"),
        (["-k", "0"], "-k must be at least 1"),
    ],
)
def test_bad_arguments(capsys, argv: list[str], message: str) -> None:
    code, _, err = run(capsys, "recommend", "--session", SESSION, *argv)
    assert code == 2
    assert message in " ".join(err.split())


def test_rnn_not_trained_is_a_clear_message(capsys) -> None:
    code, _, err = run(capsys, "recommend", "--model", "rnn", "--session", SESSION)
    assert code == 2
    assert "not trained" in err and "Traceback" not in err


def test_split_session_keeps_comma_names(dataset: Dataset) -> None:
    index = ArtistIndex(dataset)
    assert split_session(index, "Earth, Wind & Fire, Radiohead") == ["Earth, Wind & Fire", "Radiohead"]
    assert split_session(index, "Radiohead, Earth, Wind & Fire") == ["Radiohead", "Earth, Wind & Fire"]
    assert split_session(index, SESSION) == ["Radiohead", "Portishead", "Massive Attack"]
    assert split_session(index, "Radiohead; Earth, Wind & Fire") == ["Radiohead", "Earth, Wind & Fire"]
    assert split_session(index, "Radiohead, , ") == ["Radiohead"]


def test_comma_name_resolves_end_to_end(capsys) -> None:
    code, out, _ = run(capsys, "recommend", "--model", "pop", "--session", "Earth, Wind & Fire, Radiohead", "-k", "3", "--json")
    assert code == 0
    assert [s["name"] for s in json.loads(out)["session"]] == ["Earth, Wind & Fire", "Radiohead"]


def test_help(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["recommend", "--help"])
    assert exc.value.code == 0
    assert "--discovery" in capsys.readouterr().out
