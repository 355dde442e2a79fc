"""Demand from the platform's own orders: units by market and ship-to city over a window,
located in GeoNames, annualised; an address no city matches is reported with its units;
the overseas warehouses become existing candidate sites beside the scenario's own."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chuhai.core.errors import ValidationFailed
from chuhai.network import store
from chuhai.network.platform_demand import locate, order_demand, platform_mapping

sys.path.insert(0, str(Path(__file__).parents[1] / "orders"))
from shopping import BERLIN, Shop, build_shop  # noqa: E402

NOWHERE = replace(BERLIN, city="Nirgendwo-am-See")
MUNICH = replace(BERLIN, city="München")


@pytest.fixture
def shop(unit: Any, world: Any) -> Shop:
    built = build_shop(unit, world)
    built.stock(unit, built.mug_white, "DE-FRA", 20)
    built.stock(unit, built.mug_white, "US-LAX", 20)
    return built


def _buy(unit: Any, shop: Shop) -> None:
    shop.buy(unit, "DE", items=[(shop.mug_white, 2)])
    shop.buy(unit, "DE", items=[(shop.mug_white, 1)])
    shop.buy(unit, "DE", items=[(shop.mug_white, 4)], address=MUNICH)
    shop.buy(unit, "DE", items=[(shop.mug_white, 5)], address=NOWHERE)
    shop.buy(unit, "US", items=[(shop.mug_white, 1)])


def test_cities_are_located_by_name_or_alternate_name_in_their_country():
    assert locate("DE", "Berlin")["name"] == "Berlin"
    assert locate("DE", "munchen")["name"] == "Munich"
    assert locate("US", "San Francisco")["countrycode"] == "US"
    assert locate("FR", "Berlin") is None


def test_orders_become_yearly_units_per_city_and_the_unlocatable_are_reported(unit, world, shop):
    _buy(unit, shop)
    with unit(world["logistics"]) as ctx:
        demand = order_demand(ctx, days=365)
    by_city = {p["id"]: p["units_per_year"] for p in demand.points}
    assert demand.orders == 5 and demand.units == 13
    assert sorted(by_city.values()) == [1, 3, 4]  # Berlin 2 + 1, Munich 4, San Francisco 1
    assert [(u.city, u.orders, u.units) for u in demand.unlocated] == [("Nirgendwo-am-See", 1, 5)]
    with unit(world["logistics"]) as ctx:
        assert sum(p["units_per_year"] for p in order_demand(ctx, days=73).points) == 40


def test_a_platform_scenario_keeps_the_warehouses_as_existing_sites_and_solves(unit, world, shop):
    _buy(unit, shop)
    base = {k: v for k, v in store.example_mapping().items() if k not in ("demand", "service")}
    base["options"] = {"direct_mail": True}
    with unit(world["logistics"]) as ctx:
        row = store.save_platform_scenario(ctx, base, {"days": 30})
        plan = store.solve_scenario(ctx, row.id, store.SolveRequest(time_limit_s=5, k_max=2))
    sites = {s["id"]: s for s in row.mapping["sites"]}
    assert {"US-LAX", "DE-FRA", "GB-CVT", "JP-TYO", "AU-SYD"} <= set(sites)
    assert sites["JP-TYO"]["existing"] is True and sites["JP-TYO"]["fixed_cost"] == "CNY 800000"
    # the example's GB-CVT is a warehouse: its costs are kept, and it exists
    assert sites["GB-CVT"]["existing"] is True and sites["GB-CVT"]["fixed_cost"] == "CNY 700000"
    assert "existing" not in sites["US-NJ"]
    assert row.source == "platform_orders" and row.summary["orders"] == 5
    assert row.summary["unlocated_units"] == 5
    assert [v["name"] for v in plan.result["variants"]][:2] == ["current", "optimum"]


@pytest.mark.parametrize(
    ("platform", "field"),
    [
        pytest.param({"days": 0}, "platform.days", id="no-days"),
        pytest.param({"days": 731}, "platform.days", id="too-many-days"),
        pytest.param({"days": "90"}, "platform.days", id="days-as-text"),
        pytest.param({"days": 30, "colour": "red"}, "platform.colour", id="unknown-key"),
    ],
)
def test_bad_platform_options_are_named(unit, world, platform, field):
    with pytest.raises(ValidationFailed) as error, unit(world["logistics"]) as ctx:
        platform_mapping(ctx, {"name": "x"}, platform)
    assert error.value.errors[0].field == field


def test_a_window_without_orders_is_refused_by_name(unit, world):
    with pytest.raises(ValidationFailed) as error, unit(world["logistics"]) as ctx:
        platform_mapping(ctx, {"name": "x"}, {"days": 30})
    assert error.value.errors[0].field == "platform.days"
    assert "no order" in error.value.errors[0].message


def test_over_http_a_platform_scenario_reports_the_unlocatable(client, unit, shop):
    _buy(unit, shop)
    api = client("logistics")
    body = {
        "source": "platform_orders",
        "mapping": {"name": "last month"},
        "platform": {"days": 30},
    }
    made = api.post("/network/scenarios", json=body)
    assert made.status_code == 201, made.text
    summary = made.json()["summary"]
    assert (summary["orders"], summary["units_in_window"], summary["points"]) == (5, 13, 3)
    assert summary["unlocated"] == [
        {"country": "DE", "city": "Nirgendwo-am-See", "orders": 1, "units": 5}
    ]
    plan = api.post(f"/network/scenarios/{made.json()['id']}/plans", json={"k_max": 1})
    assert plan.status_code == 201, plan.text


def test_in_the_console_a_planner_solves_the_last_days_of_orders(console, unit, shop):
    _buy(unit, shop)
    page = console("logistics")
    page.get_by_role("link", name="Warehouse network").click()
    page.locator("input[value=platform_orders]").check()
    page.locator("input[name=days]").fill("30")
    page.locator("input[name=k_max]").fill("2")
    page.get_by_role("button", name="Solve").click()
    assert "/network/plans/" in page.url, page.locator(".flash").all_inner_texts()
    text = page.get_by_test_id("platform-demand").inner_text()
    assert "5 orders (13 units) over the last 30 days" in text
    assert "Nirgendwo-am-See (DE, 1 orders, 5 units)" in text
    network_map = page.get_by_test_id("network-map")
    assert network_map.locator("circle.demand").count() == 3


def test_the_volume_can_come_from_the_latest_forecast(unit, world, shop):
    import pandas as pd

    from chuhai.demand import forecasting

    _buy(unit, shop)
    with pytest.raises(ValidationFailed) as none_yet, unit(world["logistics"]) as ctx:
        platform_mapping(ctx, {"name": "x"}, {"days": 365, "forecast": True})
    assert none_yet.value.errors[0].field == "platform.forecast"
    with pytest.raises(ValidationFailed) as not_bool, unit(world["logistics"]) as ctx:
        platform_mapping(ctx, {"name": "x"}, {"days": 365, "forecast": "yes"})
    assert not_bool.value.errors[0].field == "platform.forecast"
    days = pd.date_range("2030-01-01", periods=10, freq="D")
    frame = pd.DataFrame(
        {"unique_id": f"{shop.mug_white}@DE", "ds": days, "mean": 0.1,
         "lo-80": 0.0, "hi-80": 0.2, "lo-95": 0.0, "hi-95": 0.3}
    )  # fmt: skip
    with unit(world["logistics"]) as ctx:
        forecasting.store(ctx, frame, "given", 10)
    with unit(world["logistics"]) as ctx:
        mapping, summary = platform_mapping(ctx, {"name": "x"}, {"days": 365, "forecast": True})
    units = sorted((p["market"], p["units_per_year"]) for p in mapping["demand"]["points"])
    # Germany: 0.1 a day is 36.5 a year, shared as the orders were (Berlin 3, Munich 4 of 7);
    # the forecast has no US series: the US keeps its orders' volume
    assert units == [("DE", 16), ("DE", 21), ("US", 1)]
    assert summary["forecast"]["factors"] == {"DE": "5.21"}
    assert summary["forecast"]["orders_volume"] == ["US"]
