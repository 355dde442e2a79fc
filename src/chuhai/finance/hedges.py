"""The hedge book: FX forwards with banks, marked to market, settled through the ledger.

A forward sells (or buys) `notional` of a foreign currency for CNY at `contract_rate`
(foreign→CNY) on its value date. States: open -> settled | cancelled, each move stored with
who, when and why.

Mark to market on a day, in CNY, rounded to the fen once:

    MTM = notional × (contract rate − spot rate)   for a sell-foreign forward
    MTM = notional × (spot rate − contract rate)   for a buy-foreign forward

The spot rate of the day stands in for the forward rate to the value date: there are no
interest-rate curves offline, so the forward points are taken as zero.

On the exposure a sell forward counts as −notional of its currency, a buy as +notional.
Settling posts the conversion at the contract rate (bank foreign ↔ bank CNY).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import Money, currency_exponent, is_known_currency
from chuhai.core.statemachine import StateMachine, Transition
from chuhai.finance import ledger
from chuhai.finance import service as fx
from chuhai.finance.accounts import chart
from chuhai.finance.fx import FxRate, parse_rate, rate_text
from chuhai.finance.fx import convert as convert_amount
from chuhai.finance.tables import ForwardContractRow, ForwardHistoryRow, JournalEntryRow

CNY = "CNY"
OPEN, SETTLED, CANCELLED = "open", "settled", "cancelled"
SELL, BUY = "sell", "buy"
DOCUMENT = "fx_forward"
SOURCE = "FORWARD"  # the rate source recorded on a settlement's entry
# a contract rate this far from the trade day's spot is a typo, not a price
MAX_RATE_DEVIATION = Decimal("0.5")
MAX_TENOR_DAYS = 2 * 366

FORWARD = StateMachine(
    "forward",
    [
        Transition("settle", frozenset({OPEN}), SETTLED, "treasury.manage"),
        Transition("cancel", frozenset({OPEN}), CANCELLED, "treasury.manage"),
    ],
)


@dataclass(frozen=True)
class ForwardDraft:
    counterparty: str
    sell_currency: str
    buy_currency: str
    notional: str  # decimal text in the foreign currency's major units, e.g. "100000.00"
    contract_rate: str  # foreign→CNY, decimal text
    trade_date: date
    value_date: date


@dataclass(frozen=True)
class Marked:
    """A forward with its mark to market on a day (None when no spot rate)."""

    row: ForwardContractRow
    on: date
    spot: FxRate
    mtm: int  # fen, gain positive


def foreign_of(sell: str, buy: str) -> tuple[str, str]:
    """(direction, foreign currency) of a pair with one side CNY."""
    return (SELL, sell) if buy == CNY else (BUY, buy)


def book(ctx: Context, draft: ForwardDraft, key: str | None = None) -> ForwardContractRow:
    """Book a forward (treasury.manage); a retry with the same key returns the first.

    Raises:
        ValidationFailed: every field that is wrong, each named.
        FxRateMissing: no spot rate for the trade day to check the contract rate against.
    """
    ctx.actor.require("treasury.manage")
    if key:
        found = ctx.session.scalar(
            select(ForwardContractRow).where(ForwardContractRow.idempotency_key == key)
        )
        if found is not None:
            return found
    direction, currency, notional, rate = _checked(ctx, draft)
    row = ForwardContractRow(
        id=new_id("fwd"),
        counterparty=draft.counterparty.strip(),
        direction=direction,
        currency=currency,
        notional=notional,
        contract_rate=rate_text(rate),
        trade_date=draft.trade_date,
        value_date=draft.value_date,
        state=OPEN,
        idempotency_key=key,
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    _record(ctx, row, None, OPEN, "booked")
    return row


def _checked(ctx: Context, draft: ForwardDraft) -> tuple[str, str, int, Decimal]:
    errors: list[FieldError] = []
    name = draft.counterparty.strip() if isinstance(draft.counterparty, str) else ""
    if not name or len(name) > 200:
        errors.append(FieldError("counterparty", "name the bank, 1 to 200 characters"))
    currency = _pair_errors(draft.sell_currency, draft.buy_currency, errors)
    notional = _notional(draft.notional, currency, errors) if currency else 0
    rate = _rate(draft.contract_rate, errors)
    today = ctx.now().date()
    if draft.value_date < today:
        errors.append(FieldError("value_date", f"the maturity {draft.value_date} is in the past"))
    if draft.value_date < draft.trade_date:
        errors.append(FieldError("value_date", "the maturity comes before the trade date"))
    elif (draft.value_date - draft.trade_date).days > MAX_TENOR_DAYS:
        errors.append(FieldError("value_date", f"at most {MAX_TENOR_DAYS} days after the trade"))
    if draft.trade_date > today:
        errors.append(FieldError("trade_date", "a trade date cannot be in the future"))
    if errors:
        raise ValidationFailed(errors)
    assert currency is not None and rate is not None
    spot = fx.rate_on(ctx, currency, CNY, draft.trade_date).rate
    if abs(rate - spot) > spot * MAX_RATE_DEVIATION:
        raise ValidationFailed.one(
            "contract_rate",
            f"{rate_text(rate)} is absurd against the spot {currency}→CNY "
            f"{rate_text(spot)} of {draft.trade_date} (more than 50% away)",
        )
    direction, _ = foreign_of(draft.sell_currency, draft.buy_currency)
    return direction, currency, notional, rate


def _pair_errors(sell: str, buy: str, errors: list[FieldError]) -> str | None:
    known = True
    for field, code in (("sell_currency", sell), ("buy_currency", buy)):
        if not isinstance(code, str) or not is_known_currency(code):
            errors.append(FieldError(field, f"unknown ISO 4217 currency code {code!r}"))
            known = False
    if not known:
        return None
    if sell == buy:
        errors.append(FieldError("buy_currency", f"sells and buys {sell}: one side only"))
        return None
    if CNY not in (sell, buy):
        errors.append(FieldError("buy_currency", "one side of a forward must be CNY"))
        return None
    currency = foreign_of(sell, buy)[1]
    if chart().accounts.get(chart().bank(currency)) is None:
        errors.append(FieldError("sell_currency", f"no bank account is kept in {currency}"))
        return None
    return currency


def _notional(text: str, currency: str, errors: list[FieldError]) -> int:
    try:
        money = Money.parse(text, currency, "notional")
    except ValidationFailed as failed:
        errors.extend(failed.errors)
        return 0
    if money.amount_minor <= 0:
        errors.append(FieldError("notional", "more than zero"))
    elif money.amount_minor > ledger.MAX_AMOUNT:
        errors.append(FieldError("notional", "too large"))
    return money.amount_minor


def _rate(text: str, errors: list[FieldError]) -> Decimal | None:
    try:
        return parse_rate(text, "contract_rate")
    except ValidationFailed as failed:
        errors.extend(failed.errors)
        return None


def _record(
    ctx: Context, row: ForwardContractRow, before: str | None, after: str, note: str
) -> None:
    ctx.session.add(
        ForwardHistoryRow(
            forward_id=row.id,
            from_state=before,
            to_state=after,
            actor_id=ctx.actor.user_id,
            note=note,
            at=ctx.now(),
        )
    )


def _move(ctx: Context, forward_id: str, action: str, note: str) -> ForwardContractRow:
    ctx.actor.require("treasury.manage")
    row = _get(ctx.session, forward_id)
    transition = FORWARD.transition(row.state, action)
    before, row.state = row.state, transition.target
    _record(ctx, row, before, row.state, note)
    return row


def settle(ctx: Context, forward_id: str, note: str = "") -> ForwardContractRow:
    """Settle at maturity: the conversion posts at the contract rate on today's date.

    Raises:
        InvalidTransition: the forward is not open (409 naming its state).
        Conflict: before the value date.
    """
    ctx.actor.require("treasury.manage")
    row = _get(ctx.session, forward_id)
    FORWARD.transition(row.state, "settle")
    today = ctx.now().date()
    if today < row.value_date:
        raise Conflict(
            f"{row.id} matures on {row.value_date}; it cannot settle before", field="value_date"
        )
    row = _move(ctx, forward_id, "settle", note.strip() or "settled at maturity")
    row.journal_entry_id = _post_settlement(ctx, row, today).id
    ctx.session.flush()
    return row


def _post_settlement(ctx: Context, row: ForwardContractRow, on: date) -> JournalEntryRow:
    accounts = chart()
    rate = FxRate(row.currency, CNY, Decimal(row.contract_rate), on, SOURCE)
    foreign = Money(row.notional, row.currency)
    key = f"{DOCUMENT}:{row.id}:settle"
    if row.direction == SELL:
        return ledger.convert(
            ctx,
            from_account=accounts.bank(row.currency),
            to_account=accounts.bank(CNY),
            amount=foreign,
            on=on,
            document_type=DOCUMENT,
            document_id=row.id,
            rate=rate,
            event_key=key,
        )
    # buying the foreign currency: the same four lines the other way round, so the foreign
    # amount received is exactly the notional (converting CNY at 1/rate could miss by a cent)
    cny = convert_amount(foreign, CNY, rate).money.amount_minor
    lines = [
        ledger.Line(accounts.bank(CNY), -cny, CNY),
        ledger.Line(accounts.fx_trading(CNY), cny, CNY),
        ledger.Line(accounts.fx_trading(row.currency), -row.notional, row.currency),
        ledger.Line(accounts.bank(row.currency), row.notional, row.currency),
    ]
    return ledger.post(
        ctx,
        lines,
        description=f"forward {row.id}: buy {foreign} for {Money(cny, CNY)} at {rate.describe()}",
        document_type=DOCUMENT,
        document_id=row.id,
        event=ledger.CONVERSION,
        on=on,
        event_key=key,
        rate=rate,
    )


def cancel(ctx: Context, forward_id: str, reason: str) -> ForwardContractRow:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed.one("reason", "say why the forward is cancelled")
    row = _move(ctx, forward_id, "cancel", reason.strip())
    ctx.session.flush()
    return row


# --- reading ----------------------------------------------------------------------------------


def _get(session: Session, forward_id: str) -> ForwardContractRow:
    row = session.get(ForwardContractRow, forward_id)
    if row is None:
        raise NotFound(f"no forward {forward_id!r}", field="forward_id")
    return row


def get(ctx: Context, forward_id: str) -> ForwardContractRow:
    ctx.actor.require("treasury.read")
    return _get(ctx.session, forward_id)


def list_forwards(ctx: Context, state: str | None = None) -> list[ForwardContractRow]:
    ctx.actor.require("treasury.read")
    query = select(ForwardContractRow).order_by(
        ForwardContractRow.value_date, ForwardContractRow.id
    )
    if state:
        if state not in (OPEN, SETTLED, CANCELLED):
            raise ValidationFailed.one("state", "one of open, settled, cancelled")
        query = query.where(ForwardContractRow.state == state)
    return list(ctx.session.scalars(query))


def history_of(session: Session, forward_id: str) -> list[ForwardHistoryRow]:
    query = select(ForwardHistoryRow).where(ForwardHistoryRow.forward_id == forward_id)
    return list(session.scalars(query.order_by(ForwardHistoryRow.id)))


def open_on(session: Session, on: date) -> list[ForwardContractRow]:
    """Forwards traded by `on` and still open."""
    query = select(ForwardContractRow).where(
        ForwardContractRow.state == OPEN, ForwardContractRow.trade_date <= on
    )
    return list(session.scalars(query.order_by(ForwardContractRow.id)))


def signed_notional(row: ForwardContractRow) -> int:
    """The forward's effect on its currency's position: a sell reduces it."""
    return -row.notional if row.direction == SELL else row.notional


def hedge_positions(session: Session, on: date) -> dict[str, int]:
    positions: dict[str, int] = {}
    for row in open_on(session, on):
        positions[row.currency] = positions.get(row.currency, 0) + signed_notional(row)
    return positions


def mtm_value(row: ForwardContractRow, spot: Decimal) -> Decimal:
    """Unrounded MTM in fen (see the module's formula)."""
    major = Decimal(row.notional).scaleb(-currency_exponent(row.currency))
    difference = Decimal(row.contract_rate) - spot
    sign = 1 if row.direction == SELL else -1
    return (major * difference * sign).scaleb(currency_exponent(CNY))


def mark(ctx: Context, row: ForwardContractRow, on: date) -> Marked:
    """The forward marked to market on `on`; a missing or stale spot rate is refused."""
    spot = fx.rate_on(ctx, row.currency, CNY, on)
    value = mtm_value(row, spot.rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Marked(row, on, spot, int(value))


def marked_book(ctx: Context, on: date) -> list[Marked]:
    """Every open forward marked on `on` (treasury.read)."""
    ctx.actor.require("treasury.read")
    return [mark(ctx, row, on) for row in open_on(ctx.session, on)]
