"""Apply a network plan to the inventory capability's warehouses: a reviewed step.

`plan_target` reads what a plan wants (each candidate site open or closed, the markets
an open one serves); `plan_changes` compares it with the warehouses as they are and
lists the changes (create, serve other markets, reactivate, retire) with a fingerprint.
`apply_plan` is given the target and the fingerprint the planner reviewed: it recomputes
the changes, refuses a stale fingerprint before writing anything, and goes through the
inventory warehouses service (retiring is `active = False` through `update_warehouse`).
Only warehouses that are candidate sites of the scenario are touched.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from chuhai.core.context import Context
from chuhai.core.errors import Conflict, ValidationFailed
from chuhai.inventory import warehouses
from chuhai.network.design import NetworkPlan
from chuhai.network.model import Scenario


@dataclass(frozen=True)
class SiteTarget:
    id: str
    open: bool
    country: str
    lat: float
    lon: float
    capacity_m3: int
    handling_fen: int
    markets: tuple[str, ...]


@dataclass(frozen=True)
class WarehouseChange:
    action: str  # create | update | retire
    warehouse_id: str
    detail: str
    fields: dict[str, Any]


def plan_target(scenario: Scenario, plan: NetworkPlan) -> list[SiteTarget]:
    if plan.costs is None:
        raise ValidationFailed.one("plan", "the plan has no solution to apply")
    market_of = {p.id: p.market for p in scenario.points}
    served: dict[str, set[str]] = {s.id: set() for s in scenario.sites}
    for point, by in plan.assignments.items():
        for site, _share in by:
            if site in served:
                served[site].add(market_of[point])
    is_open = {s.id: s.open for s in plan.sites}
    return [
        SiteTarget(
            id=site.id,
            open=is_open.get(site.id, False),
            country=site.country,
            lat=site.lat,
            lon=site.lon,
            capacity_m3=max(1, int(site.capacity_m3)),
            handling_fen=site.handling_fen_per_unit,
            markets=tuple(sorted(served[site.id])),
        )
        for site in scenario.sites
    ]


def targets_to_json(targets: list[SiteTarget]) -> str:
    return json.dumps([asdict(t) for t in targets], sort_keys=True)


def targets_from_json(text: str) -> list[SiteTarget]:
    try:
        raw = json.loads(text)
        return [SiteTarget(**{**item, "markets": tuple(item["markets"])}) for item in raw]
    except (ValueError, TypeError, KeyError):
        raise ValidationFailed.one("plan", "not a plan this page produced") from None


def plan_changes(ctx: Context, targets: list[SiteTarget]) -> list[WarehouseChange]:
    ctx.actor.require("network.plan")
    existing = {row.id: row for row in warehouses.list_warehouses(ctx, kind="overseas")}
    changes = []
    for target in targets:
        row = existing.get(target.id)
        if target.open and row is None:
            changes.append(_create(target))
        elif target.open and row is not None:
            fields: dict[str, Any] = {}
            if sorted(row.markets) != list(target.markets) and target.markets:
                fields["markets"] = list(target.markets)
            if not row.active:
                fields["active"] = True
            if fields:
                detail = "; ".join(_describe(name, value) for name, value in fields.items())
                changes.append(WarehouseChange("update", target.id, detail, fields))
        elif not target.open and row is not None and row.active:
            changes.append(
                WarehouseChange("retire", target.id, "closed in the plan", {"active": False})
            )
    return changes


def _describe(name: str, value: Any) -> str:
    if name == "markets":
        return f"serve {', '.join(value)}"
    return "reactivate" if value else "retire"


def _create(target: SiteTarget) -> WarehouseChange:
    fields = {
        "id": target.id,
        "name": f"{target.id} overseas warehouse (network plan)",
        "kind": "overseas",
        "country_code": target.country,
        "city": target.id,
        "latitude": target.lat,
        "longitude": target.lon,
        "capacity_m3": target.capacity_m3,
        "handling_cost": target.handling_fen,
        "handling_currency": "CNY",
        "markets": list(target.markets),
    }
    detail = f"open in {target.country} serving {', '.join(target.markets) or 'no market'}"
    return WarehouseChange("create", target.id, detail, fields)


def fingerprint(changes: list[WarehouseChange]) -> str:
    body = json.dumps([asdict(c) for c in changes], sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def apply_plan(ctx: Context, targets: list[SiteTarget], reviewed: str) -> list[WarehouseChange]:
    """Make the reviewed changes; a fingerprint that no longer matches writes nothing.

    Raises:
        Conflict: the warehouses changed since the list was shown (field `fingerprint`).
        ValidationFailed: the inventory service refused a change (its fields named).
    """
    ctx.actor.require("network.apply")
    changes = plan_changes(ctx, targets)
    if fingerprint(changes) != reviewed:
        raise Conflict(
            "the warehouses changed since this list was shown: review it again",
            field="fingerprint",
        )
    for change in changes:
        if change.action == "create":
            warehouses.create_warehouse(ctx, warehouses.WarehouseSpec(**change.fields))
        else:
            warehouses.update_warehouse(ctx, change.warehouse_id, change.fields)
    return changes
