"""The default allocation strategy as a pure function: one warehouse when any has it all,
overseas before China, fastest then cheapest, the fewest warehouses when it must split,
and every decision explained."""

from __future__ import annotations

import pytest

from chuhai.orders.allocation import (
    Destination,
    Fastest,
    Lanes,
    WarehouseInfo,
    delivery_data,
    strategy_named,
)

WAREHOUSES = (
    WarehouseInfo("CN-GZ", "consolidation", "CN", 23.13, 113.26, ("US", "DE", "FR", "JP")),
    WarehouseInfo("CN-YW", "consolidation", "CN", 29.31, 120.08, ("US", "DE", "FR", "JP")),
    WarehouseInfo("US-LAX", "overseas", "US", 34.06, -117.65, ("US",)),
    WarehouseInfo("DE-FRA", "overseas", "DE", 50.11, 8.68, ("DE", "FR")),
)
US = Destination("US", "US")
FR = Destination("FR", "FR")


def _plan(lines, stock, destination=US):
    return Fastest().allocate(lines, destination, stock, WAREHOUSES)


def test_an_overseas_warehouse_with_everything_wins():
    plan = _plan([("a", 3)], {("a", "US-LAX"): 3, ("a", "CN-GZ"): 100})
    assert [(p.warehouse_id, p.quantity, p.route) for p in plan.picks] == [("US-LAX", 3, "9810")]
    assert plan.reason == "US-LAX has all 3 units; 3 days vs 9 from CN-GZ"
    assert plan.scores["US-LAX"]["available"] == {"a": 3}
    assert set(plan.scores) == {"US-LAX", "CN-GZ", "CN-YW"}  # DE-FRA does not serve the US


def test_china_by_direct_mail_when_no_overseas_warehouse_has_the_stock():
    plan = _plan([("a", 1)], {("a", "US-LAX"): 0, ("a", "CN-YW"): 5, ("a", "CN-GZ"): 5})
    assert [(p.warehouse_id, p.route) for p in plan.picks] == [("CN-GZ", "9610")]  # 9 days vs 10
    assert "US-LAX faster but short of stock" in plan.reason
    assert plan.reason.endswith("direct mail from China (9610)")


def test_one_warehouse_with_everything_beats_a_faster_split():
    stock = {("a", "US-LAX"): 2, ("b", "US-LAX"): 0, ("a", "CN-YW"): 2, ("b", "CN-YW"): 1}
    plan = _plan([("a", 2), ("b", 1)], stock)
    assert {p.warehouse_id for p in plan.picks} == {"CN-YW"}


def test_a_split_uses_as_few_warehouses_as_possible():
    stock = {
        ("a", "US-LAX"): 2,
        ("b", "US-LAX"): 2,
        ("c", "CN-GZ"): 1,
        ("a", "CN-YW"): 1,
        ("c", "CN-YW"): 1,
        ("b", "CN-GZ"): 1,
    }
    plan = _plan([("a", 2), ("b", 2), ("c", 1)], stock)
    assert plan.complete
    assert sorted((p.sku_id, p.warehouse_id, p.quantity) for p in plan.picks) == [
        ("a", "US-LAX", 2),
        ("b", "US-LAX", 2),
        ("c", "CN-GZ", 1),
    ]
    assert plan.reason.startswith("no single warehouse has it all; split: US-LAX 4 of 5")


def test_one_line_may_come_from_two_warehouses():
    plan = _plan([("a", 5)], {("a", "US-LAX"): 3, ("a", "CN-GZ"): 2})
    assert sorted((p.warehouse_id, p.quantity) for p in plan.picks) == [("CN-GZ", 2), ("US-LAX", 3)]


def test_what_nobody_has_is_the_shortfall():
    plan = _plan([("a", 5), ("b", 1)], {("a", "US-LAX"): 3})
    assert not plan.complete
    assert plan.shortfall == {"a": 2, "b": 1}
    assert "3 units not in stock anywhere" in plan.reason


def test_a_lane_missing_from_the_table_is_estimated_from_distance():
    lanes = Lanes(delivery_data())
    lyon_bound = lanes.lane(WAREHOUSES[3], "FR")
    assert not lyon_bound.estimated and lyon_bound.days == 3
    guessed = lanes.lane(WarehouseInfo("PL-WAW", "overseas", "PL", 52.23, 21.01, ("FR",)), "FR")
    assert guessed.estimated and 2 < guessed.days < 6
    plan = Fastest(lanes).allocate([("a", 1)], FR, {("a", "DE-FRA"): 1}, WAREHOUSES)
    assert plan.picks[0].warehouse_id == "DE-FRA"


def test_the_strategy_is_chosen_by_name():
    assert strategy_named("fastest").name == "fastest"
    with pytest.raises(RuntimeError, match="unknown allocation strategy 'cheapest'"):
        strategy_named("cheapest")
