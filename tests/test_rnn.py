"""RNN recommender: batching, sampler, learning a sequential rule, save/load, bad files, explanations."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tunerec.data import Dataset
from tunerec.modelfile import ModelFileError, read_model, write_model
from tunerec.recommenders.rnn.batching import session_parallel_steps
from tunerec.recommenders.rnn.config import ConfigError, RNNConfig, from_dict, load_config
from tunerec.recommenders.rnn.sampler import NegativeSampler, sampling_probabilities
from tunerec.recommenders.rnn.sequences import FlatSequences, TrainingData, from_lists, reorder_within

torch = pytest.importorskip("torch")

from tunerec.recommenders.rnn.model import GRU4RecNet  # noqa: E402
from tunerec.recommenders.rnn.recommender import RNNRecommender  # noqa: E402
from tunerec.recommenders.rnn.training import Trainer, next_item_metrics  # noqa: E402
from tunerec.recommenders.rnn.embedinit import ease_embeddings  # noqa: E402

SMALL = dict(embedding_dim=16, hidden_size=16, batch_size=8, epochs=3, val_frac=0.2, learning_rate=0.01, dropout_hidden=0.0, bf16=False)


# ---------------------------------------------------------------- synthetic data
def cluster_dataset(n_users: int = 40, seed: int = 0) -> Dataset:
    """Three genres of 8 artists each (ids 1-24, plus 25-26 heard by nobody in sessions);
    every user listens to one genre: 6 artists in plays, two month sessions of 4-5."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, 27)
    artists = pd.DataFrame(
        {"name": [f"Artist {i}" for i in ids], "url": [""] * len(ids), "known": [True] * len(ids)},
        index=pd.Index(ids, name="artist_id"),
    )
    tags = pd.DataFrame({"name": ["rock", "jazz", "techno"], "key": ["rock", "jazz", "techno"]}, index=pd.Index([1, 2, 3], name="tag_id"))
    plays, rows = [], []
    for u in range(1, n_users + 1):
        g = (u - 1) % 3
        genre = np.arange(1 + 8 * g, 9 + 8 * g)
        for a in rng.choice(genre, 6, replace=False):
            plays.append((u, int(a), int(rng.integers(1, 500))))
        for month in (3, 4):
            for a in rng.choice(genre, int(rng.integers(4, 6)), replace=False):
                rows.append((u, int(a), g + 1, 2009, month, 1))
    plays.append((1, 25, 3))
    a = pd.DataFrame(rows, columns=["user_id", "artist_id", "tag_id", "year", "month", "day"])
    a["timestamp"] = pd.to_datetime(dict(year=a.year, month=a.month, day=a.day), utc=True)
    return Dataset(
        artists=artists,
        tags=tags,
        plays=pd.DataFrame(plays, columns=["user_id", "artist_id", "weight"]),
        friends=pd.DataFrame({"user_id": pd.Series([], dtype=np.int64), "friend_id": pd.Series([], dtype=np.int64)}),
        assignments=a[["user_id", "artist_id", "tag_id", "timestamp", "year", "month", "day"]],
        sha256="c" * 64,
        source="synthetic",
    )


@pytest.fixture(scope="module")
def trained() -> tuple[Dataset, RNNRecommender]:
    ds = cluster_dataset()
    return ds, RNNRecommender(RNNConfig(**SMALL), seed=3).fit(ds)


# ------------------------------------------------------------------- batching
def test_session_parallel_steps_follow_sequences_and_reset_at_boundaries() -> None:
    # sequences: [10 11 12] [20 21] [30] (too short: skipped) [40 41 42 43]
    seqs = from_lists([[10, 11, 12], [20, 21], [30], [40, 41, 42, 43]])
    steps = list(session_parallel_steps(seqs.offsets, batch_size=2))
    fed: dict[int, list[tuple[int, int, bool]]] = {}
    for st in steps:
        assert len(st.slots) == len(st.pos) == len(st.reset) == len(st.seq)
        for slot, p, r, s in zip(st.slots, st.pos, st.reset, st.seq):
            fed.setdefault(int(slot), []).append((int(seqs.items[p]), int(seqs.items[p + 1]), bool(r)))
            # input and target always come from the same sequence
            assert seqs.offsets[s] <= p and p + 1 < seqs.offsets[s + 1]
    # slot 1 finishes sequence 1 first, so sequence 3 takes its place (reset); slot 0 runs sequence 0
    assert fed[0] == [(10, 11, True), (11, 12, False)]
    assert fed[1] == [(20, 21, True), (40, 41, True), (41, 42, False), (42, 43, False)]
    assert sum(len(v) for v in fed.values()) == seqs.n_events == 6
    # the batch shrinks when no sequence is left: the last steps have one active slot
    assert [len(st.slots) for st in steps] == [2, 2, 1, 1]


def test_training_zeroes_the_hidden_state_of_a_slot_that_starts_a_new_sequence() -> None:
    """A sequence's scores must not depend on what ran in its slot before."""
    cfg = RNNConfig(embedding_dim=8, hidden_size=8, batch_size=1, epochs=1, val_frac=0.0, loss="softmax", reshuffle=False, profile_copies=0, bf16=False, dropout_hidden=0.0)
    torch.manual_seed(0)
    net = GRU4RecNet(6, cfg)
    h = net.init_hidden(1)
    _, h1, _ = net.step(torch.tensor([1]), h)
    _, h2, _ = net.step(torch.tensor([2]), h1)  # state carries the past
    _, fresh, _ = net.step(torch.tensor([2]), net.init_hidden(1))
    assert not torch.allclose(h2, fresh)
    # what the training loop does on reset: zero the slot, then step
    carried = h1.clone()
    carried[:, torch.tensor([True])] = 0.0
    _, h_reset, _ = net.step(torch.tensor([2]), carried)
    assert torch.equal(h_reset, fresh)


# -------------------------------------------------------------------- sampler
def test_negative_sampler_follows_popularity_power_alpha() -> None:
    counts = np.array([1, 4, 9, 16, 0], dtype=float)
    for alpha in (0.5, 1.0):
        s = NegativeSampler(counts, alpha, block=50_000, rng=np.random.default_rng(1))
        draws = np.concatenate([s.draw(1000) for _ in range(200)])
        freq = np.bincount(draws, minlength=5) / len(draws)
        expected = counts**alpha / (counts**alpha).sum()
        np.testing.assert_allclose(freq, expected, atol=0.005)
        assert freq[4] == 0.0
    np.testing.assert_allclose(sampling_probabilities(counts, 0.5), [1 / 10, 2 / 10, 3 / 10, 4 / 10, 0])


def test_reorder_within_keeps_each_sequence_items() -> None:
    seqs = FlatSequences(np.arange(10), np.array([0, 4, 10]), np.arange(10, dtype=float) + 1)
    for mode in ("shuffle", "plays", "weighted"):
        out = reorder_within(seqs, np.random.default_rng(0), mode)
        assert sorted(out.items[:4]) == [0, 1, 2, 3] and sorted(out.items[4:]) == list(range(4, 10))
    plays = reorder_within(seqs, np.random.default_rng(0), "plays")
    assert plays.items.tolist() == [3, 2, 1, 0, 9, 8, 7, 6, 5, 4]


# -------------------------------------------------------------- learning a rule
def test_learns_an_order_sensitive_rule() -> None:
    """A→B→C and B→A→D: after [A, B] the next item is C, after [B, A] it is D."""
    A, B, C, D = 0, 1, 2, 3
    noise = np.random.default_rng(0)
    seqs = [[A, B, C], [B, A, D]] * 30 + [list(noise.choice(np.arange(4, 12), 3, replace=False)) for _ in range(30)]
    data = TrainingData(sessions=from_lists(seqs), profiles=from_lists([]), n_items=12)
    cfg = RNNConfig(embedding_dim=16, hidden_size=32, batch_size=16, epochs=30, val_frac=0.0, loss="softmax", init="glorot",
                    learning_rate=0.02, reshuffle=False, profile_copies=0, dropout_hidden=0.0, bf16=False, mask_seen=True)
    torch.manual_seed(0)
    net = GRU4RecNet(12, cfg)
    Trainer(net, data, cfg, seed=0).run()
    with torch.no_grad():
        s = net.scores(net.encode([[A, B], [B, A], [A]]))
    s[0, [A, B]] = s[1, [A, B]] = s[2, A] = float("-inf")  # session artists are never recommended
    assert int(s[0].argmax()) == C
    assert int(s[1].argmax()) == D
    assert int(s[2].argmax()) == B
    m = next_item_metrics(net, [[A, B, C], [B, A, D]], k=1)
    assert m["recall@1"] == 1.0


def test_ease_init_factorises_the_item_regression_weights() -> None:
    """At full rank, E_in·E_outᵀ is (up to one positive factor) EASE's B = I − P·diag(1/diag P),
    P = (XᵀX + λI)⁻¹, computed here with numpy; artists seen in fewer than two rows get ~zero rows."""
    rng = np.random.default_rng(1)
    sessions = [list(rng.choice(8, int(rng.integers(2, 5)), replace=False)) for _ in range(40)]
    profiles = [list(rng.choice(8, 5, replace=False)) for _ in range(20)] + [[8]]  # artist 8 once, 9 never
    e_in, e_out = ease_embeddings([from_lists(sessions), from_lists(profiles)], 10, 8, seed=0, lam=5.0, min_count=2)
    x = np.zeros((len(sessions) + len(profiles), 8))
    for r, s in enumerate(sessions + profiles[:-1]):
        x[r, s] = 1.0
    p = np.linalg.inv(x.T @ x + 5.0 * np.eye(8))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    got = e_in[:8] @ e_out[:8].T
    factor = (got * b).sum() / (b * b).sum()
    assert factor > 0
    np.testing.assert_allclose(got, factor * b, atol=1e-4 * np.abs(factor * b).max())
    assert np.abs(e_in[8:]).max() < 0.05 and np.abs(e_out[8:]).max() < 0.05
    with pytest.raises(ConfigError, match="tie_embeddings"):
        RNNConfig(init="ease", tie_embeddings=True)


def test_training_is_deterministic_under_a_seed() -> None:
    ds = cluster_dataset()
    cfg = RNNConfig(**{**SMALL, "epochs": 1})
    a = RNNRecommender(cfg, seed=5).fit(ds)
    b = RNNRecommender(cfg, seed=5).fit(ds)
    c = RNNRecommender(cfg, seed=6).fit(ds)
    for k, v in a.net.state_dict().items():
        assert torch.equal(v, b.net.state_dict()[k]), k
    assert any(not torch.equal(v, c.net.state_dict()[k]) for k, v in a.net.state_dict().items())


def test_model_learns_genres(trained: tuple[Dataset, RNNRecommender]) -> None:
    ds, m = trained
    for genre in range(3):
        session = [1 + 8 * genre, 2 + 8 * genre]
        recs = m.recommend(session, k=4)
        assert all(1 + 8 * genre <= r.artist_id <= 8 + 8 * genre for r in recs), [r.artist_id for r in recs]
        assert not {r.artist_id for r in recs} & set(session)
    h = m.header["training"]
    assert h["best_epoch"] >= 1 and h["val_recall@20"] is not None and len(h["history"]) == h["epochs_run"]


# ----------------------------------------------------------- recommend, explain
def test_recommend_explains_driver_tags_and_popularity(trained: tuple[Dataset, RNNRecommender]) -> None:
    ds, m = trained
    recs = m.recommend([1, 2, 17], k=5, exclude=[3])
    assert 3 not in [r.artist_id for r in recs]
    for r in recs:
        assert r.explanation.startswith("because of Artist ")
        assert "listeners" in r.explanation
        assert any(d.startswith("score drop without:") for d in r.details)
    # the driver is the session artist whose removal costs the pick the most
    top = recs[0]
    drops = {a: m.score_sessions([[1, 2, 17]])[0][m.index_of(top.artist_id)] - m.score_sessions([[x for x in [1, 2, 17] if x != a]])[0][m.index_of(top.artist_id)] for a in (1, 2, 17)}
    assert top.explanation.startswith(f"because of {ds.artist_name(max(drops, key=drops.get))}")
    # a genre-1 pick shares the 'rock' tag with its genre-1 driver
    rock = [r for r in recs if r.artist_id <= 8]
    assert rock and "shares rock" in rock[0].explanation


def test_unknown_artists_are_skipped_with_a_note_and_empty_session_falls_back(trained: tuple[Dataset, RNNRecommender]) -> None:
    ds, m = trained
    recs = m.recommend([1, 26, 99999], k=3)  # 26: in the catalogue, never heard; 99999: not at all
    assert recs and any("skipped 2 artist(s)" in d for d in recs[0].details)
    np.testing.assert_array_equal(m.score_sessions([[1, 26]]), m.score_sessions([[1]]))
    empty = m.recommend([], k=3)
    assert [r.explanation.startswith("empty session: popular pick") for r in empty] == [True] * 3
    assert [r.score for r in empty] == sorted(m.pop.tolist(), reverse=True)[:3]
    assert all(r.score == m.pop[m.index_of(r.artist_id)] for r in empty)


def test_score_prefixes_matches_score_sessions(trained: tuple[Dataset, RNNRecommender]) -> None:
    _, m = trained
    sessions = [[1, 2, 3, 4], [9, 10], [17, 18, 19]]
    fast = m.score_prefixes(sessions)
    slow = m.score_sessions([s[:p] for s in sessions for p in range(1, len(s))])
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ save/load
def test_save_load_gives_identical_scores(trained: tuple[Dataset, RNNRecommender], tmp_path: Path) -> None:
    ds, m = trained
    path = tmp_path / "rnn.npz"
    m.save(path)
    back = RNNRecommender.load(path, ds)
    sessions = [[1, 2], [9], [17, 18, 19, 20], []]
    np.testing.assert_array_equal(back.score_sessions(sessions), m.score_sessions(sessions))
    assert back.config == m.config
    header, _ = read_model(path)
    for key in ("format_version", "config", "vocabulary", "dataset_sha256", "trained_on", "trained_at", "training", "seed"):
        assert key in header
    assert back.describe()["best_epoch"] == m.header["training"]["best_epoch"]


@pytest.fixture
def saved(trained: tuple[Dataset, RNNRecommender], tmp_path: Path) -> tuple[Dataset, Path]:
    ds, m = trained
    p = tmp_path / "good.npz"
    m.save(p)
    return ds, p


def _rewrite(src: Path, dst: Path, header_change=None, drop: str | None = None, change: dict | None = None) -> None:
    header, arrays = read_model(src)
    if header_change:
        header_change(header)
    if drop:
        arrays.pop(drop)
    arrays.update(change or {})
    write_model(dst, header, arrays)


def test_other_catalogue_is_refused(saved: tuple[Dataset, Path], tmp_path: Path) -> None:
    ds, p = saved
    other = Dataset(ds.artists, ds.tags, ds.plays, ds.friends, ds.assignments, sha256="d" * 64)
    with pytest.raises(ModelFileError, match="another catalogue"):
        RNNRecommender.load(p, other)


def test_other_format_version_is_refused(saved: tuple[Dataset, Path], tmp_path: Path) -> None:
    ds, p = saved
    bad = tmp_path / "v99.npz"
    _rewrite(p, bad, header_change=lambda h: h.update(format_version=99))
    with pytest.raises(ModelFileError, match="format 99"):
        RNNRecommender.load(bad, ds)


def test_truncated_and_corrupt_files_are_refused(saved: tuple[Dataset, Path], tmp_path: Path) -> None:
    ds, p = saved
    data = p.read_bytes()
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        RNNRecommender.load(trunc, ds)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip at all" * 100)
    with pytest.raises(ModelFileError):
        RNNRecommender.load(garbage, ds)
    # flip bytes inside the stored weights: the zip checksum catches it
    corrupt = tmp_path / "corrupt.npz"
    with zipfile.ZipFile(p) as z:
        info = z.getinfo("w.item_emb.weight.npy")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    raw = bytearray(data)
    raw[start : start + 16] = bytes(16)
    corrupt.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError):
        RNNRecommender.load(corrupt, ds)


def test_missing_or_misshapen_weights_and_bad_vocabulary_are_refused(saved: tuple[Dataset, Path], tmp_path: Path) -> None:
    ds, p = saved
    missing = tmp_path / "missing.npz"
    _rewrite(p, missing, drop="w.gru.weight_hh_l0")
    with pytest.raises(ModelFileError, match="'gru.weight_hh_l0' is missing"):
        RNNRecommender.load(missing, ds)
    shape = tmp_path / "shape.npz"
    _rewrite(p, shape, change={"w.out_bias": np.zeros(3, dtype=np.float32)})
    with pytest.raises(ModelFileError, match="'out_bias' has shape"):
        RNNRecommender.load(shape, ds)
    vocab = tmp_path / "vocab.npz"
    header, arrays = read_model(p)
    ids = arrays["item_ids"].copy()
    ids[0] = 424242
    _rewrite(p, vocab, change={"item_ids": ids})
    with pytest.raises(ModelFileError, match="vocabulary"):
        RNNRecommender.load(vocab, ds)
    cfg = tmp_path / "cfg.npz"
    _rewrite(p, cfg, header_change=lambda h: h["config"].update(loss="magic"))
    with pytest.raises(ModelFileError, match="bad model config"):
        RNNRecommender.load(cfg, ds)


def test_pickle_bearing_file_is_refused_without_running_it(saved: tuple[Dataset, Path], tmp_path: Path) -> None:
    ds, p = saved
    marker = tmp_path / "pwned"
    header, arrays = read_model(p)

    class Boom:
        def __reduce__(self):
            return (Path.touch, (marker,))

    evil = tmp_path / "evil.npz"
    payload = {k: v for k, v in arrays.items()}
    payload["w.item_emb.weight"] = np.array([Boom()], dtype=object)
    payload["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(evil, "wb") as f:
        np.savez(f, **payload)
    with pytest.raises(ModelFileError, match="unsafe or damaged"):
        RNNRecommender.load(evil, ds)
    assert not marker.exists()


def test_a_model_of_another_kind_is_refused(saved: tuple[Dataset, Path], tmp_path: Path) -> None:
    ds, p = saved
    other = tmp_path / "pop.npz"
    _rewrite(p, other, header_change=lambda h: h.update(kind="pop"))
    with pytest.raises(ModelFileError, match="expected 'rnn'"):
        RNNRecommender.load(other, ds)


# ---------------------------------------------------------------------- config
def test_config_errors_name_the_key_and_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key 'hiden_size'"):
        from_dict({"hiden_size": 3})
    with pytest.raises(ConfigError, match="'epochs' must be a int"):
        from_dict({"epochs": "ten"})
    with pytest.raises(ConfigError, match="'loss'"):
        from_dict({"loss": "hinge"})
    f = tmp_path / "c.json"
    f.write_text('{"epochs": 2,\n "loss": }')
    with pytest.raises(ConfigError, match=r"c\.json:2:\d+: invalid JSON"):
        load_config(f)
    f.write_text('{"epochs": 2, "learning_rate": 1}')
    assert load_config(f) == RNNConfig(epochs=2, learning_rate=1.0)


def test_torch_is_not_imported_by_the_core_or_the_rnn_config() -> None:
    code = (
        "import sys, tunerec, tunerec.data, tunerec.models, tunerec.evaluation, tunerec.evaluation.registry, "
        "tunerec.recommenders.rnn, tunerec.cli.train_cmd; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "from tunerec.recommenders.rnn import RNNRecommender; assert 'torch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
