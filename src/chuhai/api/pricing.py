"""Pricing over HTTP: rules, market policies, landed cost of a SKU, the price book, quotes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import PageOut, Strict
from chuhai.core.context import Context
from chuhai.core.money import decimal_string
from chuhai.pricing import service
from chuhai.pricing.landed_cost import Breakdown
from chuhai.pricing.price_book import LINE_NAMES as MONEY_LINES
from chuhai.pricing.tables import MarketPricingRow, PriceHistoryRow, PriceRow, PricingRuleRow

router = APIRouter(tags=["pricing"])


class RuleIn(Strict):
    kind: str
    data: dict[str, Any]
    effective_from: date
    effective_to: date | None = None
    source: str


class RuleEnd(Strict):
    effective_to: date


class RuleOut(BaseModel):
    id: str
    kind: str
    data: dict[str, Any]
    effective_from: date
    effective_to: date | None
    source: str


class PolicyOut(BaseModel):
    market_code: str
    margin_bp: int
    returns_bp: int
    payment_fee_bp: int
    payment_fee_fixed: int
    fx_buffer_bp: int
    max_daily_change_bp: int
    rounding: str
    handling: int


class PolicyUpdate(Strict):
    margin_bp: int | None = None
    returns_bp: int | None = None
    payment_fee_bp: int | None = None
    payment_fee_fixed: int | None = None
    fx_buffer_bp: int | None = None
    max_daily_change_bp: int | None = None
    rounding: str | None = None
    handling: int | None = None


class BreakdownOut(BaseModel):
    currency: str
    lines: dict[str, str] = Field(description="every line as a decimal string in the currency")
    regime: str
    duty_rules: list[str]
    notes: list[str]
    fx_rate: str
    fx_on: date
    priced_on: date


class PriceOut(BaseModel):
    sku_id: str
    market_code: str
    route: str
    currency: str
    price: str | None
    landed_cost: str | None
    margin: str | None
    status: str
    proposed_price: str | None
    reason: str
    priced_on: date


class HistoryOut(BaseModel):
    market_code: str
    route: str
    currency: str
    price: str | None
    status: str
    reason: str
    at: Any


class RebuildIn(Strict):
    on: date | None = None
    sku_ids: list[str] | None = None


class RebuildOut(BaseModel):
    summary: str
    priced: int
    unchanged: int
    held: int
    refused: int
    problems: list[str]


class QuoteItem(Strict):
    sku_id: str
    quantity: int


class QuoteIn(Strict):
    market_code: str
    items: list[QuoteItem]
    terms: str = "DDP"
    route: str = "9610"
    on: date | None = None


class QuoteLineOut(BaseModel):
    sku_id: str
    quantity: int
    unit_price: str
    unit: dict[str, str]
    duty_rules: list[str]


class QuoteOut(BaseModel):
    market_code: str
    currency: str
    route: str
    terms: str
    regime: str
    lines: list[QuoteLineOut]
    goods: str
    duty: str
    vat: str
    total: str
    due_on_delivery: str
    fx_rate: str
    fx_on: date


def _money(amount: int | None, currency: str) -> str | None:
    return None if amount is None else decimal_string(amount, currency)


def _lines(b: Breakdown | dict[str, Any], currency: str) -> dict[str, str]:
    values = asdict(b) if isinstance(b, Breakdown) else b
    return {k: decimal_string(values[k], currency) for k in MONEY_LINES}


def _rule_out(row: PricingRuleRow) -> RuleOut:
    return RuleOut(
        id=row.id,
        kind=row.kind,
        data=row.data,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        source=row.source,
    )


def _policy_out(row: MarketPricingRow) -> PolicyOut:
    return PolicyOut(**{k: getattr(row, k) for k in PolicyOut.model_fields})


def _price_out(row: PriceRow) -> PriceOut:
    c = row.currency
    return PriceOut(
        sku_id=row.sku_id,
        market_code=row.market_code,
        route=row.route,
        currency=c,
        price=_money(row.price, c),
        landed_cost=_money(row.landed_cost, c),
        margin=_money(row.margin, c),
        status=row.status,
        proposed_price=_money(row.proposed_price, c),
        reason=row.reason,
        priced_on=row.priced_on,
    )


@router.get("/pricing/rules", response_model=list[RuleOut])
def list_rules(
    kind: str | None = None, on: date | None = None, ctx: Context = Depends(api_context)
) -> list[RuleOut]:
    return [_rule_out(r) for r in service.list_rules(ctx, kind, on)]


@router.post("/pricing/rules", status_code=201, response_model=RuleOut)
def add_rule(
    body: RuleIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: _rule_out(service.add_rule(ctx, **body.model_dump())),
    )


@router.post("/pricing/rules/{rule_id}/end", response_model=RuleOut)
def end_rule(rule_id: str, body: RuleEnd, ctx: Context = Depends(api_context)) -> RuleOut:
    row = service.end_rule(ctx, rule_id, body.effective_to)
    ctx.session.commit()
    return _rule_out(row)


@router.get("/pricing/markets/{market_code}", response_model=PolicyOut)
def get_policy(market_code: str, ctx: Context = Depends(api_context)) -> PolicyOut:
    ctx.actor.require("pricing.read")
    return _policy_out(service.market_pricing(ctx.session, market_code))


@router.patch("/pricing/markets/{market_code}", response_model=PolicyOut)
def update_policy(
    market_code: str, body: PolicyUpdate, ctx: Context = Depends(api_context)
) -> PolicyOut:
    row = service.update_market_pricing(ctx, market_code, body.model_dump(exclude_none=True))
    ctx.session.commit()
    return _policy_out(row)


@router.get("/skus/{sku_id}/landed-cost", response_model=BreakdownOut)
def landed_cost(
    sku_id: str,
    market: str,
    route: str = "9610",
    on: date | None = None,
    ctx: Context = Depends(api_context),
) -> BreakdownOut:
    """The landed-cost waterfall of one unit in one market by one route."""
    priced = service.price_sku(ctx, sku_id, market, route, on)
    b = priced.breakdown
    return BreakdownOut(
        currency=priced.currency,
        lines=_lines(b, priced.currency),
        regime=b.regime,
        duty_rules=list(priced.duty_lines),
        notes=list(b.notes),
        fx_rate=str(priced.fx_rate),
        fx_on=priced.fx_on,
        priced_on=priced.on,
    )


@router.get("/skus/{sku_id}/prices", response_model=list[HistoryOut])
def sku_price_history(
    sku_id: str, market: str | None = None, ctx: Context = Depends(api_context)
) -> list[HistoryOut]:
    rows: list[PriceHistoryRow] = service.price_history(ctx, sku_id, market)
    return [
        HistoryOut(
            market_code=r.market_code,
            route=r.route,
            currency=r.currency,
            price=_money(r.price, r.currency),
            status=r.status,
            reason=r.reason,
            at=r.at,
        )
        for r in rows
    ]


@router.get("/pricing/price-book", response_model=PageOut[PriceOut])
def price_book(
    market: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[PriceOut]:
    page = service.price_book(ctx, market_code=market, status=status, limit=limit, offset=offset)
    return PageOut(
        items=[_price_out(p) for p in page.items], total=page.total, limit=limit, offset=offset
    )


@router.post("/pricing/rebuilds", status_code=201, response_model=RebuildOut)
def rebuild(
    body: RebuildIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    def run() -> RebuildOut:
        report = service.rebuild_price_book(ctx, body.on, body.sku_ids)
        return RebuildOut(
            summary=report.summary(),
            priced=report.priced,
            unchanged=report.unchanged,
            held=report.held,
            refused=report.refused,
            problems=report.problems or [],
        )

    return run_idempotent(ctx, request, idempotency_key, body, run)


@router.post("/pricing/price-book/{sku_id}/{market_code}/{route}/approve", response_model=PriceOut)
def approve(
    sku_id: str, market_code: str, route: str, ctx: Context = Depends(api_context)
) -> PriceOut:
    row = service.approve_held_price(ctx, sku_id, market_code, route)
    ctx.session.commit()
    return _price_out(row)


@router.post("/quotes", response_model=QuoteOut)
def quote(body: QuoteIn, ctx: Context = Depends(api_context)) -> QuoteOut:
    """Landed cost, duties and taxes of a basket (DDP: collected now; DAP: due on delivery)."""
    q = service.quote(
        ctx,
        body.market_code,
        [(i.sku_id, i.quantity) for i in body.items],
        terms=body.terms,
        route=body.route,
        on=body.on,
    )
    c = q.currency
    return QuoteOut(
        market_code=q.market_code,
        currency=c,
        route=q.route,
        terms=q.terms,
        regime=q.regime,
        lines=[
            QuoteLineOut(
                sku_id=line.sku_id,
                quantity=line.quantity,
                unit_price=decimal_string(line.unit.price, c),
                unit=_lines(line.unit, c),
                duty_rules=list(line.duty_lines),
            )
            for line in q.lines
        ],
        goods=decimal_string(q.goods, c),
        duty=decimal_string(q.duty, c),
        vat=decimal_string(q.vat, c),
        total=decimal_string(q.total, c),
        due_on_delivery=decimal_string(q.due_on_delivery, c),
        fx_rate=str(q.fx_rate),
        fx_on=q.fx_on,
    )
