"""Design a warehouse network for a scenario: solve, read the plan back in fen, explain.

`plan_network` builds the MILP from a `Scenario`, solves it with HiGHS and returns a
`NetworkPlan`: which sites open, who serves each demand point, the cost breakdown in
integer fen (rounded once, here), the service achieved per market, and the proven gap.
When the service targets cannot all be met it does not answer "infeasible": it solves,
per market, the relaxation that maximises that market's on-time share under the other
constraints and names the constraints that hold it back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chuhai.core.money import decimal_string
from chuhai.network.heuristics import capacitated_plan, greedy_local_search
from chuhai.network.model import BuiltProblem, Scenario, build_problem
from chuhai.network.solve import (
    FacilityProblem,
    FacilitySolution,
    SolveOptions,
    solve_facility_problem,
)

DIRECT_MAIL = "9610-direct-mail"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class CostBreakdown:
    """Yearly costs of a plan in CNY fen."""

    fixed: int
    closing: int
    line_haul: int
    handling: int
    last_mile: int
    direct_mail: int

    @property
    def total(self) -> int:
        return (
            self.fixed
            + self.closing
            + self.line_haul
            + self.handling
            + self.last_mile
            + self.direct_mail
        )


@dataclass(frozen=True)
class SitePlan:
    id: str
    open: bool
    existing: bool
    line_haul_mode: str
    line_haul_days: int
    units_per_year: int
    throughput_used: float  # share of capacity
    storage_used: float


@dataclass(frozen=True)
class MarketService:
    market: str
    target_share: float | None
    within_days: int | None
    achieved_share: float
    met: bool


@dataclass(frozen=True)
class ServiceShortfall:
    """A market whose target no network meets: the best share and what holds it back."""

    market: str
    target_share: float
    within_days: int
    best_achievable_share: float
    binding: tuple[str, ...]


@dataclass(frozen=True)
class NetworkPlan:
    scenario: str
    status: str  # optimal | time_limit | service_unreachable | no_solution
    proven_optimal: bool
    objective_fen: int | None
    bound_fen: int | None
    gap: float | None
    seconds: float
    sites: tuple[SitePlan, ...]
    assignments: dict[str, tuple[tuple[str, float], ...]]
    costs: CostBreakdown | None
    service: tuple[MarketService, ...]
    shortfalls: tuple[ServiceShortfall, ...] = ()
    # "optimal" means proven within this relative gap (the solve's mip_gap)
    requested_gap: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        body = dataclasses.asdict(self)
        body["costs"] = (
            None
            if self.costs is None
            else {
                **dataclasses.asdict(self.costs),
                "total": self.costs.total,
                "currency": "CNY",
                "unit": "fen per year",
            }
        )
        body["assignments"] = {
            point: [{"served_by": by, "share": share} for by, share in served]
            for point, served in self.assignments.items()
        }
        body["open_sites"] = [site.id for site in self.sites if site.open]
        return body

    def headline(self) -> str:
        proven = "proven optimal" if self.proven_optimal else f"NOT PROVEN ({self.status})"
        gap = "-" if self.gap is None else f"{self.gap:.4%}"
        return f"{self.scenario}: {proven}, gap {gap}, {self.seconds:.1f} s"

    def summary_rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for a table: costs in CNY, open sites, service per market."""
        rows = []
        if self.costs is not None:
            for name in ("fixed", "closing", "line_haul", "handling", "last_mile", "direct_mail"):
                fen = getattr(self.costs, name)
                rows.append((f"{name.replace('_', ' ')} (CNY/year)", decimal_string(fen, "CNY")))
            rows.append(("total (CNY/year)", decimal_string(self.costs.total, "CNY")))
        rows.append(("open sites", ", ".join(s.id for s in self.sites if s.open) or "none"))
        for market in self.service:
            target = "" if market.target_share is None else f" (target {market.target_share:.0%})"
            rows.append(
                (
                    f"{market.market} within {market.within_days} days",
                    f"{market.achieved_share:.1%}{target}",
                )
            )
        for short in self.shortfalls:
            rows.append(
                (
                    f"{short.market}: target unreachable",
                    f"best {short.best_achievable_share:.1%}; "
                    f"held back by {', '.join(short.binding)}",
                )
            )
        return rows


def plan_network(
    scenario: Scenario,
    options: SolveOptions | None = None,
    progress: Progress | None = None,
) -> NetworkPlan:
    """Solve the scenario; a service level no network meets gives its best instead.

    Raises:
        ValidationFailed: the scenario cannot be built (see `build_problem`).
    """
    options = options or SolveOptions()
    say = progress or (lambda _message: None)
    say("building the model")
    built = build_problem(scenario)
    say(
        f"solving {built.problem.n_sites} sites x {built.problem.n_points} demand points "
        f"({built.problem.n_pairs} pairs)"
    )
    start = None
    if options.warm_start:
        say("finding a warm start: greedy, then local search")
        start = capacitated_plan(built.problem, greedy_local_search(built.problem))
    solution = solve_facility_problem(built.problem, options, warm_start=start)
    if solution.status == "infeasible" and _has_targets(built.problem):
        say("the service targets cannot all be met: finding the best achievable per market")
        return _shortfall_plan(built, options, solution)
    return _read_plan(built, solution, options)


def _has_targets(problem: FacilityProblem) -> bool:
    return problem.service_share is not None and bool(np.isfinite(problem.service_share).any())


def _read_plan(
    built: BuiltProblem,
    solution: FacilitySolution,
    options: SolveOptions,
    status: str | None = None,
    shortfalls: tuple[ServiceShortfall, ...] = (),
) -> NetworkPlan:
    has_plan = solution.objective is not None
    return NetworkPlan(
        scenario=built.scenario.name,
        status=status or solution.status,
        proven_optimal=solution.proven_optimal and status is None,
        objective_fen=round(solution.objective) if solution.objective is not None else None,
        bound_fen=round(solution.bound) if np.isfinite(solution.bound) else None,
        gap=solution.gap,
        seconds=round(solution.seconds, 3),
        sites=_site_plans(built, solution),
        assignments=_assignments(built, solution) if has_plan else {},
        costs=_costs(built, solution) if has_plan else None,
        service=_service(built, solution) if has_plan else (),
        shortfalls=shortfalls,
        requested_gap=options.mip_gap,
    )


def _site_plans(built: BuiltProblem, solution: FacilitySolution) -> tuple[SitePlan, ...]:
    problem, pairs = built.problem, built.pairs
    load = problem.load[pairs.point] * solution.pair_share[:, None]
    used = np.zeros((problem.n_sites, problem.load.shape[1]))
    np.add.at(used, pairs.site, load)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(problem.capacity > 0, used / problem.capacity, 0.0)
    return tuple(
        SitePlan(
            id=site.id,
            open=bool(solution.open_sites[i]),
            existing=site.existing,
            line_haul_mode=built.line_haul[i].mode,
            line_haul_days=built.line_haul[i].days,
            units_per_year=round(float(used[i, 0])),
            throughput_used=round(float(share[i, 0]), 4),
            storage_used=round(float(share[i, 1]), 4),
        )
        for i, site in enumerate(built.scenario.sites)
    )


def _assignments(
    built: BuiltProblem, solution: FacilitySolution
) -> dict[str, tuple[tuple[str, float], ...]]:
    served: dict[str, list[tuple[str, float]]] = {p.id: [] for p in built.scenario.points}
    for p in np.flatnonzero(solution.pair_share > 1e-6):
        point = built.scenario.points[built.pairs.point[p]].id
        site = built.scenario.sites[built.pairs.site[p]].id
        served[point].append((site, round(float(solution.pair_share[p]), 6)))
    for j in np.flatnonzero(solution.direct_share > 1e-6):
        point = built.scenario.points[j].id
        served[point].append((DIRECT_MAIL, round(float(solution.direct_share[j]), 6)))
    return {point: tuple(sorted(by, key=lambda entry: -entry[1])) for point, by in served.items()}


def _costs(built: BuiltProblem, solution: FacilitySolution) -> CostBreakdown:
    problem, pairs, share = built.problem, built.pairs, solution.pair_share
    opened = solution.open_sites
    direct = np.where(np.isfinite(problem.direct_cost), problem.direct_cost, 0.0)
    return CostBreakdown(
        fixed=round(float(problem.fixed_cost[opened].sum())),
        closing=round(float(problem.closing()[~opened].sum())),
        line_haul=round(float(pairs.line_haul @ share)),
        handling=round(float(pairs.handling @ share)),
        last_mile=round(float(pairs.last_mile @ share)),
        direct_mail=round(float(direct @ solution.direct_share)),
    )


def _on_time_share(built: BuiltProblem, solution: FacilitySolution, k: int, days: float) -> float:
    problem = built.problem
    assert problem.point_market is not None and problem.service_weight is not None
    assert problem.pair_days is not None and problem.direct_days is not None
    in_market = problem.point_market == k
    weight = problem.service_weight
    fast = in_market[problem.pair_point] & (problem.pair_days <= days)
    on_time = float(weight[problem.pair_point[fast]] @ solution.pair_share[fast])
    direct_fast = in_market & (problem.direct_days <= days) & np.isfinite(problem.direct_cost)
    on_time += float(weight[direct_fast] @ solution.direct_share[direct_fast])
    total = float(weight[in_market].sum())
    return on_time / total if total else 1.0


def _service(built: BuiltProblem, solution: FacilitySolution) -> tuple[MarketService, ...]:
    targets = {t.market: t for t in built.scenario.service}
    answer = []
    for k, market in enumerate(built.markets):
        target = targets.get(market)
        days = target.within_days if target else _typical_days(built, k)
        achieved = round(_on_time_share(built, solution, k, days), 6)
        answer.append(
            MarketService(
                market=market,
                target_share=float(target.share) if target else None,
                within_days=days,
                achieved_share=achieved,
                met=target is None or achieved >= float(target.share) - 1e-6,
            )
        )
    return tuple(answer)


def _typical_days(built: BuiltProblem, k: int) -> int:
    """Without a target, service is reported within the market's direct-mail days."""
    problem = built.problem
    assert problem.direct_days is not None and problem.point_market is not None
    in_market = (problem.point_market == k) & np.isfinite(problem.direct_cost)
    return int(problem.direct_days[in_market].min()) if in_market.any() else 7


def _best_share(problem: FacilityProblem, k: int, options: SolveOptions) -> float:
    """Maximise market k's on-time share under every constraint but the service rows."""
    assert problem.point_market is not None and problem.service_weight is not None
    assert problem.pair_days is not None and problem.direct_days is not None
    assert problem.service_days is not None
    days = problem.service_days[k]
    in_market = problem.point_market == k
    weight = problem.service_weight / max(float(problem.service_weight[in_market].sum()), 1e-12)
    fast = in_market[problem.pair_point] & (problem.pair_days <= days)
    direct_fast = in_market & (problem.direct_days <= days) & np.isfinite(problem.direct_cost)
    relaxed = dataclasses.replace(
        problem,
        pair_cost=np.where(fast, -weight[problem.pair_point], 0.0),
        direct_cost=np.where(
            np.isfinite(problem.direct_cost), np.where(direct_fast, -weight, 0.0), np.inf
        ),
        site_objective=np.zeros(problem.n_sites),
        service_share=None,
    )
    solution = solve_facility_problem(relaxed, options)
    if solution.objective is None:
        return 0.0
    return -solution.objective


def _without(problem: FacilityProblem, constraint: str) -> FacilityProblem:
    if constraint == "capacity":
        # a capacity no site can exceed: all demand's load on each resource
        unlimited = np.tile(problem.load.sum(axis=0) + 1.0, (problem.n_sites, 1))
        return dataclasses.replace(problem, capacity=unlimited)
    if constraint == "max_sites":
        return dataclasses.replace(problem, max_sites=None)
    if constraint == "budget":
        return dataclasses.replace(problem, budget=None)
    if constraint == "single_sourcing":
        return dataclasses.replace(problem, single_sourcing=False)
    raise ValueError(constraint)


def _binding(
    problem: FacilityProblem, k: int, best: float, options: SolveOptions
) -> tuple[str, ...]:
    present = [
        name
        for name, active in (
            ("capacity", True),
            ("max_sites", problem.max_sites is not None),
            ("budget", problem.budget is not None),
            ("single_sourcing", problem.single_sourcing),
        )
        if active
    ]
    binding = tuple(
        name for name in present if _best_share(_without(problem, name), k, options) > best + 1e-6
    )
    if binding:
        return binding
    # nothing but geography holds it back: no site or route within the days
    return ("delivery_days",)


def _shortfall_plan(
    built: BuiltProblem, options: SolveOptions, solution: FacilitySolution
) -> NetworkPlan:
    problem = built.problem
    assert problem.service_share is not None and problem.service_days is not None
    budget = dataclasses.replace(options, time_limit_s=max(1.0, options.time_limit_s / 4))
    shortfalls = []
    for k, market in enumerate(built.markets):
        target = float(problem.service_share[k])
        if not np.isfinite(target):
            continue
        best = _best_share(problem, k, budget)
        if best < target - 1e-6:
            shortfalls.append(
                ServiceShortfall(
                    market=market,
                    target_share=target,
                    within_days=int(problem.service_days[k]),
                    best_achievable_share=round(best, 6),
                    binding=_binding(problem, k, best, budget),
                )
            )
    if not shortfalls:
        # each market alone can be served, but not all of them together
        shortfalls = [
            ServiceShortfall(
                market=market,
                target_share=float(problem.service_share[k]),
                within_days=int(problem.service_days[k]),
                best_achievable_share=round(_best_share(problem, k, budget), 6),
                binding=("the other markets' targets",),
            )
            for k, market in enumerate(built.markets)
            if np.isfinite(problem.service_share[k])
        ]
    # the cheapest plan that meets what can be met: lower each target to its best share
    lowered = problem.service_share.copy()
    for shortfall in shortfalls:
        k = built.markets.index(shortfall.market)
        lowered[k] = _best_share(problem, k, budget) - 1e-7
    relaxed = solve_facility_problem(dataclasses.replace(problem, service_share=lowered), options)
    return _read_plan(
        built, relaxed, options, status="service_unreachable", shortfalls=tuple(shortfalls)
    )
