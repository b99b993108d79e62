"""Where the dataset comes from: the bundled zip, another zip, or a folder of `.dat` files."""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tunerec.data.errors import DataError

BUNDLED_NAME = "hetrec2011-lastfm-2k.zip"
BUNDLED_SHA256 = "6738f48195667ff03caaab4d32ca9a3133d8cc026b7c3cdaf6ce1010e913c59c"
MEMBERS = (
    "artists.dat",
    "tags.dat",
    "user_artists.dat",
    "user_friends.dat",
    "user_taggedartists.dat",
    "user_taggedartists-timestamps.dat",
)
#: No member of the dataset is near this size; a larger one is treated as a zip bomb.
MAX_MEMBER_BYTES = 256 * 1024 * 1024
ENV_VAR = "TUNEREC_DATA"


def bundled_zip() -> Path:
    """Path of the zip shipped with tunerec (wheel install or source checkout)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "assets" / BUNDLED_NAME, here.parent.parent / "assets" / BUNDLED_NAME):
        if candidate.is_file():
            return candidate
    raise DataError(
        "the bundled dataset is missing from this installation; pass --data PATH "
        f"or set {ENV_VAR} to a copy of {BUNDLED_NAME}",
        file=BUNDLED_NAME,
    )


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The data location: explicit path, else $TUNEREC_DATA, else the bundled zip."""
    if path is None or str(path) == "":
        env = os.environ.get(ENV_VAR)
        if env:
            return Path(env).expanduser()
        return bundled_zip()
    return Path(path).expanduser()


@dataclass
class DataSource:
    """Raw bytes of the six dataset files plus a content hash identifying them."""

    path: Path
    files: dict[str, bytes]
    sha256: str
    is_bundled: bool

    @property
    def label(self) -> str:
        return str(self.path)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def source_fingerprint(path: str | os.PathLike[str] | None = None) -> tuple[Path, str]:
    """Resolve the data path and return it with a sha256 of its content (for cache keys)."""
    p = resolve_path(path)
    if p.is_file():
        return p, _file_sha256(p)
    if p.is_dir():
        h = hashlib.sha256()
        for name in MEMBERS:
            f = p / name
            if not f.is_file():
                raise DataError("missing file (expected one of the six HetRec .dat files)", file=str(f))
            h.update(name.encode() + b"\0" + _file_sha256(f).encode())
        return p, h.hexdigest()
    if not p.exists():
        raise DataError("no such file or folder; pass --data PATH to a zip or folder of the .dat files", file=str(p))
    raise DataError("neither a zip file nor a folder", file=str(p))


def _check_member_name(name: str, zip_path: Path) -> None:
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise DataError(f"zip member {name!r} has an absolute path; refusing to read it", file=str(zip_path))
    if ".." in pure.parts:
        raise DataError(f"zip member {name!r} has a '..' path component; refusing to read it", file=str(zip_path))


def read_source(path: str | os.PathLike[str] | None = None, *, sha256: str | None = None) -> DataSource:
    """Read the six `.dat` files from a zip or a folder, checking paths and sizes."""
    p = resolve_path(path)
    if sha256 is None:
        p, sha256 = source_fingerprint(p)
    is_bundled = p.name == BUNDLED_NAME and p.resolve() == _bundled_or_none()
    if is_bundled and sha256 != BUNDLED_SHA256:
        raise DataError(
            f"the bundled dataset was altered (sha256 {sha256[:12]}…, expected {BUNDLED_SHA256[:12]}…); "
            "reinstall tunerec or pass --data PATH to a good copy",
            file=str(p),
        )
    files: dict[str, bytes] = {}
    if p.is_dir():
        for name in MEMBERS:
            f = p / name
            size = f.stat().st_size
            if size > MAX_MEMBER_BYTES:
                raise DataError(f"file is {size:,} bytes, over the {MAX_MEMBER_BYTES:,}-byte limit", file=str(f))
            files[name] = f.read_bytes()
        return DataSource(p, files, sha256, False)
    if not zipfile.is_zipfile(p):
        raise DataError("neither a zip file nor a folder of .dat files", file=str(p))
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            for info in infos:
                _check_member_name(info.filename, p)
            by_base: dict[str, zipfile.ZipInfo] = {}
            for info in infos:
                if not info.is_dir():
                    by_base.setdefault(PurePosixPath(info.filename).name, info)
            for name in MEMBERS:
                info = by_base.get(name)
                if info is None:
                    raise DataError(f"missing member {name!r} in the zip", file=str(p))
                if info.file_size > MAX_MEMBER_BYTES:
                    raise DataError(
                        f"member {name!r} unpacks to {info.file_size:,} bytes, over the "
                        f"{MAX_MEMBER_BYTES:,}-byte limit (zip bomb?)",
                        file=str(p),
                    )
                with zf.open(info) as fh:
                    data = fh.read(MAX_MEMBER_BYTES + 1)
                if len(data) > MAX_MEMBER_BYTES:
                    raise DataError(f"member {name!r} is larger than it claims (zip bomb?)", file=str(p))
                files[name] = data
    except zipfile.BadZipFile as exc:
        raise DataError(f"corrupt zip file: {exc}", file=str(p)) from exc
    return DataSource(p, files, sha256, is_bundled)


def _bundled_or_none() -> Path | None:
    try:
        return bundled_zip().resolve()
    except DataError:
        return None
