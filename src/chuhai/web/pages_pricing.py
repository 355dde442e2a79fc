"""Console pages for pricing: the price book (filters, held prices to approve, a rebuild), one
SKU's landed-cost waterfall per market and route with its price history, the dated pricing
rules, and each market's pricing policy.

Operators read (pricing.read); merchandising, customs and finance change rules, policies and
held prices (pricing.rules), and the services check both again. The waterfall is an inline
SVG drawn on the server from the kernel's breakdown: no script, no chart library, and the
same numbers stand in a table beside it. A price the services cannot work out (no FX rate
for the day, a rule missing) is an expected situation: the page says why in a flash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from chuhai.catalog import service as catalog
from chuhai.core.context import Context
from chuhai.core.errors import ChuhaiError, Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.money import Money, currency_exponent, decimal_string, format_minor
from chuhai.core.pagination import Page as Paged
from chuhai.markets import service as markets
from chuhai.pricing import service as pricing
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
RULES_PAGE_SIZE = 50
STATUSES = ("active", "held", "refused")
ROUTE_LABELS = {
    "9610": "9610 direct mail",
    "9810": "9810 overseas warehouse",
    "9710": "9710 B2B export",
    "domestic": "domestic delivery",
}

# one example per rule kind, shown beside the form (tests check each passes the service)
RULE_EXAMPLES: dict[str, dict[str, Any]] = {
    "duty": {
        "tariff_area": "US",
        "hs_prefix": "6403",
        "origin": "CN",
        "layer": "additional",
        "rate_bp": 1500,
        "program": "Section 301",
    },
    "regime": {
        "destination": "DE",
        "origin": "*",
        "valuation": "CIF",
        "currency": "EUR",
        "vat_at_sale_threshold": 15000,
        "flat_duty_per_subheading": 300,
    },
    "tax": {"country": "DE", "kind": "standard", "rate_bp": 1900},
    "category_tax": {"country": "GB", "category_prefix": "apparel.kids", "kind": "zero"},
    "rate_card": {
        "route": "9610",
        "mode": "express",
        "origin": "CN",
        "destination": "DE",
        "basis": "kg",
        "rate": 5800,
        "per_shipment": 1500,
        "shipment_units": 1,
        "volumetric_divisor": 8000,
        "currency": "CNY",
    },
    "last_mile": {"market_code": "DE", "max_weight_g": 1000, "price": 549, "currency": "EUR"},
}

# a market's policy as the form shows it: (field, label, unit) — "%" fields are basis points
POLICY_FORM = (
    ("margin_bp", "Margin", "of net price"),
    ("returns_bp", "Returns allowance", "of net price"),
    ("payment_fee_bp", "Payment fee", "of price paid"),
    ("payment_fee_fixed", "Payment fee, fixed", "per payment"),
    ("fx_buffer_bp", "FX buffer", "of goods + freight"),
    ("max_daily_change_bp", "Max change a day", "more is held"),
    ("handling", "Handling", "per unit, 9810"),
)
MONEY_FIELDS = ("payment_fee_fixed", "handling")
ROUNDING_LABELS = {"charm99": "x.99 endings", "whole": "whole units", "none": "none"}


async def submitted_form(request: Request) -> FormData:
    """The posted form (parsed once; FastAPI keeps it on the request)."""
    return await request.form()


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _values(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _date(text: str, field: str) -> date:
    if not text:
        raise ValidationFailed.one(field, "give a date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.one(field, f"{text!r} is not a date like 2026-01-31") from None


def _back(form: FormData, default: str) -> str:
    """Where a form returns to: a page of the same section, never another site."""
    back = _text(form, "back")
    return back if back.startswith(default) and not back.startswith("//") else default


def _percent(bp: int | None) -> str:
    """Basis points as a percentage for display (1250 → "12.5%")."""
    if bp is None:
        return "—"
    text = f"{Decimal(bp) / 100:f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def _share(part: int | None, whole: int | None) -> str:
    """`part` as a percentage of `whole`, one decimal (display only; money stays integer)."""
    if part is None or not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'))}%"


# --- the price book -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BookLine:
    """One row of the price book with the names an operator reads it by."""

    price: Any  # the service's price-book row
    sku_code: str
    product_id: str
    product_title: str

    @property
    def margin_share(self) -> str:
        return _share(self.price.margin, self.price.price)

    @property
    def route_label(self) -> str:
        return ROUTE_LABELS.get(self.price.route, self.price.route)


def _book_line(ctx: Context, row: Any) -> BookLine:
    sku = catalog.visible_sku(ctx, row.sku_id)
    product = catalog.visible_product(ctx, sku.product_id)
    return BookLine(row, sku.sku_code, product.id, product.title_en)


def _book_page(
    page: Page, market: str = "", status: str = "", offset: int = 0, status_code: int = 200
) -> HTMLResponse:
    ctx = page.ctx
    ctx.actor.require("pricing.read")
    market = market.upper()
    status = status if status in STATUSES else ""
    found = pricing.price_book(
        ctx,
        market_code=market or None,
        status=status or None,
        limit=PAGE_SIZE,
        offset=max(offset, 0),
    )
    filters = {k: v for k, v in (("market", market), ("status", status)) if v}
    here = "/pricing" + (f"?{urlencode(filters)}" if filters else "")
    return render(
        page,
        "pricing/book.html",
        status_code=status_code,
        found=found,
        lines=[_book_line(ctx, row) for row in found.items],
        query=urlencode(filters) + "&" if filters else "",
        here=here,
        market=market,
        status=status,
        statuses=STATUSES,
        markets=markets.list_markets(ctx),
        can_change=page.actor.can("pricing.rules"),
        section="book",
    )


@router.get("/pricing", response_class=HTMLResponse)
def price_book(
    market: str = "", status: str = "", offset: int = 0, page: Page = Depends(page_context)
) -> HTMLResponse:
    return _book_page(page, market.strip(), status.strip(), offset)


def _problem_text(ctx: Context, problems: list[str]) -> str:
    """The rebuild's refusals with SKU codes in place of ids, the first few of them."""
    shown = []
    for problem in problems[:3]:
        sku_id, _, rest = problem.partition(" ")
        try:
            shown.append(f"{catalog.visible_sku(ctx, sku_id).sku_code} {rest}")
        except NotFound:
            shown.append(problem)
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return "Refused: " + "; ".join(shown) + more if shown else ""


@router.post("/pricing/rebuild")
def rebuild(page: Page = Depends(form_page), form: FormData = Depends(submitted_form)) -> Response:
    ctx = page.ctx
    back = _back(form, "/pricing")
    try:
        report = pricing.rebuild_price_book(ctx, ctx.now().date())
        ctx.session.commit()
    except ChuhaiError as exc:
        ctx.session.rollback()
        return redirect(back, error=error_message(exc))
    return redirect(
        back,
        notice=f"Price book rebuilt: {report.summary()}.",
        error=_problem_text(ctx, report.problems or []) or None,
    )


@router.post("/pricing/approve")
def approve(page: Page = Depends(form_page), form: FormData = Depends(submitted_form)) -> Response:
    ctx = page.ctx
    back = _back(form, "/pricing")
    sku_id, market, route = _text(form, "sku_id"), _text(form, "market_code"), _text(form, "route")
    try:
        row = pricing.approve_held_price(ctx, sku_id, market, route)
        code = catalog.visible_sku(ctx, sku_id).sku_code
        price = format_minor(row.price, row.currency) if row.price is not None else "—"
        ctx.session.commit()
    except ChuhaiError as exc:
        ctx.session.rollback()
        return redirect(back, error=error_message(exc))
    return redirect(
        back, notice=f"{code} in {market} ({ROUTE_LABELS.get(route, route)}) now sells at {price}."
    )


# --- one SKU: the landed-cost waterfall ---------------------------------------------------------

# the cost lines of a breakdown, in the order the waterfall adds them up: (field, label, kind)
COST_LINES = (
    ("supply", "Supply price", "goods"),
    ("first_mile", "First mile", "logistics"),
    ("line_haul", "Line haul", "logistics"),
    ("last_mile", "Last mile", "logistics"),
    ("handling", "Handling", "logistics"),
    ("fx_buffer", "FX buffer", "fx"),
    ("duty", "Duty", "tax"),
    ("import_vat", "Import VAT", "tax"),
    ("sales_vat", "VAT at sale", "tax"),
    ("payment_fee", "Payment fee", "fee"),
    ("returns_allowance", "Returns allowance", "fee"),
)
VAT_LINES = ("import_vat", "sales_vat")


@dataclass(frozen=True)
class Bar:
    """One bar of the waterfall, in chart coordinates (SVG user units, not money)."""

    key: str
    label: str
    kind: str  # goods | logistics | fx | tax | fee | other | total | margin | price
    amount: int  # minor units
    text: str  # the amount as the buyer's currency reads it
    x: float
    width: float
    y: float
    joins_next: float | None  # x where a dashed line carries the running total down


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass
class Waterfall:
    """The chart's geometry; the template only draws it."""

    bars: list[Bar]
    ticks: list[Tick]
    height: float
    currency: str
    summary: str
    width: float = 800.0
    label_right: float = 168.0
    plot_left: float = 180.0
    plot_width: float = 500.0
    row: float = 30.0
    bar: float = 18.0
    top: float = 8.0
    axis_y: float = field(default=0.0)


def _nice_step(largest: int) -> int:
    """A round tick step (1, 2 or 5 × 10^n minor units) giving four to eight ticks."""
    if largest <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if largest / (step * factor) <= 6:
                return step * factor
        step *= 10


def waterfall(breakdown: Any, currency: str, tax_inclusive: bool) -> Waterfall:
    """The steps from the supply price to the landed cost, then the margin to the price.

    Lines of zero are left out of the chart (the table shows every line). VAT climbs the
    waterfall only where the price includes it; in a tax-exclusive market it is added at
    checkout and is no cost of the platform's. Should the lines not add up to the landed cost
    exactly, the difference is drawn as its own step rather than hidden.
    """
    b = breakdown
    steps = [
        (key, label, kind, getattr(b, key))
        for key, label, kind in COST_LINES
        if getattr(b, key) and (tax_inclusive or key not in VAT_LINES)
    ]
    rest = b.landed_cost - sum(step[3] for step in steps)
    if rest:
        steps.append(("other", "Other (rounding)", "other", rest))

    def money(amount: int) -> str:
        return format_minor(amount, currency)

    largest = max(b.price, b.landed_cost, 1)
    step = _nice_step(largest)
    top_tick = -(-largest // step) * step
    chart = Waterfall([], [], 0.0, currency, "")

    def at(amount: int) -> float:
        return chart.plot_left + chart.plot_width * amount / top_tick

    def place(index: int) -> float:
        return chart.top + index * chart.row + (chart.row - chart.bar) / 2

    running, bars = 0, []
    rows: list[tuple[str, str, str, int, int]] = []
    for key, label, kind, amount in steps:
        rows.append((key, label, kind, amount, running))
        running += amount
    rows.append(("landed_cost", "Landed cost", "total", b.landed_cost, 0))
    rows.append(("margin", "Margin", "margin", b.margin, b.landed_cost))
    rows.append(("price", "Price", "price", b.price, 0))
    for index, (key, label, kind, amount, start) in enumerate(rows):
        end = start + amount
        left, right = at(min(start, end)), at(max(start, end))
        joins = at(end) if key not in ("price",) else None
        sign = "+" if kind not in ("total", "price") and amount > 0 else ""
        bars.append(
            Bar(
                key,
                label,
                kind,
                amount,
                sign + money(amount),
                round(left, 2),
                round(max(right - left, 1.5), 2),
                round(place(index), 2),
                round(joins, 2) if joins is not None else None,
            )
        )
    chart.bars = bars
    chart.axis_y = chart.top + len(bars) * chart.row + 4
    chart.height = chart.axis_y + 22
    chart.ticks = [Tick(round(at(t), 2), money(t)) for t in range(0, top_tick + 1, step)]
    chart.summary = (
        f"Landed cost {money(b.landed_cost)} of which supply {money(b.supply)}; "
        f"margin {money(b.margin)}; price {money(b.price)}"
    )
    return chart


@dataclass(frozen=True)
class Line:
    """One row of the breakdown table."""

    key: str
    label: str
    amount: int
    share: str
    note: str = ""


def _lines(breakdown: Any, tax_inclusive: bool) -> list[Line]:
    b = breakdown
    lines = []
    for key, label, _ in COST_LINES:
        amount = getattr(b, key)
        note = ""
        if key in VAT_LINES and amount and not tax_inclusive:
            note = "added at checkout, not in the price"
        lines.append(Line(key, label, amount, _share(amount, b.price), note))
    return lines


def _markets_of(ctx: Context, product_id: str) -> tuple[list[Any], list[Any]]:
    """(markets the product is listed in, other active markets)."""
    view = catalog.product_view(ctx, product_id)
    listed = {m.market_code for m in view.markets if m.status == "listed"}
    active = markets.list_markets(ctx, active_only=True)
    return [m for m in active if m.code in listed], [m for m in active if m.code not in listed]


@router.get("/skus/{sku_id}/pricing", response_class=HTMLResponse)
def sku_pricing(
    sku_id: str,
    market: str = "",
    route: str = "",
    on: str = "",
    page: Page = Depends(page_context),
) -> HTMLResponse:
    ctx = page.ctx
    ctx.actor.require("pricing.read")
    sku = catalog.visible_sku(ctx, sku_id)
    product = catalog.visible_product(ctx, sku.product_id)
    listed, others = _markets_of(ctx, product.id)
    errors: list[str] = []
    if market:
        chosen = markets.get_market(ctx, market.strip().upper())
    elif listed or others:
        chosen = (listed or others)[0]
    else:
        raise NotFound("no active market to price in", field="market")
    routes = pricing.routes_for(chosen.code, chosen.customs)
    route = route if route in routes else routes[0]
    today = ctx.now().date()
    try:
        day = _date(on.strip(), "on") if on.strip() else today
    except ValidationFailed as bad:
        errors.append(error_message(bad))
        day = today
    priced = chart = None
    lines: list[Line] = []
    shares: dict[str, str] = {}
    try:
        priced = pricing.price_sku(ctx, sku.id, chosen.code, route, day)
    except (Conflict, ValidationFailed) as refused:
        errors.append(error_message(refused))
    if priced is not None:
        chart = waterfall(priced.breakdown, priced.currency, chosen.tax_inclusive)
        lines = _lines(priced.breakdown, chosen.tax_inclusive)
        b = priced.breakdown
        shares = {
            "landed_cost": _share(b.landed_cost, b.price),
            "margin": _share(b.margin, b.price),
        }
    history = list(reversed(pricing.price_history(ctx, sku.id, chosen.code)))
    return render(
        page,
        "pricing/sku.html",
        sku=sku,
        product=product,
        market=chosen,
        route=route,
        routes=routes,
        route_labels=ROUTE_LABELS,
        listed=listed,
        others=others,
        on=day,
        today=today,
        priced=priced,
        chart=chart,
        lines=lines,
        shares=shares,
        history=history,
        errors=errors,
        fx_missing=any("CNY→" in e for e in errors),
        supply_cny=format_minor(sku.supply_price_amount, "CNY"),
        section="book",
    )


# --- pricing rules ------------------------------------------------------------------------------


def _money_or_amount(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    currency = data.get("currency")
    if isinstance(value, int) and isinstance(currency, str):
        try:
            return format_minor(value, currency)
        except ValidationFailed:
            pass
    return str(value)


def rule_scope(kind: str, data: dict[str, Any]) -> str:
    """What a rule applies to, in a few words."""
    d = data.get
    origin = "any origin" if d("origin") == "*" else f"from {d('origin')}"
    if kind == "duty":
        hs = f"HS {d('hs_prefix')}" if d("hs_prefix") else "all HS codes"
        return f"{d('tariff_area')} · {hs} · {origin} · {d('layer')} · {d('program')}"
    if kind == "regime":
        return f"into {d('destination')} · {origin}"
    if kind == "tax":
        return f"{d('country')} · {d('kind')}"
    if kind == "category_tax":
        return f"{d('country')} · {d('category_prefix')}"
    if kind == "rate_card":
        destination = "any market" if d("destination") == "*" else d("destination")
        return f"{d('route')} {d('mode')} · {d('origin')} → {destination}"
    if kind == "last_mile":
        return f"{d('market_code')} · up to {d('max_weight_g')} g"
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def rule_value(kind: str, data: dict[str, Any]) -> str:
    """What a rule says, in a few words."""
    d = data.get
    if kind in ("duty", "tax") and isinstance(d("rate_bp"), int):
        return _percent(d("rate_bp"))
    if kind == "category_tax":
        return f"{d('kind')} rate"
    if kind == "last_mile":
        return _money_or_amount(data, "price")
    if kind == "rate_card":
        per = {"kg": "per kg", "cbm": "per m³"}.get(str(d("basis")), str(d("basis")))
        parts = [f"{_money_or_amount(data, 'rate')} {per}"]
        if d("per_shipment"):
            units = d("shipment_units") or 1
            parts.append(f"+ {_money_or_amount(data, 'per_shipment')} per shipment of {units}")
        if d("volumetric_divisor"):
            parts.append(f"(volumetric ÷{d('volumetric_divisor')})")
        return " ".join(parts)
    if kind == "regime":
        parts = [f"{d('valuation')} valuation"]
        for key, label in (
            ("duty_free_threshold", "duty relief up to"),
            ("vat_at_sale_threshold", "VAT at sale up to"),
            ("tax_free_threshold", "tax free up to"),
            ("flat_duty_per_subheading", "flat duty per subheading"),
        ):
            if d(key) is not None:
                parts.append(f"{label} {_money_or_amount(data, key)}")
        return "; ".join(parts)
    return ""


def _rule_state(rule: Any, on: date) -> str:
    if rule.effective_from > on:
        return "upcoming"
    if rule.effective_to is not None and rule.effective_to < on:
        return "ended"
    return "in force"


def _rules_page(
    page: Page,
    kind: str = "",
    on: str = "",
    q: str = "",
    offset: int = 0,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    ctx = page.ctx
    ctx.actor.require("pricing.read")
    today = ctx.now().date()
    kind = kind if kind in pricing.KINDS else ""
    day: date | None = None
    error = extra.pop("error", None)
    if on:
        try:
            day = _date(on, "on")
        except ValidationFailed as bad:
            error = error or error_message(bad)
    rules = pricing.list_rules(ctx, kind or None, day)
    if q:  # a rule's id names its kind, scope and start; its source says where it comes from
        wanted = q.casefold()
        rules = [r for r in rules if wanted in r.id.casefold() or wanted in r.source.casefold()]
    offset = min(max(offset, 0), max(len(rules) - 1, 0))
    found: Paged[Any] = Paged(
        rules[offset : offset + RULES_PAGE_SIZE], len(rules), RULES_PAGE_SIZE, offset
    )
    filters = {
        k: v for k, v in (("kind", kind), ("on", day.isoformat() if day else ""), ("q", q)) if v
    }
    clash_id = extra.pop("clash", None)
    clash = None
    if clash_id:
        clash = next((r for r in pricing.list_rules(ctx) if r.id == clash_id), None)
    form = extra.pop("form", {})
    chosen_kind = form.get("kind") or kind or "duty"
    return render(
        page,
        "pricing/rules.html",
        status_code=status_code,
        found=found,
        query=urlencode(filters) + "&" if filters else "",
        here="/pricing/rules" + (f"?{urlencode(filters)}" if filters else ""),
        kind=kind,
        on=day,
        q=q,
        today=today,
        kinds=pricing.KINDS,
        scope=rule_scope,
        value=rule_value,
        state=lambda rule: _rule_state(rule, day or today),
        examples={k: json.dumps(v, indent=1, ensure_ascii=False) for k, v in RULE_EXAMPLES.items()},
        chosen_kind=chosen_kind,
        clash=clash,
        form=form,
        error=error,
        can_change=page.actor.can("pricing.rules"),
        section="rules",
        **extra,
    )


@router.get("/pricing/rules", response_class=HTMLResponse)
def rules(
    kind: str = "",
    on: str = "",
    q: str = "",
    offset: int = 0,
    page: Page = Depends(page_context),
) -> HTMLResponse:
    return _rules_page(page, kind.strip(), on.strip(), q.strip(), offset)


def _rule_data(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError as bad:
        raise ValidationFailed.one(
            "data", f"not valid JSON ({bad.msg} at line {bad.lineno}, column {bad.colno})"
        ) from None
    if not isinstance(data, dict):
        raise ValidationFailed.one("data", "give a JSON object, {...}")
    return data


@router.post("/pricing/rules")
def add_rule(page: Page = Depends(form_page), form: FormData = Depends(submitted_form)) -> Response:
    ctx = page.ctx
    kind = _text(form, "kind")
    try:
        row = pricing.add_rule(
            ctx,
            kind=kind,
            data=_rule_data(_text(form, "data")),
            effective_from=_date(_text(form, "effective_from"), "effective_from"),
            effective_to=(
                _date(_text(form, "effective_to"), "effective_to")
                if _text(form, "effective_to")
                else None
            ),
            source=_text(form, "source"),
        )
        rule_id = row.id
        ctx.session.commit()
    except ChuhaiError as exc:
        ctx.session.rollback()
        return _rules_page(
            page,
            _text(form, "filter_kind"),
            _text(form, "filter_on"),
            _text(form, "filter_q"),
            status_code=exc.status,
            error=error_message(exc),
            form=_values(form),
            clash=exc.extra.get("overlaps"),
        )
    # back to the rules of the new one's scope: its predecessors and itself
    scope = rule_id.rsplit(":", 1)[0] + ":"
    return redirect(
        f"/pricing/rules?{urlencode({'kind': kind, 'q': scope})}", notice=f"Rule {rule_id} added."
    )


@router.post("/pricing/rules/end")
def end_rule(page: Page = Depends(form_page), form: FormData = Depends(submitted_form)) -> Response:
    ctx = page.ctx
    back = _back(form, "/pricing/rules")
    rule_id, when = _text(form, "rule_id"), _text(form, "effective_to")
    try:
        pricing.end_rule(ctx, rule_id, _date(when, "effective_to"))
        ctx.session.commit()
    except ChuhaiError as exc:
        ctx.session.rollback()
        return redirect(back, error=f"{rule_id}: {error_message(exc)}")
    return redirect(back, notice=f"Rule {rule_id} ends on {when}.")


# --- market pricing policies --------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    market: Any
    policy: Any  # None where the market has no pricing policy yet

    def shown(self, name: str) -> str:
        value = getattr(self.policy, name)
        if name in MONEY_FIELDS:
            return format_minor(value, self.market.currency)
        return _percent(value)

    def typed(self, name: str) -> str:
        """The value as the form takes it: percent, or major units of the market currency."""
        value = getattr(self.policy, name)
        if name in MONEY_FIELDS:
            return decimal_string(value, self.market.currency)
        return _percent(value).rstrip("%")


def _policies(ctx: Context) -> list[Policy]:
    found = []
    for market in markets.list_markets(ctx):
        try:
            found.append(Policy(market, pricing.market_pricing(ctx.session, market.code)))
        except NotFound:
            found.append(Policy(market, None))
    return found


def _policy_changes(form: FormData, currency: str) -> dict[str, Any]:
    """The form's values in the service's units; every unreadable field named at once."""
    changes: dict[str, Any] = {}
    problems = []
    for name, label, _ in POLICY_FORM:
        text = _text(form, name).replace("%", "").strip()
        if not text:
            problems.append((name, f"{label}: give a value"))
            continue
        if name in MONEY_FIELDS:
            try:
                changes[name] = Money.parse(text, currency, name).amount_minor
            except ValidationFailed as bad:
                problems.append((name, f"{label}: {bad.errors[0].message}"))
            continue
        try:
            scaled = Decimal(text) * 100
        except InvalidOperation:
            problems.append((name, f"{label}: {text!r} is not a number"))
            continue
        if not scaled.is_finite() or scaled != scaled.to_integral_value():
            problems.append((name, f"{label}: at most two decimals, e.g. 12.5"))
            continue
        changes[name] = int(scaled)
    changes["rounding"] = _text(form, "rounding")
    if problems:
        raise ValidationFailed([FieldError(name, message) for name, message in problems])
    return changes


def _policy_message(exc: ChuhaiError) -> str:
    """The refusal with the form's labels (the service speaks of basis points)."""
    if not isinstance(exc, ValidationFailed):
        return error_message(exc)
    labels = {name: label for name, label, _ in POLICY_FORM}
    labels["rounding"] = "Rounding"
    parts = []
    for e in exc.errors:
        message = e.message
        if e.field in labels and not message.startswith(labels[e.field]):
            message = f"{labels[e.field]}: {message}"
        parts.append(message)
    return "; ".join(parts)


def _policies_page(page: Page, status_code: int = 200, **extra: Any) -> HTMLResponse:
    page.ctx.actor.require("pricing.read")
    return render(
        page,
        "pricing/markets.html",
        status_code=status_code,
        policies=_policies(page.ctx),
        fields=POLICY_FORM,
        money_fields=MONEY_FIELDS,
        roundings=pricing.ROUNDINGS,
        rounding_labels=ROUNDING_LABELS,
        exponent=currency_exponent,
        can_change=page.actor.can("pricing.rules"),
        editing=extra.pop("editing", None),
        form=extra.pop("form", {}),
        section="markets",
        **extra,
    )


@router.get("/pricing/markets", response_class=HTMLResponse)
def policies(page: Page = Depends(page_context)) -> HTMLResponse:
    return _policies_page(page)


@router.post("/pricing/markets/{code}")
def edit_policy(
    code: str, page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    ctx = page.ctx
    market = markets.get_market(ctx, code)
    try:
        pricing.update_market_pricing(ctx, market.code, _policy_changes(form, market.currency))
        ctx.session.commit()
    except NotFound:
        ctx.session.rollback()
        raise
    except ChuhaiError as exc:
        ctx.session.rollback()
        return _policies_page(
            page,
            status_code=exc.status,
            error=_policy_message(exc),
            editing=market.code,
            form=_values(form),
        )
    return redirect(
        "/pricing/markets",
        notice=f"Pricing policy of {market.code} saved; it applies from the next rebuild.",
    )
