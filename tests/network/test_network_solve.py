"""The warehouse-network MILP on instances small enough to check by hand or by enumeration."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal

import numpy as np
import pytest

from chuhai.network.design import DIRECT_MAIL, plan_network
from chuhai.network.heuristics import capacitated_plan, greedy_local_search
from chuhai.network.model import (
    CandidateSite,
    CostTables,
    DemandPoint,
    DirectMailRate,
    LastMileBand,
    LineHaulRate,
    Scenario,
    ServiceTarget,
    build_problem,
)
from chuhai.network.solve import FacilityProblem, SolveOptions, solve_facility_problem

# Three points on the equator: P1 beside site A, P2 beside site B, P3 halfway (278 km from
# both). Within 100 km a parcel costs 100 fen and takes 1 day, within 1,000 km 300 fen and
# 3 days; direct mail costs 1,000 fen and takes 10 days. 100 units each.
COSTS = CostTables(
    last_mile={"XX": (LastMileBand(100, 100, 1), LastMileBand(1000, 300, 3))},
    direct_mail={"XX": DirectMailRate(0, 1000, 10)},
    line_haul={("sea", "XX"): LineHaulRate("sea", "XX", 0, 20)},
)
POINTS = tuple(
    DemandPoint(name, "M", "XX", 0.0, lon, 100, Decimal(1), Decimal(0))
    for name, lon in (("P1", 0.1), ("P2", 4.9), ("P3", 2.5))
)


def site(id_: str, lon: float, fixed: int, capacity: int = 1000, **more: object) -> CandidateSite:
    return CandidateSite(id_, "XX", 0.0, lon, fixed, capacity, Decimal(100), 0, **more)  # type: ignore[arg-type]


def tiny(**changes: object) -> Scenario:
    base = Scenario("tiny", POINTS, (site("A", 0.0, 50_000), site("B", 5.0, 30_000)), COSTS)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def cheapest_by_enumeration(scenario: Scenario) -> int:
    """Every set of open sites, each point from its cheapest open option (uncapacitated)."""
    per_unit = {  # (site, point) -> last-mile fen per unit, from the bands above
        ("A", "P1"): 100, ("A", "P2"): 300, ("A", "P3"): 300,
        ("B", "P1"): 300, ("B", "P2"): 100, ("B", "P3"): 300,
    }  # fmt: skip
    best = None
    for k in range(len(scenario.sites) + 1):
        for opened in itertools.combinations(scenario.sites, k):
            cost = sum(s.fixed_cost_fen for s in opened)
            for p in scenario.points:
                options = [per_unit[(s.id, p.id)] for s in opened] + [1000]
                cost += p.units_per_year * min(options)
            best = cost if best is None else min(best, cost)
    assert best is not None
    return best


def test_the_tiny_network_opens_b_alone_as_enumeration_says():
    # {} 300,000; {A} 50,000 + 70,000; {B} 30,000 + 70,000; {A, B} 80,000 + 50,000
    plan = plan_network(tiny())
    assert cheapest_by_enumeration(tiny()) == 100_000
    assert plan.status == "optimal" and plan.proven_optimal
    assert plan.objective_fen == 100_000 and plan.bound_fen == 100_000 and plan.gap == 0.0
    assert [s.id for s in plan.sites if s.open] == ["B"]
    assert plan.costs is not None
    assert (plan.costs.fixed, plan.costs.last_mile, plan.costs.direct_mail) == (30_000, 70_000, 0)
    assert plan.costs.total == 100_000
    assert plan.assignments["P1"] == (("B", 1.0),)


def test_a_capacity_changes_the_optimum():
    # B may ship 200 units: {B} 30,000 + 40,000 + 100,000 direct; {A} 120,000 wins
    plan = plan_network(tiny(sites=(site("A", 0.0, 50_000), site("B", 5.0, 30_000, 200))))
    assert [s.id for s in plan.sites if s.open] == ["A"]
    assert plan.objective_fen == 120_000


def test_multi_sourcing_splits_a_point_single_sourcing_does_not():
    # A alone, 150 units of capacity, two points of 100 units next to it, fixed cost 1,000
    points = (POINTS[0], dataclasses.replace(POINTS[0], id="P1b"))
    sites = (site("A", 0.0, 1_000, 150),)
    multi = plan_network(Scenario("multi", points, sites, COSTS))
    single = plan_network(Scenario("single", points, sites, COSTS, single_sourcing=True))
    # multi: 150 units x 100 + 50 units x 1,000 direct; single: 100 x 100 + 100 x 1,000
    assert multi.objective_fen == 1_000 + 15_000 + 50_000
    assert single.objective_fen == 1_000 + 10_000 + 100_000
    assert all(len(served) == 1 for served in single.assignments.values())


def test_an_existing_site_closed_pays_its_closing_cost():
    sites = (site("A", 0.0, 50_000, existing=True, closing_cost_fen=10_000), site("B", 5.0, 30_000))
    plan = plan_network(tiny(sites=sites))
    assert [s.id for s in plan.sites if s.open] == ["B"]
    assert plan.costs is not None and plan.costs.closing == 10_000
    assert plan.objective_fen == 110_000


def test_an_existing_site_kept_stays_open_whatever_it_costs():
    sites = (site("A", 0.0, 50_000, existing=True, keep=True), site("B", 5.0, 30_000))
    plan = plan_network(tiny(sites=sites))
    assert [s.id for s in plan.sites if s.open] == ["A"]
    assert plan.objective_fen == 120_000


@pytest.mark.parametrize(
    "changes", [{"max_sites": 0}, {"budget_fen": 25_000}], ids=["no-sites", "small-budget"]
)
def test_max_sites_and_budget_limit_the_network(changes):
    plan = plan_network(tiny(**changes))
    assert [s.id for s in plan.sites if s.open] == []
    assert plan.objective_fen == 300_000
    assert plan.assignments["P3"] == ((DIRECT_MAIL, 1.0),)


def test_a_service_level_that_can_be_met_changes_the_network():
    # two thirds within 1 day needs both sites: P1 from A and P2 from B
    plan = plan_network(tiny(service=(ServiceTarget("M", Decimal("0.66"), 1),)))
    assert [s.id for s in plan.sites if s.open] == ["A", "B"]
    assert plan.objective_fen == 130_000
    assert plan.service[0].achieved_share == pytest.approx(2 / 3, abs=1e-6)
    assert plan.service[0].met


def test_an_unreachable_service_level_reports_the_best_and_the_delivery_days():
    plan = plan_network(tiny(service=(ServiceTarget("M", Decimal(1), 1),)))
    assert plan.status == "service_unreachable" and not plan.proven_optimal
    [short] = plan.shortfalls
    assert short.market == "M" and short.best_achievable_share == pytest.approx(2 / 3, abs=1e-6)
    assert short.binding == ("delivery_days",)  # P3 is 278 km from any site: 3 days
    assert plan.objective_fen == 130_000  # the cheapest plan at the best share


def test_an_unreachable_service_level_names_max_sites_when_that_holds_it_back():
    plan = plan_network(tiny(service=(ServiceTarget("M", Decimal("0.6"), 1),), max_sites=1))
    [short] = plan.shortfalls
    assert short.best_achievable_share == pytest.approx(1 / 3, abs=1e-6)
    assert short.binding == ("max_sites",)


def hard_single_sourcing(m: int, n: int, seed: int) -> FacilityProblem:
    rng = np.random.default_rng(seed)
    sites, points = rng.random((m, 2)), rng.random((n, 2))
    distance = np.linalg.norm(sites[:, None] - points[None], axis=2)
    demand = rng.integers(5, 35, n).astype(float)
    site_index, point_index = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    return FacilityProblem(
        fixed_cost=rng.integers(300, 700, m).astype(float),
        capacity=np.full((m, 1), demand.sum() * 3 / m),
        load=demand[:, None],
        pair_site=site_index.ravel(),
        pair_point=point_index.ravel(),
        pair_cost=(distance * demand[None] * 10).ravel(),
        direct_cost=np.full(n, np.inf),
        single_sourcing=True,
    )


def test_a_solve_stopped_by_its_time_limit_returns_its_best_plan_marked_with_the_gap():
    solution = solve_facility_problem(
        hard_single_sourcing(30, 150, 7), SolveOptions(time_limit_s=1)
    )
    assert solution.status == "time_limit"
    assert not solution.proven_optimal
    assert solution.objective is not None and solution.gap is not None
    assert solution.gap > 1e-4
    assert solution.bound < solution.objective
    assert np.allclose(
        np.bincount(hard_single_sourcing(30, 150, 7).pair_point, weights=solution.pair_share), 1
    )


def test_a_warm_start_is_accepted_and_the_answer_stays_optimal():
    problem = FacilityProblem(
        fixed_cost=np.array([5.0, 5.0]),
        capacity=np.array([[10.0], [10.0]]),
        load=np.array([[4.0], [4.0]]),
        pair_site=np.array([0, 1, 0, 1]),
        pair_point=np.array([0, 0, 1, 1]),
        pair_cost=np.array([1.0, 3.0, 1.0, 3.0]),
        direct_cost=np.array([np.inf, np.inf]),
    )
    first = solve_facility_problem(problem)
    again = solve_facility_problem(problem, warm_start=first)
    assert first.objective == again.objective == 7.0
    assert again.open_sites.tolist() == [True, False]


def test_a_point_without_any_route_is_refused_by_the_kernel():
    problem = FacilityProblem(
        fixed_cost=np.array([1.0]),
        capacity=np.array([[1.0]]),
        load=np.array([[1.0], [1.0]]),
        pair_site=np.array([0]),
        pair_point=np.array([0]),
        pair_cost=np.array([1.0]),
        direct_cost=np.array([np.inf, np.inf]),
    )
    with pytest.raises(ValueError, match=r"\[1\]"):
        solve_facility_problem(problem)


def test_greedy_and_local_search_find_the_tiny_optimum():
    built = build_problem(tiny())
    opened = greedy_local_search(built.problem)
    assert opened.tolist() == [False, True]
    assert capacitated_plan(built.problem, opened).objective == 100_000


def test_the_heuristic_plan_keeps_within_capacity_and_mails_the_rest():
    # B ships 200 units: P2 (100 fen) and P1 (300 fen) from B, P3 by direct mail
    built = build_problem(tiny(sites=(site("A", 0.0, 50_000), site("B", 5.0, 30_000, 200))))
    plan = capacitated_plan(built.problem, np.array([False, True]))
    assert plan.objective == 30_000 + 10_000 + 30_000 + 100_000
    assert plan.direct_share.tolist() == [0.0, 0.0, 1.0]
    served = np.bincount(built.problem.pair_point, plan.pair_share, minlength=3)
    assert (served + plan.direct_share).tolist() == [1.0, 1.0, 1.0]


def test_a_warm_started_plan_is_the_same_optimum():
    plan = plan_network(tiny(), SolveOptions(warm_start=True))
    assert plan.objective_fen == 100_000 and plan.proven_optimal
