"""A greedy + local-search plan for a FacilityProblem, to hand HiGHS as a warm start.

Starting from the sites that must stay open, each step takes the single move (open one
site, or close one) that lowers the cost most, until none does: greedy adding first, then
local search by the same moves. A site set is priced with every point at its cheapest
open option or direct mail (uncapacitated, vectorised); the final plan is then filled in
cost order within capacities, the rest by direct mail, so it is feasible whenever direct
mail covers the remainder. Service targets, max_sites and budget are not considered:
HiGHS checks the start and ignores it when it breaks a constraint.
"""

from __future__ import annotations

import time

import numpy as np

from chuhai.network.solve import BoolArray, FacilityProblem, FacilitySolution, FloatArray


def _dense_costs(problem: FacilityProblem) -> tuple[FloatArray, FloatArray]:
    """(m, n) pair costs and (n,) direct costs, a large finite penalty for no route.

    The penalty (1,000 times any real cost) keeps sums finite, so an unserved point still
    weighs more than any site's fixed cost.
    """
    finite = np.concatenate(
        [problem.pair_cost, problem.direct_cost[np.isfinite(problem.direct_cost)]]
    )
    penalty = 1e3 * (
        float(finite.max(initial=0.0)) + float(problem.fixed_cost.max(initial=0.0)) + 1.0
    )
    costs = np.full((problem.n_sites, problem.n_points), penalty)
    costs[problem.pair_site, problem.pair_point] = problem.pair_cost
    direct = np.where(np.isfinite(problem.direct_cost), problem.direct_cost, penalty)
    return costs, direct


def greedy_local_search(problem: FacilityProblem, max_moves: int = 1000) -> BoolArray:
    """The open sites of a good plan (see the module's note for what it ignores).

    Every step takes the best single move, opening or closing one site, priced exactly for
    all sites at once from each point's best and second-best open option; it stops when no
    move lowers the cost. Dense (m x n) arrays: meant for up to a few million pairs.
    """
    costs, direct = _dense_costs(problem)
    fixed = problem.fixed_cost - problem.closing()
    must = (
        problem.must_open.copy()
        if problem.must_open is not None
        else np.zeros(problem.n_sites, dtype=bool)
    )
    opened = must.copy()
    for _ in range(max_moves):
        # options per point: open sites' rows, then direct mail as the last row
        options = np.vstack([np.where(opened[:, None], costs, np.inf), direct[None, :]])
        order = np.argsort(options, axis=0)[:2]
        best = np.take_along_axis(options, order[:1], axis=0)[0]
        second = np.take_along_axis(options, order[1:2], axis=0)[0]
        opening = fixed + np.minimum(costs, best[None, :]).sum(axis=1) - best.sum()
        opening[opened] = np.inf
        closing = (
            -fixed
            + np.bincount(
                order[0],
                weights=np.where(np.isfinite(second), second - best, 0.0),
                minlength=problem.n_sites + 1,
            )[: problem.n_sites]
        )
        closing[~opened | must] = np.inf
        move = np.concatenate([opening, closing])
        i = int(np.argmin(move))
        if move[i] >= -1e-9:
            break
        site = i % problem.n_sites
        opened[site] = not opened[site]
    return opened


def capacitated_plan(problem: FacilityProblem, opened: BoolArray) -> FacilitySolution:
    """Fill open sites pair by pair in cost-per-unit order within capacity; the rest direct."""
    started = time.perf_counter()
    remaining = problem.capacity.copy()
    left = np.ones(problem.n_points)
    share = np.zeros(problem.n_pairs)
    usable = np.flatnonzero(opened[problem.pair_site])
    direct = np.where(np.isfinite(problem.direct_cost), problem.direct_cost, np.inf)
    saving = problem.pair_cost[usable] - direct[problem.pair_point[usable]]
    for p in usable[np.argsort(saving, kind="stable")]:
        j, i = problem.pair_point[p], problem.pair_site[p]
        if left[j] <= 0 or problem.pair_cost[p] >= direct[j]:
            continue
        load = problem.load[j]
        fits = np.min(np.where(load > 0, remaining[i] / np.maximum(load, 1e-300), np.inf))
        # single sourcing takes a point whole or not at all
        amount = float(fits >= 1.0) if problem.single_sourcing else min(left[j], fits)
        if amount <= 0:
            continue
        share[p] = amount
        left[j] -= amount
        remaining[i] -= amount * load
    direct_share = np.where(np.isfinite(problem.direct_cost), left, 0.0)
    objective = (
        float((problem.fixed_cost - problem.closing())[opened].sum())
        + float(problem.closing().sum())
        + float(problem.pair_cost @ share)
        + float(np.where(np.isfinite(direct), direct, 0.0) @ direct_share)
    )
    return FacilitySolution(
        status="heuristic",
        proven_optimal=False,
        objective=objective,
        bound=-np.inf,
        gap=None,
        seconds=time.perf_counter() - started,
        open_sites=opened,
        pair_share=share,
        direct_share=direct_share,
    )
