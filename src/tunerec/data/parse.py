"""Parse the six HetRec `.dat` files into validated tables.

Fast path: pandas' C parser. When it fails, a line-by-line pass finds the first bad
line so that the error names the file, the line number, the column and what was
expected.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tunerec.data.errors import DataError

# file -> (encoding, expected header, integer columns)
SCHEMAS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "artists.dat": ("utf-8", ("id", "name", "url", "pictureURL"), ("id",)),
    "tags.dat": ("latin-1", ("tagID", "tagValue"), ("tagID",)),
    "user_artists.dat": ("utf-8", ("userID", "artistID", "weight"), ("userID", "artistID", "weight")),
    "user_friends.dat": ("utf-8", ("userID", "friendID"), ("userID", "friendID")),
    "user_taggedartists.dat": (
        "utf-8",
        ("userID", "artistID", "tagID", "day", "month", "year"),
        ("userID", "artistID", "tagID", "day", "month", "year"),
    ),
    "user_taggedartists-timestamps.dat": (
        "utf-8",
        ("userID", "artistID", "tagID", "timestamp"),
        ("userID", "artistID", "tagID", "timestamp"),
    ),
}


@dataclass
class Problems:
    """Non-fatal findings (duplicates dropped, date mismatches) collected while parsing."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def decode(name: str, raw: bytes) -> str:
    """Decode a file with its expected encoding; a bad byte is reported with its line."""
    encoding = SCHEMAS[name][0]
    if not raw.strip():
        raise DataError("file is empty (expected a header line and rows)", file=name, line=1)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"not valid {encoding} text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            file=name,
            line=line,
        ) from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _check_header(name: str, text: str) -> None:
    expected = SCHEMAS[name][1]
    first = text.split("\n", 1)[0].rstrip("\r")
    got = tuple(first.split("\t"))
    if got != expected:
        missing = [c for c in expected if c not in got]
        extra = [c for c in got if c not in expected]
        detail = []
        if missing:
            detail.append(f"missing column(s) {', '.join(repr(c) for c in missing)}")
        if extra:
            detail.append(f"unexpected column(s) {', '.join(repr(c) for c in extra)}")
        if not detail:
            detail.append("columns in the wrong order")
        raise DataError(
            f"bad header: {'; '.join(detail)} (expected {' <TAB> '.join(expected)})",
            file=name,
            line=1,
            column=missing[0] if missing else None,
        )


def _locate_bad_line(name: str, text: str) -> DataError:
    """Walk the rows to find the first one that breaks the schema."""
    _, header, int_cols = SCHEMAS[name]
    for lineno, line in enumerate(text.split("\n")[1:], start=2):
        line = line.rstrip("\r")
        if not line:
            continue
        fields = line.split("\t")
        if len(fields) != len(header):
            return DataError(
                f"expected {len(header)} tab-separated fields, found {len(fields)} (truncated or malformed line)",
                file=name,
                line=lineno,
                column=header[min(len(fields), len(header) - 1)] if len(fields) < len(header) else None,
            )
        for col, value in zip(header, fields):
            if col in int_cols:
                try:
                    int(value)
                except ValueError:
                    return DataError(f"expected an integer, found {value!r}", file=name, line=lineno, column=col)
    return DataError("could not parse file", file=name)


def read_table(name: str, raw: bytes) -> pd.DataFrame:
    """Parse one `.dat` file into a DataFrame with integer columns checked."""
    text = decode(name, raw)
    _check_header(name, text)
    _, header, int_cols = SCHEMAS[name]
    dtypes = {c: (np.int64 if c in int_cols else str) for c in header}
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep="\t",
            quoting=csv.QUOTE_NONE,
            dtype=dtypes,
            keep_default_na=False,
            na_filter=False,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise _locate_bad_line(name, text) from exc
    if df.shape[1] != len(header) or (len(df) and df.isna().any().any()):
        raise _locate_bad_line(name, text)
    if len(df) == 0:
        raise DataError("file has a header but no rows", file=name, line=2)
    # Missing trailing fields in string columns are read as "": check field counts.
    if name == "artists.dat":
        counts = np.fromiter((ln.count("\t") for ln in text.split("\n")[1:] if ln.strip()), dtype=np.int64)
        if (counts != len(header) - 1).any():
            raise _locate_bad_line(name, text)
    return df


def drop_duplicates(df: pd.DataFrame, keys: list[str], name: str, problems: Problems) -> pd.DataFrame:
    """Drop duplicate rows (keeping the first), reporting the first duplicate's line."""
    dup = df.duplicated(keys, keep="first")
    if dup.any():
        first = int(np.flatnonzero(dup.to_numpy())[0]) + 2
        problems.warn(f"{name}: {int(dup.sum())} duplicate row(s) dropped (first at line {first})")
        df = df[~dup.to_numpy()].reset_index(drop=True)
    return df


def check_unique_ids(df: pd.DataFrame, col: str, name: str) -> None:
    dup = df[col].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataError(f"duplicate id {int(df[col].iat[i])}", file=name, line=i + 2, column=col)
