"""The chart of accounts, as data (data/finance/chart_of_accounts.json, with its source).

Every account is kept in one currency. The chart also maps each market to the accounts its
sales post to (payment clearing, revenue, duty and VAT/GST payable to that market's
authority), so a posting rule names a purpose, never an account code in code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chuhai.core.errors import NotFound
from chuhai.finance.tables import AccountRow

KINDS = ("asset", "liability", "equity", "revenue", "expense")
FUNCTIONAL_CURRENCY = "CNY"


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    kind: str
    currency: str
    purpose: str
    market: str | None = None
    authority: str | None = None


@dataclass(frozen=True)
class Chart:
    accounts: dict[str, Account]
    markets: dict[str, dict[str, str]]  # market -> purpose -> account code
    functional_currency: str

    def account(self, code: str, field: str = "account") -> Account:
        found = self.accounts.get(code)
        if found is None:
            raise NotFound(f"no ledger account {code!r}", field=field)
        return found

    def for_market(self, market: str, purpose: str) -> str | None:
        return self.markets.get(market, {}).get(purpose)

    def fx_trading(self, currency: str) -> str:
        return f"3900-{currency}"

    def bank(self, currency: str) -> str:
        return f"1300-{currency}"


@cache
def chart() -> Chart:
    """The packaged chart (read once per process)."""
    text = resources.files("chuhai.data").joinpath("finance/chart_of_accounts.json").read_text()
    raw: dict[str, Any] = json.loads(text)
    accounts = {item["code"]: _account(item) for item in raw["accounts"]}
    for market, purposes in raw["markets"].items():
        for purpose, code in purposes.items():
            if code not in accounts:
                raise ValueError(f"chart: market {market} {purpose} names no account {code}")
    return Chart(accounts, raw["markets"], raw["functional_currency"])


def _account(item: dict[str, Any]) -> Account:
    if item["kind"] not in KINDS:
        raise ValueError(f"chart: account {item['code']} has kind {item['kind']!r}")
    return Account(
        code=item["code"],
        name=item["name"],
        kind=item["kind"],
        currency=item["currency"],
        purpose=item["purpose"],
        market=item.get("market"),
        authority=item.get("authority"),
    )


def seed_accounts(session: Session, now: datetime) -> int:
    """Store the chart's accounts that are not stored yet (reference data)."""
    stored = set(session.scalars(select(AccountRow.code)))
    added = 0
    for account in chart().accounts.values():
        if account.code in stored:
            continue
        session.add(
            AccountRow(
                code=account.code,
                name=account.name,
                kind=account.kind,
                currency=account.currency,
                purpose=account.purpose,
                market_code=account.market,
                authority=account.authority,
                created_at=now,
            )
        )
        added += 1
    return added
