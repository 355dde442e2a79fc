"""Small builders shared by tests: product drafts, images, a whole trip through the workflow."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from chuhai.catalog.model import ProductDraft, SkuDraft


def png_bytes(size: tuple[int, int] = (64, 64), colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def sku(code: str = "MUG-350-WHT", price: str = "12.50", **changes: Any) -> SkuDraft:
    values: dict[str, Any] = dict(
        sku_code=code,
        supply_price=price,
        weight_g=380,
        length_mm=120,
        width_mm=90,
        height_mm=100,
        moq=200,
        lead_time_days=7,
        daily_capacity=3000,
        barcode="6901234567892",
        options={"colour": "white"},
        materials="ceramic",
    )
    values.update(changes)
    return SkuDraft(**values)


def draft(ref: str = "MUG-350", **changes: Any) -> ProductDraft:
    values: dict[str, Any] = dict(
        ref=ref,
        category_code="home.kitchen",
        title_zh="350毫升陶瓷马克杯",
        title_en="350 ml ceramic mug",
        description_en="Stoneware mug, dishwasher safe.",
        skus=[
            sku(f"{ref}-WHT"),
            sku(f"{ref}-BLK", "13.20", options={"colour": "black"}, barcode=""),
        ],
        target_markets=["US", "DE", "GB"],
        attributes={"capacity_ml": "350"},
    )
    values.update(changes)
    return ProductDraft(**values)


def product_json(ref: str = "MUG-350", **changes: Any) -> dict[str, Any]:
    """The same product as the API's JSON body."""
    d = draft(ref)
    body: dict[str, Any] = {
        "ref": d.ref,
        "category_code": d.category_code,
        "title_zh": d.title_zh,
        "title_en": d.title_en,
        "description_en": d.description_en,
        "target_markets": d.target_markets,
        "attributes": d.attributes,
        "skus": [{k: v for k, v in vars(s).items()} for s in d.skus],
    }
    body.update(changes)
    return body


def list_product(unit: Any, world: Any, product_draft: ProductDraft, markets: list[str]) -> str:
    """Take a product through every review to listed, through the services; its id."""
    from chuhai.catalog import listing, service

    with unit(world["supplier_a"]) as ctx:
        product = service.create_product(ctx, product_draft)
        service.add_image(ctx, product.id, png_bytes(), "p.png")
        listing.submit(ctx, product.id)
    with unit(world["compliance"]) as ctx:
        listing.start_compliance_review(ctx, product.id)
        listing.pass_compliance(ctx, product.id)
        listing.pass_ip(ctx, product.id, "cleared")
    with unit(world["merchandiser"]) as ctx:
        listing.accept_offer(ctx, product.id)
    with unit(world["logistics"]) as ctx:
        listing.receive_sample(ctx, product.id)
        listing.record_check(ctx, product.id, name="finish", passed=True)
        listing.pass_qc(ctx, product.id)
    with unit(world["merchandiser"]) as ctx:
        listing.list_in_markets(ctx, product.id, markets)
    return product.id


def import_fx(unit: Any, world: Any, on: str, rates: dict[str, str]) -> None:
    """CNY→currency rates for one day, through the finance service's CSV import."""
    from chuhai.finance import service as finance

    lines = ["date,base,quote,rate"] + [f"{on},CNY,{q},{r}" for q, r in rates.items()]
    with unit(world["finance"]) as ctx:
        report = finance.import_rates_csv(ctx, "rates.csv", "\n".join(lines).encode())
        assert report.ok, report.errors
