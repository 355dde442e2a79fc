"""Tables of the catalog capability: categories, products, SKUs, the listing workflow's
records (transitions, certificates, review findings, negotiation rounds, sample QC),
the brand registry and the compliance rules.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class CategoryRow(Base):
    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)  # e.g. electronics.audio
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120))


class ProductRow(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"), index=True)
    ref: Mapped[str] = mapped_column(String(64))  # the supplier's own product reference
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    brand: Mapped[str] = mapped_column(String(120), default="")
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    target_markets: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(30), index=True)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __table_args__ = (UniqueConstraint("supplier_id", "ref"),)
    # two reviewers acting on one product at once: the second gets a conflict, not a lost update
    __mapper_args__ = {"version_id_col": version}


class SkuRow(Base):
    __tablename__ = "skus"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"), index=True)
    sku_code: Mapped[str] = mapped_column(String(64))
    barcode: Mapped[str] = mapped_column(String(14), default="")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    weight_g: Mapped[int]
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    height_mm: Mapped[int]
    materials: Mapped[str] = mapped_column(String(300), default="")
    origin_country: Mapped[str] = mapped_column(String(2), default="CN")
    # HS 2022 six-digit subheading, confirmed by customs staff (None until classified)
    hs_code: Mapped[str | None] = mapped_column(String(10), index=True)
    supply_price_amount: Mapped[int]  # minor units (fen)
    supply_price_currency: Mapped[str] = mapped_column(String(3), default="CNY")
    moq: Mapped[int]
    lead_time_days: Mapped[int]
    daily_capacity: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("supplier_id", "sku_code"),)


class SupplyPriceChangeRow(Base):
    """Append-only history of a SKU's supply price: declared, edited, negotiated."""

    __tablename__ = "supply_price_changes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(20))  # declared | edited | negotiated
    negotiation_round_id: Mapped[str | None] = mapped_column(String(40))
    changed_by: Mapped[str] = mapped_column(String(40))
    changed_at: Mapped[datetime]


class ProductImageRow(Base):
    __tablename__ = "product_images"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    sku_id: Mapped[str | None] = mapped_column(ForeignKey("skus.id"))
    file_id: Mapped[str] = mapped_column(ForeignKey("stored_files.id"))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class ListingTransitionRow(Base):
    """Every move of a product through the listing workflow: who, when, from, to, why."""

    __tablename__ = "listing_transitions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[str] = mapped_column(String(40))
    actor_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]


class ProductMarketRow(Base):
    """Where a product is offered: listed in a market, or delisted from it."""

    __tablename__ = "product_markets"

    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), primary_key=True)
    market_code: Mapped[str] = mapped_column(ForeignKey("markets.code"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # listed | delisted
    listed_at: Mapped[datetime]
    delisted_at: Mapped[datetime | None]


class CertificateRow(Base):
    __tablename__ = "certificates"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    cert_type: Mapped[str] = mapped_column(String(20))  # CE, UKCA, FCC, CPC, ...
    number: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    file_id: Mapped[str] = mapped_column(ForeignKey("stored_files.id"))
    uploaded_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class ComplianceRuleRow(Base):
    """A dated, sourced rule: goods prohibited, or needing a certificate, per market and
    category."""

    __tablename__ = "compliance_rules"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    market_code: Mapped[str] = mapped_column(String(8))  # "*" for every market
    category_prefix: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))  # prohibited | certificate
    certificate_type: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(300))
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]


class ReviewFindingRow(Base):
    """What a compliance or IP screening found, kept with the review that saw it."""

    __tablename__ = "review_findings"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    review: Mapped[str] = mapped_column(String(20))  # compliance | ip
    blocking: Mapped[bool]
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class BrandRow(Base):
    """A protected brand or trademark in the registry operators maintain."""

    __tablename__ = "brands"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    owner: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class NegotiationRoundRow(Base):
    """One move in a supply-price negotiation: an offer (prices per SKU), an accept or a reject."""

    __tablename__ = "negotiation_rounds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    round_no: Mapped[int]
    party: Mapped[str] = mapped_column(String(10))  # platform | supplier
    move: Mapped[str] = mapped_column(String(10))  # offer | accept | reject
    prices: Mapped[dict[str, Any]] = mapped_column(default=dict)  # sku_id -> fen
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]


class QcSampleRow(Base):
    __tablename__ = "qc_samples"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    ship_to: Mapped[str] = mapped_column(String(300))
    requested_by: Mapped[str] = mapped_column(String(40))
    requested_at: Mapped[datetime]
    received_by: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(10))  # passed | failed


class QcCheckRow(Base):
    __tablename__ = "qc_checks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sample_id: Mapped[str] = mapped_column(ForeignKey("qc_samples.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    passed: Mapped[bool]
    notes: Mapped[str] = mapped_column(Text, default="")
    photo_file_ids: Mapped[list[Any]] = mapped_column(default=list)
    checked_by: Mapped[str] = mapped_column(String(40))
    checked_at: Mapped[datetime]
