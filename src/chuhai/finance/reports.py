"""Reports from the ledger: trial balance, balance sheet and income statement per currency
and converted into CNY at a chosen date, account statements, VAT/IOSS returns per period.

Every figure is a sum of journal lines in int minor units. A conversion into CNY uses the
rate `rate_on` gives for the day (a missing or stale rate is refused, never guessed) and the
report names each rate it used. Converted balances do not sum to exactly zero: each is
rounded once, and the FX trading accounts carry the result of rates having moved; the
difference is shown as such, never hidden.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.core.money import Money, check_currency
from chuhai.finance import ledger
from chuhai.finance import service as fx
from chuhai.finance.accounts import Account, chart
from chuhai.finance.fx import FxRate, convert
from chuhai.finance.tables import JournalEntryRow, JournalLineRow

BALANCE_SHEET_KINDS = ("asset", "liability", "equity")
INCOME_KINDS = ("revenue", "expense")


@dataclass(frozen=True)
class Row:
    account: Account
    balance: int  # minor units of account.currency; debit positive
    in_cny: int | None = None  # converted at the report's rate, minor units of CNY


@dataclass
class TrialBalance:
    on: date
    rows: list[Row]
    totals: dict[str, int]  # per currency: zero when the books balance
    rates: dict[str, FxRate] = field(default_factory=dict)  # currency -> rate into CNY
    total_cny: int = 0  # the converted rows' sum: rounding and FX translation

    @property
    def balanced(self) -> bool:
        return not any(self.totals.values())

    def of_kinds(self, kinds: tuple[str, ...]) -> list[Row]:
        return [row for row in self.rows if row.account.kind in kinds]


def trial_balance(
    ctx: Context, on: date | None = None, currency: str | None = None, convert_to_cny: bool = True
) -> TrialBalance:
    """Every account with a balance on `on` (default today), optionally one currency's."""
    ctx.actor.require("ledger.read")
    on = on or ctx.now().date()
    if currency is not None:
        check_currency(currency)
    accounts = chart()
    balances = ledger.balances(ctx.session, on=on, currency=currency)
    totals: dict[str, int] = defaultdict(int)
    for code, amount in balances.items():
        totals[accounts.accounts[code].currency] += amount
    rates: dict[str, FxRate] = {}
    if convert_to_cny:
        functional = accounts.functional_currency
        for code in sorted(totals):
            if code != functional:
                rates[code] = fx.rate_on(ctx, code, functional, on)
    rows = [
        Row(accounts.accounts[code], amount, _in_cny(amount, accounts.accounts[code], rates))
        for code, amount in sorted(balances.items())
    ]
    report = TrialBalance(on, rows, dict(sorted(totals.items())), rates)
    if convert_to_cny:
        report.total_cny = sum(row.in_cny or 0 for row in rows)
    return report


def _in_cny(amount: int, account: Account, rates: dict[str, FxRate]) -> int | None:
    functional = chart().functional_currency
    if account.currency == functional:
        return amount
    rate = rates.get(account.currency)
    if rate is None:
        return None
    return convert(Money(amount, account.currency), functional, rate).money.amount_minor


def income_statement(ctx: Context, start: date, end: date) -> TrialBalance:
    """Revenue and expenses moved between `start` and `end`, in CNY at `end`'s rates."""
    if start > end:
        raise ValidationFailed.one("start", "on or before end")
    closing = trial_balance(ctx, end)
    opening = ledger.balances(ctx.session, on=date.fromordinal(start.toordinal() - 1))
    rows = []
    for row in closing.of_kinds(INCOME_KINDS):
        moved = row.balance - opening.get(row.account.code, 0)
        if moved:
            rows.append(Row(row.account, moved, _in_cny(moved, row.account, closing.rates)))
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.account.currency] += row.balance
    report = TrialBalance(end, rows, dict(totals), closing.rates)
    report.total_cny = sum(row.in_cny or 0 for row in rows)  # negative: a profit
    return report


@dataclass(frozen=True)
class Section:
    """One side of the balance sheet: its rows and their totals per currency and in CNY."""

    title: str
    rows: list[Row]
    totals: dict[str, int]
    total_cny: int


@dataclass(frozen=True)
class BalanceSheet:
    """Assets, liabilities, equity and the result to date (revenue and expenses not yet
    closed into equity) on a day. In each currency the four sum to zero; in CNY they sum to
    `rounding`, the rows having each been converted and rounded once."""

    on: date
    assets: Section
    liabilities: Section
    equity: Section
    result: Section  # revenue less expenses to date, as one line per currency
    rates: dict[str, FxRate]

    @property
    def rounding(self) -> int:
        sides = (self.assets, self.liabilities, self.equity, self.result)
        return sum(side.total_cny for side in sides)

    @property
    def balanced(self) -> bool:
        currencies = {c for side in self.sides for c in side.totals}
        return all(sum(side.totals.get(c, 0) for side in self.sides) == 0 for c in currencies)

    @property
    def sides(self) -> tuple[Section, ...]:
        return (self.assets, self.liabilities, self.equity, self.result)


def balance_sheet(ctx: Context, on: date | None = None) -> BalanceSheet:
    """The balance sheet on `on` (default today) per currency and in CNY at that day's rates
    (a missing or stale rate is refused). Liabilities, equity and a profit are credits, so
    they show as negative balances; the console and the API show them as they are signed."""
    trial = trial_balance(ctx, on)

    def section(title: str, rows: list[Row]) -> Section:
        totals: dict[str, int] = defaultdict(int)
        for row in rows:
            totals[row.account.currency] += row.balance
        return Section(title, rows, dict(sorted(totals.items())), sum(r.in_cny or 0 for r in rows))

    income = section("result", trial.of_kinds(INCOME_KINDS))
    result = Section("result to date", [], income.totals, income.total_cny)
    return BalanceSheet(
        trial.on,
        section("assets", trial.of_kinds(("asset",))),
        section("liabilities", trial.of_kinds(("liability",))),
        section("equity", trial.of_kinds(("equity",))),
        result,
        trial.rates,
    )


@dataclass(frozen=True)
class StatementLine:
    entry_id: str
    posted_on: date
    description: str
    document_type: str
    document_id: str
    amount: int
    running: int
    memo: str


@dataclass(frozen=True)
class Statement:
    account: Account
    start: date
    end: date
    opening: int
    lines: list[StatementLine]
    closing: int


def statement(ctx: Context, code: str, start: date, end: date) -> Statement:
    """An account's lines between `start` and `end`, with opening and running balances."""
    ctx.actor.require("ledger.read")
    account = chart().account(code, "code")
    if start > end:
        raise ValidationFailed.one("start", "on or before end")
    opening = int(
        ctx.session.scalar(
            select(func.coalesce(func.sum(JournalLineRow.amount), 0))
            .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
            .where(JournalLineRow.account_code == code, JournalEntryRow.posted_on < start)
        )
        or 0
    )
    query = (
        select(JournalLineRow, JournalEntryRow)
        .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
        .where(
            JournalLineRow.account_code == code,
            JournalEntryRow.posted_on >= start,
            JournalEntryRow.posted_on <= end,
        )
        .order_by(JournalEntryRow.posted_on, JournalEntryRow.created_at, JournalLineRow.id)
    )
    running = opening
    lines = []
    for line, entry in ctx.session.execute(query):
        running += line.amount
        lines.append(
            StatementLine(
                entry.id,
                entry.posted_on,
                entry.description,
                entry.document_type,
                entry.document_id,
                line.amount,
                running,
                line.memo,
            )
        )
    return Statement(account, start, end, opening, lines, running)


@dataclass(frozen=True)
class TaxReturnLine:
    market: str  # the market (state of consumption) the sales were made in
    collected: int  # minor units owed on sales in the period
    refunded: int  # given back on refunds in the period
    net: int


@dataclass(frozen=True)
class TaxReturn:
    account: Account
    period: str
    start: date
    end: date
    lines: list[TaxReturnLine]

    @property
    def net(self) -> int:
        return sum(line.net for line in self.lines)


def tax_return(ctx: Context, code: str, period: str) -> TaxReturn:
    """What a VAT/GST (or IOSS) account owes its authority for a month, per market of sale:
    collected on sales less given back on refunds."""
    ctx.actor.require("ledger.read")
    account = chart().account(code, "account")
    if account.purpose != "tax_payable":
        raise ValidationFailed.one("account", f"{code} is not a VAT, GST or sales tax account")
    start, end = ledger.month_bounds(period)
    query = (
        select(
            JournalEntryRow.market_code,
            func.sum(JournalLineRow.amount).filter(JournalLineRow.amount < 0),
            func.sum(JournalLineRow.amount).filter(JournalLineRow.amount > 0),
        )
        .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
        .where(
            JournalLineRow.account_code == code,
            JournalEntryRow.posted_on >= start,
            JournalEntryRow.posted_on <= end,
        )
        .group_by(JournalEntryRow.market_code)
        .order_by(JournalEntryRow.market_code)
    )
    lines = []
    for market, credits, debits in ctx.session.execute(query):
        collected, refunded = -int(credits or 0), int(debits or 0)
        lines.append(TaxReturnLine(market or "-", collected, refunded, collected - refunded))
    return TaxReturn(account, period, start, end, lines)


def tax_accounts() -> list[Account]:
    return [a for a in chart().accounts.values() if a.purpose == "tax_payable"]
