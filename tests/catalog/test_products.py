"""Products and SKUs through the service: editing drafts, images, certificates."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from chuhai.catalog import listing, service
from chuhai.catalog.tables import SkuRow, SupplyPriceChangeRow
from chuhai.core.errors import Conflict, ValidationFailed

from helpers import draft, png_bytes, sku


def test_editing_a_draft_adds_changes_and_removes_skus(unit, world):
    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, draft())
    edited = draft(skus=[sku("MUG-350-WHT", "12.90"), sku("MUG-350-RED", "13.00", barcode="")])
    with unit(world["supplier_a"]) as ctx:
        service.update_product(ctx, product.id, edited)
    with unit(world["supplier_a"]) as ctx:
        skus = {s.sku_code: s.supply_price_amount for s in service.skus_of(ctx.session, product.id)}
        sources = sorted(c.source for c in ctx.session.scalars(select(SupplyPriceChangeRow)))
    assert skus == {"MUG-350-RED": 1300, "MUG-350-WHT": 1290}
    assert sources == ["declared", "declared", "edited"]


def test_a_submitted_product_cannot_be_edited(unit, world):
    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, draft())
        service.add_image(ctx, product.id, png_bytes(), "a.png")
        listing.submit(ctx, product.id)
    with unit(world["supplier_a"]) as ctx, pytest.raises(Conflict) as caught:
        service.update_product(ctx, product.id, draft(title_en="Changed"))
    assert caught.value.extra["current_state"] == "submitted"


def test_sku_codes_are_unique_within_a_supplier_but_not_across(unit, world):
    with unit(world["supplier_a"]) as ctx:
        service.create_product(ctx, draft("P1"))
    with unit(world["supplier_a"]) as ctx, pytest.raises(Conflict) as caught:
        service.create_product(ctx, draft("P2", skus=[sku("P1-WHT")]))
    assert "P1-WHT" in caught.value.detail
    with unit(world["supplier_b"]) as ctx:
        service.create_product(ctx, draft("P1"))
    with unit() as ctx:
        assert ctx.session.scalar(select(func.count()).select_from(SkuRow)) == 4


def test_a_certificate_needs_a_known_type_and_sensible_dates(unit, world):
    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, draft())
    with unit(world["supplier_a"]) as ctx, pytest.raises(ValidationFailed) as caught:
        service.add_certificate(
            ctx,
            product.id,
            cert_type="XYZ",
            number="",
            issuer="TÜV",
            issued_on=date(2025, 1, 1),
            expires_on=date(2024, 1, 1),
            content=b"%PDF-1.4 ...",
            filename="ce.pdf",
        )
    assert [e.field for e in caught.value.errors] == ["cert_type", "number", "expires_on"]
    with unit(world["supplier_a"]) as ctx:
        row = service.add_certificate(
            ctx,
            product.id,
            cert_type="CE",
            number="CE-2025-1",
            issuer="TÜV SÜD",
            issued_on=date(2025, 1, 1),
            expires_on=date(2030, 1, 1),
            content=b"%PDF-1.4 ...",
            filename="ce.pdf",
        )
    assert row.cert_type == "CE"


def test_a_product_has_at_most_twelve_images(unit, world):
    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, draft())
        for n in range(service.MAX_IMAGES_PER_PRODUCT):
            service.add_image(ctx, product.id, png_bytes(colour=(n, 0, 0)), f"{n}.png")
    with unit(world["supplier_a"]) as ctx, pytest.raises(ValidationFailed):
        service.add_image(ctx, product.id, png_bytes(), "13.png")
