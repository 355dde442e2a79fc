"""The full-custody listing workflow as use cases: submit, compliance review, IP review,
supply-price negotiation, sample QC, listing in markets, delisting, rejection.

Every move goes through `LISTING` (the one transition table in `catalog.model`) and is stored
with who, when, from, to and why. Screenings (compliance rules, brand registry) store what
they found so a reviewer sees the evidence and the history keeps it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from chuhai.catalog.compliance import Certificate, ComplianceFinding, evaluate_compliance
from chuhai.catalog.ip_screen import BrandMatch, screen_brands
from chuhai.catalog.model import LISTING, REJECT_PERMISSION, State
from chuhai.catalog.registry import brand_entries, compliance_rules
from chuhai.catalog.service import list_products, skus_of, visible_product
from chuhai.catalog.tables import (
    CertificateRow,
    ListingTransitionRow,
    NegotiationRoundRow,
    ProductImageRow,
    ProductMarketRow,
    ProductRow,
    QcCheckRow,
    QcSampleRow,
    ReviewFindingRow,
    SupplyPriceChangeRow,
)
from chuhai.core import jobs
from chuhai.core.context import Context
from chuhai.core.db import length_errors
from chuhai.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from chuhai.core.files import check_image, store_file
from chuhai.core.ids import new_id
from chuhai.core.money import Money
from chuhai.markets.service import active_market_codes
from chuhai.parties.service import supplier_of


def _move(
    ctx: Context,
    product: ProductRow,
    action: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> ListingTransitionRow:
    transition = LISTING.transition(product.state, action)
    permission = REJECT_PERMISSION[product.state] if action == "reject" else transition.permission
    ctx.actor.require(permission)
    row = ListingTransitionRow(
        id=new_id("ltr"),
        product_id=product.id,
        action=action,
        from_state=product.state,
        to_state=transition.target,
        actor_id=ctx.actor.user_id,
        actor_name=ctx.actor.display_name or ctx.actor.username,
        reason=reason.strip(),
        details=details or {},
        at=ctx.now(),
    )
    ctx.session.add(row)
    product.state = transition.target
    product.updated_at = ctx.now()
    ctx.session.flush()
    return row


def available_actions(ctx: Context, product: ProductRow) -> list[str]:
    """The actions the actor may take on the product now (for doors to show as buttons)."""
    actions = []
    for transition in LISTING.actions_from(product.state):
        permission = (
            REJECT_PERMISSION[product.state]
            if transition.action == "reject"
            else transition.permission
        )
        if ctx.actor.can(permission):
            actions.append(transition.action)
    return actions


# --- submission -------------------------------------------------------------------------------


def submit(ctx: Context, product_id: str, note: str = "") -> ProductRow:
    product = visible_product(ctx, product_id)
    action = "resubmit" if product.state == State.REJECTED else "submit"
    LISTING.transition(product.state, action)  # 409 before any other check
    supplier = supplier_of(ctx.session, product.supplier_id)
    problems = []
    if supplier.status != "verified":
        problems.append(
            FieldError(
                "supplier", f"the supplier is {supplier.status}, not verified by the platform yet"
            )
        )
    if not product.target_markets:
        problems.append(FieldError("target_markets", "choose at least one market to sell in"))
    if not skus_of(ctx.session, product.id):
        problems.append(FieldError("skus", "a product needs at least one SKU"))
    images = ctx.session.scalar(
        select(func.count()).where(ProductImageRow.product_id == product.id)
    )
    if not images:
        problems.append(FieldError("images", "add at least one product image"))
    if problems:
        raise ValidationFailed(
            problems,
            detail="the product cannot be submitted yet: "
            + "; ".join(f"{p.field}: {p.message}" for p in problems),
        )
    _move(ctx, product, action, note)
    return product


def withdraw(ctx: Context, product_id: str, reason: str) -> ProductRow:
    """The supplier takes its product out of review (in negotiation: declines the offer)."""
    product = visible_product(ctx, product_id)
    _require_reason(reason)
    if product.state == State.PRICE_NEGOTIATION and not ctx.actor.is_operator:
        return decline_offer(ctx, product_id, reason)
    _move(ctx, product, "withdraw", reason)
    return product


def reject(ctx: Context, product_id: str, reason: str) -> ProductRow:
    """The reviewer of the current stage turns the product down; in negotiation this is a
    declined offer and in sample QC a failed sample, so their records stay complete."""
    product = visible_product(ctx, product_id)
    _require_reason(reason)
    if product.state == State.PRICE_NEGOTIATION:
        return decline_offer(ctx, product_id, reason)
    if product.state == State.SAMPLE_QC:
        return fail_qc(ctx, product_id, reason)
    _move(ctx, product, "reject", reason)
    return product


def _require_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise ValidationFailed.one("reason", "say why, so the supplier knows what to change")


# --- compliance review --------------------------------------------------------------------------


def _certificates(ctx: Context, product_id: str) -> list[Certificate]:
    rows = ctx.session.scalars(
        select(CertificateRow).where(CertificateRow.product_id == product_id)
    )
    return [Certificate(r.cert_type, r.number, r.issued_on, r.expires_on) for r in rows]


def compliance_findings(
    ctx: Context, product: ProductRow, markets: list[str] | None = None
) -> list[ComplianceFinding]:
    return evaluate_compliance(
        product.category_code,
        markets if markets is not None else product.target_markets,
        compliance_rules(ctx.session),
        _certificates(ctx, product.id),
        ctx.now().date(),
    )


def _store_findings(
    ctx: Context, product: ProductRow, review: str, findings: list[tuple[bool, str, dict[str, Any]]]
) -> None:
    ctx.session.execute(
        delete(ReviewFindingRow).where(
            ReviewFindingRow.product_id == product.id, ReviewFindingRow.review == review
        )
    )
    for blocking, message, details in findings:
        ctx.session.add(
            ReviewFindingRow(
                id=new_id("fnd"),
                product_id=product.id,
                review=review,
                blocking=blocking,
                message=message,
                details=details,
                created_at=ctx.now(),
            )
        )


def _store_compliance(ctx: Context, product: ProductRow) -> list[ComplianceFinding]:
    findings = compliance_findings(ctx, product)
    _store_findings(
        ctx,
        product,
        "compliance",
        [
            (
                f.blocking,
                f.message,
                {
                    "market": f.market_code,
                    "rule_id": f.rule_id,
                    "certificate_type": f.certificate_type,
                },
            )
            for f in findings
        ],
    )
    return findings


def start_compliance_review(ctx: Context, product_id: str) -> ProductRow:
    product = visible_product(ctx, product_id)
    _move(ctx, product, "start_compliance_review")
    _store_compliance(ctx, product)
    return product


def rerun_compliance(ctx: Context, product_id: str) -> list[ComplianceFinding]:
    """Screen again (e.g. after the supplier uploaded a certificate)."""
    product = visible_product(ctx, product_id)
    ctx.actor.require("review.compliance")
    if product.state != State.COMPLIANCE_REVIEW:
        raise Conflict(
            f"the product is {product.state}, not in compliance review", current_state=product.state
        )
    return _store_compliance(ctx, product)


def pass_compliance(ctx: Context, product_id: str, note: str = "") -> ProductRow:
    product = visible_product(ctx, product_id)
    LISTING.transition(product.state, "pass_compliance")
    findings = _store_compliance(ctx, product)
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise Conflict(
            "compliance findings block this product: " + "; ".join(f.message for f in blocking),
            findings=[f.message for f in blocking],
        )
    _move(ctx, product, "pass_compliance", note)
    _store_ip(ctx, product)
    return product


# --- IP review ----------------------------------------------------------------------------------


def ip_matches(ctx: Context, product: ProductRow) -> list[BrandMatch]:
    fields = {
        "brand": product.brand,
        "title_en": product.title_en,
        "title_zh": product.title_zh,
        "description_en": product.description_en,
        "description_zh": product.description_zh,
    }
    return screen_brands(fields, brand_entries(ctx.session))


def _store_ip(ctx: Context, product: ProductRow) -> list[BrandMatch]:
    matches = ip_matches(ctx, product)
    _store_findings(
        ctx,
        product,
        "ip",
        [
            (
                True,
                m.reason,
                {
                    "brand_id": m.brand_id,
                    "brand": m.brand_name,
                    "field": m.field,
                    "matched_text": m.matched_text,
                    "term": m.term,
                    "score": m.score,
                    "kind": m.kind,
                },
            )
            for m in matches
        ],
    )
    return matches


def pass_ip(ctx: Context, product_id: str, note: str = "") -> ProductRow:
    """Clear IP review. When the registry matched, the reviewer must say why it is cleared
    (an authorisation letter, a false positive...)."""
    product = visible_product(ctx, product_id)
    LISTING.transition(product.state, "pass_ip")
    matches = _store_ip(ctx, product)
    if matches and not note.strip():
        raise ValidationFailed.one(
            "note", f"{len(matches)} brand match(es) found; say why the product is cleared"
        )
    _move(ctx, product, "pass_ip", note, {"brand_matches": len(matches)})
    return product


def findings(ctx: Context, product_id: str, review: str | None = None) -> list[ReviewFindingRow]:
    product = visible_product(ctx, product_id)
    query = select(ReviewFindingRow).where(ReviewFindingRow.product_id == product.id)
    if review:
        query = query.where(ReviewFindingRow.review == review)
    return list(
        ctx.session.scalars(
            query.order_by(ReviewFindingRow.review, ReviewFindingRow.blocking.desc())
        )
    )


# --- supply-price negotiation -------------------------------------------------------------------


def _party(ctx: Context) -> str:
    if ctx.actor.can("negotiation.platform") and ctx.actor.is_operator:
        return "platform"
    if ctx.actor.can("negotiation.supplier") and not ctx.actor.is_operator:
        return "supplier"
    raise Forbidden("your role may not negotiate supply prices", permission="negotiation")


def negotiation_rounds(ctx: Context, product_id: str) -> list[NegotiationRoundRow]:
    product = visible_product(ctx, product_id)
    query = (
        select(NegotiationRoundRow)
        .where(NegotiationRoundRow.product_id == product.id)
        .order_by(NegotiationRoundRow.round_no)
    )
    return list(ctx.session.scalars(query))


def _in_negotiation(
    ctx: Context, product_id: str, move: str
) -> tuple[ProductRow, list[NegotiationRoundRow]]:
    product = visible_product(ctx, product_id)
    if product.state != State.PRICE_NEGOTIATION:
        raise Conflict(
            f"cannot {move} on a product that is {product.state}", current_state=product.state
        )
    return product, negotiation_rounds(ctx, product_id)


def _add_round(
    ctx: Context,
    product: ProductRow,
    rounds: list[NegotiationRoundRow],
    party: str,
    move: str,
    prices: dict[str, int],
    note: str,
) -> NegotiationRoundRow:
    row = NegotiationRoundRow(
        id=new_id("neg"),
        product_id=product.id,
        round_no=len(rounds) + 1,
        party=party,
        move=move,
        prices=prices,
        note=note.strip(),
        actor_id=ctx.actor.user_id,
        at=ctx.now(),
    )
    ctx.session.add(row)
    product.updated_at = ctx.now()
    ctx.session.flush()
    return row


def make_offer(
    ctx: Context, product_id: str, prices: dict[str, str], note: str = ""
) -> NegotiationRoundRow:
    """A counter-offer: a supply price (CNY decimal string) for every SKU of the product.

    The platform opens; then the parties take turns.
    """
    party = _party(ctx)
    product, rounds = _in_negotiation(ctx, product_id, "make an offer")
    offers = [r for r in rounds if r.move == "offer"]
    if party == "supplier" and not offers:
        raise Conflict("the platform has not made an offer yet", current_state=product.state)
    if offers and offers[-1].party == party:
        raise Conflict(
            "wait for the other party's answer to your last offer", current_state=product.state
        )
    parsed = _parse_prices(ctx, product, prices)
    return _add_round(ctx, product, rounds, party, "offer", parsed, note)


def _parse_prices(ctx: Context, product: ProductRow, prices: dict[str, str]) -> dict[str, int]:
    skus = {sku.id for sku in skus_of(ctx.session, product.id)}
    errors = []
    parsed = {}
    for sku_id in sorted(set(prices) - skus):
        errors.append(FieldError(f"prices.{sku_id}", "is not a SKU of this product"))
    for sku_id in sorted(skus - set(prices)):
        errors.append(FieldError(f"prices.{sku_id}", "give a price for every SKU"))
    for sku_id, text in prices.items():
        if sku_id not in skus:
            continue
        try:
            amount = Money.parse(text, "CNY", f"prices.{sku_id}").amount_minor
        except ValidationFailed as exc:
            errors.extend(exc.errors)
            continue
        if amount <= 0:
            errors.append(FieldError(f"prices.{sku_id}", "must be greater than zero"))
        parsed[sku_id] = amount
    if errors:
        raise ValidationFailed(errors)
    return parsed


def accept_offer(ctx: Context, product_id: str, note: str = "") -> ProductRow:
    """Accept the other party's latest offer (or, for the platform, the declared prices when
    nobody has offered yet). The agreed prices become the SKUs' supply prices."""
    party = _party(ctx)
    product, rounds = _in_negotiation(ctx, product_id, "accept an offer")
    offers = [r for r in rounds if r.move == "offer"]
    if offers and offers[-1].party == party:
        raise Conflict("you cannot accept your own offer", current_state=product.state)
    if not offers and party == "supplier":
        raise Conflict("the platform has not made an offer yet", current_state=product.state)
    skus = skus_of(ctx.session, product.id)
    agreed = offers[-1].prices if offers else {s.id: s.supply_price_amount for s in skus}
    accepted = _add_round(ctx, product, rounds, party, "accept", dict(agreed), note)
    for sku in skus:
        if sku.supply_price_amount != agreed[sku.id]:
            sku.supply_price_amount = agreed[sku.id]
            sku.updated_at = ctx.now()
        ctx.session.add(
            SupplyPriceChangeRow(
                id=new_id("spc"),
                sku_id=sku.id,
                amount=sku.supply_price_amount,
                currency="CNY",
                source="negotiated",
                negotiation_round_id=accepted.id,
                changed_by=ctx.actor.user_id,
                changed_at=ctx.now(),
            )
        )
    _move(ctx, product, "agree_price", note, {"rounds": accepted.round_no})
    _open_sample(ctx, product)
    return product


def decline_offer(ctx: Context, product_id: str, reason: str) -> ProductRow:
    """End the negotiation without agreement: the product is rejected (or withdrawn)."""
    party = _party(ctx)
    product, rounds = _in_negotiation(ctx, product_id, "decline an offer")
    _require_reason(reason)
    _add_round(ctx, product, rounds, party, "reject", {}, reason)
    _move(ctx, product, "reject" if party == "platform" else "withdraw", reason)
    return product


# --- sample QC ----------------------------------------------------------------------------------

DEFAULT_SAMPLE_ADDRESS = "chuhai consolidation warehouse, sample desk"


def _open_sample(ctx: Context, product: ProductRow) -> QcSampleRow:
    sample = QcSampleRow(
        id=new_id("smp"),
        product_id=product.id,
        quantity=2,
        ship_to=DEFAULT_SAMPLE_ADDRESS,
        requested_by=ctx.actor.user_id,
        requested_at=ctx.now(),
    )
    ctx.session.add(sample)
    ctx.session.flush()
    return sample


def current_sample(ctx: Context, product_id: str) -> QcSampleRow | None:
    product = visible_product(ctx, product_id)
    query = (
        select(QcSampleRow)
        .where(QcSampleRow.product_id == product.id)
        .order_by(QcSampleRow.requested_at.desc(), QcSampleRow.id.desc())
    )
    return ctx.session.scalars(query).first()


def qc_checks(ctx: Context, sample_id: str) -> list[QcCheckRow]:
    query = (
        select(QcCheckRow)
        .where(QcCheckRow.sample_id == sample_id)
        .order_by(QcCheckRow.checked_at, QcCheckRow.id)
    )
    return list(ctx.session.scalars(query))


def _sample_in_qc(ctx: Context, product_id: str) -> tuple[ProductRow, QcSampleRow]:
    product = visible_product(ctx, product_id)
    ctx.actor.require("qc.manage")
    if product.state != State.SAMPLE_QC:
        raise Conflict(
            f"the product is {product.state}, not in sample QC", current_state=product.state
        )
    sample = current_sample(ctx, product_id)
    assert sample is not None, "a product in sample QC always has a sample request"
    return product, sample


def update_sample_request(
    ctx: Context, product_id: str, *, quantity: int, ship_to: str
) -> QcSampleRow:
    _, sample = _sample_in_qc(ctx, product_id)
    if sample.received_at is not None:
        raise Conflict("the sample has already been received", current_state="received")
    if not 1 <= quantity <= 100:
        raise ValidationFailed.one("quantity", "between 1 and 100 samples")
    if not ship_to.strip():
        raise ValidationFailed.one("ship_to", "is required")
    if errors := length_errors(QcSampleRow, {"ship_to": ship_to.strip()}):
        raise ValidationFailed(errors)
    sample.quantity = quantity
    sample.ship_to = ship_to.strip()
    return sample


def receive_sample(ctx: Context, product_id: str) -> QcSampleRow:
    _, sample = _sample_in_qc(ctx, product_id)
    if sample.received_at is not None:
        raise Conflict("the sample has already been received", current_state="received")
    sample.received_at = ctx.now()
    sample.received_by = ctx.actor.user_id
    return sample


def record_check(
    ctx: Context,
    product_id: str,
    *,
    name: str,
    passed: bool,
    notes: str = "",
    photos: list[tuple[str, bytes]] | None = None,
) -> QcCheckRow:
    product, sample = _sample_in_qc(ctx, product_id)
    if sample.received_at is None:
        raise Conflict("record the sample's receipt before checking it", current_state="requested")
    if not name.strip():
        raise ValidationFailed.one("name", "name the check, e.g. 'stitching' or 'drop test'")
    if not passed and not notes.strip():
        raise ValidationFailed.one("notes", "say what failed")
    if errors := length_errors(QcCheckRow, {"name": name.strip()}):
        raise ValidationFailed(errors)
    checked = [
        check_image(content, ctx.settings.max_image_bytes, f"photos[{i}]")
        for i, (_, content) in enumerate(photos or [])
    ]
    photo_ids = [
        store_file(ctx, c, filename, product.supplier_id).id
        for c, (filename, _) in zip(checked, photos or [], strict=True)
    ]
    row = QcCheckRow(
        id=new_id("qcc"),
        sample_id=sample.id,
        name=name.strip(),
        passed=passed,
        notes=notes.strip(),
        photo_file_ids=photo_ids,
        checked_by=ctx.actor.user_id,
        checked_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def pass_qc(ctx: Context, product_id: str, note: str = "") -> ProductRow:
    product, sample = _sample_in_qc(ctx, product_id)
    checks = qc_checks(ctx, sample.id)
    if sample.received_at is None or not checks:
        raise Conflict(
            "receive the sample and record at least one check first", current_state=product.state
        )
    failed = [c.name for c in checks if not c.passed]
    if failed:
        raise Conflict(
            f"checks failed: {', '.join(failed)}; fail the sample instead",
            current_state=product.state,
        )
    sample.result = "passed"
    _move(ctx, product, "pass_qc", note, {"checks": len(checks)})
    return product


def fail_qc(ctx: Context, product_id: str, reason: str = "") -> ProductRow:
    product, sample = _sample_in_qc(ctx, product_id)
    failed = [c for c in qc_checks(ctx, sample.id) if not c.passed]
    if not failed and not reason.strip():
        raise ValidationFailed.one("reason", "no check failed; say why the sample fails")
    summary = "; ".join(f"{c.name}: {c.notes}" for c in failed)
    sample.result = "failed"
    _move(
        ctx,
        product,
        "reject",
        reason.strip() or f"sample QC failed ({summary})",
        {"failed_checks": [c.name for c in failed]},
    )
    return product


# --- listing in markets -------------------------------------------------------------------------


def list_in_markets(
    ctx: Context, product_id: str, market_codes: list[str], note: str = ""
) -> ProductRow:
    product = visible_product(ctx, product_id)
    LISTING.transition(product.state, "list")
    ctx.actor.require("listing.publish")
    codes = list(dict.fromkeys(market_codes))
    if not codes:
        raise ValidationFailed.one("markets", "choose at least one market")
    unknown = [c for c in codes if c not in active_market_codes(ctx.session)]
    if unknown:
        raise ValidationFailed.one(
            "markets", f"unknown or inactive market(s): {', '.join(unknown)}"
        )
    blocking = [f for f in compliance_findings(ctx, product, codes) if f.blocking]
    if blocking:
        raise Conflict(
            "not compliant in: " + "; ".join(f.message for f in blocking),
            field="markets",
            findings=[f.message for f in blocking],
        )
    now = ctx.now()
    for code in codes:
        row = ctx.session.get(ProductMarketRow, (product.id, code))
        if row is None:
            ctx.session.add(
                ProductMarketRow(
                    product_id=product.id, market_code=code, status="listed", listed_at=now
                )
            )
        else:
            row.status, row.listed_at, row.delisted_at = "listed", now, None
    _move(ctx, product, "list", note, {"markets": codes})
    jobs.prices_may_have_changed(
        ctx.session, ctx.now(), f"{product.ref} listed in {', '.join(codes)}"
    )
    return product


def delist(
    ctx: Context, product_id: str, reason: str, market_codes: list[str] | None = None
) -> ProductRow:
    """Take a product off sale in some markets, or everywhere (then it is delisted)."""
    product = visible_product(ctx, product_id)
    LISTING.transition(product.state, "delist")
    _require_reason(reason)
    listed = {
        r.market_code: r
        for r in ctx.session.scalars(
            select(ProductMarketRow).where(
                ProductMarketRow.product_id == product.id, ProductMarketRow.status == "listed"
            )
        )
    }
    codes = list(dict.fromkeys(market_codes)) if market_codes else list(listed)
    not_listed = [c for c in codes if c not in listed]
    if not_listed:
        raise ValidationFailed.one("markets", f"not listed in: {', '.join(not_listed)}")
    for code in codes:
        listed[code].status = "delisted"
        listed[code].delisted_at = ctx.now()
    action = "delist" if len(codes) == len(listed) else "delist_markets"
    _move(ctx, product, action, reason, {"markets": codes})
    return product


QUEUE_STATES = (
    State.SUBMITTED,
    State.COMPLIANCE_REVIEW,
    State.IP_REVIEW,
    State.PRICE_NEGOTIATION,
    State.SAMPLE_QC,
    State.APPROVED,
)


def review_queue(ctx: Context, state: str | None = None) -> list[ProductRow]:
    """Products waiting on the platform (every review stage, or one), least recently moved
    first."""
    if not ctx.actor.is_operator:
        raise Forbidden("the review queue is for platform staff", permission="review")
    if state and state not in QUEUE_STATES:
        raise ValidationFailed.one("state", f"one of {', '.join(QUEUE_STATES)}")
    query = (
        select(ProductRow)
        .where(ProductRow.state.in_([state] if state else QUEUE_STATES))
        .order_by(ProductRow.updated_at, ProductRow.id)
        .limit(500)
    )
    return list(ctx.session.scalars(query))


def last_rejections(ctx: Context, products: list[ProductRow]) -> dict[str, ListingTransitionRow]:
    """The latest rejection (or withdrawal) of each product, for showing the reason."""
    visible = [visible_product(ctx, p.id).id for p in products]
    query = (
        select(ListingTransitionRow)
        .where(
            ListingTransitionRow.product_id.in_(visible),
            ListingTransitionRow.to_state == State.REJECTED,
        )
        .order_by(ListingTransitionRow.at, ListingTransitionRow.id)
    )
    return {t.product_id: t for t in ctx.session.scalars(query)}  # the latest wins


def offers_awaiting_supplier(
    ctx: Context, limit: int = 50
) -> list[tuple[ProductRow, NegotiationRoundRow]]:
    """Products whose latest negotiation offer is the platform's: the supplier must answer."""
    products = list_products(ctx, state=State.PRICE_NEGOTIATION, limit=limit).items
    rounds = ctx.session.scalars(
        select(NegotiationRoundRow)
        .where(
            NegotiationRoundRow.product_id.in_([p.id for p in products]),
            NegotiationRoundRow.move == "offer",
        )
        .order_by(NegotiationRoundRow.round_no)
    )
    latest = {r.product_id: r for r in rounds}
    return [
        (p, latest[p.id]) for p in products if p.id in latest and latest[p.id].party == "platform"
    ]
