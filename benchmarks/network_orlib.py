"""Every OR-Library capacitated warehouse-location instance in ../shared/data/orlib solved by
chuhai's HiGHS model (`network.solve`), next to the same model written plainly in PuLP and
solved by CBC (shipped inside PuLP) in the same run, each with the same time limit.

Both sides solve Beasley's problem (a customer's demand may be split between warehouses,
the variant capopt.txt's optima are for) with the strong formulation: one linking row
x_ij <= y_i per pair. Per instance the table shows the published optimum, each solver's
objective, its gap to the optimum and its seconds (model building included); HiGHS's
proven bound and gap too.

    python benchmarks/network_orlib.py [--dir ../shared/data/orlib] [--time-limit 6]
                                       [--only cap41,cap131] [--no-cbc]

With the default 6 s per instance per solver the 37 instances take at most about 7.5
minutes. The last line printed is one JSON object with every row.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import pulp

from chuhai.network.orlib import read_optima, read_orlib
from chuhai.network.solve import FacilityProblem, SolveOptions, solve_facility_problem

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "orlib"


def solve_with_cbc(problem: FacilityProblem, time_limit: float) -> dict[str, Any]:
    """The same MILP written plainly in PuLP: y binary, x continuous, x_ij <= y_i."""
    started = time.perf_counter()
    m, n = problem.n_sites, problem.n_points
    model = pulp.LpProblem("cfl", pulp.LpMinimize)
    y = [pulp.LpVariable(f"y{i}", cat="Binary") for i in range(m)]
    x = [pulp.LpVariable(f"x{p}", lowBound=0, upBound=1) for p in range(problem.n_pairs)]
    model += pulp.lpSum(float(problem.fixed_cost[i]) * y[i] for i in range(m)) + pulp.lpSum(
        float(problem.pair_cost[p]) * x[p] for p in range(problem.n_pairs)
    )
    by_point: list[list[int]] = [[] for _ in range(n)]
    by_site: list[list[int]] = [[] for _ in range(m)]
    for p in range(problem.n_pairs):
        by_point[int(problem.pair_point[p])].append(p)
        by_site[int(problem.pair_site[p])].append(p)
        model += x[p] <= y[int(problem.pair_site[p])]
    for j in range(n):
        model += pulp.lpSum(x[p] for p in by_point[j]) == 1
    for i in range(m):
        load = pulp.lpSum(float(problem.load[problem.pair_point[p], 0]) * x[p] for p in by_site[i])
        model += load <= float(problem.capacity[i, 0]) * y[i]
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1, gapRel=1e-6)
    status = model.solve(solver)
    objective = pulp.value(model.objective)
    return {
        "status": pulp.LpStatus[status],
        "objective": None if objective is None else float(objective),
        "seconds": round(time.perf_counter() - started, 3),
    }


def instance_order(path: Path) -> tuple[int, str]:
    digits = re.sub(r"\D", "", path.stem)
    return (int(digits) if digits else 0, path.stem)


def gap_to(value: float | None, optimum: float) -> float | None:
    return None if value is None else (value - optimum) / optimum


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--time-limit", type=float, default=6.0, help="seconds per solver")
    parser.add_argument("--only", default="", help="comma-separated instance names")
    parser.add_argument("--no-cbc", action="store_true", help="HiGHS only")
    args = parser.parse_args(argv)
    if not (args.dir / "capopt.txt").exists():
        print(f"no OR-Library instances in {args.dir}", file=sys.stderr)
        return 1
    optima = read_optima(args.dir / "capopt.txt")
    wanted = {name for name in args.only.split(",") if name}
    files = sorted((f for f in args.dir.glob("cap*.txt") if f.stem in optima), key=instance_order)
    rows = []
    header = (
        f"{'instance':<9}{'m x n':>8}{'optimum':>15}{'HiGHS':>15}{'gap':>10}{'bound gap':>10}"
        f"{'s':>7}{'CBC':>15}{'gap':>10}{'s':>7}"
    )
    print(header)
    for path in files:
        if wanted and path.stem not in wanted:
            continue
        problem = read_orlib(path)
        optimum = optima[path.stem]
        ours = solve_facility_problem(problem, SolveOptions(time_limit_s=args.time_limit))
        cbc = None if args.no_cbc else solve_with_cbc(problem, args.time_limit)
        row = {
            "instance": path.stem,
            "sites": problem.n_sites,
            "customers": problem.n_points,
            "optimum": optimum,
            "highs_status": ours.status,
            "highs_objective": ours.objective,
            "highs_bound": ours.bound,
            "highs_proven_gap": ours.gap,
            "highs_gap_to_optimum": gap_to(ours.objective, optimum),
            "highs_seconds": round(ours.seconds, 3),
            "cbc_status": None if cbc is None else cbc["status"],
            "cbc_objective": None if cbc is None else cbc["objective"],
            "cbc_gap_to_optimum": None if cbc is None else gap_to(cbc["objective"], optimum),
            "cbc_seconds": None if cbc is None else cbc["seconds"],
        }
        rows.append(row)
        print(format_row(row), flush=True)
    matched = sum(
        1
        for r in rows
        if r["highs_objective"] is not None and abs(r["highs_objective"] - r["optimum"]) <= 1e-3
    )
    print(f"HiGHS at the published optimum (to its 3 decimals): {matched} of {len(rows)}")
    print(json.dumps({"time_limit_s": args.time_limit, "at_optimum": matched, "instances": rows}))
    return 0


def format_row(row: dict[str, Any]) -> str:
    def number(value: float | None, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    return (
        f"{row['instance']:<9}{row['sites']:>4}x{row['customers']:<3}"
        f"{row['optimum']:>15.3f}{number(row['highs_objective'], '.3f'):>15}"
        f"{number(row['highs_gap_to_optimum'], '.2e'):>10}"
        f"{number(row['highs_proven_gap'], '.1e'):>10}{row['highs_seconds']:>7.2f}"
        f"{number(row['cbc_objective'], '.3f'):>15}"
        f"{number(row['cbc_gap_to_optimum'], '.2e'):>10}"
        f"{number(row['cbc_seconds'], '.2f'):>7}"
    )


if __name__ == "__main__":
    sys.exit(main())
