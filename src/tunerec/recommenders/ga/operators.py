"""Set-aware genetic operators on populations of lists (int arrays ``(P, K)`` of pool indices).

Every operator returns rows of K *distinct* pool indices: crossover keeps what both parents
share and fills from the rest of their union; mutation swaps artists for pool artists not
already in the list (weighted towards relevant ones); :func:`repair_cap` enforces an
optional cap of artists per dominant tag. Selection happens in :mod:`.nsga`.
"""

from __future__ import annotations

import numpy as np


def weighted_keys(rng: np.random.Generator, weights: np.ndarray, rows: int) -> np.ndarray:
    """Random keys whose top-m per row is a weighted sample without replacement
    (Efraimidis–Spirakis: key = u^(1/w)); zero weights come last."""
    u = rng.random((rows, len(weights)))
    w = np.maximum(np.asarray(weights, dtype=np.float64), 0.0)
    with np.errstate(divide="ignore"):
        keys = np.log(np.maximum(u, 1e-300)) / w  # -inf where w == 0
    return keys


def top_per_row(keys: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest keys per row (any order)."""
    if k == 0:
        return np.zeros((keys.shape[0], 0), dtype=np.int64)
    return np.argpartition(-keys, k - 1, axis=1)[:, :k].astype(np.int64)


def membership(pop: np.ndarray, n: int) -> np.ndarray:
    """Boolean (P, n): which pool items each list holds."""
    m = np.zeros((pop.shape[0], n), dtype=bool)
    m[np.arange(pop.shape[0])[:, None], pop] = True
    return m


def random_lists(rng: np.random.Generator, n: int, k: int, rows: int, weights: np.ndarray | None = None) -> np.ndarray:
    """``rows`` random lists of k distinct items of n (weighted when ``weights`` is given)."""
    if weights is None:
        keys = rng.random((rows, n))
    else:
        keys = weighted_keys(rng, weights + 1e-9, rows)
    return top_per_row(keys, k)


def crossover(rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two children per parent pair: all artists both parents share, the rest drawn at
    random from the artists only one of them has."""
    n = int(max(a.max(initial=-1), b.max(initial=-1))) + 1
    k = a.shape[1]
    ma, mb = membership(a, n), membership(b, n)
    shared, either = ma & mb, ma | mb
    children = []
    for _ in range(2):
        keys = rng.random(ma.shape)
        keys[shared] = 2.0
        keys[~either] = -1.0
        children.append(top_per_row(keys, k))
    return children[0], children[1]


def mutate(rng: np.random.Generator, pop: np.ndarray, n: int, rate: float, weights: np.ndarray) -> np.ndarray:
    """Replace each artist with probability ``rate`` by a pool artist the list lacks,
    drawn with probability proportional to ``weights`` (e.g. relevance + a floor)."""
    p, k = pop.shape
    spare = n - k
    mask = rng.random((p, k)) < rate
    if spare <= 0 or not mask.any():
        return pop.copy()
    need = mask.sum(axis=1)
    over = need > spare
    if over.any():  # never more swaps than spare artists
        for i in np.flatnonzero(over):
            mask[i, np.flatnonzero(mask[i])[spare:]] = False
        need = mask.sum(axis=1)
    keys = weighted_keys(rng, weights + 1e-9, p)
    keys[np.arange(p)[:, None], pop] = -np.inf
    m = int(need.max())
    cand = top_per_row(keys, m)
    # sort candidates by key so that the first ones are the weighted draws
    ck = np.take_along_axis(keys, cand, axis=1)
    cand = np.take_along_axis(cand, np.argsort(-ck, axis=1, kind="stable"), axis=1)
    slot = np.cumsum(mask, axis=1) - 1
    out = pop.copy()
    rows, cols = np.nonzero(mask)
    out[rows, cols] = cand[rows, slot[rows, cols]]
    return out


def repair_cap(pop: np.ndarray, dominant: np.ndarray, rel: np.ndarray, cap: int | None) -> np.ndarray:
    """At most ``cap`` artists per dominant tag in every list: the least relevant artists of
    an over-full tag are swapped for the most relevant pool artists whose tag has room
    (untagged artists always have room). Lists that cannot be repaired (pool too small)
    keep as many capped swaps as possible."""
    if cap is None or cap <= 0 or pop.size == 0:
        return pop
    out = pop.copy()
    by_rel = np.lexsort((np.arange(len(rel)), -rel))
    for i in range(out.shape[0]):
        row = out[i]
        tags = dominant[row]
        tagged = tags[tags >= 0]
        if len(tagged) == 0 or np.bincount(tagged).max() <= cap:
            continue
        counts: dict[int, int] = {}
        for t in tags[tags >= 0]:
            counts[int(t)] = counts.get(int(t), 0) + 1
        members = set(int(x) for x in row)
        fillers = (int(j) for j in by_rel if int(j) not in members)
        # slots to free: the least relevant beyond the cap, per over-full tag
        order = sorted(range(len(row)), key=lambda s: (-rel[row[s]], s))
        seen: dict[int, int] = {}
        free = []
        for s in order:
            t = int(tags[s])
            if t < 0:
                continue
            seen[t] = seen.get(t, 0) + 1
            if seen[t] > cap:
                free.append(s)
        for s in free:
            t = int(tags[s])
            for j in fillers:
                tj = int(dominant[j])
                if tj < 0 or counts.get(tj, 0) < cap:
                    counts[t] -= 1
                    if tj >= 0:
                        counts[tj] = counts.get(tj, 0) + 1
                    row[s] = j
                    break
            else:
                break
    return out


def dedupe_rows(pop: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct list (as a set)."""
    key = np.ascontiguousarray(np.sort(pop, axis=1))
    seen: set[bytes] = set()
    first = []
    for i, row in enumerate(key):
        b = row.tobytes()
        if b not in seen:
            seen.add(b)
            first.append(i)
    return np.asarray(first, dtype=np.int64)
