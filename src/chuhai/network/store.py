"""Saved scenarios and stored plans: the use cases behind the console page and the API.

A scenario is saved as its validated mapping (the scenario file's shape, demand inline or
from GeoNames cities, never a server file) so it solves again the same way. Solving a
saved scenario stores one plan: the optimum, the best k-site networks for k = 1..k_max,
current vs optimum and the what-ifs, the map's geography, the site targets and the
fingerprint of the change list at solve time. Applying a stored plan recomputes the change
list against the warehouses as they are now, refuses a fingerprint that no longer matches
(naming what changed when it can) and records who applied it; a plan is applied once.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select, update

from chuhai.core.context import Context
from chuhai.core.errors import Conflict, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.pagination import Page, paginate
from chuhai.network import apply as network_apply
from chuhai.network import platform_demand
from chuhai.network.design import NetworkPlan, plan_network
from chuhai.network.model import Scenario, build_problem
from chuhai.network.scenario import scenario_from_mapping
from chuhai.network.scenarios import (
    apply_what_if,
    best_k_networks,
    compare,
    parse_what_if,
    variants_as_dict,
)
from chuhai.network.solve import SolveOptions
from chuhai.network.tables import NetworkPlanRow, NetworkScenarioRow

EXAMPLE = "network/example_scenario.yaml"
SOURCES = ("example", "upload", "platform_orders")
MIN_TIME_LIMIT_S, MAX_TIME_LIMIT_S = 1.0, 30.0
# each k of the curve is one more MILP: a cap keeps a solve request bounded
MAX_CURVE_SITES = 20
MAX_WHAT_IFS = 10


@dataclass(frozen=True)
class SolveRequest:
    """How to solve a saved scenario: seconds per MILP, what-ifs, the curve's largest k
    (None: every candidate site, up to MAX_CURVE_SITES)."""

    time_limit_s: float = 5.0
    what_ifs: tuple[str, ...] = ()
    k_max: int | None = None


def example_mapping() -> dict[str, Any]:
    """The packaged example scenario as a mapping."""
    text = resources.files("chuhai.data").joinpath(EXAMPLE).read_text("utf-8")
    return dict(yaml.safe_load(text))


def validated_scenario(mapping: Any) -> Scenario:
    """The scenario a mapping describes, checked as far as building its MILP (a point no
    site or direct mail reaches is named); a demand CSV (a file on the server) is refused."""
    demand = mapping.get("demand") if isinstance(mapping, dict) else None
    if isinstance(demand, dict) and "csv" in demand:
        raise ValidationFailed.one(
            "demand.csv", "a saved scenario lists its points inline or by cities, not a file"
        )
    scenario = scenario_from_mapping(mapping)
    build_problem(scenario)
    return scenario


def _json_safe(mapping: Any) -> dict[str, Any]:
    try:
        return dict(json.loads(json.dumps(mapping, allow_nan=False)))
    except (TypeError, ValueError) as error:
        raise ValidationFailed.one(
            "scenario", f"not plain data (text, numbers, lists): {error}"
        ) from None


def save_scenario(
    ctx: Context, mapping: Any, source: str, extra: dict[str, Any] | None = None
) -> NetworkScenarioRow:
    """Validate and store a scenario.

    Raises:
        ValidationFailed: an unknown source, or any field of the mapping (named).
    """
    ctx.actor.require("network.plan")
    if source not in SOURCES:
        raise ValidationFailed.one("source", f"must be one of {', '.join(SOURCES)}")
    scenario = validated_scenario(mapping)
    stored = _json_safe(mapping)
    if len(scenario.name) > 200:
        raise ValidationFailed.one("name", "at most 200 characters")
    row = NetworkScenarioRow(
        id=new_id("nsc"),
        name=scenario.name,
        source=source,
        mapping=stored,
        summary={
            "points": len(scenario.points),
            "sites": len(scenario.sites),
            "existing_sites": sum(1 for s in scenario.sites if s.existing),
            "markets": scenario.markets(),
            **(extra or {}),
        },
        created_by=ctx.actor.user_id,
        created_by_name=ctx.actor.display_name or ctx.actor.username,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def save_platform_scenario(
    ctx: Context, base: dict[str, Any], platform: dict[str, Any]
) -> NetworkScenarioRow:
    """A scenario whose demand is the platform's orders over the last `platform.days` days
    and whose sites are the overseas warehouses plus `base`'s own candidates."""
    ctx.actor.require("network.plan")
    mapping, summary = platform_demand.platform_mapping(ctx, base, platform)
    return save_scenario(ctx, mapping, "platform_orders", extra=summary)


def list_scenarios(ctx: Context, limit: int = 50, offset: int = 0) -> Page[NetworkScenarioRow]:
    ctx.actor.require("network.read")
    query = select(NetworkScenarioRow).order_by(
        NetworkScenarioRow.created_at.desc(), NetworkScenarioRow.id.desc()
    )
    return paginate(ctx.session, query, limit, offset)


def get_scenario(ctx: Context, scenario_id: str) -> NetworkScenarioRow:
    ctx.actor.require("network.read")
    row = ctx.session.get(NetworkScenarioRow, scenario_id)
    if row is None:
        raise NotFound(f"no network scenario {scenario_id!r}", field="scenario_id")
    return row


def list_plans(
    ctx: Context, scenario_id: str | None = None, limit: int = 50, offset: int = 0
) -> Page[NetworkPlanRow]:
    ctx.actor.require("network.read")
    query = select(NetworkPlanRow).order_by(
        NetworkPlanRow.created_at.desc(), NetworkPlanRow.id.desc()
    )
    if scenario_id:
        query = query.where(NetworkPlanRow.scenario_id == scenario_id)
    return paginate(ctx.session, query, limit, offset)


def get_plan(ctx: Context, plan_id: str) -> NetworkPlanRow:
    ctx.actor.require("network.read")
    row = ctx.session.get(NetworkPlanRow, plan_id)
    if row is None:
        raise NotFound(f"no network plan {plan_id!r}", field="plan_id")
    return row


# --- solving --------------------------------------------------------------------------------


def check_time_limit(seconds: float) -> float:
    if not MIN_TIME_LIMIT_S <= seconds <= MAX_TIME_LIMIT_S:
        raise ValidationFailed.one(
            "time_limit", f"between {MIN_TIME_LIMIT_S:g} and {MAX_TIME_LIMIT_S:g} seconds"
        )
    return seconds


def check_k_max(k_max: int | None, n_sites: int) -> int:
    """The curve's largest k: 1 ≤ k_max ≤ the candidate sites, at most MAX_CURVE_SITES."""
    highest = min(n_sites, MAX_CURVE_SITES)
    if k_max is None:
        return highest
    if not 1 <= k_max <= highest:
        raise ValidationFailed.one(
            "k_max",
            f"must be within 1..{highest} (the scenario has {n_sites} candidate sites; "
            f"the curve stops at {MAX_CURVE_SITES})",
        )
    return k_max


def check_solve_request(scenario: Scenario, request: SolveRequest) -> int:
    """Every option checked against the scenario before anything is solved; the k_max."""
    check_time_limit(request.time_limit_s)
    if len(request.what_ifs) > MAX_WHAT_IFS:
        raise ValidationFailed.one("what_ifs", f"at most {MAX_WHAT_IFS}")
    for text in request.what_ifs:
        apply_what_if(scenario, parse_what_if(text))
    return check_k_max(request.k_max, len(scenario.sites))


def solve_scenario(ctx: Context, scenario_id: str, request: SolveRequest) -> NetworkPlanRow:
    """Solve a saved scenario and store the plan (bad options store and solve nothing).

    Raises:
        NotFound: no such scenario (field `scenario_id`).
        ValidationFailed: time_limit, what_ifs or k_max (named).
    """
    ctx.actor.require("network.plan")
    stored = get_scenario(ctx, scenario_id)
    scenario = scenario_from_mapping(stored.mapping)
    k_max = check_solve_request(scenario, request)
    seconds = request.time_limit_s
    plan = plan_network(scenario, SolveOptions(time_limit_s=seconds))
    curve = best_k_networks(scenario, k_max=k_max, time_limit=seconds)
    variants = compare(scenario, list(request.what_ifs), time_limit=seconds)
    row = NetworkPlanRow(
        id=new_id("npl"),
        scenario_id=stored.id,
        options={
            "time_limit_s": seconds,
            "what_ifs": list(request.what_ifs),
            "k_max": k_max,
        },
        status=plan.status,
        gap=plan.gap,
        total_fen=plan.costs.total if plan.costs else None,
        result={
            "scenario_name": scenario.name,
            "markets": scenario.markets(),
            "plan": plan.as_dict(),
            "curve": [point.as_dict() for point in curve],
            "variants": variants_as_dict(variants),
            "geography": geography(scenario),
        },
        created_by=ctx.actor.user_id,
        created_by_name=ctx.actor.display_name or ctx.actor.username,
        created_at=ctx.clock.now(),
    )
    _attach_targets(ctx, row, scenario, plan)
    ctx.session.add(row)
    ctx.session.flush()
    return row


def _attach_targets(
    ctx: Context, row: NetworkPlanRow, scenario: Scenario, plan: NetworkPlan
) -> None:
    if plan.costs is None:
        return
    targets = network_apply.plan_target(scenario, plan)
    changes = network_apply.plan_changes(ctx, targets)
    row.targets = [dataclasses.asdict(t) for t in targets]
    row.fingerprint = network_apply.fingerprint(changes)
    row.result = {**row.result, "changes_at_solve": [dataclasses.asdict(c) for c in changes]}


def geography(scenario: Scenario) -> dict[str, Any]:
    """What the map needs, so a stored plan draws without rebuilding its scenario."""
    return {
        "points": [
            {"id": p.id, "lat": p.lat, "lon": p.lon, "units": p.units_per_year}
            for p in scenario.points
        ],
        "sites": [
            {"id": s.id, "lat": s.lat, "lon": s.lon, "existing": s.existing} for s in scenario.sites
        ],
    }


# --- applying -------------------------------------------------------------------------------


def plan_targets(row: NetworkPlanRow) -> list[network_apply.SiteTarget]:
    if row.targets is None:
        raise ValidationFailed.one("plan_id", "the plan has no solution to apply")
    return network_apply.targets_from_json(json.dumps(row.targets))


def review_changes(
    ctx: Context, row: NetworkPlanRow
) -> tuple[list[network_apply.WarehouseChange], str]:
    """The changes applying the plan would make now, and their fingerprint."""
    changes = network_apply.plan_changes(ctx, plan_targets(row))
    return changes, network_apply.fingerprint(changes)


def apply_stored_plan(ctx: Context, plan_id: str, reviewed: str) -> NetworkPlanRow:
    """Apply a stored plan with the fingerprint the planner reviewed, once.

    Raises:
        Conflict: already applied (field `plan_id`), or the warehouses changed since the
            review (field `fingerprint`, the differences named when known).
        ValidationFailed: the plan has no solution, or the warehouses refused a change.
    """
    ctx.actor.require("network.apply")
    row = get_plan(ctx, plan_id)
    targets = plan_targets(row)
    _claim(ctx, row)
    try:
        changes = network_apply.apply_plan(ctx, targets, reviewed)
    except Conflict as stale:
        if stale.field != "fingerprint":
            raise
        raise Conflict(_stale_reason(ctx, row, targets, reviewed), field="fingerprint") from None
    row.applied_fingerprint = reviewed
    row.applied_changes = [dataclasses.asdict(c) for c in changes]
    ctx.session.flush()
    return row


def _claim(ctx: Context, row: NetworkPlanRow) -> None:
    """Mark the plan applied unless someone did first; the conditional update is the lock
    (a concurrent apply waits on the row, then finds it taken)."""
    claimed = ctx.session.execute(
        update(NetworkPlanRow)
        .where(NetworkPlanRow.id == row.id, NetworkPlanRow.applied_at.is_(None))
        .values(
            applied_at=ctx.clock.now(),
            applied_by=ctx.actor.user_id,
            applied_by_name=ctx.actor.display_name or ctx.actor.username,
        )
        .execution_options(synchronize_session=False)
    )
    ctx.session.refresh(row)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        when = row.applied_at.strftime("%Y-%m-%d %H:%M UTC") if row.applied_at else "already"
        raise Conflict(
            f"plan {row.id} was applied {when} by {row.applied_by_name}: a plan is applied once",
            field="plan_id",
            applied_at=row.applied_at.isoformat() if row.applied_at else None,
        )


def _stale_reason(
    ctx: Context, row: NetworkPlanRow, targets: list[network_apply.SiteTarget], reviewed: str
) -> str:
    now = network_apply.plan_changes(ctx, targets)
    base = "the warehouses changed since this change list was reviewed: review it again"
    if reviewed != row.fingerprint:
        return base
    before = {(c["action"], c["warehouse_id"], c["detail"]) for c in _changes_at_solve(row)}
    after = {(c.action, c.warehouse_id, c.detail) for c in now}
    gone = sorted(f"{a} {w} ({d})" for a, w, d in before - after)
    new = sorted(f"{a} {w} ({d})" for a, w, d in after - before)
    parts = []
    if gone:
        parts.append(f"no longer needed: {'; '.join(gone)}")
    if new:
        parts.append(f"now needed: {'; '.join(new)}")
    return f"{base} ({', '.join(parts)})" if parts else base


def _changes_at_solve(row: NetworkPlanRow) -> list[dict[str, Any]]:
    return list(row.result.get("changes_at_solve", []))
