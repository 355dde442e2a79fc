"""The landed-cost kernel over arrays: a whole price book (every SKU × market × route) in one
pass of integer numpy arithmetic.

Each step mirrors `landed_cost._priced` line for line, with the same integer roundings, so
both give the same prices to the minor unit (the benchmark and a property test check it).
Columns are int64; intermediate products stay below 2^63 for unit costs up to about 9
million minor units (90,000 EUR, 9 million JPY); rows beyond that are priced by the scalar
kernel instead, in Python's unbounded integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chuhai.pricing.landed_cost import (
    BP,
    MICRO,
    MM3_PER_CBM,
    Breakdown,
    Inputs,
    landed_cost,
    regime_name,
)

Array = np.ndarray
SAFE_BASE = 9_000_000  # minor units; see the module docstring
ROUTE_CODES = {"9610": 0, "9810": 1, "9710": 2, "domestic": 3}
BASIS_CODES = {"none": 0, "kg": 1, "cbm": 2}
ROUNDING_CODES = {"none": 0, "whole": 1, "charm99": 2}


def _floor_div(numerator: Array, denominator: Array | int) -> Array:
    """Exact floor division of int64 arrays. numpy's integer `//` is a slow scalar loop, so
    the quotient is estimated in float64 (off by at most one) and corrected exactly with the
    integer remainder."""
    quotient = np.floor(numerator / denominator).astype(np.int64)
    remainder = numerator - quotient * denominator
    return quotient - (remainder < 0) + (remainder >= denominator)


def _half_up(numerator: Array, denominator: Array | int) -> Array:
    return _floor_div(2 * numerator + denominator, 2 * denominator)


def _up(numerator: Array, denominator: Array | int) -> Array:
    return -_floor_div(-numerator, denominator)


@dataclass
class Columns:
    """One column per field of `Inputs` (and of its Haul and Regime), as int64 arrays."""

    values: dict[str, Array]

    @classmethod
    def of(cls, rows: Sequence[Inputs]) -> Columns:
        def column(get) -> Array:  # type: ignore[no-untyped-def]
            return np.fromiter((get(r) for r in rows), dtype=np.int64, count=len(rows))

        return cls(
            {
                "route": column(lambda r: ROUTE_CODES[r.route]),
                "supply_fen": column(lambda r: r.supply_fen),
                "weight_g": column(lambda r: r.weight_g),
                "volume_mm3": column(lambda r: r.volume_mm3),
                "fx_micro": column(lambda r: r.fx_micro),
                "first_mile_per_kg_fen": column(lambda r: r.first_mile_per_kg_fen),
                "haul_basis": column(lambda r: BASIS_CODES[r.haul.basis]),
                "haul_rate": column(lambda r: r.haul.rate_fen),
                "haul_per_shipment": column(lambda r: r.haul.per_shipment_fen),
                "haul_units": column(lambda r: max(r.haul.shipment_units, 1)),
                "haul_divisor": column(lambda r: r.haul.volumetric_divisor or 0),
                "last_mile": column(lambda r: r.last_mile),
                "handling": column(lambda r: r.handling),
                "duty_bp": column(lambda r: r.regime.duty_bp),
                "vat_bp": column(lambda r: r.regime.vat_bp),
                "threshold": column(
                    lambda r: (
                        -1 if r.regime.low_value_threshold is None else r.regime.low_value_threshold
                    )
                ),
                "duty_relief": column(lambda r: r.regime.duty_relief),
                "flat_duty": column(lambda r: r.regime.flat_duty_per_item),
                "vat_at_sale": column(lambda r: r.regime.vat_at_sale),
                "tax_free": column(lambda r: r.regime.tax_free),
                "cif": column(lambda r: r.regime.cif),
                "vat_adds_freight": column(lambda r: r.regime.vat_base_adds_freight),
                "margin_bp": column(lambda r: r.margin_bp),
                "returns_bp": column(lambda r: r.returns_bp),
                "fee_bp": column(lambda r: r.payment_fee_bp),
                "fee_fixed": column(lambda r: r.payment_fee_fixed),
                "fx_buffer_bp": column(lambda r: r.fx_buffer_bp),
                "tax_inclusive": column(lambda r: r.tax_inclusive),
                "rounding": column(lambda r: ROUNDING_CODES[r.rounding]),
                "exponent": column(lambda r: r.exponent),
            }
        )

    def slice(self, start: int, stop: int) -> Columns:
        return Columns({name: values[start:stop] for name, values in self.values.items()})

    def take(self, rows: Array) -> Columns:
        return Columns({name: values[rows] for name, values in self.values.items()})

    def __getitem__(self, name: str) -> Array:
        return self.values[name]

    def __len__(self) -> int:
        return len(self.values["route"])


CHUNK = 32_768  # rows per pass: the temporaries stay in the processor's cache
LINE_NAMES = (
    "supply",
    "first_mile",
    "line_haul",
    "last_mile",
    "handling",
    "fx_buffer",
    "duty",
    "import_vat",
    "sales_vat",
    "payment_fee",
    "returns_allowance",
    "landed_cost",
    "margin",
    "net_price",
    "price",
    "due_on_import",
)


def price_columns(c: Columns) -> dict[str, Array]:
    """Every breakdown line for every row; the low-value regime where the price allows."""
    n = len(c)
    out = {name: np.empty(n, dtype=np.int64) for name in LINE_NAMES}
    out["low_value"] = np.empty(n, dtype=bool)
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        _price_chunk(c.slice(start, stop), {k: v[start:stop] for k, v in out.items()})
    return out


def _price_chunk(c: Columns, out: dict[str, Array]) -> None:
    """Parcels with a threshold are priced under the low-value regime first; those over it,
    and every other row, under the full regime. Each row is computed once or twice."""
    parcels = np.flatnonzero((c["route"] == ROUTE_CODES["9610"]) & (c["threshold"] >= 0))
    low = _lines(c.take(parcels), low_value=True)
    fits = low["net_price"] <= c["threshold"][parcels]
    low_rows = parcels[fits]
    rest = np.ones(len(c), dtype=bool)
    rest[low_rows] = False
    full_rows = np.flatnonzero(rest)
    full = _lines(c.take(full_rows), low_value=False)
    for name in LINE_NAMES:
        out[name][low_rows] = low[name][fits]
        out[name][full_rows] = full[name]
    out["low_value"][:] = ~rest


def _lines(c: Columns, low_value: bool) -> dict[str, Array]:
    route = c["route"]
    supply = _half_up(c["supply_fen"] * c["fx_micro"], MICRO)
    first_mile_fen = _half_up(c["first_mile_per_kg_fen"] * c["weight_g"], 1000)
    first_mile = _half_up(first_mile_fen * c["fx_micro"], MICRO)
    haul = _half_up(_haul_fen(c) * c["fx_micro"], MICRO)
    on_stock = (route == ROUTE_CODES["9810"]) | (route == ROUTE_CODES["domestic"])
    last_mile = np.where(on_stock, c["last_mile"], 0)
    handling = np.where(route == ROUTE_CODES["9810"], c["handling"], 0)
    fx_buffer = _half_up((supply + first_mile + haul) * c["fx_buffer_bp"], BP)
    goods_value = supply + first_mile + np.where(c["cif"] == 1, haul, 0)

    duty_bp, vat_bp, fixed_duty = _charges(c, low_value, goods_value)
    base = supply + first_mile + haul + last_mile + handling + fx_buffer + fixed_duty
    price_factor = (BP + duty_bp) * (BP + vat_bp)
    k = (c["margin_bp"] + c["returns_bp"]) * BP * BP + c["fee_bp"] * price_factor
    scale = BP**3
    net = _up((base + c["fee_fixed"]) * scale, scale - k)

    inclusive = (c["tax_inclusive"] == 1) | (vat_bp == 0)
    shown = np.where(inclusive, _up(net * price_factor, BP * BP), _up(net * (BP + duty_bp), BP))
    price = _round(shown, c["rounding"], c["exponent"])
    net_inclusive = _half_up(price * BP * BP, price_factor)
    duty_inclusive = _half_up(net_inclusive * duty_bp, BP)
    net_exclusive = _half_up(price * BP, BP + duty_bp)
    net = np.where(inclusive, net_inclusive, net_exclusive)
    duty = np.where(inclusive, duty_inclusive, price - net_exclusive)
    vat = np.where(inclusive, price - net - duty, _half_up((net + duty) * vat_bp, BP))
    vat_in_price = np.where(inclusive, vat, 0)
    payment_fee = _half_up(price * c["fee_bp"], BP) + c["fee_fixed"]
    returns = _half_up(net * c["returns_bp"], BP)
    at_sale = on_stock | ((c["vat_at_sale"] == 1) if low_value else False)
    landed = (
        supply
        + first_mile
        + haul
        + last_mile
        + handling
        + fx_buffer
        + fixed_duty
        + duty
        + vat_in_price
        + payment_fee
        + returns
    )
    return {
        "supply": supply,
        "first_mile": first_mile,
        "line_haul": haul,
        "last_mile": last_mile,
        "handling": handling,
        "fx_buffer": fx_buffer,
        "duty": duty + fixed_duty,
        "import_vat": np.where(at_sale, 0, vat),
        "sales_vat": np.where(at_sale, vat, 0),
        "payment_fee": payment_fee,
        "returns_allowance": returns,
        "landed_cost": landed,
        "margin": price - landed,
        "net_price": net,
        "price": price,
        "due_on_import": _dap(c, goods_value, haul)
        if np.any(route == ROUTE_CODES["9710"])
        else np.zeros(len(route), dtype=np.int64),
    }


def _haul_fen(c: Columns) -> Array:
    shared = _half_up(c["haul_per_shipment"], c["haul_units"])
    divisor = np.maximum(c["haul_divisor"], 1)
    volumetric = np.where(c["haul_divisor"] > 0, _up(c["volume_mm3"], divisor), 0)
    by_kg = _half_up(c["haul_rate"] * np.maximum(c["weight_g"], volumetric), 1000) + shared
    chargeable_mm3 = np.maximum(c["volume_mm3"], c["weight_g"] * 1000)
    by_cbm = _half_up(c["haul_rate"] * chargeable_mm3, MM3_PER_CBM) + shared
    basis = c["haul_basis"]
    return np.where(
        basis == BASIS_CODES["kg"], by_kg, np.where(basis == BASIS_CODES["cbm"], by_cbm, 0)
    )


def _charges(c: Columns, low_value: bool, goods_value: Array) -> tuple[Array, Array, Array]:
    route = c["route"]
    parcel = route == ROUTE_CODES["9610"]
    if low_value:  # only parcels come here
        relieved = (c["duty_relief"] == 1) | (c["flat_duty"] > 0)
        duty_bp = np.where(relieved, 0, c["duty_bp"])
        vat_bp = np.where(c["tax_free"] == 1, 0, c["vat_bp"])
        return duty_bp, vat_bp, c["flat_duty"]
    duty_bp = np.where(parcel, c["duty_bp"], 0)
    vat_bp = np.where(route == ROUTE_CODES["9710"], 0, c["vat_bp"])
    fixed = np.where(route == ROUTE_CODES["9810"], _half_up(goods_value * c["duty_bp"], BP), 0)
    return duty_bp, vat_bp, fixed


def _dap(c: Columns, goods_value: Array, haul: Array) -> Array:
    duty = _half_up(goods_value * c["duty_bp"], BP)
    # the freight joins the VAT base only where the country says so (AU) and valuation is FOB
    freight = np.where((c["vat_adds_freight"] == 1) & (c["cif"] == 0), haul, 0)
    vat = _half_up((goods_value + duty + freight) * c["vat_bp"], BP)
    return np.where(c["route"] == ROUTE_CODES["9710"], duty + vat, 0)


def _round(amount: Array, rule: Array, exponent: Array) -> Array:
    unit = 10**exponent
    whole = _up(amount, unit) * unit
    charm = _up(amount + 1, unit) * unit - 1
    charm = np.where(exponent == 0, whole, charm)
    return np.where(
        rule == ROUNDING_CODES["whole"],
        whole,
        np.where(rule == ROUNDING_CODES["charm99"], charm, amount),
    )


def price_many(rows: Sequence[Inputs]) -> list[Breakdown]:
    """Breakdowns for many rows at once; the same as `landed_cost` row by row."""
    if not rows:
        return []
    safe = [i for i, r in enumerate(rows) if _within_bounds(r)]
    results: list[Breakdown | None] = [None] * len(rows)
    if safe:
        lines = price_columns(Columns.of([rows[i] for i in safe]))
        for position, index in enumerate(safe):
            results[index] = _breakdown(rows[index], lines, position)
    for index, row in enumerate(rows):
        if results[index] is None:
            results[index] = landed_cost(row)
    return [r for r in results if r is not None]


def _within_bounds(row: Inputs) -> bool:
    """Whether the price's costs, times the kernel's 10^12 scale, fit in int64."""
    from chuhai.pricing.landed_cost import convert, first_mile_fen, line_haul_fen

    goods = convert(row.supply_fen + first_mile_fen(row) + line_haul_fen(row), row.fx_micro)
    surcharges = BP + row.fx_buffer_bp + row.regime.duty_bp  # FX buffer and duty fixed in advance
    costs = goods * surcharges // BP + row.last_mile + row.handling
    return costs + row.regime.flat_duty_per_item + row.payment_fee_fixed + 1 < SAFE_BASE


def _breakdown(row: Inputs, lines: dict[str, Array], i: int) -> Breakdown:
    low_value = bool(lines["low_value"][i])
    notes: tuple[str, ...] = ()
    if row.route == "9610" and row.regime.low_value_threshold is not None and not low_value:
        notes = (f"over the low-value threshold ({row.regime.low_value_threshold})",)
    return Breakdown(
        **{
            name: int(lines[name][i])
            for name in (
                "supply",
                "first_mile",
                "line_haul",
                "last_mile",
                "handling",
                "fx_buffer",
                "duty",
                "import_vat",
                "sales_vat",
                "payment_fee",
                "returns_allowance",
                "landed_cost",
                "margin",
                "net_price",
                "price",
                "due_on_import",
            )
        },
        regime=regime_name(row, low_value=low_value),
        notes=notes,
    )
