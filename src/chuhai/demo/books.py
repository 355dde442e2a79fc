"""The demo world's books for its week of trade, kept through the finance services.

The storefront's orders and the stock-up receipts post their own entries (events). On top
of them finance does what a week's close asks: the owners' opening capital, the payment
provider's remittance of each market's takings into the bank in that currency, euros
converted into yuan, the suppliers' weekly settlement (run, approved, paid through the
sandbox bank), a forward contract that sells part of the dollar position, and a B2B (9710)
buyer insured by an export credit policy with an invoice held over its limit, one paid and
one overdue. Runs once: a second `chuhai demo` finds the settlement run and stops.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from chuhai.core.auth import Actor
from chuhai.core.clock import FixedClock
from chuhai.core.context import Context
from chuhai.core.db import Database
from chuhai.core.money import Money
from chuhai.core.settings import Settings
from chuhai.finance import ledger, settlement
from chuhai.finance.accounts import chart
from chuhai.finance.ledger import Line
from chuhai.parties.service import actor_for, find_user

OPENING_CAPITAL = Money(5_000_000_00, "CNY")
EUR_CONVERTED_SHARE = 2  # half the euro takings are sold for yuan


def keep_the_books(db: Database, settings: Settings, now: datetime) -> None:
    with db.unit_of_work() as uow:
        session = uow.session
        finance = Context(session, _operator(session, "finance"), FixedClock(now), settings)
        if settlement.list_runs(finance, limit=1):
            return
        today = now.date()
        _pay_in_capital(finance, today - timedelta(days=60))
        _remit_takings(finance, today)
        _pay_the_suppliers(finance, today)
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


def _operator(session: Session, username: str) -> Actor:
    user = find_user(session, username)
    if user is None:  # pragma: no cover - the demo's operators exist once the world does
        raise RuntimeError(f"the demo operator {username!r} is missing")
    return actor_for(user)
