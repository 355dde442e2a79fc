"""B2B credit over HTTP: finance registers a buyer, a Sinosure policy and a limit; an invoice
beyond the limit is held and approved; payments and claims answer problem+json naming the
field when refused; creates are idempotent; other roles are refused."""

from __future__ import annotations

from datetime import date, timedelta


def _setup(finance) -> tuple[str, str]:
    buyer = finance.post(
        "/credit/buyers",
        json={
            "name": "Acme Imports LLC",
            "country_code": "US",
            "registration_id": "US-EIN-12-3456789",
            "currency": "USD",
            "contact_email": "ap@acme.example",
        },
        headers={"Idempotency-Key": "buyer-1"},
    )
    assert buyer.status_code == 201, buyer.text
    today = date.today()
    policy = finance.post(
        "/credit/policies",
        json={
            "insurer": "Sinosure",
            "policy_number": "SINO-2026-001",
            "insured_percent": "90",
            "max_credit_days": 90,
            "waiting_days": 0,
            "valid_from": (today - timedelta(days=400)).isoformat(),
            "valid_to": (today + timedelta(days=400)).isoformat(),
        },
        headers={"Idempotency-Key": "policy-1"},
    )
    assert policy.status_code == 201, policy.text
    assert policy.json()["insured_percent"] == "90.00"
    limit = finance.post(
        f"/credit/policies/{policy.json()['id']}/limits",
        json={"buyer_id": buyer.json()["id"], "amount": "150000.00", "currency": "USD"},
        headers={"Idempotency-Key": "limit-1"},
    )
    assert limit.status_code == 201, limit.text
    return buyer.json()["id"], policy.json()["id"]


def _invoice(finance, buyer_id: str, price: str, key: str, **changes) -> dict:
    body = {
        "buyer_id": buyer_id,
        "lines": [{"sku_code": "MUG-350-WHT", "quantity": 1000, "unit_price": price}],
        "terms_days": 60,
        **changes,
    }
    response = finance.post("/credit/invoices", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


def test_finance_holds_approves_is_paid_and_claims(client):
    finance = client("finance")
    buyer_id, _ = _setup(finance)
    first = _invoice(finance, buyer_id, "100.00", "inv-1", contract_no="AC-2026-17")
    assert first["state"] == "issued" and first["total"]["amount"] == "100000.00"
    assert first["contract_no"] == "AC-2026-17"
    replay = finance.post(
        "/credit/invoices",
        json={
            "buyer_id": buyer_id,
            "lines": [{"sku_code": "MUG-350-WHT", "quantity": 1000, "unit_price": "100.00"}],
            "terms_days": 60,
            "contract_no": "AC-2026-17",
        },
        headers={"Idempotency-Key": "inv-1"},
    )
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["id"] == first["id"]

    held = _invoice(finance, buyer_id, "82.00", "inv-2")
    assert held["state"] == "held"
    assert held["hold_reason"] == (
        "exposure 182,000.00 USD would exceed the limit 150,000.00 USD by 32,000.00 USD"
    )
    [position] = finance.get("/credit/buyers").json()
    assert position["exposure"]["amount"] == "100000.00"
    assert position["headroom"]["amount"] == "50000.00"
    no_reason = finance.post(f"/credit/invoices/{held['id']}/approve", json={"reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    approved = finance.post(f"/credit/invoices/{held['id']}/approve", json={"reason": "ok"})
    assert approved.status_code == 200, approved.text
    assert [h["to_state"] for h in approved.json()["history"]] == ["held", "issued"]
    again = finance.post(f"/credit/invoices/{held['id']}/approve", json={"reason": "ok"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["current_state"] == "issued"

    too_much = finance.post(
        f"/credit/invoices/{first['id']}/payments",
        json={"amount": "100000.01", "currency": "USD"},
    )
    assert too_much.status_code == 422 and too_much.json()["field"] == "amount"
    wrong = finance.post(
        f"/credit/invoices/{first['id']}/payments", json={"amount": "10.00", "currency": "EUR"}
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "currency"
    paid = finance.post(
        f"/credit/invoices/{first['id']}/payments",
        json={"amount": "100000.00", "currency": "USD"},
        headers={"Idempotency-Key": "pay-1"},
    )
    assert paid.status_code == 201, paid.text
    assert finance.get(f"/credit/invoices/{first['id']}").json()["state"] == "paid"

    not_overdue = finance.post(f"/credit/invoices/{held['id']}/claim", json={})
    assert not_overdue.status_code == 409 and not_overdue.json()["current_state"] == "issued"

    late = _invoice(
        finance,
        buyer_id,
        "10.00",
        "inv-3",
        issued_on=(date.today() - timedelta(days=90)).isoformat(),
    )
    marked = finance.post("/credit/invoices/mark-overdue").json()
    assert [i["id"] for i in marked] == [late["id"]]
    assert [i["id"] for i in finance.get("/credit/invoices/overdue").json()] == [late["id"]]
    claimed = finance.post(f"/credit/invoices/{late['id']}/claim", json={"reason": "insolvent"})
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["insured_claim"] == {"amount": "9000.00", "currency": "USD"}
    assert claimed.json()["credit_loss"] == {"amount": "1000.00", "currency": "USD"}
    second = finance.post(f"/credit/invoices/{late['id']}/claim", json={})
    assert second.status_code == 409 and second.json()["current_state"] == "claimed"
    settled = finance.post(f"/credit/invoices/{late['id']}/claim-paid", json={})
    assert settled.json()["state"] == "claim_paid"


def test_bad_input_answers_problem_json_naming_the_field(client):
    finance = client("finance")
    buyer_id, policy_id = _setup(finance)
    bad_buyer = finance.post(
        "/credit/buyers",
        json={
            "name": "X",
            "country_code": "CH",
            "registration_id": "CH-1",
            "currency": "CHF",
            "contact_email": "x@x.example",
        },
    )
    assert bad_buyer.status_code == 422 and bad_buyer.json()["field"] == "currency"
    bad_policy = finance.post(
        "/credit/policies",
        json={
            "insurer": "Sinosure",
            "policy_number": "P-2",
            "insured_percent": "90.555",
            "max_credit_days": 90,
            "waiting_days": 30,
            "valid_from": "2026-12-31",
            "valid_to": "2026-01-01",
        },
    )
    assert bad_policy.status_code == 422
    fields = {e["field"] for e in bad_policy.json()["errors"]}
    assert fields == {"insured_percent", "valid_to"}
    bad_limit = finance.post(
        f"/credit/policies/{policy_id}/limits",
        json={"buyer_id": buyer_id, "amount": "0", "currency": "USD"},
    )
    assert bad_limit.status_code == 422 and bad_limit.json()["field"] == "amount"
    beyond = finance.post(
        "/credit/invoices",
        json={
            "buyer_id": buyer_id,
            "lines": [{"sku_code": "A", "quantity": 1, "unit_price": "1.00"}],
            "terms_days": 120,
        },
    )
    assert beyond.status_code == 422 and beyond.json()["field"] == "terms_days"
    decimals = finance.post(
        "/credit/invoices",
        json={
            "buyer_id": buyer_id,
            "lines": [{"sku_code": "A", "quantity": 1, "unit_price": "1.001"}],
            "terms_days": 30,
        },
    )
    assert decimals.status_code == 422 and decimals.json()["field"] == "lines[0].unit_price"
    empty = finance.post(
        "/credit/invoices", json={"buyer_id": buyer_id, "lines": [], "terms_days": 30}
    )
    assert empty.status_code == 422 and empty.json()["field"] == "lines"
    assert finance.get("/credit/invoices").json() == []
    assert finance.get("/credit/invoices/inv_nothing").status_code == 404


def test_only_finance_manages_and_reads_credit(client):
    assert client("merchandiser").get("/credit/buyers").status_code == 403
    assert client("supplier_a").get("/credit/invoices").status_code == 403
    assert client("admin").get("/credit/invoices").status_code == 200
    assert client().get("/credit/invoices").status_code == 401
