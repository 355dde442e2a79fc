"""Allocation: orders allocated per second by the default strategy (`orders.allocation.
Fastest`) for a batch of 100,000 orders across 10 warehouses and 10,000 SKUs, each order
taking its stock out of the availability the next one sees (as a day's orders would).

Next to it, in the same process, a naive per-order implementation of the same rule on a
slice of the batch: for every order it scans the whole stock table for the order's SKUs
(as an unindexed query would) and ranks the warehouses afresh. Both must choose the same
warehouses on the slice.

The world is synthetic but shaped like the demo's: two consolidation warehouses in China
and eight overseas warehouses (the seeded five plus three more), destinations in the
seeded markets, 1-4 lines of 1-3 units per order, stock on about a third of the SKU ×
warehouse pairs (more in China).

    python benchmarks/allocation.py [--orders 100000] [--skus 10000] [--slice 2000]

The last line printed is one JSON object: orders, orders_per_s, baseline_orders_per_s,
ratio, identical, single_warehouse_share, split_share, china_share, unfilled_share.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence

from chuhai.orders.allocation import Destination, Fastest, Plan, WarehouseInfo

MARKETS = {"US": "US", "GB": "GB", "DE": "DE", "FR": "FR", "JP": "JP", "AU": "AU"}
WAREHOUSES = (
    WarehouseInfo("CN-GZ", "consolidation", "CN", 23.13, 113.26, tuple(MARKETS)),
    WarehouseInfo("CN-YW", "consolidation", "CN", 29.31, 120.08, tuple(MARKETS)),
    WarehouseInfo("US-LAX", "overseas", "US", 34.06, -117.65, ("US",)),
    WarehouseInfo("US-NJ", "overseas", "US", 40.73, -74.17, ("US",)),
    WarehouseInfo("DE-FRA", "overseas", "DE", 50.11, 8.68, ("DE", "FR")),
    WarehouseInfo("FR-LYS", "overseas", "FR", 45.76, 4.84, ("FR", "DE")),
    WarehouseInfo("GB-CVT", "overseas", "GB", 52.41, -1.52, ("GB",)),
    WarehouseInfo("JP-TYO", "overseas", "JP", 35.56, 139.72, ("JP",)),
    WarehouseInfo("JP-OSA", "overseas", "JP", 34.69, 135.50, ("JP",)),
    WarehouseInfo("AU-SYD", "overseas", "AU", -33.85, 150.90, ("AU",)),
)

Order = tuple[Destination, list[tuple[str, int]]]


def synthetic(
    orders: int, skus: int, seed: int = 7
) -> tuple[list[Order], dict[tuple[str, str], int]]:
    rng = random.Random(seed)
    sku_ids = [f"sku{n:05d}" for n in range(skus)]
    stock: dict[tuple[str, str], int] = {}
    for warehouse in WAREHOUSES:
        share = 0.6 if warehouse.kind == "consolidation" else 0.3
        for sku in sku_ids:
            if rng.random() < share:
                stock[(sku, warehouse.id)] = rng.randint(20, 200)
    batch = []
    markets = list(MARKETS.items())
    for _ in range(orders):
        market, country = rng.choice(markets)
        picked = rng.sample(sku_ids, rng.randint(1, 4))
        batch.append((Destination(market, country), [(s, rng.randint(1, 3)) for s in picked]))
    return batch, stock


def consume(stock: dict[tuple[str, str], int], plan: Plan) -> None:
    for pick in plan.picks:
        stock[(pick.sku_id, pick.warehouse_id)] -= pick.quantity


def run_fast(batch: Sequence[Order], stock: dict[tuple[str, str], int]) -> tuple[list[Plan], float]:
    strategy = Fastest()
    plans = []
    started = time.perf_counter()
    for destination, lines in batch:
        plan = strategy.allocate(lines, destination, stock, WAREHOUSES)
        consume(stock, plan)
        plans.append(plan)
    return plans, time.perf_counter() - started


class NaiveScan:
    """The same rule, done the obvious way: per order, a full scan of the stock table for
    the order's SKUs and a fresh ranking of the warehouses."""

    def __init__(self) -> None:
        self.rule = Fastest()

    def allocate(
        self, lines: Sequence[tuple[str, int]], destination: Destination, table: list[list]
    ) -> Plan:
        wanted = {sku for sku, _ in lines}
        found: dict[tuple[str, str], int] = {}
        for sku, warehouse, units in table:  # the scan
            if sku in wanted and units > 0:
                found[(sku, warehouse)] = units
        fresh = Fastest(self.rule.lanes)  # no ranking cache
        return fresh.allocate(lines, destination, found, WAREHOUSES)


def run_naive(
    batch: Sequence[Order], stock: dict[tuple[str, str], int]
) -> tuple[list[Plan], float]:
    table = [[sku, warehouse, units] for (sku, warehouse), units in stock.items()]
    index = {(row[0], row[1]): row for row in table}
    naive = NaiveScan()
    plans = []
    started = time.perf_counter()
    for destination, lines in batch:
        plan = naive.allocate(lines, destination, table)
        for pick in plan.picks:
            index[(pick.sku_id, pick.warehouse_id)][2] -= pick.quantity
        plans.append(plan)
    return plans, time.perf_counter() - started


def shares(plans: list[Plan]) -> dict[str, float]:
    total = len(plans)
    single = sum(1 for p in plans if p.complete and len({x.warehouse_id for x in p.picks}) == 1)
    split = sum(1 for p in plans if p.complete and len({x.warehouse_id for x in p.picks}) > 1)
    china = sum(1 for p in plans if any(x.route == "9610" for x in p.picks))
    return {
        "single_warehouse_share": round(single / total, 4),
        "split_share": round(split / total, 4),
        "china_share": round(china / total, 4),
        "unfilled_share": round(sum(1 for p in plans if not p.complete) / total, 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--slice", type=int, default=2_000)
    args = parser.parse_args(argv)

    batch, stock = synthetic(args.orders, args.skus)
    print(
        f"{args.orders:,} orders, {args.skus:,} SKUs, {len(WAREHOUSES)} warehouses, "
        f"{len(stock):,} stocked SKU x warehouse pairs"
    )
    fast_plans, fast_s = run_fast(batch, dict(stock))
    slice_ = batch[: args.slice]
    naive_plans, naive_s = run_naive(slice_, dict(stock))
    identical = all(
        a.picks == b.picks for a, b in zip(fast_plans[: args.slice], naive_plans, strict=True)
    )
    fast_rate = args.orders / fast_s
    naive_rate = len(slice_) / naive_s
    result = {
        "orders": args.orders,
        "orders_per_s": round(fast_rate),
        "baseline_orders_per_s": round(naive_rate),
        "ratio": round(fast_rate / naive_rate, 1),
        "identical": identical,
        **shares(fast_plans),
    }
    print(f"{'':28} {'orders/s':>12}  {'seconds':>8}")
    print(f"{'chuhai (Fastest)':28} {fast_rate:12,.0f}  {fast_s:8.2f}  ({args.orders:,} orders)")
    print(
        f"{'naive per-order scan':28} {naive_rate:12,.0f}  {naive_s:8.2f}  ({len(slice_):,} orders)"
    )
    print(f"same warehouses on the slice: {identical}")
    print(json.dumps(result))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
