"""Tables of the customs capability."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base

# --- export declarations (customs.declaration_service) -------------------------------------------


class DeclarationRow(Base):
    """An export declaration in one customs mode; its exporter's particulars as declared."""

    __tablename__ = "customs_declarations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    mode: Mapped[str] = mapped_column(String(4), index=True)  # 9610 | 9710 | 9810 | 1210
    kind: Mapped[str] = mapped_column(String(12))  # parcel | consolidated | consignment
    state: Mapped[str] = mapped_column(String(12), index=True)
    exporter_kind: Mapped[str] = mapped_column(String(10))  # supplier | platform
    exporter_supplier_id: Mapped[str | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    exporter_name: Mapped[str] = mapped_column(String(200))
    exporter_name_en: Mapped[str] = mapped_column(String(200), default="")
    exporter_credit_code: Mapped[str] = mapped_column(String(18))
    exporter_customs_code: Mapped[str] = mapped_column(String(10))
    exporter_address: Mapped[str] = mapped_column(String(300))
    currency: Mapped[str] = mapped_column(String(3))
    total_value_minor: Mapped[int]
    destination_country: Mapped[str] = mapped_column(String(2))
    transport_mode: Mapped[str] = mapped_column(String(10))
    port_of_exit: Mapped[str] = mapped_column(String(4))
    gross_weight_g: Mapped[int]
    packages: Mapped[int]
    # 9610 parcels: the three documents as received (ID numbers hashed) and their matching
    documents: Mapped[dict[str, Any]] = mapped_column(default=dict)
    order_no: Mapped[str | None] = mapped_column(String(64), index=True)
    # 9610: the month (China time) a parcel was cleared in, or a consolidation covers
    period: Mapped[str | None] = mapped_column(String(7), index=True)
    consolidated_into_id: Mapped[str | None] = mapped_column(
        ForeignKey("customs_declarations.id"), index=True
    )
    # 9710
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    buyer_country: Mapped[str] = mapped_column(String(2), default="")
    contract_no: Mapped[str] = mapped_column(String(64), default="")
    # 9810
    overseas_warehouse_code: Mapped[str] = mapped_column(String(20), default="")
    overseas_warehouse_name: Mapped[str] = mapped_column(String(200), default="")
    overseas_warehouse_country: Mapped[str] = mapped_column(String(2), default="")
    # 1210
    bonded_warehouse_code: Mapped[str] = mapped_column(String(20), default="", index=True)
    bonded_direction: Mapped[str] = mapped_column(String(5), default="")
    bonded_entry_id: Mapped[str | None] = mapped_column(ForeignKey("customs_declarations.id"))
    # the authority's number once it has answered
    authority_reference: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    # two brokers acting on one declaration at once: the second gets a conflict
    __mapper_args__ = {"version_id_col": version}


class DeclarationLineRow(Base):
    """A goods line: HS code, quantity and unit, unit price and value in the declaration's
    currency (value = quantity × unit price), origin, net weight, and what the platform paid
    for the goods (for the rebate estimate)."""

    __tablename__ = "customs_declaration_lines"
    __table_args__ = (UniqueConstraint("declaration_id", "line_no"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("customs_declarations.id"), index=True)
    line_no: Mapped[int]
    sku_id: Mapped[str | None] = mapped_column(ForeignKey("skus.id"), index=True)
    hs_code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(300))
    description_zh: Mapped[str] = mapped_column(String(300), default="")
    quantity: Mapped[int]
    unit: Mapped[str] = mapped_column(String(8))
    unit_price_minor: Mapped[int]
    value_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    origin_country: Mapped[str] = mapped_column(String(2))
    net_weight_g: Mapped[int]
    purchase_value_cny_minor: Mapped[int | None]
    vat_invoiced: Mapped[bool] = mapped_column(default=True)


class DeclarationTransitionRow(Base):
    """Every move of a declaration: who (a person or the authority), when, from, to, why."""

    __tablename__ = "customs_declaration_transitions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("customs_declarations.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str] = mapped_column(String(40))
    actor_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]


class AuthorityResponseRow(Base):
    """What the customs authority answered to one filing of a declaration."""

    __tablename__ = "customs_authority_responses"
    __table_args__ = (UniqueConstraint("declaration_id", "attempt"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    declaration_id: Mapped[str] = mapped_column(ForeignKey("customs_declarations.id"), index=True)
    attempt: Mapped[int]
    authority: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(10))  # cleared | held | rejected
    reference: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # [{field, code, message}]
    response_to_hold: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime]
    answered_at: Mapped[datetime]


class RebateRateRow(Base):
    """A dated, sourced export VAT rebate rate for an HS prefix (chapter, heading, ...)."""

    __tablename__ = "customs_rebate_rates"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    hs_prefix: Mapped[str] = mapped_column(String(10), index=True)
    rate: Mapped[str] = mapped_column(String(8))  # a decimal fraction, "0.13"
    effective_from: Mapped[date]
    effective_to: Mapped[date | None]
    description: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(40), default="chuhai")
    created_at: Mapped[datetime]


# --- HS classification assist (customs.hs_service) ---------------------------------------------


class HsConfirmationRow(Base):
    """A subheading customs staff confirmed for a SKU, with the text that was classified.

    Append-only: the newest row for a SKU is its code (kept on the SKU too), and every row is
    a labelled example for later suggestions. `sku_id` carries no foreign key on purpose: a
    draft's SKU may be removed by its supplier, and its classification history stays.
    """

    __tablename__ = "hs_confirmations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku_id: Mapped[str] = mapped_column(String(40), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    code: Mapped[str] = mapped_column(String(6), index=True)  # HS six-digit subheading
    previous_code: Mapped[str | None] = mapped_column(String(10))
    edition: Mapped[str] = mapped_column(String(10))  # "HS 2022"
    text: Mapped[str] = mapped_column(Text)  # what was classified: title, material, description
    note: Mapped[str] = mapped_column(Text, default="")
    # where the code stood among the suggestions shown (1-5); None: chosen by hand
    suggested_rank: Mapped[int | None]
    confirmed_by: Mapped[str] = mapped_column(String(40))
    confirmed_by_name: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[datetime] = mapped_column(index=True)
