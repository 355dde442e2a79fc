"""Scenarios a planner compares: the best k-site networks, what-ifs and the current network.

Each is a variant of one `Scenario` solved by `plan_network`: the k-site curve solves with
`max_sites = k` for k = 1..n; a what-if scales one market's demand, one site's fixed cost
or one line-haul mode's cost; the current network keeps every existing site and opens no
new one. What-ifs are written `market:US:demand:+30%`, `site:DE-FRA:fixed_cost:x2` or
`mode:air:cost:+50%`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from chuhai.core.errors import ValidationFailed
from chuhai.network.design import NetworkPlan, plan_network
from chuhai.network.model import LINE_HAUL_MODES, Scenario
from chuhai.network.solve import SolveOptions

WHAT_IF_FORMS = "market:CODE:demand:+30%, site:ID:fixed_cost:x2 or mode:air|sea|rail:cost:+50%"


@dataclass(frozen=True)
class CurvePoint:
    """The best plan with at most k sites; `plan` is None when no k-site plan exists."""

    k: int
    plan: NetworkPlan | None

    @property
    def feasible(self) -> bool:
        return self.plan is not None and self.plan.costs is not None

    def as_dict(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "k": self.k,
            "feasible": self.feasible,
            "total_fen": plan.costs.total if plan and plan.costs else None,
            "status": plan.status if plan else "no_solution",
            "gap": plan.gap if plan else None,
            "costs": plan.as_dict()["costs"] if plan and plan.costs else None,
            "service": {m.market: m.achieved_share for m in plan.service} if plan else {},
            "open_sites": [s.id for s in plan.sites if s.open] if plan else [],
        }


@dataclass(frozen=True)
class WhatIf:
    """One change: `kind` is market, site or mode; `factor` multiplies the named quantity."""

    kind: str
    target: str
    factor: Decimal
    text: str


@dataclass(frozen=True)
class Variant:
    name: str
    plan: NetworkPlan


def best_k_networks(
    scenario: Scenario, k_max: int | None = None, time_limit: float = 10.0
) -> list[CurvePoint]:
    """The best plan for each k = 1..k_max (all candidate sites by default)."""
    n = len(scenario.sites)
    k_max = n if k_max is None else k_max
    if not 1 <= k_max <= n:
        raise ValidationFailed.one("k_max", f"must be within 1..{n} (the candidate sites)")
    options = SolveOptions(time_limit_s=time_limit)
    curve = []
    for k in range(1, k_max + 1):
        plan = plan_network(dataclasses.replace(scenario, max_sites=k), options)
        curve.append(CurvePoint(k=k, plan=plan if plan.costs is not None else None))
    return curve


def parse_what_if(text: str) -> WhatIf:
    """Raises ValidationFailed naming the option when it is not one of the forms."""
    parts = text.strip().split(":")
    field = f"what_if {text!r}"
    if len(parts) != 4:
        raise ValidationFailed.one(field, f"expected one of {WHAT_IF_FORMS}")
    kind, target, quantity, change = parts
    expected = {"market": "demand", "site": "fixed_cost", "mode": "cost"}.get(kind)
    if expected is None:
        raise ValidationFailed.one(field, f"{kind!r} is not market, site or mode")
    if quantity != expected:
        raise ValidationFailed.one(field, f"a {kind} what-if changes {expected}, not {quantity!r}")
    if kind == "mode" and target not in LINE_HAUL_MODES:
        raise ValidationFailed.one(field, f"mode must be one of {', '.join(LINE_HAUL_MODES)}")
    if not target:
        raise ValidationFailed.one(field, f"name the {kind}")
    return WhatIf(kind=kind, target=target, factor=_factor(change, field), text=text.strip())


def _factor(change: str, field: str) -> Decimal:
    """'+30%' -> 1.3, '-10%' -> 0.9, 'x2' -> 2."""
    try:
        if change.endswith("%") and change[:1] in "+-":
            factor = 1 + Decimal(change[:-1]) / 100
        elif change[:1] in ("x", "×"):
            factor = Decimal(change[1:])
        else:
            raise InvalidOperation
    except InvalidOperation:
        raise ValidationFailed.one(
            field, f"{change!r} is not a change like +30%, -10% or x2"
        ) from None
    if not factor.is_finite() or factor < 0:
        raise ValidationFailed.one(field, f"{change!r} would make the quantity negative")
    return factor


def apply_what_if(scenario: Scenario, change: WhatIf) -> Scenario:
    """The scenario with the change made; an unknown market or site is refused by name."""
    field = f"what_if {change.text!r}"
    if change.kind == "market":
        if change.target not in scenario.markets():
            raise ValidationFailed.one(field, f"no demand in market {change.target!r}")
        points = tuple(
            dataclasses.replace(p, units_per_year=round(p.units_per_year * change.factor))
            if p.market == change.target
            else p
            for p in scenario.points
        )
        return dataclasses.replace(scenario, points=points)
    if change.kind == "site":
        if change.target not in {s.id for s in scenario.sites}:
            raise ValidationFailed.one(field, f"no candidate site {change.target!r}")
        sites = tuple(
            dataclasses.replace(s, fixed_cost_fen=round(s.fixed_cost_fen * change.factor))
            if s.id == change.target
            else s
            for s in scenario.sites
        )
        return dataclasses.replace(scenario, sites=sites)
    rates = {
        key: dataclasses.replace(rate, cost_fen_per_kg=round(rate.cost_fen_per_kg * change.factor))
        if key[0] == change.target
        else rate
        for key, rate in scenario.costs.line_haul.items()
    }
    costs = dataclasses.replace(scenario.costs, line_haul=rates)
    return dataclasses.replace(scenario, costs=costs)


def what_if(scenario: Scenario, change: str | WhatIf, time_limit: float = 10.0) -> NetworkPlan:
    parsed = parse_what_if(change) if isinstance(change, str) else change
    return plan_network(apply_what_if(scenario, parsed), SolveOptions(time_limit_s=time_limit))


def current_network(scenario: Scenario) -> Scenario:
    """Only the existing sites, all kept: what the network costs as it stands."""
    existing = tuple(dataclasses.replace(s, keep=True) for s in scenario.sites if s.existing)
    if not existing:
        raise ValidationFailed.one(
            "sites", "no site is marked existing: there is no current network"
        )
    return dataclasses.replace(scenario, sites=existing, max_sites=None, budget_fen=None)


def compare(
    scenario: Scenario, what_ifs: list[str] | None = None, time_limit: float = 10.0
) -> list[Variant]:
    """Current vs optimum vs each what-if, in that order (parsed first: bad input writes
    nothing and solves nothing)."""
    changes = [parse_what_if(text) for text in what_ifs or []]
    changed = [(c, apply_what_if(scenario, c)) for c in changes]
    options = SolveOptions(time_limit_s=time_limit)
    variants = []
    if any(s.existing for s in scenario.sites):
        variants.append(Variant("current", plan_network(current_network(scenario), options)))
    variants.append(Variant("optimum", plan_network(scenario, options)))
    for change, variant in changed:
        variants.append(Variant(change.text, plan_network(variant, options)))
    return variants


def variants_as_dict(variants: list[Variant]) -> list[dict[str, Any]]:
    return [{"name": v.name, "plan": v.plan.as_dict()} for v in variants]
