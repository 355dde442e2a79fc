"""Applying a plan to the inventory warehouses: the reviewed list, its fingerprint, the writes.

The reference warehouses hold US-LAX (US), DE-FRA (DE, FR) and GB-CVT (GB) as overseas
warehouses; the targets below open a new US-NJ, keep DE-FRA for DE, FR and GB, and close
US-LAX and GB-CVT.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from chuhai.core.errors import Conflict, Forbidden, ValidationFailed
from chuhai.inventory import warehouses
from chuhai.network.apply import (
    SiteTarget,
    apply_plan,
    fingerprint,
    plan_changes,
    plan_target,
    targets_from_json,
    targets_to_json,
)
from chuhai.network.design import plan_network
from chuhai.network.scenario import read_scenario
from chuhai.network.solve import SolveOptions

EXAMPLE = Path(str(resources.files("chuhai.data").joinpath("network/example_scenario.yaml")))


def _target(id_: str, open_: bool, country: str, markets: tuple[str, ...]) -> SiteTarget:
    return SiteTarget(id_, open_, country, 40.7, -74.2, 2000, 380, markets)


TARGETS = [
    _target("US-LAX", False, "US", ()),
    _target("US-NJ", True, "US", ("US",)),
    _target("DE-FRA", True, "DE", ("DE", "FR", "GB")),
    _target("GB-CVT", False, "GB", ()),
    _target("FR-PAR", False, "FR", ()),
]


def _overseas(unit: Any, actor: Any) -> dict[str, tuple[bool, list[str]]]:
    with unit(actor) as ctx:
        rows = warehouses.list_warehouses(ctx, kind="overseas")
        return {row.id: (row.active, sorted(row.markets)) for row in rows}


def test_the_changes_list_creates_updates_and_retires(unit: Any, world: Any):
    with unit(world["logistics"]) as ctx:
        changes = plan_changes(ctx, TARGETS)
    assert [(c.action, c.warehouse_id) for c in changes] == [
        ("retire", "US-LAX"),
        ("create", "US-NJ"),
        ("update", "DE-FRA"),
        ("retire", "GB-CVT"),
    ]
    assert changes[1].fields["markets"] == ["US"]
    assert changes[2].fields == {"markets": ["DE", "FR", "GB"]}


def test_applying_with_the_reviewed_fingerprint_goes_through_the_warehouses(unit: Any, world: Any):
    with unit(world["logistics"]) as ctx:
        reviewed = fingerprint(plan_changes(ctx, TARGETS))
    with unit(world["logistics"]) as ctx:
        apply_plan(ctx, TARGETS, reviewed)
    after = _overseas(unit, world["logistics"])
    assert after["US-NJ"] == (True, ["US"])
    assert after["DE-FRA"] == (True, ["DE", "FR", "GB"])
    assert after["US-LAX"][0] is False and after["GB-CVT"][0] is False
    assert after["JP-TYO"][0] is True  # not a candidate site: untouched
    with unit(world["logistics"]) as ctx:
        assert plan_changes(ctx, TARGETS) == []


def test_a_stale_fingerprint_is_refused_and_nothing_is_written(unit: Any, world: Any):
    with unit(world["admin"]) as ctx:
        reviewed = fingerprint(plan_changes(ctx, TARGETS))
    before = _overseas(unit, world["admin"])
    with unit(world["logistics"]) as ctx:
        # someone retires US-LAX in between: the list the planner saw is stale
        warehouses.update_warehouse(ctx, "US-LAX", {"active": False})
    with pytest.raises(Conflict) as error, unit(world["admin"]) as ctx:
        apply_plan(ctx, TARGETS, reviewed)
    assert error.value.field == "fingerprint"
    after = _overseas(unit, world["admin"])
    assert "US-NJ" not in after
    assert after["DE-FRA"] == before["DE-FRA"]
    assert after["GB-CVT"][0] is True


def test_applying_needs_network_apply(unit: Any, world: Any):
    with unit(world["logistics"]) as ctx:
        reviewed = fingerprint(plan_changes(ctx, TARGETS))
    with pytest.raises(Forbidden), unit(world["finance"]) as ctx:
        apply_plan(ctx, TARGETS, reviewed)
    assert "US-NJ" not in _overseas(unit, world["admin"])


def test_a_market_the_platform_does_not_sell_in_is_refused_by_the_warehouses(unit: Any, world: Any):
    targets = [_target("ZZ-NEW", True, "US", ("XX",))]
    with unit(world["logistics"]) as ctx:
        reviewed = fingerprint(plan_changes(ctx, targets))
    with pytest.raises(ValidationFailed) as error, unit(world["logistics"]) as ctx:
        apply_plan(ctx, targets, reviewed)
    assert error.value.errors[0].field == "markets"
    assert "ZZ-NEW" not in _overseas(unit, world["admin"])


def test_the_example_plan_becomes_targets_and_round_trips_as_json():
    scenario = read_scenario(EXAMPLE)
    plan = plan_network(scenario, SolveOptions(time_limit_s=5))
    targets = plan_target(scenario, plan)
    assert [t.id for t in targets] == [s.id for s in scenario.sites]
    opened = {t.id for t in targets if t.open}
    assert opened == {s.id for s in plan.sites if s.open}
    served = {m for t in targets for m in t.markets}
    assert served <= set(scenario.markets())
    assert all(t.markets == () for t in targets if not t.open)
    assert targets_from_json(targets_to_json(targets)) == targets
    with pytest.raises(ValidationFailed):
        targets_from_json('[{"id": "X"}]')
