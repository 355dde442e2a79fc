"""Beasley's OR-Library capacitated warehouse-location instances, solved to the published
optimum (capopt.txt gives three decimals)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chuhai.core.errors import ValidationFailed
from chuhai.network.orlib import parse_orlib, read_optima, read_orlib
from chuhai.network.solve import SolveOptions, solve_facility_problem

SHARED_ORLIB = Path(__file__).resolve().parents[3] / "shared" / "data" / "orlib"
needs_orlib = pytest.mark.skipif(
    not (SHARED_ORLIB / "capopt.txt").exists(), reason="../shared/data/orlib is not here"
)
# the 16-warehouse x 50-customer instances: each solves in well under a second
SMALL = ["cap41", "cap42", "cap43", "cap44", "cap51"] + [
    f"cap{series}{k}" for series in (6, 7) for k in (1, 2, 3, 4)
]

TWO_BY_THREE = """2 3
 10 100.
 capacity 0.
 4  1. 9.
 4  6. 2.
 4  9. 1.
"""


@needs_orlib
@pytest.mark.parametrize("name", SMALL)
def test_the_small_instances_solve_to_the_published_optimum(name):
    optimum = read_optima(SHARED_ORLIB / "capopt.txt")[name]
    problem = read_orlib(SHARED_ORLIB / f"{name}.txt")
    solution = solve_facility_problem(problem, SolveOptions(time_limit_s=30))
    assert solution.status == "optimal" and solution.proven_optimal
    assert abs(solution.objective - optimum) <= 0.0005 + 1e-6  # type: ignore[operator]
    assert solution.gap is not None and solution.gap <= 1e-6


@needs_orlib
def test_the_published_optima_allow_a_customer_split_between_warehouses():
    # cap41's largest customer needs 12,912 units and no warehouse holds more than 5,000:
    # the published optimum must be Beasley's multi-sourcing problem
    single = read_orlib(SHARED_ORLIB / "cap41.txt", single_sourcing=True)
    assert single.load.max() > single.capacity.max()
    assert solve_facility_problem(single, SolveOptions(time_limit_s=10)).status == "infeasible"


def test_a_file_is_read_into_capacities_fixed_costs_and_assignment_costs():
    problem = parse_orlib(TWO_BY_THREE, capacity=8)
    assert problem.capacity.ravel().tolist() == [10.0, 8.0]
    assert problem.fixed_cost.tolist() == [100.0, 0.0]
    assert problem.load.ravel().tolist() == [4.0, 4.0, 4.0]
    # pairs are site-major: site 0 to customers 0, 1, 2, then site 1
    assert problem.pair_cost.tolist() == [1.0, 6.0, 9.0, 9.0, 2.0, 1.0]


def test_the_capacity_option_replaces_the_word_and_the_optimum_follows_it():
    # 12 units of demand: site 0 (fixed 100) must open. Site 1 is free; holding 8 it takes
    # customers 1 and 2 (2 + 1), site 0 customer 0 (1)
    loose = solve_facility_problem(parse_orlib(TWO_BY_THREE, capacity=8))
    assert loose.objective == pytest.approx(100 + 1 + 2 + 1)
    # holding 4 it takes customer 2 only, and customer 1 goes to site 0 at 6
    tight = solve_facility_problem(parse_orlib(TWO_BY_THREE, capacity=4))
    assert tight.objective == pytest.approx(100 + 1 + 6 + 1)
    assert np.array_equal(tight.open_sites, [True, True])


@pytest.mark.parametrize(
    ("text", "capacity", "field", "reason"),
    [
        (TWO_BY_THREE, None, "capacity", "give --capacity N"),
        ("2 3\n 10 100.\n", None, "file", "expected 15 numbers"),
        ("", None, "file", "empty"),
        ("1 1\n 10 abc\n 4 1.\n", None, "file", "'abc' is not a number"),
        ("1 1\n 10 -5\n 4 1.\n", None, "file", "must not be negative"),
    ],
    ids=["capacity-word", "too-short", "empty", "not-a-number", "negative"],
)
def test_a_bad_file_names_the_problem(text, capacity, field, reason):
    with pytest.raises(ValidationFailed) as error:
        parse_orlib(text, capacity=capacity)
    assert error.value.errors[0].field == field
    assert reason in error.value.errors[0].message


def test_a_missing_file_is_refused(tmp_path: Path):
    with pytest.raises(ValidationFailed, match="does not exist"):
        read_orlib(tmp_path / "cap999.txt")
