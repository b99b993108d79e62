"""Where tunerec keeps its files: user data (store, models) and cache."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tunerec"
HOME_ENV = "TUNEREC_HOME"


def home_dir() -> Path:
    """User data dir (``$TUNEREC_HOME`` overrides the platform default)."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    return home_dir() / "models"


def cache_dir() -> Path:
    """Cache dir (under ``$TUNEREC_HOME/cache`` when that is set, so tests stay isolated)."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser() / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))
