"""Export an artist list (a session or a recommendation list) as a playlist file.

Formats: ``m3u`` (extended M3U-style text, one ``#EXTINF`` line per artist with its
Last.fm URL), ``xspf`` (XML Shareable Playlist Format), ``jspf`` (the JSON form of XSPF
that ListenBrainz reads) and ``csv``. UI-free; files are written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence
from xml.sax.saxutils import escape

from tunerec.atomic import atomic_write_text

if TYPE_CHECKING:
    from tunerec.data import Dataset

FORMATS = ("m3u", "xspf", "jspf", "csv")


@dataclass(frozen=True)
class ExportItem:
    artist_id: int
    name: str
    url: str = ""
    score: float | None = None
    explanation: str = ""


def items_for(dataset: "Dataset", artist_ids: Sequence[int], scores: Sequence[float] | None = None, explanations: Sequence[str] | None = None) -> list[ExportItem]:
    """Export rows for artist ids, with names and URLs from the dataset."""
    out = []
    for i, a in enumerate(artist_ids):
        try:
            url = str(dataset.artists.at[int(a), "url"])
        except KeyError:
            url = ""
        out.append(
            ExportItem(
                int(a),
                dataset.artist_name(int(a)),
                url,
                None if scores is None else float(scores[i]),
                "" if explanations is None else str(explanations[i]),
            )
        )
    return out


def render(items: Sequence[ExportItem], fmt: str, title: str) -> str:
    """The file content for ``items`` in format ``fmt``."""
    if fmt == "m3u":
        lines = ["#EXTM3U", f"#PLAYLIST:{_one_line(title)}"]
        for it in items:
            lines.append(f"#EXTINF:-1,{_one_line(it.name)}")
            lines.append(it.url or f"# artist {it.artist_id}")
        return "\n".join(lines) + "\n"
    if fmt == "xspf":
        tracks = "".join(
            "    <track>\n"
            f"      <creator>{escape(it.name)}</creator>\n"
            + (f"      <info>{escape(it.url)}</info>\n" if it.url else "")
            + (f"      <annotation>{escape(it.explanation)}</annotation>\n" if it.explanation else "")
            + "    </track>\n"
            for it in items
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<playlist version="1" xmlns="http://xspf.org/ns/0/">\n'
            f"  <title>{escape(title)}</title>\n"
            "  <creator>tunerec</creator>\n"
            f"  <trackList>\n{tracks}  </trackList>\n"
            "</playlist>\n"
        )
    if fmt == "jspf":
        track = []
        for it in items:
            t: dict[str, object] = {"creator": it.name}
            if it.url:
                t["info"] = it.url
            if it.explanation:
                t["annotation"] = it.explanation
            track.append(t)
        return json.dumps({"playlist": {"title": title, "creator": "tunerec", "track": track}}, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["rank", "artist_id", "name", "score", "explanation", "url"])
        for i, it in enumerate(items, 1):
            w.writerow([i, it.artist_id, it.name, "" if it.score is None else f"{it.score:.6g}", it.explanation, it.url])
        return buf.getvalue()
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def export_list(items: Sequence[ExportItem], fmt: str, path: str | os.PathLike[str], title: str) -> Path:
    """Write ``items`` to ``path`` (atomically); returns the path."""
    text = render(items, fmt, title)
    target = Path(path).expanduser()
    atomic_write_text(target, text)
    return target


def default_export_path(folder: Path, title: str, fmt: str) -> Path:
    """``folder/<title as a safe file name>.<fmt>``."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in title).strip("-") or "playlist"
    return folder / f"{safe}.{fmt}"


def names_text(items: Sequence[ExportItem]) -> str:
    """Artist names, one per line (for the clipboard)."""
    return "\n".join(it.name for it in items)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
