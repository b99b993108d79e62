"""Load the HetRec dataset (zip or folder) into a :class:`Dataset`, with a safe cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from tunerec.data.dataset import Dataset, placeholder_name
from tunerec.data.errors import DataError
from tunerec.data.parse import Problems, check_unique_ids, drop_duplicates, read_table
from tunerec.data.source import DataSource, read_source, source_fingerprint

CACHE_VERSION = 1
LOCAL_TZ = "Europe/Madrid"  # the dataset's day/month/year columns are Madrid local dates


def tag_key(name: str) -> str:
    """Fold case and spacing so that 'Hip  Hop' and 'hip hop' share a key."""
    return " ".join(name.casefold().split())


def build_dataset(src: DataSource, problems: Problems | None = None) -> Dataset:
    """Parse and validate the six tables of a data source."""
    problems = problems or Problems()
    f = src.files

    art = read_table("artists.dat", f["artists.dat"])
    art = drop_duplicates(art, list(art.columns), "artists.dat", problems)
    check_unique_ids(art, "id", "artists.dat")
    tags = read_table("tags.dat", f["tags.dat"])
    tags = drop_duplicates(tags, list(tags.columns), "tags.dat", problems)
    check_unique_ids(tags, "tagID", "tags.dat")

    ua = read_table("user_artists.dat", f["user_artists.dat"])
    ua = drop_duplicates(ua, ["userID", "artistID"], "user_artists.dat", problems)
    bad = ua["weight"].to_numpy() < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError("play count must be >= 0", file="user_artists.dat", line=i + 2, column="weight")

    ta = read_table("user_taggedartists.dat", f["user_taggedartists.dat"])
    ts = read_table("user_taggedartists-timestamps.dat", f["user_taggedartists-timestamps.dat"])
    ta, ts = _cross_check_assignments(ta, ts, problems)

    fr = read_table("user_friends.dat", f["user_friends.dat"])
    users = np.union1d(ua["userID"].to_numpy(), ta["userID"].to_numpy())
    for col in ("userID", "friendID"):
        unknown = ~np.isin(fr[col].to_numpy(), users)
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise DataError(
                f"unknown user {int(fr[col].iat[i])} (not in user_artists.dat or user_taggedartists.dat)",
                file="user_friends.dat", line=i + 2, column=col,
            )
    a, b = fr["userID"].to_numpy(), fr["friendID"].to_numpy()
    pairs = pd.DataFrame({"user_id": np.minimum(a, b), "friend_id": np.maximum(a, b)})
    pairs = pairs[pairs["user_id"] != pairs["friend_id"]].drop_duplicates().sort_values(["user_id", "friend_id"])

    # Artists: known ones from artists.dat plus flagged placeholders for the rest.
    referenced = np.union1d(ua["artistID"].to_numpy(), ta["artistID"].to_numpy())
    missing = np.setdiff1d(referenced, art["id"].to_numpy())
    artists = pd.DataFrame(
        {
            "name": np.concatenate([art["name"].to_numpy(dtype=object), [placeholder_name(int(i)) for i in missing]]),
            "url": np.concatenate([art["url"].to_numpy(dtype=object), [""] * len(missing)]),
            "known": np.concatenate([np.ones(len(art), bool), np.zeros(len(missing), bool)]),
        },
        index=pd.Index(np.concatenate([art["id"].to_numpy(), missing]).astype(np.int64), name="artist_id"),
    ).sort_index()
    unknown_tags = np.setdiff1d(ta["tagID"].to_numpy(), tags["tagID"].to_numpy())
    if len(unknown_tags):
        i = int(np.flatnonzero(np.isin(ta["tagID"].to_numpy(), unknown_tags))[0])
        raise DataError(f"unknown tag id {int(ta['tagID'].iat[i])}", file="user_taggedartists.dat", line=i + 2, column="tagID")

    tag_table = pd.DataFrame(
        {"name": tags["tagValue"].to_numpy(dtype=object)},
        index=pd.Index(tags["tagID"].to_numpy(), name="tag_id"),
    ).sort_index()
    tag_table["key"] = [tag_key(n) for n in tag_table["name"]]

    plays = pd.DataFrame({"user_id": ua["userID"].to_numpy(), "artist_id": ua["artistID"].to_numpy(), "weight": ua["weight"].to_numpy()})
    assignments = pd.DataFrame(
        {
            "user_id": ta["userID"].to_numpy(),
            "artist_id": ta["artistID"].to_numpy(),
            "tag_id": ta["tagID"].to_numpy(),
            "timestamp": pd.to_datetime(ts["timestamp"].to_numpy(), unit="ms", utc=True),
            "year": ta["year"].to_numpy().astype(np.int32),
            "month": ta["month"].to_numpy().astype(np.int32),
            "day": ta["day"].to_numpy().astype(np.int32),
        }
    )
    return Dataset(
        artists=artists,
        tags=tag_table,
        plays=plays,
        friends=pairs.reset_index(drop=True),
        assignments=assignments,
        sha256=src.sha256,
        source=str(src.path),
        warnings=problems.warnings,
    )


def _cross_check_assignments(ta: pd.DataFrame, ts: pd.DataFrame, problems: Problems) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The timestamp file must list the same (user, artist, tag) rows as the date file."""
    keys = ["userID", "artistID", "tagID"]
    if len(ta) != len(ts) or not np.array_equal(ta[keys].to_numpy(), ts[keys].to_numpy()):
        n = min(len(ta), len(ts))
        diff = np.flatnonzero((ta[keys].to_numpy()[:n] != ts[keys].to_numpy()[:n]).any(axis=1))
        line = int(diff[0]) + 2 if len(diff) else n + 2
        raise DataError(
            f"user_taggedartists-timestamps.dat does not list the same (userID, artistID, tagID) rows "
            f"as user_taggedartists.dat ({len(ts)} vs {len(ta)} rows; first difference at line {line})",
            file="user_taggedartists-timestamps.dat", line=line,
        )
    dup = ta.duplicated(keys, keep="first").to_numpy()
    if dup.any():
        problems.warn(
            f"user_taggedartists.dat: {int(dup.sum())} duplicate row(s) dropped (first at line {int(np.flatnonzero(dup)[0]) + 2})"
        )
        ta, ts = ta[~dup].reset_index(drop=True), ts[~dup].reset_index(drop=True)
    for col, lo, hi in (("day", 1, 31), ("month", 1, 12), ("year", 1900, 2100)):
        bad = (ta[col].to_numpy() < lo) | (ta[col].to_numpy() > hi)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(f"expected {col} in {lo}..{hi}, found {int(ta[col].iat[i])}", file="user_taggedartists.dat", line=i + 2, column=col)
    local = pd.to_datetime(ts["timestamp"].to_numpy(), unit="ms", utc=True).tz_convert(LOCAL_TZ)
    mismatch = (local.year.to_numpy() != ta["year"].to_numpy()) | (local.month.to_numpy() != ta["month"].to_numpy()) | (
        local.day.to_numpy() != ta["day"].to_numpy()
    )
    if mismatch.any():
        i = int(np.flatnonzero(mismatch)[0])
        problems.warn(
            f"user_taggedartists-timestamps.dat: {int(mismatch.sum())} timestamp(s) disagree with the "
            f"day/month/year in user_taggedartists.dat (first at line {i + 2}); the dated file wins for sessions"
        )
    return ta, ts


# ---------------------------------------------------------------------- cache
def _cache_dir() -> Path:
    from tunerec.paths import cache_dir

    return cache_dir() / "dataset"


def _save_cache(ds: Dataset, path: Path) -> None:
    from tunerec.atomic import atomic_write_bytes

    header = {"version": CACHE_VERSION, "sha256": ds.sha256, "source": ds.source, "warnings": ds.warnings}
    arrays = {
        "artist_id": ds.artists.index.to_numpy(),
        "artist_name": ds.artists["name"].to_numpy().astype(str),
        "artist_url": ds.artists["url"].to_numpy().astype(str),
        "artist_known": ds.artists["known"].to_numpy(),
        "tag_id": ds.tags.index.to_numpy(),
        "tag_name": ds.tags["name"].to_numpy().astype(str),
        "plays": ds.plays[["user_id", "artist_id", "weight"]].to_numpy(),
        "friends": ds.friends[["user_id", "friend_id"]].to_numpy(),
        "assign": ds.assignments[["user_id", "artist_id", "tag_id", "year", "month", "day"]].to_numpy().astype(np.int64),
        "assign_ts": ds.assignments["timestamp"].dt.tz_convert(None).to_numpy().astype("datetime64[ms]").astype(np.int64),
        "header": np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
    }
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def _load_cache(path: Path, sha256: str) -> Dataset | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(z["header"].tobytes().decode())
            if header.get("version") != CACHE_VERSION or header.get("sha256") != sha256:
                return None
            a = {k: z[k] for k in z.files}
    except Exception:  # a damaged cache is simply rebuilt
        return None
    artists = pd.DataFrame(
        {"name": a["artist_name"].astype(object), "url": a["artist_url"].astype(object), "known": a["artist_known"]},
        index=pd.Index(a["artist_id"], name="artist_id"),
    )
    tags = pd.DataFrame({"name": a["tag_name"].astype(object)}, index=pd.Index(a["tag_id"], name="tag_id"))
    tags["key"] = [tag_key(n) for n in tags["name"]]
    p, fr, asg = a["plays"], a["friends"], a["assign"]
    assignments = pd.DataFrame(
        {
            "user_id": asg[:, 0],
            "artist_id": asg[:, 1],
            "tag_id": asg[:, 2],
            "timestamp": pd.to_datetime(a["assign_ts"], unit="ms", utc=True),
            "year": asg[:, 3].astype(np.int32),
            "month": asg[:, 4].astype(np.int32),
            "day": asg[:, 5].astype(np.int32),
        }
    )
    return Dataset(
        artists=artists,
        tags=tags,
        plays=pd.DataFrame({"user_id": p[:, 0], "artist_id": p[:, 1], "weight": p[:, 2]}),
        friends=pd.DataFrame({"user_id": fr[:, 0], "friend_id": fr[:, 1]}),
        assignments=assignments,
        sha256=sha256,
        source=header.get("source", ""),
        warnings=list(header.get("warnings", [])),
    )


def load_dataset(path: str | os.PathLike[str] | None = None, *, use_cache: bool = True) -> Dataset:
    """Load the dataset from ``path`` (zip or folder), ``$TUNEREC_DATA``, or the bundled zip.

    A parsed copy is cached (numpy ``.npz``, no pickle) in the user cache dir, keyed by
    the data's sha256, so later loads skip parsing. Raises :class:`DataError` on bad data.
    """
    resolved, sha = source_fingerprint(path)
    cache_file = None
    if use_cache:
        try:
            cache_file = _cache_dir() / f"{sha}.npz"
        except Exception:
            cache_file = None
        if cache_file is not None and cache_file.is_file():
            ds = _load_cache(cache_file, sha)
            if ds is not None:
                ds.source = str(resolved)
                return ds
    ds = build_dataset(read_source(resolved, sha256=sha))
    if cache_file is not None:
        try:
            _save_cache(ds, cache_file)
        except OSError:
            pass  # caching is an optimisation; a read-only cache dir is not an error
    return ds


def check_dataset(path: str | os.PathLike[str]) -> tuple[list[str], list[str]]:
    """Validate a copy of the data without raising: (errors, warnings).

    Each file is parsed on its own so that every broken file is listed; the
    cross-file checks (unknown users, tags, timestamps) run when all files parse.
    """
    from tunerec.data.parse import SCHEMAS

    problems = Problems()
    try:
        src = read_source(path)
    except DataError as exc:
        return [str(exc)], []
    errors = []
    for name in SCHEMAS:
        try:
            read_table(name, src.files[name])
        except DataError as exc:
            errors.append(str(exc))
    if errors:
        return errors, problems.warnings
    try:
        build_dataset(src, problems)
    except DataError as exc:
        errors.append(str(exc))
    return errors, problems.warnings
