"""Console page of warehouse-network design. A planner picks the packaged example scenario
or uploads a YAML file, solves it with a short time limit and reads the plan: a map on a
plain equirectangular projection (inline SVG, no tiles), the cost breakdown, service per
market, the proven gap, the k-site curve and the current network beside the optimum.
Applying a plan to the warehouses is a second, reviewed POST carrying the fingerprint of
the change list the planner saw. Results live in the response only: nothing is stored."""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from chuhai.core.errors import ChuhaiError, ValidationFailed
from chuhai.network import apply as network_apply
from chuhai.network.design import DIRECT_MAIL, NetworkPlan, plan_network
from chuhai.network.model import Scenario
from chuhai.network.scenario import read_scenario, scenario_from_mapping
from chuhai.network.scenarios import (
    CurvePoint,
    Variant,
    apply_what_if,
    best_k_networks,
    compare,
    parse_what_if,
)
from chuhai.network.solve import SolveOptions
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)

EXAMPLE = "network/example_scenario.yaml"
MAX_TIME_LIMIT_S = 30.0
MAP_WIDTH = 800
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 640, 260, 48
CHART_LEFT = 130  # room for the cost labels of the y axis
COST_ITEMS = ("fixed", "closing", "line_haul", "handling", "last_mile", "direct_mail")


async def _form(request: Request) -> FormData:
    return await request.form()


@router.get("/network", response_class=HTMLResponse)
def network_home(page: Page = Depends(page_context)) -> HTMLResponse:
    page.ctx.actor.require("network.read")
    return _render(page)


@router.post("/network/solve", response_class=HTMLResponse)
def solve(page: Page = Depends(form_page), data: FormData = Depends(_form)) -> HTMLResponse:
    page.ctx.actor.require("network.plan")
    what_ifs = [line.strip() for line in str(data.get("what_ifs") or "").splitlines()]
    try:
        time_limit = _time_limit(str(data.get("time_limit") or "5"))
        scenario = _chosen_scenario(data)
        # parsed and checked against the scenario before anything is solved
        for text in filter(None, what_ifs):
            apply_what_if(scenario, parse_what_if(text))
    except ValidationFailed as exc:
        return _render(page, 422, field_errors=exc.errors)
    except ChuhaiError as exc:
        return _render(page, 422, error_text=error_message(exc))
    plan = plan_network(scenario, SolveOptions(time_limit_s=time_limit))
    curve = best_k_networks(scenario, time_limit=time_limit)
    variants = compare(scenario, list(filter(None, what_ifs)), time_limit=time_limit)
    return _render(page, result=_result(page, scenario, plan, curve, variants))


@router.post("/network/apply")
def apply(
    page: Page = Depends(form_page), targets: str = Form(""), fingerprint: str = Form("")
) -> Response:
    try:
        changes = network_apply.apply_plan(
            page.ctx, network_apply.targets_from_json(targets), fingerprint
        )
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return redirect("/network", error=error_message(exc))
    page.ctx.session.commit()
    return redirect("/network", notice=f"Plan applied: {len(changes)} warehouse changes.")


def _render(page: Page, status_code: int = 200, **data: Any) -> HTMLResponse:
    return render(
        page,
        "network/index.html",
        status_code=status_code,
        can_plan=page.actor.can("network.plan"),
        max_time_limit=int(MAX_TIME_LIMIT_S),
        **data,
    )


def _time_limit(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise ValidationFailed.one("time_limit", f"{text!r} is not a number of seconds") from None
    if not 1 <= seconds <= MAX_TIME_LIMIT_S:
        raise ValidationFailed.one("time_limit", f"between 1 and {MAX_TIME_LIMIT_S:g} seconds")
    return seconds


def _chosen_scenario(data: FormData) -> Scenario:
    upload = data.get("scenario_file")
    if data.get("source", "example") == "example":
        return read_scenario(Path(str(resources.files("chuhai.data").joinpath(EXAMPLE))))
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed.one("scenario_file", "choose a scenario .yaml file to upload")
    try:
        raw = yaml.safe_load(upload.file.read().decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise ValidationFailed.one("scenario_file", f"not valid YAML: {error}") from None
    demand = raw.get("demand") if isinstance(raw, dict) else None
    if isinstance(demand, dict) and "csv" in demand:
        # a file on the server is not the uploader's to name
        raise ValidationFailed.one("demand.csv", "an uploaded scenario lists its points inline")
    return scenario_from_mapping(raw)


def _result(
    page: Page,
    scenario: Scenario,
    plan: NetworkPlan,
    curve: list[CurvePoint],
    variants: list[Variant],
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "scenario": scenario,
        "plan": plan,
        "map": _map_view(scenario, plan),
        "curve": [point.as_dict() for point in curve],
        "chart": _chart_view(curve),
        "variants": variants,
        "cost_items": COST_ITEMS,
        "markets": scenario.markets(),
    }
    if plan.costs is not None and page.actor.can("network.apply"):
        targets = network_apply.plan_target(scenario, plan)
        changes = network_apply.plan_changes(page.ctx, targets)
        result["changes"] = changes
        result["fingerprint"] = network_apply.fingerprint(changes)
        result["targets_json"] = network_apply.targets_to_json(targets)
    return result


def _map_view(scenario: Scenario, plan: NetworkPlan) -> dict[str, Any]:
    """Equirectangular: x from longitude, y from latitude, one scale, fitted to the data."""
    lats = [p.lat for p in scenario.points] + [s.lat for s in scenario.sites]
    lons = [p.lon for p in scenario.points] + [s.lon for s in scenario.sites]
    west, east = min(lons) - 5, max(lons) + 5
    south, north = max(min(lats) - 5, -90), min(max(lats) + 5, 90)
    scale = MAP_WIDTH / (east - west)
    height = max(120, round((north - south) * scale))

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return round((lon - west) * scale, 1), round((north - lat) * scale, 1)

    site_at = {s.id: xy(s.lat, s.lon) for s in scenario.sites}
    largest = max(p.units_per_year for p in scenario.points) or 1
    points, lines = [], []
    for p in scenario.points:
        x, y = xy(p.lat, p.lon)
        radius = round(2 + 8 * math.sqrt(p.units_per_year / largest), 1)
        points.append({"id": p.id, "x": x, "y": y, "r": radius, "units": p.units_per_year})
        for by, share in plan.assignments.get(p.id, ()):
            if by != DIRECT_MAIL and by in site_at:
                sx, sy = site_at[by]
                lines.append({"x1": sx, "y1": sy, "x2": x, "y2": y, "share": share})
    is_open = {s.id: s.open for s in plan.sites}
    sites = [
        {"id": s.id, "x": site_at[s.id][0], "y": site_at[s.id][1], "open": is_open.get(s.id)}
        for s in scenario.sites
    ]
    return {"width": MAP_WIDTH, "height": height, "sites": sites, "points": points, "lines": lines}


def _chart_view(curve: list[CurvePoint]) -> dict[str, Any]:
    """Total cost against k: a polyline over the feasible k, labelled with service."""
    rows = [point.as_dict() for point in curve if point.feasible]
    view: dict[str, Any] = {
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "dots": [], "axis_x": CHART_LEFT - 10,
        "top": CHART_PAD, "bottom": CHART_HEIGHT - CHART_PAD,
    }  # fmt: skip
    if not rows:
        return view
    totals = [row["total_fen"] for row in rows]
    low, high = min(totals), max(totals)
    span = (high - low) or 1
    k_max = max(point.k for point in curve)
    # the right margin leaves room for the last service label
    inner_w, inner_h = CHART_WIDTH - CHART_LEFT - 80, CHART_HEIGHT - 2 * CHART_PAD

    def x_of(k: int) -> float:
        return round(CHART_LEFT + (k - 1) / max(k_max - 1, 1) * inner_w, 1)

    for row in rows:
        y = round(CHART_PAD + (high - row["total_fen"]) / span * inner_h, 1)
        worst = min(row["service"].values(), default=1.0)
        view["dots"].append(
            {"k": row["k"], "x": x_of(row["k"]), "y": y, "total": row["total_fen"],
             "service": f"min service {worst:.0%}"}
        )  # fmt: skip
    view["polyline"] = " ".join(f"{d['x']},{d['y']}" for d in view["dots"])
    view["ticks"] = [{"k": k, "x": x_of(k)} for k in range(1, k_max + 1)]
    view["low"], view["high"] = low, high
    return view
