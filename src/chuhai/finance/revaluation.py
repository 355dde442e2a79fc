"""Period-end FX revaluation: the unrealised result of foreign-currency monetary accounts and
of open forwards, posted on the month's last day and reversed on the next month's first.

For every asset or liability account not kept in CNY (FX trading accounts excluded):
    closing value = balance × the period-end rate to CNY
    book value    = Σ line × the rate to CNY of the line's day, where a settlement's line
                    is taken at its `fx_booked_on` day: `ledger.settle` already realised the
                    difference from that day's rate, so valuing it at the settlement day's
                    rate would count the result twice
    unrealised    = closing − book, rounded to the fen once per account
posted as 3900-CNY (FX trading) against 4960-CNY (unrealised FX result), one pair per
account, and the open forwards' MTM (see `hedges`) as 1500-CNY (fair value) against
4970-CNY (forward result). The reversal on day one of the next period means each month is
measured afresh from book values, and the realised result at settlement stands alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.core.money import currency_exponent
from chuhai.finance import hedges, ledger
from chuhai.finance import service as fx
from chuhai.finance.accounts import chart
from chuhai.finance.ledger import Line
from chuhai.finance.tables import (
    AccountingPeriodRow,
    JournalEntryRow,
    JournalLineRow,
    RevaluationRow,
)

CNY = "CNY"
EVENT = "fx.revaluation"
DOCUMENT = "fx_revaluation"
MONETARY = ("asset", "liability")
UNREALISED = "4960-CNY"
FAIR_VALUE = "1500-CNY"
FORWARD_RESULT = "4970-CNY"


@dataclass(frozen=True)
class AccountResult:
    account: str
    currency: str
    balance: int  # minor units of currency
    closing: int  # fen
    book: int  # fen
    unrealised: int  # fen


def revalue(ctx: Context, period: str) -> RevaluationRow:
    """Revalue `period` (YYYY-MM), treasury.manage; a second call returns the first.

    Raises:
        ValidationFailed: not a month, or a month not yet ended.
        PeriodClosed: the period (or the next, for the reversal) is closed.
        FxRateMissing: no rate for a line's day or the period end.
    """
    ctx.actor.require("treasury.manage")
    starts, ends = ledger.month_bounds(period)
    period = f"{starts.year:04d}-{starts.month:02d}"
    done = ctx.session.get(RevaluationRow, period)
    if done is not None:
        return done
    if ends >= ctx.now().date():
        raise ValidationFailed.one("period", f"{period} has not ended; revalue it after {ends}")
    closed = ctx.session.get(AccountingPeriodRow, period)
    if closed is not None and closed.state == "closed":
        raise ledger.PeriodClosed(f"the period {period} is closed", field="period", period=period)
    results = account_results(ctx, ends)
    forwards = [hedges.mark(ctx, row, ends) for row in hedges.open_on(ctx.session, ends)]
    lines = _lines(results, forwards)
    entry_id = reversal_id = None
    if lines:
        entry = ledger.post(
            ctx,
            lines,
            description=f"FX revaluation {period} at the rates of {ends}",
            document_type=DOCUMENT,
            document_id=period,
            event=EVENT,
            on=ends,
            event_key=f"{EVENT}:{period}",
        )
        entry_id = entry.id
        reversal_id = ledger.reverse(
            ctx, entry.id, f"reverse the {period} revaluation", on=ends + timedelta(days=1)
        ).id
    row = RevaluationRow(
        period=period,
        entry_id=entry_id,
        reversal_id=reversal_id,
        unrealised=sum(r.unrealised for r in results),
        hedge_result=sum(m.mtm for m in forwards),
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def _lines(results: list[AccountResult], forwards: list[hedges.Marked]) -> list[Line]:
    trading = chart().fx_trading(CNY)
    lines: list[Line] = []
    for result in results:
        if result.unrealised:
            memo = f"unrealised FX {result.account}"
            lines += [
                Line(trading, result.unrealised, CNY, memo),
                Line(UNREALISED, -result.unrealised, CNY, memo),
            ]
    for marked in forwards:
        if marked.mtm:
            memo = f"forward {marked.row.id} MTM at {marked.spot.describe()}"[:200]
            lines += [
                Line(FAIR_VALUE, marked.mtm, CNY, memo),
                Line(FORWARD_RESULT, -marked.mtm, CNY, memo),
            ]
    return lines


def account_results(ctx: Context, ends: date) -> list[AccountResult]:
    """Every foreign monetary account's closing value, book value and unrealised result."""
    accounts = {
        a.code: a
        for a in chart().accounts.values()
        if a.kind in MONETARY and a.currency != CNY and a.purpose != "fx_trading"
    }
    valued_on = func.coalesce(JournalEntryRow.fx_booked_on, JournalEntryRow.posted_on)
    query = (
        select(JournalLineRow.account_code, valued_on, func.sum(JournalLineRow.amount))
        .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
        .where(JournalLineRow.account_code.in_(accounts), JournalEntryRow.posted_on <= ends)
        .group_by(JournalLineRow.account_code, valued_on)
    )
    rates: dict[tuple[str, date], Decimal] = {}  # one lookup per currency and day

    def rate(currency: str, day: date) -> Decimal:
        if (currency, day) not in rates:
            rates[currency, day] = fx.rate_on(ctx, currency, CNY, day).rate
        return rates[currency, day]

    balance: dict[str, int] = defaultdict(int)
    book: dict[str, Decimal] = defaultdict(Decimal)
    for code, day, amount in ctx.session.execute(query):
        currency = accounts[code].currency
        balance[code] += int(amount)
        book[code] += _fen_value(int(amount), currency, rate(currency, day))
    results = []
    for code in sorted(book):
        currency = accounts[code].currency
        closing = _fen_value(balance[code], currency, rate(currency, ends))
        unrealised = _round(closing - book[code])
        results.append(
            AccountResult(
                code, currency, balance[code], _round(closing), _round(book[code]), unrealised
            )
        )
    return results


def _fen_value(amount_minor: int, currency: str, rate: Decimal) -> Decimal:
    shift = currency_exponent(CNY) - currency_exponent(currency)
    return (Decimal(amount_minor) * rate).scaleb(shift)


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def list_revaluations(ctx: Context) -> list[RevaluationRow]:
    ctx.actor.require("treasury.read")
    query = select(RevaluationRow).order_by(RevaluationRow.period.desc())
    return list(ctx.session.scalars(query))
