"""Postings from business events: a paid order, its refund, a stock-up receipt and its
penalties each become one balanced entry in the publisher's transaction."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from chuhai.core import events
from chuhai.core.auth import SYSTEM
from chuhai.finance import ledger, postings
from chuhai.finance.tables import JournalEntryRow

# the order and stock-up tests' builders (test folders are not packages)
for _folder in ("orders", "inventory"):
    sys.path.insert(0, str(Path(__file__).parents[1] / _folder))

from shopping import build_shop  # noqa: E402
from stock_helpers import START, Skus, Timed, order_of  # noqa: E402

from chuhai.catalog import service as catalog  # noqa: E402
from chuhai.core.clock import FixedClock  # noqa: E402
from chuhai.inventory import penalties, stockup  # noqa: E402
from chuhai.inventory.stockup import CartonDraft, LineCount  # noqa: E402
from chuhai.orders import service as orders  # noqa: E402

from helpers import draft, list_product  # noqa: E402


def _entries(ctx, document_id: str) -> list[ledger.Posted]:
    rows = ctx.session.scalars(ledger.entries_query(document_id=document_id))
    return [ledger.Posted(row, ledger.lines_of(ctx.session, row.id)) for row in rows]


def _by_account(posted: ledger.Posted) -> dict[str, int]:
    return {line.account_code: line.amount for line in posted.lines}


def test_a_paid_german_order_posts_its_split_and_a_cancellation_reverses_it(unit, world):
    shop = build_shop(unit, world)
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    order = shop.buy(unit, items=[(shop.mug_white, 2)])
    with unit() as ctx:
        [sale] = _entries(ctx, order.id)
        assert (sale.entry.event, sale.entry.document_type) == ("payment.captured", "order")
        assert _by_account(sale) == {
            "1100-DE": order.total,
            "4000-DE": -order.goods,
            "2200-DE-IOSS": -order.vat,  # a low-value consignment: VAT goes on the IOSS return
        }
    with unit(world["merchandiser"]) as ctx:
        orders.cancel_order(ctx, order.id, "buyer changed their mind")
        [refund] = orders.order_view(ctx, order.id).refunds
    with unit() as ctx:
        [back] = _entries(ctx, refund.id)
        assert _by_account(back) == {k: -v for k, v in _by_account(sale).items()}
        assert ledger.balances(ctx.session) == {}
        assert ledger.check(ctx.session) == []


def test_a_us_order_owes_no_vat_and_posts_in_dollars(unit, world):
    shop = build_shop(unit, world)
    shop.stock(unit, shop.mug_white, "US-LAX", 5)
    order = shop.buy(unit, market="US")
    with unit() as ctx:
        [sale] = _entries(ctx, order.id)
        assert {line.currency for line in sale.lines} == {"USD"}
        assert sum(line.amount for line in sale.lines) == 0
        assert _by_account(sale)["1100-US"] == order.total


@pytest.mark.parametrize(
    ("refunds", "total", "duty", "vat"),
    [([1, 1, 1, 97], 100, 7, 19), ([595, 595], 1190, 0, 190), ([333, 333, 334], 1000, 333, 1)],
)
def test_partial_refunds_add_up_to_the_sale_split_exactly(refunds, total, duty, vat):
    before = 0
    parts = [0, 0, 0]
    for amount in refunds:
        split = postings.refund_split(amount, before, total, duty, vat)
        parts = [parts[0] + split.goods, parts[1] + split.duty, parts[2] + split.vat]
        before += amount
    assert parts == [total - duty - vat, duty, vat]


def test_a_receipt_accrues_the_supplier_payable_and_penalties_reduce_it(db, settings, world, unit):
    at = Timed(db, settings, FixedClock(START))
    product_id = list_product(unit, world, draft(), ["US", "DE"])
    with unit() as ctx:
        found = {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product_id)}
    skus = Skus(found["MUG-350-WHT"], found["MUG-350-BLK"], product_id)
    order_id = order_of(at, world, skus, white=100, black=50)
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 90), CartonDraft(skus.black, 50)])
    with at(world["logistics"]) as ctx:
        stockup.receive(
            ctx,
            order_id,
            [LineCount(skus.white, 90, qc_sampled=10, qc_failed=2), LineCount(skus.black, 50)],
        )
        lines = {line.sku_id: line for line in stockup.lines_of(ctx.session, order_id)}
        owed = sum(line.accepted * line.unit_price for line in lines.values())
        fines = sum(p.amount for p in penalties.penalties_of(ctx, stock_up_order_id=order_id))
    assert fines > 0  # short and failed QC
    with unit() as ctx:
        [receipt] = _entries(ctx, order_id)
        assert _by_account(receipt) == {"1400-CNY": owed, "2100-CNY": -owed}
        got = ledger.balances(ctx.session)
        assert got["2100-CNY"] == -owed + fines
        assert got["4900-CNY"] == -fines
        assert ledger.check(ctx.session) == []


def test_a_redelivered_event_posts_once(unit):
    payload = dict(
        penalty_id="pen_1",
        supplier_id="sup_1",
        stock_up_order_id="su_1",
        kind="late",
        amount=500,
        currency="CNY",
    )
    with unit(SYSTEM) as ctx:
        events.publish(ctx, "penalty.created", **payload)
        events.publish(ctx, "penalty.created", **payload)
        assert ctx.session.query(JournalEntryRow).count() == 1
