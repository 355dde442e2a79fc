"""Postings of what selling costs: goods shipped to a buyer (cost of goods sold, and a
consignment supplier's payable), the carrier's charge and the warehouse's handling of each
shipment; and the supplier agreement (owed on receipt or on sale) that decides which."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chuhai.core import events
from chuhai.core.auth import SYSTEM
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.errors import Forbidden, ValidationFailed
from chuhai.core.money import Money
from chuhai.finance import ledger, settlement
from chuhai.finance import service as finance
from chuhai.finance.fx import FxRateMissing
from chuhai.finance.tables import JournalEntryRow
from chuhai.fulfillment import costs
from chuhai.fulfillment import service as fulfillment
from chuhai.parties import service as parties
from chuhai.pricing import service as pricing

for _folder in ("orders", "inventory"):
    sys.path.insert(0, str(Path(__file__).parents[1] / _folder))

from shopping import build_shop  # noqa: E402
from stock_helpers import START, Skus, Timed, order_of  # noqa: E402

from chuhai.catalog import service as catalog  # noqa: E402
from chuhai.inventory import stockup  # noqa: E402
from chuhai.inventory.stockup import CartonDraft, LineCount  # noqa: E402
from chuhai.orders import service as orders  # noqa: E402

from helpers import draft, list_product  # noqa: E402


def _entries(ctx: Context, document_id: str) -> dict[str, ledger.Posted]:
    rows = ctx.session.scalars(ledger.entries_query(document_id=document_id))
    return {row.event: ledger.Posted(row, ledger.lines_of(ctx.session, row.id)) for row in rows}


def _by_account(posted: ledger.Posted) -> dict[str, int]:
    return {line.account_code: line.amount for line in posted.lines}


def _ship(unit, world, order_id: str) -> None:
    with unit(world["logistics"]) as ctx:
        orders.pick_order(ctx, order_id)
        orders.ship_order(ctx, order_id)


def _supply_price(unit, sku_id: str) -> int:
    with unit() as ctx:
        reader = Context(ctx.session, SYSTEM, ctx.clock, ctx.settings)
        return catalog.visible_sku(reader, sku_id).supply_price_amount


def test_shipping_an_order_posts_its_cost_of_goods_carrier_and_handling(unit, world):
    shop = build_shop(unit, world)
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    order = shop.buy(unit, items=[(shop.mug_white, 3)])
    _ship(unit, world, order.id)
    unit_cost = _supply_price(unit, shop.mug_white)
    with unit() as ctx:
        cogs = _entries(ctx, order.id)["order.shipped"]
        assert _by_account(cogs) == {"5000-CNY": 3 * unit_cost, "1400-CNY": -3 * unit_cost}
        [shipment] = fulfillment.shipments_of_order(ctx.session, order.id)
        posted = _entries(ctx, shipment.id)
        carrier, handling = posted["shipment.carrier_cost"], posted["shipment.handling_cost"]
        today = ctx.now().date()
        weight = shipment.parcels[0]["weight_g"]
        charge = costs.carrier_charge(pricing.rule_book(ctx.session, today), "DE", "DE", weight)
        assert charge.currency == "EUR"  # the German last-mile band
        expected = finance.convert_on(ctx, charge, "CNY", today).money.amount_minor
        assert _by_account(carrier) == {"5100-CNY": expected, "2400-CNY": -expected}
        assert carrier.entry.fx_rate and carrier.entry.fx_on  # the rate is on the record
        warehouse = next(w for w in _warehouses(ctx) if w.id == "DE-FRA")
        per_unit = Money(warehouse.handling_cost * 3, warehouse.handling_currency)
        fen = finance.convert_on(ctx, per_unit, "CNY", today).money.amount_minor
        assert _by_account(handling) == {"5200-CNY": fen, "2400-CNY": -fen}
        assert ledger.check(ctx.session) == []


def _warehouses(ctx: Context):  # type: ignore[no-untyped-def]
    from chuhai.inventory import warehouses

    return warehouses.list_warehouses(Context(ctx.session, SYSTEM, ctx.clock, ctx.settings))


def test_a_parcel_from_china_pays_the_export_rate_card_in_cny(unit, world, skus_of_a):
    with unit(world["logistics"]) as ctx:
        row = fulfillment.create_shipment(
            ctx,
            order_id="ord_cn_1",
            warehouse_id="CN-GZ",
            ship_to=_ADDRESS,
            lines=[(skus_of_a[0], 2)],
            weight_g=1_250,
        )
    with unit() as ctx:
        posted = _entries(ctx, row.id)
        # 9610 express to the US: 62.00 CNY per kg + 18.00 per parcel; 1.25 kg
        assert _by_account(posted["shipment.carrier_cost"])["5100-CNY"] == 7_750 + 1_800
        assert posted["shipment.carrier_cost"].entry.fx_rate is None  # no conversion
        # Guangzhou handles at 1.20 CNY a unit
        assert _by_account(posted["shipment.handling_cost"]) == {"5200-CNY": 240, "2400-CNY": -240}


_ADDRESS = {
    "name": "Pat Doe",
    "line1": "1 Market St",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country_code": "US",
}


@pytest.fixture
def skus_of_a(unit, world) -> list[str]:
    with unit(world["supplier_a"]) as ctx:
        product = catalog.create_product(ctx, draft("COST-MUG"))
        return [s.id for s in catalog.skus_of(ctx.session, product.id)]


def test_a_shipment_without_a_usable_rate_is_refused_and_nothing_is_written(
    db, settings, world, skus_of_a
):
    # a day with no CNY/USD rate on record at all: the overseas warehouse's costs are in USD
    at = Timed(db, settings, FixedClock(datetime(2031, 5, 5, 9, tzinfo=UTC)))
    with at(world["logistics"]) as ctx, pytest.raises(FxRateMissing) as refused:
        fulfillment.create_shipment(
            ctx,
            order_id="ord_no_rate",
            warehouse_id="US-LAX",
            ship_to=_ADDRESS,
            lines=[(skus_of_a[0], 1)],
            weight_g=400,
        )
    assert refused.value.status == 409 and "USD" in refused.value.detail
    with at() as ctx:
        assert fulfillment.shipments_of_order(ctx.session, "ord_no_rate") == []
        assert ctx.session.scalar(select(func.count()).select_from(JournalEntryRow)) == 0


def test_a_redelivered_shipment_event_posts_once(unit):
    cost = {
        "amount": 1_234,
        "original_amount": 1_234,
        "original_currency": "CNY",
        "rate": None,
        "rate_on": None,
        "rate_source": None,
    }
    payload = dict(
        shipment_id="shp_1",
        order_id="ord_1",
        warehouse_id="CN-GZ",
        carrier="china-post epacket",
        units=2,
        carrier_cost=cost,
        handling_cost={**cost, "amount": 240, "original_amount": 240},
    )
    with unit(SYSTEM) as ctx:
        events.publish(ctx, "shipment.created", **payload)
        events.publish(ctx, "shipment.created", **payload)
        assert ctx.session.query(JournalEntryRow).count() == 2  # carrier, handling


# --- the supplier agreement -------------------------------------------------------------------


def _receive(at, unit, world, skus: Skus) -> str:
    order_id = order_of(at, world, skus, white=10, black=5)
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 10), CartonDraft(skus.black, 5)])
    with at(world["logistics"]) as ctx:
        stockup.receive(ctx, order_id, [LineCount(skus.white, 10), LineCount(skus.black, 5)])
    return order_id


def test_a_consignment_supplier_is_owed_on_sale_and_settlement_pays_it(db, settings, unit, world):
    with unit(world["finance"]) as ctx:
        assert parties.set_payable_basis(ctx, world.supplier_a, " Sale ").payable_on == "sale"
    shop = build_shop(unit, world)
    at = Timed(db, settings, FixedClock(START))
    skus = Skus(shop.mug_white, shop.mug_black, shop.mug_product)
    stock_up_id = _receive(at, unit, world, skus)
    with unit() as ctx:
        assert _entries(ctx, stock_up_id) == {}  # consignment stock: nothing owed yet
    shop.stock(unit, shop.mug_white, "DE-FRA", 5)
    order = shop.buy(unit, items=[(shop.mug_white, 2)])
    _ship(unit, world, order.id)
    owed = 2 * _supply_price(unit, shop.mug_white)
    with unit() as ctx:
        sale = _entries(ctx, order.id)["order.shipped"]
        assert _by_account(sale) == {"5000-CNY": owed, "2100-CNY": -owed}
        [payable] = [line for line in sale.lines if line.account_code == "2100-CNY"]
        assert payable.party_id == world.supplier_a
    week = date.today() + timedelta(days=7)
    cycle = f"{week.isocalendar().year}-W{week.isocalendar().week:02d}"
    with unit(world["finance"]) as ctx:
        run = settlement.run_cycle(ctx, cycle)
        [statement] = settlement.statements_of(ctx.session, run.id)
        view = settlement.get_statement(ctx, statement.id)
        assert [(line.kind, line.document_id, line.amount) for line in view.lines] == [
            ("sale", order.id, owed)
        ]
        assert settlement.check(ctx.session) == []


def test_a_supplier_on_receipt_is_owed_at_the_dock_and_not_again_on_sale(db, settings, unit, world):
    product_id = list_product(unit, world, draft(), ["US", "DE"])
    with unit() as ctx:
        found = {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product_id)}
        assert parties.payable_basis(ctx.session, world.supplier_a) == "receipt"  # the default
    at = Timed(db, settings, FixedClock(START))
    stock_up_id = _receive(at, unit, world, Skus(found["MUG-350-WHT"], found["MUG-350-BLK"], ""))
    with unit() as ctx:
        receipt = _entries(ctx, stock_up_id)["stock_up.received"]
        assert set(_by_account(receipt)) == {"1400-CNY", "2100-CNY"}


@pytest.mark.parametrize("basis", ["weekly", "", "receipt,sale"])
def test_an_unknown_agreement_is_refused_naming_the_field(unit, world, basis):
    with unit(world["finance"]) as ctx, pytest.raises(ValidationFailed) as refused:
        parties.set_payable_basis(ctx, world.supplier_a, basis)
    assert refused.value.errors[0].field == "payable_on"
    with unit() as ctx:
        assert parties.payable_basis(ctx.session, world.supplier_a) == "receipt"


def test_a_supplier_cannot_set_its_own_agreement(unit, world):
    with unit(world["supplier_a"]) as ctx, pytest.raises(Forbidden):
        parties.set_payable_basis(ctx, world.supplier_a, "sale")


def test_the_agreement_is_set_over_the_api(client, world):
    finance_api = client("finance")
    answer = finance_api.post(
        f"/suppliers/{world.supplier_a}/agreement", json={"payable_on": "sale"}
    )
    assert answer.status_code == 200 and answer.json()["payable_on"] == "sale"
    bad = finance_api.post(f"/suppliers/{world.supplier_a}/agreement", json={"payable_on": "x"})
    assert bad.status_code == 422
    assert "payable_on" in bad.text


def test_finance_sets_the_agreement_on_the_supplier_page(live_server, unit, world):
    sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
    from test_admin_pages import Console

    finance_console = Console(live_server, "finance")
    page = finance_console.get(f"/suppliers/{world.supplier_a}")
    assert 'data-testid="agreement-form"' in page.text
    done = finance_console.post(f"/suppliers/{world.supplier_a}/agreement", {"payable_on": "sale"})
    refused = finance_console.post(f"/suppliers/{world.supplier_a}/agreement", {"payable_on": "?"})
    assert "agreement+saved" in done.headers["location"]
    assert "receipt+or+sale" in refused.headers["location"]
    with unit() as ctx:
        assert parties.payable_basis(ctx.session, world.supplier_a) == "sale"
    supplier = Console(live_server, "supplier-a").get(f"/suppliers/{world.supplier_a}")
    assert 'data-testid="agreement-form"' not in supplier.text  # an agreement, not its own edit
    assert "on sale (consignment)" in supplier.text
