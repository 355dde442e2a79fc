"""B2B receivables (9710) under export credit insurance: buyers, policies, limits, invoices,
payments, overdue tracking and claims.

Invariants:
- A buyer is invoiced in one currency that has a trade receivable account (1200-<ccy>); its
  limit under a policy is in that currency.
- A buyer's exposure is the outstanding (total - paid) of its open invoices (issued, partly
  paid, overdue). An invoice that would take the exposure beyond the limit of the policy
  valid on its issue day, or a buyer without one, is created held, with the reason; finance
  approves (it is then issued) or rejects it, saying why.
- Payment terms never exceed the policy's maximum credit period.
- Every change of state follows the `INVOICE` machine and is a history row with who, when
  and why. Money moves only through `ledger.post` / `ledger.settle` with an event key, so a
  retried step posts once:
    issued       Dr 1200-<ccy>  Cr 4100-<ccy>          (on the issue day)
    payment      Dr 1300-<ccy>  Cr 1200-<ccy>          (or settled into 1300-CNY, realised FX)
    claim        Dr 1250-<ccy> insured share, Dr 5400-<ccy> the rest, Cr 1200-<ccy> outstanding
    claim paid   Dr 1300-<ccy>  Cr 1250-<ccy>
  The insured share is the insured percentage of the outstanding rounded half up to minor
  units; the loss is the remainder, so the two debits equal the outstanding exactly.
- A claim is made only on an overdue invoice, once, after the policy's waiting period past due.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pycountry
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.money import Money, currency_exponent
from chuhai.core.statemachine import StateMachine, Transition
from chuhai.finance import ledger
from chuhai.finance.accounts import chart
from chuhai.finance.credit_tables import (
    CreditBuyerRow,
    CreditInvoiceHistoryRow,
    CreditInvoiceLineRow,
    CreditInvoiceRow,
    CreditLimitRow,
    CreditPaymentRow,
    CreditPolicyRow,
)
from chuhai.finance.ledger import Line
from chuhai.finance.tables import JournalEntryRow, JournalLineRow

HELD, ISSUED, REJECTED = "held", "issued", "rejected"
PARTLY_PAID, PAID, OVERDUE = "partly_paid", "paid", "overdue"
CLAIMED, CLAIM_PAID = "claimed", "claim_paid"
OPEN_STATES = (ISSUED, PARTLY_PAID, OVERDUE)  # what counts towards a buyer's exposure
DOCUMENT = "b2b_invoice"
MAX_DAYS = 3650
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _t(action: str, sources: set[str], target: str) -> Transition:
    return Transition(action, frozenset(sources), target, "credit.manage")


INVOICE = StateMachine(
    "B2B invoice",
    [
        _t("approve", {HELD}, ISSUED),
        _t("reject", {HELD}, REJECTED),
        _t("pay_in_part", {ISSUED, PARTLY_PAID}, PARTLY_PAID),
        _t("pay_overdue_in_part", {OVERDUE}, OVERDUE),
        _t("pay_in_full", {ISSUED, PARTLY_PAID, OVERDUE}, PAID),
        _t("mark_overdue", {ISSUED, PARTLY_PAID}, OVERDUE),
        _t("claim", {OVERDUE}, CLAIMED),
        _t("settle_claim", {CLAIMED}, CLAIM_PAID),
    ],
)


class WaitingPeriodNotOver(Conflict):
    code = "waiting-period-not-over"
    title = "The policy's waiting period has not ended"


def _accounts(currency: str) -> tuple[str, str, str, str, str]:
    """receivable, revenue, bank, insurer receivable, credit loss of one currency."""
    return (
        f"1200-{currency}",
        f"4100-{currency}",
        chart().bank(currency),
        f"1250-{currency}",
        f"5400-{currency}",
    )


def receivable_currencies() -> list[str]:
    """The currencies the chart keeps a trade receivable account in."""
    return sorted(a.currency for a in chart().accounts.values() if a.purpose == "trade_receivable")


def money_text(amount: int, currency: str) -> str:
    """182000.00 USD as "182,000.00 USD" (for sentences people read)."""
    exponent = currency_exponent(currency)
    return f"{Decimal(amount).scaleb(-exponent):,.{exponent}f} {currency}"


# --- buyers ---------------------------------------------------------------------------------


def create_buyer(
    ctx: Context,
    *,
    name: str,
    country_code: str,
    registration_id: str,
    currency: str,
    contact_email: str,
) -> CreditBuyerRow:
    """A B2B buyer abroad, invoiced in `currency`.

    Raises:
        ValidationFailed: a blank name or registration id, an unknown country, a currency
            with no trade receivable account, an address that is not an e-mail address.
        Conflict: another buyer has this registration id.
    """
    ctx.actor.require("credit.manage")
    name, registration_id = name.strip(), registration_id.strip()
    errors = []
    if not name or len(name) > 200:
        errors.append(FieldError("name", "1 to 200 characters"))
    if not isinstance(country_code, str) or pycountry.countries.get(alpha_2=country_code) is None:
        errors.append(FieldError("country_code", f"unknown ISO 3166 country {country_code!r}"))
    if not registration_id or len(registration_id) > 60:
        errors.append(FieldError("registration_id", "1 to 60 characters"))
    if currency not in receivable_currencies():
        kept = ", ".join(receivable_currencies())
        errors.append(
            FieldError("currency", f"no trade receivable account in {currency!r} (kept: {kept})")
        )
    if not _EMAIL.match(contact_email) or len(contact_email) > 200:
        errors.append(FieldError("contact_email", "is not an e-mail address"))
    if errors:
        raise ValidationFailed(errors)
    taken = select(CreditBuyerRow.id).where(CreditBuyerRow.registration_id == registration_id)
    if ctx.session.scalar(taken):
        raise Conflict("a buyer with this registration id exists", field="registration_id")
    row = CreditBuyerRow(
        id=new_id("byr"),
        name=name,
        country_code=country_code,
        registration_id=registration_id,
        currency=currency,
        contact_email=contact_email,
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def get_buyer(ctx: Context, buyer_id: str) -> CreditBuyerRow:
    ctx.actor.require("credit.read")
    return _buyer(ctx, buyer_id)


def _buyer(ctx: Context, buyer_id: str, lock: bool = False) -> CreditBuyerRow:
    # locked while an invoice is checked against the limit: two invoices created at once
    # for one buyer must not both fit into the same headroom
    if lock:
        _lock_row(ctx, CreditBuyerRow, buyer_id)
    row = ctx.session.get(CreditBuyerRow, buyer_id, populate_existing=lock)
    if row is None:
        raise NotFound(f"no B2B buyer {buyer_id!r}", field="buyer_id")
    return row


def _lock_row(ctx: Context, table: type[CreditBuyerRow | CreditInvoiceRow], row_id: str) -> None:
    """Take the row's write lock before reading it: a no-op UPDATE locks the row on
    PostgreSQL and, on SQLite (which has no SELECT ... FOR UPDATE), the database's write
    lock, so the read that follows sees every change committed before and none after."""
    statement = update(table).where(table.id == row_id).values(created_by=table.created_by)
    ctx.session.execute(statement.execution_options(synchronize_session=False))


def list_buyers(ctx: Context) -> list[CreditBuyerRow]:
    ctx.actor.require("credit.read")
    return list(ctx.session.scalars(select(CreditBuyerRow).order_by(CreditBuyerRow.name)))


# --- policies and limits --------------------------------------------------------------------


def parse_percent(text: str | int | Decimal, field: str = "insured_percent") -> int:
    """An insured percentage, 0 < p <= 100 with at most 2 decimals, in basis points."""
    if isinstance(text, float | bool):
        raise ValidationFailed.one(field, "give the percentage as a decimal string, not a float")
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise ValidationFailed.one(field, f"{text!r} is not a number") from None
    if not value.is_finite() or not 0 < value <= 100:
        raise ValidationFailed.one(field, f"more than 0 and at most 100, got {text}")
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise ValidationFailed.one(field, f"at most 2 decimal places, got {text}")
    return int(scaled)


def percent_text(basis_points: int) -> str:
    return f"{Decimal(basis_points).scaleb(-2):.2f}"


def create_policy(
    ctx: Context,
    *,
    insurer: str,
    policy_number: str,
    insured_percent: str | int | Decimal,
    max_credit_days: int,
    waiting_days: int,
    valid_from: date,
    valid_to: date,
) -> CreditPolicyRow:
    """An export credit insurance policy (e.g. Sinosure's short-term policy).

    Raises:
        ValidationFailed: a blank insurer or number, an insured percentage outside (0, 100]
            or with more than 2 decimals, days out of range, valid_to before valid_from.
        Conflict: the policy number is taken.
    """
    ctx.actor.require("credit.manage")
    insurer, policy_number = insurer.strip(), policy_number.strip()
    errors = []
    if not insurer or len(insurer) > 200:
        errors.append(FieldError("insurer", "1 to 200 characters, e.g. Sinosure"))
    if not policy_number or len(policy_number) > 60:
        errors.append(FieldError("policy_number", "1 to 60 characters"))
    try:
        insured_bp = parse_percent(insured_percent)
    except ValidationFailed as error:
        errors.extend(error.errors)
        insured_bp = 0
    if not _whole(max_credit_days) or not 1 <= max_credit_days <= MAX_DAYS:
        errors.append(FieldError("max_credit_days", f"a whole number of days, 1 to {MAX_DAYS}"))
    if not _whole(waiting_days) or not 0 <= waiting_days <= MAX_DAYS:
        errors.append(FieldError("waiting_days", f"a whole number of days, 0 to {MAX_DAYS}"))
    if valid_to < valid_from:
        errors.append(
            FieldError("valid_to", f"{valid_to} is before valid_from {valid_from}: dates inverted")
        )
    if errors:
        raise ValidationFailed(errors)
    taken = select(CreditPolicyRow.id).where(CreditPolicyRow.policy_number == policy_number)
    if ctx.session.scalar(taken):
        raise Conflict("a policy with this number exists", field="policy_number")
    row = CreditPolicyRow(
        id=new_id("pol"),
        insurer=insurer,
        policy_number=policy_number,
        insured_bp=insured_bp,
        max_credit_days=max_credit_days,
        waiting_days=waiting_days,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _policy(ctx: Context, policy_id: str) -> CreditPolicyRow:
    row = ctx.session.get(CreditPolicyRow, policy_id)
    if row is None:
        raise NotFound(f"no credit insurance policy {policy_id!r}", field="policy_id")
    return row


def get_policy(ctx: Context, policy_id: str) -> CreditPolicyRow:
    ctx.actor.require("credit.read")
    return _policy(ctx, policy_id)


def list_policies(ctx: Context) -> list[CreditPolicyRow]:
    ctx.actor.require("credit.read")
    query = select(CreditPolicyRow).order_by(CreditPolicyRow.valid_from.desc())
    return list(ctx.session.scalars(query))


def set_limit(
    ctx: Context, policy_id: str, buyer_id: str, amount: str | int | Decimal, currency: str
) -> CreditLimitRow:
    """The most `buyer_id` may owe under `policy_id` (a decimal amount in the buyer's
    currency); setting it again replaces it.

    Raises:
        ValidationFailed: a currency other than the buyer's, an amount not more than zero or
            with more decimals than the currency has.
    """
    ctx.actor.require("credit.manage")
    policy = _policy(ctx, policy_id)
    buyer = _buyer(ctx, buyer_id)
    if currency != buyer.currency:
        raise ValidationFailed.one(
            "currency", f"the buyer is invoiced in {buyer.currency}; set its limit in it"
        )
    limit = Money.parse(amount, currency, "amount")
    if limit.amount_minor <= 0 or limit.amount_minor > ledger.MAX_AMOUNT:
        raise ValidationFailed.one("amount", "more than zero")
    row = ctx.session.scalar(
        select(CreditLimitRow).where(
            CreditLimitRow.policy_id == policy.id, CreditLimitRow.buyer_id == buyer.id
        )
    )
    if row is None:
        row = CreditLimitRow(id=new_id("lim"), policy_id=policy.id, buyer_id=buyer.id)
        ctx.session.add(row)
    row.amount = limit.amount_minor
    row.currency = currency
    row.set_by = ctx.actor.user_id
    row.set_at = ctx.now()
    ctx.session.flush()
    return row


def limit_on(
    ctx: Context, buyer_id: str, on: date
) -> tuple[CreditPolicyRow, CreditLimitRow] | None:
    """The buyer's limit under a policy valid on `on` (the newest such policy), if any."""
    query = (
        select(CreditPolicyRow, CreditLimitRow)
        .join(CreditLimitRow, CreditLimitRow.policy_id == CreditPolicyRow.id)
        .where(
            CreditLimitRow.buyer_id == buyer_id,
            CreditPolicyRow.valid_from <= on,
            CreditPolicyRow.valid_to >= on,
        )
        .order_by(CreditPolicyRow.valid_from.desc(), CreditPolicyRow.id.desc())
    )
    found = ctx.session.execute(query.limit(1)).first()
    return (found[0], found[1]) if found else None


def exposure(ctx: Context, buyer_id: str) -> int:
    """What the buyer owes now on its open invoices (minor units of its currency)."""
    query = select(func.coalesce(func.sum(CreditInvoiceRow.total - CreditInvoiceRow.paid), 0))
    query = query.where(
        CreditInvoiceRow.buyer_id == buyer_id, CreditInvoiceRow.state.in_(OPEN_STATES)
    )
    return int(ctx.session.scalar(query) or 0)


@dataclass(frozen=True)
class BuyerPosition:
    buyer: CreditBuyerRow
    policy: CreditPolicyRow | None
    limit: int | None  # minor units; None: no valid policy with a limit today
    exposure: int

    @property
    def headroom(self) -> int | None:
        return None if self.limit is None else self.limit - self.exposure


def positions(ctx: Context) -> list[BuyerPosition]:
    """Every buyer with today's limit, exposure and headroom."""
    today = ctx.now().date()
    found = []
    for buyer in list_buyers(ctx):
        cover = limit_on(ctx, buyer.id, today)
        found.append(
            BuyerPosition(
                buyer,
                cover[0] if cover else None,
                cover[1].amount if cover else None,
                exposure(ctx, buyer.id),
            )
        )
    return found


# --- invoices -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceLine:
    quantity: int
    unit_price: int  # minor units of the invoice's currency
    sku_code: str = ""
    description: str = ""


def create_invoice(
    ctx: Context,
    buyer_id: str,
    lines: Sequence[InvoiceLine],
    *,
    terms_days: int,
    issued_on: date | None = None,
    contract_no: str = "",
) -> CreditInvoiceRow:
    """A 9710 invoice in the buyer's currency, due `terms_days` after `issued_on` (today).

    `contract_no` is the sales contract a 9710 export declaration of these goods names.
    Issued (and booked) when it fits the buyer's limit under the policy valid on the issue
    day; held for finance's approval, with the reason, when it does not or when there is no
    such policy.

    Raises:
        ValidationFailed: no lines, a line without a SKU code or description, a quantity or
            unit price not more than zero, terms beyond the policy's maximum credit period.
    """
    ctx.actor.require("credit.manage")
    buyer = _buyer(ctx, buyer_id, lock=True)
    issued_on = issued_on or ctx.now().date()
    total = _check_lines(lines)
    contract_no = contract_no.strip()
    if len(contract_no) > 64:
        raise ValidationFailed.one("contract_no", "at most 64 characters")
    cover = limit_on(ctx, buyer.id, issued_on)
    most = cover[0].max_credit_days if cover else MAX_DAYS
    if not _whole(terms_days) or not 0 <= terms_days <= most:
        reason = (
            f"at most the policy {cover[0].policy_number}'s maximum credit period of {most} days"
            if cover
            else f"a whole number of days, 0 to {MAX_DAYS}"
        )
        raise ValidationFailed.one("terms_days", f"{reason}, got {terms_days}")
    hold = _hold_reason(ctx, buyer, cover, total, issued_on)
    invoice = CreditInvoiceRow(
        id=new_id("inv"),
        buyer_id=buyer.id,
        policy_id=cover[0].id if cover else None,
        contract_no=contract_no,
        currency=buyer.currency,
        total=total,
        paid=0,
        insured_claim=0,
        credit_loss=0,
        terms_days=terms_days,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=terms_days),
        state=HELD if hold else ISSUED,
        hold_reason=hold or "",
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(invoice)
    ctx.session.flush()
    ctx.session.add_all(
        CreditInvoiceLineRow(
            invoice_id=invoice.id,
            sku_code=line.sku_code.strip(),
            description=line.description.strip(),
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=line.quantity * line.unit_price,
        )
        for line in lines
    )
    _record(ctx, invoice, "create", None, invoice.state, hold or "within the credit limit")
    if not hold:
        _book_issue(ctx, invoice)
    ctx.session.flush()
    return invoice


def _check_lines(lines: Sequence[InvoiceLine]) -> int:
    errors = []
    if not lines:
        errors.append(FieldError("lines", "an invoice needs at least one line"))
    for index, line in enumerate(lines):
        field = f"lines[{index}]"
        if not line.sku_code.strip() and not line.description.strip():
            errors.append(FieldError(f"{field}.description", "give a SKU code or a description"))
        if len(line.sku_code) > 64 or len(line.description) > 300:
            errors.append(FieldError(f"{field}.description", "SKU code ≤ 64, description ≤ 300"))
        if not _whole(line.quantity) or line.quantity <= 0:
            errors.append(FieldError(f"{field}.quantity", "a whole number more than zero"))
        if not _whole(line.unit_price) or line.unit_price <= 0:
            errors.append(FieldError(f"{field}.unit_price", "whole minor units, more than zero"))
    if errors:
        raise ValidationFailed(errors)
    total = sum(line.quantity * line.unit_price for line in lines)
    if total > ledger.MAX_AMOUNT:
        raise ValidationFailed.one("lines", f"the total is over {ledger.MAX_AMOUNT:,} minor units")
    return total


def _hold_reason(
    ctx: Context,
    buyer: CreditBuyerRow,
    cover: tuple[CreditPolicyRow, CreditLimitRow] | None,
    total: int,
    on: date,
) -> str | None:
    if cover is None:
        return f"no credit insurance policy with a limit for {buyer.name} is valid on {on}"
    after = exposure(ctx, buyer.id) + total
    limit = cover[1].amount
    if after <= limit:
        return None
    ccy = buyer.currency
    return (
        f"exposure {money_text(after, ccy)} would exceed the limit {money_text(limit, ccy)} "
        f"by {money_text(after - limit, ccy)}"
    )


def _invoice(ctx: Context, invoice_id: str, lock: bool = False) -> CreditInvoiceRow:
    # locked by every change of state: two payments at once must not both fit the outstanding
    if lock:
        _lock_row(ctx, CreditInvoiceRow, invoice_id)
    row = ctx.session.get(CreditInvoiceRow, invoice_id, populate_existing=lock)
    if row is None:
        raise NotFound(f"no B2B invoice {invoice_id!r}", field="invoice_id")
    return row


def get_invoice(ctx: Context, invoice_id: str) -> CreditInvoiceRow:
    ctx.actor.require("credit.read")
    return _invoice(ctx, invoice_id)


def invoice_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(CreditInvoiceRow)) or 0)


def list_invoices(
    ctx: Context, *, state: str | None = None, buyer_id: str | None = None, limit: int = 200
) -> list[CreditInvoiceRow]:
    ctx.actor.require("credit.read")
    query = select(CreditInvoiceRow)
    if state:
        query = query.where(CreditInvoiceRow.state == state)
    if buyer_id:
        query = query.where(CreditInvoiceRow.buyer_id == buyer_id)
    query = query.order_by(CreditInvoiceRow.due_on, CreditInvoiceRow.id)
    return list(ctx.session.scalars(query.limit(limit)))


def lines_of(ctx: Context, invoice_id: str) -> list[CreditInvoiceLineRow]:
    query = select(CreditInvoiceLineRow).where(CreditInvoiceLineRow.invoice_id == invoice_id)
    return list(ctx.session.scalars(query.order_by(CreditInvoiceLineRow.id)))


def history_of(ctx: Context, invoice_id: str) -> list[CreditInvoiceHistoryRow]:
    query = select(CreditInvoiceHistoryRow).where(CreditInvoiceHistoryRow.invoice_id == invoice_id)
    return list(ctx.session.scalars(query.order_by(CreditInvoiceHistoryRow.id)))


def payments_of(ctx: Context, invoice_id: str) -> list[CreditPaymentRow]:
    query = select(CreditPaymentRow).where(CreditPaymentRow.invoice_id == invoice_id)
    return list(ctx.session.scalars(query.order_by(CreditPaymentRow.created_at)))


def outstanding(invoice: CreditInvoiceRow) -> int:
    return invoice.total - invoice.paid


def _move(ctx: Context, invoice: CreditInvoiceRow, action: str, note: str) -> None:
    transition = INVOICE.transition(invoice.state, action)
    ctx.actor.require(transition.permission)
    before = invoice.state
    invoice.state = transition.target
    _record(ctx, invoice, action, before, transition.target, note)


def _record(
    ctx: Context,
    invoice: CreditInvoiceRow,
    action: str,
    before: str | None,
    after: str,
    note: str,
) -> None:
    ctx.session.add(
        CreditInvoiceHistoryRow(
            invoice_id=invoice.id,
            action=action,
            from_state=before,
            to_state=after,
            actor_id=ctx.actor.user_id,
            note=note[:2000],
            at=ctx.now(),
        )
    )


def _reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationFailed.one("reason", "say why")
    return reason.strip()


def approve(ctx: Context, invoice_id: str, reason: str) -> CreditInvoiceRow:
    """Finance lets a held invoice go (beyond the limit, or uninsured): it is issued and
    booked. Raises InvalidTransition (409) for an invoice that is not held."""
    ctx.actor.require("credit.manage")
    invoice = _invoice(ctx, invoice_id, lock=True)
    INVOICE.transition(invoice.state, "approve")
    _move(ctx, invoice, "approve", _reason(reason))
    _book_issue(ctx, invoice)
    ctx.session.flush()
    return invoice


def reject(ctx: Context, invoice_id: str, reason: str) -> CreditInvoiceRow:
    ctx.actor.require("credit.manage")
    invoice = _invoice(ctx, invoice_id, lock=True)
    INVOICE.transition(invoice.state, "reject")
    _move(ctx, invoice, "reject", _reason(reason))
    ctx.session.flush()
    return invoice


def _book_issue(ctx: Context, invoice: CreditInvoiceRow) -> None:
    receivable, revenue, *_ = _accounts(invoice.currency)
    ledger.post(
        ctx,
        [
            Line(receivable, invoice.total, invoice.currency, f"invoice {invoice.id}"),
            Line(revenue, -invoice.total, invoice.currency, f"invoice {invoice.id}"),
        ],
        description=f"B2B 9710 invoice {invoice.id} issued to {invoice.buyer_id}",
        document_type=DOCUMENT,
        document_id=invoice.id,
        event="credit.invoice_issued",
        on=invoice.issued_on,
        event_key=f"credit.invoice_issued:{invoice.id}",
    )


# --- payments -------------------------------------------------------------------------------


def record_payment(
    ctx: Context,
    invoice_id: str,
    amount: Money,
    *,
    received_on: date | None = None,
    settle_in_cny: bool = False,
) -> CreditPaymentRow:
    """The buyer paid `amount` (in the invoice's currency) of an open invoice: into the bank
    account of that currency, or with `settle_in_cny` converted by the bank into CNY at the
    day's rate (the realised FX result against the issue day's rate is booked).

    Raises:
        ValidationFailed: an amount in another currency than the invoice's, not more than
            zero, or more than the outstanding.
        InvalidTransition: the invoice is not open (held, paid, claimed...).
    """
    ctx.actor.require("credit.manage")
    invoice = _invoice(ctx, invoice_id, lock=True)
    if amount.currency != invoice.currency:
        raise ValidationFailed.one(
            "currency",
            f"the invoice is in {invoice.currency}, not {amount.currency}; a payment received "
            "in CNY is recorded in the invoice's currency with settle_in_cny",
        )
    left = outstanding(invoice)
    full = amount.amount_minor == left
    action = "pay_in_full" if full else "pay_in_part"
    if not full and invoice.state == OVERDUE:
        action = "pay_overdue_in_part"
    INVOICE.transition(invoice.state, action)
    if amount.amount_minor <= 0:
        raise ValidationFailed.one("amount", "more than zero")
    if amount.amount_minor > left:
        raise ValidationFailed.one(
            "amount",
            f"{money_text(amount.amount_minor, amount.currency)} is more than the outstanding "
            f"{money_text(left, invoice.currency)}",
        )
    received_on = received_on or ctx.now().date()
    if received_on < invoice.issued_on:
        raise ValidationFailed.one(
            "received_on", f"{received_on} is before the invoice was issued on {invoice.issued_on}"
        )
    payment_id = new_id("bpy")
    entry = _book_payment(ctx, invoice, payment_id, amount, received_on, settle_in_cny)
    payment = CreditPaymentRow(
        id=payment_id,
        invoice_id=invoice.id,
        amount=amount.amount_minor,
        currency=amount.currency,
        received_in=chart().functional_currency if settle_in_cny else amount.currency,
        received_on=received_on,
        journal_entry_id=entry.id,
        created_by=ctx.actor.user_id,
        created_at=ctx.now(),
    )
    ctx.session.add(payment)
    invoice.paid += amount.amount_minor
    _move(ctx, invoice, action, f"received {money_text(amount.amount_minor, amount.currency)}")
    ctx.session.flush()
    return payment


def _book_payment(
    ctx: Context,
    invoice: CreditInvoiceRow,
    payment_id: str,
    amount: Money,
    on: date,
    settle_in_cny: bool,
) -> JournalEntryRow:
    receivable, _, bank, *_ = _accounts(invoice.currency)
    key = f"credit.payment:{payment_id}"
    if settle_in_cny and invoice.currency != chart().functional_currency:
        return ledger.settle(
            ctx,
            receivable=receivable,
            into=chart().bank(chart().functional_currency),
            amount=amount,
            on=on,
            booked_on=invoice.issued_on,
            document_type=DOCUMENT,
            document_id=invoice.id,
            event_key=key,
        )
    return ledger.post(
        ctx,
        [
            Line(bank, amount.amount_minor, amount.currency, f"paid on {invoice.id}"),
            Line(receivable, -amount.amount_minor, amount.currency, f"paid on {invoice.id}"),
        ],
        description=f"B2B invoice {invoice.id}: payment received",
        document_type=DOCUMENT,
        document_id=invoice.id,
        event="credit.payment",
        on=on,
        event_key=key,
    )


# --- overdue and claims ---------------------------------------------------------------------


def mark_overdue(ctx: Context) -> list[CreditInvoiceRow]:
    """Every issued or partly paid invoice past its due day (by the clock) becomes overdue."""
    ctx.actor.require("credit.manage")
    today = ctx.now().date()
    query = select(CreditInvoiceRow.id).where(
        CreditInvoiceRow.state.in_((ISSUED, PARTLY_PAID)), CreditInvoiceRow.due_on < today
    )
    due = list(ctx.session.scalars(query.order_by(CreditInvoiceRow.due_on, CreditInvoiceRow.id)))
    found = []
    for invoice_id in due:
        # locked one by one and read again: a payment landing at the same moment wins
        invoice = _invoice(ctx, invoice_id, lock=True)
        if invoice.state in (ISSUED, PARTLY_PAID):
            found.append(invoice)
    for invoice in found:
        days = (today - invoice.due_on).days
        _move(ctx, invoice, "mark_overdue", f"{days} days past due on {today}")
    ctx.session.flush()
    return found


def split_claim(outstanding_minor: int, insured_bp: int) -> tuple[int, int]:
    """(insured share, loss) of an outstanding amount: the share rounded half up to minor
    units, the loss the remainder, so they sum to the outstanding exactly."""
    share = (Decimal(outstanding_minor) * insured_bp / 10000).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    insured = int(share)
    return insured, outstanding_minor - insured


def claim_opens_on(invoice: CreditInvoiceRow, policy: CreditPolicyRow) -> date:
    return invoice.due_on + timedelta(days=policy.waiting_days)


def claim(ctx: Context, invoice_id: str, reason: str = "buyer default") -> CreditInvoiceRow:
    """Claim an overdue invoice from its insurer once the waiting period has passed: the
    insured share becomes a receivable from the insurer, the rest a credit loss.

    Raises:
        InvalidTransition: the invoice is not overdue (claimed already, paid, issued...).
        Conflict: no policy insures it.
        WaitingPeriodNotOver: the policy's waiting period past due has not ended.
    """
    ctx.actor.require("credit.manage")
    invoice = _invoice(ctx, invoice_id, lock=True)
    INVOICE.transition(invoice.state, "claim")
    if invoice.policy_id is None:
        raise Conflict(
            f"no credit insurance policy covers {invoice.id}; it cannot be claimed",
            field="policy_id",
        )
    policy = _policy(ctx, invoice.policy_id)
    today = ctx.now().date()
    opens = claim_opens_on(invoice, policy)
    if today < opens:
        raise WaitingPeriodNotOver(
            f"the policy {policy.policy_number}'s waiting period of {policy.waiting_days} days "
            f"past the due day {invoice.due_on} ends on {opens}; claim from then on",
            field="waiting_days",
            claim_opens_on=opens.isoformat(),
        )
    left = outstanding(invoice)
    insured, loss = split_claim(left, policy.insured_bp)
    receivable, _, _, insurer, credit_loss = _accounts(invoice.currency)
    ccy = invoice.currency
    lines = [
        Line(insurer, insured, ccy, f"claim on {policy.policy_number}"),
        Line(credit_loss, loss, ccy, f"uninsured {percent_text(10000 - policy.insured_bp)} %"),
        Line(receivable, -left, ccy, f"invoice {invoice.id} in default"),
    ]
    ledger.post(
        ctx,
        [line for line in lines if line.amount],
        description=f"B2B invoice {invoice.id}: claim on {policy.insurer} {policy.policy_number}",
        document_type=DOCUMENT,
        document_id=invoice.id,
        event="credit.claim",
        on=today,
        event_key=f"credit.claim:{invoice.id}",
    )
    invoice.insured_claim, invoice.credit_loss, invoice.claimed_on = insured, loss, today
    note = (
        f"{reason.strip() or 'buyer default'}: {money_text(insured, ccy)} claimed from "
        f"{policy.insurer} ({percent_text(policy.insured_bp)} %), {money_text(loss, ccy)} lost"
    )
    _move(ctx, invoice, "claim", note)
    ctx.session.flush()
    return invoice


def settle_claim(
    ctx: Context, invoice_id: str, received_on: date | None = None
) -> CreditInvoiceRow:
    """The insurer paid the claim: Dr bank / Cr insurer receivable."""
    ctx.actor.require("credit.manage")
    invoice = _invoice(ctx, invoice_id, lock=True)
    INVOICE.transition(invoice.state, "settle_claim")
    on = received_on or ctx.now().date()
    _, _, bank, insurer, _ = _accounts(invoice.currency)
    if invoice.insured_claim:
        ledger.post(
            ctx,
            [
                Line(bank, invoice.insured_claim, invoice.currency, "insurer paid the claim"),
                Line(insurer, -invoice.insured_claim, invoice.currency, "claim settled"),
            ],
            description=f"B2B invoice {invoice.id}: the insurer paid the claim",
            document_type=DOCUMENT,
            document_id=invoice.id,
            event="credit.claim_paid",
            on=on,
            event_key=f"credit.claim_paid:{invoice.id}",
        )
    invoice.claim_paid_on = on
    note = f"received {money_text(invoice.insured_claim, invoice.currency)} from the insurer"
    _move(ctx, invoice, "settle_claim", note)
    ctx.session.flush()
    return invoice


# --- the check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    invoice_id: str
    detail: str


def check(session: Session) -> list[Mismatch]:
    """Every invoice agrees with the ledger, to the minor unit: the trade receivable lines of
    its entries sum to its outstanding while it is open (to nothing otherwise), and its
    insurer receivable lines to the insured claim while the claim is unpaid. Empty when all
    hold."""
    prefix = func.substr(JournalLineRow.account_code, 1, 4)
    per_invoice = (
        select(JournalEntryRow.document_id, prefix, func.sum(JournalLineRow.amount))
        .join(JournalLineRow, JournalLineRow.entry_id == JournalEntryRow.id)
        .where(JournalEntryRow.document_type == DOCUMENT, prefix.in_(("1200", "1250")))
        .group_by(JournalEntryRow.document_id, prefix)
    )
    booked: dict[tuple[str, str], int] = {
        (document_id, kind): int(total) for document_id, kind, total in session.execute(per_invoice)
    }
    found = []
    for invoice in session.scalars(select(CreditInvoiceRow).order_by(CreditInvoiceRow.id)):
        expected = {
            "1200": outstanding(invoice) if invoice.state in OPEN_STATES else 0,
            "1250": invoice.insured_claim if invoice.state == CLAIMED else 0,
        }
        for kind, want in expected.items():
            got = booked.pop((invoice.id, kind), 0)
            if got != want:
                found.append(
                    Mismatch(invoice.id, f"{kind}-{invoice.currency}: ledger {got}, invoice {want}")
                )
    for (document_id, kind), total in sorted(booked.items()):
        if total:
            found.append(Mismatch(document_id, f"{kind} lines sum to {total} for no invoice"))
    return found
