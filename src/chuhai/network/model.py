"""Warehouse-network scenarios: demand points, candidate sites, cost tables, service targets.

Plain, immutable objects that check themselves on construction (a bad value raises
ValidationFailed naming the field), and `build_problem`, which turns a scenario into the
solver's arrays. No I/O here: scenario files and the cost data file are read in
`network.scenario`.

Money is integer CNY fen throughout; only the solver sees floats, and results are rounded
to fen once, when a plan is read back. Assumptions the arrays encode:

* a unit is one parcel; serving a point from a site costs, per unit, the site's cheapest
  line-haul (cost per kg x kg per unit) plus its handling cost plus the last-mile parcel
  price of the point's country for the great-circle distance band;
* delivery days from a warehouse are the last-mile days (stock is already there); line-haul
  days only tell the replenishment lead time and are reported, not constrained;
* storage need (m3) is a site's annual units x m3 per unit x stock-cover weeks / 52.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from chuhai.core.errors import FieldError, ValidationFailed
from chuhai.network.solve import FacilityProblem

EARTH_RADIUS_KM = 6371.0088
ANY_COUNTRY = "*"
LINE_HAUL_MODES = ("sea", "rail", "air")


def _check(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


def _coordinates(prefix: str, lat: float, lon: float) -> list[FieldError]:
    errors = []
    if not (isinstance(lat, int | float) and -90.0 <= lat <= 90.0):
        errors.append(FieldError(f"{prefix}.lat", f"{lat!r} is not a latitude in [-90, 90]"))
    if not (isinstance(lon, int | float) and -180.0 <= lon <= 180.0):
        errors.append(FieldError(f"{prefix}.lon", f"{lon!r} is not a longitude in [-180, 180]"))
    return errors


def _not_negative(prefix: str, **values: float | int | Decimal) -> list[FieldError]:
    return [
        FieldError(f"{prefix}.{name}", f"must not be negative, got {value}")
        for name, value in values.items()
        if value < 0
    ]


@dataclass(frozen=True)
class DemandPoint:
    """Demand of one city or postal region per year, with its weight and volume mix."""

    id: str
    market: str
    country: str
    lat: float
    lon: float
    units_per_year: int
    kg_per_unit: Decimal
    m3_per_unit: Decimal

    def __post_init__(self) -> None:
        prefix = f"demand[{self.id}]"
        errors = _coordinates(prefix, self.lat, self.lon)
        errors += _not_negative(
            prefix,
            units_per_year=self.units_per_year,
            kg_per_unit=self.kg_per_unit,
            m3_per_unit=self.m3_per_unit,
        )
        _check(errors)


@dataclass(frozen=True)
class CandidateSite:
    """A place a warehouse could be (or is): its yearly cost, capacity and handling cost.

    An existing site may be closed at `closing_cost_fen`, or kept whatever it costs
    (`keep`). `line_haul_modes` are the modes the site can be supplied by; the cheapest
    rate available for its country is used.
    """

    id: str
    country: str
    lat: float
    lon: float
    fixed_cost_fen: int
    capacity_units_per_year: int
    capacity_m3: Decimal
    handling_fen_per_unit: int
    existing: bool = False
    closing_cost_fen: int = 0
    keep: bool = False
    line_haul_modes: tuple[str, ...] = LINE_HAUL_MODES

    def __post_init__(self) -> None:
        prefix = f"sites[{self.id}]"
        errors = _coordinates(prefix, self.lat, self.lon)
        errors += _not_negative(
            prefix,
            fixed_cost=self.fixed_cost_fen,
            capacity_units_per_year=self.capacity_units_per_year,
            capacity_m3=self.capacity_m3,
            handling_cost=self.handling_fen_per_unit,
            closing_cost=self.closing_cost_fen,
        )
        if not self.existing and (self.keep or self.closing_cost_fen):
            errors.append(
                FieldError(
                    f"{prefix}.existing", "only an existing site is kept or has a closing cost"
                )
            )
        unknown = sorted(set(self.line_haul_modes) - set(LINE_HAUL_MODES))
        if unknown or not self.line_haul_modes:
            errors.append(
                FieldError(
                    f"{prefix}.line_haul_modes",
                    f"modes must be among {', '.join(LINE_HAUL_MODES)}, got {unknown or 'none'}",
                )
            )
        _check(errors)


@dataclass(frozen=True)
class LineHaulRate:
    mode: str
    country: str
    cost_fen_per_kg: int
    days: int

    def __post_init__(self) -> None:
        prefix = f"line_haul[{self.mode}][{self.country}]"
        _check(_not_negative(prefix, cost_fen_per_kg=self.cost_fen_per_kg, days=self.days))


@dataclass(frozen=True)
class LastMileBand:
    """Parcel price and days for destinations up to `max_km` from the warehouse."""

    max_km: int
    cost_fen: int
    days: int

    def __post_init__(self) -> None:
        _check(
            _not_negative("last_mile", max_km=self.max_km, cost_fen=self.cost_fen, days=self.days)
        )


@dataclass(frozen=True)
class DirectMailRate:
    """9610 direct mail from China to one country: per kg, per parcel, and days."""

    cost_fen_per_kg: int
    cost_fen_per_parcel: int
    days: int

    def __post_init__(self) -> None:
        _check(
            _not_negative(
                "direct_mail",
                cost_fen_per_kg=self.cost_fen_per_kg,
                cost_fen_per_parcel=self.cost_fen_per_parcel,
                days=self.days,
            )
        )


@dataclass(frozen=True)
class CostTables:
    """Last mile by country (`*` for any other), direct mail and line-haul by country."""

    last_mile: dict[str, tuple[LastMileBand, ...]]
    direct_mail: dict[str, DirectMailRate]
    line_haul: dict[tuple[str, str], LineHaulRate]

    def last_mile_band(self, country: str, km: float) -> LastMileBand | None:
        bands = self.last_mile.get(country, self.last_mile.get(ANY_COUNTRY, ()))
        return next((band for band in bands if km <= band.max_km), None)

    def cheapest_line_haul(self, site: CandidateSite) -> LineHaulRate | None:
        rates = [
            self.line_haul[(mode, site.country)]
            for mode in site.line_haul_modes
            if (mode, site.country) in self.line_haul
        ]
        return min(rates, key=lambda rate: (rate.cost_fen_per_kg, rate.days), default=None)


@dataclass(frozen=True)
class ServiceTarget:
    """At least `share` of the market's yearly units delivered within `within_days`."""

    market: str
    share: Decimal
    within_days: int

    def __post_init__(self) -> None:
        prefix = f"service[{self.market}]"
        errors = []
        if not Decimal(0) <= self.share <= Decimal(1):
            errors.append(FieldError(f"{prefix}.share", f"must be within 0..1, got {self.share}"))
        if self.within_days < 0:
            errors.append(FieldError(f"{prefix}.within_days", "must not be negative"))
        _check(errors)


@dataclass(frozen=True)
class Scenario:
    """Everything one network design solves over."""

    name: str
    points: tuple[DemandPoint, ...]
    sites: tuple[CandidateSite, ...]
    costs: CostTables
    service: tuple[ServiceTarget, ...] = ()
    single_sourcing: bool = False
    max_sites: int | None = None
    budget_fen: int | None = None
    direct_mail: bool = True
    stock_cover_weeks: Decimal = Decimal(4)
    currency: str = "CNY"

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        if not self.points:
            errors.append(FieldError("demand", "a scenario needs at least one demand point"))
        for label, ids in (
            ("demand", [p.id for p in self.points]),
            ("sites", [s.id for s in self.sites]),
        ):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                errors.append(FieldError(label, f"ids repeated: {', '.join(duplicates)}"))
        markets = {p.market for p in self.points}
        for target in self.service:
            if target.market not in markets:
                errors.append(
                    FieldError(f"service[{target.market}]", "no demand point is in this market")
                )
        if self.max_sites is not None and self.max_sites < 0:
            errors.append(FieldError("max_sites", "must not be negative"))
        if self.budget_fen is not None and self.budget_fen < 0:
            errors.append(FieldError("budget", "must not be negative"))
        if self.currency != "CNY":
            errors.append(FieldError("currency", "costs are planned in CNY"))
        _check(errors)

    def markets(self) -> tuple[str, ...]:
        return tuple(sorted({p.market for p in self.points}))


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean Earth radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def great_circle_km_matrix(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """(len1, len2) haversine distances, vectorised for thousands of points."""
    p1, p2 = np.radians(lat1)[:, None], np.radians(lat2)[None, :]
    dphi = p2 - p1
    dlam = np.radians(lon2)[None, :] - np.radians(lon1)[:, None]
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a))))


@dataclass(frozen=True)
class PairCosts:
    """Per allowed (site, point) pair: the yearly cost parts, in fen, and the days."""

    site: np.ndarray
    point: np.ndarray
    line_haul: np.ndarray
    handling: np.ndarray
    last_mile: np.ndarray
    days: np.ndarray
    km: np.ndarray

    def total(self) -> np.ndarray:
        return np.asarray(self.line_haul + self.handling + self.last_mile)


@dataclass(frozen=True)
class BuiltProblem:
    """The solver's problem and what its indices mean."""

    problem: FacilityProblem
    scenario: Scenario
    pairs: PairCosts
    line_haul: tuple[LineHaulRate, ...]
    markets: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def _site_line_haul(scenario: Scenario) -> tuple[LineHaulRate, ...]:
    rates = []
    errors = []
    for site in scenario.sites:
        rate = scenario.costs.cheapest_line_haul(site)
        if rate is None:
            errors.append(
                FieldError(
                    f"sites[{site.id}].line_haul_modes",
                    f"no line-haul rate to {site.country} by {', '.join(site.line_haul_modes)}",
                )
            )
        else:
            rates.append(rate)
    _check(errors)
    return tuple(rates)


def _pair_costs(scenario: Scenario, rates: tuple[LineHaulRate, ...]) -> PairCosts:
    points, sites = scenario.points, scenario.sites
    km = great_circle_km_matrix(
        np.array([s.lat for s in sites]),
        np.array([s.lon for s in sites]),
        np.array([p.lat for p in points]),
        np.array([p.lon for p in points]),
    ).reshape(len(sites), len(points))
    units = np.array([p.units_per_year for p in points], dtype=np.float64)
    kg = np.array([float(p.kg_per_unit) for p in points])
    cost = np.full(km.shape, np.nan)
    days = np.zeros(km.shape)
    for country in sorted({p.country for p in points}):
        in_country = np.array([p.country == country for p in points])
        bands = scenario.costs.last_mile.get(country, scenario.costs.last_mile.get(ANY_COUNTRY, ()))
        # the nearest band first, so a farther band never overwrites a nearer one
        for band in reversed(bands):
            inside = (km <= band.max_km) & in_country[None, :]
            cost[inside] = band.cost_fen
            days[inside] = band.days
    site_index, point_index = np.nonzero(np.isfinite(cost))
    per_kg = np.array([r.cost_fen_per_kg for r in rates], dtype=np.float64)
    handling = np.array([s.handling_fen_per_unit for s in sites], dtype=np.float64)
    u = units[point_index]
    return PairCosts(
        site=site_index.astype(np.int64),
        point=point_index.astype(np.int64),
        line_haul=u * per_kg[site_index] * kg[point_index],
        handling=u * handling[site_index],
        last_mile=u * cost[site_index, point_index],
        days=days[site_index, point_index],
        km=km[site_index, point_index],
    )


def _direct_mail(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    cost = np.full(len(scenario.points), np.inf)
    days = np.zeros(len(scenario.points))
    if not scenario.direct_mail:
        return cost, days
    for j, point in enumerate(scenario.points):
        rate = scenario.costs.direct_mail.get(point.country)
        if rate is not None:
            per_unit = rate.cost_fen_per_kg * float(point.kg_per_unit) + rate.cost_fen_per_parcel
            cost[j] = point.units_per_year * per_unit
            days[j] = rate.days
    return cost, days


def build_problem(scenario: Scenario) -> BuiltProblem:
    """Turn a scenario into the MILP's arrays.

    Raises:
        ValidationFailed: a site has no line-haul rate, or demand points can be reached by
            no site and no direct-mail route (each is named).
    """
    rates = _site_line_haul(scenario) if scenario.sites else ()
    pairs = (
        _pair_costs(scenario, rates)
        if scenario.sites
        else PairCosts(
            *(np.zeros(0, dtype=np.int64) for _ in range(2)), *(np.zeros(0) for _ in range(5))
        )
    )
    direct_cost, direct_days = _direct_mail(scenario)
    markets = scenario.markets()
    market_index = {market: k for k, market in enumerate(markets)}
    units = np.array([p.units_per_year for p in scenario.points], dtype=np.float64)
    m3 = np.array([float(p.m3_per_unit) for p in scenario.points])
    cover = float(scenario.stock_cover_weeks) / 52.0
    share = np.full(len(markets), np.nan)
    within = np.zeros(len(markets))
    for target in scenario.service:
        share[market_index[target.market]] = float(target.share)
        within[market_index[target.market]] = target.within_days
    problem = FacilityProblem(
        fixed_cost=np.array([s.fixed_cost_fen for s in scenario.sites], dtype=np.float64),
        closing_cost=np.array([s.closing_cost_fen for s in scenario.sites], dtype=np.float64),
        capacity=np.array(
            [[s.capacity_units_per_year, float(s.capacity_m3)] for s in scenario.sites],
            dtype=np.float64,
        ).reshape(len(scenario.sites), 2),
        load=np.column_stack([units, units * m3 * cover]),
        pair_site=pairs.site,
        pair_point=pairs.point,
        pair_cost=pairs.total(),
        pair_days=pairs.days,
        direct_cost=direct_cost,
        direct_days=direct_days,
        point_market=np.array([market_index[p.market] for p in scenario.points], dtype=np.int64),
        service_weight=units,
        service_share=share,
        service_days=within,
        must_open=np.array([s.keep for s in scenario.sites], dtype=bool),
        max_sites=scenario.max_sites,
        budget=None if scenario.budget_fen is None else float(scenario.budget_fen),
        single_sourcing=scenario.single_sourcing,
    )
    unreachable = problem.unreachable_points()
    if len(unreachable):
        _check(
            [
                FieldError(
                    f"demand[{scenario.points[j].id}]",
                    f"no candidate site reaches it ({scenario.points[j].country} has no "
                    "last-mile band that far) and it has no direct-mail route",
                )
                for j in unreachable
            ]
        )
    return BuiltProblem(problem, scenario, pairs, rates, markets)
