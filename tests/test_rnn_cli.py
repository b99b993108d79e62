"""``tunerec train rnn``, resume after a stop, the eval cache and ``get_recommender('rnn')``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import madrid_midnight_ms, write_folder
from test_rnn import SMALL, cluster_dataset
from tunerec.cli import main
from tunerec.data import load_dataset

torch = pytest.importorskip("torch")

from tunerec.models import ModelNotReady, app_model_path, get_recommender  # noqa: E402
from tunerec.recommenders.rnn import RNNConfig, RNNRecommender  # noqa: E402


def dat_files(n_users: int = 40) -> dict[str, bytes]:
    """The synthetic three-genre dataset of test_rnn as HetRec .dat files."""
    ds = cluster_dataset(n_users)
    artists = "id\tname\turl\tpictureURL\n" + "".join(f"{i}\t{r.name}\thttp://x/{i}\t\n" for i, r in ds.artists.iterrows())
    tags = "tagID\ttagValue\n" + "".join(f"{i}\t{r['name']}\n" for i, r in ds.tags.iterrows())
    plays = "userID\tartistID\tweight\n" + "".join(f"{r.user_id}\t{r.artist_id}\t{r.weight}\n" for r in ds.plays.itertuples())
    a = ds.assignments
    dated = "userID\tartistID\ttagID\tday\tmonth\tyear\n" + "".join(
        f"{r.user_id}\t{r.artist_id}\t{r.tag_id}\t{r.day}\t{r.month}\t{r.year}\n" for r in a.itertuples()
    )
    stamped = "userID\tartistID\ttagID\ttimestamp\n" + "".join(
        f"{r.user_id}\t{r.artist_id}\t{r.tag_id}\t{madrid_midnight_ms(r.year, r.month, r.day)}\n" for r in a.itertuples()
    )
    return {
        "artists.dat": artists.encode(),
        "tags.dat": tags.encode(),
        "user_artists.dat": plays.encode(),
        "user_friends.dat": b"userID\tfriendID\n1\t4\n4\t1\n",
        "user_taggedartists.dat": dated.encode(),
        "user_taggedartists-timestamps.dat": stamped.encode(),
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "genres", dat_files())


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    p = tmp_path / "small.json"
    p.write_text(json.dumps({**SMALL, "epochs": 2}))
    return p


def test_train_all_users_jsonl_then_the_app_loads_it(capsys, data_dir: Path, small_config: Path) -> None:
    ds = load_dataset(data_dir, use_cache=False)
    with pytest.raises(ModelNotReady, match="tunerec train rnn --all-users"):
        get_recommender("rnn", ds)
    code = main(["train", "rnn", "--data", str(data_dir), "--all-users", "--config", str(small_config), "--progress-jsonl"])
    out = capsys.readouterr().out
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    ends = [e for e in events if e["event"] == "epoch_end"]
    assert [e["epoch"] for e in ends] == [1, 2]
    kinds = [e["event"] for e in events]
    assert kinds.index("prepare") < kinds.index("epoch_start")  # the init is announced before it runs
    assert all({"loss", "events_per_s", "val_recall", "val_mrr", "eta", "epochs"} <= set(e) for e in ends)
    assert events[-1]["event"] == "saved" and events[-1]["trained_on"] == "all users"
    assert app_model_path("rnn").is_file()
    m = get_recommender("rnn", ds)
    assert isinstance(m, RNNRecommender)
    assert m.describe()["n_users"] == 40 and m.describe()["best_epoch"] in (1, 2)
    assert m.recommend([1, 2], k=3)


def test_train_errors_are_one_line(capsys, data_dir: Path, tmp_path: Path) -> None:
    assert main(["train", "rnn", "--data", str(data_dir), "--resume"]) == 2
    assert "no interrupted run to resume" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"dropout_hidden": 1.5}')
    assert main(["train", "rnn", "--data", str(data_dir), "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "dropout_hidden" in err and "Traceback" not in err


def test_stop_keeps_the_best_epoch_and_resume_continues_exactly(tmp_path: Path) -> None:
    ds = cluster_dataset()
    cfg = RNNConfig(**{**SMALL, "epochs": 3, "patience": 3})
    full = RNNRecommender(cfg, seed=1).fit(ds)

    ckpt = tmp_path / "ckpt.npz"
    flag = {"stop": False}

    def progress(e: dict) -> None:
        if e.get("event") == "epoch_end" and e["epoch"] == 1:
            flag["stop"] = True

    stopped = RNNRecommender(cfg, seed=1).fit(ds, progress=progress, should_stop=lambda: flag["stop"], checkpoint=ckpt)
    assert stopped.header["training"]["stopped"] == "interrupted"
    assert stopped.header["training"]["epochs_run"] == 1 and ckpt.is_file()
    resumed = RNNRecommender(cfg, seed=1).fit(ds, checkpoint=ckpt, resume=True)
    assert resumed.header["training"]["epochs_run"] == 3
    assert [h["epoch"] for h in resumed.header["training"]["history"]] == [1, 2, 3]
    for k, v in full.net.state_dict().items():
        assert torch.equal(v, resumed.net.state_dict()[k]), k


def test_eval_trains_once_then_reuses_the_cached_model(capsys, data_dir: Path, tmp_path: Path, monkeypatch) -> None:
    from tunerec.recommenders.rnn import training

    calls = {"n": 0}
    real_run = training.Trainer.run

    def counting_run(self, *a, **kw):
        calls["n"] += 1
        return real_run(self, *a, **kw)

    monkeypatch.setattr(training.Trainer, "run", counting_run)
    docs = []
    for name in ("a", "b"):
        p = tmp_path / f"{name}.json"
        assert main(["eval", "--data", str(data_dir), "--models", "rnn", "--task", "next", "--json", str(p)]) == 0
        docs.append(json.loads(p.read_text()))
    assert calls["n"] == 1  # the second run loaded the model cached by the first
    a, b = (d["results"]["rnn"]["next"] for d in docs)
    assert a == b and 0.0 <= a["recall@20"] <= 1.0
    assert list((Path(__import__("os").environ["TUNEREC_HOME"]) / "models").glob("rnn-eval-*.npz"))
    np.testing.assert_equal(a["n_events"], b["n_events"])
