"""FX rates over HTTP: the rate for a day, the newest rates, CSV imports and ECB loads.

Rates travel as exact decimal strings ("7.4326"), never as JSON numbers. A missing or stale
rate is a 409 problem (`fx-rate-missing`) naming the pair, the day, the age limit and the
newest date on record.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import Strict
from chuhai.core.context import Context
from chuhai.core.errors import ChuhaiError
from chuhai.finance import service
from chuhai.finance.fx import FxRate, rate_text
from chuhai.finance.fx_import import DEFAULT_SOURCE

router = APIRouter(tags=["fx"])


class FxRateOut(BaseModel):
    base: str
    quote: str
    rate: str  # exact decimal text: one unit of base buys `rate` units of quote
    on: date  # the date the rate was published for (on or before the day asked about)
    source: str
    derived_via: str | None  # how a rate not stored for this pair was computed
    age_days: int  # days between `on` and the day asked about
    max_age_days: int  # the limit it was looked up under

    @classmethod
    def of(cls, rate: FxRate, asked: date, max_age_days: int) -> FxRateOut:
        return cls(
            base=rate.base,
            quote=rate.quote,
            rate=rate_text(rate.rate),
            on=rate.on,
            source=rate.source,
            derived_via=rate.derived_via,
            age_days=rate.age_days(asked),
            max_age_days=max_age_days,
        )


class LatestRateOut(BaseModel):
    base: str
    quote: str
    rate: str
    on: date
    source: str
    age_days: int  # days old today
    stale: bool  # older than max_age_days: refused for today's conversions


class LatestRatesOut(BaseModel):
    today: date
    max_age_days: int
    items: list[LatestRateOut]


class FxImportErrorOut(BaseModel):
    row: int  # as a spreadsheet shows it (header is row 1); 0 for the whole file
    field: str
    message: str


class FxImportOut(BaseModel):
    ok: bool
    summary: str
    filename: str
    rows: int
    added: int
    unchanged: int
    sources: list[str]
    pairs: list[str]
    errors: list[FxImportErrorOut]


class EcbLoadIn(Strict):
    since: date | None = None  # default: two years before today
    currencies: list[str] | None = None  # default: the active markets' currencies and CNY
    all_currencies: bool = False


class EcbLoadOut(BaseModel):
    added: int
    currencies: list[str]
    since: date
    unpublished: list[str]
    data_ends: date


class ImportRefused(ChuhaiError):
    """A rates file with any bad row: nothing was stored; the report lists every problem."""

    status = 422
    code = "import-refused"
    title = "Import refused"


@router.get("/fx/rates", response_model=FxRateOut)
def get_rate(
    base: str,
    quote: str,
    on: date | None = None,
    max_age_days: int | None = None,
    source: str | None = None,
    ctx: Context = Depends(api_context),
) -> FxRateOut:
    """The rate used for `base`→`quote` on `on` (default today), or a 409 saying why none is."""
    asked = on or ctx.now().date()
    limit = ctx.settings.fx_max_age_days if max_age_days is None else max_age_days
    rate = service.lookup_rate(ctx, base, quote, asked, limit, source=source)
    return FxRateOut.of(rate, asked, limit)


@router.get("/fx/rates/latest", response_model=LatestRatesOut)
def latest_rates(ctx: Context = Depends(api_context)) -> LatestRatesOut:
    """The newest stored rate of every pair and source, its age today, and whether it is stale."""
    items = [
        LatestRateOut(
            base=found.rate.base,
            quote=found.rate.quote,
            rate=rate_text(found.rate.rate),
            on=found.rate.on,
            source=found.rate.source,
            age_days=found.age_days,
            stale=found.stale,
        )
        for found in service.latest_rates(ctx)
    ]
    return LatestRatesOut(
        today=ctx.now().date(), max_age_days=ctx.settings.fx_max_age_days, items=items
    )


def import_out(report: service.FxImportReport) -> FxImportOut:
    return FxImportOut(
        ok=report.ok,
        summary=report.summary(),
        filename=report.filename,
        rows=report.rows,
        added=report.added,
        unchanged=report.unchanged,
        sources=report.sources,
        pairs=report.pairs,
        errors=[
            FxImportErrorOut(row=e.row, field=e.field, message=e.message) for e in report.errors
        ],
    )


@router.post("/fx/imports", status_code=201, response_model=FxImportOut)
def import_rates(
    request: Request,
    file: UploadFile = File(...),
    source: str = Form(DEFAULT_SOURCE),
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Import a CSV of rates (date, base, quote, rate[, source]); finance only.

    Any bad row means nothing is stored: a 422 problem carrying the whole report.
    """
    content = file.file.read()
    filename = file.filename or "rates.csv"

    def create() -> FxImportOut:
        report = service.import_rates_csv(ctx, filename, content, default_source=source)
        body = import_out(report)
        if not report.ok:
            extra: dict[str, Any] = body.model_dump()
            raise ImportRefused(report.summary(), field="file", **extra)
        return body

    payload = {"sha256": hashlib.sha256(content).hexdigest(), "source": source}
    return run_idempotent(ctx, request, idempotency_key, payload, create)


@router.post("/fx/ecb-loads", status_code=201, response_model=EcbLoadOut)
def load_ecb(
    body: EcbLoadIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Store the ECB reference rates chuhai ships that are not stored yet; finance only."""

    def create() -> EcbLoadOut:
        done = service.load_ecb(
            ctx,
            since=body.since,
            currencies=set(body.currencies) if body.currencies is not None else None,
            all_currencies=body.all_currencies,
        )
        return EcbLoadOut(
            added=done.added,
            currencies=done.currencies,
            since=done.since,
            unpublished=done.unpublished,
            data_ends=done.data_ends,
        )

    return run_idempotent(ctx, request, idempotency_key, body, create)
