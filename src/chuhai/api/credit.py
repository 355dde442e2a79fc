"""B2B receivables (9710) and export credit insurance over HTTP, for finance: buyers with
their limit, exposure and headroom; policies and limits; invoices (held beyond the limit
until approved or rejected), payments, the overdue list, claims and the insurer's payment.
Money goes over the wire as decimal strings with a currency; every POST that creates takes
an Idempotency-Key."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from chuhai.api.deps import api_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import MoneyOut, Strict
from chuhai.core.context import Context
from chuhai.core.money import Money, check_currency
from chuhai.finance import credit

if TYPE_CHECKING:
    from chuhai.finance.credit_tables import (
        CreditBuyerRow,
        CreditInvoiceRow,
        CreditLimitRow,
        CreditPolicyRow,
    )

router = APIRouter(prefix="/credit", tags=["credit"])


# --- shapes ---------------------------------------------------------------------------------


class BuyerIn(Strict):
    name: str = Field(max_length=200)
    country_code: str = Field(max_length=2, description="ISO 3166 alpha-2")
    registration_id: str = Field(max_length=60)
    currency: str = Field(max_length=3, description="the invoicing currency")
    contact_email: str = Field(max_length=200)


class BuyerOut(BaseModel):
    id: str
    name: str
    country_code: str
    registration_id: str
    currency: str
    contact_email: str
    policy_id: str | None
    limit: MoneyOut | None
    exposure: MoneyOut
    headroom: MoneyOut | None

    @classmethod
    def of(cls, ctx: Context, row: CreditBuyerRow) -> BuyerOut:
        cover = credit.limit_on(ctx, row.id, ctx.now().date())
        exposure = credit.exposure(ctx, row.id)
        limit = cover[1].amount if cover else None
        return cls(
            id=row.id,
            name=row.name,
            country_code=row.country_code,
            registration_id=row.registration_id,
            currency=row.currency,
            contact_email=row.contact_email,
            policy_id=cover[0].id if cover else None,
            limit=MoneyOut.of(limit, row.currency) if limit is not None else None,
            exposure=MoneyOut.of(exposure, row.currency),
            headroom=MoneyOut.of(limit - exposure, row.currency) if limit is not None else None,
        )


class PolicyIn(Strict):
    insurer: str = Field(max_length=200, description="e.g. Sinosure")
    policy_number: str = Field(max_length=60)
    insured_percent: str = Field(max_length=10, description="0 < p <= 100, 2 decimals, e.g. 90")
    max_credit_days: int
    waiting_days: int
    valid_from: date
    valid_to: date


class PolicyOut(BaseModel):
    id: str
    insurer: str
    policy_number: str
    insured_percent: str
    max_credit_days: int
    waiting_days: int
    valid_from: date
    valid_to: date

    @classmethod
    def of(cls, row: CreditPolicyRow) -> PolicyOut:
        return cls(
            id=row.id,
            insurer=row.insurer,
            policy_number=row.policy_number,
            insured_percent=credit.percent_text(row.insured_bp),
            max_credit_days=row.max_credit_days,
            waiting_days=row.waiting_days,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )


class LimitIn(Strict):
    buyer_id: str = Field(max_length=40)
    amount: str = Field(max_length=30, description="a decimal amount, e.g. 150000.00")
    currency: str = Field(max_length=3, description="the buyer's currency")


class LimitOut(BaseModel):
    id: str
    policy_id: str
    buyer_id: str
    amount: MoneyOut

    @classmethod
    def of(cls, row: CreditLimitRow) -> LimitOut:
        return cls(
            id=row.id,
            policy_id=row.policy_id,
            buyer_id=row.buyer_id,
            amount=MoneyOut.of(row.amount, row.currency),
        )


class LineIn(Strict):
    sku_code: str = Field("", max_length=64)
    description: str = Field("", max_length=300)
    quantity: int
    unit_price: str = Field(max_length=30, description="a decimal amount, e.g. 12.50")


class InvoiceIn(Strict):
    buyer_id: str = Field(max_length=40)
    lines: list[LineIn] = Field(max_length=500)
    terms_days: int = Field(description="days from the issue day to the due day")
    issued_on: date | None = None
    contract_no: str = Field("", max_length=64, description="as the 9710 declaration names it")


class LineOut(BaseModel):
    sku_code: str
    description: str
    quantity: int
    unit_price: MoneyOut
    amount: MoneyOut


class HistoryOut(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    actor_id: str
    note: str
    at: datetime


class InvoiceOut(BaseModel):
    id: str
    buyer_id: str
    policy_id: str | None
    contract_no: str
    state: str  # held | issued | rejected | partly_paid | paid | overdue | claimed | claim_paid
    hold_reason: str
    total: MoneyOut
    paid: MoneyOut
    outstanding: MoneyOut
    insured_claim: MoneyOut
    credit_loss: MoneyOut
    terms_days: int
    issued_on: date
    due_on: date
    claimed_on: date | None
    claim_paid_on: date | None
    lines: list[LineOut]
    history: list[HistoryOut]

    @classmethod
    def of(cls, ctx: Context, row: CreditInvoiceRow) -> InvoiceOut:
        ccy = row.currency
        return cls(
            id=row.id,
            buyer_id=row.buyer_id,
            policy_id=row.policy_id,
            contract_no=row.contract_no,
            state=row.state,
            hold_reason=row.hold_reason,
            total=MoneyOut.of(row.total, ccy),
            paid=MoneyOut.of(row.paid, ccy),
            outstanding=MoneyOut.of(credit.outstanding(row), ccy),
            insured_claim=MoneyOut.of(row.insured_claim, ccy),
            credit_loss=MoneyOut.of(row.credit_loss, ccy),
            terms_days=row.terms_days,
            issued_on=row.issued_on,
            due_on=row.due_on,
            claimed_on=row.claimed_on,
            claim_paid_on=row.claim_paid_on,
            lines=[
                LineOut(
                    sku_code=line.sku_code,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=MoneyOut.of(line.unit_price, ccy),
                    amount=MoneyOut.of(line.amount, ccy),
                )
                for line in credit.lines_of(ctx, row.id)
            ],
            history=[
                HistoryOut(
                    action=h.action,
                    from_state=h.from_state,
                    to_state=h.to_state,
                    actor_id=h.actor_id,
                    note=h.note,
                    at=h.at,
                )
                for h in credit.history_of(ctx, row.id)
            ],
        )


class ReasonIn(Strict):
    reason: str = Field(max_length=2000)


class ClaimIn(Strict):
    reason: str = Field("buyer default", max_length=2000)


class PaymentIn(Strict):
    amount: str = Field(max_length=30, description="in the invoice's currency")
    currency: str = Field(max_length=3, description="the invoice's currency")
    received_on: date | None = None
    settle_in_cny: bool = Field(False, description="received in CNY: settle at the day's rate")


class PaymentOut(BaseModel):
    id: str
    invoice_id: str
    amount: MoneyOut
    received_in: str
    received_on: date
    journal_entry_id: str


class ClaimPaidIn(Strict):
    received_on: date | None = None


# --- buyers ---------------------------------------------------------------------------------


@router.get("/buyers", response_model=list[BuyerOut])
def list_buyers(ctx: Context = Depends(api_context)) -> list[BuyerOut]:
    return [BuyerOut.of(ctx, row) for row in credit.list_buyers(ctx)]


@router.post("/buyers", status_code=201, response_model=BuyerOut)
def create_buyer(
    body: BuyerIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    ctx.actor.require("credit.manage")
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: BuyerOut.of(ctx, credit.create_buyer(ctx, **body.model_dump())),
    )


@router.get("/buyers/{buyer_id}", response_model=BuyerOut)
def get_buyer(buyer_id: str, ctx: Context = Depends(api_context)) -> BuyerOut:
    return BuyerOut.of(ctx, credit.get_buyer(ctx, buyer_id))


# --- policies and limits --------------------------------------------------------------------


@router.get("/policies", response_model=list[PolicyOut])
def list_policies(ctx: Context = Depends(api_context)) -> list[PolicyOut]:
    return [PolicyOut.of(row) for row in credit.list_policies(ctx)]


@router.post("/policies", status_code=201, response_model=PolicyOut)
def create_policy(
    body: PolicyIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    ctx.actor.require("credit.manage")
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: PolicyOut.of(credit.create_policy(ctx, **body.model_dump())),
    )


@router.get("/policies/{policy_id}", response_model=PolicyOut)
def get_policy(policy_id: str, ctx: Context = Depends(api_context)) -> PolicyOut:
    return PolicyOut.of(credit.get_policy(ctx, policy_id))


@router.post("/policies/{policy_id}/limits", status_code=201, response_model=LimitOut)
def set_limit(
    policy_id: str,
    body: LimitIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Set (or replace) a buyer's limit under the policy, in the buyer's currency."""
    ctx.actor.require("credit.manage")
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body,
        lambda: LimitOut.of(
            credit.set_limit(ctx, policy_id, body.buyer_id, body.amount, body.currency)
        ),
    )


# --- invoices -------------------------------------------------------------------------------


@router.get("/invoices", response_model=list[InvoiceOut])
def list_invoices(
    state: str | None = None,
    buyer_id: str | None = None,
    limit: int = 50,
    ctx: Context = Depends(api_context),
) -> list[InvoiceOut]:
    rows = credit.list_invoices(ctx, state=state, buyer_id=buyer_id, limit=min(max(limit, 1), 200))
    return [InvoiceOut.of(ctx, row) for row in rows]


@router.get("/invoices/overdue", response_model=list[InvoiceOut])
def overdue(ctx: Context = Depends(api_context)) -> list[InvoiceOut]:
    """Invoices marked overdue (by `chuhai credit mark-overdue`), oldest due first."""
    return [InvoiceOut.of(ctx, row) for row in credit.list_invoices(ctx, state=credit.OVERDUE)]


@router.post("/invoices/mark-overdue", response_model=list[InvoiceOut])
def mark_overdue(ctx: Context = Depends(api_context)) -> list[InvoiceOut]:
    """Mark every issued or partly paid invoice past its due day overdue (the job's work)."""
    out = [InvoiceOut.of(ctx, row) for row in credit.mark_overdue(ctx)]
    ctx.session.commit()
    return out


@router.post("/invoices", status_code=201, response_model=InvoiceOut)
def create_invoice(
    body: InvoiceIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """Issued when it fits the buyer's limit; held (with the reason) when it does not."""
    ctx.actor.require("credit.manage")
    return run_idempotent(ctx, request, idempotency_key, body, lambda: _create(ctx, body))


def _create(ctx: Context, body: InvoiceIn) -> InvoiceOut:
    currency = credit.get_buyer(ctx, body.buyer_id).currency
    lines = [
        credit.InvoiceLine(
            quantity=line.quantity,
            unit_price=Money.parse(
                line.unit_price, currency, f"lines[{i}].unit_price"
            ).amount_minor,
            sku_code=line.sku_code,
            description=line.description,
        )
        for i, line in enumerate(body.lines)
    ]
    invoice = credit.create_invoice(
        ctx,
        body.buyer_id,
        lines,
        terms_days=body.terms_days,
        issued_on=body.issued_on,
        contract_no=body.contract_no,
    )
    return InvoiceOut.of(ctx, invoice)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut)
def get_invoice(invoice_id: str, ctx: Context = Depends(api_context)) -> InvoiceOut:
    return InvoiceOut.of(ctx, credit.get_invoice(ctx, invoice_id))


@router.post("/invoices/{invoice_id}/approve", response_model=InvoiceOut)
def approve(invoice_id: str, body: ReasonIn, ctx: Context = Depends(api_context)) -> InvoiceOut:
    """Let a held invoice go: it is issued and booked (409 naming the state if not held)."""
    return _done(ctx, credit.approve(ctx, invoice_id, body.reason))


@router.post("/invoices/{invoice_id}/reject", response_model=InvoiceOut)
def reject(invoice_id: str, body: ReasonIn, ctx: Context = Depends(api_context)) -> InvoiceOut:
    return _done(ctx, credit.reject(ctx, invoice_id, body.reason))


@router.post("/invoices/{invoice_id}/claim", response_model=InvoiceOut)
def claim(invoice_id: str, body: ClaimIn, ctx: Context = Depends(api_context)) -> InvoiceOut:
    """Claim an overdue invoice from its insurer after the policy's waiting period."""
    return _done(ctx, credit.claim(ctx, invoice_id, body.reason))


@router.post("/invoices/{invoice_id}/claim-paid", response_model=InvoiceOut)
def claim_paid(
    invoice_id: str, body: ClaimPaidIn, ctx: Context = Depends(api_context)
) -> InvoiceOut:
    return _done(ctx, credit.settle_claim(ctx, invoice_id, body.received_on))


def _done(ctx: Context, invoice: CreditInvoiceRow) -> InvoiceOut:
    out = InvoiceOut.of(ctx, invoice)
    ctx.session.commit()
    return out


@router.post("/invoices/{invoice_id}/payments", status_code=201, response_model=PaymentOut)
def record_payment(
    invoice_id: str,
    body: PaymentIn,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    """A payment by the buyer, in the invoice's currency (or settled in CNY)."""
    ctx.actor.require("credit.manage")
    return run_idempotent(ctx, request, idempotency_key, body, lambda: _pay(ctx, invoice_id, body))


def _pay(ctx: Context, invoice_id: str, body: PaymentIn) -> PaymentOut:
    amount = Money.parse(body.amount, check_currency(body.currency), "amount")
    row = credit.record_payment(
        ctx,
        invoice_id,
        amount,
        received_on=body.received_on,
        settle_in_cny=body.settle_in_cny,
    )
    return PaymentOut(
        id=row.id,
        invoice_id=row.invoice_id,
        amount=MoneyOut.of(row.amount, row.currency),
        received_in=row.received_in,
        received_on=row.received_on,
        journal_entry_id=row.journal_entry_id,
    )
