"""Console pages of the ledger, for finance (ledger.read): the trial balance on a day in each
currency and in CNY, the chart of accounts with each account's statement, and the newest
journal entries with their lines and the documents that caused them."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from chuhai.core.errors import ChuhaiError
from chuhai.core.pagination import paginate
from chuhai.finance import (
    ledger,
    postings,  # noqa: F401  (registers the ledger's event postings)
    reports,
)
from chuhai.web.console import Page, error_message, page_context, render

router = APIRouter(include_in_schema=False)
ENTRIES_SHOWN = 50


def _day(text: str, default: date) -> tuple[date, str | None]:
    if not text.strip():
        return default, None
    try:
        return date.fromisoformat(text.strip()), None
    except ValueError:
        return default, f"{text!r} is not a date like 2026-11-28"


@router.get("/ledger", response_class=HTMLResponse)
def ledger_home(page: Page = Depends(page_context), on: str = "") -> HTMLResponse:
    ctx = page.ctx
    ctx.actor.require("ledger.read")
    day, problem = _day(on, ctx.now().date())
    trial, refusal = None, problem
    try:
        trial = reports.trial_balance(ctx, day)
    except ChuhaiError as error:  # a missing or stale rate into CNY: say so, show per currency
        refusal = error_message(error)
        trial = reports.trial_balance(ctx, day, convert_to_cny=False)
    entries = paginate(ctx.session, ledger.entries_query(), ENTRIES_SHOWN, 0)
    return render(
        page,
        "ledger/index.html",
        on=day,
        trial=trial,
        refusal=refusal,
        accounts=ledger.list_accounts(ctx),
        entries=[ledger.Posted(row, ledger.lines_of(ctx.session, row.id)) for row in entries.items],
        entry_total=entries.total,
        tax_accounts=reports.tax_accounts(),
        period=day.strftime("%Y-%m"),
    )


@router.get("/ledger/accounts/{code}", response_class=HTMLResponse)
def account_statement(
    code: str, page: Page = Depends(page_context), start: str = "", end: str = ""
) -> HTMLResponse:
    ctx = page.ctx
    today = ctx.now().date()
    first, problem_start = _day(start, today.replace(day=1))
    last, problem_end = _day(end, today)
    got = reports.statement(ctx, code, first, last)
    return render(page, "ledger/statement.html", s=got, problem=problem_start or problem_end)


@router.get("/ledger/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(entry_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    return render(page, "ledger/entry.html", posted=ledger.get_entry(page.ctx, entry_id))


@router.get("/ledger/returns/{code}", response_class=HTMLResponse)
def tax_return_page(
    code: str, page: Page = Depends(page_context), period: str = ""
) -> HTMLResponse:
    period = period.strip() or page.ctx.now().strftime("%Y-%m")
    return render(page, "ledger/return.html", r=reports.tax_return(page.ctx, code, period))


@router.get("/ledger/reports", response_class=HTMLResponse)
def financial_statements(
    page: Page = Depends(page_context), on: str = "", start: str = ""
) -> HTMLResponse:
    """The balance sheet on a day and the income statement from `start` (the first of that
    month) to it, per currency and in CNY."""
    ctx = page.ctx
    ctx.actor.require("ledger.read")
    day, problem = _day(on, ctx.now().date())
    first, problem_start = _day(start, day.replace(day=1))
    sheet = income = None
    refusal = problem or problem_start
    try:
        sheet = reports.balance_sheet(ctx, day)
        income = reports.income_statement(ctx, first, day)
    except ChuhaiError as error:  # a missing or stale rate into CNY, or start after the day
        refusal = error_message(error)
    return render(
        page,
        "ledger/reports.html",
        on=day,
        start=first,
        sheet=sheet,
        income=income,
        refusal=refusal,
    )
