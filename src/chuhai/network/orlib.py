"""Beasley's OR-Library capacitated warehouse-location files, read into a FacilityProblem.

Format (OR-Library `capinfo`): `m n`; m lines `capacity fixed_cost`; then per customer
its `demand` and m numbers, the cost of serving ALL of that customer's demand from each
warehouse. Files capa/capb/capc carry the literal word `capacity` in place of a number,
which `capacity=` replaces. The published optima (`capopt.txt`) are for Beasley's problem
in which a customer's demand may be split between warehouses, so the problem is built
with multi-sourcing (`single_sourcing=False`) unless asked otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chuhai.core.errors import ValidationFailed
from chuhai.network.solve import FacilityProblem


def parse_orlib(
    text: str, *, capacity: float | None = None, single_sourcing: bool = False
) -> FacilityProblem:
    """Read one instance.

    Raises:
        ValidationFailed: the text is not an OR-Library capacitated instance, or it uses
            the word `capacity` and no capacity was given.
    """
    tokens = text.split()
    numbers = [_number(token, index, capacity) for index, token in enumerate(tokens)]
    if len(numbers) < 2:
        raise ValidationFailed.one("file", "empty: expected 'm n' on the first line")
    m, n = int(numbers[0]), int(numbers[1])
    expected = 2 + 2 * m + n * (1 + m)
    if m <= 0 or n <= 0 or len(numbers) != expected:
        raise ValidationFailed.one(
            "file",
            f"expected {expected} numbers for {m} warehouses and {n} customers, "
            f"found {len(numbers)}",
        )
    sites = np.array(numbers[2 : 2 + 2 * m], dtype=np.float64).reshape(m, 2)
    customers = np.array(numbers[2 + 2 * m :], dtype=np.float64).reshape(n, 1 + m)
    demand, cost = customers[:, 0], customers[:, 1:]
    if (sites < 0).any() or (customers < 0).any():
        raise ValidationFailed.one("file", "capacities, costs and demands must not be negative")
    site_index, point_index = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    return FacilityProblem(
        fixed_cost=sites[:, 1],
        capacity=sites[:, :1],
        load=demand[:, None],
        pair_site=site_index.ravel().astype(np.int64),
        pair_point=point_index.ravel().astype(np.int64),
        pair_cost=cost.T.ravel(),
        direct_cost=np.full(n, np.inf),
        single_sourcing=single_sourcing,
    )


def _number(token: str, index: int, capacity: float | None) -> float:
    if token.lower() == "capacity":
        if capacity is None:
            raise ValidationFailed.one(
                "capacity", "the file says 'capacity' in place of a number: give --capacity N"
            )
        return capacity
    try:
        return float(token)
    except ValueError:
        raise ValidationFailed.one("file", f"token {index + 1} {token!r} is not a number") from None


def read_orlib(
    path: Path, *, capacity: float | None = None, single_sourcing: bool = False
) -> FacilityProblem:
    if not path.is_file():
        raise ValidationFailed.one("file", f"{path} does not exist")
    return parse_orlib(
        path.read_text(encoding="ascii"), capacity=capacity, single_sourcing=single_sourcing
    )


def read_optima(path: Path) -> dict[str, float]:
    """capopt.txt: one `name cost` per line."""
    optima: dict[str, float] = {}
    for line in path.read_text(encoding="ascii").splitlines():
        parts = line.split()
        if len(parts) == 2:
            optima[parts[0]] = float(parts[1])
    return optima
