"""Use cases of the markets capability: markets as data that operators add and edit."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from chuhai.core.context import Context
from chuhai.core.db import length_errors
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.markets.model import MarketSpec
from chuhai.markets.tables import MarketRow


def _spec_of(row: MarketRow) -> MarketSpec:
    return MarketSpec(
        code=row.code,
        name=row.name,
        region=row.region,
        currency=row.currency,
        languages=row.languages.split(","),
        tax_inclusive=row.tax_inclusive,
        time_zone=row.time_zone,
        country_code=row.country_code,
        customs=row.customs,
        active=row.active,
    )


def _apply(row: MarketRow, spec: MarketSpec) -> None:
    row.name = spec.name
    row.region = spec.region
    row.currency = spec.currency
    row.languages = ",".join(spec.languages)
    row.tax_inclusive = spec.tax_inclusive
    row.time_zone = spec.time_zone
    row.country_code = spec.country_code
    row.customs = spec.customs
    row.active = spec.active


def _length_errors(spec: MarketSpec) -> list[FieldError]:
    values = {
        "name": spec.name,
        "region": spec.region,
        "time_zone": spec.time_zone,
        "languages": ",".join(spec.languages),
    }
    return length_errors(MarketRow, values)


def list_markets(ctx: Context, *, active_only: bool = False) -> list[MarketRow]:
    ctx.actor.require("markets.read")
    query = select(MarketRow).order_by(MarketRow.code)
    if active_only:
        query = query.where(MarketRow.active.is_(True))
    return list(ctx.session.scalars(query))


def get_market(ctx: Context, code: str) -> MarketRow:
    ctx.actor.require("markets.read")
    row = ctx.session.get(MarketRow, code)
    if row is None:
        raise NotFound(f"no market {code!r}", field="market_code")
    return row


def active_market_codes(session: Session) -> set[str]:
    return set(session.scalars(select(MarketRow.code).where(MarketRow.active.is_(True))))


def active_market_currencies(session: Session) -> set[str]:
    """The currencies the active markets sell in (for the FX rates the platform needs)."""
    return set(session.scalars(select(MarketRow.currency).where(MarketRow.active.is_(True))))


def create_market(ctx: Context, spec: MarketSpec) -> MarketRow:
    ctx.actor.require("markets.manage")
    if errors := spec.errors() + _length_errors(spec):
        raise ValidationFailed(errors)
    if ctx.session.get(MarketRow, spec.code) is not None:
        raise Conflict(f"market {spec.code!r} exists", field="code")
    now = ctx.now()
    row = MarketRow(code=spec.code, created_at=now, updated_at=now)
    _apply(row, spec)
    ctx.session.add(row)
    ctx.session.flush()
    return row


def update_market(ctx: Context, code: str, changes: dict[str, object]) -> MarketRow:
    row = get_market(ctx, code)
    ctx.actor.require("markets.manage")
    if "code" in changes and changes["code"] != code:
        raise ValidationFailed.one("code", "a market's code cannot change")
    changes.pop("code", None)
    spec = replace(_spec_of(row), **changes)  # type: ignore[arg-type]
    if errors := spec.errors() + _length_errors(spec):
        raise ValidationFailed(errors)
    _apply(row, spec)
    row.updated_at = ctx.now()
    return row


def seed_markets(session: Session, now) -> int:  # type: ignore[no-untyped-def]
    """Load the packaged market definitions; existing markets are left as operators edited them."""
    data = json.loads(resources.files("chuhai.data").joinpath("markets.json").read_text("utf-8"))
    added = 0
    for item in data["markets"]:
        if session.get(MarketRow, item["code"]) is not None:
            continue
        spec = MarketSpec(**item)
        row = MarketRow(code=spec.code, created_at=now, updated_at=now)
        _apply(row, spec)
        session.add(row)
        added += 1
    return added
