"""Production orders: a small first run, the factory's progress, receipt into stock at the
consolidation warehouse; then sell-through per market and the proposal it earns."""

from __future__ import annotations

from datetime import date

import pytest

from chuhai.catalog import listing
from chuhai.catalog import service as catalog
from chuhai.core.auth import STOREFRONT
from chuhai.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from chuhai.inventory import ledger
from chuhai.orders import service as orders
from chuhai.pricing import service as pricing
from chuhai.sourcing import production
from chuhai.sourcing.model import MarketSales, recommend

from sourcing_world import (
    accepted_design,
    factory_skus,
    rates_for_today,
    studios,
    take_to_listed,
)

FACTORY_STEPS = ("accept", "materials_in", "start", "qc", "ship")
SAN_FRANCISCO = orders.Address(
    name="Jane Doe",
    line1="1 Market St",
    city="San Francisco",
    region="CA",
    postal_code="94105",
    country_code="US",
)


@pytest.fixture
def made(unit, world):
    """A product draft of supplier A made from an accepted design (MOQ 100, 50 a day for 7
    days: 350 units a run at most)."""
    rates_for_today(unit, world)
    factory_skus(unit, world, "supplier_a", "MUG-A", "12.00", moq=100)
    crew = studios(unit, world)
    design = accepted_design(unit, world, crew.studio_a, [world.supplier_a])
    return design.product_ids[0]


def run_to_shipped(unit, world, order_id: str) -> None:
    with unit(world["supplier_a"]) as ctx:
        for action in FACTORY_STEPS:
            production.act(ctx, order_id, action)


def test_a_first_run_of_150_goes_from_issued_to_received_into_stock(unit, world, made):
    with unit(world["merchandiser"]) as ctx:
        order = production.issue(ctx, made, 150)
    assert (order.state, order.first_run, order.design_id is not None) == ("issued", True, True)
    run_to_shipped(unit, world, order.id)
    with unit(world["logistics"]) as ctx:
        production.receive(ctx, order.id)
    with unit(world["merchandiser"]) as ctx:
        row = production.visible_order(ctx, order.id)
        history = production.order_history(ctx, order.id)
        balance = ledger.balance(ctx.session, row.sku_id, "CN-GZ")
    assert (row.state, row.received) == ("received", 150)
    assert balance.on_hand == 150
    assert [h.to_state for h in history] == [
        "issued",
        "accepted",
        "materials_in",
        "in_production",
        "qc",
        "shipped",
        "received",
    ]


@pytest.mark.parametrize(
    ("quantity", "reason", "words"),
    [
        (99, "", "a first run is 100-200 units"),
        (201, "", "a first run is 100-200 units"),
        (60, "a sample batch for a fair", "under the factory's MOQ (moq = 100)"),
        (351, "a big launch", "over the factory's declared capacity (daily_capacity 50"),
        (0, "", "more than zero"),
    ],
    ids=["under-first-run", "over-first-run", "under-moq", "over-capacity", "zero"],
)
def test_a_production_order_outside_the_run_moq_or_capacity_is_refused(
    unit, world, made, quantity, reason, words
):
    with pytest.raises(ValidationFailed) as refused, unit(world["merchandiser"]) as ctx:
        production.issue(ctx, made, quantity, override_reason=reason)
    assert refused.value.field == "quantity"
    assert words in refused.value.detail
    with unit(world["merchandiser"]) as ctx:
        assert production.list_orders(ctx).total == 0


def test_a_reason_allows_a_first_run_outside_the_small_batch_and_a_second_run_is_a_reorder(
    unit, world, made
):
    with unit(world["merchandiser"]) as ctx:
        big = production.issue(ctx, made, 300, override_reason="pre-sold to a B2B buyer")
        again = production.issue(ctx, made, 340)
    assert (big.first_run, big.override_reason) == (True, "pre-sold to a B2B buyer")
    assert again.first_run is False


def test_factory_steps_out_of_order_are_refused_naming_the_state(unit, world, made):
    with unit(world["merchandiser"]) as ctx:
        order = production.issue(ctx, made, 150)
    with pytest.raises(InvalidTransition) as early, unit(world["supplier_a"]) as ctx:
        production.act(ctx, order.id, "ship")
    assert early.value.extra["current_state"] == "issued"
    with pytest.raises(InvalidTransition) as unshipped, unit(world["logistics"]) as ctx:
        production.receive(ctx, order.id)
    assert unshipped.value.extra["current_state"] == "issued"
    with pytest.raises(Forbidden), unit(world["merchandiser"]) as ctx:
        production.act(ctx, order.id, "accept")
    with pytest.raises(ValidationFailed) as no_reason, unit(world["supplier_a"]) as ctx:
        production.act(ctx, order.id, "decline")
    assert no_reason.value.field == "reason"
    with unit(world["supplier_a"]) as ctx:
        production.act(ctx, order.id, "decline", "kiln booked for a month")
    with pytest.raises(InvalidTransition) as declined, unit(world["merchandiser"]) as ctx:
        production.act(ctx, order.id, "cancel", "too late")
    assert declined.value.extra["current_state"] == "declined"


def test_another_factory_s_order_is_not_found(unit, world, made):
    with unit(world["merchandiser"]) as ctx:
        order = production.issue(ctx, made, 150)
    with unit(world["supplier_b"]) as ctx:
        with pytest.raises(NotFound):
            production.act(ctx, order.id, "accept")
        with pytest.raises(NotFound):
            production.visible_order(ctx, order.id)
        assert production.list_orders(ctx).total == 0
    with unit(world["supplier_a"]) as ctx:
        assert [o.id for o in production.list_orders(ctx).items] == [order.id]


def test_a_delisted_product_takes_no_production_order(unit, world, made):
    take_to_listed(unit, world, "supplier_a", made, ["US"])
    with unit(world["merchandiser"]) as ctx:
        listing.delist(ctx, made, "quality complaints")
    with pytest.raises(Conflict) as refused, unit(world["merchandiser"]) as ctx:
        production.issue(ctx, made, 150)
    assert refused.value.extra["current_state"] == "delisted"


# --- sell-through ----------------------------------------------------------------------------


def received_and_sold(unit, world, product_id: str, sold: int) -> str:
    """150 units made and received, the product listed in the US, `sold` of them bought."""
    take_to_listed(unit, world, "supplier_a", product_id, ["US"])
    with unit(world["merchandiser"]) as ctx:
        order = production.issue(ctx, product_id, 150)
    run_to_shipped(unit, world, order.id)
    with unit(world["logistics"]) as ctx:
        production.receive(ctx, order.id)
    with unit(world["merchandiser"]) as ctx:
        pricing.rebuild_price_book(ctx)
        sku_id = catalog.skus_of(ctx.session, product_id)[0].id
    card = orders.Card("4242 4242 4242 4242", 12, date.today().year + 2, "123")
    with unit(STOREFRONT) as ctx:
        orders.checkout(
            ctx,
            market_code="US",
            items=[(sku_id, sold)],
            email="buyer@example.com",
            address=SAN_FRANCISCO,
            card=card,
        )
    return sku_id


def test_a_run_that_sold_well_proposes_a_reorder_to_the_market_s_warehouse(unit, world, made):
    received_and_sold(unit, world, made, 90)
    with unit(world["merchandiser"]) as ctx:
        found = production.sell_through(ctx, made)
        proposal = production.propose(ctx, made)
    assert found.sales == [MarketSales("US", 90)]
    assert (found.received, found.days_on_sale) == (150, 1)
    # 90 a day over 7 days of production and 30 of sales, less the 60 left
    assert (proposal.decision, proposal.quantity) == ("reorder", 3270)
    assert proposal.warehouses == {"US-LAX": 3270}
    assert proposal.evidence.startswith(
        "Reorder 3270 units: 90 of 150 units received sold in 1 days (60.0%): US 90 (60.0%)"
    )


def test_a_slow_run_is_held_and_a_delisted_product_is_not_reordered(unit, world, made):
    received_and_sold(unit, world, made, 10)
    with unit(world["merchandiser"]) as ctx:
        held = production.propose(ctx, made)
    assert (held.decision, held.quantity, held.warehouses) == ("hold", 0, {})
    assert "10 of 150 units received sold" in held.evidence


def test_a_reorder_proposal_for_a_delisted_product_is_refused(unit, world, made):
    received_and_sold(unit, world, made, 100)
    with unit(world["merchandiser"]) as ctx:
        listing.delist(ctx, made, "the brand owner objected")
    with pytest.raises(Conflict) as refused, unit(world["merchandiser"]) as ctx:
        production.propose(ctx, made)
    assert refused.value.extra["current_state"] == "delisted"
    assert "delisted product cannot be reordered" in refused.value.detail
    with unit(world["merchandiser"]) as ctx:
        assert production.proposals_of(ctx, made) == []


@pytest.mark.parametrize(
    ("received", "sales", "days", "decision", "quantity"),
    [
        (150, [MarketSales("US", 60), MarketSales("DE", 30)], 10, "reorder", 273),
        (150, [MarketSales("US", 20)], 30, "stop", 0),
        (150, [MarketSales("US", 20)], 10, "hold", 0),
        (150, [MarketSales("US", 50)], 40, "hold", 0),
        (200, [MarketSales("US", 100)], 100, "reorder", 100),
    ],
    ids=["sells-well", "slow-after-trial", "slow-in-trial", "middling", "moq-floor"],
)
def test_the_sell_through_rule(received, sales, days, decision, quantity):
    found = recommend(received, sales, days, lead_time_days=7, moq=100)
    assert (found.decision, found.quantity) == (decision, quantity)
    assert sum(found.split.values()) == quantity


def test_the_first_run_size_comes_from_the_settings(unit, world, made, settings):
    from dataclasses import replace

    from chuhai.core.settings import load_settings

    read = load_settings({"CHUHAI_FIRST_RUN_MIN": "100", "CHUHAI_FIRST_RUN_MAX": "120"})
    assert (read.first_run_min, read.first_run_max) == (100, 120)
    with pytest.raises(ValidationFailed) as refused, unit(world["merchandiser"]) as ctx:
        ctx.settings = replace(settings, first_run_max=120)
        production.issue(ctx, made, 150)
    assert "a first run is 100-120 units" in refused.value.detail


# --- deciding on a proposal -----------------------------------------------------------------


def test_an_approved_reorder_is_ordered_and_its_receipt_sent_where_it_sold(unit, world, made):
    from chuhai.inventory import transfers

    received_and_sold(unit, world, made, 90)
    with unit(world["merchandiser"]) as ctx:
        proposal = production.propose(ctx, made)
    # 3270 is over what the factory makes in a lead time (50 a day × 7): refused, unchanged
    with pytest.raises(ValidationFailed) as refused, unit(world["merchandiser"]) as ctx:
        production.approve_proposal(ctx, proposal.id)
    assert refused.value.errors[0].field == "quantity" and "capacity" in str(refused.value)
    with unit(world["merchandiser"]) as ctx:
        order = production.approve_proposal(ctx, proposal.id, 300, "what the factory can make")
        assert (order.quantity, order.first_run) == (300, False)
        assert order.destinations == {"US-LAX": 300}
        again = production.proposals_of(ctx, made)[0]
        assert (again.state, again.production_order_id) == ("approved", order.id)
    with pytest.raises(Conflict), unit(world["merchandiser"]) as ctx:
        production.approve_proposal(ctx, proposal.id, 300)
    run_to_shipped(unit, world, order.id)
    with unit(world["logistics"]) as ctx:
        production.receive(ctx, order.id, 280)  # 20 short: the share shrinks with it
        planned = transfers.list_transfers(ctx, state="planned").items
        assert [(t.from_warehouse_id, t.to_warehouse_id) for t in planned] == [("CN-GZ", "US-LAX")]
        assert [line.quantity for line in transfers.lines_of(ctx.session, planned[0].id)] == [280]
        assert "send_on" in [e.action for e in production.order_history(ctx, order.id)]


def test_hold_cannot_be_approved_and_dismissing_needs_a_reason(unit, world, made):
    received_and_sold(unit, world, made, 10)
    with unit(world["merchandiser"]) as ctx:
        held = production.propose(ctx, made)
    with pytest.raises(Conflict) as refused, unit(world["merchandiser"]) as ctx:
        production.approve_proposal(ctx, held.id)
    assert "only a reorder can be approved" in refused.value.detail
    with pytest.raises(ValidationFailed) as empty, unit(world["merchandiser"]) as ctx:
        production.dismiss_proposal(ctx, held.id, "  ")
    assert empty.value.errors[0].field == "reason"
    with unit(world["merchandiser"]) as ctx:
        done = production.dismiss_proposal(ctx, held.id, "wait for the autumn")
        assert (done.state, done.decision_note) == ("dismissed", "wait for the autumn")
    with pytest.raises(NotFound), unit(world["merchandiser"]) as ctx:
        production.dismiss_proposal(ctx, "spp_nope", "x")
    with pytest.raises(NotFound), unit(world["supplier_b"]) as ctx:  # not theirs
        production.dismiss_proposal(ctx, held.id, "x")


def test_a_newer_proposal_supersedes_the_open_one(unit, world, made):
    received_and_sold(unit, world, made, 10)
    with unit(world["merchandiser"]) as ctx:
        first = production.propose(ctx, made)
        second = production.propose(ctx, made)
        states = {p.id: p.state for p in production.proposals_of(ctx, made)}
    assert states == {first.id: "superseded", second.id: "proposed"}


def test_returned_units_are_not_sold_and_runs_in_progress_are_on_order(unit, world, made):
    from chuhai.core import events
    from chuhai.demand import replenishment

    sku_id = received_and_sold(unit, world, made, 90)
    with unit(world["merchandiser"]) as ctx:
        sale_order = orders.list_orders(ctx, limit=1).items[0]
        # what the orders capability announces when a return is counted in
        events.publish(
            ctx,
            "return.received",
            return_id="ret_test",
            order_id=sale_order.id,
            market="US",
            lines=[{"sku_id": sku_id, "quantity": 30}],
        )
    with unit(world["merchandiser"]) as ctx:
        assert production.sell_through(ctx, made).sales == [MarketSales("US", 60)]
        production.issue(ctx, made, 200)
        assert replenishment.on_order(ctx.session)[(sku_id, "CN-GZ")] == 200


def test_a_royalty_studio_is_owed_its_share_of_each_run_received(unit, world, made):
    from chuhai.finance import ledger

    with unit(world["merchandiser"]) as ctx:
        order = production.issue(ctx, made, 150)
        studio_id = designs_of(ctx, made)
    run_to_shipped(unit, world, order.id)
    with unit(world["logistics"]) as ctx:
        production.receive(ctx, order.id, 149)
    with unit() as ctx:
        entries = ctx.session.scalars(ledger.entries_query(document_id=order.id)).all()
        royalty = next(e for e in entries if e.event == "studio.owed")
        lines = {
            (x.account_code, x.party_id): x.amount for x in ledger.lines_of(ctx.session, royalty.id)
        }
    # 3.5% of 149 units at ¥14.00 = ¥73.01 (7301.0 fen), once per run
    assert lines == {("5500-CNY", None): 7301, ("2150-CNY", studio_id): -7301}


def designs_of(ctx, product_id: str) -> str:
    from chuhai.sourcing import designs

    design = designs.design_of_product(ctx, product_id)
    assert design is not None and design.terms_kind == "royalty"
    return design.studio_id


def test_a_cancelled_order_is_not_sold(unit, world, made):
    received_and_sold(unit, world, made, 90)
    with unit(world["merchandiser"]) as ctx:
        order = orders.list_orders(ctx, limit=1).items[0]
        orders.cancel_order(ctx, order.id, "the buyer changed their mind")
    with unit(world["merchandiser"]) as ctx:
        found = production.sell_through(ctx, made)
    assert found.sales == [] and found.recommendation.decision == "hold"
