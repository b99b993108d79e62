"""The one model file format: safe to load, checked against kind, format and catalogue."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tunerec.modelfile import ModelFileError, read_model, write_model


def make(path: Path) -> None:
    write_model(path, {"kind": "pop", "format_version": 1, "dataset_sha256": "abc"}, {"w": np.arange(5.0)})


def test_round_trip(tmp_path: Path) -> None:
    make(tmp_path / "m.npz")
    header, arrays = read_model(tmp_path / "m.npz", kind="pop", format_version=1, dataset_sha256="abc")
    assert header["kind"] == "pop" and arrays["w"].tolist() == [0, 1, 2, 3, 4]
    assert not list(tmp_path.glob(".*tmp"))  # atomic write left no temp file


@pytest.mark.parametrize(
    "kw,msg",
    [({"kind": "rnn"}, "expected 'rnn'"), ({"format_version": 2}, "format"), ({"dataset_sha256": "zzz"}, "another catalogue")],
)
def test_mismatch_is_named(tmp_path: Path, kw: dict, msg: str) -> None:
    make(tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match=msg):
        read_model(tmp_path / "m.npz", **kw)


def test_truncated_file(tmp_path: Path) -> None:
    make(tmp_path / "m.npz")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "m.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="damaged|truncated"):
        read_model(tmp_path / "m.npz")


def test_garbage_file(tmp_path: Path) -> None:
    (tmp_path / "m.npz").write_bytes(b"\x00garbage")
    with pytest.raises(ModelFileError):
        read_model(tmp_path / "m.npz")


class Boom:
    def __reduce__(self):  # would run code if unpickled
        return (Path("/tmp/tunerec-pwned").touch, ())


def test_pickle_bearing_file_is_refused_without_running_code(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    buf = io.BytesIO()
    np.save(buf, np.array([Boom()], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__header__.npy", _npy(np.frombuffer(b'{"kind": "pop"}', dtype=np.uint8)))
        zf.writestr("w.npy", buf.getvalue())
    Path("/tmp/tunerec-pwned").unlink(missing_ok=True)
    with pytest.raises(ModelFileError, match="unsafe"):
        read_model(path)
    assert not Path("/tmp/tunerec-pwned").exists()
    plain = tmp_path / "p.pkl"
    plain.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFileError):
        read_model(plain)
    assert not Path("/tmp/tunerec-pwned").exists()


def _npy(a: np.ndarray) -> bytes:
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such"):
        read_model(tmp_path / "none.npz")
