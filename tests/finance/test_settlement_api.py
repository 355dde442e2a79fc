"""Settlement over HTTP: finance runs a week (idempotent), approves it and confirms the
payouts; the supplier reads its statement (CSV and PDF too), payouts and what is pending;
the refusals answer problem+json naming the field."""

from __future__ import annotations

from chuhai.core import events

CYCLE = "2099-W01"  # a week after every line the test posts


def _owe(unit, supplier_id: str, amount: int, order_id: str) -> None:
    with unit() as ctx:
        events.publish(
            ctx,
            "stock_up.received",
            order_id=order_id,
            supplier_id=supplier_id,
            warehouse_id="CN-GZ",
            currency="CNY",
            amount=amount,
            accepted=1,
        )


def test_finance_runs_approves_and_pays_a_week_the_supplier_sees_it(client, unit, world):
    _owe(unit, world.supplier_a, 123_456, "su_1")
    finance = client("finance")
    first = finance.post("/settlements", json={"cycle": CYCLE}, headers={"Idempotency-Key": "w1"})
    assert first.status_code == 201, first.text
    run = first.json()
    assert run["state"] == "draft"
    assert run["total_net"] == {"amount": "1234.56", "currency": "CNY"}
    again = finance.post("/settlements", json={"cycle": CYCLE})  # no key: the same run
    assert again.json()["id"] == run["id"]

    approved = finance.post(f"/settlements/{run['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["payouts"][0]["state"] == "sent"
    twice = finance.post(f"/settlements/{run['id']}/approve")
    assert twice.status_code == 409
    assert twice.headers["content-type"].startswith("application/problem+json")
    paid = finance.post(f"/settlements/{run['id']}/confirm-payouts").json()
    assert paid["state"] == "paid"
    assert [h["to_state"] for h in paid["history"]] == ["draft", "approved", "paid"]
    closed = finance.post("/settlements", json={"cycle": CYCLE})
    assert closed.status_code == 409
    assert closed.json()["field"] == "cycle" and closed.json()["cycle"] == CYCLE

    supplier = client("supplier_a")
    [mine] = supplier.get("/settlements/statements").json()
    statement = supplier.get(f"/settlements/statements/{mine['id']}").json()
    assert statement["net"] == {"amount": "1234.56", "currency": "CNY"}
    assert statement["payout"]["state"] == "confirmed"
    assert statement["lines"][0]["document_id"] == "su_1"
    csv = supplier.get(f"/settlements/statements/{mine['id']}/csv")
    assert csv.headers["content-type"].startswith("text/csv") and "1234.56" in csv.text
    pdf = supplier.get(f"/settlements/statements/{mine['id']}/pdf")
    assert pdf.content.startswith(b"%PDF")
    assert len(supplier.get("/settlements/payouts").json()) == 1
    pending = supplier.get("/settlements/pending").json()
    assert pending["payable"] == {"amount": "0.00", "currency": "CNY"}
    assert supplier.post("/settlements", json={"cycle": "2099-W02"}).status_code == 403
    other = client("supplier_b")
    assert other.get(f"/settlements/statements/{mine['id']}").status_code == 404
    assert other.get("/settlements/statements").json() == []


def test_a_cycle_that_is_not_a_week_is_refused_naming_it(client):
    response = client("finance").post("/settlements", json={"cycle": "2026-13"})
    assert response.status_code == 422
    assert response.json()["field"] == "cycle"
