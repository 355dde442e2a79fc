"""Suppliers, design studios and customers over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import (
    CustomerCreate,
    CustomerOut,
    PageOut,
    StudioCreate,
    StudioOut,
    SupplierAgreement,
    SupplierCreate,
    SupplierOut,
    SupplierUpdate,
    SupplierVerify,
)
from chuhai.core.context import Context
from chuhai.parties import service
from chuhai.parties.model import SupplierProfile

router = APIRouter(tags=["parties"])


@router.get("/suppliers", response_model=PageOut[SupplierOut])
def list_suppliers(
    status: str | None = None, limit: int = 50, offset: int = 0, ctx: Context = Depends(api_context)
) -> PageOut[SupplierOut]:
    page = service.list_suppliers(ctx, status=status, limit=limit, offset=offset)
    return PageOut(
        items=[SupplierOut.model_validate(s) for s in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


@router.post("/suppliers", status_code=201, response_model=SupplierOut)
def onboard_supplier(
    body: SupplierCreate,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: SupplierOut.model_validate(
            service.onboard_supplier(ctx, SupplierProfile(**body.model_dump()))
        ),
    )


@router.get("/suppliers/{supplier_id}", response_model=SupplierOut)
def get_supplier(supplier_id: str, ctx: Context = Depends(api_context)) -> SupplierOut:
    return SupplierOut.model_validate(service.visible_supplier(ctx, supplier_id))


@router.patch("/suppliers/{supplier_id}", response_model=SupplierOut)
def update_supplier(
    supplier_id: str, body: SupplierUpdate, ctx: Context = Depends(api_context)
) -> SupplierOut:
    row = service.update_supplier(ctx, supplier_id, body.model_dump(exclude_none=True))
    ctx.session.commit()
    return SupplierOut.model_validate(row)


@router.post("/suppliers/{supplier_id}/verify", response_model=SupplierOut)
def verify_supplier(
    supplier_id: str, body: SupplierVerify, ctx: Context = Depends(api_context)
) -> SupplierOut:
    row = service.verify_supplier(ctx, supplier_id, approve=body.approve, note=body.note)
    ctx.session.commit()
    return SupplierOut.model_validate(row)


@router.post("/suppliers/{supplier_id}/agreement", response_model=SupplierOut)
def set_supplier_agreement(
    supplier_id: str, body: SupplierAgreement, ctx: Context = Depends(api_context)
) -> SupplierOut:
    row = service.set_payable_basis(ctx, supplier_id, body.payable_on)
    ctx.session.commit()
    return SupplierOut.model_validate(row)


@router.get("/studios", response_model=PageOut[StudioOut])
def list_studios(
    limit: int = 50, offset: int = 0, ctx: Context = Depends(api_context)
) -> PageOut[StudioOut]:
    page = service.list_studios(ctx, limit, offset)
    return PageOut(
        items=[StudioOut.model_validate(s) for s in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


@router.post("/studios", status_code=201, response_model=StudioOut)
def create_studio(
    body: StudioCreate,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: StudioOut.model_validate(service.create_studio(ctx, **body.model_dump())),
    )


@router.get("/customers", response_model=PageOut[CustomerOut])
def list_customers(
    limit: int = 50, offset: int = 0, ctx: Context = Depends(api_context)
) -> PageOut[CustomerOut]:
    page = service.list_customers(ctx, limit, offset)
    return PageOut(
        items=[CustomerOut.model_validate(c) for c in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


@router.post("/customers", status_code=201, response_model=CustomerOut)
def create_customer(
    body: CustomerCreate,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: CustomerOut.model_validate(service.create_customer(ctx, **body.model_dump())),
    )
