"""Warehouse-network design over real HTTP: save the example scenario, solve it into a
stored plan with a short k-site curve and a what-if, review the change list, apply it once;
a stale fingerprint and a second apply are 409s; each bad input is a 422 naming its field;
only logistics and admin may read, plan and apply."""

from __future__ import annotations

from typing import Any

import pytest

from chuhai.inventory import warehouses

SMALL = {
    "name": "small",
    "demand": {
        "points": [
            {"id": "NYC", "market": "US", "country": "US", "lat": 40.7, "lon": -74.0,
             "units_per_year": 1000, "weight": "0.5 kg", "volume": "0.002 m3"},
            {"id": "BER", "market": "DE", "country": "DE", "lat": 52.5, "lon": 13.4,
             "units_per_year": 800, "weight": "0.5 kg", "volume": "0.002 m3"},
        ]
    },
    "sites": [
        {"id": "US-NJ", "country": "US", "lat": 40.74, "lon": -74.17, "fixed_cost": "CNY 1000",
         "capacity": "5000 units", "storage": "100 m3", "handling": "CNY 2.00"},
        {"id": "DE-FRA", "country": "DE", "lat": 50.11, "lon": 8.68, "fixed_cost": "CNY 1000",
         "capacity": "5000 units", "storage": "100 m3", "handling": "CNY 2.00"},
    ],
}  # fmt: skip


def _problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if field is not None:
        assert body["field"] == field, body
    return body


def _with(**changes: Any) -> dict[str, Any]:
    return {**SMALL, **changes}


def _site(**changes: Any) -> dict[str, Any]:
    return {**SMALL["sites"][0], **changes}  # type: ignore[index]


def test_logistics_saves_solves_reviews_and_applies_a_plan_once(client, unit, world):
    api = client("logistics")
    key = {"Idempotency-Key": "network-example-1"}
    made = api.post("/network/scenarios", json={"source": "example"}, headers=key)
    assert made.status_code == 201, made.text
    scenario = made.json()
    assert scenario["name"] == "europe-and-us-example" and scenario["source"] == "example"
    assert scenario["summary"]["sites"] == 5 and scenario["summary"]["points"] == 40
    again = api.post("/network/scenarios", json={"source": "example"}, headers=key)
    assert again.json()["id"] == scenario["id"]
    assert api.get("/network/scenarios").json()["total"] == 1
    assert api.get(f"/network/scenarios/{scenario['id']}").json()["mapping"]["name"] == (
        "europe-and-us-example"
    )

    body = {"time_limit_s": 5, "k_max": 2, "what_ifs": ["market:US:demand:+30%"]}
    solved = api.post(f"/network/scenarios/{scenario['id']}/plans", json=body)
    assert solved.status_code == 201, solved.text
    plan = solved.json()
    assert plan["status"] == "optimal" and plan["options"]["k_max"] == 2
    assert [point["k"] for point in plan["result"]["curve"]] == [1, 2]
    names = [variant["name"] for variant in plan["result"]["variants"]]
    assert names == ["current", "optimum", "market:US:demand:+30%"]
    assert plan["total_fen"] == plan["result"]["plan"]["costs"]["total"] > 0
    assert plan["applied_at"] is None and len(plan["fingerprint"]) == 16

    listed = api.get("/network/plans", params={"scenario_id": scenario["id"]}).json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]]
    assert api.get(f"/network/plans/{plan['id']}").json()["result"] == plan["result"]
    review = api.get(f"/network/plans/{plan['id']}/changes").json()
    assert review["fingerprint"] == plan["fingerprint"]
    assert ("create", "US-NJ") in {(c["action"], c["warehouse_id"]) for c in review["changes"]}

    applied = api.post(
        f"/network/plans/{plan['id']}/apply", json={"fingerprint": review["fingerprint"]}
    )
    assert applied.status_code == 200, applied.text
    assert applied.json()["applied_by_name"] == "Logistics"
    assert len(applied.json()["applied_changes"]) == len(review["changes"])
    with unit(world["logistics"]) as ctx:
        assert warehouses.get_warehouse(ctx, "US-NJ").markets == ["US"]
    twice = api.post(f"/network/plans/{plan['id']}/apply", json={"fingerprint": "x"})
    assert "applied once" in _problem(twice, 409, "plan_id")["detail"]


def test_a_stale_fingerprint_is_a_409_naming_what_changed(client, unit, world):
    api = client("admin")
    scenario = api.post("/network/scenarios", json={"source": "example"}).json()
    plan = api.post(f"/network/scenarios/{scenario['id']}/plans", json={"k_max": 1}).json()
    with unit(world["logistics"]) as ctx:  # someone changes a warehouse after the review
        warehouses.update_warehouse(ctx, "GB-CVT", {"active": False})
    stale = api.post(
        f"/network/plans/{plan['id']}/apply", json={"fingerprint": plan["fingerprint"]}
    )
    detail = _problem(stale, 409, "fingerprint")["detail"]
    assert "review it again" in detail and "GB-CVT" in detail
    after = api.get(f"/network/plans/{plan['id']}").json()
    assert after["applied_at"] is None
    with unit(world["logistics"]) as ctx:
        assert "US-NJ" not in {w.id for w in warehouses.list_warehouses(ctx, kind="overseas")}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"mapping": _with(colour="red")}, "mapping.colour", id="unknown-key"),
        pytest.param(
            {"mapping": _with(options={"max_sites": 1, "speed": 2})},
            "mapping.options.speed",
            id="unknown-option",
        ),
        pytest.param(
            {"mapping": _with(sites=[_site(storage="100 kg")])},
            "mapping.sites[0].storage",
            id="wrong-unit",
        ),
        pytest.param(
            {"mapping": _with(sites=[_site(fixed_cost=1000)])},
            "mapping.sites[0].fixed_cost",
            id="money-without-currency",
        ),
        pytest.param(
            {"mapping": _with(sites=[_site(fixed_cost="USD 10")])},
            "mapping.sites[0].fixed_cost",
            id="not-cny",
        ),
        pytest.param(
            {"mapping": _with(demand={"csv": "/etc/passwd"})}, "mapping.demand.csv", id="csv"
        ),
        pytest.param(
            {"mapping": _with(options={"direct_mail": False}, sites=[_site()])},
            "mapping.demand[BER]",
            id="a-point-nothing-reaches",
        ),
        pytest.param(
            {"mapping": _with(sites=[_site(lat=95.0)])},
            "mapping.sites[US-NJ].lat",
            id="latitude-out-of-range",
        ),
        pytest.param(
            {"mapping": _with(sites=[_site(fixed_cost="CNY -5")])},
            "mapping.sites[US-NJ].fixed_cost",
            id="negative-cost",
        ),
        pytest.param({"source": "upload"}, "mapping", id="no-mapping"),
        pytest.param({"source": "example", "mapping": SMALL}, "mapping", id="example-and-mapping"),
        pytest.param({"source": "orders", "mapping": SMALL}, "source", id="unknown-source"),
        pytest.param({"mapping": SMALL, "colour": "red"}, "colour", id="unknown-body-key"),
        pytest.param(
            {"mapping": SMALL, "platform": {"days": 30}}, "platform", id="platform-for-upload"
        ),
        pytest.param(
            {"source": "platform_orders", "mapping": {"name": "p"}, "platform": {"days": 30}},
            "platform.days",
            id="no-orders-in-the-window",
        ),
        pytest.param(
            {"source": "platform_orders", "mapping": {"name": "p"}, "platform": {"days": 0}},
            "platform.days",
            id="platform-days-zero",
        ),
        pytest.param(
            {"source": "platform_orders", "mapping": {"name": "p"}, "platform": {"hue": 1}},
            "platform.hue",
            id="platform-unknown-key",
        ),
        pytest.param(
            {"source": "platform_orders", "mapping": SMALL},
            "mapping.demand",
            id="platform-with-demand",
        ),
        pytest.param({"source": "platform_orders"}, "mapping", id="platform-without-name"),
    ],
)
def test_a_bad_scenario_is_a_422_naming_the_field(client, body, field):
    api = client("logistics")
    _problem(api.post("/network/scenarios", json=body), 422, field)
    assert api.get("/network/scenarios").json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"time_limit_s": 0.5}, "time_limit_s", id="time-limit-too-short"),
        pytest.param({"time_limit_s": 31}, "time_limit_s", id="time-limit-too-long"),
        pytest.param({"k_max": 0}, "k_max", id="k-max-zero"),
        pytest.param({"k_max": 3}, "k_max", id="k-max-beyond-the-sites"),
        pytest.param({"what_ifs": ["market:XX:demand:+30%"]}, None, id="what-if-unknown-market"),
        pytest.param({"what_ifs": ["site:US-NJ:colour:x2"]}, None, id="what-if-bad-quantity"),
        pytest.param({"what_ifs": ["x"] * 11}, "what_ifs", id="too-many-what-ifs"),
    ],
)
def test_a_bad_solve_option_is_a_422_and_stores_nothing(client, body, field):
    api = client("logistics")
    scenario = api.post("/network/scenarios", json={"mapping": SMALL}).json()
    refused = _problem(api.post(f"/network/scenarios/{scenario['id']}/plans", json=body), 422)
    if field is None:
        assert refused["field"].startswith("what_if '")
    else:
        assert refused["field"] == field
    assert api.get("/network/plans").json()["total"] == 0


def test_the_small_scenario_solves_and_unknown_ids_are_404(client):
    api = client("logistics")
    scenario = api.post("/network/scenarios", json={"mapping": SMALL}).json()
    assert scenario["summary"]["markets"] == ["DE", "US"]
    plan = api.post(f"/network/scenarios/{scenario['id']}/plans", json={"time_limit_s": 2})
    assert plan.status_code == 201, plan.text
    assert "current" not in [v["name"] for v in plan.json()["result"]["variants"]]
    _problem(api.get("/network/scenarios/nsc_nope"), 404, "scenario_id")
    _problem(api.post("/network/scenarios/nsc_nope/plans", json={}), 404, "scenario_id")
    _problem(api.get("/network/plans/npl_nope"), 404, "plan_id")
    _problem(api.post("/network/plans/npl_nope/apply", json={"fingerprint": "x"}), 404, "plan_id")
    _problem(
        api.post(f"/network/plans/{plan.json()['id']}/apply", json={"fingerprint": "x" * 17}),
        422,
        "fingerprint",
    )
    _problem(api.get("/network/plans", params={"limit": 0}), 422, "limit")


def test_a_plan_without_a_solution_is_stored_but_cannot_be_applied(client):
    api = client("logistics")
    only_nyc = {"points": [SMALL["demand"]["points"][0]]}  # type: ignore[index]
    mapping = _with(
        options={"direct_mail": False}, demand=only_nyc, sites=[_site(capacity="10 units")]
    )
    scenario = api.post("/network/scenarios", json={"mapping": mapping}).json()
    plan = api.post(f"/network/scenarios/{scenario['id']}/plans", json={"time_limit_s": 1})
    assert plan.status_code == 201, plan.text
    assert plan.json()["status"] == "infeasible" and plan.json()["fingerprint"] is None
    url = f"/network/plans/{plan.json()['id']}"
    _problem(api.get(f"{url}/changes"), 422, "plan_id")
    _problem(api.post(f"{url}/apply", json={"fingerprint": "x"}), 422, "plan_id")


@pytest.mark.parametrize("who", ["finance", "merchandiser", "supplier_a"])
def test_only_logistics_and_admin_reach_the_network(client, who):
    api = client(who)
    _problem(api.get("/network/scenarios"), 403)
    _problem(api.get("/network/plans"), 403)
    _problem(api.post("/network/scenarios", json={"source": "example"}), 403)


def test_without_a_token_the_network_answers_401(client):
    _problem(client().get("/network/plans"), 401)
