"""Console pages for the catalog: the dashboard, the product list, the product form (with its
SKUs, images and certificates), submission for review, catalog import, and stored files.

Every change is a POST that goes through the catalog services; on success the route commits
and redirects (POST-redirect-GET). On a domain error the unit of work is rolled back and the
form is shown again with what was typed and a message next to each offending field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from chuhai.catalog import listing, service
from chuhai.catalog.importer import COLUMNS, REQUIRED_COLUMNS, template_csv, template_xlsx
from chuhai.catalog.model import (
    ALL_STATES,
    EDITABLE_STATES,
    REVIEW_STATES,
    ProductDraft,
    SkuDraft,
    State,
)
from chuhai.catalog.tables import ProductRow
from chuhai.core.errors import ChuhaiError, FieldError, ValidationFailed
from chuhai.core.files import read_file
from chuhai.core.money import decimal_string
from chuhai.markets.service import active_market_codes, list_markets
from chuhai.parties.service import list_suppliers, visible_supplier
from chuhai.web.console import Page, error_message, form_page, page_context, redirect, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25

PRODUCT_FIELDS = (
    "ref",
    "category_code",
    "brand",
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "attributes",
)
# (name, label, input mode, placeholder) for each SKU field, in the order the form shows them
SKU_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("sku_code", "SKU code (SKU编码)", "text", "MUG-350-WHT"),
    ("options", "Options (规格)", "text", "colour=red;size=M"),
    ("barcode", "Barcode (EAN/UPC)", "numeric", "6901234567892"),
    ("supply_price", "Supply price, CNY (供货价)", "decimal", "12.50"),
    ("weight_g", "Weight, g (重量)", "numeric", ""),
    ("length_mm", "Length, mm (长)", "numeric", ""),
    ("width_mm", "Width, mm (宽)", "numeric", ""),
    ("height_mm", "Height, mm (高)", "numeric", ""),
    ("materials", "Materials (材质)", "text", ""),
    ("origin_country", "Origin country (原产国)", "text", "CN"),
    ("moq", "MOQ (起订量)", "numeric", ""),
    ("lead_time_days", "Lead time, days (交期)", "numeric", ""),
    ("daily_capacity", "Daily capacity (日产能)", "numeric", ""),
)
SKU_NAMES = tuple(name for name, *_ in SKU_FIELDS)
INT_FIELDS = (
    "weight_g",
    "length_mm",
    "width_mm",
    "height_mm",
    "moq",
    "lead_time_days",
    "daily_capacity",
)
_SKU_KEY = re.compile(r"^skus\[(\d{1,4})\]\.(\w+)$")
_WHOLE = re.compile(r"^[+-]?\d+$")
_OPTION_SEPARATORS = re.compile(r"[;；]")
_FIELD_ALIASES = {"supply_price_currency": "supply_price"}

Errors = dict[str, list[str]]


async def form_fields(request: Request) -> FormData:
    """The submitted form (FastAPI has already parsed it for the CSRF check; this is cached)."""
    return await request.form()


# --- dashboard ---------------------------------------------------------------------------------


@dataclass
class NeedsAction:
    product: ProductRow
    reason: str
    at: Any = None


@router.get("/", response_class=HTMLResponse)
def dashboard(page: Page = Depends(page_context)) -> HTMLResponse:
    actor, ctx = page.actor, page.ctx
    data: dict[str, Any] = {"states": [], "total": 0}
    if actor.can("catalog.read"):
        counts = service.state_counts(ctx)
        data["states"] = [(state, counts.get(state, 0)) for state in ALL_STATES]
        data["total"] = sum(counts.values())
        data["waiting_on_platform"] = sum(
            counts.get(s, 0) for s in (*sorted(REVIEW_STATES), State.APPROVED)
        )
    if actor.supplier_id and not actor.is_operator:
        data["supplier"] = visible_supplier(ctx, actor.supplier_id)
        if actor.can("catalog.read"):
            data["rejected"] = _rejected_with_reasons(page)
            data["offers"] = _offers_awaiting_answer(page)
            drafts = service.list_products(ctx, state=State.DRAFT, limit=10)
            data["drafts"] = drafts
    return render(page, "dashboard.html", **data)


def _rejected_with_reasons(page: Page) -> list[NeedsAction]:
    products = service.list_products(page.ctx, state=State.REJECTED, limit=50).items
    last = listing.last_rejections(page.ctx, products)
    return [
        NeedsAction(
            p, last[p.id].reason if p.id in last else "", last[p.id].at if p.id in last else None
        )
        for p in products
    ]


def _offers_awaiting_answer(page: Page) -> list[NeedsAction]:
    return [
        NeedsAction(product, offer.note, offer.at)
        for product, offer in listing.offers_awaiting_supplier(page.ctx)
    ]


# --- product list ------------------------------------------------------------------------------


@router.get("/products", response_class=HTMLResponse)
def products(
    page: Page = Depends(page_context),
    state: str = "",
    q: str = "",
    supplier_id: str = "",
    offset: str = "0",
) -> HTMLResponse:
    ctx = page.ctx
    state = state if state in ALL_STATES else ""
    start = int(offset) if offset.isdigit() else 0
    suppliers = _supplier_choices(page) if page.actor.is_operator else []
    if not page.actor.is_operator:
        supplier_id = ""
    found = service.list_products(
        ctx,
        state=state or None,
        supplier_id=supplier_id or None,
        search=q.strip() or None,
        limit=PAGE_SIZE,
        offset=start,
    )
    filters = {"state": state, "q": q.strip(), "supplier_id": supplier_id}

    def link(at: int) -> str:
        query = {k: v for k, v in filters.items() if v}
        if at:
            query["offset"] = str(at)
        return "/products" + ("?" + urlencode(query) if query else "")

    pager = {
        "first": start + 1 if found.items else 0,
        "last": start + len(found.items),
        "total": found.total,
        "prev": link(max(start - PAGE_SIZE, 0)) if start > 0 else None,
        "next": link(start + PAGE_SIZE) if start + PAGE_SIZE < found.total else None,
    }
    return render(
        page,
        "catalog/products.html",
        products=found.items,
        pager=pager,
        filters=filters,
        states=ALL_STATES,
        suppliers=suppliers,
        supplier_names={s.id: s for s in suppliers},
        categories={c.code: c for c in service.list_categories(ctx.session)},
        can_edit=page.actor.can("catalog.edit"),
    )


def _supplier_choices(page: Page) -> list[Any]:
    return list(list_suppliers(page.ctx, limit=200).items)


# --- the product form ----------------------------------------------------------------------------


def _blank_sku() -> dict[str, str]:
    values = dict.fromkeys(SKU_NAMES, "")
    values["origin_country"] = "CN"
    return values


def _blank_form() -> dict[str, Any]:
    form: dict[str, Any] = dict.fromkeys(PRODUCT_FIELDS, "")
    form.update(target_markets=[], supplier_id="", skus=[_blank_sku()])
    return form


def _pairs_text(values: dict[str, Any], separator: str) -> str:
    return separator.join(f"{key}={value}" for key, value in values.items())


def _form_of(view: service.ProductView) -> dict[str, Any]:
    product = view.product
    form: dict[str, Any] = {name: getattr(product, name) or "" for name in PRODUCT_FIELDS[:-1]}
    form["attributes"] = _pairs_text(product.attributes or {}, "\n")
    form["target_markets"] = list(product.target_markets or [])
    form["supplier_id"] = product.supplier_id
    form["skus"] = [
        {
            "sku_code": sku.sku_code,
            "options": _pairs_text(sku.options or {}, ";"),
            "barcode": sku.barcode or "",
            "supply_price": decimal_string(sku.supply_price_amount, sku.supply_price_currency),
            "materials": sku.materials or "",
            "origin_country": sku.origin_country or "",
            **{name: str(getattr(sku, name)) for name in INT_FIELDS},
        }
        for sku in view.skus
    ] or [_blank_sku()]
    return form


def _read_form(data: FormData) -> dict[str, Any]:
    """What was typed, as strings, with SKU rows in the order they appear (blank rows dropped)."""
    form: dict[str, Any] = {name: str(data.get(name) or "") for name in PRODUCT_FIELDS}
    form["target_markets"] = [str(v) for v in data.getlist("target_markets") if v]
    form["supplier_id"] = str(data.get("supplier_id") or "")
    rows: dict[int, dict[str, str]] = {}
    for key, value in data.multi_items():
        match = _SKU_KEY.match(key)
        if match and match.group(2) in SKU_NAMES and isinstance(value, str):
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
    skus = []
    for index in sorted(rows):
        row = {name: rows[index].get(name, "").strip() for name in SKU_NAMES}
        if any(row[name] for name in SKU_NAMES if name != "origin_country"):
            skus.append(row)
    form["skus"] = skus
    return form


def _pairs(text: str, separators: re.Pattern[str]) -> dict[str, str] | None:
    """`a=1;b=2` (or one pair per line) as a dict; None when a part is not name=value."""
    found: dict[str, str] = {}
    for part in separators.split(text):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            return None
        found[key.strip()] = value.strip()
    return found


def _parse_draft(form: dict[str, Any]) -> tuple[ProductDraft, list[FieldError]]:
    """The typed form as a ProductDraft, and the problems found reading it (not the rules).

    A value that could not be read (a non-whole number, a malformed option) stays in the draft
    as typed, so the model's own checks can still run over everything else.
    """
    problems: list[FieldError] = []
    attributes = _pairs(form["attributes"], re.compile(r"[\r\n]+"))
    if attributes is None:
        problems.append(
            FieldError("attributes", "write one key=value per line, e.g. material=ceramic")
        )
    skus = []
    for index, row in enumerate(form["skus"]):
        prefix = f"skus[{index}]."
        numbers: dict[str, Any] = {}
        for name in INT_FIELDS:
            text = row[name].replace(" ", "")
            if not text:
                problems.append(FieldError(prefix + name, "is required"))
                numbers[name] = text
            elif _WHOLE.match(text):
                numbers[name] = int(text)
            else:
                problems.append(FieldError(prefix + name, "must be a whole number"))
                numbers[name] = text
        options = _pairs(row["options"], _OPTION_SEPARATORS)
        if options is None:
            problems.append(
                FieldError(prefix + "options", "write name=value pairs, e.g. colour=red;size=M")
            )
        skus.append(
            SkuDraft(
                sku_code=row["sku_code"],
                supply_price=row["supply_price"],
                barcode=row["barcode"],
                options=options or {},
                materials=row["materials"],
                origin_country=row["origin_country"].upper(),
                **numbers,
            )
        )
    draft = ProductDraft(
        ref=form["ref"].strip(),
        category_code=form["category_code"],
        title_zh=form["title_zh"],
        title_en=form["title_en"],
        description_zh=form["description_zh"],
        description_en=form["description_en"],
        brand=form["brand"],
        attributes=attributes or {},
        target_markets=form["target_markets"],
        skus=skus,
    )
    return draft, problems


def _errors_of(found: list[FieldError]) -> Errors:
    errors: Errors = {}
    for problem in found:
        name = problem.field
        head, dot, tail = name.rpartition(".")
        if dot and tail in _FIELD_ALIASES:
            name = f"{head}.{_FIELD_ALIASES[tail]}"
        elif name in _FIELD_ALIASES:
            name = _FIELD_ALIASES[name]
        if problem.message not in errors.setdefault(name, []):
            errors[name].append(problem.message)
    return errors


def _exception_errors(exc: ChuhaiError) -> Errors:
    if isinstance(exc, ValidationFailed):
        return _errors_of(exc.errors)
    return _errors_of([FieldError(exc.field or "", exc.detail)])


def _local_errors(page: Page, draft: ProductDraft, problems: list[FieldError]) -> Errors:
    """Reading problems first, then the model's rules for every field that could be read."""
    errors = _errors_of(problems)
    rules = draft.errors(
        service.category_codes(page.ctx.session), active_market_codes(page.ctx.session)
    )
    for name, messages in _errors_of(rules).items():
        if name not in errors:
            errors[name] = messages
    return errors


_BLANK_MESSAGES = {"category_code": "choose a category", "supplier_id": "choose the supplier"}


def _blank_means_required(errors: Errors, form: dict[str, Any]) -> Errors:
    """A field left empty gets "is required", not the rule its empty value broke."""
    for name in errors:
        match = _SKU_KEY.match(name)
        if match:
            skus = form["skus"]
            index = int(match.group(1))
            value = skus[index].get(match.group(2)) if index < len(skus) else None
        else:
            value = form.get(name)
        if isinstance(value, str) and not value.strip():
            errors[name] = [_BLANK_MESSAGES.get(name, "is required")]
    return errors


def _known_fields(form: dict[str, Any]) -> set[str]:
    names = {*PRODUCT_FIELDS, "target_markets", "supplier_id", "skus"}
    for index in range(len(form["skus"])):
        names.update(f"skus[{index}].{name}" for name in SKU_NAMES)
    return names


def _render_form(
    page: Page,
    form: dict[str, Any],
    view: service.ProductView | None,
    errors: Errors | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    ctx = page.ctx
    errors = errors or {}
    if not form["skus"]:
        form["skus"] = [_blank_sku()]  # a row to start from, even after all were removed
    markets = list_markets(ctx)
    chosen = set(form["target_markets"])
    markets = [m for m in markets if m.active or m.code in chosen]
    known = _known_fields(form)
    elsewhere = {name: messages for name, messages in errors.items() if name not in known}
    editable = view is None or view.product.state in EDITABLE_STATES
    data: dict[str, Any] = {
        "form": form,
        "view": view,
        "errors": errors,
        "elsewhere": elsewhere,
        "editable": editable,
        "categories": service.list_categories(ctx.session),
        "markets": markets,
        "sku_fields": SKU_FIELDS,
        "blank_sku": _blank_sku(),
        "suppliers": _supplier_choices(page) if view is None and page.actor.is_operator else [],
        "cert_types": service.certificate_types(ctx.session),
        "cert_form": {},
        "cert_errors": {},
        "image_errors": [],
        "image_name": "",
    }
    if view is not None:
        data["rejection"] = next(
            (t for t in reversed(view.transitions) if t.to_state == State.REJECTED), None
        )
        data["submit_problems"] = _submit_problems(view)
    data.update(extra)
    return render(page, "catalog/product_form.html", status_code=status_code, **data)


def _submit_problems(view: service.ProductView) -> list[str]:
    """What `listing.submit` will refuse, said before the supplier presses the button."""
    problems = []
    if view.supplier.status != "verified":
        problems.append(
            f"the supplier is {view.supplier.status}; the platform must verify it first"
        )
    if not view.product.target_markets:
        problems.append("choose at least one target market")
    if not view.skus:
        problems.append("add at least one SKU")
    if not view.images:
        problems.append("upload at least one product image")
    return problems


def _save_failed(
    page: Page, form: dict[str, Any], view_id: str | None, errors: Errors
) -> HTMLResponse:
    page.ctx.session.rollback()
    view = service.product_view(page.ctx, view_id) if view_id else None
    return _render_form(page, form, view, _blank_means_required(errors, form), status_code=422)


@router.get("/products/new", response_class=HTMLResponse)
def new_product(page: Page = Depends(page_context)) -> HTMLResponse:
    page.actor.require("catalog.edit")
    form = _blank_form()
    form["supplier_id"] = page.request.query_params.get("supplier_id", "")
    return _render_form(page, form, None)


@router.post("/products/new", response_class=HTMLResponse)
def create_product(
    page: Page = Depends(form_page), data: FormData = Depends(form_fields)
) -> Response:
    page.actor.require("catalog.edit")
    form = _read_form(data)
    draft, problems = _parse_draft(form)
    if problems:
        return _save_failed(page, form, None, _local_errors(page, draft, problems))
    supplier_id = form["supplier_id"] if page.actor.is_operator else None
    try:
        product = service.create_product(page.ctx, draft, supplier_id)
    except ChuhaiError as exc:
        return _save_failed(page, form, None, _exception_errors(exc))
    page.ctx.session.commit()
    return redirect(
        f"/products/{product.id}/edit",
        notice=f"Product {product.ref} saved as a draft. Add images, then submit it for review.",
    )


@router.get("/products/{product_id}/edit", response_class=HTMLResponse)
def edit_product(product_id: str, page: Page = Depends(page_context)) -> HTMLResponse:
    view = service.product_view(page.ctx, product_id)
    page.actor.require("catalog.edit")
    return _render_form(page, _form_of(view), view)


@router.post("/products/{product_id}/edit", response_class=HTMLResponse)
def update_product(
    product_id: str, page: Page = Depends(form_page), data: FormData = Depends(form_fields)
) -> Response:
    view = service.product_view(page.ctx, product_id)
    page.actor.require("catalog.edit")
    form = _read_form(data)
    form["supplier_id"] = view.product.supplier_id
    draft, problems = _parse_draft(form)
    if problems:
        return _save_failed(page, form, product_id, _local_errors(page, draft, problems))
    try:
        service.update_product(page.ctx, product_id, draft)
    except ChuhaiError as exc:
        return _save_failed(page, form, product_id, _exception_errors(exc))
    page.ctx.session.commit()
    return redirect(f"/products/{product_id}/edit", notice="Changes saved.")


# --- images, certificates, submission ------------------------------------------------------------


def _upload(data: FormData, name: str) -> tuple[bytes, str] | None:
    value = data.get(name)
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    return value.file.read(), value.filename


def _attachment_failed(page: Page, product_id: str, **extra: Any) -> HTMLResponse:
    page.ctx.session.rollback()
    view = service.product_view(page.ctx, product_id)
    return _render_form(page, _form_of(view), view, status_code=422, **extra)


@router.post("/products/{product_id}/images", response_class=HTMLResponse)
def upload_image(
    product_id: str, page: Page = Depends(form_page), data: FormData = Depends(form_fields)
) -> Response:
    service.visible_product(page.ctx, product_id)
    upload = _upload(data, "image")
    if upload is None:
        return _attachment_failed(page, product_id, image_errors=["choose an image file first"])
    try:
        service.add_image(page.ctx, product_id, upload[0], upload[1])
    except ChuhaiError as exc:
        messages = [e.message for e in exc.errors] if isinstance(exc, ValidationFailed) else []
        return _attachment_failed(
            page, product_id, image_errors=messages or [exc.detail], image_name=upload[1]
        )
    page.ctx.session.commit()
    return redirect(f"/products/{product_id}/edit", notice=f"Image {upload[1]} uploaded.")


@router.post("/products/{product_id}/images/{image_id}/delete")
def delete_image(product_id: str, image_id: str, page: Page = Depends(form_page)) -> Response:
    try:
        service.remove_image(page.ctx, product_id, image_id)
    except ChuhaiError as exc:
        if exc.status == 404:
            raise
        return redirect(f"/products/{product_id}/edit", error=error_message(exc))
    page.ctx.session.commit()
    return redirect(f"/products/{product_id}/edit", notice="Image removed.")


def _date(text: str, name: str, problems: list[FieldError], required: bool) -> date | None:
    text = text.strip()
    if not text:
        if required:
            problems.append(FieldError(name, "is required"))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(FieldError(name, "give a date as YYYY-MM-DD"))
        return None


@router.post("/products/{product_id}/certificates", response_class=HTMLResponse)
def upload_certificate(
    product_id: str, page: Page = Depends(form_page), data: FormData = Depends(form_fields)
) -> Response:
    service.visible_product(page.ctx, product_id)
    cert_form = {
        name: str(data.get(name) or "")
        for name in ("cert_type", "number", "issuer", "issued_on", "expires_on")
    }
    problems: list[FieldError] = []
    issued_on = _date(cert_form["issued_on"], "issued_on", problems, required=True)
    expires_on = _date(cert_form["expires_on"], "expires_on", problems, required=False)
    upload = _upload(data, "file")
    if upload is None:
        problems.append(FieldError("file", "choose the certificate file (PDF or image)"))
    if problems or issued_on is None or upload is None:
        return _attachment_failed(
            page, product_id, cert_form=cert_form, cert_errors=_errors_of(problems)
        )
    try:
        certificate = service.add_certificate(
            page.ctx,
            product_id,
            cert_type=cert_form["cert_type"],
            number=cert_form["number"],
            issuer=cert_form["issuer"],
            issued_on=issued_on,
            expires_on=expires_on,
            content=upload[0],
            filename=upload[1],
        )
    except ChuhaiError as exc:
        return _attachment_failed(
            page, product_id, cert_form=cert_form, cert_errors=_exception_errors(exc)
        )
    page.ctx.session.commit()
    return redirect(
        f"/products/{product_id}/edit",
        notice=f"{certificate.cert_type} certificate {certificate.number} added.",
    )


@router.post("/products/{product_id}/submit")
def submit_product(
    product_id: str, page: Page = Depends(form_page), data: FormData = Depends(form_fields)
) -> Response:
    try:
        product = listing.submit(page.ctx, product_id, str(data.get("note") or ""))
    except ChuhaiError as exc:
        if exc.status == 404:
            raise
        # submit's own sentence says every reason at once ("cannot be submitted yet: ...")
        message = exc.detail if isinstance(exc, ValidationFailed) else error_message(exc)
        return redirect(f"/products/{product_id}/edit", error=message)
    page.ctx.session.commit()
    return redirect(f"/products/{product.id}", notice="Submitted for review.")


# --- stored files, for <img> and download links in the signed-in browser --------------------------


@router.get("/files/{file_id}")
def download_file(file_id: str, page: Page = Depends(page_context)) -> Response:
    row, content = read_file(page.ctx, file_id)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", row.original_name or "file")
    return Response(
        content,
        media_type=row.content_type,
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{name}"',
        },
    )


# --- catalog import ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    filename: str
    summary: str
    ok: bool
    errors: list[Any] = field(default_factory=list)
    created: list[ProductRow] = field(default_factory=list)
    skus: int = 0


def _render_imports(page: Page, status_code: int = 200, **data: Any) -> HTMLResponse:
    values: dict[str, Any] = {
        "result": None,
        "error_text": None,
        "supplier_id": "",
        "suppliers": _supplier_choices(page) if page.actor.is_operator else [],
        "columns": COLUMNS,
        "required_columns": REQUIRED_COLUMNS,
    }
    values.update(data)
    return render(page, "catalog/imports.html", status_code=status_code, **values)


@router.get("/imports", response_class=HTMLResponse)
def imports(page: Page = Depends(page_context)) -> HTMLResponse:
    page.actor.require("catalog.edit")
    return _render_imports(page)


@router.post("/imports", response_class=HTMLResponse)
def run_import(page: Page = Depends(form_page), data: FormData = Depends(form_fields)) -> Response:
    page.actor.require("catalog.edit")
    supplier_id = str(data.get("supplier_id") or "") if page.actor.is_operator else ""
    upload = _upload(data, "file")
    if upload is None:
        return _render_imports(
            page, 422, error_text="Choose a .csv or .xlsx file to import.", supplier_id=supplier_id
        )
    content, filename = upload
    try:
        outcome = service.import_catalog(page.ctx, filename, content, supplier_id or None)
    except ChuhaiError as exc:
        page.ctx.session.rollback()
        return _render_imports(page, 422, error_text=error_message(exc), supplier_id=supplier_id)
    report = outcome.report
    result = ImportResult(
        filename=filename,
        summary=report.summary(),
        ok=report.ok,
        errors=list(report.errors),
        created=list(outcome.created),
        skus=sum(len(p.skus) for p in report.products),
    )
    if not report.ok:
        page.ctx.session.rollback()
        return _render_imports(page, 422, result=result, supplier_id=supplier_id)
    page.ctx.session.commit()
    return _render_imports(page, result=result, supplier_id=supplier_id)


@router.get("/imports/template.csv")
def import_template_csv(page: Page = Depends(page_context)) -> Response:
    return Response(
        template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="chuhai-catalog-template.csv"'},
    )


@router.get("/imports/template.xlsx")
def import_template_xlsx(page: Page = Depends(page_context)) -> Response:
    return Response(
        template_xlsx(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="chuhai-catalog-template.xlsx"'},
    )
