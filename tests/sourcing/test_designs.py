"""Studios' designs: submission against a published brief, revision on feedback, review,
and acceptance with terms that makes a product draft for each chosen factory."""

from __future__ import annotations

import pytest

from chuhai.catalog import service as catalog
from chuhai.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from chuhai.finance import ledger
from chuhai.sourcing import briefs, designs
from chuhai.sourcing.model import parse_terms

from sourcing_world import (
    brief_draft,
    design_draft,
    factory_skus,
    published_brief,
    rates_for_today,
    studios,
)


@pytest.fixture
def crew(unit, world):
    rates_for_today(unit, world)
    factory_skus(unit, world, "supplier_a", "MUG-A", "12.00", moq=100)
    factory_skus(unit, world, "supplier_b", "MUG-B", "16.00", moq=500)
    return studios(unit, world)


def test_a_design_is_revised_on_feedback_and_accepted_into_a_product_draft_per_factory(
    unit, world, crew
):
    brief_id = published_brief(unit, world)
    with unit(crew.studio_a) as ctx:
        design = designs.submit(ctx, brief_id, design_draft())
        assert design.bom_cost == 470  # 0.45 kg × ¥6 + 0.05 kg × ¥40
    with unit(world["merchandiser"]) as ctx:
        designs.request_changes(ctx, design.id, "a thicker rim, please")
    with unit(crew.studio_a) as ctx:
        assert designs.visible_design(ctx, design.id).feedback == "a thicker rim, please"
        designs.resubmit(ctx, design.id, design_draft(target_cost="14.50"), "rim now 4 mm")
    with unit(world["merchandiser"]) as ctx:
        ranked = designs.factory_matches(ctx, design.id)
        assert [(m.profile.code, m.fits) for m in ranked] == [("SUP-A", True), ("SUP-B", False)]
        assert ranked[1].reasons == ("MOQ 500 is above the first run of 200",)
        terms = parse_terms("fee", fee="3000.00")
        accepted = designs.accept(ctx, design.id, terms, [world.supplier_a, world.supplier_b])
        history = designs.design_history(ctx, design.id)
        products = [catalog.visible_product(ctx, p) for p in accepted.product_ids]
        sku = catalog.skus_of(ctx.session, products[0].id)[0]
    assert accepted.state == "accepted" and accepted.revision == 2
    assert (accepted.terms_kind, accepted.fee, accepted.royalty_bp) == ("fee", 300_000, 0)
    assert [p.supplier_id for p in products] == [world.supplier_a, world.supplier_b]
    assert {p.state for p in products} == {"draft"}
    assert products[0].target_markets == ["US", "DE"]
    assert (sku.supply_price_amount, sku.moq, sku.daily_capacity) == (1450, 100, 50)
    assert [(h.action, h.to_state) for h in history] == [
        ("submit", "submitted"),
        ("request_changes", "changes_requested"),
        ("resubmit", "resubmitted"),
        ("accept", "accepted"),
    ]
    assert history[-1].reason == "fixed fee 3000.00 CNY"
    with unit() as ctx:  # owed to the studio now, in the ledger by the studio's id
        [entry] = ctx.session.scalars(ledger.entries_query(document_id=design.id)).all()
        lines = {
            (x.account_code, x.party_id): x.amount for x in ledger.lines_of(ctx.session, entry.id)
        }
    assert lines == {("5500-CNY", None): 300_000, ("2150-CNY", crew.studio_a_id): -300_000}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"specification": ""}, "specification"),
        ({"specification": "   "}, "specification"),
        ({"bom": []}, "bom"),
        (
            {"bom": [{"material": "clay", "quantity": "0", "unit": "kg", "unit_cost": "6"}]},
            "bom[0].quantity",
        ),
        (
            {"bom": [{"material": "clay", "quantity": "1", "unit": "kg", "unit_cost": "6.001"}]},
            "bom[0].unit_cost",
        ),
        ({"target_cost": "0"}, "target_cost"),
        ({"title": ""}, "title"),
    ],
    ids=[
        "no-spec",
        "blank-spec",
        "empty-bom",
        "zero-quantity",
        "fractional-fen",
        "free",
        "no-title",
    ],
)
def test_a_design_missing_what_it_needs_is_refused(unit, world, crew, changes, field):
    brief_id = published_brief(unit, world)
    with pytest.raises(ValidationFailed) as refused, unit(crew.studio_a) as ctx:
        designs.submit(ctx, brief_id, design_draft(**changes))
    assert refused.value.field == field
    with unit(world["merchandiser"]) as ctx:
        assert designs.list_designs(ctx).total == 0


def test_a_draft_brief_takes_no_design_and_a_closed_one_no_more(unit, world, crew):
    with unit(world["merchandiser"]) as ctx:
        draft = briefs.create_brief(ctx, brief_draft())
    with pytest.raises(NotFound), unit(crew.studio_a) as ctx:
        designs.submit(ctx, draft.id, design_draft())
    brief_id = published_brief(unit, world)
    with unit(world["merchandiser"]) as ctx:
        briefs.close(ctx, brief_id)
    with pytest.raises(Conflict) as closed, unit(crew.studio_a) as ctx:
        designs.submit(ctx, brief_id, design_draft())
    assert closed.value.extra["current_state"] == "closed"


def test_a_studio_sees_only_its_own_designs(unit, world, crew):
    brief_id = published_brief(unit, world)
    with unit(crew.studio_b) as ctx:
        theirs = designs.submit(ctx, brief_id, design_draft(title="B's mug"))
    with unit(crew.studio_a) as ctx:
        mine = designs.submit(ctx, brief_id, design_draft())
        assert [d.id for d in designs.list_designs(ctx).items] == [mine.id]
        with pytest.raises(NotFound):
            designs.visible_design(ctx, theirs.id)
        with pytest.raises(NotFound):
            designs.resubmit(ctx, theirs.id, design_draft())
    with pytest.raises(NotFound), unit(world["supplier_a"]) as ctx:
        designs.visible_design(ctx, mine.id)


def test_review_steps_out_of_order_are_refused_naming_the_state(unit, world, crew):
    brief_id = published_brief(unit, world)
    with unit(crew.studio_a) as ctx:
        design = designs.submit(ctx, brief_id, design_draft())
    with pytest.raises(InvalidTransition) as early, unit(crew.studio_a) as ctx:
        designs.resubmit(ctx, design.id, design_draft())
    assert early.value.extra["current_state"] == "submitted"
    with pytest.raises(Forbidden), unit(crew.studio_a) as ctx:
        designs.accept(ctx, design.id, parse_terms("fee", fee="10"), [world.supplier_a])
    with unit(world["merchandiser"]) as ctx:
        designs.reject(ctx, design.id, "too close to an existing listing")
    with pytest.raises(InvalidTransition) as late, unit(world["merchandiser"]) as ctx:
        designs.accept(ctx, design.id, parse_terms("fee", fee="10"), [world.supplier_a])
    assert late.value.extra["current_state"] == "rejected"


@pytest.mark.parametrize(
    ("kind", "fee", "royalty", "field"),
    [
        ("fee", "", "", "fee"),
        ("fee", "0", "", "fee"),
        ("royalty", "", "3.555", "royalty_percent"),
        ("royalty", "", "101", "royalty_percent"),
        ("shares", "", "", "terms"),
    ],
    ids=["no-fee", "zero-fee", "three-decimals", "over-100", "unknown-kind"],
)
def test_bad_terms_are_refused(kind, fee, royalty, field):
    with pytest.raises(ValidationFailed) as refused:
        parse_terms(kind, fee=fee, royalty_percent=royalty)
    assert refused.value.field == field


def test_a_royalty_is_kept_in_basis_points():
    assert parse_terms("royalty", royalty_percent="3.75").royalty_bp == 375


def test_accepting_for_a_factory_outside_the_category_is_refused(unit, world, crew):
    brief_id = published_brief(unit, world)
    with unit(crew.studio_a) as ctx:
        design = designs.submit(ctx, brief_id, design_draft())
    with pytest.raises(ValidationFailed) as refused, unit(world["merchandiser"]) as ctx:
        designs.accept(ctx, design.id, parse_terms("fee", fee="10"), ["sup_nobody"])
    assert refused.value.field == "factories"
    with unit(world["merchandiser"]) as ctx:
        assert designs.visible_design(ctx, design.id).state == "submitted"


def test_design_images_are_checked_read_through_the_design_and_go_to_the_product(unit, world, crew):
    from chuhai.core.files import visible_file

    from helpers import png_bytes

    brief_id = published_brief(unit, world)
    with unit(crew.studio_a) as ctx:
        design = designs.submit(ctx, brief_id, design_draft())
        with pytest.raises(ValidationFailed) as not_an_image:
            designs.add_image(ctx, design.id, b"%PDF-1.4 not an image", "spec.pdf")
        assert not_an_image.value.field == "image"
        file_id = designs.add_image(ctx, design.id, png_bytes(), "mug.png").image_file_ids[0]
        content_type, content = designs.design_image(ctx, design.id, file_id)
        assert (content_type, content) == ("image/png", png_bytes())
    with unit(crew.studio_b) as ctx:
        with pytest.raises(NotFound):
            designs.design_image(ctx, design.id, file_id)
        with pytest.raises(NotFound):
            visible_file(ctx, file_id)  # the generic download does not bypass the design
    with pytest.raises(NotFound), unit(world["supplier_a"]) as ctx:
        visible_file(ctx, file_id)
    with unit(world["merchandiser"]) as ctx:
        accepted = designs.accept(ctx, design.id, parse_terms("fee", fee="10"), [world.supplier_a])
        view = catalog.product_view(ctx, accepted.product_ids[0])
    assert len(view.images) == 1
    with pytest.raises(Conflict) as late, unit(crew.studio_a) as ctx:
        designs.add_image(ctx, design.id, png_bytes(), "late.png")
    assert late.value.extra["current_state"] == "accepted"
