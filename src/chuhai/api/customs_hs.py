"""HS classification assist over HTTP: suggest subheadings for product texts or for a
product's SKUs, confirm a SKU's code (which teaches later suggestions), list the
confirmations, and look a code up in the nomenclature.

Suggesting writes nothing, so it is a POST without an Idempotency-Key (the texts travel in
the body); a confirmation creates a record and takes one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import PageOut, Strict
from chuhai.core.context import Context
from chuhai.customs import hs_service as service
from chuhai.customs.hs import HS_EDITION, format_code
from chuhai.customs.hs_classify import ProductText

if TYPE_CHECKING:
    from chuhai.customs.tables import HsConfirmationRow

router = APIRouter(prefix="/customs/hs", tags=["HS classification"])


# --- shapes ---------------------------------------------------------------------------------------


class ProductTextIn(Strict):
    title: str = Field(description="the product's English title")
    description: str = ""
    material: str = Field("", description="e.g. ceramic, cotton, stainless steel")


class SuggestIn(Strict):
    products: list[ProductTextIn] = Field(description=f"1 to {service.MAX_BATCH:,} products")
    top: int = Field(5, description="how many codes per product, 1-10")


class SuggestionOut(BaseModel):
    code: str = Field(description="six digits, e.g. 691200")
    dotted: str = Field(description="as printed, e.g. 6912.00")
    score: float = Field(description="0-1; ranks the codes, it is not a probability")
    description: str
    chapter: str
    examples: list[str] = Field(description="labelled descriptions that voted for this code")


class SuggestionsOut(BaseModel):
    edition: str
    results: list[list[SuggestionOut]]


class ConfirmationOut(BaseModel):
    id: str
    sku_id: str
    product_id: str
    code: str
    dotted: str
    previous_code: str | None
    edition: str
    text: str
    note: str
    suggested_rank: int | None
    confirmed_by: str
    confirmed_by_name: str
    confirmed_at: datetime


class SkuClassificationOut(BaseModel):
    sku_id: str
    sku_code: str
    materials: str
    hs_code: str | None
    text: str
    suggestions: list[SuggestionOut]
    last_confirmation: ConfirmationOut | None


class ProductClassificationOut(BaseModel):
    edition: str
    product_id: str
    text: str
    suggestions: list[SuggestionOut]
    skus: list[SkuClassificationOut]


class ConfirmIn(Strict):
    code: str = Field(description="the HS 2022 subheading, e.g. 6912.00 or 691200")
    note: str = Field("", description="why this code (optional); kept with the confirmation")


class EntryOut(BaseModel):
    code: str
    dotted: str
    level: int
    description: str
    section: str


class LookupOut(BaseModel):
    edition: str
    code: str
    path: list[EntryOut] = Field(description="chapter, heading, subheading")


def suggestion_out(s: service.SuggestedCode) -> SuggestionOut:
    return SuggestionOut(
        code=s.code,
        dotted=s.dotted,
        score=s.score,
        description=s.description,
        chapter=s.chapter,
        examples=list(s.examples),
    )


def confirmation_out(row: HsConfirmationRow) -> ConfirmationOut:
    return ConfirmationOut(
        id=row.id,
        sku_id=row.sku_id,
        product_id=row.product_id,
        code=row.code,
        dotted=format_code(row.code),
        previous_code=row.previous_code,
        edition=row.edition,
        text=row.text,
        note=row.note,
        suggested_rank=row.suggested_rank,
        confirmed_by=row.confirmed_by,
        confirmed_by_name=row.confirmed_by_name,
        confirmed_at=row.confirmed_at,
    )


# --- routes ---------------------------------------------------------------------------------------


@router.post("/suggestions", response_model=SuggestionsOut)
def suggest(body: SuggestIn, ctx: Context = Depends(api_context)) -> SuggestionsOut:
    """The best HS subheadings for each product text, best first (writes nothing)."""
    products = [ProductText(p.title, p.description, p.material) for p in body.products]
    found = service.suggest(ctx, products, body.top)
    return SuggestionsOut(
        edition=HS_EDITION, results=[[suggestion_out(s) for s in row] for row in found]
    )


@router.get("/products/{product_id}", response_model=ProductClassificationOut)
def classify_product(
    product_id: str, ctx: Context = Depends(api_context)
) -> ProductClassificationOut:
    """Suggestions for a product and each of its SKUs, with each SKU's current code."""
    found = service.classify_product(ctx, product_id)
    return ProductClassificationOut(
        edition=HS_EDITION,
        product_id=found.product_id,
        text=found.text,
        suggestions=[suggestion_out(s) for s in found.suggestions],
        skus=[
            SkuClassificationOut(
                sku_id=s.sku_id,
                sku_code=s.sku_code,
                materials=s.materials,
                hs_code=s.hs_code,
                text=s.text,
                suggestions=[suggestion_out(x) for x in s.suggestions],
                last_confirmation=confirmation_out(s.last_confirmation)
                if s.last_confirmation
                else None,
            )
            for s in found.skus
        ],
    )


@router.post("/skus/{sku_id}/confirmations", status_code=201, response_model=ConfirmationOut)
def confirm(
    sku_id: str,
    body: ConfirmIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Confirm the SKU's HS subheading; later suggestions learn from it."""

    def create() -> ConfirmationOut:
        return confirmation_out(service.confirm_hs_code(ctx, sku_id, body.code, body.note))

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.get("/confirmations", response_model=PageOut[ConfirmationOut])
def confirmations(
    product_id: str | None = None,
    sku_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[ConfirmationOut]:
    page = service.list_confirmations(
        ctx, product_id=product_id, sku_id=sku_id, limit=limit, offset=offset
    )
    return PageOut(
        items=[confirmation_out(r) for r in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
    )


@router.get("/codes/{code}", response_model=LookupOut)
def look_up(code: str, ctx: Context = Depends(api_context)) -> LookupOut:
    """A code's chapter, heading and subheading; 404 naming `code` when it does not exist."""
    path = service.look_up(ctx, code)
    return LookupOut(
        edition=HS_EDITION,
        code=path[-1].code,
        path=[
            EntryOut(
                code=e.code,
                dotted=format_code(e.code),
                level=e.level,
                description=e.description,
                section=e.section,
            )
            for e in path
        ],
    )
