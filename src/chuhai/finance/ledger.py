"""The double-entry ledger in many currencies: post, reverse, convert, settle, balances, check.

Invariants:
- Amounts are int minor units of the line's currency, debit positive, credit negative; a
  float or a bool never passes `post`.
- An entry has at least two lines, each in its account's currency, and the lines of each
  currency sum to zero. Anything else is refused before a row is written.
- Entries are never edited: a correction is a reversing entry linked to its original (an
  entry is reversed at most once).
- A conversion posts through the FX trading account of each currency at a stated rate,
  recording the rate, its date and its source on the entry, so every currency balances on
  its own. The rate comes from `finance.service.rate_on`, which refuses a missing or stale one.
- Nothing posts into a closed accounting period.
- Balances are sums of lines; `check` proves every entry and every currency balanced.

`post`, `convert` and `settle` check no permission: business events post through them in
the publisher's transaction (a storefront's checkout, a dock's receipt). The doors use
`post_manual`, `reverse_entry` and the reads, which do.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import Select, Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import Money
from chuhai.finance import service as fx
from chuhai.finance.accounts import chart
from chuhai.finance.fx import FxRate, rate_text
from chuhai.finance.fx import convert as convert_amount
from chuhai.finance.tables import (
    AccountingPeriodRow,
    AccountRow,
    JournalEntryRow,
    JournalLineRow,
)

ENTRIES = cast(Table, JournalEntryRow.__table__)
LINES = cast(Table, JournalLineRow.__table__)
CLOSED_PERIODS = "chuhai.ledger.closed_periods"  # session.info key
# built once: values go in as parameters, so SQLAlchemy's statement cache serves every post
_INSERT_ONCE = {
    name: dialect.insert(ENTRIES)
    .on_conflict_do_nothing(index_elements=["event_key"])
    .returning(ENTRIES.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
MAX_AMOUNT = 10**15  # minor units on one line: a trillion dollars is a typo, not a sale
MANUAL = "manual"
REVERSAL = "reversal"
CONVERSION = "fx.conversion"
SETTLEMENT = "fx.settlement"


@dataclass(frozen=True)
class Line:
    account: str
    amount: int  # minor units of currency; debit positive, credit negative
    currency: str
    memo: str = ""
    party: str | None = None  # a supplier's id on supplier payables


@dataclass(frozen=True)
class Posted:
    """An entry with its lines, as read back."""

    entry: JournalEntryRow
    lines: list[JournalLineRow]


class PeriodClosed(Conflict):
    code = "period-closed"
    title = "Accounting period closed"


# --- posting --------------------------------------------------------------------------------


def post(
    ctx: Context,
    lines: Sequence[Line],
    *,
    description: str,
    document_type: str,
    document_id: str,
    event: str,
    on: date | None = None,
    event_key: str | None = None,
    market_code: str | None = None,
    rate: FxRate | None = None,
    reverses_id: str | None = None,
    fx_booked_on: date | None = None,
) -> JournalEntryRow:
    """Append one balanced entry. With an `event_key` already posted, the entry it made is
    returned and nothing new is written (a re-delivered event posts once).

    Raises:
        ValidationFailed: fewer than two lines, a line that is not whole minor units, an
            unknown account, a currency other than the account's, currencies that do not
            each sum to zero. Nothing is written.
        PeriodClosed: `on` falls in a closed period.
    """
    on = on or ctx.now().date()
    _check_lines(lines)
    _check_open(ctx.session, on)
    values = dict(
        id=new_id("je"),
        posted_on=on,
        description=description[:2000],
        document_type=document_type,
        document_id=document_id,
        event=event,
        event_key=event_key,
        market_code=market_code,
        reverses_id=reverses_id,
        fx_rate=rate_text(rate.rate) if rate else None,
        fx_on=rate.on if rate else None,
        fx_source=(rate.derived_via or rate.source)[:40] if rate else None,
        fx_booked_on=fx_booked_on,
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    # plain inserts, not the ORM's unit of work: an entry is written once and never changed
    if event_key is None:
        ctx.session.execute(insert(ENTRIES), [values])
    elif not _insert_once(ctx.session, values):
        existing = ctx.session.scalar(
            select(JournalEntryRow).where(JournalEntryRow.event_key == event_key)
        )
        assert existing is not None  # the unique key just refused a second insert
        return existing
    ctx.session.execute(
        insert(LINES),
        [
            {
                "entry_id": values["id"],
                "account_code": line.account,
                "currency": line.currency,
                "amount": line.amount,
                "memo": line.memo[:200],
                "party_id": line.party,
            }
            for line in lines
        ],
    )
    return JournalEntryRow(**values)  # as written (detached: entries are not edited)


def _insert_once(session: Session, values: dict[str, object]) -> bool:
    """Insert the entry unless its event key is taken (a re-delivered event); True if it was."""
    statement = _INSERT_ONCE[session.get_bind().dialect.name]
    # RETURNING, not rowcount: a driver may not know the rowcount (psycopg's pipeline mode)
    return session.execute(statement, values).scalar() is not None


def _check_lines(lines: Sequence[Line]) -> None:
    accounts = chart().accounts
    errors: list[FieldError] = []
    if len(lines) < 2:
        errors.append(FieldError("lines", "an entry needs at least two lines"))
    sums: dict[str, int] = defaultdict(int)
    for index, line in enumerate(lines):
        field = f"lines[{index}]"
        amount = line.amount
        if isinstance(amount, bool) or not isinstance(amount, int):
            errors.append(FieldError(f"{field}.amount", "a whole number of minor units"))
            continue
        if amount == 0 or abs(amount) > MAX_AMOUNT:
            errors.append(
                FieldError(f"{field}.amount", f"non-zero and at most {MAX_AMOUNT:,} minor units")
            )
        account = accounts.get(line.account)
        if account is None:
            errors.append(FieldError(f"{field}.account", f"no ledger account {line.account!r}"))
            continue
        if line.currency != account.currency:
            errors.append(
                FieldError(
                    f"{field}.currency",
                    f"account {account.code} is kept in {account.currency}, not {line.currency}",
                )
            )
            continue
        sums[line.currency] += amount
    for currency, total in sorted(sums.items()):
        if total and not errors:
            errors.append(
                FieldError(
                    "lines",
                    f"the {currency} lines sum to {Money(total, currency)}, not zero: "
                    "debits and credits must balance in each currency",
                )
            )
    if errors:
        raise ValidationFailed(errors)


def _closed_periods(session: Session) -> list[tuple[date, date, str]]:
    """The closed periods, read once per transaction (one may post many entries)."""
    transaction = session.get_transaction()
    cached = session.info.get(CLOSED_PERIODS)
    if cached is None or cached[0] is not transaction:
        query = select(
            AccountingPeriodRow.starts_on, AccountingPeriodRow.ends_on, AccountingPeriodRow.id
        ).where(AccountingPeriodRow.state == "closed")
        periods = [(start, end, id_) for start, end, id_ in session.execute(query)]
        cached = (transaction, periods)
        session.info[CLOSED_PERIODS] = cached
    return cast(list[tuple[date, date, str]], cached[1])


def _check_open(session: Session, on: date) -> None:
    closed = next((id_ for start, end, id_ in _closed_periods(session) if start <= on <= end), None)
    if closed is not None:
        raise PeriodClosed(
            f"the period {closed} is closed; post on a day in an open period",
            field="on",
            period=closed,
        )


def post_manual(
    ctx: Context,
    lines: Sequence[Line],
    *,
    description: str,
    document_type: str,
    document_id: str,
    on: date | None = None,
    key: str | None = None,
) -> JournalEntryRow:
    """A journal entry written by finance staff (ledger.post)."""
    ctx.actor.require("ledger.post")
    errors = []
    if not description.strip():
        errors.append(FieldError("description", "say what the entry is for"))
    if not document_type.strip() or len(document_type) > 30:
        errors.append(FieldError("document_type", "1 to 30 characters, e.g. invoice"))
    if not document_id.strip() or len(document_id) > 40:
        errors.append(FieldError("document_id", "1 to 40 characters"))
    if errors:
        raise ValidationFailed(errors)
    return post(
        ctx,
        lines,
        description=description.strip(),
        document_type=document_type.strip(),
        document_id=document_id.strip(),
        event=MANUAL,
        on=on,
        event_key=f"manual:{key}" if key else None,
    )


def reverse(ctx: Context, entry_id: str, reason: str, on: date | None = None) -> JournalEntryRow:
    """A reversing entry: the original's lines negated, linked to it, on `on` (today)."""
    original = ctx.session.get(JournalEntryRow, entry_id)
    if original is None:
        raise NotFound(f"no journal entry {entry_id!r}", field="entry_id")
    if original.reverses_id is not None:
        raise Conflict(
            f"{entry_id} is itself a reversal; post a new entry instead", field="entry_id"
        )
    done = ctx.session.scalar(
        select(JournalEntryRow.id).where(JournalEntryRow.reverses_id == entry_id)
    )
    if done is not None:
        raise Conflict(f"{entry_id} was already reversed by {done}", field="entry_id")
    lines = [
        Line(row.account_code, -row.amount, row.currency, row.memo, row.party_id)
        for row in lines_of(ctx.session, entry_id)
    ]
    return post(
        ctx,
        lines,
        description=f"reversal of {entry_id}: {reason}"[:2000],
        document_type=original.document_type,
        document_id=original.document_id,
        event=REVERSAL,
        on=on,
        market_code=original.market_code,
        reverses_id=entry_id,
    )


def reverse_entry(ctx: Context, entry_id: str, reason: str) -> JournalEntryRow:
    """`reverse` for finance staff (ledger.post); a reason is required."""
    ctx.actor.require("ledger.post")
    if not reason.strip():
        raise ValidationFailed.one("reason", "say why the entry is reversed")
    return reverse(ctx, entry_id, reason.strip())


# --- currencies -----------------------------------------------------------------------------


def convert(
    ctx: Context,
    *,
    from_account: str,
    to_account: str,
    amount: Money,
    on: date,
    document_type: str,
    document_id: str,
    rate: FxRate | None = None,
    event_key: str | None = None,
) -> JournalEntryRow:
    """Move `amount` out of `from_account` into `to_account` (another currency) through the
    FX trading account of each currency, at `rate` or the rate for `on` (rate_on: a missing
    or stale rate is refused)."""
    source, target = _conversion_accounts(from_account, to_account, amount)
    rate = rate or fx.rate_on(ctx, source.currency, target.currency, on)
    converted = convert_amount(amount, target.currency, rate).money
    _refuse_nothing(converted, rate)
    return post(
        ctx,
        _conversion_lines(source.code, target.code, amount, converted),
        description=f"convert {amount} to {converted} at {rate.describe()}",
        document_type=document_type,
        document_id=document_id,
        event=CONVERSION,
        on=on,
        event_key=event_key,
        rate=rate,
    )


def settle(
    ctx: Context,
    *,
    receivable: str,
    into: str,
    amount: Money,
    on: date,
    booked_on: date,
    document_type: str,
    document_id: str,
    event_key: str | None = None,
) -> JournalEntryRow:
    """Settle `amount` of a receivable booked on `booked_on` into an account in the
    functional currency (CNY), converted at the rate of `on`. The difference from its value
    at the booking day's rate is the realised FX gain (or loss), moved out of the FX trading
    account into the gain/loss account, so the trading accounts hold it at the booked rate."""
    source, target = _conversion_accounts(receivable, into, amount, field="into")
    functional = chart().functional_currency
    if target.currency != functional:
        raise ValidationFailed.one("into", f"settle into an account kept in {functional}")
    rate = fx.rate_on(ctx, source.currency, functional, on)
    booked_rate = fx.rate_on(ctx, source.currency, functional, booked_on)
    received = convert_amount(amount, functional, rate).money
    booked = convert_amount(amount, functional, booked_rate).money
    _refuse_nothing(received, rate)
    lines = _conversion_lines(source.code, target.code, amount, received)
    gain = received.amount_minor - booked.amount_minor
    if gain:
        lines += [
            Line(chart().fx_trading(functional), gain, functional, "realised FX result"),
            Line(_purpose_account("fx_gain"), -gain, functional, "realised FX result"),
        ]
    return post(
        ctx,
        lines,
        description=(
            f"settle {amount} as {received} at {rate.describe()}; booked at "
            f"{booked_rate.describe()}: realised {Money(gain, functional)}"
        ),
        document_type=document_type,
        document_id=document_id,
        event=SETTLEMENT,
        on=on,
        event_key=event_key,
        rate=rate,
        fx_booked_on=booked_on,
    )


def _conversion_accounts(
    from_code: str, to_code: str, amount: Money, field: str = "to_account"
) -> tuple[AccountInfo, AccountInfo]:
    accounts = chart()
    source = accounts.account(from_code, "from_account")
    target = accounts.account(to_code, field)
    if amount.currency != source.currency:
        raise ValidationFailed.one(
            "amount", f"{source.code} is kept in {source.currency}, not {amount.currency}"
        )
    if target.currency == source.currency:
        raise ValidationFailed.one(field, f"{target.code} is kept in {source.currency} too")
    if amount.amount_minor <= 0:
        raise ValidationFailed.one("amount", "more than zero")
    return AccountInfo(source.code, source.currency), AccountInfo(target.code, target.currency)


def _refuse_nothing(converted: Money, rate: FxRate) -> None:
    if converted.amount_minor == 0:
        raise ValidationFailed.one(
            "amount", f"too small: it converts to nothing at {rate.describe()}"
        )


@dataclass(frozen=True)
class AccountInfo:
    code: str
    currency: str


def _conversion_lines(source: str, target: str, amount: Money, converted: Money) -> list[Line]:
    accounts = chart()
    return [
        Line(source, -amount.amount_minor, amount.currency),
        Line(accounts.fx_trading(amount.currency), amount.amount_minor, amount.currency),
        Line(accounts.fx_trading(converted.currency), -converted.amount_minor, converted.currency),
        Line(target, converted.amount_minor, converted.currency),
    ]


def _purpose_account(purpose: str) -> str:
    return next(a.code for a in chart().accounts.values() if a.purpose == purpose)


# --- periods --------------------------------------------------------------------------------


def close_period(ctx: Context, period: str) -> AccountingPeriodRow:
    """Close a month (YYYY-MM): nothing more posts into it."""
    ctx.actor.require("ledger.post")
    starts, ends = month_bounds(period)
    row = ctx.session.get(AccountingPeriodRow, period)
    if row is None:
        row = AccountingPeriodRow(id=period, starts_on=starts, ends_on=ends, state="open")
        ctx.session.add(row)
    if row.state == "closed":
        raise Conflict(f"the period {period} is already closed", field="period")
    row.state = "closed"
    row.closed_by = ctx.actor.user_id
    row.closed_at = ctx.now()
    ctx.session.flush()
    ctx.session.info.pop(CLOSED_PERIODS, None)
    return row


def month_bounds(period: str) -> tuple[date, date]:
    try:
        year, month = (int(part) for part in period.split("-"))
        starts = date(year, month, 1)
    except ValueError:
        raise ValidationFailed.one("period", "a month as YYYY-MM") from None
    following = date(year + (month == 12), month % 12 + 1, 1)
    return starts, date.fromordinal(following.toordinal() - 1)


# --- reading --------------------------------------------------------------------------------


def lines_of(session: Session, entry_id: str) -> list[JournalLineRow]:
    query = select(JournalLineRow).where(JournalLineRow.entry_id == entry_id)
    return list(session.scalars(query.order_by(JournalLineRow.id)))


def balances(
    session: Session, *, on: date | None = None, currency: str | None = None
) -> dict[str, int]:
    """Account code -> balance (sum of its lines, in the account's currency) up to `on`."""
    query = (
        select(JournalLineRow.account_code, func.sum(JournalLineRow.amount))
        .join(JournalEntryRow, JournalEntryRow.id == JournalLineRow.entry_id)
        .group_by(JournalLineRow.account_code)
    )
    if on is not None:
        query = query.where(JournalEntryRow.posted_on <= on)
    if currency is not None:
        query = query.where(JournalLineRow.currency == currency)
    return {code: int(total) for code, total in session.execute(query) if total}


def balance(session: Session, account: str, on: date | None = None) -> int:
    return balances(session, on=on).get(account, 0)


def entries_query(
    *,
    account: str | None = None,
    document_id: str | None = None,
    event: str | None = None,
) -> Select[JournalEntryRow]:
    query = select(JournalEntryRow).order_by(
        JournalEntryRow.posted_on.desc(), JournalEntryRow.created_at.desc()
    )
    if account:
        lines = select(JournalLineRow.entry_id).where(JournalLineRow.account_code == account)
        query = query.where(JournalEntryRow.id.in_(lines))
    if document_id:
        query = query.where(JournalEntryRow.document_id == document_id)
    if event:
        query = query.where(JournalEntryRow.event == event)
    return query


def get_entry(ctx: Context, entry_id: str) -> Posted:
    ctx.actor.require("ledger.read")
    entry = ctx.session.get(JournalEntryRow, entry_id)
    if entry is None:
        raise NotFound(f"no journal entry {entry_id!r}", field="entry_id")
    return Posted(entry, lines_of(ctx.session, entry_id))


def list_accounts(ctx: Context) -> list[AccountRow]:
    ctx.actor.require("ledger.read")
    return list(ctx.session.scalars(select(AccountRow).order_by(AccountRow.code)))


def parse_amount(text: str, currency: str, field: str) -> int:
    """A signed decimal amount ("-12.50") in minor units; more decimals than the currency
    has are refused, never rounded."""
    if isinstance(text, float):
        raise ValidationFailed.one(field, "give money as a decimal string, not a float")
    raw = str(text).strip()
    negative = raw.startswith("-")
    money = Money.parse(raw.lstrip("-"), currency, field)
    return -money.amount_minor if negative else money.amount_minor


# --- the check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    kind: str  # unbalanced_entry | unbalanced_currency | wrong_currency | too_few_lines
    subject: str
    detail: str


def check(session: Session) -> list[Problem]:
    """Every entry balanced in each currency, every currency balanced over the ledger, every
    line in its account's currency, every entry with two lines or more; empty when all hold."""
    found: list[Problem] = []
    per_entry = (
        select(JournalLineRow.entry_id, JournalLineRow.currency, func.sum(JournalLineRow.amount))
        .group_by(JournalLineRow.entry_id, JournalLineRow.currency)
        .having(func.sum(JournalLineRow.amount) != 0)
    )
    for entry_id, currency, total in session.execute(per_entry):
        found.append(Problem("unbalanced_entry", entry_id, f"{currency} sums to {total}"))
    overall = (
        select(JournalLineRow.currency, func.sum(JournalLineRow.amount))
        .group_by(JournalLineRow.currency)
        .having(func.sum(JournalLineRow.amount) != 0)
    )
    for currency, total in session.execute(overall):
        found.append(Problem("unbalanced_currency", currency, f"lines sum to {total}"))
    wrong = (
        select(JournalLineRow.id, JournalLineRow.account_code, JournalLineRow.currency)
        .join(AccountRow, AccountRow.code == JournalLineRow.account_code)
        .where(AccountRow.currency != JournalLineRow.currency)
    )
    for line_id, account, currency in session.execute(wrong):
        found.append(Problem("wrong_currency", str(line_id), f"{currency} line on {account}"))
    counts = select(JournalEntryRow.id).outerjoin(
        JournalLineRow, JournalLineRow.entry_id == JournalEntryRow.id
    )
    short = counts.group_by(JournalEntryRow.id).having(func.count(JournalLineRow.id) < 2)
    for (entry_id,) in session.execute(short):
        found.append(Problem("too_few_lines", entry_id, "fewer than two lines"))
    return found


def entry_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(JournalEntryRow)) or 0)
