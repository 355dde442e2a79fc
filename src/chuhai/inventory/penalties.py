"""Penalties on stock-up orders: a late, a short and a failed-QC delivery each cost the
supplier an amount set by a dated rule (data/inventory/penalties.json).

`assess` is pure: from the order's due time, the time it was received and its counted lines
it returns, per kind, the amount in fen and a basis text that shows the arithmetic, so a
supplier can check every fen. Line amounts are rounded half up to the fen, each once, and
the total is their sum (the basis adds up exactly). Penalties are recorded when an order is
received, one per kind per order; finance settles them later (`penalties_of`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from chuhai.core import events
from chuhai.core.context import Context
from chuhai.core.ids import new_id
from chuhai.core.money import Money
from chuhai.inventory.tables import PenaltyRow

CHINA = ZoneInfo("Asia/Shanghai")
KINDS = ("late", "short", "qc_failed")
BP = 10_000  # basis points in a whole


@dataclass(frozen=True)
class PenaltyRule:
    id: str
    kind: str
    effective_from: date
    effective_to: date | None
    terms: dict[str, int]
    source: str

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class DeliveredLine:
    sku_code: str
    ordered: int
    unit_price: int  # fen
    received: int
    qc_failed: int


@dataclass(frozen=True)
class Assessed:
    kind: str
    amount: int  # fen
    basis: str
    rule_id: str


@cache
def packaged_rules() -> tuple[PenaltyRule, ...]:
    text = resources.files("chuhai.data").joinpath("inventory/penalties.json").read_text("utf-8")
    rules = []
    for item in json.loads(text)["rules"]:
        fixed = {"id", "kind", "effective_from", "effective_to", "source"}
        rules.append(
            PenaltyRule(
                id=item["id"],
                kind=item["kind"],
                effective_from=date.fromisoformat(item["effective_from"]),
                effective_to=date.fromisoformat(item["effective_to"])
                if item["effective_to"]
                else None,
                terms={k: int(v) for k, v in item.items() if k not in fixed},
                source=item["source"],
            )
        )
    return tuple(rules)


def rule_for(kind: str, on: date, rules: tuple[PenaltyRule, ...]) -> PenaltyRule | None:
    return next((r for r in rules if r.kind == kind and r.in_force(on)), None)


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def _cny(fen: int) -> str:
    return str(Money(fen, "CNY"))


def _percent(bp: int) -> str:
    return f"{bp / 100:.2f}%"


def _china(at: datetime) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def assess(
    *,
    due_at: datetime,
    received_at: datetime,
    lines: list[DeliveredLine],
    rules: tuple[PenaltyRule, ...],
) -> list[Assessed]:
    """The penalties a delivery has earned under the rules in force on its receipt date."""
    on = received_at.astimezone(CHINA).date()
    found = []
    for kind, judge in (("late", _late), ("short", _short), ("qc_failed", _qc_failed)):
        rule = rule_for(kind, on, rules)
        if rule is not None and (penalty := judge(rule, due_at, received_at, lines)) is not None:
            found.append(penalty)
    return found


def _late(
    rule: PenaltyRule, due_at: datetime, received_at: datetime, lines: list[DeliveredLine]
) -> Assessed | None:
    late_by = received_at - due_at
    if late_by <= timedelta(hours=rule.terms.get("grace_hours", 0)):
        return None
    days = math.ceil(late_by / timedelta(days=1))
    per_day, cap = rule.terms["per_started_day_bp"], rule.terms["cap_bp"]
    share = min(days * per_day, cap)
    value = sum(line.ordered * line.unit_price for line in lines)
    amount = _half_up(value * share, BP)
    hours = late_by / timedelta(hours=1)
    capped = f", capped at {_percent(cap)}" if days * per_day > cap else f" (cap {_percent(cap)})"
    basis = (
        f"received {_china(received_at)} China time, {hours:.1f} h after the due time "
        f"{_china(due_at)}: {days} started day(s) × {_percent(per_day)} = "
        f"{_percent(days * per_day)}{capped}; {_percent(share)} of the order value "
        f"{_cny(value)} = {_cny(amount)}"
    )
    return Assessed("late", amount, basis, rule.id) if amount > 0 else None


def _short(
    rule: PenaltyRule, due_at: datetime, received_at: datetime, lines: list[DeliveredLine]
) -> Assessed | None:
    share = rule.terms["per_missing_unit_bp"]
    parts, total = [], 0
    for line in lines:
        missing = line.ordered - line.received
        if missing <= 0:
            continue
        amount = _half_up(missing * line.unit_price * share, BP)
        total += amount
        parts.append(
            f"{line.sku_code}: {missing} of {line.ordered} units missing × "
            f"{_cny(line.unit_price)} × {_percent(share)} = {_cny(amount)}"
        )
    if total <= 0:
        return None
    return Assessed("short", total, "; ".join(parts) + f"; total {_cny(total)}", rule.id)


def _qc_failed(
    rule: PenaltyRule, due_at: datetime, received_at: datetime, lines: list[DeliveredLine]
) -> Assessed | None:
    share, fee = rule.terms["per_failed_unit_bp"], rule.terms.get("inspection_fee", 0)
    parts, total = [], 0
    for line in lines:
        if line.qc_failed <= 0:
            continue
        amount = _half_up(line.qc_failed * line.unit_price * share, BP)
        total += amount
        parts.append(
            f"{line.sku_code}: {line.qc_failed} units failed QC × {_cny(line.unit_price)} × "
            f"{_percent(share)} = {_cny(amount)}"
        )
    if not parts:
        return None
    total += fee
    parts.append(f"inspection fee {_cny(fee)}")
    return Assessed("qc_failed", total, "; ".join(parts) + f"; total {_cny(total)}", rule.id)


def record(
    ctx: Context, *, supplier_id: str, stock_up_order_id: str, assessed: list[Assessed]
) -> list[PenaltyRow]:
    """Store what a receipt earned (the unique order × kind index keeps it to one each)."""
    rows = [
        PenaltyRow(
            id=new_id("pen"),
            supplier_id=supplier_id,
            stock_up_order_id=stock_up_order_id,
            kind=item.kind,
            amount=item.amount,
            currency="CNY",
            basis=item.basis,
            rule_id=item.rule_id,
            settlement_id=None,
            created_at=ctx.now(),
        )
        for item in assessed
    ]
    ctx.session.add_all(rows)
    ctx.session.flush()
    for row in rows:
        events.publish(
            ctx,
            "penalty.created",
            penalty_id=row.id,
            supplier_id=supplier_id,
            stock_up_order_id=stock_up_order_id,
            kind=row.kind,
            amount=row.amount,
            currency=row.currency,
        )
    return rows


def penalties_of(
    ctx: Context,
    supplier_id: str | None = None,
    unsettled: bool = True,
    stock_up_order_id: str | None = None,
) -> list[PenaltyRow]:
    """Penalties, oldest first: of one supplier (a supplier's user sees only its own), of one
    order, and by default only those finance has not settled yet."""
    ctx.actor.require("stockup.read")
    query = select(PenaltyRow).order_by(PenaltyRow.created_at, PenaltyRow.id)
    if not ctx.actor.is_operator:
        query = query.where(PenaltyRow.supplier_id == ctx.actor.supplier_id)
    if supplier_id:
        query = query.where(PenaltyRow.supplier_id == supplier_id)
    if stock_up_order_id:
        query = query.where(PenaltyRow.stock_up_order_id == stock_up_order_id)
    if unsettled:
        query = query.where(PenaltyRow.settlement_id.is_(None))
    return list(ctx.session.scalars(query))


def rules_as_data() -> list[dict[str, Any]]:
    """The packaged rules, as the console and API show them."""
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "effective_from": r.effective_from,
            "effective_to": r.effective_to,
            "terms": r.terms,
            "source": r.source,
        }
        for r in packaged_rules()
    ]


def on_settlement_paid(ctx: Context, event: dict[str, Any]) -> None:
    """Finance paid a statement: the penalties it deducted are settled by it."""
    if not event["penalty_ids"]:
        return
    ctx.session.execute(
        update(PenaltyRow)
        .where(
            PenaltyRow.id.in_(event["penalty_ids"]),
            PenaltyRow.supplier_id == event["supplier_id"],
            PenaltyRow.settlement_id.is_(None),
        )
        .values(settlement_id=event["statement_id"])
    )


events.subscribe("settlement.paid", on_settlement_paid)
