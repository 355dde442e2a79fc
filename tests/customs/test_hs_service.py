"""HS classification assist through the service layer: suggestions for texts and for a
product's SKUs, confirming a SKU's code (which teaches later suggestions), the history of
confirmations, and bad input refused with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chuhai.catalog import service as catalog
from chuhai.core.errors import Forbidden, NotFound, ValidationFailed
from chuhai.customs import hs_service
from chuhai.customs.hs import load_seed_examples
from chuhai.customs.hs_classify import ProductText
from chuhai.customs.tables import HsConfirmationRow

from helpers import draft, sku

MUG_TEXT = "350 ml ceramic mug ceramic Stoneware mug, dishwasher safe."


@pytest.fixture
def mug(unit, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Supplier A's ceramic mug: product id and SKU ids by SKU code."""
    with unit(world["supplier_a"]) as ctx:
        product = catalog.create_product(ctx, draft("MUG-350"))
        skus = {s.sku_code: s.id for s in catalog.skus_of(ctx.session, product.id)}
    return {"product": product.id, **skus}


def confirmations(unit) -> int:  # type: ignore[no-untyped-def]
    with unit() as ctx:
        return int(ctx.session.scalar(select(func.count()).select_from(HsConfirmationRow)))


def hs_code_of(unit, sku_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with unit() as ctx:
        return catalog.visible_sku(ctx, sku_id).hs_code


# --- suggesting -----------------------------------------------------------------------------------


def test_an_operator_gets_five_subheadings_per_text_best_first(unit, world):
    with unit(world["customs"]) as ctx:
        found = hs_service.suggest(
            ctx,
            [ProductText("350 ml ceramic mug", material="ceramic"), ProductText("LED desk lamp")],
        )

    mug, lamp = found
    assert [s.code for s in mug][:1] == ["691200"]
    assert mug[0].dotted == "6912.00"
    assert mug[0].subheading == (
        "Ceramic tableware, kitchenware, other household articles and toilet articles; "
        "other than of porcelain or china"
    )
    assert mug[0].chapter == "Ceramic products"
    assert lamp[0].code[:4] == "9405"  # lamps and lighting fittings
    assert len(mug) == len(lamp) == 5


def test_a_supplier_may_not_ask_for_suggestions(unit, world):
    # they show other suppliers' confirmed titles as evidence
    with pytest.raises(Forbidden), unit(world["supplier_a"]) as ctx:
        hs_service.suggest(ctx, [ProductText("mug")])


@pytest.mark.parametrize(
    ("products", "top", "errors"),
    [
        ([], 5, [("products", "give at least one product")]),
        ([ProductText("  ")], 5, [("title", "is required")]),
        (
            [ProductText("mug"), ProductText("", material="x" * 301)],
            5,
            [
                ("products[1].title", "is required"),
                ("products[1].material", "at most 300 characters"),
            ],
        ),
        ([ProductText("mug", "d" * 5001)], 5, [("description", "at most 5,000 characters")]),
        ([ProductText("mug")], 11, [("top", "between 1 and 10")]),
    ],
    ids=["none", "blank-title", "second-bad", "long-description", "top"],
)
def test_bad_texts_are_refused_naming_the_field(unit, world, products, top, errors):
    with pytest.raises(ValidationFailed) as refused, unit(world["customs"]) as ctx:
        hs_service.suggest(ctx, products, top)

    assert [(e.field, e.message) for e in refused.value.errors] == errors


def test_a_product_is_classified_as_a_whole_and_per_sku(unit, world, mug):
    with unit(world["compliance"]) as ctx:
        found = hs_service.classify_product(ctx, mug["product"])

    assert found.text == MUG_TEXT
    assert found.suggestions[0].code == "691200"
    assert [(s.sku_code, s.materials, s.hs_code) for s in found.skus] == [
        ("MUG-350-BLK", "ceramic", None),
        ("MUG-350-WHT", "ceramic", None),
    ]
    assert found.skus[0].suggestions[0].code == "691200"
    assert found.skus[0].last_confirmation is None


def test_a_skus_material_gives_it_its_own_suggestions(unit, world):
    with unit(world["supplier_a"]) as ctx:
        product = catalog.create_product(
            ctx,
            draft(
                "BOWL-1",
                title_en="Fruit bowl",
                description_en="",
                skus=[
                    sku("BOWL-1-GL", materials="glass"),
                    sku("BOWL-1-CE", materials="ceramic", barcode=""),
                ],
            ),
        )
    with unit(world["customs"]) as ctx:
        found = hs_service.classify_product(ctx, product.id)

    by_sku = {s.sku_code: s.suggestions[0].code[:2] for s in found.skus}
    assert by_sku == {"BOWL-1-GL": "70", "BOWL-1-CE": "69"}
    assert found.text == "Fruit bowl ceramic, glass"  # SKUs in code order


def test_a_supplier_gets_not_found_for_another_suppliers_product_and_no_suggestions_for_its_own(
    unit, world, mug
):
    with pytest.raises(NotFound) as missing, unit(world["supplier_b"]) as ctx:
        hs_service.classify_product(ctx, mug["product"])
    assert missing.value.field == "product_id"
    with pytest.raises(Forbidden), unit(world["supplier_a"]) as ctx:
        hs_service.classify_product(ctx, mug["product"])


# --- confirming -----------------------------------------------------------------------------------


def test_customs_confirms_a_suggested_code_and_the_sku_carries_it(unit, world, mug):
    with unit(world["customs"]) as ctx:
        row = hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], "6912.00", "stoneware body")

    assert hs_code_of(unit, mug["MUG-350-WHT"]) == "691200"
    assert hs_code_of(unit, mug["MUG-350-BLK"]) is None
    assert (row.code, row.previous_code, row.edition, row.suggested_rank) == (
        "691200",
        None,
        "HS 2022",
        1,
    )
    assert (row.text, row.note) == (MUG_TEXT, "stoneware body")
    assert (row.confirmed_by, row.confirmed_by_name) == (world["customs"].user_id, "Customs")
    assert row.product_id == mug["product"]


def test_a_code_typed_by_hand_is_recorded_as_not_suggested(unit, world, mug):
    with unit(world["compliance"]) as ctx:
        hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], "691200")
        row = hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], "3924.10")

    assert (row.code, row.previous_code, row.suggested_rank) == ("392410", "691200", None)
    assert hs_code_of(unit, mug["MUG-350-WHT"]) == "392410"
    assert confirmations(unit) == 2


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("691299", "6912.99 is not an HS 2022 subheading; heading 6912 has 6912.00"),
        ("6912", "6912 is a heading; choose one of its subheadings: 6912.00"),
        ("mug", "an HS code is six digits, e.g. 6912.00; got 'mug'"),
        ("", "is required"),
    ],
    ids=["unknown", "heading", "letters", "empty"],
)
def test_a_code_that_does_not_exist_is_refused_and_nothing_is_written(
    unit, world, mug, code, message
):
    with pytest.raises(ValidationFailed) as refused, unit(world["customs"]) as ctx:
        hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], code)

    assert [(e.field, e.message) for e in refused.value.errors] == [("hs_code", message)]
    assert confirmations(unit) == 0
    assert hs_code_of(unit, mug["MUG-350-WHT"]) is None


def test_a_note_over_1000_characters_is_refused_and_nothing_is_written(unit, world, mug):
    with pytest.raises(ValidationFailed) as refused, unit(world["customs"]) as ctx:
        hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], "691200", "n" * 1001)

    assert refused.value.field == "note"
    assert confirmations(unit) == 0
    assert hs_code_of(unit, mug["MUG-350-WHT"]) is None


@pytest.mark.parametrize("who", ["merchandiser", "logistics", "finance", "supplier_a"])
def test_only_customs_and_compliance_confirm_codes(unit, world, mug, who):
    with pytest.raises(Forbidden), unit(world[who]) as ctx:
        hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], "691200")

    assert confirmations(unit) == 0


def test_another_suppliers_sku_is_not_found_before_anything_else(unit, world, mug):
    with pytest.raises(NotFound) as missing, unit(world["supplier_b"]) as ctx:
        hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], "691200")

    assert missing.value.field == "sku_id"
    assert confirmations(unit) == 0


def test_confirming_an_unknown_sku_answers_not_found(unit, world):
    with pytest.raises(NotFound) as missing, unit(world["customs"]) as ctx:
        hs_service.confirm_hs_code(ctx, "sku_nope", "691200")

    assert missing.value.field == "sku_id"


def test_the_catalog_keeps_only_six_digit_codes_on_a_sku(unit, world, mug):
    with pytest.raises(ValidationFailed) as refused, unit(world["customs"]) as ctx:
        catalog.set_hs_code(ctx, mug["MUG-350-WHT"], "6912")

    assert refused.value.field == "hs_code"
    with pytest.raises(Forbidden), unit(world["merchandiser"]) as ctx:
        catalog.set_hs_code(ctx, mug["MUG-350-WHT"], "691200")


def test_a_confirmed_code_improves_the_next_suggestion(unit, world):
    title = "Zorblax fidget orb"
    with unit(world["supplier_a"]) as ctx:
        first = catalog.create_product(
            ctx, draft("ORB-1", title_en=title, description_en="", skus=[sku("ORB-1-A")])
        )
        orb_sku = catalog.skus_of(ctx.session, first.id)[0].id
    with unit(world["customs"]) as ctx:
        before = hs_service.suggest(ctx, [ProductText("Zorblax fidget orb, blue")])[0]
        hs_service.confirm_hs_code(ctx, orb_sku, "950300", "a toy")
    with unit(world["customs"]) as ctx:
        after = hs_service.suggest(ctx, [ProductText("Zorblax fidget orb, blue")])[0]

    assert before[0].code != "950300"
    assert after[0].code == "950300"
    assert after[0].examples[0] == "Zorblax fidget orb ceramic"  # title and the SKU's material


def test_a_corrected_code_replaces_the_one_it_corrects_in_what_the_model_learns(unit, world, mug):
    with unit(world["customs"]) as ctx:
        hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], "691110")
        hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], "691200")
        hs_service.confirm_hs_code(ctx, mug["MUG-350-BLK"], "691200")  # same text, same code
        learned = hs_service.training_examples(ctx)

    seeds = len(load_seed_examples())
    assert len(learned) == seeds + 1
    assert (learned[-1].text, learned[-1].code) == (MUG_TEXT, "691200")


def test_confirmations_are_listed_newest_first_per_product(unit, world, mug):
    with unit(world["customs"]) as ctx:
        hs_service.confirm_hs_code(ctx, mug["MUG-350-WHT"], "691200")
        hs_service.confirm_hs_code(ctx, mug["MUG-350-BLK"], "691110")
    with unit(world["merchandiser"]) as ctx:
        page = hs_service.list_confirmations(ctx, product_id=mug["product"])
        one = hs_service.list_confirmations(ctx, sku_id=mug["MUG-350-WHT"])

    assert [r.code for r in page.items] == ["691110", "691200"]
    assert page.total == 2
    assert [r.code for r in one.items] == ["691200"]
    with pytest.raises(Forbidden), unit(world["supplier_a"]) as ctx:
        hs_service.list_confirmations(ctx)


def test_a_code_is_looked_up_with_its_chapter_and_heading(unit, world):
    with unit(world["finance"]) as ctx:
        path = hs_service.look_up(ctx, "6912.00")
        heading = hs_service.look_up(ctx, "6912")

    assert [(e.code, e.level) for e in path] == [("69", 2), ("6912", 4), ("691200", 6)]
    assert [e.code for e in heading] == ["69", "6912"]
    for missing in ("691299", "69120", "mug"):
        with pytest.raises(NotFound) as refused, unit(world["finance"]) as ctx:
            hs_service.look_up(ctx, missing)
        assert refused.value.field == "code"
