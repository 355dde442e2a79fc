"""Shared by the treasury tests: a fixed clock and rates to CNY for chosen days."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chuhai.core.clock import FixedClock
from chuhai.finance import service as finance
from chuhai.finance.hedges import ForwardDraft


def at_day(clock: FixedClock, day: date) -> None:
    clock.advance(datetime(day.year, day.month, day.day, 4, tzinfo=UTC) - clock.now())


def rates_to_cny(at, world, rates: dict[date, dict[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """X→CNY rates per day through the finance service's CSV import."""
    lines = ["date,base,quote,rate"] + [
        f"{day.isoformat()},{currency},CNY,{rate}"
        for day, per_currency in rates.items()
        for currency, rate in per_currency.items()
    ]
    with at(world["finance"]) as ctx:
        report = finance.import_rates_csv(ctx, "rates.csv", "\n".join(lines).encode())
        assert report.ok, report.errors


def sell_usd(notional: str = "10000.00", rate: str = "7.25", **changes: object) -> ForwardDraft:
    values: dict[str, object] = dict(
        counterparty="Bank of China Yiwu",
        sell_currency="USD",
        buy_currency="CNY",
        notional=notional,
        contract_rate=rate,
        trade_date=date(2026, 10, 10),
        value_date=date(2026, 12, 31),
    )
    values.update(changes)
    return ForwardDraft(**values)  # type: ignore[arg-type]
