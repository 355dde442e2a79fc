"""The brand registry and the compliance rules over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import BrandIn, BrandOut, BrandUpdate, PageOut, RuleEnd, RuleIn, RuleOut
from chuhai.catalog import registry
from chuhai.core.context import Context

router = APIRouter(tags=["registries"])


@router.get("/brands", response_model=PageOut[BrandOut])
def list_brands(
    q: str | None = None, limit: int = 50, offset: int = 0, ctx: Context = Depends(api_context)
) -> PageOut[BrandOut]:
    page = registry.list_brands(ctx, search=q, limit=limit, offset=offset)
    return PageOut(
        items=[BrandOut.model_validate(b) for b in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


@router.post("/brands", status_code=201, response_model=BrandOut)
def create_brand(
    body: BrandIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: BrandOut.model_validate(registry.create_brand(ctx, **body.model_dump())),
    )


@router.get("/brands/{brand_id}", response_model=BrandOut)
def get_brand(brand_id: str, ctx: Context = Depends(api_context)) -> BrandOut:
    return BrandOut.model_validate(registry.get_brand(ctx, brand_id))


@router.patch("/brands/{brand_id}", response_model=BrandOut)
def update_brand(brand_id: str, body: BrandUpdate, ctx: Context = Depends(api_context)) -> BrandOut:
    row = registry.update_brand(ctx, brand_id, **body.model_dump())
    ctx.session.commit()
    return BrandOut.model_validate(row)


@router.delete("/brands/{brand_id}", status_code=204)
def delete_brand(brand_id: str, ctx: Context = Depends(api_context)) -> Response:
    registry.delete_brand(ctx, brand_id)
    ctx.session.commit()
    return Response(status_code=204)


@router.get("/compliance-rules", response_model=list[RuleOut])
def list_rules(ctx: Context = Depends(api_context)) -> list[RuleOut]:
    return [RuleOut.model_validate(r) for r in registry.list_rules(ctx)]


@router.post("/compliance-rules", status_code=201, response_model=RuleOut)
def add_rule(
    body: RuleIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: RuleOut.model_validate(registry.add_rule(ctx, **body.model_dump())),
    )


@router.post("/compliance-rules/{rule_id}/end", response_model=RuleOut)
def end_rule(rule_id: str, body: RuleEnd, ctx: Context = Depends(api_context)) -> RuleOut:
    row = registry.end_rule(ctx, rule_id, body.effective_to)
    ctx.session.commit()
    return RuleOut.model_validate(row)
