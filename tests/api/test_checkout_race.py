"""Concurrency against the real server: buyers racing for the last units never oversell, and
a checkout retried with the same Idempotency-Key, even concurrently, makes one order and one
capture."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from chuhai.core.clock import SystemClock
from chuhai.inventory import ledger
from chuhai.orders.payments import provider_for
from chuhai.orders.tables import OrderRow, PaymentRow
from orders.shopping import BERLIN, Shop, build_shop

BUYERS = 40
UNITS = 10


@pytest.fixture
def shop(unit, world) -> Shop:
    return build_shop(unit, world)


def _body(shop: Shop, n: int, card: str = "4242424242424242") -> dict:
    return {
        "email": f"buyer{n}@example.com",
        "address": {k: v for k, v in BERLIN.as_dict().items() if v},
        "card": {"number": card, "expiry_month": 12, "expiry_year": 2099, "cvc": "123"},
        "items": [{"sku_id": shop.mug_white, "quantity": 1}],
    }


def _fire(live_server: str, requests: list[tuple[dict, dict]]) -> list[httpx.Response]:
    """Send every request from its own client and thread, released together."""
    answers: list[httpx.Response | None] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def send(index: int) -> None:
        body, headers = requests[index]
        with httpx.Client(base_url=f"{live_server}/api/v1", timeout=120) as http:
            start.wait()
            answers[index] = http.post("/storefront/DE/checkout", json=body, headers=headers)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


def test_forty_buyers_racing_for_ten_units_never_oversell(live_server, unit, shop):
    shop.stock(unit, shop.mug_white, "DE-FRA", UNITS)
    requests = [(_body(shop, n), {"Idempotency-Key": str(uuid.uuid4())}) for n in range(BUYERS)]
    answers = _fire(live_server, requests)
    assert Counter(a.status_code for a in answers) == {201: UNITS, 409: BUYERS - UNITS}
    for refused in (a for a in answers if a.status_code == 409):
        problem = refused.json()
        assert problem["type"].endswith("/out-of-stock")
        assert "MUG-350-WHT" in problem["detail"]
    with unit() as ctx:
        assert ledger.verify(ctx.session) == []
        assert ledger.balance(ctx.session, shop.mug_white, "DE-FRA").available == 0
        assert ledger.available(ctx.session, [shop.mug_white]) == {}
        assert ctx.session.scalar(select(func.count()).select_from(OrderRow)) == UNITS


def test_the_same_key_sent_concurrently_and_later_makes_one_order_and_one_capture(
    live_server, unit, shop, settings
):
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    request = (_body(shop, 1, "5200828282828210"), {"Idempotency-Key": str(uuid.uuid4())})
    answers = _fire(live_server, [request] * 8)
    answers += _fire(live_server, [request])
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["number"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == len(answers) - 1
    number = answers[0].json()["number"]
    with unit() as ctx:
        assert ctx.session.scalar(select(func.count()).select_from(OrderRow)) == 1
        assert ctx.session.scalar(select(func.count()).select_from(PaymentRow)) == 1
        assert ledger.balance(ctx.session, shop.mug_white, "DE-FRA").available == 4
    sandbox = provider_for(settings, SystemClock())
    [auth] = sandbox.operations(reference=number)  # type: ignore[attr-defined]
    captures = [
        op
        for op in sandbox.operations(card_last4="8210")  # type: ignore[attr-defined]
        if op.operation == "capture" and op.parent_ref == auth.ref
    ]
    assert len(captures) == 1
