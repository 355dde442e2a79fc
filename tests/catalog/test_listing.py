"""The full-custody listing workflow, through the service layer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from chuhai.catalog import listing, registry, service
from chuhai.catalog.tables import ListingTransitionRow, ProductRow, SkuRow, SupplyPriceChangeRow
from chuhai.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed

from helpers import draft, png_bytes


def _submitted(unit, world, ref="MUG-350", **changes):
    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, draft(ref, **changes))
        service.add_image(ctx, product.id, png_bytes(), "mug.png")
        listing.submit(ctx, product.id)
    return product.id


def _to_negotiation(unit, world, product_id):
    with unit(world["compliance"]) as ctx:
        listing.start_compliance_review(ctx, product_id)
        listing.pass_compliance(ctx, product_id, "no certificates needed for mugs")
        listing.pass_ip(ctx, product_id)


def test_a_product_goes_from_draft_to_listed_with_every_step_recorded(unit, world):
    product_id = _submitted(unit, world)
    _to_negotiation(unit, world, product_id)
    with unit(world["merchandiser"]) as ctx:
        skus = {s.sku_code: s.id for s in service.skus_of(ctx.session, product_id)}
        white, black = skus["MUG-350-WHT"], skus["MUG-350-BLK"]
        listing.make_offer(ctx, product_id, {white: "11.00", black: "12.00"}, "volume")
    with unit(world["supplier_a"]) as ctx:
        listing.make_offer(ctx, product_id, {white: "11.80", black: "12.60"})
    with unit(world["merchandiser"]) as ctx:
        listing.accept_offer(ctx, product_id, "agreed")
    with unit(world["logistics"]) as ctx:
        listing.receive_sample(ctx, product_id)
        listing.record_check(
            ctx, product_id, name="glaze", passed=True, photos=[("glaze.png", png_bytes())]
        )
        listing.pass_qc(ctx, product_id)
    with unit(world["merchandiser"]) as ctx:
        listing.list_in_markets(ctx, product_id, ["US", "DE"])

    with unit(world["admin"]) as ctx:
        product = ctx.session.get(ProductRow, product_id)
        steps = [
            (t.action, t.from_state, t.to_state)
            for t in ctx.session.scalars(
                select(ListingTransitionRow)
                .where(ListingTransitionRow.product_id == product_id)
                .order_by(ListingTransitionRow.at)
            )
        ]
        prices = {s.sku_code: s.supply_price_amount for s in ctx.session.scalars(select(SkuRow))}
        history = [
            (c.source, c.amount)
            for c in ctx.session.scalars(
                select(SupplyPriceChangeRow).order_by(SupplyPriceChangeRow.changed_at)
            )
            if c.sku_id == white
        ]
    assert product.state == "listed"
    assert steps == [
        ("submit", "draft", "submitted"),
        ("start_compliance_review", "submitted", "compliance_review"),
        ("pass_compliance", "compliance_review", "ip_review"),
        ("pass_ip", "ip_review", "price_negotiation"),
        ("agree_price", "price_negotiation", "sample_qc"),
        ("pass_qc", "sample_qc", "approved"),
        ("list", "approved", "listed"),
    ]
    assert prices == {"MUG-350-BLK": 1260, "MUG-350-WHT": 1180}
    assert history == [("declared", 1250), ("negotiated", 1180)]


def test_an_illegal_transition_is_a_conflict_naming_the_current_state(unit, world):
    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, draft())
    with unit(world["compliance"]) as ctx, pytest.raises(InvalidTransition) as caught:
        listing.pass_compliance(ctx, product.id)
    assert caught.value.status == 409
    assert caught.value.extra["current_state"] == "draft"


def test_a_supplier_cannot_see_another_suppliers_product(unit, world):
    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, draft())
    with unit(world["supplier_b"]) as ctx, pytest.raises(NotFound):
        service.visible_product(ctx, product.id)
    with unit(world["supplier_b"]) as ctx:
        assert service.list_products(ctx).total == 0


def test_a_supplier_cannot_review_its_own_product(unit, world):
    product_id = _submitted(unit, world)
    with unit(world["supplier_a"]) as ctx, pytest.raises(Forbidden):
        listing.start_compliance_review(ctx, product_id)


def test_submitting_without_an_image_names_what_is_missing(unit, world):
    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, draft())
    with unit(world["supplier_a"]) as ctx, pytest.raises(ValidationFailed) as caught:
        listing.submit(ctx, product.id)
    assert [e.field for e in caught.value.errors] == ["images"]


def test_a_brand_match_holds_ip_review_until_the_reviewer_says_why(unit, world):
    with unit(world["compliance"]) as ctx:
        registry.create_brand(ctx, name="Adidas", aliases=["阿迪达斯"])
    product_id = _submitted(unit, world, title_en="Adidaas style running mug")
    with unit(world["compliance"]) as ctx:
        listing.start_compliance_review(ctx, product_id)
        listing.pass_compliance(ctx, product_id)
    with unit(world["compliance"]) as ctx, pytest.raises(ValidationFailed) as caught:
        listing.pass_ip(ctx, product_id)
    assert caught.value.errors[0].field == "note"
    with unit(world["compliance"]) as ctx:
        found = listing.findings(ctx, product_id, "ip")
        listing.reject(ctx, product_id, "look-alike of a protected brand")
    assert found[0].details["brand"] == "Adidas"
    assert "Adidaas" in found[0].message


def test_electronics_without_ce_cannot_pass_compliance_for_germany(unit, world):
    product_id = _submitted(
        unit,
        world,
        ref="SPK-1",
        category_code="electronics.audio",
        title_en="Bluetooth speaker",
        title_zh="蓝牙音箱",
        target_markets=["DE"],
    )
    with unit(world["compliance"]) as ctx:
        listing.start_compliance_review(ctx, product_id)
    with unit(world["compliance"]) as ctx, pytest.raises(Conflict) as caught:
        listing.pass_compliance(ctx, product_id)
    assert "CE" in caught.value.detail


def test_the_supplier_declining_the_counter_offer_withdraws_the_product(unit, world):
    product_id = _submitted(unit, world)
    _to_negotiation(unit, world, product_id)
    with unit(world["merchandiser"]) as ctx:
        skus = service.skus_of(ctx.session, product_id)
        listing.make_offer(ctx, product_id, {s.id: "5.00" for s in skus})
    with unit(world["supplier_a"]) as ctx:
        product = listing.decline_offer(ctx, product_id, "below our material cost")
    assert product.state == "rejected"


def test_an_offer_with_too_many_decimals_is_refused(unit, world):
    product_id = _submitted(unit, world)
    _to_negotiation(unit, world, product_id)
    with unit(world["merchandiser"]) as ctx, pytest.raises(ValidationFailed) as caught:
        skus = service.skus_of(ctx.session, product_id)
        listing.make_offer(ctx, product_id, {s.id: "11.005" for s in skus})
    assert "decimal places" in caught.value.errors[0].message


def test_two_reviewers_acting_at_once_never_lose_an_update(db, settings, world):
    """The second reviewer either acts on the state the first left, or gets a conflict
    (the row's version moved on); the history always chains from state to state."""
    from sqlalchemy.orm.exc import StaleDataError

    from chuhai.core.clock import SystemClock
    from chuhai.core.context import Context

    with db.unit_of_work() as uow:
        ctx = Context(uow.session, world["supplier_a"], SystemClock(), settings)
        product = service.create_product(ctx, draft())
        service.add_image(ctx, product.id, png_bytes(), "a.png")
        listing.submit(ctx, product.id)
        uow.commit()
    with db.unit_of_work() as first, db.unit_of_work() as second:
        one = Context(first.session, world["compliance"], SystemClock(), settings)
        two = Context(second.session, world["compliance"], SystemClock(), settings)
        service.visible_product(two, product.id)  # the second reviewer has the page open
        listing.start_compliance_review(one, product.id)
        first.commit()
        try:
            listing.reject(two, product.id, "duplicate of another listing")
            second.commit()
        except StaleDataError:
            pass
    with unit_of_work_as(db, settings, world["admin"]) as ctx:
        final = ctx.session.get(ProductRow, product.id)
        history = list(
            ctx.session.scalars(
                select(ListingTransitionRow)
                .where(ListingTransitionRow.product_id == product.id)
                .order_by(ListingTransitionRow.at, ListingTransitionRow.id)
            )
        )
        assert [h.from_state for h in history[1:]] == [h.to_state for h in history[:-1]]
        assert final.state == history[-1].to_state


def unit_of_work_as(db, settings, actor):
    from contextlib import contextmanager

    from chuhai.core.clock import SystemClock
    from chuhai.core.context import Context

    @contextmanager
    def opened():
        with db.unit_of_work() as uow:
            yield Context(uow.session, actor, SystemClock(), settings)

    return opened()


def test_rejecting_in_sample_qc_records_a_failed_sample(unit, world):
    product_id = _submitted(unit, world)
    _to_negotiation(unit, world, product_id)
    with unit(world["merchandiser"]) as ctx:
        listing.accept_offer(ctx, product_id)
    with unit(world["logistics"]) as ctx:
        listing.reject(ctx, product_id, "the factory never sent the sample")
    with unit(world["logistics"]) as ctx:
        sample = listing.current_sample(ctx, product_id)
        product = service.visible_product(ctx, product_id)
    assert (product.state, sample.result) == ("rejected", "failed")


def test_the_review_queue_refuses_a_state_that_is_not_a_review_stage(unit, world):
    with unit(world["compliance"]) as ctx, pytest.raises(ValidationFailed) as caught:
        listing.review_queue(ctx, "listed")
    assert caught.value.errors[0].field == "state"


def test_brands_are_found_by_their_chinese_alias_and_lengths_are_checked(unit, world):
    with unit(world["compliance"]) as ctx:
        registry.create_brand(ctx, name="Nike", aliases=["耐克"], owner="Nike, Inc.")
    with unit(world["compliance"]) as ctx:
        assert [b.name for b in registry.list_brands(ctx, search="耐克").items] == ["Nike"]
    with unit(world["compliance"]) as ctx, pytest.raises(ValidationFailed) as caught:
        registry.create_brand(ctx, name="Puma", owner="x" * 201)
    assert caught.value.errors[0].as_dict() == {
        "field": "owner",
        "message": "at most 200 characters",
    }
