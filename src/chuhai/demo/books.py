"""The demo world's books for its week of trade, kept through the finance services.

The storefront's orders and the stock-up receipts post their own entries (events). On top
of them finance does what a week's close asks: the owners' opening capital, the payment
provider's remittance of each market's takings into the bank in that currency, euros
converted into yuan, the suppliers' weekly settlement (run, approved, paid through the
sandbox bank), and a B2B (9710)
buyer insured by an export credit policy with an invoice held over its limit, one paid and
one overdue, whose open invoice is sold forward for yuan. Runs once: a second `chuhai demo`
finds the settlement run and stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from chuhai.core.auth import Actor
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.db import Database
from chuhai.core.money import Money, decimal_string
from chuhai.core.settings import Settings
from chuhai.finance import credit, hedges, ledger, settlement
from chuhai.finance import service as fx
from chuhai.finance.accounts import chart
from chuhai.finance.ledger import Line
from chuhai.parties.service import actor_for, find_user

if TYPE_CHECKING:
    from chuhai.finance.credit_tables import CreditBuyerRow, CreditInvoiceRow, CreditPolicyRow

OPENING_CAPITAL = Money(5_000_000_00, "CNY")
EUR_CONVERTED_SHARE = 2  # half the euro takings are sold for yuan


def keep_the_books(db: Database, settings: Settings, now: datetime) -> None:
    with db.unit_of_work() as uow:
        session = uow.session
        finance = Context(session, demo_operator(session, "finance"), FixedClock(now), settings)
        if settlement.list_runs(finance, limit=1):
            return
        today = now.date()
        _pay_in_capital(finance, today - timedelta(days=60))
        _remit_takings(finance, today)
        _pay_the_suppliers(finance, today)
        _hedge_the_invoice(finance, today, insure_a_b2b_buyer(finance))
        uow.commit()


def _pay_in_capital(ctx: Context, on: date) -> None:
    ledger.post_manual(
        ctx,
        [
            Line("1300-CNY", OPENING_CAPITAL.amount_minor, "CNY", "paid in"),
            Line("3000-CNY", -OPENING_CAPITAL.amount_minor, "CNY", "share capital"),
        ],
        description="Opening capital paid in by the owners",
        document_type="capital",
        document_id="DEMO-CAPITAL",
        on=on,
        key="demo-opening-capital",
    )


def _remit_takings(ctx: Context, on: date) -> None:
    """The payment provider pays each market's clearing balance into the bank account in
    its currency; half the euros are then converted into yuan at the day's rate."""
    accounts = chart()
    balances = ledger.balances(ctx.session, on=on)
    for code in sorted(balances):
        account = accounts.accounts[code]
        amount = balances[code]
        if account.purpose != "clearing" or account.currency == "CNY" or amount <= 0:
            continue
        ledger.post(
            ctx,
            [
                Line(accounts.bank(account.currency), amount, account.currency, "remittance"),
                Line(code, -amount, account.currency, "remitted by the payment provider"),
            ],
            description=f"payment provider remittance for market {account.market}",
            document_type="remittance",
            document_id=f"DEMO-REMIT-{account.market}-{on.isoformat()}",
            event="payment.remitted",
            on=on,
            market_code=account.market,
        )
    euros = ledger.balances(ctx.session, on=on).get(accounts.bank("EUR"), 0)
    if euros // EUR_CONVERTED_SHARE > 0:
        ledger.convert(
            ctx,
            from_account=accounts.bank("EUR"),
            to_account=accounts.bank("CNY"),
            amount=Money(euros // EUR_CONVERTED_SHARE, "EUR"),
            on=on,
            document_type="fx_deal",
            document_id=f"DEMO-FX-EUR-{on.isoformat()}",
        )


def _pay_the_suppliers(ctx: Context, today: date) -> None:
    """Last week's settlement: run, approved, every payment confirmed by the sandbox bank."""
    year, week, _ = (today - timedelta(days=7)).isocalendar()
    run = settlement.run_cycle(ctx, f"{year}-W{week:02d}")
    settlement.approve(ctx, run.id)
    settlement.confirm_payouts(ctx, run.id)


def _hedge_the_invoice(ctx: Context, today: date, book: ExampleBook) -> None:
    """Sell forward, for yuan, the euros the B2B buyer owes on its open invoice, for value on
    the day it falls due, at today's spot (a bank would quote forward points; the demo has
    no interest curves)."""
    invoice = book.issued
    spot = fx.rate_on(ctx, invoice.currency, "CNY", today).rate
    hedges.book(
        ctx,
        hedges.ForwardDraft(
            counterparty="Bank of China, Guangdong Branch",
            sell_currency=invoice.currency,
            buy_currency="CNY",
            notional=decimal_string(invoice.total, invoice.currency),
            contract_rate=str(spot.quantize(Decimal("0.0001"))),
            trade_date=today,
            value_date=invoice.due_on,
        ),
        key=f"demo-forward-{invoice.id}",
    )


@dataclass(frozen=True)
class ExampleBook:
    buyer: CreditBuyerRow
    policy: CreditPolicyRow
    issued: CreditInvoiceRow
    held: CreditInvoiceRow
    overdue: CreditInvoiceRow
    claimed: CreditInvoiceRow


def insure_a_b2b_buyer(ctx: Context, registration_id: str = "DE-HRB-123456") -> ExampleBook:
    """A German wholesaler insured by Sinosure (90 %, 90 days' credit, 30 days' waiting)
    with a 150,000.00 EUR limit, and four invoices dated back from today: one issued, one
    held beyond the limit, one overdue, one claimed."""
    today = ctx.now().date()
    buyer = credit.create_buyer(
        ctx,
        name="Rheinland Haushaltswaren GmbH",
        country_code="DE",
        registration_id=registration_id,
        currency="EUR",
        contact_email="einkauf@rheinland-haushalt.example",
    )
    policy = credit.create_policy(
        ctx,
        insurer="Sinosure",
        policy_number=f"SINO-ST-{registration_id}",
        insured_percent="90",
        max_credit_days=90,
        waiting_days=30,
        valid_from=today - timedelta(days=365),
        valid_to=today + timedelta(days=365),
    )
    credit.set_limit(ctx, policy.id, buyer.id, "150000.00", "EUR")

    def invoice(quantity: int, price: int, days_ago: int) -> CreditInvoiceRow:
        line = credit.InvoiceLine(quantity, price, "MUG-350-WHT", "Stoneware mug 350 ml, white")
        on = today - timedelta(days=days_ago)
        contract = f"RH-{on:%Y%m%d}"
        return credit.create_invoice(
            ctx, buyer.id, [line], terms_days=60, issued_on=on, contract_no=contract
        )

    claimed = invoice(2_000, 1_250, 120)  # 25,000.00 EUR, due 60 days ago
    overdue = invoice(1_000, 1_800, 75)  # 18,000.00 EUR, due 15 days ago
    issued = invoice(3_000, 1_500, 10)  # 45,000.00 EUR
    credit.mark_overdue(ctx)
    credit.claim(ctx, claimed.id, "the buyer stopped answering")
    held = invoice(8_000, 1_500, 0)  # 120,000.00 EUR: 183,000.00 would pass the limit
    return ExampleBook(buyer, policy, issued, held, overdue, claimed)


def demo_operator(session: Session, username: str) -> Actor:
    """The demo world's operator of that username, as an actor."""
    user = find_user(session, username)
    if user is None:  # pragma: no cover - the demo's operators exist once the world does
        raise RuntimeError(f"the demo operator {username!r} is missing")
    return actor_for(user)
