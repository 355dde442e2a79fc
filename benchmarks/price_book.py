"""Price-book build: SKU × market pairs priced per second by the array kernel, for 1,000,000
pairs, next to a straightforward per-pair Python implementation of the same arithmetic (the
scalar kernel, one `landed_cost` call per pair) run in the same process on a 20,000-pair
slice. Both must give identical prices on the slice.

The catalog is synthetic but shaped like the demo's (supply prices, weights and sizes of
small consumer goods) across the seeded markets and both cross-border routes, with the
packaged rules of 2026-11-28 (duty, VAT, thresholds, rate cards, last-mile bands).

    python benchmarks/price_book.py [--pairs 1000000] [--slice 20000]

The last line printed is one JSON object: pairs, pairs_per_s, baseline_pairs_per_s, ratio,
peak_mib (traced allocations of the array build), identical.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from datetime import date

import numpy as np

from chuhai.pricing.landed_cost import Haul, Inputs, Regime, fx_micro_of, landed_cost
from chuhai.pricing.price_book import (
    BASIS_CODES,
    ROUNDING_CODES,
    ROUTE_CODES,
    Columns,
    price_columns,
)
from chuhai.pricing.rules import RuleBook, packaged_market_pricing, packaged_rules

ON = date(2026, 11, 28)
MARKETS = {
    "US": ("USD", "0.1400", 2, False),
    "GB": ("GBP", "0.1100", 2, True),
    "DE": ("EUR", "0.1300", 2, True),
    "FR": ("EUR", "0.1300", 2, True),
    "JP": ("JPY", "21.00", 0, True),
    "AU": ("AUD", "0.2150", 2, True),
}
HS_CODES = ["640399", "611020", "420292", "851830", "940360", "950300", "732393", "711719"]


def market_rows() -> list[dict]:
    """Per market × route × HS code: the rule-derived constants of the kernel's inputs."""
    rules, areas = packaged_rules()
    book = RuleBook(rules, ON, areas)
    policies = {p["market_code"]: p for p in packaged_market_pricing()}
    rows = []
    for market, (_currency, rate, exponent, inclusive) in MARKETS.items():
        policy = policies[market]
        for route in ("9610", "9810"):
            haul = book.haul(route, market)
            for hs in HS_CODES:
                regime, _ = book.import_regime(market, "CN", hs, "home")
                rows.append(
                    {
                        "market": market,
                        "route": route,
                        "haul": haul,
                        "regime": regime,
                        "fx_micro": fx_micro_of(rate, exponent),
                        "exponent": exponent,
                        "inclusive": inclusive,
                        "policy": policy,
                        "first_mile": book.haul("first_mile", market).rate_fen,
                        "bands": sorted(
                            (r.data["max_weight_g"], r.data["price"])
                            for r in book.by_kind["last_mile"]
                            if r.data["market_code"] == market
                        ),
                    }
                )
    return rows


def synthetic_columns(pairs: int, seed: int = 11) -> Columns:
    rng = np.random.default_rng(seed)
    combos = market_rows()
    pick = rng.integers(0, len(combos), pairs)
    weight = rng.integers(80, 4000, pairs)
    lengths = rng.integers(50, 450, (3, pairs))
    values: dict[str, np.ndarray] = {
        "supply_fen": rng.integers(300, 60000, pairs),
        "weight_g": weight,
        "volume_mm3": lengths[0] * lengths[1] * lengths[2],
    }

    def per_combo(get) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.array([get(c) for c in combos], dtype=np.int64)[pick]

    values |= {
        "route": per_combo(lambda c: ROUTE_CODES[c["route"]]),
        "fx_micro": per_combo(lambda c: c["fx_micro"]),
        "first_mile_per_kg_fen": per_combo(lambda c: c["first_mile"]),
        "haul_basis": per_combo(lambda c: BASIS_CODES[c["haul"].basis]),
        "haul_rate": per_combo(lambda c: c["haul"].rate_fen),
        "haul_per_shipment": per_combo(lambda c: c["haul"].per_shipment_fen),
        "haul_units": per_combo(lambda c: c["haul"].shipment_units),
        "haul_divisor": per_combo(lambda c: c["haul"].volumetric_divisor or 0),
        "handling": per_combo(lambda c: c["policy"]["handling"]),
        "duty_bp": per_combo(lambda c: c["regime"].duty_bp),
        "vat_bp": per_combo(lambda c: c["regime"].vat_bp),
        "threshold": per_combo(
            lambda c: (
                -1 if c["regime"].low_value_threshold is None else c["regime"].low_value_threshold
            )
        ),
        "duty_relief": per_combo(lambda c: c["regime"].duty_relief),
        "flat_duty": per_combo(lambda c: c["regime"].flat_duty_per_item),
        "vat_at_sale": per_combo(lambda c: c["regime"].vat_at_sale),
        "tax_free": per_combo(lambda c: c["regime"].tax_free),
        "cif": per_combo(lambda c: c["regime"].cif),
        "vat_adds_freight": per_combo(lambda c: c["regime"].vat_base_adds_freight),
        "margin_bp": per_combo(lambda c: c["policy"]["margin_bp"]),
        "returns_bp": per_combo(lambda c: c["policy"]["returns_bp"]),
        "fee_bp": per_combo(lambda c: c["policy"]["payment_fee_bp"]),
        "fee_fixed": per_combo(lambda c: c["policy"]["payment_fee_fixed"]),
        "fx_buffer_bp": per_combo(lambda c: c["policy"]["fx_buffer_bp"]),
        "tax_inclusive": per_combo(lambda c: c["inclusive"]),
        "rounding": per_combo(lambda c: ROUNDING_CODES[c["policy"]["rounding"]]),
        "exponent": per_combo(lambda c: c["exponent"]),
    }
    # the last-mile band for each weight, per market
    last_mile = np.zeros(pairs, dtype=np.int64)
    for index, combo in enumerate(combos):
        rows = pick == index
        limits = np.array([w for w, _ in combo["bands"]])
        prices = np.array([p for _, p in combo["bands"]])
        last_mile[rows] = prices[np.searchsorted(limits, weight[rows])]
    values["last_mile"] = last_mile
    return Columns(values)


def inputs_at(c: Columns, i: int) -> Inputs:
    """Row i as the scalar kernel's input, for the baseline."""
    routes = {v: k for k, v in ROUTE_CODES.items()}
    bases = {v: k for k, v in BASIS_CODES.items()}
    roundings = {v: k for k, v in ROUNDING_CODES.items()}
    v = {k: int(a[i]) for k, a in c.values.items()}
    return Inputs(
        route=routes[v["route"]],
        supply_fen=v["supply_fen"],
        weight_g=v["weight_g"],
        volume_mm3=v["volume_mm3"],
        fx_micro=v["fx_micro"],
        first_mile_per_kg_fen=v["first_mile_per_kg_fen"],
        haul=Haul(
            bases[v["haul_basis"]],
            v["haul_rate"],
            v["haul_per_shipment"],
            v["haul_units"],
            v["haul_divisor"] or None,
        ),
        last_mile=v["last_mile"],
        handling=v["handling"],
        regime=Regime(
            v["duty_bp"],
            v["vat_bp"],
            None if v["threshold"] < 0 else v["threshold"],
            bool(v["duty_relief"]),
            v["flat_duty"],
            bool(v["vat_at_sale"]),
            bool(v["tax_free"]),
            bool(v["cif"]),
            bool(v["vat_adds_freight"]),
        ),
        margin_bp=v["margin_bp"],
        returns_bp=v["returns_bp"],
        payment_fee_bp=v["fee_bp"],
        payment_fee_fixed=v["fee_fixed"],
        fx_buffer_bp=v["fx_buffer_bp"],
        tax_inclusive=bool(v["tax_inclusive"]),
        rounding=roundings[v["rounding"]],
        exponent=v["exponent"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--slice", type=int, default=20_000)
    args = parser.parse_args()
    columns = synthetic_columns(args.pairs)

    tracemalloc.start()
    started = time.perf_counter()
    lines = price_columns(columns)
    vector_seconds = time.perf_counter() - started
    peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    baseline_rows = [inputs_at(columns, i) for i in range(args.slice)]
    started = time.perf_counter()
    baseline = [landed_cost(row).price for row in baseline_rows]
    baseline_seconds = time.perf_counter() - started

    identical = baseline == [int(p) for p in lines["price"][: args.slice]]
    pairs_per_s = args.pairs / vector_seconds
    baseline_per_s = args.slice / baseline_seconds
    result = {
        "pairs": args.pairs,
        "pairs_per_s": round(pairs_per_s),
        "baseline_pairs_per_s": round(baseline_per_s),
        "ratio": round(pairs_per_s / baseline_per_s, 1),
        "peak_mib": round(peak_mib, 1),
        "identical": identical,
    }
    print(
        f"array kernel: {args.pairs:,} pairs in {vector_seconds:.2f} s; scalar baseline: "
        f"{args.slice:,} pairs in {baseline_seconds:.2f} s",
        file=sys.stderr,
    )
    print(json.dumps(result))
    if not identical:
        sys.exit("the array kernel and the scalar kernel disagree on the slice")


if __name__ == "__main__":
    main()
