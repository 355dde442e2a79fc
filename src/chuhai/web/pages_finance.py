"""Console page for FX rates: today's rate from CNY into each market's currency, a lookup of
the rate used for any pair and day, the newest stored rate of every pair (stale ones flagged
against the age limit), and, for finance, CSV imports and loads of the ECB's reference rates.

Operators read (fx.read); finance changes (fx.manage), and the services check both again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from chuhai.core.errors import ChuhaiError, ValidationFailed
from chuhai.finance import service
from chuhai.finance.fx import FxRate, FxRateMissing, rate_text
from chuhai.finance.fx_import import DEFAULT_SOURCE
from chuhai.markets.service import active_market_currencies
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)

HOME_CURRENCY = "CNY"  # supply prices are in CNY; operators read every market's rate from it


async def submitted_form(request: Request) -> FormData:
    return await request.form()


@dataclass(frozen=True)
class MarketRate:
    """The rate from CNY into one market currency today, or the sentence saying why none."""

    quote: str
    rate: FxRate | None
    refusal: str | None


@dataclass(frozen=True)
class Lookup:
    base: str
    quote: str
    on: str
    rate: FxRate | None = None
    refusal: str | None = None  # no usable rate (missing or stale)
    error: str | None = None  # the question itself was malformed


def _market_rates(page: Page) -> list[MarketRate]:
    ctx = page.ctx
    today = ctx.now().date()
    found = []
    for quote in sorted(active_market_currencies(ctx.session) - {HOME_CURRENCY}):
        try:
            found.append(MarketRate(quote, service.rate_on(ctx, HOME_CURRENCY, quote, today), None))
        except FxRateMissing as missing:
            found.append(MarketRate(quote, None, missing.detail))
    return found


def _lookup(page: Page, base: str, quote: str, on: str) -> Lookup | None:
    base, quote, on = base.strip().upper(), quote.strip().upper(), on.strip()
    if not (base or quote):
        return None
    try:
        day = date.fromisoformat(on) if on else page.ctx.now().date()
    except ValueError:
        return Lookup(base, quote, on, error=f"{on!r} is not a date like 2026-11-28")
    try:
        rate = service.lookup_rate(page.ctx, base, quote, day)
    except FxRateMissing as missing:
        return Lookup(base, quote, on, refusal=missing.detail)
    except ValidationFailed as invalid:
        return Lookup(base, quote, on, error=error_message(invalid))
    return Lookup(base, quote, day.isoformat(), rate=rate)


def _render(page: Page, status_code: int = 200, **data: Any) -> HTMLResponse:
    page.actor.require("fx.read")
    ctx = page.ctx
    history = service.ecb_history()
    values: dict[str, Any] = {
        "today": ctx.now().date(),
        "max_age_days": ctx.settings.fx_max_age_days,
        "home": HOME_CURRENCY,
        "market_rates": _market_rates(page),
        "latest": service.latest_rates(ctx),
        "lookup": None,
        "can_manage": page.actor.can("fx.manage"),
        "ecb_ends": history.last_day,
        "default_source": DEFAULT_SOURCE,
        "report": None,
        "import_error": None,
        "rate_text": rate_text,
    }
    values.update(data)
    return render(page, "finance/fx.html", status_code=status_code, **values)


@router.get("/fx", response_class=HTMLResponse)
def fx_rates(
    page: Page = Depends(page_context), base: str = "", quote: str = "", on: str = ""
) -> HTMLResponse:
    page.actor.require("fx.read")
    return _render(page, lookup=_lookup(page, base, quote, on))


@router.post("/fx/imports", response_class=HTMLResponse)
def import_rates(
    page: Page = Depends(form_page), form: FormData = Depends(submitted_form)
) -> Response:
    page.actor.require("fx.manage")
    upload = form.get("file")
    source = str(form.get("source") or "").strip().upper() or DEFAULT_SOURCE
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _render(page, 422, import_error="Choose a .csv file of rates to import.")
    try:
        report = service.import_rates_csv(
            page.ctx, upload.filename, upload.file.read(), default_source=source
        )
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return _render(page, 422, import_error=error_message(exc))
    if not report.ok:
        page.ctx.session.rollback()
        return _render(page, 422, report=report)
    page.ctx.session.commit()
    return _render(page, report=report)


@router.post("/fx/ecb-loads")
def load_ecb(page: Page = Depends(form_page), form: FormData = Depends(submitted_form)) -> Response:
    page.actor.require("fx.manage")
    since_text = str(form.get("since") or "").strip()
    try:
        since = date.fromisoformat(since_text) if since_text else None
    except ValueError:
        return redirect("/fx", error=f"{since_text!r} is not a date like 2025-01-01")
    try:
        done = service.load_ecb(
            page.ctx, since=since, all_currencies=form.get("all_currencies") == "on"
        )
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return redirect("/fx", error=error_message(exc))
    page.ctx.session.commit()
    notice = (
        f"Stored {done.added} ECB rates since {done.since.isoformat()} "
        f"(EUR to {', '.join(done.currencies)}); the bundled ECB data ends "
        f"{done.data_ends.isoformat()}."
    )
    if done.unpublished:
        notice += f" The ECB publishes no rate for {', '.join(done.unpublished)}: import it."
    return redirect("/fx", notice=notice)
