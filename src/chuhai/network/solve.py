"""The warehouse-location MILP, solved with HiGHS: arrays in, a plan with its proven gap out.

The kernel knows nothing of markets' names, money or files: a `FacilityProblem` holds
sites, demand points and the allowed (site, point) pairs as numpy arrays, and
`solve_facility_problem` returns which sites open and what share of each point each pair
serves. Invariants of the formulation:

* every demand point is served wholly: its pair shares plus its direct-mail share sum to 1;
* the strong formulation: one linking row x_p <= y_i per pair (not the aggregated
  sum_j x_ij <= n y_i), which makes the LP relaxation tight enough to prove optimality;
* capacity rows sum_j load_jr x_ij <= cap_ir y_i for each resource r (throughput, m3);
* a service row per market with a target: the demand share delivered within its days.

The objective is sum_i (fixed_i - closing_i) y_i + sum_p cost_p x_p + sum_j direct_j z_j
plus the constant sum_i closing_i (closing costs are paid by the sites left closed).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# HiGHS counts a MIP as optimal once the relative gap is at most mip_rel_gap.
DEFAULT_MIP_GAP = 1e-6


@dataclass(frozen=True)
class FacilityProblem:
    """A capacitated facility-location problem with direct mail and service targets.

    Shapes: m sites, n demand points, p allowed pairs, r capacity resources, k markets.
    Costs are per year in one unit (the caller's: CNY fen, or OR-Library's numbers).

    Attributes:
        fixed_cost: (m,) cost of keeping the site open.
        closing_cost: (m,) cost paid if the site is not open (existing sites; else 0).
        capacity: (m, r) capacity of each site on each resource.
        load: (n, r) what serving all of a point takes of each resource.
        pair_site, pair_point: (p,) the site and the point of each allowed pair.
        pair_cost: (p,) cost of serving all of the point from the site.
        pair_days: (p,) delivery days of that pair.
        direct_cost: (n,) cost of serving all of the point by direct mail; inf if none.
        direct_days: (n,) delivery days by direct mail.
        point_market: (n,) market index of each point.
        service_weight: (n,) the point's share weight in its market's service level.
        service_share: (k,) minimum share within service_days; nan for no target.
        service_days: (k,) the days of each market's target.
        must_open: (m,) sites that stay open whatever it costs.
        max_sites: at most this many sites open, or None.
        budget: fixed costs of open sites at most this, or None.
        single_sourcing: each point served wholly by one site (or direct mail).
        site_objective: (m,) objective coefficient of opening each site, if not the costs.
    """

    fixed_cost: FloatArray
    capacity: FloatArray
    load: FloatArray
    pair_site: IntArray
    pair_point: IntArray
    pair_cost: FloatArray
    direct_cost: FloatArray
    closing_cost: FloatArray | None = None
    pair_days: FloatArray | None = None
    direct_days: FloatArray | None = None
    point_market: IntArray | None = None
    service_weight: FloatArray | None = None
    service_share: FloatArray | None = None
    service_days: FloatArray | None = None
    must_open: BoolArray | None = None
    max_sites: int | None = None
    budget: float | None = None
    single_sourcing: bool = False
    # replaces fixed - closing as the open sites' objective (a service-maximising relaxation
    # keeps the budget row on fixed_cost but must not pay it in the objective)
    site_objective: FloatArray | None = None

    @property
    def n_sites(self) -> int:
        return int(self.fixed_cost.shape[0])

    @property
    def n_points(self) -> int:
        return int(self.direct_cost.shape[0])

    @property
    def n_pairs(self) -> int:
        return int(self.pair_site.shape[0])

    def closing(self) -> FloatArray:
        if self.closing_cost is None:
            return np.zeros(self.n_sites)
        return self.closing_cost

    def unreachable_points(self) -> IntArray:
        """Points with no allowed pair and no direct-mail route."""
        covered = np.zeros(self.n_points, dtype=bool)
        covered[self.pair_point] = True
        covered |= np.isfinite(self.direct_cost)
        return np.flatnonzero(~covered).astype(np.int64)


@dataclass(frozen=True)
class SolveOptions:
    time_limit_s: float = 60.0
    mip_gap: float = DEFAULT_MIP_GAP
    threads: int = 1
    log: bool = False
    # start HiGHS from the greedy + local-search plan (network.heuristics)
    warm_start: bool = False


@dataclass(frozen=True)
class FacilitySolution:
    """What HiGHS found.

    `proven_optimal` is true only when the gap is within the requested mip_gap; a plan
    from a solve stopped by its time limit has `status == "time_limit"` and its gap.
    """

    status: str  # optimal | time_limit | infeasible | no_solution (| heuristic: not solved)
    proven_optimal: bool
    objective: float | None
    bound: float
    gap: float | None
    seconds: float
    open_sites: BoolArray
    pair_share: FloatArray
    direct_share: FloatArray
    nodes: int = 0
    messages: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class _Rows:
    """Row-wise constraint triplets collected before one addRows call."""

    rows: list[IntArray] = field(default_factory=list)
    cols: list[IntArray] = field(default_factory=list)
    vals: list[FloatArray] = field(default_factory=list)
    lower: list[FloatArray] = field(default_factory=list)
    upper: list[FloatArray] = field(default_factory=list)
    count: int = 0

    def add(
        self,
        rows: IntArray,
        cols: IntArray,
        vals: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
    ) -> None:
        self.rows.append(rows + self.count)
        self.cols.append(cols)
        self.vals.append(vals)
        self.lower.append(lower)
        self.upper.append(upper)
        self.count += len(lower)


def _columns(problem: FacilityProblem) -> tuple[int, int, int]:
    """Column offsets: y (m), then x (p), then z (n)."""
    m, p = problem.n_sites, problem.n_pairs
    return 0, m, m + p


def _build_rows(problem: FacilityProblem) -> _Rows:
    m, n, p = problem.n_sites, problem.n_points, problem.n_pairs
    y0, x0, z0 = _columns(problem)
    pairs = np.arange(p, dtype=np.int64)
    points = np.arange(n, dtype=np.int64)
    built = _Rows()
    inf = highspy.kHighsInf

    # each point served wholly: sum_p x_p + z_j = 1
    built.add(
        np.concatenate([problem.pair_point, points]),
        np.concatenate([x0 + pairs, z0 + points]),
        np.ones(p + n),
        np.ones(n),
        np.ones(n),
    )
    # strong linking: x_p - y_i <= 0, one row per pair
    built.add(
        np.concatenate([pairs, pairs]),
        np.concatenate([x0 + pairs, y0 + problem.pair_site]),
        np.concatenate([np.ones(p), -np.ones(p)]),
        np.full(p, -inf),
        np.zeros(p),
    )
    # capacity per site and resource: sum load x - cap y <= 0
    for r in range(problem.capacity.shape[1]):
        built.add(
            np.concatenate([problem.pair_site, np.arange(m, dtype=np.int64)]),
            np.concatenate([x0 + pairs, y0 + np.arange(m, dtype=np.int64)]),
            np.concatenate([problem.load[problem.pair_point, r], -problem.capacity[:, r]]),
            np.full(m, -inf),
            np.zeros(m),
        )
    _add_service_rows(problem, built)
    if problem.max_sites is not None:
        built.add(
            np.zeros(m, dtype=np.int64),
            y0 + np.arange(m, dtype=np.int64),
            np.ones(m),
            np.array([-inf]),
            np.array([float(problem.max_sites)]),
        )
    if problem.budget is not None:
        built.add(
            np.zeros(m, dtype=np.int64),
            y0 + np.arange(m, dtype=np.int64),
            problem.fixed_cost.astype(np.float64),
            np.array([-inf]),
            np.array([float(problem.budget)]),
        )
    return built


def _add_service_rows(problem: FacilityProblem, built: _Rows) -> None:
    """Per market with a target: weighted share delivered within its days >= target."""
    if problem.service_share is None or problem.point_market is None:
        return
    assert problem.pair_days is not None and problem.direct_days is not None
    assert problem.service_days is not None and problem.service_weight is not None
    _, x0, z0 = _columns(problem)
    weight = problem.service_weight
    for k, share in enumerate(problem.service_share):
        if not np.isfinite(share):
            continue
        days = problem.service_days[k]
        in_market = problem.point_market == k
        fast_pairs = np.flatnonzero(in_market[problem.pair_point] & (problem.pair_days <= days))
        fast_direct = np.flatnonzero(
            in_market & (problem.direct_days <= days) & np.isfinite(problem.direct_cost)
        )
        cols = np.concatenate([x0 + fast_pairs, z0 + fast_direct]).astype(np.int64)
        vals = np.concatenate([weight[problem.pair_point[fast_pairs]], weight[fast_direct]])
        built.add(
            np.zeros(len(cols), dtype=np.int64),
            cols,
            vals,
            np.array([share * weight[in_market].sum()]),
            np.array([highspy.kHighsInf]),
        )


def _new_highs() -> highspy.Highs:
    """A Highs object, its copyright banner kept off stdout (a CLI prints JSON there)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _model(problem: FacilityProblem, options: SolveOptions) -> highspy.Highs:
    m, n, p = problem.n_sites, problem.n_points, problem.n_pairs
    highs = _new_highs()
    highs.setOptionValue("output_flag", options.log)
    highs.setOptionValue("time_limit", float(options.time_limit_s))
    highs.setOptionValue("mip_rel_gap", float(options.mip_gap))
    highs.setOptionValue("threads", int(options.threads))

    direct_ok = np.isfinite(problem.direct_cost)
    cost = np.concatenate(
        [
            problem.fixed_cost - problem.closing()
            if problem.site_objective is None
            else problem.site_objective,
            problem.pair_cost,
            np.where(direct_ok, problem.direct_cost, 0.0),
        ]
    ).astype(np.float64)
    must_open = problem.must_open if problem.must_open is not None else np.zeros(m, dtype=bool)
    lower = np.concatenate([must_open.astype(np.float64), np.zeros(p + n)])
    upper = np.concatenate([np.ones(m + p), direct_ok.astype(np.float64)])
    highs.addCols(m + p + n, cost, lower, upper, 0, np.array([], dtype=np.int32), [], [])
    if problem.site_objective is None:
        highs.changeObjectiveOffset(float(problem.closing().sum()))

    built = _build_rows(problem)
    matrix = sparse.csr_matrix(
        (
            np.concatenate(built.vals),
            (np.concatenate(built.rows), np.concatenate(built.cols)),
        ),
        shape=(built.count, m + p + n),
    )
    highs.addRows(
        built.count,
        np.concatenate(built.lower),
        np.concatenate(built.upper),
        matrix.nnz,
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
    integer = np.arange(m + p if problem.single_sourcing else m, dtype=np.int32)
    highs.changeColsIntegrality(
        len(integer), integer, np.full(len(integer), highspy.HighsVarType.kInteger)
    )
    return highs


def _warm_start(highs: highspy.Highs, problem: FacilityProblem, start: FacilitySolution) -> None:
    solution = highspy.HighsSolution()
    solution.col_value = list(
        np.concatenate([start.open_sites.astype(np.float64), start.pair_share, start.direct_share])
    )
    solution.value_valid = True
    highs.setSolution(solution)


def solve_facility_problem(
    problem: FacilityProblem,
    options: SolveOptions | None = None,
    warm_start: FacilitySolution | None = None,
) -> FacilitySolution:
    """Solve the MILP; the answer says whether it is proven optimal and by what gap.

    Raises:
        ValueError: a demand point has neither an allowed pair nor a direct-mail route.
    """
    options = options or SolveOptions()
    unreachable = problem.unreachable_points()
    if len(unreachable):
        raise ValueError(f"demand points {unreachable.tolist()} have no site and no direct mail")
    started = time.perf_counter()
    highs = _model(problem, options)
    if warm_start is not None:
        _warm_start(highs, problem, warm_start)
    highs.run()
    return _read_solution(highs, problem, options, time.perf_counter() - started)


def _read_solution(
    highs: highspy.Highs, problem: FacilityProblem, options: SolveOptions, seconds: float
) -> FacilitySolution:
    m, p = problem.n_sites, problem.n_pairs
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_plan = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kInfeasible:
        label = "infeasible"
    elif not has_plan:
        label = "no_solution"
    elif status == highspy.HighsModelStatus.kOptimal:
        label = "optimal"
    else:
        label = "time_limit"
    values = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    if not has_plan:
        values = np.zeros(m + p + problem.n_points)
    objective = float(info.objective_function_value) if has_plan else None
    bound = float(info.mip_dual_bound)
    gap = _relative_gap(objective, bound)
    return FacilitySolution(
        status=label,
        proven_optimal=label == "optimal" and gap is not None and gap <= options.mip_gap + 1e-12,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=seconds,
        open_sites=values[:m] > 0.5,
        pair_share=np.clip(values[m : m + p], 0.0, 1.0),
        direct_share=np.clip(values[m + p :], 0.0, 1.0),
        nodes=int(info.mip_node_count),
    )


def _relative_gap(objective: float | None, bound: float) -> float | None:
    """HiGHS's definition: |objective - bound| / |objective|, 0 when they agree."""
    if objective is None or not np.isfinite(bound):
        return None
    if abs(objective - bound) <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return abs(objective - bound) / max(abs(objective), 1e-12)
