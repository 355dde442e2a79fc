"""Which warehouse ships which units of an order: a pluggable strategy, chosen by setting.

A strategy is a pure function of the order's lines, where it goes, what is available where,
and the warehouses: no database, so a batch of 100,000 orders can be planned in memory
(benchmarks/allocation.py) and a test can state every case in a line.

The default, `fastest`: of the warehouses that may serve the market, the overseas ones before
the consolidation warehouses in China (an overseas warehouse ships a domestic parcel; China
ships by cross-border direct mail, 9610), each ranked by delivery days, then cost per parcel
(data/orders/delivery.json; great-circle distance when a lane is missing). One warehouse for
the whole order if any has it all; otherwise as few as possible, each step taking the
warehouse that covers the most of what is left. Every decision says why and keeps the
candidates' scores.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Protocol

Availability = Mapping[tuple[str, str], int]  # (sku_id, warehouse_id) -> units available


@dataclass(frozen=True)
class WarehouseInfo:
    id: str
    kind: str  # consolidation | overseas
    country_code: str
    latitude: float
    longitude: float
    markets: tuple[str, ...]


@dataclass(frozen=True)
class Destination:
    market_code: str
    country_code: str


@dataclass(frozen=True)
class Lane:
    days: int
    cost: int  # CNY fen per parcel
    estimated: bool = False  # from distance, not from the lane table


@dataclass(frozen=True)
class Pick:
    sku_id: str
    warehouse_id: str
    quantity: int
    route: str  # 9810: from an overseas warehouse's stock; 9610: direct mail from China


@dataclass(frozen=True)
class Plan:
    picks: tuple[Pick, ...]
    reason: str
    scores: dict[str, Any]
    shortfall: dict[str, int] = field(default_factory=dict)  # sku_id -> units nobody has

    @property
    def complete(self) -> bool:
        return not self.shortfall


class Strategy(Protocol):
    name: str

    def allocate(
        self,
        lines: Sequence[tuple[str, int]],
        destination: Destination,
        availability: Availability,
        warehouses: Sequence[WarehouseInfo],
    ) -> Plan: ...


# --- delivery lanes -----------------------------------------------------------------------------


@cache
def delivery_data() -> dict[str, Any]:
    text = resources.files("chuhai.data").joinpath("orders/delivery.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


class Lanes:
    """Delivery days and cost from a warehouse to a destination country."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._table = {
            (lane["warehouse"], lane["destination"]): Lane(lane["days"], lane["cost"])
            for lane in data["lanes"]
        }
        self._points = data["destinations"]
        self._fallback = data["fallback"]

    def lane(self, warehouse: WarehouseInfo, country_code: str) -> Lane:
        known = self._table.get((warehouse.id, country_code))
        if known is not None:
            return known
        point = self._points.get(country_code)
        if point is None:  # nowhere to measure to: rank it last
            return Lane(days=99, cost=10**9, estimated=True)
        km = great_circle_km(
            warehouse.latitude, warehouse.longitude, point["latitude"], point["longitude"]
        )
        f = self._fallback
        return Lane(
            days=f["days_base"] + math.ceil(km / f["km_per_day"]),
            cost=f["cost_base"] + round(km * f["cost_per_1000_km"] / 1000),
            estimated=True,
        )


# --- the default strategy -----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    warehouse: WarehouseInfo
    lane: Lane
    destination_country: str

    @property
    def rank(self) -> tuple[int, int, int, str]:
        overseas_first = 0 if self.warehouse.kind == "overseas" else 1
        return (overseas_first, self.lane.days, self.lane.cost, self.warehouse.id)

    @property
    def route(self) -> str:
        if self.warehouse.kind == "overseas":
            return "9810"
        # a consolidation warehouse ships abroad by direct mail, at home as a domestic parcel
        return "domestic" if self.warehouse.country_code == self.destination_country else "9610"


class Fastest:
    """Overseas before China, then fewest days, then lowest cost; one warehouse if possible."""

    name = "fastest"

    def __init__(self, lanes: Lanes | None = None) -> None:
        self.lanes = lanes or Lanes(delivery_data())
        # (destination, id of the warehouse list) -> (that list, its ranking, static scores)
        self._ranked: dict[tuple[Destination, int], tuple[Any, ...]] = {}

    def candidates(
        self, destination: Destination, warehouses: Sequence[WarehouseInfo]
    ) -> tuple[Candidate, ...]:
        """The warehouses that may serve the market, best first."""
        return self._ranking(destination, warehouses)[0]

    def _ranking(
        self, destination: Destination, warehouses: Sequence[WarehouseInfo]
    ) -> tuple[tuple[Candidate, ...], dict[str, dict[str, Any]]]:
        """Computed once per destination and warehouse list (the same list object, as a
        batch passes it; a new list is ranked afresh)."""
        cached = self._ranked.get((destination, id(warehouses)))
        if cached is not None and cached[0] is warehouses:
            return cached[1], cached[2]
        found = [
            Candidate(w, self.lanes.lane(w, destination.country_code), destination.country_code)
            for w in warehouses
            if destination.market_code in w.markets
        ]
        ranked = tuple(sorted(found, key=lambda c: c.rank))
        static = {
            c.warehouse.id: {
                "days": c.lane.days,
                "cost_fen": c.lane.cost,
                "estimated": c.lane.estimated,
                "kind": c.warehouse.kind,
            }
            for c in ranked
        }
        self._ranked[(destination, id(warehouses))] = (warehouses, ranked, static)
        return ranked, static

    def allocate(
        self,
        lines: Sequence[tuple[str, int]],
        destination: Destination,
        availability: Availability,
        warehouses: Sequence[WarehouseInfo],
    ) -> Plan:
        ranked, static = self._ranking(destination, warehouses)
        scores = _scores(static, lines, availability)
        units = sum(q for _, q in lines)
        for candidate in ranked:  # one warehouse with everything, the best such
            wid = candidate.warehouse.id
            if all(availability.get((sku, wid), 0) >= q for sku, q in lines):
                picks = tuple(Pick(sku, wid, q, candidate.route) for sku, q in lines)
                return Plan(picks, _one_reason(candidate, ranked, units), scores)
        return self._split(lines, ranked, availability, units, scores)

    def _split(
        self,
        lines: Sequence[tuple[str, int]],
        ranked: tuple[Candidate, ...],
        availability: Availability,
        units: int,
        scores: dict[str, Any],
    ) -> Plan:
        need = {sku: q for sku, q in lines}
        picks: list[Pick] = []
        used: list[tuple[Candidate, int]] = []
        while any(need.values()):
            best, best_cover = None, 0
            for candidate in ranked:  # the warehouse covering most of what is left
                if any(c is candidate for c, _ in used):
                    continue
                wid = candidate.warehouse.id
                cover = sum(min(availability.get((s, wid), 0), q) for s, q in need.items() if q)
                if cover > best_cover:
                    best, best_cover = candidate, cover
            if best is None:
                break
            wid = best.warehouse.id
            for sku, q in need.items():
                take = min(availability.get((sku, wid), 0), q)
                if take:
                    picks.append(Pick(sku, wid, take, best.route))
                    need[sku] = q - take
            used.append((best, best_cover))
        shortfall = {sku: q for sku, q in need.items() if q}
        return Plan(
            tuple(picks),
            _split_reason(used, units, shortfall),
            scores,
            shortfall,
        )


def _lane_text(candidate: Candidate) -> str:
    lane = candidate.lane
    return f"{lane.days} days" + (" (estimated from distance)" if lane.estimated else "")


def _one_reason(chosen: Candidate, ranked: tuple[Candidate, ...], units: int) -> str:
    wid = chosen.warehouse.id
    has = "the 1 unit" if units == 1 else f"all {units} units"
    text = f"{wid} has {has}; {_lane_text(chosen)}"
    slower = next((c for c in ranked if c is not chosen and c.rank > chosen.rank), None)
    if slower is not None:
        text += f" vs {slower.lane.days} from {slower.warehouse.id}"
    faster = [c.warehouse.id for c in ranked if c.rank < chosen.rank]
    if faster:
        text += f" ({', '.join(faster)} faster but short of stock)"
    if chosen.route == "9610":
        text += "; direct mail from China (9610)"
    return text


def _split_reason(used: list[tuple[Candidate, int]], units: int, shortfall: dict[str, int]) -> str:
    if not used:
        return f"no warehouse serving this market has any of the {units} units"
    parts = [f"{c.warehouse.id} {n} of {units} ({_lane_text(c)})" for c, n in used]
    text = "no single warehouse has it all; split: " + ", ".join(parts)
    if shortfall:
        text += f"; {sum(shortfall.values())} units not in stock anywhere"
    return text


def _scores(
    static: dict[str, dict[str, Any]],
    lines: Sequence[tuple[str, int]],
    availability: Availability,
) -> dict[str, Any]:
    """What the strategy weighed: each candidate's lane and what it had of each line."""
    return {
        wid: {**lane, "available": {sku: availability.get((sku, wid), 0) for sku, _ in lines}}
        for wid, lane in static.items()
    }


# --- the registry ---------------------------------------------------------------------------------

STRATEGIES: dict[str, type] = {"fastest": Fastest}
_instances: dict[str, Strategy] = {}


def strategy_named(name: str) -> Strategy:
    """The strategy the settings name (one instance per process: it caches rankings)."""
    if name not in _instances:
        made = STRATEGIES.get(name)
        if made is None:
            raise RuntimeError(
                f"unknown allocation strategy {name!r}; one of {', '.join(STRATEGIES)} "
                "(CHUHAI_ALLOCATION_STRATEGY)"
            )
        _instances[name] = made()
    return _instances[name]
