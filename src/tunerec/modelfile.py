"""One safe model file format for every recommender.

A model file is a numpy ``.npz`` (read with ``allow_pickle=False``, so loading never
executes code) holding the weights as arrays plus a ``__header__`` array with a JSON
header: format version, model kind, config, dataset sha256, training figures.
Files are written atomically.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tunerec.atomic import atomic_write_bytes

HEADER_KEY = "__header__"


class ModelFileError(Exception):
    """A model file is missing, damaged, unsafe, or made for something else."""


def write_model(path: str | os.PathLike[str], header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` plus a JSON ``header`` to ``path`` atomically."""
    if HEADER_KEY in arrays:
        raise ValueError(f"array name {HEADER_KEY!r} is reserved")
    payload = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    for k, v in payload.items():
        if v.dtype == object:
            raise ValueError(f"array {k!r} has dtype object, which cannot be stored safely")
    payload[HEADER_KEY] = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **payload)
    atomic_write_bytes(path, buf.getvalue())


def read_model(
    path: str | os.PathLike[str],
    *,
    kind: str | None = None,
    format_version: int | None = None,
    dataset_sha256: str | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a model file, checking kind, format version and dataset; raise :class:`ModelFileError`."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"{p}: no such model file")
    try:
        with np.load(p, allow_pickle=False) as z:
            if HEADER_KEY not in z.files:
                raise ModelFileError(f"{p}: not a tunerec model file (no header)")
            header = json.loads(z[HEADER_KEY].tobytes().decode("utf-8"))
            arrays = {k: z[k] for k in z.files if k != HEADER_KEY}
    except ModelFileError:
        raise
    except ValueError as exc:  # includes "Object arrays cannot be loaded when allow_pickle=False"
        raise ModelFileError(f"{p}: unsafe or damaged model file ({exc})") from exc
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{p}: damaged or truncated model file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(header, dict):
        raise ModelFileError(f"{p}: header is not a JSON object")
    if kind is not None and header.get("kind") != kind:
        raise ModelFileError(f"{p}: holds a {header.get('kind')!r} model, expected {kind!r}")
    if format_version is not None and header.get("format_version") != format_version:
        raise ModelFileError(
            f"{p}: model file format {header.get('format_version')!r}, this tunerec reads format {format_version}; retrain the model"
        )
    if dataset_sha256 is not None and header.get("dataset_sha256") != dataset_sha256:
        raise ModelFileError(
            f"{p}: made for another catalogue (dataset sha256 {str(header.get('dataset_sha256'))[:12]}…, "
            f"loaded data is {dataset_sha256[:12]}…); retrain the model"
        )
    return header, arrays
