"""History settings kept in the user store (``settings`` table), with defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tunerec.history.matching import DEFAULT_THRESHOLD

if TYPE_CHECKING:
    from tunerec.store import Store

GAP_KEY = "history.session_gap_minutes"
HALF_LIFE_KEY = "history.half_life_days"
THRESHOLD_KEY = "history.fuzzy_threshold"


@dataclass(frozen=True)
class HistorySettings:
    session_gap_minutes: float = 30.0  # a longer pause starts a new session
    half_life_days: float = 90.0  # a play this old counts half in the profile
    fuzzy_threshold: float = DEFAULT_THRESHOLD  # rapidfuzz ratio needed for a fuzzy name match

    @property
    def gap_seconds(self) -> int:
        return int(round(self.session_gap_minutes * 60))


def _positive(value: object, default: float) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return v if v > 0 else default


def history_settings(store: "Store") -> HistorySettings:
    """The stored settings (bad or missing values fall back to the defaults)."""
    d = HistorySettings()
    return HistorySettings(
        _positive(store.get_setting(GAP_KEY), d.session_gap_minutes),
        _positive(store.get_setting(HALF_LIFE_KEY), d.half_life_days),
        min(100.0, max(50.0, _positive(store.get_setting(THRESHOLD_KEY), d.fuzzy_threshold))),
    )
