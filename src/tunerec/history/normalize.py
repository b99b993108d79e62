"""Artist-name keys for matching listening history to the catalogue.

Three strengths, each looser than the last:

- :func:`fold_key`: case, accents, punctuation and spacing (``tunerec.data.search.fold``);
- :func:`name_key`: also ``&``/``+`` = ``and``, apostrophes dropped, a leading "The" dropped;
- :func:`compact_key`: :func:`name_key` without spaces ("4 Hero" = "4Hero", "Scsi-9" = "SCSI 9").
"""

from __future__ import annotations

import re

from tunerec.data.search import fold

_APOSTROPHES = re.compile(r"['’‘`´]")
_AND = re.compile(r"\s*[&+]\s*")
#: "A feat. B", "A ft B", "A featuring B": the part before is the primary artist.
_FEATURING = re.compile(r"\s+(?:feat\.?|ft\.|featuring)\s+", re.IGNORECASE)


_PUNCT = re.compile(r"[^\w\s]+")


def fold_key(name: str) -> str:
    """Case-, accent- and punctuation-folded name: 'Björk!' -> 'bjork'
    (``tunerec.data.search.fold``, with a fast path for ASCII names)."""
    if name.isascii():
        return " ".join(_PUNCT.sub(" ", name.lower()).split())
    return fold(name)


def name_key(name: str, folded: str | None = None) -> str:
    """Stronger key: 'The Prodigy' -> 'prodigy', 'Simon & Garfunkel' -> 'simon and garfunkel',
    "Guns N' Roses" -> 'guns n roses'. ``folded``: ``fold_key(name)`` when already known."""
    text = _AND.sub(" and ", _APOSTROPHES.sub("", name))
    words = (folded if folded is not None and text == name else fold_key(text)).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def compact_key(name: str) -> str:
    """:func:`name_key` without spaces."""
    return name_key(name).replace(" ", "")


def primary_artist(name: str) -> str | None:
    """'Jazzanova Feat. Paul Randolph' -> 'Jazzanova'; None when there is no featured artist."""
    parts = _FEATURING.split(name, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip()
    return None
