"""Treasury over HTTP: the exposure report with VaR, booking a forward (idempotent), its
refusals as problem+json naming the field, the 409s, settling early refused, and a
revaluation of last month returned once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from chuhai.finance import ledger
from chuhai.finance.ledger import Line

from helpers import import_fx

TODAY = datetime.now(UTC).date()
LAST_MONTH_END = TODAY.replace(day=1) - timedelta(days=1)


def _forward(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "counterparty": "Bank of China Yiwu",
        "sell_currency": "USD",
        "buy_currency": "CNY",
        "notional": "600.00",
        "contract_rate": "7.20",
        "trade_date": TODAY.isoformat(),
        "value_date": (TODAY + timedelta(days=30)).isoformat(),
    }
    body.update(changes)
    return body


def _setup(unit, world) -> None:
    for day in (TODAY, LAST_MONTH_END):  # CNY→USD 0.14: USD→CNY 7.142857...
        import_fx(unit, world, day.isoformat(), {"USD": "0.14"})
    with unit() as ctx:
        ledger.post(
            ctx,
            [Line("1100-US", 100_000, "USD"), Line("4000-US", -100_000, "USD")],
            description="sale",
            document_type="order",
            document_id="o1",
            event="test",
            on=LAST_MONTH_END,
        )


def test_finance_books_a_forward_and_sees_the_exposure_after_hedges(client, unit, world):
    _setup(unit, world)
    finance = client("finance")
    made = finance.post("/treasury/hedges", json=_forward(), headers={"Idempotency-Key": "f1"})
    assert made.status_code == 201, made.text
    forward = made.json()
    assert forward["state"] == "open" and forward["notional"] == {
        "amount": "600.00",
        "currency": "USD",
    }
    # 600 × (7.20 − 1/0.14) = 600 × 0.057142857... = 34.29 CNY
    assert forward["mtm"] == {"amount": "34.29", "currency": "CNY"}
    again = finance.post("/treasury/hedges", json=_forward(), headers={"Idempotency-Key": "f1"})
    assert again.json()["id"] == forward["id"]
    assert len(finance.get("/treasury/hedges").json()) == 1
    assert (
        finance.get(f"/treasury/hedges/{forward['id']}").json()["history"][0]["to_state"] == "open"
    )

    report = finance.get("/treasury/exposure", params={"on": TODAY.isoformat()})
    assert report.status_code == 200, report.text
    [usd] = report.json()["currencies"]
    assert usd["before_hedges"]["amount"] == "1000.00" and usd["hedges"]["amount"] == "-600.00"
    assert usd["net"]["amount"] == "400.00"
    assert usd["net_cny"]["amount"] == "2857.14"  # 400 / 0.14
    assert report.json()["no_rate_history"] == ["USD"]  # only imported rates, no ECB history
    assert report.json()["var_after_hedges"]["scenarios"] == 0

    early = finance.post(f"/treasury/hedges/{forward['id']}/settle")
    assert early.status_code == 409 and early.json()["field"] == "value_date"
    cancelled = finance.post(
        f"/treasury/hedges/{forward['id']}/cancel", json={"reason": "deal off"}
    )
    assert cancelled.json()["state"] == "cancelled"
    twice = finance.post(f"/treasury/hedges/{forward['id']}/cancel", json={"reason": "again"})
    assert twice.status_code == 409 and "cancelled" in twice.json()["detail"]
    assert twice.headers["content-type"].startswith("application/problem+json")
    settle = finance.post(f"/treasury/hedges/{forward['id']}/settle")
    assert settle.status_code == 409 and "cancelled" in settle.json()["detail"]


def test_bad_forwards_answer_422_naming_the_field(client, unit, world):
    _setup(unit, world)
    finance = client("finance")
    past = (TODAY - timedelta(days=1)).isoformat()
    for changes, field in (
        ({"value_date": past, "trade_date": past}, "value_date"),
        ({"notional": "0"}, "notional"),
        ({"notional": "1.001"}, "notional"),
        ({"contract_rate": "-1"}, "contract_rate"),
        ({"contract_rate": "700"}, "contract_rate"),
        ({"buy_currency": "EUR"}, "buy_currency"),
        ({"sell_currency": "CNY"}, "buy_currency"),
        ({"sell_currency": "QQQ"}, "sell_currency"),
    ):
        response = finance.post("/treasury/hedges", json=_forward(**changes))
        assert response.status_code == 422, (changes, response.text)
        assert (
            field in [e["field"] for e in response.json()["errors"]]
            or response.json()["field"] == field
        )
    assert finance.get("/treasury/hedges").json() == []
    assert client("merchandiser").post("/treasury/hedges", json=_forward()).status_code == 403
    assert client("supplier_a").get("/treasury/exposure").status_code == 403
    assert finance.get("/treasury/hedges/fwd_none").status_code == 404


def test_finance_revalues_last_month_once(client, unit, world):
    _setup(unit, world)
    finance = client("finance")
    period = LAST_MONTH_END.strftime("%Y-%m")
    made = finance.post("/treasury/revaluations", json={"period": period})
    assert made.status_code == 201, made.text
    assert made.json()["unrealised"] == {"amount": "0.00", "currency": "CNY"}  # same rate
    again = finance.post("/treasury/revaluations", json={"period": period})
    assert again.json()["created_at"] == made.json()["created_at"]
    assert [r["period"] for r in finance.get("/treasury/revaluations").json()] == [period]
    bad = finance.post("/treasury/revaluations", json={"period": "2026-13"})
    assert bad.status_code == 422 and bad.json()["field"] == "period"
    assert date.fromisoformat(made.json()["created_at"][:10]) >= LAST_MONTH_END
