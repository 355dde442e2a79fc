"""Sourcing over HTTP: the loop from brief to received production order, idempotent creates,
problem+json for bad input naming the field, 409 naming the state, 404 across tenants."""

from __future__ import annotations

import httpx
import pytest

from chuhai.parties import service as parties

from sourcing_world import factory_skus, rates_for_today, studios

BRIEF = {
    "title": "Stackable stoneware mugs",
    "category_code": "home.kitchen",
    "markets": ["US"],
    "price_bands": {"US": {"low": "19.99", "high": "39.99"}},
    "volume": 1000,
    "volume_low": 600,
    "volume_high": 1400,
    "keywords": ["stackable mug"],
    "weight_g": 400,
    "length_mm": 120,
    "width_mm": 90,
    "height_mm": 100,
}
DESIGN = {
    "title": "Nesting mug",
    "specification": "350 ml stoneware, nests four high.",
    "bom": [{"material": "clay", "quantity": "0.45", "unit": "kg", "unit_cost": "6.00"}],
    "target_cost": "14.00",
}


@pytest.fixture
def api(client, unit, world, live_server):
    """Clients for the merchandiser, logistics, both suppliers and two studios."""
    rates_for_today(unit, world)
    factory_skus(unit, world, "supplier_a", "MUG-A", "12.00", moq=100)
    crew = studios(unit, world)
    clients = {
        name: client(name) for name in ("merchandiser", "logistics", "supplier_a", "supplier_b")
    }
    for name, actor in (("studio_a", crew.studio_a), ("studio_b", crew.studio_b)):
        with unit(actor) as ctx:
            _, secret = parties.create_token(ctx, "tests")
        clients[name] = httpx.Client(
            base_url=live_server + "/api/v1",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
    yield clients
    clients["studio_a"].close()
    clients["studio_b"].close()


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def test_the_loop_from_a_brief_to_a_received_first_run(api, world):
    merch = api["merchandiser"]
    created = merch.post("/briefs", json=BRIEF, headers={"Idempotency-Key": "brief-1"})
    assert created.status_code == 201, created.text
    brief = created.json()
    again = merch.post("/briefs", json=BRIEF, headers={"Idempotency-Key": "brief-1"})
    assert again.json()["id"] == brief["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    band = brief["price_bands"]["US"]
    assert band["retail_high"] == {"amount": "39.99", "currency": "USD"}
    assert brief["supply_high"] == band["supply_high"] and brief["factory_note"] == ""
    assert api["studio_a"].get("/briefs").json()["total"] == 0  # a draft is not shown
    assert merch.post(f"/briefs/{brief['id']}/publish").json()["state"] == "published"

    design = api["studio_a"].post(
        f"/briefs/{brief['id']}/designs", json=DESIGN, headers={"Idempotency-Key": "d-1"}
    )
    assert design.status_code == 201, design.text
    design_id = design.json()["id"]
    assert design.json()["bom_cost"] == {"amount": "2.70", "currency": "CNY"}
    matches = merch.get(f"/designs/{design_id}/factories").json()
    assert [(m["code"], m["fits"]) for m in matches] == [("SUP-A", True)]
    accepted = merch.post(
        f"/designs/{design_id}/accept",
        json={"terms": "royalty", "royalty_percent": "3.5", "factories": [world.supplier_a]},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["royalty_percent"] == "3.50"
    product_id = accepted.json()["product_ids"][0]

    order = merch.post(
        "/production-orders",
        json={"product_id": product_id, "quantity": 150},
        headers={"Idempotency-Key": "po-1"},
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["id"]
    factory = api["supplier_a"]
    assert factory.get(f"/production-orders/{order_id}").json()["actions"] == ["accept", "decline"]
    for action in ("accept", "materials_in", "start", "qc", "ship"):
        step = factory.post(f"/production-orders/{order_id}/progress", json={"action": action})
        assert step.status_code == 200, step.text
    received = api["logistics"].post(f"/production-orders/{order_id}/receive", json={})
    assert received.json()["state"] == "received" and received.json()["received"] == 150
    through = merch.get(f"/sourcing/products/{product_id}/sell-through").json()
    assert (through["received"], through["sold"], through["decision"]) == (150, 0, "hold")
    proposal = merch.post(f"/sourcing/products/{product_id}/proposals").json()
    assert (proposal["decision"], proposal["state"]) == ("hold", "proposed")
    held = problem(merch.post(f"/sourcing/proposals/{proposal['id']}/approve", json={}), 409)
    assert "only a reorder can be approved" in held["detail"]
    no_reason = merch.post(f"/sourcing/proposals/{proposal['id']}/dismiss", json={"reason": ""})
    assert problem(no_reason, 422)["field"] == "reason"
    unknown = merch.post("/sourcing/proposals/spp_nope/dismiss", json={"reason": "x"})
    problem(unknown, 404)
    dismissed = merch.post(
        f"/sourcing/proposals/{proposal['id']}/dismiss", json={"reason": "too early to tell"}
    )
    assert dismissed.status_code == 200, dismissed.text
    assert (dismissed.json()["state"], dismissed.json()["decision_note"]) == (
        "dismissed",
        "too early to tell",
    )
    factory_try = api["supplier_a"].post(
        f"/sourcing/proposals/{proposal['id']}/approve", json={"quantity": "many"}
    )
    assert factory_try.status_code == 422  # the body is checked before anything else


def test_bad_input_answers_problem_json_naming_the_field(api):
    merch = api["merchandiser"]
    inverted = {**BRIEF, "price_bands": {"US": {"low": "39.99", "high": "19.99"}}}
    assert problem(merch.post("/briefs", json=inverted), 422)["field"] == "price_bands.US"
    brief_id = merch.post("/briefs", json=BRIEF).json()["id"]
    merch.post(f"/briefs/{brief_id}/publish")
    no_spec = {**DESIGN, "specification": ""}
    refused = api["studio_a"].post(f"/briefs/{brief_id}/designs", json=no_spec)
    assert problem(refused, 422)["field"] == "specification"
    no_bom = {**DESIGN, "bom": []}
    assert (
        problem(api["studio_a"].post(f"/briefs/{brief_id}/designs", json=no_bom), 422)["field"]
        == "bom"
    )
    twice = problem(merch.post(f"/briefs/{brief_id}/publish"), 409)
    assert twice["current_state"] == "published"
    assert "published" in twice["detail"]


def test_another_studio_s_design_and_another_factory_s_order_answer_404(api, world):
    merch = api["merchandiser"]
    brief_id = merch.post("/briefs", json=BRIEF).json()["id"]
    merch.post(f"/briefs/{brief_id}/publish")
    design_id = api["studio_a"].post(f"/briefs/{brief_id}/designs", json=DESIGN).json()["id"]
    assert problem(api["studio_b"].get(f"/designs/{design_id}"), 404)["field"] == "design_id"
    resubmit = api["studio_b"].post(f"/designs/{design_id}/resubmit", json=DESIGN)
    assert resubmit.status_code == 404
    assert api["studio_b"].get("/designs").json()["total"] == 0
    product_id = merch.post(
        f"/designs/{design_id}/accept",
        json={"terms": "fee", "fee": "2000", "factories": [world.supplier_a]},
    ).json()["product_ids"][0]
    order_id = merch.post(
        "/production-orders", json={"product_id": product_id, "quantity": 150}
    ).json()["id"]
    other = api["supplier_b"]
    assert other.get(f"/production-orders/{order_id}").status_code == 404
    moved = other.post(f"/production-orders/{order_id}/progress", json={"action": "accept"})
    assert moved.status_code == 404
    assert other.get("/production-orders").json()["total"] == 0
    over = merch.post(
        "/production-orders",
        json={"product_id": product_id, "quantity": 400, "override_reason": "launch"},
    )
    assert "declared capacity" in problem(over, 422)["detail"]
    early = api["logistics"].post(f"/production-orders/{order_id}/receive", json={})
    assert problem(early, 409)["current_state"] == "issued"
