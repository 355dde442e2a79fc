"""The console's Warehouse network page: logistics solves the packaged example with a
5-second limit, lands on the stored plan's page, reads the map, the costs, the curve and
current vs optimum, and applies the plan to the warehouses once; the plan is listed on the
network page to come back to; a bad upload or k_max shows the field errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chuhai.inventory import warehouses


def _solve_example(page: Any, what_ifs: str = "", k_max: str = "") -> None:
    page.get_by_role("link", name="Warehouse network").click()
    page.locator("input[name=time_limit]").fill("5")
    page.locator("input[name=k_max]").fill(k_max)
    page.locator("textarea[name=what_ifs]").fill(what_ifs)
    page.get_by_role("button", name="Solve").click()


def test_logistics_solves_the_example_and_applies_the_plan(console, unit, world):
    page = console("logistics")
    _solve_example(page, "market:US:demand:+30%")
    assert "/network/plans/npl_" in page.url
    plan_url = page.url.split("?")[0]
    network_map = page.get_by_test_id("network-map")
    assert network_map.locator("rect.site").count() == 5
    assert network_map.locator("rect.site.open").count() >= 1
    assert network_map.locator("circle.demand").count() == 40
    assert network_map.locator("line").count() >= 1
    assert network_map.locator("g.outlines path").count() > 20  # Natural Earth countries
    costs = page.get_by_test_id("costs").inner_text()
    assert "last mile" in costs and "total" in costs and "CN¥" in costs
    assert "proven optimal" in page.get_by_test_id("gap").inner_text()
    assert page.get_by_test_id("curve").locator("polyline").count() == 1
    assert page.get_by_test_id("curve-table").locator("tbody tr").count() == 5
    compared = page.get_by_test_id("compare").inner_text()
    assert "current" in compared and "optimum" in compared
    assert "market:US:demand:+30%" in compared
    service = page.get_by_test_id("service").inner_text()
    assert "DE" in service and "80%" in service

    changes = page.get_by_test_id("changes").inner_text()
    assert "create" in changes and "US-NJ" in changes
    page.get_by_role("button", name="Apply these").click()
    assert "Plan applied" in page.locator(".flash").first.inner_text()
    assert page.url.split("?")[0] == plan_url
    assert "US-NJ" in page.get_by_test_id("applied").inner_text()
    assert page.get_by_role("button", name="Apply these").count() == 0
    with unit(world["logistics"]) as ctx:
        assert warehouses.get_warehouse(ctx, "US-NJ").markets == ["US"]

    # the planner comes back to it from the network page
    page.get_by_role("link", name="Warehouse network").click()
    plans = page.get_by_test_id("plans")
    assert "europe-and-us-example" in plans.inner_text()
    plans.get_by_role("link").first.click()
    assert page.url.split("?")[0] == plan_url
    assert page.get_by_test_id("applied").count() == 1


def test_the_curve_stops_at_the_chosen_k_and_a_saved_scenario_solves_again(console):
    page = console("logistics")
    _solve_example(page, k_max="2")
    assert page.get_by_test_id("curve-table").locator("tbody tr").count() == 2
    assert "up to k=2" in page.get_by_test_id("plan-options").inner_text()
    page.get_by_role("link", name="Warehouse network").click()
    assert "europe-and-us-example" in page.get_by_test_id("scenarios").inner_text()
    page.locator("input[value=saved]").check()
    page.locator("input[name=k_max]").fill("1")
    page.get_by_role("button", name="Solve").click()
    assert page.get_by_test_id("curve-table").locator("tbody tr").count() == 1
    page.get_by_role("link", name="Warehouse network").click()
    assert page.get_by_test_id("plans").locator("tbody tr").count() == 2
    assert page.get_by_test_id("scenarios").locator("tbody tr").count() == 1


def test_a_k_max_beyond_the_candidate_sites_is_named(console):
    page = console("logistics")
    _solve_example(page, k_max="6")
    errors = page.get_by_test_id("field-errors").inner_text()
    assert "k_max" in errors and "1..5" in errors
    assert "No plan yet" in page.get_by_test_id("plans").inner_text()
    assert "No saved scenario" in page.get_by_test_id("scenarios").inner_text()


def test_a_stale_apply_is_refused_on_the_page(console, unit, world):
    page = console("admin")
    _solve_example(page)
    with unit(world["logistics"]) as ctx:  # someone changes a warehouse meanwhile
        warehouses.update_warehouse(ctx, "GB-CVT", {"active": False})
    page.get_by_role("button", name="Apply these").click()
    assert "review it again" in page.locator(".flash.error").first.inner_text()
    with unit(world["logistics"]) as ctx:
        ids = {row.id for row in warehouses.list_warehouses(ctx, kind="overseas")}
    assert "US-NJ" not in ids


def test_an_uploaded_scenario_with_a_bad_field_shows_the_field(console, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ndemand: {points: []}\nsites: []\noptions: {max_sites: 2, colour: red}\n",
        encoding="utf-8",
    )
    page = console("logistics")
    page.get_by_role("link", name="Warehouse network").click()
    page.locator("input[value=upload]").check()
    page.locator("input[name=scenario_file]").set_input_files(str(bad))
    page.get_by_role("button", name="Solve").click()
    errors = page.get_by_test_id("field-errors").inner_text()
    assert "options.colour" in errors and "unknown key" in errors


def test_a_bad_what_if_is_named_and_nothing_is_solved(console):
    page = console("logistics")
    _solve_example(page, "market:XX:demand:+30%")
    errors = page.get_by_test_id("field-errors").inner_text()
    assert "market:XX:demand:+30%" in errors and "no demand in market" in errors
    assert page.get_by_test_id("network-map").count() == 0
    assert "No saved scenario" in page.get_by_test_id("scenarios").inner_text()


def test_finance_does_not_see_the_page(console):
    page = console("finance")
    assert page.get_by_role("link", name="Warehouse network").count() == 0
    response = page.goto("/network")
    assert response is not None and response.status == 403
