"""Stock-up orders through their whole life, each bad input, tenancy and expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from stock_helpers import START, order_of, received_in_full, shipped_order

from chuhai.catalog import service as catalog
from chuhai.core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from chuhai.inventory import ledger, stockup
from chuhai.inventory.service import history_of
from chuhai.inventory.stockup import CartonDraft, LineCount, LineDraft, StockUpDraft

from helpers import draft

# the fixtures `at`, `skus` and `stocked`
pytest_plugins = ["stock_fixtures"]


def _fields(error: ValidationFailed) -> list[str]:
    return [e.field for e in error.errors]


def test_a_jit_order_goes_from_issue_to_closed_and_stocks_the_warehouse(at, world, skus):
    order_id = order_of(at, world, skus)
    with at(world["merchandiser"]) as ctx:
        row = stockup.visible_order(ctx, order_id)
        assert row.state == "issued"
        assert row.due_at == START + timedelta(hours=48)
        assert row.expires_at == row.due_at + timedelta(days=14)
        prices = {line.sku_id: line.unit_price for line in stockup.lines_of(ctx.session, order_id)}
        assert prices == {skus.white: 1250, skus.black: 1320}  # the agreed supply prices, fen
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id, "We start tomorrow.")
        stockup.ship(
            ctx,
            order_id,
            [CartonDraft(skus.white, 60), CartonDraft(skus.white, 40), CartonDraft(skus.black, 50)],
            carrier="Deppon",
            tracking_number="DPK1",
        )
    at.advance(hours=30)
    with at(world["logistics"]) as ctx:
        stockup.receive(
            ctx,
            order_id,
            [
                LineCount(skus.white, 100, qc_sampled=10, qc_failed=0),
                LineCount(skus.black, 50, qc_sampled=5, qc_failed=0),
            ],
        )
    with at(world["merchandiser"]) as ctx:
        stockup.close(ctx, order_id)
        view = stockup.order_view(ctx, order_id)
        white = ledger.balance(ctx.session, skus.white, "CN-GZ")
        assert (white.on_hand, white.receiving) == (100, 0)
        assert ledger.balance(ctx.session, skus.black, "CN-GZ").available == 50
        assert ledger.verify(ctx.session) == []
        assert view.penalties == []
        assert [c.barcode for c in view.cartons] == [
            stockup.carton_barcode(order_id, n) for n in (1, 2, 3)
        ]
        history = history_of(ctx.session, "stock_up", order_id)
        assert [(h.action, h.from_state, h.to_state) for h in history] == [
            ("issue", None, "issued"),
            ("confirm", "issued", "confirmed"),
            ("ship", "confirmed", "shipped"),
            ("receive", "shipped", "received"),
            ("close", "received", "closed"),
        ]
        assert history[1].reason == "We start tomorrow."
        assert history[1].actor_id == world["supplier_a"].user_id


def test_a_planned_order_is_due_at_the_end_of_its_day_in_china(at, world, skus):
    due_on = at.today() + timedelta(days=10)
    order_id = order_of(at, world, skus, kind="planned", jit_hours=None, due_on=due_on)
    with at(world["merchandiser"]) as ctx:
        row = stockup.visible_order(ctx, order_id)
    # midnight after the due day, China time (UTC+8) = 16:00 UTC on the due day
    assert (row.due_at.date(), row.due_at.hour) == (due_on, 16)
    assert row.jit_hours is None


def test_receiving_counts_qc_and_shortfalls_into_the_ledger(at, world, skus):
    order_id = order_of(at, world, skus, white=100, black=50)
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
        # ships 90 white (10 short) and all 50 black
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 90), CartonDraft(skus.black, 50)])
    with at(world["logistics"]) as ctx:
        stockup.receive(
            ctx,
            order_id,
            [
                LineCount(skus.white, 88, qc_sampled=20, qc_failed=3, discrepancy="2 crushed"),
                LineCount(skus.black, 50, qc_sampled=5),
            ],
        )
    with at(world["logistics"]) as ctx:
        white = ledger.balance(ctx.session, skus.white, "CN-GZ")
        assert (white.receiving, white.on_hand) == (0, 85)  # 88 counted, 3 rejected
        line = next(
            line for line in stockup.lines_of(ctx.session, order_id) if line.sku_id == skus.white
        )
        assert (line.shipped, line.received, line.qc_failed, line.accepted) == (90, 88, 3, 85)
        assert line.discrepancy == (
            "shipped 90 of 100 ordered; received 88 of 90 shipped; 3 of 20 sampled failed QC; "
            "2 crushed"
        )
        query = ledger.movements_query(sku_id=skus.white, document_id=order_id)
        kinds = {m.kind: m.quantity for m in ctx.session.scalars(query)}
        assert kinds == {"receipt": 88, "qc_reject": 3, "put_away": 85}
        assert ledger.verify(ctx.session) == []


def test_a_supplier_declines_with_a_reason(at, world, skus):
    order_id = order_of(at, world, skus)
    with at(world["supplier_a"]) as ctx, pytest.raises(ValidationFailed) as refused:
        stockup.decline(ctx, order_id, "  ")
    assert _fields(refused.value) == ["reason"]
    with at(world["supplier_a"]) as ctx:
        row = stockup.decline(ctx, order_id, "Our kiln is down until April.")
        assert (row.state, row.decline_reason) == ("declined", "Our kiln is down until April.")


def test_the_platform_cancels_before_shipping_but_not_after(at, world, skus):
    open_id = order_of(at, world, skus)
    with at(world["merchandiser"]) as ctx:
        assert stockup.cancel(ctx, open_id, "Demand forecast revised").state == "cancelled"
    shipped_id = shipped_order(at, world, skus)
    with at(world["merchandiser"]) as ctx, pytest.raises(InvalidTransition) as refused:
        stockup.cancel(ctx, shipped_id, "too late")
    assert refused.value.extra["current_state"] == "shipped"
    assert refused.value.status == 409


def test_each_move_belongs_to_one_side(at, world, skus):
    order_id = order_of(at, world, skus)
    with at(world["logistics"]) as ctx, pytest.raises(Forbidden):
        stockup.confirm(ctx, order_id)  # only the supplier answers
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
    with at(world["merchandiser"]) as ctx, pytest.raises(Forbidden):
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 1)])  # only the supplier ships
    with at(world["supplier_a"]) as ctx, pytest.raises(Forbidden):
        stockup.cancel(ctx, order_id, "we changed our mind")  # only the platform cancels


def test_illegal_transitions_answer_409_naming_the_state(at, world, skus):
    order_id = order_of(at, world, skus)
    with at(world["supplier_a"]) as ctx, pytest.raises(InvalidTransition) as refused:
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 1)])
    assert "issued" in refused.value.detail
    with at(world["logistics"]) as ctx, pytest.raises(InvalidTransition) as refused:
        stockup.receive(ctx, order_id, [LineCount(skus.white, 1)])
    assert refused.value.extra == {"current_state": "issued", "action": "receive"}
    with at(world["merchandiser"]) as ctx, pytest.raises(InvalidTransition):
        stockup.close(ctx, order_id)


# --- bad input when issuing ---------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -5, 100_001, 10**12, True, 2.5])
def test_absurd_quantities_are_refused_naming_the_line(at, world, skus, quantity):
    with pytest.raises(ValidationFailed) as refused:
        order_of(at, world, skus, white=quantity)
    assert _fields(refused.value) == ["lines[0].quantity"]


def test_a_sku_of_another_supplier_is_refused(at, world, skus, unit):
    with unit(world["supplier_b"]) as ctx:
        product = catalog.create_product(ctx, draft("B-MUG"))
        b_sku = catalog.skus_of(ctx.session, product.id)[0].id
    with pytest.raises(ValidationFailed) as refused:
        order_of(at, world, skus, lines=[LineDraft(skus.white, 5), LineDraft(b_sku, 5)])
    assert refused.value.errors[0].field == "lines[1].sku_id"
    assert "another supplier" in refused.value.errors[0].message


def test_a_sku_not_approved_is_refused(at, world, skus, unit):
    with unit(world["supplier_a"]) as ctx:
        product = catalog.create_product(ctx, draft("DRAFT-MUG"))
        unapproved = catalog.skus_of(ctx.session, product.id)[0].id
    with pytest.raises(ValidationFailed) as refused:
        order_of(at, world, skus, lines=[LineDraft(unapproved, 5)])
    assert refused.value.errors[0].message.endswith("not approved for sale (its product is draft)")


def test_every_problem_of_an_order_is_named_and_nothing_is_written(at, world, skus):
    with pytest.raises(ValidationFailed) as refused:
        order_of(
            at,
            world,
            skus,
            supplier_id="sup_nobody",
            warehouse_id="US-LAX",
            jit_hours=0,
            lines=[LineDraft("sku_nothing", 5), LineDraft(skus.white, 5), LineDraft(skus.white, 1)],
        )
    assert _fields(refused.value) == [
        "supplier_id",
        "jit_hours",
        "warehouse_id",
        "lines[0].sku_id",
        "lines[1].sku_id",  # belongs to supplier A, not to the unknown supplier
        "lines[2].sku_id",
    ]
    with at(world["merchandiser"]) as ctx:
        assert stockup.list_orders(ctx).total == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "weekly"}, "kind"),
        ({"jit_hours": 24 * 31}, "jit_hours"),
        ({"kind": "planned", "jit_hours": None}, "due_on"),
        ({"kind": "planned", "jit_hours": 5}, "jit_hours"),
        ({"lines": []}, "lines"),
        ({"warehouse_id": "XX-NOWHERE"}, "warehouse_id"),
    ],
)
def test_timing_kind_and_place_are_checked(at, world, skus, changes, field):
    with pytest.raises(ValidationFailed) as refused:
        order_of(at, world, skus, **changes)
    assert _fields(refused.value) == [field]


def test_a_planned_order_may_not_be_due_in_the_past(at, world, skus):
    with pytest.raises(ValidationFailed) as refused:
        order_of(
            at, world, skus, kind="planned", jit_hours=None, due_on=at.today() - timedelta(days=1)
        )
    assert _fields(refused.value) == ["due_on"]


# --- bad input when booking the delivery --------------------------------------------------------


def _confirmed(at, world, skus) -> str:  # type: ignore[no-untyped-def]
    order_id = order_of(at, world, skus, white=100, black=50)
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
    return order_id


def test_shipping_more_than_ordered_is_refused(at, world, skus):
    order_id = _confirmed(at, world, skus)
    with at(world["supplier_a"]) as ctx, pytest.raises(ValidationFailed) as refused:
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 60), CartonDraft(skus.white, 41)])
    assert refused.value.errors[0].field == "cartons"
    assert "101 units of MUG-350-WHT on the notice, but only 100 ordered" in refused.value.detail


@pytest.mark.parametrize(
    ("carton", "field"),
    [
        ({"units": 0}, "cartons[0].units"),
        ({"units": -3}, "cartons[0].units"),
        ({"units": 10_001}, "cartons[0].units"),
        ({"weight_g": 0}, "cartons[0].weight_g"),
        ({"sku_id": "sku_stranger"}, "cartons[0].sku_id"),
    ],
)
def test_bad_cartons_are_refused_naming_the_carton(at, world, skus, carton, field):
    order_id = _confirmed(at, world, skus)
    values = {"sku_id": skus.white, "units": 10, **carton}
    with at(world["supplier_a"]) as ctx, pytest.raises(ValidationFailed) as refused:
        stockup.ship(ctx, order_id, [CartonDraft(**values)])
    assert _fields(refused.value) == [field]
    with at(world["supplier_a"]) as ctx:
        assert stockup.visible_order(ctx, order_id).state == "confirmed"
        assert stockup.cartons_of(ctx.session, order_id) == []


def test_a_notice_without_cartons_is_refused(at, world, skus):
    order_id = _confirmed(at, world, skus)
    with at(world["supplier_a"]) as ctx, pytest.raises(ValidationFailed) as refused:
        stockup.ship(ctx, order_id, [])
    assert _fields(refused.value) == ["cartons"]


# --- bad input when receiving -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "field", "words"),
    [
        ({"received": 101}, "lines[0].received", "the notice shipped only 100"),
        ({"sku_id": "sku_other"}, "lines[0].sku_id", "is not on this order"),
        ({"received": -1}, "lines[0].received", "not negative"),
        ({"received": 10, "qc_sampled": 11}, "lines[0].qc_sampled", "at most the 10 received"),
        ({"qc_sampled": 5, "qc_failed": 6}, "lines[0].qc_failed", "at most the 5 sampled"),
    ],
)
def test_bad_counts_are_refused_and_nothing_is_booked(at, world, skus, count, field, words):
    order_id = shipped_order(at, world, skus)
    values = {"sku_id": skus.white, "received": 100, **count}
    with at(world["logistics"]) as ctx, pytest.raises(ValidationFailed) as refused:
        stockup.receive(ctx, order_id, [LineCount(**values)])
    assert refused.value.errors[0].field == field
    assert words in refused.value.errors[0].message
    with at(world["logistics"]) as ctx:
        assert stockup.visible_order(ctx, order_id).state == "shipped"
        assert ledger.balance(ctx.session, skus.white, "CN-GZ").receiving == 0


def test_a_sku_of_the_catalog_not_on_the_order_is_refused_at_the_dock(at, world, skus, unit):
    order_id = order_of(at, world, skus, lines=[LineDraft(skus.white, 10)])
    with at(world["supplier_a"]) as ctx:
        stockup.confirm(ctx, order_id)
        stockup.ship(ctx, order_id, [CartonDraft(skus.white, 10)])
    with at(world["logistics"]) as ctx, pytest.raises(ValidationFailed) as refused:
        stockup.receive(ctx, order_id, [LineCount(skus.white, 10), LineCount(skus.black, 3)])
    assert refused.value.errors[0].field == "lines[1].sku_id"


# --- tenancy ------------------------------------------------------------------------------------


def test_a_supplier_sees_and_answers_only_its_own_orders(at, world, skus):
    order_id = order_of(at, world, skus)
    with at(world["supplier_b"]) as ctx:
        for attempt in (
            lambda: stockup.visible_order(ctx, order_id),
            lambda: stockup.confirm(ctx, order_id),
            lambda: stockup.decline(ctx, order_id, "not ours"),
            lambda: stockup.labels_pdf(ctx, order_id),
            lambda: stockup.receive(ctx, order_id, []),  # 404 before the role is checked
        ):
            with pytest.raises(NotFound):
                attempt()
        assert stockup.list_orders(ctx).total == 0
    with at(world["supplier_a"]) as ctx:
        assert [o.id for o in stockup.list_orders(ctx).items] == [order_id]


def test_a_supplier_may_not_issue_orders(at, world, skus):
    with pytest.raises(Forbidden), at(world["supplier_a"]) as ctx:
        stockup.issue(
            ctx,
            StockUpDraft(world.supplier_a, "CN-GZ", "jit", [LineDraft(skus.white, 1)], 24),
        )


# --- expiry -------------------------------------------------------------------------------------


def test_unshipped_orders_expire_after_the_configured_days(at, world, skus):
    issued = order_of(at, world, skus)
    confirmed = _confirmed(at, world, skus)
    shipped = shipped_order(at, world, skus)
    at.advance(hours=48, days=13)
    with at() as ctx:
        assert stockup.expire_overdue(ctx) == []
    at.advance(days=1)
    with at() as ctx:
        assert sorted(r.id for r in stockup.expire_overdue(ctx)) == sorted([issued, confirmed])
    with at() as ctx:
        assert stockup.visible_order(ctx, shipped).state == "shipped"
        last = history_of(ctx.session, "stock_up", issued)[-1]
        assert (last.action, last.to_state) == ("expire", "expired")
        assert "not shipped 14 days after it was due" in last.reason
        assert stockup.expire_overdue(ctx) == []  # nothing twice


def test_the_expiry_days_come_from_the_settings(at, world, skus):
    from dataclasses import replace

    at.settings = replace(at.settings, stockup_expiry_days=2)
    order_id = order_of(at, world, skus)
    at.advance(hours=48, days=2)
    with at() as ctx:
        assert [r.id for r in stockup.expire_overdue(ctx)] == [order_id]


def test_expiry_runs_as_a_job(at, world, skus, db, settings):
    from chuhai.core import jobs

    order_of(at, world, skus)
    at.advance(days=20)
    with db.unit_of_work() as uow:
        jobs.enqueue(uow.session, stockup.EXPIRE_JOB, {}, at.clock.now())
        uow.commit()
    [job] = [j for j in jobs.run_pending(db, settings, at.clock) if j.kind == stockup.EXPIRE_JOB]
    assert (job.status, job.result.split(":")[0]) == ("done", "1 stock-up order(s) expired")


def test_received_in_full_helper_books_everything(at, world, skus):
    order_id = shipped_order(at, world, skus)
    received_in_full(at, world, order_id)
    with at() as ctx:
        assert ledger.balance(ctx.session, skus.white, "CN-GZ").on_hand == 100
