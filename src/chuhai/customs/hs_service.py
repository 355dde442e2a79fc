"""Use cases of the HS classification assist: suggest subheadings for product texts and for a
product's SKUs, confirm a SKU's code, and read the confirmations.

The model (`customs.hs_classify`) learns from the packaged seed descriptions plus every
SKU's newest confirmation, so a code customs staff confirm improves the next suggestion.
It is held per process and rebuilt when the confirmations change (one aggregate query per
call tells); the nomenclature part is built once per process (about half a second).

Who may do what: every operator may ask for suggestions (`hs.suggest`); customs and
compliance staff confirm codes (`hs.confirm`). Suggestions show the texts of earlier
confirmations as evidence, so suppliers do not get them: another supplier's titles would
leak. A confirmation is refused, naming the field, when the code is not an HS 2022
subheading; nothing is written then.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from chuhai.catalog import service as catalog
from chuhai.core.context import Context
from chuhai.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.pagination import Page, paginate
from chuhai.customs.hs import (
    HsEntry,
    LabelledDescription,
    format_code,
    load_material_chapters,
    load_nomenclature,
    load_seed_examples,
    validate_subheading,
)
from chuhai.customs.hs_classify import (
    TOP,
    EmbeddingsUnavailable,
    HsClassifier,
    MiniLmEmbedder,
    NomenclatureIndex,
    ProductText,
    SentenceEmbedder,
    Suggestion,
)
from chuhai.customs.tables import HsConfirmationRow

MAX_BATCH = 10_000
MAX_TITLE_CHARS = 300
MAX_DESCRIPTION_CHARS = 5_000
MAX_MATERIAL_CHARS = 300
MAX_NOTE_CHARS = 1_000


@dataclass(frozen=True)
class SuggestedCode:
    """A ranked subheading as people read it."""

    code: str
    score: float
    description: str  # the subheading's text, after its heading's
    subheading: str  # the subheading's own words
    chapter: str
    examples: tuple[str, ...] = ()  # labelled texts that voted for it

    @property
    def dotted(self) -> str:
        return format_code(self.code)


@dataclass
class SkuClassification:
    sku_id: str
    sku_code: str
    materials: str
    hs_code: str | None
    text: str
    suggestions: list[SuggestedCode]
    last_confirmation: HsConfirmationRow | None = None


@dataclass
class ProductClassification:
    product_id: str
    text: str  # the product's title, its SKUs' materials and its description
    suggestions: list[SuggestedCode]
    skus: list[SkuClassification] = field(default_factory=list)


# --- the model, held per process -----------------------------------------------------------------


class _Model:
    """The nomenclature index (built once) and the classifier for the current examples; the
    same again with sentence embeddings, when asked for."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: dict[bool, NomenclatureIndex] = {}
        self.built: dict[bool, tuple[tuple[object, ...], HsClassifier]] = {}

    def current(self, ctx: Context, embeddings: bool = False) -> HsClassifier:
        key = tuple(
            ctx.session.execute(
                select(func.count(HsConfirmationRow.id), func.max(HsConfirmationRow.confirmed_at))
            ).one()
        )
        with self.lock:
            index = self.index.get(embeddings)
            if index is None:
                embedder = _embedder() if embeddings else None
                index = NomenclatureIndex(load_nomenclature(), embedder, load_material_chapters())
                self.index[embeddings] = index
            built = self.built.get(embeddings)
            if built is None or built[0] != key:
                built = (key, HsClassifier(index, training_examples(ctx)))
                self.built[embeddings] = built
            return built[1]


_model = _Model()


def _embedder() -> SentenceEmbedder:
    try:
        return MiniLmEmbedder()
    except EmbeddingsUnavailable as exc:
        raise Conflict(str(exc), field="embeddings") from None


def training_examples(ctx: Context) -> list[LabelledDescription]:
    """The seed descriptions, then each SKU's newest confirmation (a corrected code replaces
    the one it corrects); the same text confirmed with the same code counts once."""
    newest: dict[str, HsConfirmationRow] = {}
    query = select(HsConfirmationRow).order_by(HsConfirmationRow.confirmed_at, HsConfirmationRow.id)
    for row in ctx.session.scalars(query):
        newest[row.sku_id] = row
    confirmed = {
        (row.text, row.code): LabelledDescription(row.text, row.code, row.note)
        for row in newest.values()
    }
    return [*load_seed_examples(), *confirmed.values()]


def _suggested(found: Sequence[Suggestion]) -> list[SuggestedCode]:
    nomenclature = load_nomenclature()
    return [
        SuggestedCode(
            code=s.code,
            score=s.score,
            description=nomenclature.subheading_text(s.code),
            subheading=nomenclature.entries[s.code].description,
            chapter=nomenclature.entries[s.code[:2]].description,
            examples=s.examples,
        )
        for s in found
    ]


# --- suggesting -----------------------------------------------------------------------------------


def _check_texts(products: Sequence[ProductText]) -> None:
    if not products:
        raise ValidationFailed.one("products", "give at least one product")
    if len(products) > MAX_BATCH:
        raise ValidationFailed.one("products", f"at most {MAX_BATCH:,} products at once")
    errors = []
    for i, p in enumerate(products):
        prefix = f"products[{i}]." if len(products) > 1 else ""
        if not p.title.strip():
            errors.append(FieldError(f"{prefix}title", "is required"))
        for name, value, limit in (
            ("title", p.title, MAX_TITLE_CHARS),
            ("description", p.description, MAX_DESCRIPTION_CHARS),
            ("material", p.material, MAX_MATERIAL_CHARS),
        ):
            if len(value) > limit:
                errors.append(FieldError(f"{prefix}{name}", f"at most {limit:,} characters"))
    if errors:
        raise ValidationFailed(errors)


def suggest(
    ctx: Context, products: Sequence[ProductText], top: int = TOP, *, embeddings: bool = False
) -> list[list[SuggestedCode]]:
    """The `top` (1-10) best HS subheadings for each product text, best first.

    With `embeddings`, the optional all-MiniLM-L6-v2 model adds its signals (the first call
    in a process embeds the nomenclature: a minute or two on a CPU); Conflict when the model
    is not installed.
    """
    ctx.actor.require("hs.suggest")
    if not 1 <= top <= 10:
        raise ValidationFailed.one("top", "between 1 and 10")
    _check_texts(products)
    classifier = _model.current(ctx, embeddings)
    return [_suggested(found) for found in classifier.suggest(list(products), top)]


def _sku_text(product: catalog.ProductView, materials: str) -> ProductText:
    return ProductText(
        title=product.product.title_en,
        description=product.product.description_en,
        material=materials,
    )


def classify_product(ctx: Context, product_id: str, top: int = TOP) -> ProductClassification:
    """Suggestions for a product as a whole and for each of its SKUs (a SKU's material can
    change its code: a ceramic mug and a steel one are in different chapters)."""
    view = catalog.product_view(ctx, product_id)  # another tenant's product: NotFound first
    ctx.actor.require("hs.suggest")
    materials = ", ".join(dict.fromkeys(s.materials.strip() for s in view.skus if s.materials))
    whole = _sku_text(view, materials)
    sku_texts = [_sku_text(view, s.materials) for s in view.skus]
    classifier = _model.current(ctx)
    distinct = list(dict.fromkeys([whole, *sku_texts]))
    found = dict(zip(distinct, classifier.suggest(distinct, top), strict=True))
    latest = _latest_confirmations(ctx, [s.id for s in view.skus])
    return ProductClassification(
        product_id=view.product.id,
        text=whole.joined(),
        suggestions=_suggested(found[whole]),
        skus=[
            SkuClassification(
                sku_id=sku.id,
                sku_code=sku.sku_code,
                materials=sku.materials,
                hs_code=sku.hs_code,
                text=text.joined(),
                suggestions=_suggested(found[text]),
                last_confirmation=latest.get(sku.id),
            )
            for sku, text in zip(view.skus, sku_texts, strict=True)
        ],
    )


def _latest_confirmations(ctx: Context, sku_ids: list[str]) -> dict[str, HsConfirmationRow]:
    if not sku_ids:
        return {}
    query = (
        select(HsConfirmationRow)
        .where(HsConfirmationRow.sku_id.in_(sku_ids))
        .order_by(HsConfirmationRow.confirmed_at, HsConfirmationRow.id)
    )
    return {row.sku_id: row for row in ctx.session.scalars(query)}


# --- confirming -----------------------------------------------------------------------------------


def confirm_hs_code(ctx: Context, sku_id: str, code: str, note: str = "") -> HsConfirmationRow:
    """Confirm a SKU's HS subheading: set it on the SKU and record who, when, the text that
    was classified and where the code stood among the suggestions. The record is a labelled
    example for every later suggestion.

    Raises:
        Forbidden: the actor may not confirm codes.
        NotFound: no such SKU (field `sku_id`).
        ValidationFailed: the code is not an HS 2022 subheading (field `hs_code`), or the
            note is too long (field `note`).
    """
    sku = catalog.visible_sku(ctx, sku_id)  # another tenant's SKU: NotFound first
    ctx.actor.require("hs.confirm")
    checked = validate_subheading(code, field="hs_code")
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ValidationFailed.one("note", f"at most {MAX_NOTE_CHARS:,} characters")
    view = catalog.product_view(ctx, sku.product_id)
    text = _sku_text(view, sku.materials)
    shown = [s.code for s in _model.current(ctx).suggest([text])[0]]
    previous = sku.hs_code
    catalog.set_hs_code(ctx, sku.id, checked)
    row = HsConfirmationRow(
        id=new_id("hsc"),
        sku_id=sku.id,
        product_id=sku.product_id,
        code=checked,
        previous_code=previous,
        edition=load_nomenclature().edition,
        text=text.joined(),
        note=note,
        suggested_rank=shown.index(checked) + 1 if checked in shown else None,
        confirmed_by=ctx.actor.user_id,
        confirmed_by_name=(ctx.actor.display_name or ctx.actor.username)[:100],
        confirmed_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def list_confirmations(
    ctx: Context,
    *,
    product_id: str | None = None,
    sku_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[HsConfirmationRow]:
    """Confirmations, newest first; for one product or SKU when asked."""
    query = select(HsConfirmationRow).order_by(
        HsConfirmationRow.confirmed_at.desc(), HsConfirmationRow.id.desc()
    )
    if product_id is not None:
        catalog.visible_product(ctx, product_id)
        query = query.where(HsConfirmationRow.product_id == product_id)
    if sku_id is not None:
        catalog.visible_sku(ctx, sku_id)
        query = query.where(HsConfirmationRow.sku_id == sku_id)
    ctx.actor.require("hs.suggest")
    return paginate(ctx.session, query, limit, offset)


# --- the nomenclature -----------------------------------------------------------------------------


def look_up(ctx: Context, code: str) -> list[HsEntry]:
    """A code's chapter, heading and subheading (a 2- or 4-digit code: as far as it goes).

    Raises NotFound (field `code`) for a code that is not in the nomenclature.
    """
    ctx.actor.require("hs.suggest")
    nomenclature = load_nomenclature()
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) not in (2, 4, 6) or digits != code.replace(".", "").replace(" ", ""):
        raise NotFound(f"{code!r} is not an HS code", field="code")
    if digits not in nomenclature.entries:
        raise NotFound(f"{format_code(digits)} is not in {nomenclature.edition}", field="code")
    return nomenclature.path(digits)
