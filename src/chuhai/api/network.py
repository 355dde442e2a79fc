"""Warehouse-network design over HTTP: save a scenario (a mapping in the scenario file's
shape, or the packaged example), solve it into a stored plan (time limit, what-ifs, the
k-site curve's largest k), read plans back, review the change list a plan would make to
the warehouses now, and apply it with the reviewed fingerprint (409 when the warehouses
changed since, or when the plan was already applied)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import PageOut, Strict
from chuhai.core.context import Context
from chuhai.core.errors import FieldError, ValidationFailed
from chuhai.network import store

if TYPE_CHECKING:
    from chuhai.network.tables import NetworkPlanRow, NetworkScenarioRow

router = APIRouter(prefix="/network", tags=["network"])


class ScenarioIn(Strict):
    source: Literal["upload", "example", "platform_orders"] = Field(
        "upload",
        description="upload: the mapping given; example: the packaged example; "
        "platform_orders: the platform's orders over the last platform.days days as demand, "
        "the overseas warehouses plus the mapping's sites as candidates",
    )
    mapping: dict[str, Any] | None = Field(
        None, description="the scenario file's keys (name, options, service, demand, sites)"
    )
    platform: dict[str, Any] | None = Field(
        None,
        description="for platform_orders: days (default 90), weight, volume, "
        "warehouse_fixed_cost, warehouse_capacity, warehouse_handling, forecast (true: "
        "each market's volume from the latest stored demand forecast)",
    )


class ScenarioOut(BaseModel):
    id: str
    name: str
    source: str
    summary: dict[str, Any]
    mapping: dict[str, Any]
    created_by: str
    created_by_name: str
    created_at: datetime

    @classmethod
    def of(cls, row: NetworkScenarioRow) -> ScenarioOut:
        return cls(
            id=row.id,
            name=row.name,
            source=row.source,
            summary=row.summary,
            mapping=row.mapping,
            created_by=row.created_by,
            created_by_name=row.created_by_name,
            created_at=row.created_at,
        )


class SolveIn(Strict):
    time_limit_s: float = Field(
        5.0, ge=store.MIN_TIME_LIMIT_S, le=store.MAX_TIME_LIMIT_S, description="per MILP"
    )
    what_ifs: list[str] = Field(
        default_factory=list,
        max_length=store.MAX_WHAT_IFS,
        description="market:US:demand:+30%, site:DE-FRA:fixed_cost:x2, mode:air:cost:+50%",
    )
    k_max: int | None = Field(
        None, description="the k-site curve's largest k (default: every site, at most 20)"
    )


class PlanOut(BaseModel):
    id: str
    scenario_id: str
    options: dict[str, Any]
    status: str
    gap: float | None
    total_fen: int | None
    result: dict[str, Any]
    fingerprint: str | None
    created_by: str
    created_by_name: str
    created_at: datetime
    applied_by: str | None
    applied_by_name: str | None
    applied_at: datetime | None
    applied_fingerprint: str | None
    applied_changes: list[Any] | None

    @classmethod
    def of(cls, row: NetworkPlanRow) -> PlanOut:
        return cls(
            id=row.id,
            scenario_id=row.scenario_id,
            options=row.options,
            status=row.status,
            gap=row.gap,
            total_fen=row.total_fen,
            result=row.result,
            fingerprint=row.fingerprint,
            created_by=row.created_by,
            created_by_name=row.created_by_name,
            created_at=row.created_at,
            applied_by=row.applied_by,
            applied_by_name=row.applied_by_name,
            applied_at=row.applied_at,
            applied_fingerprint=row.applied_fingerprint,
            applied_changes=row.applied_changes,
        )


class PlanSummaryOut(BaseModel):
    id: str
    scenario_id: str
    scenario_name: str
    status: str
    gap: float | None
    total_fen: int | None
    created_at: datetime
    applied_at: datetime | None

    @classmethod
    def of(cls, row: NetworkPlanRow) -> PlanSummaryOut:
        return cls(
            id=row.id,
            scenario_id=row.scenario_id,
            scenario_name=str(row.result.get("scenario_name", "")),
            status=row.status,
            gap=row.gap,
            total_fen=row.total_fen,
            created_at=row.created_at,
            applied_at=row.applied_at,
        )


class ChangeOut(BaseModel):
    action: str
    warehouse_id: str
    detail: str
    fields: dict[str, Any]


class ReviewOut(BaseModel):
    fingerprint: str
    changes: list[ChangeOut]


class ApplyIn(Strict):
    fingerprint: str = Field(max_length=16, description="from GET /network/plans/{id}/changes")


def _under_mapping(error: ValidationFailed) -> ValidationFailed:
    """The scenario loader names fields from the mapping's root; the body nests it."""
    return ValidationFailed([FieldError(_mapping_field(e.field), e.message) for e in error.errors])


def _mapping_field(field: str) -> str:
    if field.startswith("platform."):
        return field
    return "mapping" if field == "scenario" else f"mapping.{field}"


def _save(ctx: Context, body: ScenarioIn) -> dict[str, Any]:
    if body.platform is not None and body.source != "platform_orders":
        raise ValidationFailed.one("platform", "only for source platform_orders")
    if body.source == "platform_orders":
        if body.mapping is None:
            raise ValidationFailed.one("mapping", "name the scenario: at least {name: ...}")
        try:
            row = store.save_platform_scenario(ctx, body.mapping, body.platform or {})
        except ValidationFailed as error:
            raise _under_mapping(error) from None
    elif body.source == "example":
        if body.mapping is not None:
            raise ValidationFailed.one("mapping", "the example brings its own mapping")
        row = store.save_scenario(ctx, store.example_mapping(), "example")
    else:
        if body.mapping is None:
            raise ValidationFailed.one("mapping", "is required for an uploaded scenario")
        try:
            row = store.save_scenario(ctx, body.mapping, "upload")
        except ValidationFailed as error:
            raise _under_mapping(error) from None
    return ScenarioOut.of(row).model_dump(mode="json")


@router.post("/scenarios", status_code=201, response_model=ScenarioOut)
def create_scenario(
    body: ScenarioIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Validate and save a scenario; a bad unit or unknown key is a 422 naming the field."""
    ctx.actor.require("network.plan")
    return run_idempotent(ctx, request, idempotency_key, body, lambda: _save(ctx, body))


@router.get("/scenarios", response_model=PageOut[ScenarioOut])
def list_scenarios(
    limit: int = 50, offset: int = 0, ctx: Context = Depends(api_context)
) -> PageOut[ScenarioOut]:
    page = store.list_scenarios(ctx, limit, offset)
    return PageOut(
        items=[ScenarioOut.of(row) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/scenarios/{scenario_id}", response_model=ScenarioOut)
def get_scenario(scenario_id: str, ctx: Context = Depends(api_context)) -> ScenarioOut:
    return ScenarioOut.of(store.get_scenario(ctx, scenario_id))


@router.post("/scenarios/{scenario_id}/plans", status_code=201, response_model=PlanOut)
def solve_scenario(
    scenario_id: str,
    body: SolveIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Solve a saved scenario into a stored plan: the optimum, the k-site curve, current vs
    optimum and each what-if (a solve that hits its time limit is stored with its gap)."""
    ctx.actor.require("network.plan")
    solve = store.SolveRequest(
        time_limit_s=body.time_limit_s, what_ifs=tuple(body.what_ifs), k_max=body.k_max
    )
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: PlanOut.of(store.solve_scenario(ctx, scenario_id, solve)).model_dump(mode="json"),
    )


@router.get("/plans", response_model=PageOut[PlanSummaryOut])
def list_plans(
    scenario_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[PlanSummaryOut]:
    page = store.list_plans(ctx, scenario_id, limit, offset)
    return PageOut(
        items=[PlanSummaryOut.of(row) for row in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/plans/{plan_id}", response_model=PlanOut)
def get_plan(plan_id: str, ctx: Context = Depends(api_context)) -> PlanOut:
    return PlanOut.of(store.get_plan(ctx, plan_id))


@router.get("/plans/{plan_id}/changes", response_model=ReviewOut)
def review_changes(plan_id: str, ctx: Context = Depends(api_context)) -> ReviewOut:
    """What applying the plan would change in the warehouses now, and its fingerprint."""
    ctx.actor.require("network.plan")
    changes, fingerprint = store.review_changes(ctx, store.get_plan(ctx, plan_id))
    return ReviewOut(
        fingerprint=fingerprint,
        changes=[ChangeOut(**vars(change)) for change in changes],
    )


@router.post("/plans/{plan_id}/apply", response_model=PlanOut)
def apply_plan(plan_id: str, body: ApplyIn, ctx: Context = Depends(api_context)) -> PlanOut:
    """Apply the plan with the reviewed fingerprint, once; 409 when stale or applied."""
    out = PlanOut.of(store.apply_stored_plan(ctx, plan_id, body.fingerprint))
    ctx.session.commit()
    return out
