"""Console page of warehouse-network design. A planner picks the packaged example, uploads a
scenario YAML file or reuses a saved scenario, sets the time limit, the what-ifs and the
k-site curve's largest k, and solves: the scenario and the plan are stored and the browser
goes to the plan's own page (GET /network/plans/{id}), which draws it from what was
stored: a map on a plain equirectangular projection (inline SVG, no tiles), the cost
breakdown, service per market, the proven gap, the k-site curve and current vs optimum.
Applying a plan to the warehouses is a second, reviewed POST carrying the fingerprint of
the change list the planner saw; a plan is applied once."""

from __future__ import annotations

import math
from typing import Any

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from chuhai.core.errors import ChuhaiError, ValidationFailed
from chuhai.network import platform_demand, store
from chuhai.network.design import DIRECT_MAIL
from chuhai.network.outlines import outline_paths
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)

MAP_WIDTH = 800
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 640, 260, 48
CHART_LEFT = 130  # room for the cost labels of the y axis
COST_ITEMS = ("fixed", "closing", "line_haul", "handling", "last_mile", "direct_mail")
LISTED = 20


async def _form(request: Request) -> FormData:
    return await request.form()


@router.get("/network", response_class=HTMLResponse)
def network_home(page: Page = Depends(page_context)) -> HTMLResponse:
    page.ctx.actor.require("network.read")
    return _render_home(page)


@router.post("/network/solve", response_class=HTMLResponse)
def solve(page: Page = Depends(form_page), data: FormData = Depends(_form)) -> Response:
    page.ctx.actor.require("network.plan")
    try:
        request = _solve_request(data)
        scenario_id = _chosen_scenario_id(page, data, request)
        row = store.solve_scenario(page.ctx, scenario_id, request)
    except ValidationFailed as exc:
        page.ctx.session.rollback()
        return _render_home(page, 422, field_errors=exc.errors)
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return _render_home(page, 422, error_text=error_message(exc))
    page.ctx.session.commit()
    return redirect(f"/network/plans/{row.id}", notice="Solved and saved.")


@router.get("/network/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(plan_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    row = store.get_plan(page.ctx, plan_id)
    scenario = store.get_scenario(page.ctx, row.scenario_id)
    result = _result_view(row)
    if row.applied_at is None and row.targets is not None and page.actor.can("network.apply"):
        changes, fingerprint = store.review_changes(page.ctx, row)
        result["changes"], result["fingerprint"] = changes, fingerprint
    return render(page, "network/plan.html", row=row, scenario=scenario, result=result)


@router.post("/network/plans/{plan_id}/apply")
def apply(plan_id: str, page: Page = Depends(form_page), fingerprint: str = Form("")) -> Response:
    try:
        row = store.apply_stored_plan(page.ctx, plan_id, fingerprint)
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return redirect(f"/network/plans/{plan_id}", error=error_message(exc))
    page.ctx.session.commit()
    count = len(row.applied_changes or [])
    return redirect(f"/network/plans/{plan_id}", notice=f"Plan applied: {count} warehouse changes.")


def _render_home(page: Page, status_code: int = 200, **data: Any) -> HTMLResponse:
    return render(
        page,
        "network/index.html",
        status_code=status_code,
        can_plan=page.actor.can("network.plan"),
        max_time_limit=int(store.MAX_TIME_LIMIT_S),
        max_curve_sites=store.MAX_CURVE_SITES,
        scenarios=store.list_scenarios(page.ctx, LISTED, 0).items,
        plans=store.list_plans(page.ctx, None, LISTED, 0).items,
        **data,
    )


def _solve_request(data: FormData) -> store.SolveRequest:
    text = str(data.get("time_limit") or "5").strip()
    try:
        seconds = float(text)
    except ValueError:
        raise ValidationFailed.one("time_limit", f"{text!r} is not a number of seconds") from None
    k_text = str(data.get("k_max") or "").strip()
    try:
        k_max = int(k_text) if k_text else None
    except ValueError:
        raise ValidationFailed.one("k_max", f"{k_text!r} is not a whole number") from None
    what_ifs = [line.strip() for line in str(data.get("what_ifs") or "").splitlines()]
    return store.SolveRequest(
        time_limit_s=store.check_time_limit(seconds),
        what_ifs=tuple(filter(None, what_ifs)),
        k_max=k_max,
    )


def _chosen_scenario_id(page: Page, data: FormData, request: store.SolveRequest) -> str:
    """The saved scenario to solve; a new one (example or upload) is checked with the solve
    options before it is saved, so a bad what-if or k_max saves nothing."""
    source = str(data.get("source") or "example")
    if source == "saved":
        scenario_id = str(data.get("scenario_id") or "")
        if not scenario_id:
            raise ValidationFailed.one("scenario_id", "choose a saved scenario")
        return scenario_id
    extra: dict[str, Any] = {}
    if source == "platform_orders":
        # the example's candidate sites, options and service targets; the orders' demand
        base = {k: v for k, v in store.example_mapping().items() if k != "demand"}
        base["name"] = f"platform orders, last {_days(data)} days"
        platform = {"days": _days(data), "forecast": data.get("forecast") == "on"}
        mapping, extra = platform_demand.platform_mapping(page.ctx, base, platform)
        # the example's service targets apply only to markets the orders reach
        sold_in = {point["market"] for point in mapping["demand"]["points"]}
        mapping["service"] = [t for t in mapping.get("service", []) if t["market"] in sold_in]
    elif source == "upload":
        mapping = _uploaded_mapping(data)
    else:
        mapping = store.example_mapping()
    store.check_solve_request(store.validated_scenario(mapping), request)
    return store.save_scenario(page.ctx, mapping, source, extra).id


def _days(data: FormData) -> int:
    text = str(data.get("days") or "").strip()
    if not text.isdigit():
        raise ValidationFailed.one("days", f"{text!r} is not a whole number of days")
    return platform_demand.check_days(int(text), field="days")


def _uploaded_mapping(data: FormData) -> Any:
    upload = data.get("scenario_file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed.one("scenario_file", "choose a scenario .yaml file to upload")
    try:
        return yaml.safe_load(upload.file.read().decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise ValidationFailed.one("scenario_file", f"not valid YAML: {error}") from None


def _result_view(row: Any) -> dict[str, Any]:
    result = row.result
    return {
        "scenario_name": result["scenario_name"],
        "plan": result["plan"],
        "map": map_view(result["geography"], result["plan"]),
        "curve": result["curve"],
        "chart": chart_view(result["curve"]),
        "variants": result["variants"],
        "cost_items": COST_ITEMS,
        "markets": result["markets"],
    }


def map_view(geography: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """Equirectangular: x from longitude, y from latitude, one scale, fitted to the data;
    the countries' outlines under the points, on the same projection."""
    points, sites = geography["points"], geography["sites"]
    lats = [p["lat"] for p in points] + [s["lat"] for s in sites]
    lons = [p["lon"] for p in points] + [s["lon"] for s in sites]
    west, east = min(lons) - 5, max(lons) + 5
    south, north = max(min(lats) - 5, -90), min(max(lats) + 5, 90)
    scale = MAP_WIDTH / (east - west)
    height = max(120, round((north - south) * scale))

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return round((lon - west) * scale, 1), round((north - lat) * scale, 1)

    site_at = {s["id"]: xy(s["lat"], s["lon"]) for s in sites}
    largest = max((p["units"] for p in points), default=1) or 1
    dots, lines = [], []
    for p in points:
        x, y = xy(p["lat"], p["lon"])
        radius = round(2 + 8 * math.sqrt(p["units"] / largest), 1)
        dots.append({"id": p["id"], "x": x, "y": y, "r": radius, "units": p["units"]})
        for served in plan["assignments"].get(p["id"], ()):
            by = served["served_by"]
            if by != DIRECT_MAIL and by in site_at:
                sx, sy = site_at[by]
                lines.append({"x1": sx, "y1": sy, "x2": x, "y2": y, "share": served["share"]})
    is_open = {s["id"]: s["open"] for s in plan["sites"]}
    squares = [
        {"id": s["id"], "x": site_at[s["id"]][0], "y": site_at[s["id"]][1],
         "open": is_open.get(s["id"])}
        for s in sites
    ]  # fmt: skip
    outlines = outline_paths(west, east, south, north, xy)
    return {
        "width": MAP_WIDTH, "height": height, "sites": squares, "points": dots, "lines": lines,
        "outlines": outlines,
    }  # fmt: skip


def chart_view(curve: list[dict[str, Any]]) -> dict[str, Any]:
    """Total cost against k: a polyline over the feasible k, labelled with service."""
    rows = [point for point in curve if point["feasible"]]
    view: dict[str, Any] = {
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "dots": [], "axis_x": CHART_LEFT - 10,
        "top": CHART_PAD, "bottom": CHART_HEIGHT - CHART_PAD,
    }  # fmt: skip
    if not rows:
        return view
    totals = [row["total_fen"] for row in rows]
    low, high = min(totals), max(totals)
    span = (high - low) or 1
    k_max = max(point["k"] for point in curve)
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
