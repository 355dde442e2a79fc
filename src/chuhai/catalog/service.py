"""Use cases of the catalog: products and SKUs, their images and certificates, bulk import.

Tenancy: a supplier's user reaches only its own supplier's products; any other id answers
NotFound. Products are edited only while they are drafts or rejected; once submitted, the
listing workflow (`catalog.listing`) owns them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from chuhai.catalog.importer import ImportReport, RowError, parse_catalog_file
from chuhai.catalog.model import EDITABLE_STATES, ProductDraft, SkuDraft, State
from chuhai.catalog.tables import (
    CategoryRow,
    CertificateRow,
    ComplianceRuleRow,
    ListingTransitionRow,
    ProductImageRow,
    ProductMarketRow,
    ProductRow,
    SkuRow,
    SupplyPriceChangeRow,
)
from chuhai.core.context import Context
from chuhai.core.db import length_errors
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.files import check_document, check_image, file_content, file_row, store_file
from chuhai.core.ids import new_id
from chuhai.core.pagination import Page, paginate
from chuhai.markets.service import active_market_codes
from chuhai.parties.service import supplier_of, visible_supplier

if TYPE_CHECKING:
    from chuhai.parties.tables import SupplierRow

MAX_IMAGES_PER_PRODUCT = 12
# certificates suppliers commonly hold beyond those the compliance rules ask for
COMMON_CERTIFICATE_TYPES = ("CE", "UKCA", "FCC", "CPC", "PSE", "RCM", "CCC", "KC", "ROHS", "REACH")


# --- reading -------------------------------------------------------------------------------


def visible_product(ctx: Context, product_id: str) -> ProductRow:
    """The product if the actor may see it; NotFound for a missing or another tenant's id."""
    ctx.actor.require("catalog.read")
    row = ctx.session.get(ProductRow, product_id)
    if row is None or (not ctx.actor.is_operator and row.supplier_id != ctx.actor.supplier_id):
        raise NotFound("no such product", field="product_id")
    return row


def visible_sku(ctx: Context, sku_id: str) -> SkuRow:
    ctx.actor.require("catalog.read")
    row = ctx.session.get(SkuRow, sku_id)
    if row is None or (not ctx.actor.is_operator and row.supplier_id != ctx.actor.supplier_id):
        raise NotFound("no such SKU", field="sku_id")
    return row


def list_products(
    ctx: Context,
    *,
    state: str | None = None,
    supplier_id: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[ProductRow]:
    ctx.actor.require("catalog.read")
    query = select(ProductRow).order_by(ProductRow.updated_at.desc(), ProductRow.id)
    if not ctx.actor.is_operator:
        query = query.where(ProductRow.supplier_id == ctx.actor.supplier_id)
    if supplier_id:
        query = query.where(ProductRow.supplier_id == supplier_id)
    if state:
        query = query.where(ProductRow.state == state)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(
            or_(
                ProductRow.title_en.ilike(pattern),
                ProductRow.title_zh.ilike(pattern),
                ProductRow.ref.ilike(pattern),
            )
        )
    return paginate(ctx.session, query, limit, offset)


def state_counts(ctx: Context) -> dict[str, int]:
    ctx.actor.require("catalog.read")
    query = select(ProductRow.state, func.count()).group_by(ProductRow.state)
    if not ctx.actor.is_operator:
        query = query.where(ProductRow.supplier_id == ctx.actor.supplier_id)
    return {state: int(count) for state, count in ctx.session.execute(query)}


def skus_of(session: Session, product_id: str) -> list[SkuRow]:
    query = select(SkuRow).where(SkuRow.product_id == product_id).order_by(SkuRow.sku_code)
    return list(session.scalars(query))


@dataclass
class ProductView:
    product: ProductRow
    supplier: SupplierRow
    skus: list[SkuRow]
    images: list[ProductImageRow]
    certificates: list[CertificateRow]
    transitions: list[ListingTransitionRow]
    markets: list[ProductMarketRow] = field(default_factory=list)


def product_view(ctx: Context, product_id: str) -> ProductView:
    product = visible_product(ctx, product_id)
    session = ctx.session
    return ProductView(
        product=product,
        supplier=supplier_of(session, product.supplier_id),
        skus=skus_of(session, product.id),
        images=list(
            session.scalars(
                select(ProductImageRow)
                .where(ProductImageRow.product_id == product.id)
                .order_by(ProductImageRow.position, ProductImageRow.created_at)
            )
        ),
        certificates=list(
            session.scalars(
                select(CertificateRow)
                .where(CertificateRow.product_id == product.id)
                .order_by(CertificateRow.created_at)
            )
        ),
        transitions=list(
            session.scalars(
                select(ListingTransitionRow)
                .where(ListingTransitionRow.product_id == product.id)
                .order_by(ListingTransitionRow.at, ListingTransitionRow.id)
            )
        ),
        markets=list(
            session.scalars(
                select(ProductMarketRow)
                .where(ProductMarketRow.product_id == product.id)
                .order_by(ProductMarketRow.market_code)
            )
        ),
    )


def supply_price_history(ctx: Context, sku_id: str) -> list[SupplyPriceChangeRow]:
    sku = visible_sku(ctx, sku_id)
    query = (
        select(SupplyPriceChangeRow)
        .where(SupplyPriceChangeRow.sku_id == sku.id)
        .order_by(SupplyPriceChangeRow.changed_at, SupplyPriceChangeRow.id)
    )
    return list(ctx.session.scalars(query))


def category_codes(session: Session) -> set[str]:
    return set(session.scalars(select(CategoryRow.code)))


def carton_quantity(product: ProductRow) -> int:
    """Units a carton of the product holds: its attribute `carton_quantity` (a whole number,
    as drafts store attributes as text or as imports store numbers); 1 when absent or bad."""
    value = (product.attributes or {}).get("carton_quantity")
    if isinstance(value, bool):
        return 1
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and value > 0 else 1


def listed_sku_markets(session: Session, sku_ids: list[str] | None = None) -> list[tuple[str, str]]:
    """(SKU id, market code) for every SKU of a product listed in that market."""
    query = (
        select(SkuRow.id, ProductMarketRow.market_code)
        .join(ProductMarketRow, ProductMarketRow.product_id == SkuRow.product_id)
        .where(ProductMarketRow.status == "listed")
        .order_by(SkuRow.id, ProductMarketRow.market_code)
    )
    if sku_ids is not None:
        query = query.where(SkuRow.id.in_(sku_ids))
    return [(sku_id, market) for sku_id, market in session.execute(query)]


def sku_codes(session: Session, sku_ids: list[str]) -> dict[str, str]:
    """SKU id -> the supplier's SKU code, for labelling lines the caller already holds."""
    query = select(SkuRow.id, SkuRow.sku_code).where(SkuRow.id.in_(sku_ids))
    return {sku_id: code for sku_id, code in session.execute(query)}


def shop_image(ctx: Context, image_id: str) -> tuple[str, bytes]:
    """A product image anyone may see: its product is listed in at least one market.
    Content type and bytes; NotFound otherwise (unlisted products stay private)."""
    image = ctx.session.get(ProductImageRow, image_id)
    listed = image is not None and ctx.session.scalar(
        select(func.count())
        .select_from(ProductMarketRow)
        .where(ProductMarketRow.product_id == image.product_id, ProductMarketRow.status == "listed")
    )
    stored = file_row(ctx.session, image.file_id) if image is not None and listed else None
    if stored is None:
        raise NotFound("no such image", field="image_id")
    return stored.content_type, file_content(ctx.settings.files_dir, stored)


def certificate_types(session: Session) -> list[str]:
    """The certificate types a supplier can upload: those any rule asks for, and common ones."""
    required = session.scalars(select(ComplianceRuleRow.certificate_type).distinct())
    return sorted(set(COMMON_CERTIFICATE_TYPES) | {t for t in required if t})


def list_categories(session: Session) -> list[CategoryRow]:
    return list(session.scalars(select(CategoryRow).order_by(CategoryRow.code)))


# --- writing products ------------------------------------------------------------------------


def _owning_supplier(ctx: Context, supplier_id: str | None) -> SupplierRow:
    if not ctx.actor.is_operator:
        supplier_id = ctx.actor.supplier_id
    if not supplier_id:
        raise ValidationFailed.one("supplier_id", "say which supplier the product belongs to")
    return visible_supplier(ctx, supplier_id)


def _check_draft(ctx: Context, draft: ProductDraft) -> None:
    errors = draft.errors(category_codes(ctx.session), active_market_codes(ctx.session))
    errors += length_errors(ProductRow, {"brand": draft.brand})
    for index, sku in enumerate(draft.skus):
        errors += length_errors(
            SkuRow, {"materials": sku.materials, "barcode": sku.barcode}, prefix=f"skus[{index}]."
        )
    if errors:
        raise ValidationFailed(errors)


def _taken_sku_codes(
    session: Session, supplier_id: str, codes: list[str], product_id: str | None = None
) -> set[str]:
    query = select(SkuRow.sku_code).where(
        SkuRow.supplier_id == supplier_id, SkuRow.sku_code.in_(codes)
    )
    if product_id:
        query = query.where(SkuRow.product_id != product_id)
    return set(session.scalars(query))


def _ref_taken(session: Session, supplier_id: str, ref: str, product_id: str | None = None) -> bool:
    query = select(ProductRow.id).where(
        ProductRow.supplier_id == supplier_id, ProductRow.ref == ref
    )
    if product_id:
        query = query.where(ProductRow.id != product_id)
    return session.scalar(query) is not None


def create_product(ctx: Context, draft: ProductDraft, supplier_id: str | None = None) -> ProductRow:
    ctx.actor.require("catalog.edit")
    supplier = _owning_supplier(ctx, supplier_id)
    _check_draft(ctx, draft)
    _check_uniqueness(ctx, supplier.id, draft)
    product = _insert_product(ctx, supplier.id, draft)
    ctx.session.flush()
    return product


def _check_uniqueness(
    ctx: Context, supplier_id: str, draft: ProductDraft, product_id: str | None = None
) -> None:
    if _ref_taken(ctx.session, supplier_id, draft.ref, product_id):
        raise Conflict(f"you already have a product with reference {draft.ref!r}", field="ref")
    taken = _taken_sku_codes(ctx.session, supplier_id, [s.sku_code for s in draft.skus], product_id)
    if taken:
        raise Conflict(
            f"SKU codes already used by another product: {', '.join(sorted(taken))}", field="skus"
        )


def _insert_product(ctx: Context, supplier_id: str, draft: ProductDraft) -> ProductRow:
    now = ctx.now()
    product = ProductRow(
        id=new_id("prd"),
        supplier_id=supplier_id,
        ref=draft.ref,
        category_code=draft.category_code,
        brand=draft.brand.strip(),
        title_zh=draft.title_zh.strip(),
        title_en=draft.title_en.strip(),
        description_zh=draft.description_zh,
        description_en=draft.description_en,
        attributes=dict(draft.attributes),
        target_markets=list(dict.fromkeys(draft.target_markets)),
        state=State.DRAFT,
        created_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    # ids are made here, so rows need no flush one by one: the session writes them in
    # batches, parents first, at the next flush
    ctx.session.add(product)
    for sku in draft.skus:
        _insert_sku(ctx, product, sku)
    return product


def _insert_sku(ctx: Context, product: ProductRow, draft: SkuDraft) -> SkuRow:
    now = ctx.now()
    sku = SkuRow(
        id=new_id("sku"),
        product_id=product.id,
        supplier_id=product.supplier_id,
        created_at=now,
        updated_at=now,
        supply_price_currency="CNY",
    )
    _apply_sku(sku, draft)
    ctx.session.add(sku)
    _record_price(ctx, sku, "declared")
    return sku


def _apply_sku(sku: SkuRow, draft: SkuDraft) -> None:
    sku.sku_code = draft.sku_code
    sku.barcode = draft.barcode
    sku.options = dict(draft.options)
    sku.weight_g = draft.weight_g
    sku.length_mm = draft.length_mm
    sku.width_mm = draft.width_mm
    sku.height_mm = draft.height_mm
    sku.materials = draft.materials
    sku.origin_country = draft.origin_country
    sku.supply_price_amount = draft.supply_price_fen() or 0
    sku.moq = draft.moq
    sku.lead_time_days = draft.lead_time_days
    sku.daily_capacity = draft.daily_capacity


def _record_price(ctx: Context, sku: SkuRow, source: str, round_id: str | None = None) -> None:
    ctx.session.add(
        SupplyPriceChangeRow(
            id=new_id("spc"),
            sku_id=sku.id,
            amount=sku.supply_price_amount,
            currency=sku.supply_price_currency,
            source=source,
            negotiation_round_id=round_id,
            changed_by=ctx.actor.user_id,
            changed_at=ctx.now(),
        )
    )


def update_product(ctx: Context, product_id: str, draft: ProductDraft) -> ProductRow:
    """Replace a draft's fields and SKUs (matched by SKU code; missing ones are removed)."""
    product = visible_product(ctx, product_id)
    ctx.actor.require("catalog.edit")
    if product.state not in EDITABLE_STATES:
        raise Conflict(
            f"a product that is {product.state} cannot be edited", current_state=product.state
        )
    _check_draft(ctx, draft)
    _check_uniqueness(ctx, product.supplier_id, draft, product.id)
    for name in ("ref", "category_code", "description_zh", "description_en"):
        setattr(product, name, getattr(draft, name))
    product.brand = draft.brand.strip()
    product.title_zh = draft.title_zh.strip()
    product.title_en = draft.title_en.strip()
    product.attributes = dict(draft.attributes)
    product.target_markets = list(dict.fromkeys(draft.target_markets))
    product.updated_at = ctx.now()
    existing = {sku.sku_code: sku for sku in skus_of(ctx.session, product.id)}
    for sku_draft in draft.skus:
        sku = existing.pop(sku_draft.sku_code, None)
        if sku is None:
            _insert_sku(ctx, product, sku_draft)
            continue
        old_price = sku.supply_price_amount
        _apply_sku(sku, sku_draft)
        sku.updated_at = ctx.now()
        if sku.supply_price_amount != old_price:
            _record_price(ctx, sku, "edited")
    for sku in existing.values():
        _delete_sku(ctx.session, sku)
    ctx.session.flush()
    return product


def _delete_sku(session: Session, sku: SkuRow) -> None:
    """Remove a SKU from a draft, with its price history; images stay on the product."""
    session.flush()  # pending changes first, then the explicit deletes, children before parent
    session.execute(
        update(ProductImageRow).where(ProductImageRow.sku_id == sku.id).values(sku_id=None)
    )
    session.execute(delete(SupplyPriceChangeRow).where(SupplyPriceChangeRow.sku_id == sku.id))
    session.execute(delete(SkuRow).where(SkuRow.id == sku.id))
    session.expunge(sku)


def add_image(
    ctx: Context, product_id: str, content: bytes, filename: str, sku_id: str | None = None
) -> ProductImageRow:
    product = visible_product(ctx, product_id)
    ctx.actor.require("catalog.edit")
    if product.state not in EDITABLE_STATES:
        raise Conflict(
            f"images cannot be changed while the product is {product.state}",
            current_state=product.state,
        )
    if sku_id is not None:
        sku = ctx.session.get(SkuRow, sku_id)
        if sku is None or sku.product_id != product.id:
            raise NotFound("no such SKU on this product", field="sku_id")
    count = ctx.session.scalar(select(func.count()).where(ProductImageRow.product_id == product.id))
    if (count or 0) >= MAX_IMAGES_PER_PRODUCT:
        raise ValidationFailed.one(
            "image", f"a product has at most {MAX_IMAGES_PER_PRODUCT} images"
        )
    checked = check_image(content, ctx.settings.max_image_bytes)
    stored = store_file(ctx, checked, filename, product.supplier_id)
    image = ProductImageRow(
        id=new_id("img"),
        product_id=product.id,
        sku_id=sku_id,
        file_id=stored.id,
        position=int(count or 0),
        created_at=ctx.now(),
    )
    ctx.session.add(image)
    product.updated_at = ctx.now()
    ctx.session.flush()
    return image


def remove_image(ctx: Context, product_id: str, image_id: str) -> None:
    product = visible_product(ctx, product_id)
    ctx.actor.require("catalog.edit")
    image = ctx.session.get(ProductImageRow, image_id)
    if image is None or image.product_id != product.id:
        raise NotFound("no such image on this product", field="image_id")
    if product.state not in EDITABLE_STATES:
        raise Conflict(
            f"images cannot be changed while the product is {product.state}",
            current_state=product.state,
        )
    ctx.session.delete(image)
    product.updated_at = ctx.now()


def add_certificate(
    ctx: Context,
    product_id: str,
    *,
    cert_type: str,
    number: str,
    issuer: str,
    issued_on: date,
    expires_on: date | None,
    content: bytes,
    filename: str,
) -> CertificateRow:
    product = visible_product(ctx, product_id)
    ctx.actor.require("catalog.edit")
    errors = []
    known = certificate_types(ctx.session)
    if cert_type not in known:
        errors.append(FieldError("cert_type", f"one of {', '.join(known)}"))
    if not number.strip():
        errors.append(FieldError("number", "is required"))
    if not issuer.strip():
        errors.append(FieldError("issuer", "is required"))
    if expires_on is not None and expires_on <= issued_on:
        errors.append(FieldError("expires_on", "must be after the issue date"))
    if issued_on > ctx.now().date():
        errors.append(FieldError("issued_on", "cannot be in the future"))
    errors += length_errors(CertificateRow, {"number": number.strip(), "issuer": issuer.strip()})
    if errors:
        raise ValidationFailed(errors)
    checked = check_document(content, ctx.settings.max_document_bytes, "file")
    stored = store_file(ctx, checked, filename, product.supplier_id)
    row = CertificateRow(
        id=new_id("crt"),
        product_id=product.id,
        cert_type=cert_type,
        number=number.strip(),
        issuer=issuer.strip(),
        issued_on=issued_on,
        expires_on=expires_on,
        file_id=stored.id,
        uploaded_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    product.updated_at = ctx.now()
    ctx.session.flush()
    return row


def set_hs_code(ctx: Context, sku_id: str, code: str) -> SkuRow:
    """Keep the SKU's HS subheading (six digits) as customs staff confirmed it.

    `customs.hs_service.confirm_hs_code` is the use case: it checks the code against the
    nomenclature and records the confirmation; this only keeps the SKU's column in step.
    """
    ctx.actor.require("hs.confirm")
    sku = visible_sku(ctx, sku_id)
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationFailed.one("hs_code", "an HS subheading is six digits, e.g. 691200")
    sku.hs_code = code
    sku.updated_at = ctx.now()
    ctx.session.flush()
    return sku


# --- bulk import -------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    report: ImportReport
    created: list[ProductRow]


def import_catalog(
    ctx: Context, filename: str, content: bytes, supplier_id: str | None = None
) -> ImportOutcome:
    """Parse a CSV/XLSX catalog and create every product in it, or nothing when any row is bad."""
    ctx.actor.require("catalog.edit")
    supplier = _owning_supplier(ctx, supplier_id)
    if len(content) > ctx.settings.max_import_bytes:
        raise ValidationFailed.one(
            "file", f"the file is over {ctx.settings.max_import_bytes:,} bytes"
        )
    report = parse_catalog_file(
        filename,
        content,
        categories=category_codes(ctx.session),
        markets=active_market_codes(ctx.session),
    )
    if report.ok:
        report.errors.extend(_conflicts_with_catalog(ctx.session, supplier.id, report))
    if not report.ok:
        return ImportOutcome(report=report, created=[])
    created = [_insert_product(ctx, supplier.id, draft) for draft in report.products]
    ctx.session.flush()
    return ImportOutcome(report=report, created=created)


def _conflicts_with_catalog(
    session: Session, supplier_id: str, report: ImportReport
) -> list[RowError]:
    errors = []
    codes = [sku.sku_code for draft in report.products for sku in draft.skus]
    taken = _taken_sku_codes(session, supplier_id, codes)
    refs = set(
        session.scalars(
            select(ProductRow.ref).where(
                ProductRow.supplier_id == supplier_id,
                ProductRow.ref.in_([d.ref for d in report.products]),
            )
        )
    )
    for draft in report.products:
        first_row = report.sku_rows.get(draft.skus[0].sku_code, 0) if draft.skus else 0
        if draft.ref in refs:
            errors.append(
                RowError(
                    first_row,
                    "product_ref",
                    f"you already have a product with reference {draft.ref!r}",
                )
            )
        for sku in draft.skus:
            if sku.sku_code in taken:
                errors.append(
                    RowError(
                        report.sku_rows.get(sku.sku_code, 0),
                        "sku_code",
                        f"SKU code {sku.sku_code!r} is already in your catalog",
                    )
                )
    return sorted(errors, key=lambda e: e.row)


# --- reference data -----------------------------------------------------------------------------


def seed_categories(session: Session) -> int:
    data = json.loads(resources.files("chuhai.data").joinpath("categories.json").read_text("utf-8"))
    existing = category_codes(session)
    added = 0
    for item in data["categories"]:
        if item["code"] not in existing:
            session.add(CategoryRow(**item))
            added += 1
    return added
