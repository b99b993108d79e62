"""GA operators, objectives, selection and choice on synthetic pools (no dataset needed)."""

from __future__ import annotations

import numpy as np
import pytest

from tunerec.recommenders.ga import operators as ops
from tunerec.recommenders.ga.choose import choose, order_list
from tunerec.recommenders.ga.mmr import linear_list, mmr_list
from tunerec.recommenders.ga.nsga import GAConfig, crowding, evolve, nondominated, nondominated_ranks
from tunerec.recommenders.ga.objectives import PoolArrays, evaluate


def synthetic_pool(n: int = 60, k: int = 10, seed: int = 0, n_tags: int = 5, cover: bool = False) -> PoolArrays:
    rng = np.random.default_rng(seed)
    profiles = rng.random((n, 8)) ** 3
    profiles[rng.random(n) < 0.2] = 0.0  # some untagged artists
    norms = np.linalg.norm(profiles, axis=1)
    tagged = norms > 0
    profiles[tagged] /= norms[tagged, None]
    rel = np.sort(rng.random(n))[::-1]
    discount = 1.0 / np.log2(np.arange(k) + 2.0)
    return PoolArrays(
        k=k,
        rel=rel,
        novelty=rng.random(n) * 10,
        sim=(profiles @ profiles.T).astype(np.float32),
        tagged=tagged,
        dominant=np.where(tagged, rng.integers(0, n_tags, n), -1),
        cover=rng.random((n, 2)) if cover else None,
        discount=discount,
        best_rel=float(rel[:k] @ discount),
    )


def assert_valid(pop: np.ndarray, n: int, k: int) -> None:
    assert pop.shape[1] == k
    assert pop.min() >= 0 and pop.max() < n
    for row in pop:
        assert len(set(row.tolist())) == k, f"duplicate artist in {row}"


@pytest.mark.parametrize("seed", range(40))
def test_operators_never_duplicate(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(21, 80))
    k = 20
    a = ops.random_lists(rng, n, k, 16)
    b = ops.random_lists(rng, n, k, 16, weights=rng.random(n))
    assert_valid(a, n, k)
    assert_valid(b, n, k)
    c1, c2 = ops.crossover(rng, a, b)
    assert_valid(c1, n, k)
    assert_valid(c2, n, k)
    for child, pa_, pb_ in zip(c1, a, b):
        shared = set(pa_.tolist()) & set(pb_.tolist())
        assert shared <= set(child.tolist()), "crossover must keep what both parents share"
        assert set(child.tolist()) <= set(pa_.tolist()) | set(pb_.tolist()), "crossover fills from the union"
    m = ops.mutate(rng, c1, n, rate=float(rng.random()), weights=rng.random(n))
    assert_valid(m, n, k)


def test_mutation_rate_zero_and_one() -> None:
    rng = np.random.default_rng(1)
    pop = ops.random_lists(rng, 50, 10, 8)
    assert np.array_equal(ops.mutate(rng, pop, 50, 0.0, np.ones(50)), pop)
    swapped = ops.mutate(rng, pop, 50, 1.0, np.ones(50))
    assert_valid(swapped, 50, 10)
    for old, new in zip(pop, swapped):
        assert not set(old.tolist()) & set(new.tolist()), "rate 1 replaces every artist"


def test_mutation_prefers_weighted_artists() -> None:
    rng = np.random.default_rng(2)
    n = 200
    w = np.zeros(n)
    w[:20] = 1.0  # only the first 20 pool artists carry weight
    pop = np.tile(np.arange(100, 110), (200, 1))
    out = ops.mutate(rng, pop, n, 0.5, w)
    new = out[out < 100]
    assert len(new) > 0 and (new < 20).mean() > 0.95


def test_mutation_with_no_spare_artists_keeps_lists() -> None:
    rng = np.random.default_rng(3)
    pop = np.tile(np.arange(10), (4, 1))
    assert np.array_equal(ops.mutate(rng, pop, 10, 1.0, np.ones(10)), pop)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("cap", [1, 2, 3])
def test_repair_cap_holds(seed: int, cap: int) -> None:
    pa = synthetic_pool(n=80, k=10, seed=seed, n_tags=4)
    rng = np.random.default_rng(seed)
    pop = ops.random_lists(rng, pa.n, pa.k, 12)
    fixed = ops.repair_cap(pop, pa.dominant, pa.rel, cap)
    assert_valid(fixed, pa.n, pa.k)
    for row in fixed:
        tags = pa.dominant[row]
        tags = tags[tags >= 0]
        # 4 tags × cap plus the untagged artists of the pool are enough to fill 10 slots
        assert len(tags) == 0 or np.bincount(tags).max() <= cap


def test_repair_cap_keeps_valid_lists_untouched() -> None:
    pa = synthetic_pool(n=40, k=5, seed=4, n_tags=40)
    pa.dominant = np.arange(40)  # every artist its own tag: nothing to repair
    pop = ops.random_lists(np.random.default_rng(0), 40, 5, 6)
    assert np.array_equal(ops.repair_cap(pop, pa.dominant, pa.rel, 1), pop)


def test_objectives_match_definitions() -> None:
    pa = synthetic_pool(n=30, k=5, seed=5, cover=True)
    pop = np.array([[0, 1, 2, 3, 4], [25, 3, 7, 11, 2]])
    f = evaluate(pa, pop)
    assert f.shape == (2, 4)
    assert f[0, 0] == pytest.approx(1.0)  # the relevance top list
    assert f[1, 0] < 1.0
    row = pop[1]
    assert f[1, 1] == pytest.approx(pa.novelty[row].mean())
    t = row[pa.tagged[row]]
    pairs = [(i, j) for i in t for j in t if i != j]
    expected = np.mean([1 - pa.sim[i, j] for i, j in pairs]) if pairs else 0.0
    assert f[1, 2] == pytest.approx(expected, rel=1e-5)
    quota = max(1.0, 5 / 4)
    assert f[1, 3] == pytest.approx(np.minimum(pa.cover[row].sum(axis=0) / quota, 1).mean())


def test_nondominated_ranks_and_crowding() -> None:
    f = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.4, 0.4], [0.1, 0.1]])
    rank = nondominated_ranks(f)
    assert rank.tolist() == [0, 0, 0, 1, 2]
    d = crowding(f, rank)
    assert np.isinf(d[0]) and np.isinf(d[1]) and np.isfinite(d[2])


def test_evolve_front_is_never_dominated_by_a_seed() -> None:
    pa = synthetic_pool(n=60, k=10, seed=6)
    seeds = np.stack([np.arange(10), mmr_list(pa, 0.5), mmr_list(pa, 0.2)])
    evo = evolve(pa, seeds, np.random.default_rng(0), GAConfig(pop_size=30, max_generations=20))
    assert evo.generations == 20
    assert_valid(evo.population, pa.n, pa.k)
    front = evo.objectives[evo.front]
    assert front[:, 0].max() == pytest.approx(1.0)  # the relevance top list survives (elitism)
    for s in evaluate(pa, seeds):
        assert not any((s >= f).all() and (s > f).any() for f in front)


def test_archive_keeps_every_non_dominated_list_the_population_drops() -> None:
    pa = synthetic_pool(n=80, k=10, seed=11)
    rng = np.random.default_rng(3)
    seeds = np.stack([np.arange(10)] + [mmr_list(pa, lam) for lam in np.linspace(0.0, 0.9, 10)] + list(ops.random_lists(rng, 80, 10, 5)))
    evo = evolve(pa, seeds, np.random.default_rng(0), GAConfig(pop_size=len(seeds), max_generations=15))
    assert_valid(evo.archive, pa.n, pa.k)
    a = evo.archive_objectives
    assert np.allclose(a, evaluate(pa, evo.archive))
    assert nondominated(a).all() and len(evo.archive) > evo.front.size  # more than the small population holds
    # every list ever in the population is weakly dominated by an archived one: nothing is lost
    for f in np.concatenate([evaluate(pa, seeds), evo.objectives]):
        assert (a >= f - 1e-12).all(axis=1).any()


def test_evolve_respects_tag_cap() -> None:
    pa = synthetic_pool(n=60, k=10, seed=6, n_tags=4)
    evo = evolve(pa, np.arange(10)[None, :], np.random.default_rng(0), GAConfig(pop_size=30, max_generations=15, tag_cap=3))
    assert_valid(evo.population, pa.n, pa.k)
    for row in evo.population:
        tags = pa.dominant[row]
        tags = tags[tags >= 0]
        assert len(tags) == 0 or np.bincount(tags).max() <= 3


def test_evolve_is_deterministic_per_seed() -> None:
    pa = synthetic_pool(n=50, k=8, seed=7)
    seeds = np.arange(8)[None, :]
    runs = [evolve(pa, seeds, np.random.default_rng(s), GAConfig(pop_size=20, max_generations=10)) for s in (1, 1, 2)]
    assert np.array_equal(runs[0].population, runs[1].population)
    assert not np.array_equal(runs[0].population, runs[2].population)


def test_evolve_stops_at_deadline() -> None:
    pa = synthetic_pool(n=200, k=20, seed=8)
    evo = evolve(pa, np.arange(20)[None, :], np.random.default_rng(0), GAConfig(max_generations=10_000), deadline=0.05)
    assert evo.stopped_by_deadline
    assert evo.generations < 10_000
    assert evo.elapsed < 0.05 + 0.05


def test_evolve_small_pool_returns_whole_pool() -> None:
    pa = synthetic_pool(n=6, k=6, seed=9)
    evo = evolve(pa, np.arange(6)[None, :], np.random.default_rng(0))
    assert evo.generations == 0
    assert sorted(evo.population[0].tolist()) == list(range(6))


def test_choose_extremes() -> None:
    # relevance falls as novelty and diversity rise
    f = np.array([[1.0, 2.0, 0.5], [0.9, 4.0, 0.6], [0.7, 6.0, 0.8], [0.3, 9.0, 0.9]])
    for method in ("sum", "tchebycheff", "floor"):
        assert choose(f, 0.0, method) == 0
        assert f[choose(f, 1.0, method), 1] >= f[choose(f, 0.0, method), 1]
        assert f[choose(f, 0.5, method), 0] >= f[choose(f, 1.0, method), 0]
    # floor: d = 0.5 keeps at least 1 - 0.5 * 0.5**1.5 (82%) of the top relevance, and takes
    # the most novel list above that floor; d = 1 may go down to 50%
    assert choose(f, 0.5, "floor") == 1
    assert choose(f, 1.0, "floor") == 2
    # with session tags (4th column) coverage counts even at d = 0, within a 20% slack
    ft = np.c_[f, [0.0, 1.0, 1.0, 1.0]]
    assert choose(ft, 0.0, "floor") == 1
    with pytest.raises(ValueError, match="unknown choice method"):
        choose(f, 0.5, "nope")


def test_linear_list_trades_relevance_for_novelty_and_distance() -> None:
    pa = synthetic_pool(n=80, k=10, seed=4)
    pa.tagged[:] = True  # (untagged artists get no credit for variety; ILD leaves them out)
    top = linear_list(pa, 0.0, 0.0)
    assert top.tolist() == list(range(10))  # relevance order (the pool is sorted by relevance)
    f_top = evaluate(pa, top[None, :])[0]
    for wn, wd in ((0.5, 0.0), (0.0, 1.0), (0.5, 1.0)):
        row = linear_list(pa, wn, wd)
        assert len(set(row.tolist())) == 10
        f = evaluate(pa, row[None, :])[0]
        assert f[0] <= f_top[0]
        if wn:
            assert f[1] > f_top[1] or (wd and f[2] > f_top[2])
        else:
            assert f[2] > f_top[2]
    raw = linear_list(pa, 0.05, 0.0, raw_novelty=True)  # weight per bit instead of per pool range
    assert evaluate(pa, raw[None, :])[0, 1] >= f_top[1]


def test_order_list_separates_similar_artists() -> None:
    rel = np.array([0.9, 0.8, 0.7, 0.6])
    sim = np.eye(4)
    sim[0, 1] = sim[1, 0] = 0.9  # the two most relevant are near duplicates
    order = order_list(rel, sim, np.ones(4, dtype=bool))
    assert order[0] == 0 and order[1] != 1
    assert sorted(order.tolist()) == [0, 1, 2, 3]
    # untagged or dissimilar lists keep the relevance order
    assert order_list(rel, np.eye(4), np.ones(4, dtype=bool)).tolist() == [0, 1, 2, 3]


def test_order_list_never_buries_a_relevant_artist() -> None:
    """When every artist is alike (an all-pop list), the order stays close to relevance."""
    n = 12
    rel = np.linspace(1.0, 0.1, n)
    sim = np.full((n, n), 0.9)
    sim[-1, :] = sim[:, -1] = 0.0  # one odd artist, the least relevant
    order = order_list(rel, sim, np.ones(n, dtype=bool), window=3)
    assert sorted(order.tolist()) == list(range(n))
    assert all(abs(pos - int(i)) <= 3 for pos, i in enumerate(order))
    assert order_list(rel, sim, np.ones(n, dtype=bool), window=n).tolist()[1] == n - 1  # unbounded: the odd one jumps up


@pytest.mark.parametrize("seed", range(6))
def test_polish_only_improves_the_price_value_and_keeps_lists_valid(seed: int) -> None:
    from dataclasses import replace

    from tunerec.recommenders.ga.choose import price_value
    from tunerec.recommenders.ga.polish import polish

    pa = synthetic_pool(n=80, k=12, seed=seed)
    pa = replace(pa, discount=np.ones(12), best_rel=float(pa.rel[:12].sum()), hits=1.5)  # calibrated: flat relevance
    rng = np.random.default_rng(seed)
    start = rng.choice(80, 12, replace=False)
    for d in (0.0, 0.5, 1.0):
        out = polish(pa, start, d, novelty_share=0.6)
        assert len(set(out.tolist())) == 12 and out.min() >= 0 and out.max() < 80
        before, after = (price_value(evaluate(pa, r[None]), d, 1.5, 0.6)[0] for r in (start, out))
        assert after >= before
        if d == 0.0:  # the value is relevance alone: the swaps reach the relevance top-12
            assert sorted(out.tolist()) == list(range(12))
    assert (polish(pa, start, 0.5, 0.6, max_swaps=0) == start).all()
    assert (polish(replace(pa, hits=None), start, 0.5, 0.6) == start).all()  # not calibrated: untouched
