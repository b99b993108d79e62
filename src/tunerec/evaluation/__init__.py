"""Offline evaluation: protocol hetrec-sessions-v2 split, metrics, ``evaluate(model, split, task)``.

No UI imports; the CLI (``tunerec eval``) and the app's compare view are shells over it.
"""

from tunerec.evaluation.harness import LeakageError, evaluate, fit_and_evaluate, results_json
from tunerec.evaluation.protocol import PROTOCOL, Split, make_split, validation_split

__all__ = [
    "PROTOCOL",
    "LeakageError",
    "Split",
    "evaluate",
    "fit_and_evaluate",
    "make_split",
    "results_json",
    "validation_split",
]
