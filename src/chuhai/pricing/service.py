"""Use cases of pricing: the rules (dated, sourced, no overlaps), each market's pricing
policy, landed cost and price of a SKU, the price book with its history, quotes for baskets.

A price for a day uses the rules in force that day and the FX rate for that day (never one
older than the configured limit). A SKU is priced in every market its product is listed in:
by direct mail (9610) and, where a line-haul rate card exists, from an overseas warehouse
(9810); in domestic China by domestic delivery.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chuhai.catalog import service as catalog
from chuhai.core import jobs
from chuhai.core.auth import SYSTEM, Role
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import currency_exponent
from chuhai.finance import service as finance
from chuhai.markets import service as markets
from chuhai.pricing.landed_cost import Breakdown, Inputs, fx_micro_of, landed_cost
from chuhai.pricing.price_book import price_many
from chuhai.pricing.rules import (
    KINDS,
    Rule,
    RuleBook,
    RuleMissing,
    overlapping,
    packaged_market_pricing,
    packaged_rules,
    rule_id,
    scope_of,
)
from chuhai.pricing.tables import MarketPricingRow, PriceHistoryRow, PriceRow, PricingRuleRow

ROUNDINGS = ("charm99", "whole", "none")
REPRICE = jobs.REPRICE
REQUIRED: dict[str, dict[str, type]] = {
    "duty": {
        "tariff_area": str,
        "hs_prefix": str,
        "origin": str,
        "layer": str,
        "rate_bp": int,
        "program": str,
    },
    "regime": {"destination": str, "origin": str, "valuation": str, "currency": str},
    "tax": {"country": str, "kind": str, "rate_bp": int},
    "category_tax": {"country": str, "category_prefix": str, "kind": str},
    "rate_card": {
        "route": str,
        "mode": str,
        "origin": str,
        "destination": str,
        "basis": str,
        "rate": int,
        "per_shipment": int,
        "shipment_units": int,
        "currency": str,
    },
    "last_mile": {"market_code": str, "max_weight_g": int, "price": int, "currency": str},
}


# --- repricing in the background ----------------------------------------------------------------


def request_repricing(session: Session, now: Any, reason: str) -> None:
    """Queue a rebuild of the price book (merged with one already waiting)."""
    jobs.prices_may_have_changed(session, now, reason)


def _reprice_job(ctx: Context, payload: dict[str, Any]) -> str:
    report = rebuild_price_book(ctx, ctx.now().date())
    return f"{payload.get('reason', 'repricing')}: {report.summary()}"


jobs.register(REPRICE, lambda ctx, payload: _reprice_job(ctx, payload))


# --- rules --------------------------------------------------------------------------------------


def _rule_of(row: PricingRuleRow) -> Rule:
    return Rule(row.id, row.kind, row.data, row.effective_from, row.effective_to, row.source)


# the last rule book built in this process, with the fingerprint of the rules it came from
_book_cache: dict[tuple[date, str], RuleBook] = {}


def rule_book(session: Session, on: date) -> RuleBook:
    """The rules in force on a day. Every quote needs one, so the book is kept while the
    rules table is unchanged: a cheap fingerprint (ids and end dates, which are all that
    adding or ending a rule changes) is read each time, the rules themselves only after a
    change — by this process or any other."""
    key = (on, _rules_fingerprint(session))
    book = _book_cache.get(key)
    if book is None:
        rows = session.scalars(select(PricingRuleRow).where(PricingRuleRow.effective_from <= on))
        book = RuleBook((_rule_of(r) for r in rows), on, packaged_rules()[1])
        _book_cache.clear()
        _book_cache[key] = book
    return book


def _rules_fingerprint(session: Session) -> str:
    rows = session.execute(
        select(PricingRuleRow.id, PricingRuleRow.effective_to).order_by(PricingRuleRow.id)
    )
    digest = hashlib.blake2b(digest_size=16)
    for row_id, effective_to in rows:
        digest.update(f"{row_id}:{effective_to};".encode())
    return digest.hexdigest()


def list_rules(
    ctx: Context, kind: str | None = None, on: date | None = None
) -> list[PricingRuleRow]:
    ctx.actor.require("pricing.read")
    query = select(PricingRuleRow).order_by(
        PricingRuleRow.kind, PricingRuleRow.scope_key, PricingRuleRow.effective_from
    )
    if kind:
        query = query.where(PricingRuleRow.kind == kind)
    rows = list(ctx.session.scalars(query))
    return [r for r in rows if on is None or _rule_of(r).in_force(on)]


def _check_rule(
    kind: str, data: dict[str, Any], start: date, end: date | None, source: str
) -> None:
    if kind not in KINDS:
        raise ValidationFailed.one("kind", f"one of {', '.join(KINDS)}")
    errors = []
    for key, expected in REQUIRED[kind].items():
        value = data.get(key)
        if not isinstance(value, expected) or isinstance(value, bool):
            errors.append(FieldError(f"data.{key}", f"required ({expected.__name__})"))
        elif isinstance(value, int) and value < 0:
            errors.append(FieldError(f"data.{key}", "must not be negative"))
    if end is not None and end < start:
        errors.append(FieldError("effective_to", "is before effective_from"))
    if not source.strip():
        errors.append(FieldError("source", "name where the rule comes from"))
    if errors:
        raise ValidationFailed(errors)


def add_rule(
    ctx: Context,
    *,
    kind: str,
    data: dict[str, Any],
    effective_from: date,
    effective_to: date | None = None,
    source: str,
) -> PricingRuleRow:
    """Add a dated rule (e.g. a new duty from next month); refused when it overlaps a rule of
    the same scope."""
    ctx.actor.require("pricing.rules")
    _check_rule(kind, data, effective_from, effective_to, source)
    rule = Rule(
        rule_id(kind, data, effective_from),
        kind,
        data,
        effective_from,
        effective_to,
        source.strip(),
    )
    same_scope = ctx.session.scalars(
        select(PricingRuleRow).where(
            PricingRuleRow.kind == kind, PricingRuleRow.scope_key == _scope_key(kind, data)
        )
    )
    clash = overlapping(rule, [_rule_of(r) for r in same_scope])
    if clash is not None:
        raise Conflict(
            f"overlaps rule {clash.rule_id} ({clash.effective_from} to "
            f"{clash.effective_to or 'open'}) for the same scope; end that rule first",
            field="effective_from",
            overlaps=clash.rule_id,
        )
    row = _insert_rule(ctx.session, rule, ctx.actor.user_id, ctx.now())
    ctx.session.flush()
    request_repricing(ctx.session, ctx.now(), f"rule {rule.rule_id} added")
    return row


def end_rule(ctx: Context, rule_id_: str, effective_to: date) -> PricingRuleRow:
    ctx.actor.require("pricing.rules")
    row = ctx.session.get(PricingRuleRow, rule_id_)
    if row is None:
        raise NotFound("no such rule", field="rule_id")
    if effective_to < row.effective_from:
        raise ValidationFailed.one("effective_to", "is before the rule's effective_from")
    row.effective_to = effective_to
    request_repricing(ctx.session, ctx.now(), f"rule {rule_id_} ends {effective_to}")
    return row


def _scope_key(kind: str, data: dict[str, Any]) -> str:
    return "|".join("*" if part is None else str(part) for part in scope_of(kind, data))


def _insert_rule(session: Session, rule: Rule, actor_id: str, now: Any) -> PricingRuleRow:
    row = PricingRuleRow(
        id=rule.rule_id,
        kind=rule.kind,
        scope_key=_scope_key(rule.kind, rule.data),
        data=rule.data,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        source=rule.source,
        created_by=actor_id,
        created_at=now,
    )
    session.add(row)
    return row


def seed_pricing(session: Session, now: Any) -> int:
    """Load the packaged rules and market policies; what operators changed stays."""
    existing = set(session.scalars(select(PricingRuleRow.id)))
    added = 0
    for rule in packaged_rules()[0]:
        if rule.rule_id not in existing:
            _insert_rule(session, rule, "system", now)
            added += 1
    known = set(session.scalars(select(MarketPricingRow.market_code)))
    for item in packaged_market_pricing():
        if item["market_code"] not in known:
            session.add(MarketPricingRow(**item, updated_by="system", updated_at=now))
    return added


# --- market pricing policy ----------------------------------------------------------------------


def market_pricing(session: Session, market_code: str) -> MarketPricingRow:
    row = session.get(MarketPricingRow, market_code)
    if row is None:
        raise NotFound(f"no pricing policy for market {market_code}", field="market_code")
    return row


POLICY_FIELDS = (
    "margin_bp",
    "returns_bp",
    "payment_fee_bp",
    "payment_fee_fixed",
    "fx_buffer_bp",
    "max_daily_change_bp",
    "handling",
)


def update_market_pricing(
    ctx: Context, market_code: str, changes: dict[str, Any]
) -> MarketPricingRow:
    ctx.actor.require("pricing.rules")
    row = market_pricing(ctx.session, market_code)
    errors = []
    for name, value in changes.items():
        if name == "rounding":
            if value not in ROUNDINGS:
                errors.append(FieldError(name, f"one of {', '.join(ROUNDINGS)}"))
        elif name not in POLICY_FIELDS:
            errors.append(FieldError(name, "cannot be changed here"))
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(FieldError(name, "a whole number, not negative"))
    rates = {
        k: changes.get(k, getattr(row, k)) for k in ("margin_bp", "returns_bp", "payment_fee_bp")
    }
    if not errors and sum(rates.values()) >= 9000:
        errors.append(FieldError("margin_bp", "margin, returns and fees must leave room for costs"))
    if errors:
        raise ValidationFailed(errors)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = ctx.actor.user_id, ctx.now()
    request_repricing(ctx.session, ctx.now(), f"{market_code} pricing policy changed")
    return row


# --- one SKU in one market ----------------------------------------------------------------------


@dataclass(frozen=True)
class Priced:
    sku_id: str
    market_code: str
    route: str
    currency: str
    breakdown: Breakdown
    duty_lines: tuple[str, ...]
    fx_rate: Decimal
    fx_on: date
    on: date


def routes_for(market_code: str, customs: bool) -> tuple[str, ...]:
    return ("9610", "9810") if customs else ("domestic",)


def price_sku(
    ctx: Context,
    sku_id: str,
    market_code: str,
    route: str,
    on: date | None = None,
    book: RuleBook | None = None,
) -> Priced:
    """The landed cost and price of one unit, with the rules and FX rate of the day."""
    inputs, duty_lines, fx, on = sku_inputs(ctx, sku_id, market_code, route, on, book)
    ctx.actor.require("pricing.read")  # the breakdown shows the platform's margin
    try:
        breakdown = landed_cost(inputs)
    except ValueError as impossible:
        raise Conflict(str(impossible), field="market_pricing") from None
    market = markets.get_market(ctx, market_code)
    return Priced(
        sku_id, market.code, route, market.currency, breakdown, duty_lines, fx.rate, fx.on, on
    )


def sku_inputs(
    ctx: Context,
    sku_id: str,
    market_code: str,
    route: str,
    on: date | None = None,
    book: RuleBook | None = None,
    day_cache: dict[tuple[str, str], Any] | None = None,
) -> tuple[Inputs, tuple[str, ...], Any, date]:
    """Everything the kernel needs for one unit, looked up for the day. A whole price book
    passes a `day_cache`, so each market's policy and FX rate are looked up once."""
    reader = _catalog_reader(ctx)
    sku = catalog.visible_sku(reader, sku_id)  # another supplier's SKU is not found, before all
    ctx.actor.require("pricing.quote")
    product = catalog.visible_product(reader, sku.product_id)
    market = markets.get_market(ctx, market_code)
    on = on or ctx.now().date()
    if route not in routes_for(market.code, market.customs):
        raise ValidationFailed.one(
            "route",
            f"{market.code} is served by {', '.join(routes_for(market.code, market.customs))}",
        )
    missing = [
        name
        for name in ("weight_g", "length_mm", "width_mm", "height_mm")
        if not getattr(sku, name)
    ]
    if missing:
        raise ValidationFailed(
            [
                FieldError(f"sku.{name}", f"SKU {sku.sku_code} has no {name}; it cannot be priced")
                for name in missing
            ]
        )
    book = book or rule_book(ctx.session, on)
    cache = {} if day_cache is None else day_cache
    if ("policy", market.code) not in cache:
        cache[("policy", market.code)] = market_pricing(ctx.session, market.code)
        try:
            cache[("fx", market.code)] = finance.rate_on(ctx, "CNY", market.currency, on)
        except Conflict as missing_rate:
            cache[("fx", market.code)] = missing_rate
    policy, fx = cache[("policy", market.code)], cache[("fx", market.code)]
    if isinstance(fx, Exception):
        raise fx
    exponent = currency_exponent(market.currency)
    try:
        inputs, duty_lines = landed_cost_inputs(
            book, sku, product, market, route, policy, fx.rate, exponent
        )
    except RuleMissing as missing_rule:
        raise Conflict(str(missing_rule), field="rules") from None
    return inputs, duty_lines, fx, on


def _catalog_reader(ctx: Context) -> Context:
    """Whom the catalog is read as. A buyer (the storefront) belongs to no tenant and may
    not browse the catalog itself; `quote` has refused SKUs not on sale before it gets here,
    so the platform reads the SKU for it."""
    if ctx.actor.can("catalog.read") or Role.BUYER not in ctx.actor.roles:
        return ctx
    return Context(ctx.session, SYSTEM, ctx.clock, ctx.settings)


def landed_cost_inputs(
    book: RuleBook,
    sku: Any,
    product: Any,
    market: Any,
    route: str,
    policy: MarketPricingRow,
    rate: Decimal,
    exponent: int,
) -> tuple[Inputs, tuple[str, ...]]:
    """The landed-cost engine's inputs for a unit (anything with a SKU's supply price, size,
    weight, origin and HS code) of a product (its category) in a market by a route, at the
    CNY→market rate; and the duty lines that explain them. Sourcing prices a unit not yet
    designed with it."""
    from chuhai.pricing.landed_cost import Haul, Regime

    if market.customs:
        regime, duty = book.import_regime(
            market.code, sku.origin_country, sku.hs_code, product.category_code
        )
        haul = book.haul(route, market.code)
        lines = duty.lines + (() if sku.hs_code else ("no HS code yet: default duty estimate",))
    else:
        regime = Regime(vat_bp=book.vat_bp(market.code, product.category_code))
        haul, lines = Haul(basis="none"), ()
    return Inputs(
        route=route,
        supply_fen=sku.supply_price_amount,
        weight_g=sku.weight_g,
        volume_mm3=sku.length_mm * sku.width_mm * sku.height_mm,
        fx_micro=fx_micro_of(rate, exponent),
        first_mile_per_kg_fen=book.haul("first_mile", market.code).rate_fen,
        haul=haul,
        last_mile=book.last_mile(market.code, sku.weight_g) if route in ("9810", "domestic") else 0,
        handling=policy.handling,
        regime=regime,
        margin_bp=policy.margin_bp,
        returns_bp=policy.returns_bp,
        payment_fee_bp=policy.payment_fee_bp,
        payment_fee_fixed=policy.payment_fee_fixed,
        fx_buffer_bp=policy.fx_buffer_bp,
        tax_inclusive=market.tax_inclusive,
        rounding=policy.rounding,
        exponent=exponent,
    ), lines


# --- the price book -----------------------------------------------------------------------------


@dataclass
class RebuildReport:
    priced: int = 0
    unchanged: int = 0
    held: int = 0
    refused: int = 0
    problems: list[str] | None = None

    def summary(self) -> str:
        return (
            f"{self.priced} prices set, {self.unchanged} unchanged, {self.held} held for "
            f"approval (jump over the daily limit), {self.refused} refused"
        )


def rebuild_price_book(
    ctx: Context, on: date | None = None, sku_ids: list[str] | None = None
) -> RebuildReport:
    """Price every SKU of every listed product in each market it is listed in: inputs are
    looked up per pair, then the whole book is priced at once by the array kernel."""
    ctx.actor.require("pricing.rules")
    on = on or ctx.now().date()
    book = rule_book(ctx.session, on)
    report = RebuildReport(problems=[])
    day_cache: dict[tuple[str, str], Any] = {}
    pending: list[tuple[str, str, str, Inputs, tuple[str, ...], Any]] = []
    for sku_id, market_code in catalog.listed_sku_markets(ctx.session, sku_ids):
        market = markets.get_market(ctx, market_code)
        for route in routes_for(market.code, market.customs):
            try:
                inputs, duty_lines, fx, _ = sku_inputs(
                    ctx, sku_id, market.code, route, on, book, day_cache
                )
            except (Conflict, ValidationFailed) as problem:
                _refuse(ctx, sku_id, market.code, route, on, problem.detail, report)
                continue
            pending.append((sku_id, market.code, route, inputs, duty_lines, fx))
    for (sku_id, market_code, route, _, duty_lines, fx), breakdown in zip(
        pending, price_many([p[3] for p in pending]), strict=True
    ):
        market = markets.get_market(ctx, market_code)
        priced = Priced(
            sku_id, market_code, route, market.currency, breakdown, duty_lines, fx.rate, fx.on, on
        )
        _apply(ctx, priced, report)
    return report


def _refuse(
    ctx: Context,
    sku_id: str,
    market_code: str,
    route: str,
    on: date,
    reason: str,
    report: RebuildReport,
) -> None:
    report.refused += 1
    assert report.problems is not None
    report.problems.append(f"{sku_id} {market_code} {route}: {reason}")
    current = ctx.session.get(PriceRow, (sku_id, market_code, route))
    _store_refusal(ctx, sku_id, market_code, route, on, reason, current)


def _apply(ctx: Context, priced: Priced, report: RebuildReport) -> None:
    """Store a new price, or hold it when it jumps more than the market allows in a day."""
    current = ctx.session.get(PriceRow, (priced.sku_id, priced.market_code, priced.route))
    b = priced.breakdown
    if current is not None and current.status == "active" and current.price == b.price:
        report.unchanged += 1
        return
    policy = market_pricing(ctx.session, priced.market_code)
    jump = _jump_bp(current, b.price)
    if jump is not None and jump > policy.max_daily_change_bp:
        reason = (
            f"a {jump / 100:.1f}% change exceeds the daily limit of "
            f"{policy.max_daily_change_bp / 100:.1f}%; approve to apply"
        )
        _store(ctx, current, priced, status="held", reason=reason)
        report.held += 1
        return
    _store(ctx, current, priced, status="active", reason="")
    report.priced += 1


def _jump_bp(current: PriceRow | None, new_price: int) -> int | None:
    if current is None or current.status != "active" or not current.price:
        return None
    return abs(new_price - current.price) * 10000 // current.price


def _store(
    ctx: Context, current: PriceRow | None, priced: Priced, *, status: str, reason: str
) -> PriceRow:
    b = priced.breakdown
    values = dict(
        currency=priced.currency,
        reason=reason,
        fx_rate=str(priced.fx_rate),
        fx_on=priced.fx_on,
        priced_on=priced.on,
        breakdown={**asdict(b), "duty_lines": list(priced.duty_lines)},
        computed_at=ctx.now(),
    )
    if current is None:
        current = PriceRow(
            sku_id=priced.sku_id,
            market_code=priced.market_code,
            route=priced.route,
            proposed_price=None,
            **values,
        )
        ctx.session.add(current)
    else:
        for name, value in values.items():
            setattr(current, name, value)
    if status == "held":
        current.status = "held"
        current.proposed_price = b.price
    else:
        current.status = "active"
        current.price, current.net_price = b.price, b.net_price
        current.landed_cost, current.margin = b.landed_cost, b.margin
        current.proposed_price = None
    _history(
        ctx,
        priced.sku_id,
        priced.market_code,
        priced.route,
        priced.currency,
        b.price,
        status,
        reason,
    )
    return current


def _store_refusal(
    ctx: Context,
    sku_id: str,
    market_code: str,
    route: str,
    on: date,
    reason: str,
    current: PriceRow | None,
) -> None:
    market = markets.get_market(ctx, market_code)
    if current is None:
        current = PriceRow(
            sku_id=sku_id,
            market_code=market_code,
            route=route,
            currency=market.currency,
            price=None,
            net_price=None,
            landed_cost=None,
            margin=None,
            proposed_price=None,
            fx_rate=None,
            fx_on=None,
            breakdown={},
            priced_on=on,
            status="refused",
            reason=reason,
            computed_at=ctx.now(),
        )
        ctx.session.add(current)
    else:  # the last good price stays on sale; the refusal is flagged beside it
        current.reason, current.computed_at = f"repricing refused: {reason}", ctx.now()
        if current.price is None:
            current.status = "refused"
    _history(ctx, sku_id, market_code, route, market.currency, None, "refused", reason)


def _history(
    ctx: Context,
    sku_id: str,
    market_code: str,
    route: str,
    currency: str,
    price: int | None,
    status: str,
    reason: str,
) -> None:
    ctx.session.add(
        PriceHistoryRow(
            id=new_id("prh"),
            sku_id=sku_id,
            market_code=market_code,
            route=route,
            currency=currency,
            price=price,
            status=status,
            reason=reason,
            actor_id=ctx.actor.user_id,
            at=ctx.now(),
        )
    )


def approve_held_price(ctx: Context, sku_id: str, market_code: str, route: str) -> PriceRow:
    sku = catalog.visible_sku(ctx, sku_id)
    ctx.actor.require("pricing.rules")
    row = ctx.session.get(PriceRow, (sku.id, market_code, route))
    if row is None:
        raise NotFound("no price for that SKU, market and route", field="sku_id")
    if row.status != "held" or row.proposed_price is None:
        raise Conflict(f"the price is {row.status}, not held", current_state=row.status)
    b = row.breakdown
    row.price, row.net_price = row.proposed_price, b["net_price"]
    row.landed_cost, row.margin = b["landed_cost"], b["margin"]
    row.status, row.proposed_price, row.reason = "active", None, ""
    _history(
        ctx,
        sku_id,
        market_code,
        route,
        row.currency,
        row.price,
        "active",
        f"held change approved by {ctx.actor.username}",
    )
    return row


def set_price(ctx: Context, sku_id: str, market_code: str, route: str, price: int) -> PriceRow:
    """An operator's own price; never below the landed cost of the day."""
    ctx.actor.require("pricing.rules")
    priced = price_sku(ctx, sku_id, market_code, route)
    b = priced.breakdown
    if price < b.landed_cost:
        raise Conflict(
            f"{price} is below the landed cost of {b.landed_cost} "
            f"{priced.currency} minor units; refused",
            field="price",
            landed_cost=b.landed_cost,
        )
    current = ctx.session.get(PriceRow, (sku_id, market_code, route))
    row = _store(ctx, current, priced, status="active", reason="set by hand")
    row.price = price
    row.margin = price - b.landed_cost
    return row


def price_history(
    ctx: Context, sku_id: str, market_code: str | None = None
) -> list[PriceHistoryRow]:
    sku = catalog.visible_sku(ctx, sku_id)
    ctx.actor.require("pricing.read")
    query = select(PriceHistoryRow).where(PriceHistoryRow.sku_id == sku.id)
    if market_code:
        query = query.where(PriceHistoryRow.market_code == market_code)
    return list(ctx.session.scalars(query.order_by(PriceHistoryRow.at, PriceHistoryRow.id)))


def price_book(
    ctx: Context,
    *,
    market_code: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
):  # type: ignore[no-untyped-def]
    from chuhai.core.pagination import paginate

    ctx.actor.require("pricing.read")
    query = select(PriceRow).order_by(PriceRow.market_code, PriceRow.sku_id, PriceRow.route)
    if market_code:
        query = query.where(PriceRow.market_code == market_code)
    if status:
        query = query.where(PriceRow.status == status)
    return paginate(ctx.session, query, limit, offset)


# --- quotes -------------------------------------------------------------------------------------

TERMS = ("DDP", "DAP")


@dataclass(frozen=True)
class QuoteLine:
    sku_id: str
    quantity: int
    unit: Breakdown
    duty_lines: tuple[str, ...]


@dataclass(frozen=True)
class Quote:
    market_code: str
    currency: str
    route: str
    terms: str
    regime: str
    lines: tuple[QuoteLine, ...]
    goods: int  # net of duty and VAT, all lines
    duty: int  # collected at checkout
    vat: int  # collected at checkout (import VAT paid for the buyer, or VAT at sale)
    total: int  # what the buyer pays at checkout
    due_on_delivery: int  # DAP: duty and import VAT the buyer pays the carrier
    fx_rate: Decimal
    fx_on: date


def quote(
    ctx: Context,
    market_code: str,
    items: list[tuple[str, int]],
    *,
    terms: str = "DDP",
    route: str = "9610",
    on: date | None = None,
) -> Quote:
    """Landed cost, duties and taxes of a basket to one market. The low-value regime is
    decided on the basket's total, as customs decide it on the consignment."""
    from dataclasses import replace

    from chuhai.pricing.landed_cost import BP, div_half_up, price_at

    ctx.actor.require("pricing.quote")
    errors = []
    if terms not in TERMS:
        errors.append(FieldError("terms", "DDP or DAP"))
    if not items:
        errors.append(FieldError("items", "a quote needs at least one item"))
    for index, (_, quantity) in enumerate(items):
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int)
            or not 1 <= quantity <= 10_000
        ):
            errors.append(FieldError(f"items[{index}].quantity", "between 1 and 10000"))
    if errors:
        raise ValidationFailed(errors)
    on = on or ctx.now().date()
    book = rule_book(ctx.session, on)
    market = markets.get_market(ctx, market_code)
    on_sale = set(catalog.listed_sku_markets(ctx.session, [sku_id for sku_id, _ in items]))
    for sku_id, _ in items:
        if ctx.actor.can("catalog.read"):  # a buyer has no tenant: on sale is all it may see
            catalog.visible_sku(ctx, sku_id)  # another supplier's SKU is not found
        if (sku_id, market.code) not in on_sale:
            raise ValidationFailed.one("items", f"SKU {sku_id} is not on sale in {market.code}")
    day_cache: dict[tuple[str, str], Any] = {}  # the market's policy and FX rate, once
    prepared = [
        (sku_id, quantity, *sku_inputs(ctx, sku_id, market.code, route, on, book, day_cache))
        for sku_id, quantity in items
    ]
    low = [price_at(p[2], low_value=True) for p in prepared]
    threshold = prepared[0][2].regime.low_value_threshold if route == "9610" else None
    low_value = (
        threshold is not None
        and sum(b.net_price * p[1] for b, p in zip(low, prepared, strict=True)) <= threshold
    )
    lines, goods, duty, vat, due = [], 0, 0, 0, 0
    for sku_id, quantity, inputs, duty_lines, _, _ in prepared:
        collect_at_import = not low_value and route == "9610"
        if terms == "DAP" and collect_at_import:
            unit = price_at(
                replace(inputs, regime=replace(inputs.regime, duty_bp=0, vat_bp=0)), low_value=False
            )
            owed_duty = div_half_up(unit.net_price * inputs.regime.duty_bp, BP)
            owed_vat = div_half_up((unit.net_price + owed_duty) * inputs.regime.vat_bp, BP)
            due += (owed_duty + owed_vat) * quantity
        else:
            unit = price_at(inputs, low_value=low_value) if route == "9610" else landed_cost(inputs)
        lines.append(QuoteLine(sku_id, quantity, unit, duty_lines))
        goods += unit.net_price * quantity
        duty += unit.duty * quantity
        vat += (unit.import_vat + unit.sales_vat) * quantity
    total = sum(line.unit.price * line.quantity for line in lines)
    fx = prepared[0][4]
    return Quote(
        market.code,
        market.currency,
        route,
        terms,
        lines[0].unit.regime,
        tuple(lines),
        goods,
        total - goods - vat if terms == "DDP" else 0,
        vat,
        total,
        due,
        fx.rate,
        fx.on,
    )
