"""Products, SKUs, images, certificates, bulk import and the listing workflow over HTTP."""

from __future__ import annotations

import hashlib
from datetime import date

from fastapi import APIRouter, Depends, File, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from chuhai.api.deps import api_context
from chuhai.api.errors import PROBLEM_JSON
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import (
    CertificateOut,
    DelistIn,
    FindingOut,
    ImageOut,
    ImportOut,
    ImportRowErrorOut,
    ListIn,
    MoneyOut,
    Note,
    OfferIn,
    PageOut,
    PriceChangeOut,
    ProductIn,
    ProductMarketOut,
    ProductOut,
    ProductSummaryOut,
    QcCheckOut,
    Reason,
    RoundOut,
    SampleOut,
    SampleUpdate,
    SkuIn,
    SkuOut,
    TransitionOut,
)
from chuhai.catalog import listing, service
from chuhai.catalog.model import ProductDraft, SkuDraft
from chuhai.catalog.tables import NegotiationRoundRow, ProductRow, QcSampleRow, SkuRow
from chuhai.core.context import Context
from chuhai.core.files import read_file
from chuhai.core.money import decimal_string

router = APIRouter(tags=["catalog"])


# --- shapes --------------------------------------------------------------------------------------


def sku_out(row: SkuRow) -> SkuOut:
    return SkuOut(
        id=row.id,
        product_id=row.product_id,
        sku_code=row.sku_code,
        barcode=row.barcode,
        options=row.options,
        weight_g=row.weight_g,
        length_mm=row.length_mm,
        width_mm=row.width_mm,
        height_mm=row.height_mm,
        materials=row.materials,
        origin_country=row.origin_country,
        supply_price=MoneyOut.of(row.supply_price_amount, row.supply_price_currency),
        moq=row.moq,
        lead_time_days=row.lead_time_days,
        daily_capacity=row.daily_capacity,
    )


def summary_out(row: ProductRow) -> ProductSummaryOut:
    return ProductSummaryOut(
        id=row.id,
        supplier_id=row.supplier_id,
        ref=row.ref,
        category_code=row.category_code,
        brand=row.brand,
        title_zh=row.title_zh,
        title_en=row.title_en,
        state=row.state,
        target_markets=row.target_markets,
        updated_at=row.updated_at,
    )


def product_out(ctx: Context, product_id: str) -> ProductOut:
    view = service.product_view(ctx, product_id)
    return ProductOut(
        **summary_out(view.product).model_dump(),
        description_zh=view.product.description_zh,
        description_en=view.product.description_en,
        attributes=view.product.attributes,
        skus=[sku_out(s) for s in view.skus],
        images=[
            ImageOut(id=i.id, file_id=i.file_id, sku_id=i.sku_id, url=f"/api/v1/files/{i.file_id}")
            for i in view.images
        ],
        certificates=[CertificateOut.model_validate(c) for c in view.certificates],
        markets=[ProductMarketOut.model_validate(m) for m in view.markets],
        actions=listing.available_actions(ctx, view.product),
    )


def sku_draft(body: SkuIn) -> SkuDraft:
    return SkuDraft(**body.model_dump())


def product_draft(body: ProductIn) -> ProductDraft:
    data = body.model_dump(exclude={"skus", "supplier_id"})
    return ProductDraft(skus=[sku_draft(s) for s in body.skus], **data)


def round_out(row: NegotiationRoundRow) -> RoundOut:
    return RoundOut(
        id=row.id,
        round_no=row.round_no,
        party=row.party,
        move=row.move,
        prices={k: MoneyOut.of(v, "CNY") for k, v in row.prices.items()},
        note=row.note,
        at=row.at,
    )


def sample_out(ctx: Context, sample: QcSampleRow) -> SampleOut:
    return SampleOut(
        id=sample.id,
        quantity=sample.quantity,
        ship_to=sample.ship_to,
        requested_at=sample.requested_at,
        received_at=sample.received_at,
        result=sample.result,
        checks=[QcCheckOut.model_validate(c) for c in listing.qc_checks(ctx, sample.id)],
    )


# --- products ------------------------------------------------------------------------------------


@router.get("/products", response_model=PageOut[ProductSummaryOut])
def list_products(
    state: str | None = None,
    supplier_id: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    ctx: Context = Depends(api_context),
) -> PageOut[ProductSummaryOut]:
    page = service.list_products(
        ctx, state=state, supplier_id=supplier_id, search=q, limit=limit, offset=offset
    )
    return PageOut(
        items=[summary_out(p) for p in page.items], total=page.total, limit=limit, offset=offset
    )


@router.post("/products", status_code=201, response_model=ProductOut)
def create_product(
    body: ProductIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    def create() -> ProductOut:
        row = service.create_product(ctx, product_draft(body), body.supplier_id)
        return product_out(ctx, row.id)

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.get("/products/{product_id}", response_model=ProductOut)
def get_product(product_id: str, ctx: Context = Depends(api_context)) -> ProductOut:
    return product_out(ctx, product_id)


@router.put("/products/{product_id}", response_model=ProductOut)
def update_product(
    product_id: str, body: ProductIn, ctx: Context = Depends(api_context)
) -> ProductOut:
    service.update_product(ctx, product_id, product_draft(body))
    ctx.session.commit()
    return product_out(ctx, product_id)


@router.get("/products/{product_id}/transitions", response_model=list[TransitionOut])
def transitions(product_id: str, ctx: Context = Depends(api_context)) -> list[TransitionOut]:
    return [
        TransitionOut.model_validate(t) for t in service.product_view(ctx, product_id).transitions
    ]


@router.post("/products/{product_id}/images", status_code=201, response_model=ImageOut)
def add_image(
    product_id: str,
    request: Request,
    image: UploadFile = File(...),
    sku_id: str | None = Form(None),
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    content = image.file.read()

    def create() -> ImageOut:
        row = service.add_image(ctx, product_id, content, image.filename or "image", sku_id)
        return ImageOut(
            id=row.id, file_id=row.file_id, sku_id=row.sku_id, url=f"/api/v1/files/{row.file_id}"
        )

    payload = {"sha256": hashlib.sha256(content).hexdigest(), "sku_id": sku_id}
    return run_idempotent(ctx, request, idempotency_key, payload, create)


@router.delete("/products/{product_id}/images/{image_id}", status_code=204)
def remove_image(product_id: str, image_id: str, ctx: Context = Depends(api_context)) -> Response:
    service.remove_image(ctx, product_id, image_id)
    ctx.session.commit()
    return Response(status_code=204)


@router.post("/products/{product_id}/certificates", status_code=201, response_model=CertificateOut)
def add_certificate(
    product_id: str,
    request: Request,
    file: UploadFile = File(...),
    cert_type: str = Form(...),
    number: str = Form(...),
    issuer: str = Form(...),
    issued_on: date = Form(...),
    expires_on: date | None = Form(None),
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    content = file.file.read()

    def create() -> CertificateOut:
        row = service.add_certificate(
            ctx,
            product_id,
            cert_type=cert_type,
            number=number,
            issuer=issuer,
            issued_on=issued_on,
            expires_on=expires_on,
            content=content,
            filename=file.filename or "certificate",
        )
        return CertificateOut.model_validate(row)

    payload = {
        "sha256": hashlib.sha256(content).hexdigest(),
        "cert_type": cert_type,
        "number": number,
        "issuer": issuer,
        "issued_on": issued_on,
        "expires_on": expires_on,
    }
    return run_idempotent(ctx, request, idempotency_key, payload, create)


@router.get("/skus/{sku_id}", response_model=SkuOut)
def get_sku(sku_id: str, ctx: Context = Depends(api_context)) -> SkuOut:
    return sku_out(service.visible_sku(ctx, sku_id))


@router.get("/skus/{sku_id}/price-history", response_model=list[PriceChangeOut])
def price_history(sku_id: str, ctx: Context = Depends(api_context)) -> list[PriceChangeOut]:
    return [
        PriceChangeOut(
            amount=decimal_string(c.amount, c.currency),
            currency=c.currency,
            source=c.source,
            negotiation_round_id=c.negotiation_round_id,
            changed_by=c.changed_by,
            changed_at=c.changed_at,
        )
        for c in service.supply_price_history(ctx, sku_id)
    ]


@router.get("/files/{file_id}")
def download_file(file_id: str, ctx: Context = Depends(api_context)) -> Response:
    row, content = read_file(ctx, file_id)
    return Response(
        content,
        media_type=row.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/imports", status_code=201, response_model=ImportOut)
def import_catalog(
    request: Request,
    file: UploadFile = File(...),
    supplier_id: str | None = Form(None),
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Import a CSV or XLSX catalog. Any bad row means nothing is written (422 with the report)."""
    content = file.file.read()
    outcome = service.import_catalog(ctx, file.filename or "upload.csv", content, supplier_id)
    report = outcome.report
    body = ImportOut(
        ok=report.ok,
        summary=report.summary(),
        rows=report.rows,
        file_format=report.file_format,
        encoding=report.encoding,
        errors=[
            ImportRowErrorOut(row=e.row, field=e.field, message=e.message) for e in report.errors
        ],
        created_product_ids=[p.id for p in outcome.created],
    )
    if not report.ok:
        ctx.session.rollback()
        problem = {
            "type": "https://chuhai.dev/problems/import-refused",
            "title": "Import refused",
            "status": 422,
            "detail": report.summary(),
            "field": "file",
            **body.model_dump(),
        }
        return JSONResponse(problem, status_code=422, media_type=PROBLEM_JSON)
    payload = {"sha256": hashlib.sha256(content).hexdigest(), "supplier_id": supplier_id}
    return run_idempotent(ctx, request, idempotency_key, payload, lambda: body)


# --- the listing workflow ------------------------------------------------------------------------


def _answer(ctx: Context, product_id: str) -> ProductOut:
    ctx.session.commit()
    return product_out(ctx, product_id)


@router.post("/products/{product_id}/submit", response_model=ProductOut)
def submit(product_id: str, body: Note, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.submit(ctx, product_id, body.note)
    return _answer(ctx, product_id)


@router.post("/products/{product_id}/withdraw", response_model=ProductOut)
def withdraw(product_id: str, body: Reason, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.withdraw(ctx, product_id, body.reason)
    return _answer(ctx, product_id)


@router.post("/products/{product_id}/reject", response_model=ProductOut)
def reject(product_id: str, body: Reason, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.reject(ctx, product_id, body.reason)
    return _answer(ctx, product_id)


@router.post("/products/{product_id}/compliance-review", response_model=ProductOut)
def start_compliance_review(product_id: str, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.start_compliance_review(ctx, product_id)
    return _answer(ctx, product_id)


@router.post("/products/{product_id}/compliance-review/rerun", response_model=list[FindingOut])
def rerun_compliance(product_id: str, ctx: Context = Depends(api_context)) -> list[FindingOut]:
    listing.rerun_compliance(ctx, product_id)
    ctx.session.commit()
    return [FindingOut.model_validate(f) for f in listing.findings(ctx, product_id, "compliance")]


@router.post("/products/{product_id}/compliance-review/pass", response_model=ProductOut)
def pass_compliance(product_id: str, body: Note, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.pass_compliance(ctx, product_id, body.note)
    return _answer(ctx, product_id)


@router.post("/products/{product_id}/ip-review/pass", response_model=ProductOut)
def pass_ip(product_id: str, body: Note, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.pass_ip(ctx, product_id, body.note)
    return _answer(ctx, product_id)


@router.get("/products/{product_id}/findings", response_model=list[FindingOut])
def get_findings(
    product_id: str, review: str | None = None, ctx: Context = Depends(api_context)
) -> list[FindingOut]:
    return [FindingOut.model_validate(f) for f in listing.findings(ctx, product_id, review)]


@router.get("/products/{product_id}/negotiation", response_model=list[RoundOut])
def get_rounds(product_id: str, ctx: Context = Depends(api_context)) -> list[RoundOut]:
    return [round_out(r) for r in listing.negotiation_rounds(ctx, product_id)]


@router.post("/products/{product_id}/negotiation/offers", status_code=201, response_model=RoundOut)
def make_offer(
    product_id: str,
    body: OfferIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: round_out(listing.make_offer(ctx, product_id, body.prices, body.note)),
    )


@router.post("/products/{product_id}/negotiation/accept", response_model=ProductOut)
def accept_offer(product_id: str, body: Note, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.accept_offer(ctx, product_id, body.note)
    return _answer(ctx, product_id)


@router.post("/products/{product_id}/negotiation/decline", response_model=ProductOut)
def decline_offer(product_id: str, body: Reason, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.decline_offer(ctx, product_id, body.reason)
    return _answer(ctx, product_id)


@router.get("/products/{product_id}/sample", response_model=SampleOut | None)
def get_sample(product_id: str, ctx: Context = Depends(api_context)) -> SampleOut | None:
    sample = listing.current_sample(ctx, product_id)
    return sample_out(ctx, sample) if sample else None


@router.patch("/products/{product_id}/sample", response_model=SampleOut)
def update_sample(
    product_id: str, body: SampleUpdate, ctx: Context = Depends(api_context)
) -> SampleOut:
    sample = listing.update_sample_request(
        ctx, product_id, quantity=body.quantity, ship_to=body.ship_to
    )
    ctx.session.commit()
    return sample_out(ctx, sample)


@router.post("/products/{product_id}/sample/receive", response_model=SampleOut)
def receive_sample(product_id: str, ctx: Context = Depends(api_context)) -> SampleOut:
    sample = listing.receive_sample(ctx, product_id)
    ctx.session.commit()
    return sample_out(ctx, sample)


@router.post("/products/{product_id}/sample/checks", status_code=201, response_model=QcCheckOut)
def record_check(
    product_id: str,
    request: Request,
    name: str = Form(...),
    passed: bool = Form(...),
    notes: str = Form(""),
    photos: list[UploadFile] = File(default=[]),
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    files = [(p.filename or "photo", p.file.read()) for p in photos]

    def create() -> QcCheckOut:
        row = listing.record_check(
            ctx, product_id, name=name, passed=passed, notes=notes, photos=files
        )
        return QcCheckOut.model_validate(row)

    payload = {
        "name": name,
        "passed": passed,
        "notes": notes,
        "photos": [hashlib.sha256(c).hexdigest() for _, c in files],
    }
    return run_idempotent(ctx, request, idempotency_key, payload, create)


@router.post("/products/{product_id}/sample/pass", response_model=ProductOut)
def pass_qc(product_id: str, body: Note, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.pass_qc(ctx, product_id, body.note)
    return _answer(ctx, product_id)


@router.post("/products/{product_id}/sample/fail", response_model=ProductOut)
def fail_qc(product_id: str, body: Note, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.fail_qc(ctx, product_id, body.note)
    return _answer(ctx, product_id)


@router.post("/products/{product_id}/list", response_model=ProductOut)
def list_in_markets(
    product_id: str, body: ListIn, ctx: Context = Depends(api_context)
) -> ProductOut:
    listing.list_in_markets(ctx, product_id, body.markets, body.note)
    return _answer(ctx, product_id)


@router.post("/products/{product_id}/delist", response_model=ProductOut)
def delist(product_id: str, body: DelistIn, ctx: Context = Depends(api_context)) -> ProductOut:
    listing.delist(ctx, product_id, body.reason, body.markets)
    return _answer(ctx, product_id)


@router.get("/review-queue", response_model=list[ProductSummaryOut])
def review_queue(
    state: str | None = None, ctx: Context = Depends(api_context)
) -> list[ProductSummaryOut]:
    return [summary_out(p) for p in listing.review_queue(ctx, state)]
