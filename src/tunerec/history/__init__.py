"""Personal listening history: import real exports (Last.fm 1K, ListenBrainz, Spotify,
CSV), match artists to the catalogue, split plays into sessions, and build a personal
profile for recommenders (``Context(profile=..., recent_sessions=...)``)."""

from __future__ import annotations

from tunerec.history.formats import FORMATS, Problems, detect_format
from tunerec.history.importer import ImportReport, import_history
from tunerec.history.matching import CatalogueMatcher, NameMatch
from tunerec.history.profile import build_profile, list_history_sessions, personal_context
from tunerec.history.sessions import HistorySession, split_sessions
from tunerec.history.settings import HistorySettings, history_settings
from tunerec.history.summary import forget_history, history_summary

__all__ = [
    "FORMATS",
    "CatalogueMatcher",
    "HistorySession",
    "HistorySettings",
    "ImportReport",
    "NameMatch",
    "Problems",
    "build_profile",
    "detect_format",
    "forget_history",
    "history_settings",
    "history_summary",
    "import_history",
    "list_history_sessions",
    "personal_context",
    "split_sessions",
]
