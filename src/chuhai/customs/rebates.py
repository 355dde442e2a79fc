"""Export VAT rebate estimates (出口退税), without I/O.

For goods bought from a VAT-registered factory against a special VAT invoice, the rebate is
the purchase value without VAT times the rebate rate of the goods' HS code:

    rebate = purchase value incl. VAT ÷ (1 + VAT rate) × rebate rate

in CNY fen, rounded once, half up, per goods line (a line is one item of the rebate claim);
a declaration's estimate is the sum of its lines' rounded amounts. Rebate rates and the VAT
rate are dated data (`data/customs/export_rebates.json`, operators add more): the rate in
force on the export date applies, and among rates in force the longest matching HS prefix
wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any

from chuhai.customs.declarations import Declaration, GoodsLine, Kind


@dataclass(frozen=True)
class RebateRate:
    id: str
    hs_prefix: str
    rate: Decimal  # 0.13 for 13%
    effective_from: date
    effective_to: date | None  # inclusive; None while in force
    description: str
    source: str

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def covers(self, hs_code: str, on: date) -> bool:
        return hs_code.startswith(self.hs_prefix) and self.in_force(on)


@dataclass(frozen=True)
class VatRate:
    rate: Decimal
    effective_from: date
    effective_to: date | None
    source: str


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@cache
def _data() -> dict[str, Any]:
    path = resources.files("chuhai.data") / "customs" / "export_rebates.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def rate_of(entry: dict[str, Any]) -> RebateRate:
    return RebateRate(
        id=entry["id"],
        hs_prefix=entry["hs_prefix"],
        rate=Decimal(entry["rate"]),
        effective_from=date.fromisoformat(entry["effective_from"]),
        effective_to=_date(entry.get("effective_to")),
        description=entry["description"],
        source=entry["source"],
    )


def packaged_rebate_rates() -> list[RebateRate]:
    """The rebate rates chuhai ships (a representative subset of the STA library)."""
    return [rate_of(e) for e in _data()["rebate_rates"]]


def rebate_data_scope() -> str:
    return f"{_data()['scope']} Reviewed through {_data()['reviewed_through']}."


def vat_rates() -> list[VatRate]:
    return [
        VatRate(
            Decimal(e["rate"]),
            date.fromisoformat(e["effective_from"]),
            _date(e["effective_to"]),
            e["source"],
        )
        for e in _data()["vat_rates"]
    ]


def vat_rate_on(on: date) -> VatRate:
    for entry in vat_rates():
        if entry.effective_from <= on and (entry.effective_to is None or on <= entry.effective_to):
            return entry
    raise LookupError(f"no VAT rate in force on {on}")


def rebate_rate_for(hs_code: str, on: date, rates: Iterable[RebateRate]) -> RebateRate | None:
    """The rate for an HS code on a date: the longest prefix among the rates in force."""
    matching = [r for r in rates if hs_code and r.covers(hs_code, on)]
    return max(matching, key=lambda r: len(r.hs_prefix), default=None)


def overlapping(new: RebateRate, existing: Iterable[RebateRate]) -> list[RebateRate]:
    """Rates for the same prefix whose periods intersect the new one's."""
    far = date.max
    return [
        r
        for r in existing
        if r.hs_prefix == new.hs_prefix
        and r.effective_from <= (new.effective_to or far)
        and new.effective_from <= (r.effective_to or far)
    ]


def rebate_fen(purchase_incl_vat_fen: int, rate: Decimal, vat_rate: Decimal) -> int:
    """purchase ÷ (1 + VAT) × rate, in fen, rounded once (half up)."""
    exact = Decimal(purchase_incl_vat_fen) / (1 + vat_rate) * rate
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LineRebate:
    line_no: int
    hs_code: str
    sku_id: str | None
    purchase_value_cny_minor: int | None
    rate: RebateRate | None
    vat_rate: Decimal
    rebate_cny_minor: int | None  # None when it cannot be estimated (see note)
    note: str = ""


def estimate_line(line: GoodsLine, on: date, rates: Iterable[RebateRate]) -> LineRebate:
    vat = vat_rate_on(on).rate
    rate = rebate_rate_for(line.hs_code, on, rates)

    def result(amount: int | None, note: str = "") -> LineRebate:
        return LineRebate(
            line.line_no,
            line.hs_code,
            line.sku_id,
            line.purchase_value_cny_minor,
            rate,
            vat,
            amount,
            note,
        )

    if not line.vat_invoiced:
        return result(0, "no special VAT invoice from the factory: exempt, no rebate (免税不退)")
    if line.purchase_value_cny_minor is None:
        return result(None, "no purchase value: use a SKU or give purchase_value_cny")
    if rate is None:
        return result(None, f"no rebate rate for HS {line.hs_code} on {on} in the rate library")
    return result(rebate_fen(line.purchase_value_cny_minor, rate.rate, vat))


def estimate_sku(
    hs_code: str, supply_price_fen: int, quantity: int, on: date, rates: Iterable[RebateRate]
) -> LineRebate:
    """The rebate on `quantity` units of a SKU bought at its supply price (VAT included)."""
    line = GoodsLine(
        line_no=1,
        description="",
        hs_code=hs_code,
        quantity=quantity,
        unit="PCS",
        unit_price_minor=0,
        value_minor=0,
        currency="CNY",
        origin_country="CN",
        net_weight_g=0,
        purchase_value_cny_minor=supply_price_fen * quantity,
    )
    return estimate_line(line, on, rates)


@dataclass(frozen=True)
class RebateEstimate:
    on: date
    vat_rate: Decimal
    lines: tuple[LineRebate, ...]
    total_cny_minor: int  # the sum of the lines that could be estimated
    complete: bool  # every line could be estimated
    eligible: bool  # this declaration is itself the basis of a rebate claim
    note: str


def eligibility(declaration: Declaration) -> tuple[bool, str]:
    """Whether the declaration is itself the basis of a rebate claim, and why (not)."""
    if declaration.mode == "9610" and declaration.kind == Kind.PARCEL:
        return False, (
            "a 9610 parcel is not itself claimed: its goods are claimed on the month's "
            "consolidated declaration"
        )
    if declaration.mode == "1210" and declaration.bonded and declaration.bonded.direction == "exit":
        return (
            False,
            "the goods were deemed exported, and rebated, when they entered the bonded warehouse",
        )
    if declaration.mode == "1210":
        return True, "export is deemed on entry into the bonded warehouse"
    return True, "claimable once the declaration is cleared"


def estimate_declaration(
    declaration: Declaration, on: date, rates: Iterable[RebateRate]
) -> RebateEstimate:
    rates = list(rates)
    lines = tuple(estimate_line(line, on, rates) for line in declaration.lines)
    eligible, note = eligibility(declaration)
    return RebateEstimate(
        on=on,
        vat_rate=vat_rate_on(on).rate,
        lines=lines,
        total_cny_minor=sum(x.rebate_cny_minor or 0 for x in lines),
        complete=all(x.rebate_cny_minor is not None for x in lines),
        eligible=eligible,
        note=note,
    )
