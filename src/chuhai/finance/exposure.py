"""FX exposure by currency on a day, before and after hedges, with historical-simulation VaR.

Per currency (ledger balances up to the day, minor units of the currency):
    receivables = accounts with purpose clearing, trade_receivable, insurer_receivable
    cash        = purpose bank
    payables    = purposes tax_payable, duty_payable, supplier_payable, accrued_costs
                  (credit balances: negative positions)
    committed   = open stock-up orders at supply price, handed in by the door (negative)
    before      = receivables + cash + payables − committed
    hedges      = open forwards' signed notional (a sell is negative)
    net         = before + hedges, and in CNY at the day's rate (rate_on: stale refused)

Value at risk, historical simulation over the ECB reference rates in the rates table: for
each currency the X→CNY rate of each ECB day (EUR→CNY / EUR→X); the move of day t is
rate_t / rate_{t−1} − 1; the last `lookback` moves on or before the day whose every
currency has a rate are the scenarios. A scenario's P&L = Σ net CNY value × move. The
1-day VaR at α is the loss of the k-th worst scenario, k = ceil(n × (1 − α)) (n = 500:
the 25th worst at 95%, the 5th at 99%); the 10-day VaR is the 1-day VaR × √10 (square root
of time, which assumes independent, identically distributed days). All in Decimal, each
figure rounded to the fen once.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from sqlalchemy import select
from sqlalchemy.orm import Session

from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.core.money import currency_exponent
from chuhai.finance import hedges, ledger
from chuhai.finance import service as fx
from chuhai.finance.accounts import chart
from chuhai.finance.fx import ECB, FxRate
from chuhai.finance.tables import FxRateRow

CNY = "CNY"
RECEIVABLE = frozenset({"clearing", "trade_receivable", "insurer_receivable"})
CASH = frozenset({"bank"})
PAYABLE = frozenset({"tax_payable", "duty_payable", "supplier_payable", "accrued_costs"})
DEFAULT_LOOKBACK = 500  # business days (ECB publication days)
MAX_LOOKBACK = 5000
CONFIDENCES = (Decimal("0.95"), Decimal("0.99"))
HORIZON_DAYS = 10


@dataclass(frozen=True)
class CurrencyExposure:
    currency: str
    receivables: int  # minor units of `currency`
    cash: int
    payables: int  # negative
    committed: int  # negative
    hedges: int  # signed
    rate: FxRate  # currency→CNY on the day
    net_cny_before: int  # fen
    net_cny: int  # fen, after hedges

    @property
    def before_hedges(self) -> int:
        return self.receivables + self.cash + self.payables + self.committed

    @property
    def net(self) -> int:
        return self.before_hedges + self.hedges


@dataclass(frozen=True)
class ValueAtRisk:
    scenarios: int
    lookback: int  # asked for
    first_day: date | None  # the window of moves
    last_day: date | None
    one_day: dict[str, int]  # "95" / "99" -> fen (a loss, positive)
    ten_day: dict[str, int]  # by √10


@dataclass(frozen=True)
class ExposureReport:
    on: date
    rows: list[CurrencyExposure]
    var_before: ValueAtRisk
    var_after: ValueAtRisk
    no_history: list[str] = field(default_factory=list)  # positions with no ECB history

    @property
    def net_cny_before(self) -> int:
        return sum(row.net_cny_before for row in self.rows)

    @property
    def net_cny(self) -> int:
        return sum(row.net_cny for row in self.rows)


def report(
    ctx: Context,
    on: date | None = None,
    *,
    committed: Mapping[str, int] | None = None,
    lookback: int = DEFAULT_LOOKBACK,
) -> ExposureReport:
    """The exposure on `on` (today), treasury.read.

    Args:
        committed: currency -> minor units committed on open purchase orders (the doors ask
            inventory.commitments; finance may not).
    """
    ctx.actor.require("treasury.read")
    if (
        isinstance(lookback, bool)
        or not isinstance(lookback, int)
        or not 2 <= lookback <= MAX_LOOKBACK
    ):
        raise ValidationFailed.one("lookback", f"between 2 and {MAX_LOOKBACK} business days")
    on = on or ctx.now().date()
    positions = _ledger_positions(ctx.session, on)
    for currency, amount in (committed or {}).items():
        positions[currency]["committed"] -= amount
    for currency, amount in hedges.hedge_positions(ctx.session, on).items():
        positions[currency]["hedges"] += amount
    rows = [
        _row(ctx, currency, parts, on)
        for currency, parts in sorted(positions.items())
        if any(parts.values())
    ]
    foreign_before = {
        r.currency: _cny_value(r.before_hedges, r.rate) for r in rows if r.currency != CNY
    }
    foreign_after = {r.currency: _cny_value(r.net, r.rate) for r in rows if r.currency != CNY}
    wanted = set(foreign_before) | set(foreign_after)
    history = cny_history(ctx.session, wanted, on)
    no_history = sorted(c for c in wanted if not history.get(c))
    return ExposureReport(
        on=on,
        rows=rows,
        var_before=value_at_risk(_priced(foreign_before, no_history), history, lookback),
        var_after=value_at_risk(_priced(foreign_after, no_history), history, lookback),
        no_history=no_history,
    )


def _priced(values: dict[str, Decimal], no_history: list[str]) -> dict[str, Decimal]:
    return {c: v for c, v in values.items() if c not in no_history and v}


def _ledger_positions(session: Session, on: date) -> dict[str, dict[str, int]]:
    positions: dict[str, dict[str, int]] = defaultdict(
        lambda: {"receivables": 0, "cash": 0, "payables": 0, "committed": 0, "hedges": 0}
    )
    accounts = chart().accounts
    for code, amount in ledger.balances(session, on=on).items():
        account = accounts.get(code)
        if account is None:
            continue
        if account.purpose in RECEIVABLE:
            positions[account.currency]["receivables"] += amount
        elif account.purpose in CASH:
            positions[account.currency]["cash"] += amount
        elif account.purpose in PAYABLE:
            positions[account.currency]["payables"] += amount
    return positions


def _row(ctx: Context, currency: str, parts: dict[str, int], on: date) -> CurrencyExposure:
    rate = fx.rate_on(ctx, currency, CNY, on)
    before = parts["receivables"] + parts["cash"] + parts["payables"] + parts["committed"]
    return CurrencyExposure(
        currency=currency,
        receivables=parts["receivables"],
        cash=parts["cash"],
        payables=parts["payables"],
        committed=parts["committed"],
        hedges=parts["hedges"],
        rate=rate,
        net_cny_before=_fen(_cny_value(before, rate)),
        net_cny=_fen(_cny_value(before + parts["hedges"], rate)),
    )


def _cny_value(amount_minor: int, rate: FxRate) -> Decimal:
    """Unrounded fen."""
    shift = currency_exponent(CNY) - currency_exponent(rate.base)
    return (Decimal(amount_minor) * rate.rate).scaleb(shift)


def _fen(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- history and VaR --------------------------------------------------------------------------


def cny_history(
    session: Session, currencies: Iterable[str], on: date, lookback: int = MAX_LOOKBACK
) -> dict[str, dict[date, Decimal]]:
    """Currency -> ECB day -> X→CNY rate (EUR→CNY / EUR→X), for days on or before `on`."""
    wanted = set(currencies)
    if not wanted:
        return {}
    first = on - timedelta(days=lookback * 2 + 30)  # business days are ~5 in 7
    query = select(FxRateRow.rate_date, FxRateRow.quote, FxRateRow.rate).where(
        FxRateRow.source == ECB,
        FxRateRow.base == "EUR",
        FxRateRow.quote.in_(wanted | {CNY}),
        FxRateRow.rate_date.between(first, on),
    )
    per_day: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for day, quote, rate in session.execute(query):
        per_day[day][quote] = Decimal(rate)
    history: dict[str, dict[date, Decimal]] = {c: {} for c in wanted}
    with localcontext() as exact:
        exact.prec = 34
        for day, quotes in per_day.items():
            cny = quotes.get(CNY)
            if cny is None:
                continue
            for currency in wanted:
                if currency == "EUR":
                    history[currency][day] = cny
                elif currency in quotes:
                    history[currency][day] = cny / quotes[currency]
    return history


def value_at_risk(
    positions: Mapping[str, Decimal],
    history: Mapping[str, Mapping[date, Decimal]],
    lookback: int = DEFAULT_LOOKBACK,
) -> ValueAtRisk:
    """Historical-simulation VaR of CNY-valued positions (unrounded fen) under past moves."""
    if not positions:
        return ValueAtRisk(0, lookback, None, None, {}, {})
    days = sorted(set.intersection(*(set(history[c]) for c in positions)))[-(lookback + 1) :]
    with localcontext() as exact:
        exact.prec = 34
        scenarios = [
            sum(
                (
                    value * (history[c][today] / history[c][yesterday] - 1)
                    for c, value in positions.items()
                ),
                Decimal(0),
            )
            for yesterday, today in zip(days, days[1:], strict=False)
        ]
        if not scenarios:
            return ValueAtRisk(0, lookback, None, None, {}, {})
        scenarios.sort()
        one_day = {}
        ten_day = {}
        for confidence in CONFIDENCES:
            k = math.ceil(len(scenarios) * (1 - confidence))
            loss = max(Decimal(0), -scenarios[max(k, 1) - 1])
            label = str(int(confidence * 100))
            one_day[label] = _fen(loss)
            ten_day[label] = _fen(loss * Decimal(HORIZON_DAYS).sqrt())
    return ValueAtRisk(len(scenarios), lookback, days[1], days[-1], one_day, ten_day)
