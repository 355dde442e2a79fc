"""Warehouses as data: the consolidation warehouses in China and the overseas warehouses,
with where they are, how much they hold, what a unit costs to handle and which markets
they may serve. Seeded from the packaged file; operators add and edit them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from importlib import resources
from typing import Any

import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session

from chuhai.core.context import Context
from chuhai.core.db import length_errors
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.money import currency_exponent
from chuhai.inventory.tables import WarehouseRow
from chuhai.markets import service as markets

KINDS = ("consolidation", "overseas")


@dataclass(frozen=True)
class WarehouseSpec:
    id: str
    name: str
    kind: str
    country_code: str
    city: str
    latitude: float
    longitude: float
    capacity_m3: int
    handling_cost: int
    handling_currency: str
    markets: list[str] = field(default_factory=list)
    active: bool = True

    def errors(self, known_markets: set[str]) -> list[FieldError]:
        found = []
        if not self.id or not self.id.replace("-", "").isalnum() or self.id != self.id.upper():
            found.append(FieldError("id", "upper-case letters, digits and hyphens, e.g. US-LAX"))
        if not self.name.strip():
            found.append(FieldError("name", "required"))
        if self.kind not in KINDS:
            found.append(FieldError("kind", f"one of {', '.join(KINDS)}"))
        if pycountry.countries.get(alpha_2=self.country_code or "") is None:
            found.append(FieldError("country_code", "an ISO 3166-1 alpha-2 country code"))
        if not self.city.strip():
            found.append(FieldError("city", "required"))
        if not _number(self.latitude) or not -90 <= self.latitude <= 90:
            found.append(FieldError("latitude", "between -90 and 90"))
        if not _number(self.longitude) or not -180 <= self.longitude <= 180:
            found.append(FieldError("longitude", "between -180 and 180"))
        if not _whole(self.capacity_m3) or not 1 <= self.capacity_m3 <= 10_000_000:
            found.append(FieldError("capacity_m3", "a whole number of cubic metres, 1-10,000,000"))
        if not _whole(self.handling_cost) or not 0 <= self.handling_cost <= 100_000_00:
            found.append(FieldError("handling_cost", "minor units per unit handled, not negative"))
        try:
            currency_exponent(self.handling_currency)
        except (ValueError, KeyError):
            found.append(FieldError("handling_currency", "an ISO 4217 currency code"))
        if not self.markets:
            found.append(FieldError("markets", "at least one market it may serve"))
        for code in self.markets:
            if code not in known_markets:
                found.append(FieldError("markets", f"no market {code!r}"))
        return found


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def seed_warehouses(session: Session, now: datetime) -> int:
    text = resources.files("chuhai.data").joinpath("inventory/warehouses.json").read_text("utf-8")
    added = 0
    for item in json.loads(text)["warehouses"]:
        if session.get(WarehouseRow, item["id"]) is None:
            session.add(WarehouseRow(**item, created_at=now, updated_at=now))
            added += 1
    return added


def list_warehouses(
    ctx: Context, *, kind: str | None = None, market: str | None = None
) -> list[WarehouseRow]:
    ctx.actor.require("warehouses.read")
    query = select(WarehouseRow).order_by(WarehouseRow.kind, WarehouseRow.id)
    if kind:
        query = query.where(WarehouseRow.kind == kind)
    rows = list(ctx.session.scalars(query))
    return [row for row in rows if market is None or market in row.markets]


def get_warehouse(ctx: Context, warehouse_id: str) -> WarehouseRow:
    ctx.actor.require("warehouses.read")
    row = ctx.session.get(WarehouseRow, warehouse_id)
    if row is None:
        raise NotFound(f"no warehouse {warehouse_id!r}", field="warehouse_id")
    return row


def create_warehouse(ctx: Context, spec: WarehouseSpec) -> WarehouseRow:
    ctx.actor.require("warehouses.manage")
    _validate(ctx, spec)
    if ctx.session.get(WarehouseRow, spec.id) is not None:
        raise Conflict(f"warehouse {spec.id!r} exists", field="id")
    now = ctx.now()
    row = WarehouseRow(**asdict(spec), created_at=now, updated_at=now)
    ctx.session.add(row)
    ctx.session.flush()
    return row


def update_warehouse(ctx: Context, warehouse_id: str, changes: dict[str, Any]) -> WarehouseRow:
    row = get_warehouse(ctx, warehouse_id)
    ctx.actor.require("warehouses.manage")
    if changes.get("id", warehouse_id) != warehouse_id:
        raise ValidationFailed.one("id", "a warehouse's id cannot change")
    unknown = set(changes) - set(WarehouseSpec.__dataclass_fields__)
    if unknown:
        raise ValidationFailed.one(sorted(unknown)[0], "not a warehouse field")
    spec = replace(spec_of(row), **changes)
    _validate(ctx, spec)
    for name, value in asdict(spec).items():
        setattr(row, name, value)
    row.updated_at = ctx.now()
    return row


def spec_of(row: WarehouseRow) -> WarehouseSpec:
    return WarehouseSpec(
        **{name: getattr(row, name) for name in WarehouseSpec.__dataclass_fields__}
    )


def _validate(ctx: Context, spec: WarehouseSpec) -> None:
    known = markets.active_market_codes(ctx.session)
    errors = spec.errors(known) + length_errors(WarehouseRow, asdict(spec))
    if errors:
        raise ValidationFailed(errors)
