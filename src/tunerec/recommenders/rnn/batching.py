"""Session-parallel mini-batches (GRU4Rec): B sequences run side by side, no padding.

Each slot of the batch follows one sequence; at every step it feeds the sequence's
current item and predicts the next one. When a sequence has no next item left, the next
unused sequence takes the slot and the slot is flagged ``reset`` (its hidden state must
be zeroed). When no sequence is left, the slot retires and the batch shrinks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np


@dataclass
class Step:
    """One step of session-parallel training.

    ``slots``: active slot ids (rows of the hidden state); ``pos``: flat positions of the
    input items; ``reset``: True where the slot starts a new sequence at this step;
    ``seq``: sequence index per row. Targets are at ``pos + 1``.
    """

    slots: np.ndarray
    pos: np.ndarray
    reset: np.ndarray
    seq: np.ndarray


def session_parallel_steps(offsets: np.ndarray, batch_size: int) -> Iterator[Step]:
    """Iterate the steps over sequences ``offsets`` (sequences shorter than 2 are skipped)."""
    offsets = np.asarray(offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    queue = np.flatnonzero(lengths >= 2)
    n_slots = min(batch_size, len(queue))
    if n_slots == 0:
        return
    cur = queue[:n_slots].copy()
    pos = offsets[cur].copy()
    reset = np.ones(n_slots, dtype=bool)
    active = np.ones(n_slots, dtype=bool)
    nxt = n_slots
    while True:
        slots = np.flatnonzero(active)
        if len(slots) == 0:
            return
        yield Step(slots=slots, pos=pos[slots].copy(), reset=reset[slots].copy(), seq=cur[slots].copy())
        pos[slots] += 1
        reset[:] = False
        finished = slots[pos[slots] + 1 >= offsets[cur[slots] + 1]]
        for s in finished:
            if nxt < len(queue):
                cur[s] = queue[nxt]
                pos[s] = offsets[cur[s]]
                reset[s] = True
                nxt += 1
            else:
                active[s] = False
