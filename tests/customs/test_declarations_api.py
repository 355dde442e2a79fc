"""Export declarations over real HTTP: create with an Idempotency-Key, submit, the authority's
answers, documents as PDF and JSON, rebates, consolidation; bad input answered with
problem+json naming the field, and nothing written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chuhai.customs.declarations import period_of

from declaration_examples import parcel_body, warehouse_body


def _problem(response, status: int, field: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    if field is not None:
        assert body["field"] == field, body
    return body


def _created(api, body: dict) -> dict:  # type: ignore[no-untyped-def]
    response = api.post("/customs/declarations", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _total(api) -> int:  # type: ignore[no-untyped-def]
    return int(api.get("/customs/declarations").json()["total"])


def test_a_parcel_is_created_once_per_idempotency_key_then_filed_and_cleared(client):
    api = client("customs")
    headers = {"Idempotency-Key": "parcel-SO-1001"}
    first = api.post("/customs/declarations", json=parcel_body(), headers=headers)
    again = api.post("/customs/declarations", json=parcel_body(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    created = first.json()
    assert again.json()["id"] == created["id"]
    assert _total(api) == 1
    other = api.post("/customs/declarations", json=parcel_body("SO-1002"), headers=headers)
    _problem(other, 422, "Idempotency-Key")

    assert (created["state"], created["mode"], created["kind"]) == ("draft", "9610", "parcel")
    assert created["total_value"] == {"amount": "34.48", "currency": "USD"}
    assert [(x["hs_code"], x["quantity"], x["value"]["amount"]) for x in created["lines"]] == [
        ("691200", 2, "25.98"),
        ("420222", 1, "8.50"),
    ]
    assert all(check["ok"] for check in created["matching"])
    assert created["documents"]["order"]["buyer_name"] == "Emily Carter"
    assert "123-45-6789" not in str(created) and "_hash" not in str(created)  # kept, not shown
    assert created["actions"] == ["submit", "cancel", "edit"]

    filed = api.post(f"/customs/declarations/{created['id']}/submit", json={"note": "first"})
    assert filed.status_code == 200, filed.text
    cleared = filed.json()
    assert cleared["state"] == "cleared"
    assert len(cleared["authority_reference"]) == 18
    assert [(r["attempt"], r["outcome"]) for r in cleared["responses"]] == [(1, "cleared")]
    moves = api.get(f"/customs/declarations/{created['id']}/transitions").json()
    assert [(m["action"], m["to_state"], m["actor_name"]) for m in moves] == [
        ("create", "draft", "Customs"),
        ("submit", "submitted", "Customs"),
        ("clear", "cleared", "Customs authority (sandbox)"),
    ]

    twice = api.post(f"/customs/declarations/{created['id']}/submit", json={})
    problem = _problem(twice, 409)
    assert problem["current_state"] == "cleared"
    assert problem["detail"] == "cannot submit a declaration that is cleared"


def test_a_three_document_mismatch_is_a_422_naming_each_field_with_nothing_written(client):
    api = client("customs")
    body = parcel_body()
    body["payment"]["amount"] = "30.00"
    body["logistics"]["consignee_name"] = "John Smith"
    problem = _problem(api.post("/customs/declarations", json=body), 422, "payment.amount")
    assert [(e["field"], e["message"]) for e in problem["errors"]] == [
        ("payment.amount", "paid 30.00 USD, the order total is 34.48 USD"),
        ("logistics.consignee_name", "the consignee 'John Smith' is not the buyer 'Emily Carter'"),
    ]
    assert _total(api) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param(
            lambda b: b["lines"][0].update(hs_code="999999"),
            "lines[0].hs_code",
            id="no such HS code",
        ),
        pytest.param(
            lambda b: b.update(total_value="3300.00"), "total_value", id="lines do not add up"
        ),
        pytest.param(lambda b: b.update(mode="9999"), "mode", id="unknown mode"),
        pytest.param(
            lambda b: b["lines"][0].update(quantity=0), "lines[0].quantity", id="zero quantity"
        ),
        pytest.param(
            lambda b: b["lines"][0].update(currency="GBP"), "lines[0].currency", id="other currency"
        ),
        pytest.param(lambda b: b.update(exporter=None), "exporter", id="no exporter"),
        pytest.param(
            lambda b: b["lines"][0].update(unit_price=3.2), "lines.0.unit_price", id="float money"
        ),
        pytest.param(lambda b: b.update(colour="red"), "colour", id="unknown field"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_with_nothing_written(client, change, field):
    api = client("customs")
    body = warehouse_body()
    change(body)
    _problem(api.post("/customs/declarations", json=body), 422, field)
    assert _total(api) == 0


def test_operators_read_and_only_customs_staff_declare(client):
    _problem(client("merchandiser").post("/customs/declarations", json=warehouse_body()), 403)
    _created(client("customs"), warehouse_body())
    assert _total(client("finance")) == 1
    _problem(client("supplier_a").get("/customs/declarations"), 403)
    _problem(client().get("/customs/declarations"), 401)


def test_the_documents_come_as_pdf_and_json(client):
    api = client("customs")
    created = _created(api, warehouse_body())
    base = f"/customs/declarations/{created['id']}/documents"
    pdf = api.get(f"{base}/commercial-invoice.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and f"CI-{created['number']}".encode() in pdf.content
    assert f'filename="CI-{created["number"]}.pdf"' in pdf.headers["content-disposition"]
    invoice = api.get(f"{base}/commercial-invoice.json").json()
    assert (invoice["invoice_no"], invoice["total"], invoice["currency"]) == (
        f"CI-{created['number']}",
        "3200.00",
        "EUR",
    )
    packing = api.get(f"{base}/packing-list.json").json()
    assert (packing["packages"], packing["net_weight_kg"], packing["gross_weight_kg"]) == (
        10,
        "200.000",
        "230.000",
    )
    assert created["document_urls"]["packing-list.pdf"] == f"/api/v1{base}/packing-list.pdf"
    _problem(api.get(f"{base}/bill-of-lading.pdf"), 404, "document")


def test_a_held_consignment_is_resubmitted_and_its_rebate_estimated(client):
    api = client("customs")
    body = warehouse_body()
    body["lines"][0].update(quantity=2000, purchase_value_cny="22600.00")  # 6,400.00 EUR
    created = _created(api, body)
    held = api.post(f"/customs/declarations/{created['id']}/submit", json={}).json()
    assert held["state"] == "held"
    assert [(r["field"], r["code"]) for r in held["responses"][0]["reasons"]] == [
        ("total_value", "inspection")
    ]
    assert held["actions"] == ["resubmit", "cancel"]
    _problem(api.post(f"/customs/declarations/{created['id']}/resubmit", json={}), 422, "response")
    cleared = api.post(
        f"/customs/declarations/{created['id']}/resubmit",
        json={"response": "inspected: 2,000 tote bags as declared"},
    ).json()
    assert cleared["state"] == "cleared"
    rebate = api.get(f"/customs/declarations/{created['id']}/rebate").json()
    assert rebate["total"] == {"amount": "2600.00", "currency": "CNY"}  # 22,600.00 ÷ 1.13 × 13%
    assert (rebate["eligible"], rebate["vat_rate"], rebate["lines"][0]["rate"]) == (
        True,
        "0.13",
        "0.13",
    )


def test_declarations_are_listed_by_mode_and_state(client):
    api = client("customs")
    parcel = _created(api, parcel_body())
    _created(api, warehouse_body())
    api.post(f"/customs/declarations/{parcel['id']}/submit", json={})
    by_mode = api.get("/customs/declarations", params={"mode": "9810"}).json()
    assert [d["mode"] for d in by_mode["items"]] == ["9810"]
    cleared = api.get("/customs/declarations", params={"state": "cleared"}).json()
    assert [d["id"] for d in cleared["items"]] == [parcel["id"]]
    _problem(api.get("/customs/declarations", params={"mode": "0110"}), 422, "mode")


def test_cleared_parcels_of_a_month_are_consolidated(client):
    api = client("customs")
    ids = []
    for order_no in ("SO-3001", "SO-3002"):
        parcel = _created(api, parcel_body(order_no))
        assert (
            api.post(f"/customs/declarations/{parcel['id']}/submit", json={}).json()["state"]
            == "cleared"
        )
        ids.append(parcel["id"])
    period = period_of(datetime.now(UTC))
    eligible = api.get("/customs/eligible-parcels", params={"period": period}).json()
    assert sorted(p["id"] for p in eligible) == sorted(ids)
    headers = {"Idempotency-Key": f"consolidate-{period}"}
    made = api.post(
        "/customs/consolidations", json={"period": period, "parcel_ids": ids}, headers=headers
    )
    assert made.status_code == 201, made.text
    consolidated = made.json()
    assert (
        consolidated["kind"],
        consolidated["period"],
        consolidated["total_value"]["amount"],
    ) == (
        "consolidated",
        period,
        "68.96",
    )
    assert [(x["hs_code"], x["quantity"]) for x in consolidated["lines"]] == [
        ("691200", 4),
        ("420222", 2),
    ]
    assert sorted(p["id"] for p in consolidated["parcels"]) == sorted(ids)
    replay = api.post(
        "/customs/consolidations", json={"period": period, "parcel_ids": ids}, headers=headers
    )
    assert replay.json()["id"] == consolidated["id"]
    again = api.post("/customs/consolidations", json={"period": period, "parcel_ids": ids[:1]})
    _problem(again, 422, "parcels[0]")
    other = api.post("/customs/consolidations", json={"period": "2025-01", "parcel_ids": ids[:1]})
    assert "not in 2025-01" in _problem(other, 422, "parcels[0]")["detail"]


def test_rebate_rates_are_listed_and_added_once(client):
    api = client("customs")
    rates = api.get(
        "/customs/rebate-rates", params={"hs_code": "850760", "on": "2025-01-01"}
    ).json()
    assert [(r["id"], r["rate"]) for r in rates] == [
        ("CN-REBATE-85-2019", "0.13"),
        ("CN-REBATE-8507-2024", "0.09"),
    ]
    body = {
        "hs_prefix": "950300",
        "rate": "0.13",
        "effective_from": "2026-01-01",
        "description": "Toys (operator's entry)",
        "source": "STA export rebate rate library, looked up 2026-01-05",
    }
    headers = {"Idempotency-Key": "toys-2026"}
    first = api.post("/customs/rebate-rates", json=body, headers=headers)
    again = api.post("/customs/rebate-rates", json=body, headers=headers)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    _problem(api.post("/customs/rebate-rates", json=body), 409, "effective_from")
    _problem(api.post("/customs/rebate-rates", json={**body, "rate": "13"}), 422, "rate")
