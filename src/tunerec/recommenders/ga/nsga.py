"""The NSGA-II loop: DEAP's ``selNSGA2`` for survival, numpy for everything else.

Each generation: binary tournaments on (front rank, crowding distance), set-aware
crossover and mutation, the optional per-tag repair, one vectorised evaluation of all
offspring, duplicates dropped, then ``selNSGA2`` keeps ``pop_size`` of parents ∪ offspring.
The loop stops at the generation cap, or before a generation would overrun the deadline.

Beside the population, an archive keeps every non-dominated list seen (thinned by crowding
beyond :data:`ARCHIVE_SIZE`): the population's first front often outgrows ``pop_size``, and
``selNSGA2``'s crowding cut then drops non-dominated lists — among them the greedy seed lists.
The archive is the run's final front.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from deap import base, creator, tools

from tunerec.recommenders.ga import operators as ops
from tunerec.recommenders.ga.objectives import PoolArrays, evaluate

# DEAP creator classes, created once at import (one per number of objectives).
for _m in (3, 4):
    if not hasattr(creator, f"TunerecFitness{_m}"):
        creator.create(f"TunerecFitness{_m}", base.Fitness, weights=(1.0,) * _m)
    if not hasattr(creator, f"TunerecList{_m}"):
        creator.create(f"TunerecList{_m}", list, fitness=getattr(creator, f"TunerecFitness{_m}"))


#: DEAP's non-dominated sort for ``selNSGA2`` ("standard" or "log").
ND = "log"
#: Most lists the archive of non-dominated lists keeps.
ARCHIVE_SIZE = 150


@dataclass(frozen=True)
class GAConfig:
    """Evolution settings (defaults measured on a validation split of train users)."""

    pop_size: int = 60
    max_generations: int = 40
    crossover_rate: float = 0.9
    mutation_rate: float = 0.1  # per artist
    random_share: float = 0.5  # share of the initial population that is random lists
    tag_cap: int | None = None  # at most this many artists per dominant tag


@dataclass
class Evolution:
    """The final population, its first front, and how the run ended."""

    population: np.ndarray  # (P, K) pool indices
    objectives: np.ndarray  # (P, M)
    front: np.ndarray  # row indices of the non-dominated lists
    generations: int
    elapsed: float
    stopped_by_deadline: bool
    initial_front: np.ndarray  # (F0, M) objectives of the first front of the initial population
    archive: np.ndarray  # (A, K) every non-dominated list seen (the final front)
    archive_objectives: np.ndarray  # (A, M)


def dominance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``out[i, j]``: row i of ``a`` dominates row j of ``b`` (maximisation)."""
    return (a[:, None, :] >= b[None, :, :]).all(axis=2) & (a[:, None, :] > b[None, :, :]).any(axis=2)


def nondominated_ranks(f: np.ndarray) -> np.ndarray:
    """Front number (0 = non-dominated) of each row of ``f`` (maximisation)."""
    n = len(f)
    dom = dominance(f, f)
    count = dom.sum(axis=0)
    rank = np.full(n, -1, dtype=np.int64)
    current = np.flatnonzero(count == 0)
    r = 0
    while len(current):
        rank[current] = r
        count = count - dom[current].sum(axis=0)
        count[rank >= 0] = -1
        current = np.flatnonzero(count == 0)
        r += 1
    return rank


def nondominated(f: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``f`` no other row dominates (maximisation)."""
    return ~dominance(f, f).any(axis=0)


def update_archive(lists: np.ndarray, f: np.ndarray, new: np.ndarray, fn: np.ndarray, size: int = ARCHIVE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """The archive (mutually non-dominated ``lists`` with objectives ``f``) after offering it
    ``new``: newcomers no member weakly dominates (so no duplicate either) join, members they
    dominate leave; past ``size`` the most crowded lists go (NSGA-II crowding distance)."""
    if len(f):
        covered = (fn[:, None, :] <= f[None, :, :]).all(axis=2).any(axis=1)
        new, fn = new[~covered], fn[~covered]
    if not len(fn):
        return lists, f
    _, first = np.unique(fn, axis=0, return_index=True)  # one list per objective vector
    keep = np.zeros(len(fn), dtype=bool)
    keep[first] = True
    keep &= nondominated(fn)
    new, fn = new[keep], fn[keep]
    if len(f):
        beaten = dominance(fn, f).any(axis=0)
        lists, f = lists[~beaten], f[~beaten]
    lists, f = np.concatenate([lists, new]), np.concatenate([f, fn])
    if len(f) > size:
        spread = crowding(f, np.zeros(len(f), dtype=np.int64))
        kept = np.sort(np.argsort(-spread, kind="stable")[:size])
        lists, f = lists[kept], f[kept]
    return lists, f


def crowding(f: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance within each front."""
    d = np.zeros(len(f))
    for r in np.unique(rank):
        idx = np.flatnonzero(rank == r)
        if len(idx) <= 2:
            d[idx] = np.inf
            continue
        for m in range(f.shape[1]):
            o = idx[np.argsort(f[idx, m], kind="stable")]
            span = f[o[-1], m] - f[o[0], m]
            d[o[0]] = d[o[-1]] = np.inf
            if span > 0:
                d[o[1:-1]] += (f[o[2:], m] - f[o[:-2], m]) / span
    return d


def tournament(rng: np.random.Generator, rank: np.ndarray, crowd: np.ndarray, n: int) -> np.ndarray:
    """Indices of n binary-tournament winners (lower rank, then larger crowding)."""
    a = rng.integers(0, len(rank), n)
    b = rng.integers(0, len(rank), n)
    a_wins = (rank[a] < rank[b]) | ((rank[a] == rank[b]) & (crowd[a] >= crowd[b]))
    return np.where(a_wins, a, b)


def deap_individuals(f: np.ndarray) -> list:
    """DEAP individuals (creator classes made at import) carrying the rows' objective values."""
    cls = getattr(creator, f"TunerecList{f.shape[1]}")
    out = []
    for row in f:
        ind = cls([0])
        ind.fitness.values = tuple(float(v) for v in row)
        out.append(ind)
    return out


def select_nsga2(inds: list, mu: int) -> np.ndarray:
    """Positions in ``inds`` of the individuals DEAP's ``selNSGA2`` keeps (log-time sort)."""
    if len(inds) <= mu:
        return np.arange(len(inds))
    for i, ind in enumerate(inds):
        ind[0] = i
    chosen = tools.selNSGA2(inds, mu, nd=ND)
    return np.sort(np.fromiter((ind[0] for ind in chosen), dtype=np.int64, count=len(chosen)))


def evolve(
    pa: PoolArrays,
    seeds: np.ndarray,
    rng: np.random.Generator,
    config: GAConfig = GAConfig(),
    deadline: float | None = None,
    start: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Evolution:
    """Run NSGA-II on the pool; ``seeds`` are lists put in the initial population as they are.

    ``deadline`` (seconds since ``start``, default now) bounds the wall time: a generation
    is only started when the previous one's duration still fits. ``should_stop`` is
    asked before each generation (e.g. the app cancels a run whose session changed).
    """
    t0 = time.perf_counter() if start is None else start
    n, k = pa.n, pa.k
    weights = pa.rel + 0.05
    pop_size = config.pop_size
    seeds = seeds.reshape(-1, k)[:pop_size] if k else np.zeros((0, 0), dtype=np.int64)
    n_random = pop_size - len(seeds)
    n_uniform = int(round(n_random * config.random_share))
    parts = [seeds]
    if n_random > 0 and k:
        parts.append(ops.random_lists(rng, n, k, n_uniform))
        parts.append(ops.random_lists(rng, n, k, n_random - n_uniform, weights=weights))
    pop = np.concatenate(parts).astype(np.int64) if k else np.zeros((1, 0), dtype=np.int64)
    pop = ops.repair_cap(pop, pa.dominant, pa.rel, config.tag_cap)
    pop = pop[ops.dedupe_rows(pop)] if k else pop[:1]
    f = evaluate(pa, pop)
    inds = deap_individuals(f)
    rank = nondominated_ranks(f)
    initial_front = f[rank == 0].copy()
    archive, archive_f = update_archive(pop[:0], f[:0], pop[rank == 0], initial_front)
    gen = 0
    stopped = False
    last = 0.0
    can_evolve = k > 0 and n > k
    while can_evolve and gen < config.max_generations:
        g0 = time.perf_counter()
        if deadline is not None and (g0 - t0) + last > deadline:
            stopped = True
            break
        if should_stop is not None and should_stop():
            break
        crowd = crowding(f, rank)
        n_pairs = (pop_size + 1) // 2
        pa_idx = tournament(rng, rank, crowd, n_pairs)
        pb_idx = tournament(rng, rank, crowd, n_pairs)
        a, b = pop[pa_idx], pop[pb_idx]
        do_cx = rng.random(n_pairs) < config.crossover_rate
        c1, c2 = ops.crossover(rng, a, b)
        c1 = np.where(do_cx[:, None], c1, a)
        c2 = np.where(do_cx[:, None], c2, b)
        kids = np.concatenate([c1, c2])
        kids = ops.mutate(rng, kids, n, config.mutation_rate, weights)
        kids = ops.repair_cap(kids, pa.dominant, pa.rel, config.tag_cap)
        fk = evaluate(pa, kids)
        both = np.concatenate([pop, kids])
        keep = ops.dedupe_rows(both)
        all_inds = inds + deap_individuals(fk)
        both, fb, both_inds = both[keep], np.concatenate([f, fk])[keep], [all_inds[i] for i in keep]
        sel = select_nsga2(both_inds, pop_size)
        pop, f, inds = both[sel], fb[sel], [both_inds[i] for i in sel]
        rank = nondominated_ranks(f)
        archive, archive_f = update_archive(archive, archive_f, kids, fk)
        gen += 1
        last = time.perf_counter() - g0
    return Evolution(
        population=pop,
        objectives=f,
        front=np.flatnonzero(rank == 0),
        generations=gen,
        elapsed=time.perf_counter() - t0,
        stopped_by_deadline=stopped,
        initial_front=initial_front,
        archive=archive,
        archive_objectives=archive_f,
    )
