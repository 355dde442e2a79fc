"""The registries reviewers work from: protected brands (IP review) and compliance rules.

Compliance rules are dated and sourced; a new rule for the same scope may not overlap an
existing one in time (close the old one first). Both ship as packaged data and operators
maintain them.
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from chuhai.catalog.compliance import ComplianceRule, overlapping
from chuhai.catalog.ip_screen import BrandEntry
from chuhai.catalog.tables import BrandRow, ComplianceRuleRow
from chuhai.core.context import Context
from chuhai.core.db import length_errors
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.pagination import Page, paginate

RULE_KINDS = ("prohibited", "certificate")


# --- brands -------------------------------------------------------------------------------------


def brand_entries(session: Session) -> list[BrandEntry]:
    rows = session.scalars(select(BrandRow).order_by(BrandRow.name))
    return [BrandEntry(r.id, r.name, tuple(r.aliases)) for r in rows]


def list_brands(
    ctx: Context, *, search: str | None = None, limit: int = 50, offset: int = 0
) -> Page[BrandRow]:
    ctx.actor.require("brands.read")
    query = select(BrandRow).order_by(BrandRow.name)
    if search:
        pattern = f"%{search.strip()}%"
        query = query.where(
            or_(BrandRow.name.ilike(pattern), cast(BrandRow.aliases, String).ilike(pattern))
        )
    return paginate(ctx.session, query, limit, offset)


def get_brand(ctx: Context, brand_id: str) -> BrandRow:
    ctx.actor.require("brands.read")
    row = ctx.session.get(BrandRow, brand_id)
    if row is None:
        raise NotFound("no such brand", field="brand_id")
    return row


MAX_ALIASES = 50
MAX_ALIAS_LENGTH = 120


def _clean_aliases(aliases: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(a.strip() for a in aliases if a and a.strip()))
    if len(cleaned) > MAX_ALIASES:
        raise ValidationFailed.one("aliases", f"at most {MAX_ALIASES} aliases")
    for alias in cleaned:
        if len(alias) > MAX_ALIAS_LENGTH:
            raise ValidationFailed.one(
                "aliases", f"{alias[:20]!r}…: at most {MAX_ALIAS_LENGTH} characters"
            )
    return cleaned


def create_brand(
    ctx: Context, *, name: str, aliases: list[str] | None = None, owner: str = "", notes: str = ""
) -> BrandRow:
    ctx.actor.require("brands.manage")
    name = name.strip()
    if not name:
        raise ValidationFailed.one("name", "is required")
    if errors := length_errors(BrandRow, {"name": name, "owner": owner.strip()}):
        raise ValidationFailed(errors)
    existing = ctx.session.scalar(select(BrandRow.id).where(BrandRow.name == name))
    if existing:
        raise Conflict(f"brand {name!r} is already registered", field="name")
    row = BrandRow(
        id=new_id("brd"),
        name=name,
        aliases=_clean_aliases(aliases or []),
        owner=owner.strip(),
        notes=notes.strip(),
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def update_brand(
    ctx: Context,
    brand_id: str,
    *,
    aliases: list[str] | None = None,
    owner: str | None = None,
    notes: str | None = None,
) -> BrandRow:
    row = get_brand(ctx, brand_id)
    ctx.actor.require("brands.manage")
    if aliases is not None:
        row.aliases = _clean_aliases(aliases)
    if owner is not None:
        if errors := length_errors(BrandRow, {"owner": owner.strip()}):
            raise ValidationFailed(errors)
        row.owner = owner.strip()
    if notes is not None:
        row.notes = notes.strip()
    return row


def delete_brand(ctx: Context, brand_id: str) -> None:
    row = get_brand(ctx, brand_id)
    ctx.actor.require("brands.manage")
    ctx.session.delete(row)


# --- compliance rules ---------------------------------------------------------------------------


def _rule_of(row: ComplianceRuleRow) -> ComplianceRule:
    return ComplianceRule(
        row.id,
        row.market_code,
        row.category_prefix,
        row.kind,
        row.certificate_type,
        row.description,
        row.source,
        row.effective_from,
        row.effective_to,
    )


def compliance_rules(session: Session) -> list[ComplianceRule]:
    rows = session.scalars(select(ComplianceRuleRow).order_by(ComplianceRuleRow.id))
    return [_rule_of(r) for r in rows]


def list_rules(ctx: Context) -> list[ComplianceRuleRow]:
    ctx.actor.require("rules.read")
    query = select(ComplianceRuleRow).order_by(
        ComplianceRuleRow.market_code,
        ComplianceRuleRow.category_prefix,
        ComplianceRuleRow.effective_from,
    )
    return list(ctx.session.scalars(query))


def add_rule(
    ctx: Context,
    *,
    market_code: str,
    category_prefix: str,
    kind: str,
    certificate_type: str | None,
    description: str,
    source: str,
    effective_from: date,
    effective_to: date | None = None,
) -> ComplianceRuleRow:
    from chuhai.catalog.service import category_codes
    from chuhai.markets.service import active_market_codes

    ctx.actor.require("rules.manage")
    certificate_type = (certificate_type or "").strip().upper() or None
    errors = length_errors(
        ComplianceRuleRow,
        {
            "description": description.strip(),
            "source": source.strip(),
            "certificate_type": certificate_type,
        },
    )
    if market_code != "*" and market_code not in active_market_codes(ctx.session):
        errors.append(FieldError("market_code", f"unknown market {market_code!r} (or * for all)"))
    if category_prefix not in category_codes(ctx.session):
        errors.append(FieldError("category_prefix", f"unknown category {category_prefix!r}"))
    if kind not in RULE_KINDS:
        errors.append(FieldError("kind", "prohibited or certificate"))
    if (kind == "certificate") != bool(certificate_type):
        errors.append(FieldError("certificate_type", "required exactly when kind is certificate"))
    if not description.strip():
        errors.append(FieldError("description", "is required"))
    if not source.strip():
        errors.append(FieldError("source", "name the regulation the rule comes from"))
    if effective_to is not None and effective_to < effective_from:
        errors.append(FieldError("effective_to", "is before effective_from"))
    if errors:
        raise ValidationFailed(errors)
    rule = ComplianceRule(
        new_id("rul"),
        market_code,
        category_prefix,
        kind,
        certificate_type or None,
        description.strip(),
        source.strip(),
        effective_from,
        effective_to,
    )
    clash = overlapping(rule, compliance_rules(ctx.session))
    if clash:
        raise Conflict(
            f"overlaps rule {clash.rule_id} ({clash.effective_from} to "
            f"{clash.effective_to or 'open'}) for the same market, category and kind; "
            "end that rule first",
            field="effective_from",
            overlaps=clash.rule_id,
        )
    row = ComplianceRuleRow(
        id=rule.rule_id,
        market_code=market_code,
        category_prefix=category_prefix,
        kind=kind,
        certificate_type=rule.certificate_type,
        description=rule.description,
        source=rule.source,
        effective_from=effective_from,
        effective_to=effective_to,
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def end_rule(ctx: Context, rule_id: str, effective_to: date) -> ComplianceRuleRow:
    ctx.actor.require("rules.manage")
    row = ctx.session.get(ComplianceRuleRow, rule_id)
    if row is None:
        raise NotFound("no such rule", field="rule_id")
    if effective_to < row.effective_from:
        raise ValidationFailed.one("effective_to", "is before the rule's effective_from")
    row.effective_to = effective_to
    return row


def seed_rules(session: Session) -> int:
    data = json.loads(
        resources.files("chuhai.data").joinpath("compliance_rules.json").read_text("utf-8")
    )
    items = data["rules"] if isinstance(data, dict) else data
    added = 0
    for item in items:
        if session.get(ComplianceRuleRow, item["id"]) is not None:
            continue
        session.add(
            ComplianceRuleRow(
                id=item["id"],
                market_code=item["market_code"],
                category_prefix=item["category_prefix"],
                kind=item["kind"],
                certificate_type=item.get("certificate_type"),
                description=item["description"],
                source=item["source"],
                effective_from=date.fromisoformat(item["effective_from"]),
                effective_to=date.fromisoformat(item["effective_to"])
                if item.get("effective_to")
                else None,
            )
        )
        added += 1
    return added
