"""Which recommender each pane uses, with honest fallbacks (UI-free, thread-safe).

The RNN pane wants ``rnn`` (a trained model; :class:`~tunerec.models.ModelNotReady`
until one exists). The GA pane wants ``ga`` (with discovery/hybrid options). A model
name this build does not offer yet (``ValueError`` from ``get_recommender``) falls back
to ``iknn_both`` then ``pop``, and the pane label says so.
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from tunerec.models import ModelNotReady, get_recommender

if TYPE_CHECKING:
    from tunerec.data import Dataset
    from tunerec.recommenders.base import Recommender

PANE_TITLES = {"rnn": "RNN (GRU4Rec-style)", "ga": "GA (multi-objective)"}
FALLBACKS = ("iknn_both", "pop")


@dataclass
class PaneModel:
    """The model a pane ended up with."""

    pane: str
    name: str  # the recommender actually used
    model: "Recommender"
    note: str = ""  # e.g. "GA not available yet — showing popularity"


class ModelService:
    """Loads (once) and caches the recommender of each pane; ``invalidate`` to swap."""

    def __init__(self, dataset: "Dataset", factory: Callable[..., "Recommender"] = get_recommender) -> None:
        self.ds = dataset
        self.factory = factory
        self._cache: dict[tuple[Any, ...], PaneModel] = {}
        self._lock = threading.Lock()
        self._building: dict[tuple[Any, ...], threading.Lock] = {}
        self.loads = 0  # models built or loaded so far

    def _build_lock(self, key: tuple[Any, ...]) -> threading.Lock:
        with self._lock:
            return self._building.setdefault(key, threading.Lock())

    def invalidate(self, name: str | None = None) -> None:
        with self._lock:
            for key in list(self._cache):
                if name is None or key[0] == name or self._cache[key].name == name:
                    del self._cache[key]

    def _make(self, name: str, options: dict[str, Any]) -> "Recommender":
        try:
            return self.factory(name, self.ds, **options)
        except TypeError:
            if not options:
                raise
            # the model does not take these options (yet): build it plainly
            return self.factory(name, self.ds)

    def _fallback(self, pane: str, wanted: str, why: str) -> PaneModel:
        for name in FALLBACKS:
            key = (name,)
            with self._build_lock(key):  # one thread builds, the other waits for it
                with self._lock:
                    hit = self._cache.get(key)
                if hit is None:
                    try:
                        model = self.factory(name, self.ds)
                    except ValueError:
                        continue
                    hit = PaneModel(pane, name, model)
                    with self._lock:
                        self._cache[key] = hit
                        self.loads += 1
            note = f"{wanted.upper()} {why} — showing {name}"
            return PaneModel(pane, name, hit.model, note)
        raise ValueError("no recommender available")

    def get(self, pane: str, options: dict[str, Any] | None = None) -> PaneModel:
        """The pane's model; raises :class:`ModelNotReady` for an untrained RNN."""
        options = dict(options or {})
        wanted = "rnn" if pane == "rnn" else "ga"
        key = (wanted, tuple(sorted(options.items())))
        with self._build_lock(key):
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None:
                return hit
            try:
                model = self._make(wanted, options)
            except ModelNotReady:
                raise
            except ValueError as exc:
                if "unknown model" not in str(exc):
                    raise
                return self._fallback(pane, wanted, "not in this build yet")
            pm = PaneModel(pane, wanted, model)
            with self._lock:
                self._cache[key] = pm
                self.loads += 1
            return pm


def accepts_kwarg(func: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
