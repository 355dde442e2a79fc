"""Studios' designs against published briefs, their review, and what acceptance makes.

    submitted → changes_requested (feedback) → resubmitted → … → accepted | rejected

A studio's users see and submit only their own studio's designs (another studio's design id
answers 404, before any permission check); merchandisers review them all. A design needs a
specification and a bill of materials. Accepting records the studio's terms for settlement
(a fixed fee in CNY, or a royalty in % of the supply price) and turns the design into a
product draft for each chosen factory, through the catalog, which then takes the normal
listing workflow.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from chuhai.catalog import service as catalog
from chuhai.catalog.model import ProductDraft, SkuDraft
from chuhai.core import events
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.files import check_image, file_content, file_row, store_file
from chuhai.core.ids import new_id
from chuhai.core.money import Money
from chuhai.core.pagination import Page, paginate
from chuhai.sourcing import briefs, factories
from chuhai.sourcing.history import history_of, move, record
from chuhai.sourcing.model import DESIGN, MAX_SPECIFICATION, Terms, bom_cost_fen, parse_bom
from chuhai.sourcing.tables import DesignRow, SourcingEventRow

DOCUMENT = "design"
MAX_FACTORIES = 5


MAX_IMAGES = 12
# the studio may still change images while the design waits for review or feedback
IMAGE_STATES = frozenset({"submitted", "changes_requested", "resubmitted"})


@dataclass
class DesignDraft:
    title: str
    specification: str
    bom: list[dict[str, str]]  # material, quantity, unit, unit_cost (CNY text)
    target_cost: str  # CNY per unit, e.g. "18.50"


# --- reading ---------------------------------------------------------------------------------


def visible_design(ctx: Context, design_id: str) -> DesignRow:
    row = ctx.session.get(DesignRow, design_id)
    if row is None or (not ctx.actor.is_operator and row.studio_id != ctx.actor.studio_id):
        raise NotFound("no such design", field="design_id")
    ctx.actor.require("designs.read")
    return row


def list_designs(
    ctx: Context,
    brief_id: str | None = None,
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[DesignRow]:
    ctx.actor.require("designs.read")
    query = select(DesignRow).order_by(DesignRow.created_at.desc(), DesignRow.id)
    if not ctx.actor.is_operator:
        query = query.where(DesignRow.studio_id == ctx.actor.studio_id)
    if brief_id:
        query = query.where(DesignRow.brief_id == brief_id)
    if state:
        query = query.where(DesignRow.state == state)
    return paginate(ctx.session, query, limit, offset)


def design_history(ctx: Context, design_id: str) -> list[SourcingEventRow]:
    return history_of(ctx.session, visible_design(ctx, design_id).id)


# --- the studio ------------------------------------------------------------------------------


def submit(ctx: Context, brief_id: str, draft: DesignDraft) -> DesignRow:
    ctx.actor.require("designs.submit")
    brief = briefs.visible_brief(ctx, brief_id)
    if brief.state != "published":
        raise Conflict(
            f"designs answer published briefs; this one is {brief.state}",
            current_state=brief.state,
            field="brief_id",
        )
    if not ctx.actor.studio_id:
        raise ValidationFailed.one("studio", "only a studio's users submit designs")
    now = ctx.now()
    row = DesignRow(
        id=new_id("dsg"),
        brief_id=brief.id,
        studio_id=ctx.actor.studio_id,
        state="submitted",
        revision=1,
        product_ids=[],
        image_file_ids=[],
        submitted_by=ctx.actor.user_id,
        created_at=now,
        updated_at=now,
    )
    _apply(row, draft)
    ctx.session.add(row)
    record(ctx, DOCUMENT, row.id, "submit", None, "submitted")
    ctx.session.flush()
    return row


def resubmit(ctx: Context, design_id: str, draft: DesignDraft, note: str = "") -> DesignRow:
    row = visible_design(ctx, design_id)
    ctx.actor.require(DESIGN.transition(row.state, "resubmit").permission)
    _apply(row, draft)
    row.revision += 1
    move(ctx, DESIGN, DOCUMENT, row, "resubmit", note)
    return row


def _apply(row: DesignRow, draft: DesignDraft) -> None:
    errors: list[FieldError] = []
    title = draft.title.strip()
    if not title or len(title) > 200:
        errors.append(FieldError("title", "1-200 characters"))
    specification = (draft.specification or "").strip()
    if not specification:
        errors.append(FieldError("specification", "a design needs a specification"))
    elif len(specification) > MAX_SPECIFICATION:
        errors.append(FieldError("specification", f"at most {MAX_SPECIFICATION} characters"))
    lines, bom_errors = parse_bom(draft.bom)
    errors += bom_errors
    target = _target_cost(draft.target_cost, errors)
    if errors:
        raise ValidationFailed(errors)
    row.title, row.specification = title, specification
    row.bom = [line.as_dict() for line in lines]
    row.bom_cost = bom_cost_fen(lines)
    row.target_cost = target


def _target_cost(text: str, errors: list[FieldError]) -> int:
    try:
        fen = Money.parse(text, "CNY", "target_cost").amount_minor
    except ValidationFailed as bad:
        errors.extend(bad.errors)
        return 0
    if fen <= 0:
        errors.append(FieldError("target_cost", "must be greater than zero (CNY per unit)"))
    return fen


def add_image(ctx: Context, design_id: str, content: bytes, filename: str) -> DesignRow:
    """An image of the design, checked and stored as the catalog stores product images.

    The stored file's owner column holds the studio's id: no supplier's id matches it, so
    the generic file download answers 404 to every supplier and studio, and the image is
    read only through its design (`design_image`), whose tenancy check applies."""
    row = visible_design(ctx, design_id)
    ctx.actor.require("designs.submit")
    if row.state not in IMAGE_STATES:
        raise Conflict(
            f"images cannot be changed on a design that is {row.state}",
            current_state=row.state,
            field="image",
        )
    if len(row.image_file_ids) >= MAX_IMAGES:
        raise ValidationFailed.one("image", f"a design has at most {MAX_IMAGES} images")
    checked = check_image(content, ctx.settings.max_image_bytes)
    stored = store_file(ctx, checked, filename, row.studio_id)
    row.image_file_ids = [*row.image_file_ids, stored.id]
    row.updated_at = ctx.now()
    ctx.session.flush()
    return row


def design_image(ctx: Context, design_id: str, file_id: str) -> tuple[str, bytes]:
    """(content type, bytes) of one of the design's images."""
    row = visible_design(ctx, design_id)
    stored = file_row(ctx.session, file_id)
    if stored is None or file_id not in row.image_file_ids:
        raise NotFound("no such image on this design", field="file_id")
    return stored.content_type, file_content(ctx.settings.files_dir, stored)


# --- review ----------------------------------------------------------------------------------


def request_changes(ctx: Context, design_id: str, feedback: str) -> DesignRow:
    row = visible_design(ctx, design_id)
    ctx.actor.require(DESIGN.transition(row.state, "request_changes").permission)
    if not (feedback or "").strip():
        raise ValidationFailed.one("feedback", "say what should change")
    row.feedback = feedback.strip()
    move(ctx, DESIGN, DOCUMENT, row, "request_changes", feedback)
    return row


def reject(ctx: Context, design_id: str, reason: str) -> DesignRow:
    row = visible_design(ctx, design_id)
    ctx.actor.require(DESIGN.transition(row.state, "reject").permission)
    if not (reason or "").strip():
        raise ValidationFailed.one("reason", "say why the design is rejected")
    row.feedback = reason.strip()
    move(ctx, DESIGN, DOCUMENT, row, "reject", reason)
    return row


def factory_matches(ctx: Context, design_id: str) -> list[factories.Match]:
    """Verified factories of the brief's category, ranked for this design's first run."""
    row = visible_design(ctx, design_id)
    ctx.actor.require("designs.review")
    brief = briefs.visible_brief(ctx, row.brief_id)
    found = factories.profiles(ctx, brief.category_code)
    return factories.rank(found, ctx.settings.first_run_max, row.target_cost)


def accept(ctx: Context, design_id: str, terms: Terms, supplier_ids: list[str]) -> DesignRow:
    """Accept the design with the studio's terms and make a product draft for each chosen
    factory (it must be a verified factory of the brief's category). Returns the design;
    `product_ids` names the drafts."""
    row = visible_design(ctx, design_id)
    transition = DESIGN.transition(row.state, "accept")
    ctx.actor.require(transition.permission)
    ctx.actor.require("catalog.edit")
    chosen = list(dict.fromkeys(supplier_ids))
    if not chosen or len(chosen) > MAX_FACTORIES:
        raise ValidationFailed.one("factories", f"choose 1 to {MAX_FACTORIES} factories")
    brief = briefs.visible_brief(ctx, row.brief_id)
    profiles = {p.supplier_id: p for p in factories.profiles(ctx, brief.category_code)}
    unknown = [s for s in chosen if s not in profiles]
    if unknown:
        raise ValidationFailed.one(
            "factories",
            f"not a verified factory of category {brief.category_code}: {', '.join(unknown)}",
        )
    products = [
        catalog.create_product(ctx, _product_draft(row, brief, profiles[s], i), supplier_id=s)
        for i, s in enumerate(chosen)
    ]
    for product in products:  # the listing workflow asks for images: the studio's go along
        for file_id in row.image_file_ids:
            content_type, content = design_image(ctx, row.id, file_id)
            catalog.add_image(ctx, product.id, content, f"design.{content_type.split('/')[-1]}")
    row.terms_kind, row.fee, row.royalty_bp = terms.kind, terms.fee_fen, terms.royalty_bp
    row.product_ids = [p.id for p in products]
    move(ctx, DESIGN, DOCUMENT, row, "accept", terms.describe())
    if terms.kind == "fee":  # owed now; a royalty is owed on each run received
        events.publish(
            ctx,
            "studio.owed",
            studio_id=row.studio_id,
            amount=terms.fee_fen,
            memo=f"design {row.id} accepted: {terms.describe()}",
            document_type="design",
            document_id=row.id,
        )
    return row


def _product_draft(
    design: DesignRow, brief: briefs.DesignBriefRow, factory: factories.FactoryProfile, index: int
) -> ProductDraft:
    """The product as the factory will list it: the design's title and specification, one SKU
    at the design's target cost with the factory's declared MOQ, capacity and lead time for
    the category, and the brief's reference size."""
    ref = f"D-{design.id[-10:].upper()}-{index + 1}"
    materials = ", ".join(str(line["material"]) for line in design.bom)[:300]
    return ProductDraft(
        ref=ref,
        category_code=brief.category_code,
        title_zh=design.title,
        title_en=design.title,
        description_en=design.specification,
        skus=[
            SkuDraft(
                sku_code=f"{ref}-A",
                supply_price=str(Money(design.target_cost, "CNY").to_decimal()),
                weight_g=brief.weight_g,
                length_mm=brief.length_mm,
                width_mm=brief.width_mm,
                height_mm=brief.height_mm,
                moq=factory.moq,
                lead_time_days=factory.lead_time_days,
                daily_capacity=factory.daily_capacity,
                materials=materials,
            )
        ],
        attributes={str(k): str(v) for k, v in brief.attributes.items()},
        target_markets=list(brief.markets),
    )


def design_of_product(ctx: Context, product_id: str) -> DesignRow | None:
    """The accepted design a product was made from, if any (JSON membership is read in
    Python: one brief has few designs and this runs once per production order)."""
    query = select(DesignRow).where(DesignRow.state == "accepted")
    for row in ctx.session.scalars(query):
        if product_id in (row.product_ids or []):
            return row
    return None
