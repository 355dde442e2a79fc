"""The ledger over HTTP: accounts, journal entries (read, post a manual one, reverse one),
the trial balance, balance sheet and income statement per currency and in CNY, account
statements, VAT/GST/IOSS returns.

Amounts travel as signed decimal strings in their currency ("-12.50": a credit), never as
JSON numbers; more decimals than the currency has are refused naming the line.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import MoneyOut, PageOut, Reason, Strict
from chuhai.core.context import Context
from chuhai.core.errors import FieldError, ValidationFailed
from chuhai.core.money import check_currency
from chuhai.core.pagination import paginate
from chuhai.finance import ledger, reports
from chuhai.finance.ledger import Line

if TYPE_CHECKING:
    from chuhai.finance.tables import AccountRow, JournalEntryRow, JournalLineRow

router = APIRouter(prefix="/ledger", tags=["ledger"])


def _no_float(value: Any) -> Any:
    if isinstance(value, float | int) and not isinstance(value, bool):
        raise ValueError('give money as a decimal string such as "-12.50", not a number')
    return value


AmountText = Annotated[str, BeforeValidator(_no_float)]


# --- shapes ---------------------------------------------------------------------------------


class AccountOut(BaseModel):
    code: str
    name: str
    kind: str
    currency: str
    purpose: str
    market: str | None
    authority: str | None

    @classmethod
    def of(cls, row: AccountRow) -> AccountOut:
        return cls(
            code=row.code,
            name=row.name,
            kind=row.kind,
            currency=row.currency,
            purpose=row.purpose,
            market=row.market_code,
            authority=row.authority,
        )


class LineOut(BaseModel):
    account: str
    amount: MoneyOut  # debit positive, credit negative
    memo: str

    @classmethod
    def of(cls, row: JournalLineRow) -> LineOut:
        return cls(
            account=row.account_code, amount=MoneyOut.of(row.amount, row.currency), memo=row.memo
        )


class EntryOut(BaseModel):
    id: str
    posted_on: date
    description: str
    document_type: str
    document_id: str
    event: str
    market: str | None
    reverses_id: str | None
    fx_rate: str | None
    fx_on: date | None
    fx_source: str | None
    created_by: str
    lines: list[LineOut]

    @classmethod
    def of(cls, entry: JournalEntryRow, lines: list[JournalLineRow]) -> EntryOut:
        return cls(
            id=entry.id,
            posted_on=entry.posted_on,
            description=entry.description,
            document_type=entry.document_type,
            document_id=entry.document_id,
            event=entry.event,
            market=entry.market_code,
            reverses_id=entry.reverses_id,
            fx_rate=entry.fx_rate,
            fx_on=entry.fx_on,
            fx_source=entry.fx_source,
            created_by=entry.created_by,
            lines=[LineOut.of(line) for line in lines],
        )


class LineIn(Strict):
    account: str = Field(max_length=20)
    amount: AmountText = Field(description='signed decimal string: "12.50" debit, "-12.50" credit')
    currency: str = Field(max_length=3)
    memo: str = Field("", max_length=200)


class EntryIn(Strict):
    description: str = Field(max_length=2000)
    document_type: str = Field(max_length=30)
    document_id: str = Field(max_length=40)
    on: date | None = None  # the accounting date; default today
    lines: list[LineIn] = Field(max_length=100)


class TrialRowOut(BaseModel):
    account: str
    name: str
    kind: str
    balance: MoneyOut
    in_cny: MoneyOut | None


class RateOut(BaseModel):
    currency: str
    rate: str  # one unit of currency buys `rate` CNY
    on: date
    source: str


class TrialBalanceOut(BaseModel):
    on: date
    balanced: bool
    totals: list[MoneyOut]  # per currency; each zero when the books balance
    rows: list[TrialRowOut]
    rates: list[RateOut]
    total_cny: MoneyOut  # the converted rows' sum: rounding and FX translation


class StatementLineOut(BaseModel):
    entry_id: str
    posted_on: date
    description: str
    document_type: str
    document_id: str
    amount: MoneyOut
    running: MoneyOut
    memo: str


class StatementOut(BaseModel):
    account: str
    name: str
    start: date
    end: date
    opening: MoneyOut
    lines: list[StatementLineOut]
    closing: MoneyOut


# --- routes ---------------------------------------------------------------------------------


@router.get("/accounts", response_model=list[AccountOut])
def list_accounts(ctx: Context = Depends(api_context)) -> list[AccountOut]:
    return [AccountOut.of(row) for row in ledger.list_accounts(ctx)]


@router.get("/entries", response_model=PageOut[EntryOut])
def list_entries(
    account: str | None = None,
    document_id: str | None = None,
    event: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[EntryOut]:
    ctx.actor.require("ledger.read")
    page = paginate(
        ctx.session,
        ledger.entries_query(account=account, document_id=document_id, event=event),
        limit,
        offset,
    )
    items = [EntryOut.of(row, ledger.lines_of(ctx.session, row.id)) for row in page.items]
    return PageOut(items=items, total=page.total, limit=page.limit, offset=page.offset)


@router.get("/entries/{entry_id}", response_model=EntryOut)
def get_entry(entry_id: str, ctx: Context = Depends(api_context)) -> EntryOut:
    posted = ledger.get_entry(ctx, entry_id)
    return EntryOut.of(posted.entry, posted.lines)


@router.post("/entries", status_code=201, response_model=EntryOut)
def post_entry(
    body: EntryIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """A manual journal entry (finance): balanced in each currency, each line in its
    account's currency."""
    ctx.actor.require("ledger.post")

    def create() -> EntryOut:
        row = ledger.post_manual(
            ctx,
            lines_of(body.lines),
            description=body.description,
            document_type=body.document_type,
            document_id=body.document_id,
            on=body.on,
        )
        return EntryOut.of(row, ledger.lines_of(ctx.session, row.id))

    return run_idempotent(ctx, request, idempotency_key, body, create)


def lines_of(lines: list[LineIn]) -> list[Line]:
    """The request's lines in minor units; every bad amount or currency named at once."""
    errors: list[FieldError] = []
    found = []
    for index, line in enumerate(lines):
        try:
            currency = check_currency(line.currency, f"lines[{index}].currency")
            amount = ledger.parse_amount(line.amount, currency, f"lines[{index}].amount")
        except ValidationFailed as failed:
            errors.extend(failed.errors)
            continue
        found.append(Line(line.account, amount, currency, line.memo))
    if errors:
        raise ValidationFailed(errors)
    return found


@router.post("/entries/{entry_id}/reverse", status_code=201, response_model=EntryOut)
def reverse_entry(entry_id: str, body: Reason, ctx: Context = Depends(api_context)) -> EntryOut:
    """A reversing entry linked to `entry_id` (an entry is reversed once: a retry is a 409)."""
    row = ledger.reverse_entry(ctx, entry_id, body.reason)
    out = EntryOut.of(row, ledger.lines_of(ctx.session, row.id))
    ctx.session.commit()
    return out


@router.get("/trial-balance", response_model=TrialBalanceOut)
def trial_balance(
    on: date | None = None, currency: str | None = None, ctx: Context = Depends(api_context)
) -> TrialBalanceOut:
    report = reports.trial_balance(ctx, on, currency)
    return TrialBalanceOut(
        on=report.on,
        balanced=report.balanced,
        totals=[MoneyOut.of(total, code) for code, total in report.totals.items()],
        rows=_rows(report.rows),
        rates=_rates(report.rates),
        total_cny=MoneyOut.of(report.total_cny, "CNY"),
    )


@router.get("/accounts/{code}/statement", response_model=StatementOut)
def statement(
    code: str,
    start: date | None = None,
    end: date | None = None,
    ctx: Context = Depends(api_context),
) -> StatementOut:
    """An account's lines between `start` (default the first of this month) and `end`
    (default today), with opening, running and closing balances."""
    today = ctx.now().date()
    got = reports.statement(ctx, code, start or today.replace(day=1), end or today)
    currency = got.account.currency
    return StatementOut(
        account=got.account.code,
        name=got.account.name,
        start=got.start,
        end=got.end,
        opening=MoneyOut.of(got.opening, currency),
        lines=[
            StatementLineOut(
                entry_id=line.entry_id,
                posted_on=line.posted_on,
                description=line.description,
                document_type=line.document_type,
                document_id=line.document_id,
                amount=MoneyOut.of(line.amount, currency),
                running=MoneyOut.of(line.running, currency),
                memo=line.memo,
            )
            for line in got.lines
        ],
        closing=MoneyOut.of(got.closing, currency),
    )


class SectionOut(BaseModel):
    title: str
    rows: list[TrialRowOut]
    totals: list[MoneyOut]  # per currency
    total_cny: MoneyOut


class BalanceSheetOut(BaseModel):
    on: date
    balanced: bool  # assets + liabilities + equity + result sum to zero in each currency
    assets: SectionOut
    liabilities: SectionOut
    equity: SectionOut
    result: SectionOut  # revenue less expenses to date (credit: a profit)
    rates: list[RateOut]
    rounding_cny: MoneyOut  # what the rows converted and rounded one by one leave over


class TaxReturnLineOut(BaseModel):
    market: str
    collected: MoneyOut
    refunded: MoneyOut
    net: MoneyOut


class TaxReturnOut(BaseModel):
    account: str
    name: str
    authority: str | None
    period: str
    start: date
    end: date
    lines: list[TaxReturnLineOut]
    net: MoneyOut


def _rows(rows: list[reports.Row]) -> list[TrialRowOut]:
    return [
        TrialRowOut(
            account=row.account.code,
            name=row.account.name,
            kind=row.account.kind,
            balance=MoneyOut.of(row.balance, row.account.currency),
            in_cny=None if row.in_cny is None else MoneyOut.of(row.in_cny, "CNY"),
        )
        for row in rows
    ]


def _rates(rates: dict[str, Any]) -> list[RateOut]:
    return [
        RateOut(currency=code, rate=str(rate.rate), on=rate.on, source=rate.source)
        for code, rate in rates.items()
    ]


def _section(section: reports.Section) -> SectionOut:
    return SectionOut(
        title=section.title,
        rows=_rows(section.rows),
        totals=[MoneyOut.of(total, code) for code, total in section.totals.items()],
        total_cny=MoneyOut.of(section.total_cny, "CNY"),
    )


@router.get("/balance-sheet", response_model=BalanceSheetOut)
def balance_sheet(on: date | None = None, ctx: Context = Depends(api_context)) -> BalanceSheetOut:
    """Assets, liabilities, equity and the result to date on `on` (default today), per
    currency and in CNY at that day's rates; credits are negative."""
    sheet = reports.balance_sheet(ctx, on)
    return BalanceSheetOut(
        on=sheet.on,
        balanced=sheet.balanced,
        assets=_section(sheet.assets),
        liabilities=_section(sheet.liabilities),
        equity=_section(sheet.equity),
        result=_section(sheet.result),
        rates=_rates(sheet.rates),
        rounding_cny=MoneyOut.of(sheet.rounding, "CNY"),
    )


@router.get("/income-statement", response_model=TrialBalanceOut)
def income_statement(
    start: date, end: date | None = None, ctx: Context = Depends(api_context)
) -> TrialBalanceOut:
    """Revenue and expenses moved between `start` and `end` (default today), per currency
    and in CNY at `end`'s rates; `total_cny` negative is a profit."""
    report = reports.income_statement(ctx, start, end or ctx.now().date())
    return TrialBalanceOut(
        on=report.on,
        balanced=report.balanced,
        totals=[MoneyOut.of(total, code) for code, total in report.totals.items()],
        rows=_rows(report.rows),
        rates=_rates(report.rates),
        total_cny=MoneyOut.of(report.total_cny, "CNY"),
    )


@router.get("/returns/{code}", response_model=TaxReturnOut)
def tax_return(
    code: str, period: str | None = None, ctx: Context = Depends(api_context)
) -> TaxReturnOut:
    """What a VAT, GST or IOSS account owes its authority for a month (YYYY-MM, default
    this month), per market of sale: collected less refunded."""
    got = reports.tax_return(ctx, code, period or ctx.now().strftime("%Y-%m"))
    currency = got.account.currency
    return TaxReturnOut(
        account=got.account.code,
        name=got.account.name,
        authority=got.account.authority,
        period=got.period,
        start=got.start,
        end=got.end,
        lines=[
            TaxReturnLineOut(
                market=line.market,
                collected=MoneyOut.of(line.collected, currency),
                refunded=MoneyOut.of(line.refunded, currency),
                net=MoneyOut.of(line.net, currency),
            )
            for line in got.lines
        ],
        net=MoneyOut.of(got.net, currency),
    )
