"""Postings from business events: each event another capability publishes becomes one
journal entry, in the publisher's transaction (they commit or roll back together).

Events carry plain data, so this module imports nothing from the capabilities that publish
them. Each entry's event key (event name and the document's id) makes a re-delivered event
post once. The accounts come from the chart's per-market map, never from code.

- payment.captured: Dr payment clearing (market currency); Cr sales (goods), Cr duty payable
  and Cr VAT/GST payable to the market's authority (the EU's IOSS account for a low-value
  consignment, the import VAT account otherwise).
- refund.issued: the reverse of the sale's split, in proportion to what the order charged.
- stock_up.received: Dr inventory, Cr supplier payables (CNY): the supplier is owed from
  receipt at the consolidation warehouse, for the units that passed QC.
- penalty.created: Dr supplier payables, Cr penalty income (CNY).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.core.events import subscribe
from chuhai.finance import ledger
from chuhai.finance.accounts import chart
from chuhai.finance.ledger import Line

LOW_VALUE = "low value"  # how the pricing regime names a consignment under its threshold


@dataclass(frozen=True)
class SaleSplit:
    goods: int
    duty: int
    vat: int


def sale_lines(
    market: str, currency: str, split: SaleSplit, regime: str, sign: int = 1
) -> list[Line]:
    """The lines of a sale (sign 1) or a refund (sign -1); zero parts are left out."""
    accounts = chart()
    parts = [
        ("clearing", split.goods + split.duty + split.vat, "collected"),
        ("revenue", -split.goods, "goods"),
        ("duty", -split.duty, "duty"),
        (_tax_purpose(market, regime), -split.vat, "VAT"),
    ]
    lines = []
    for purpose, amount, memo in parts:
        if amount == 0:
            continue
        code = accounts.for_market(market, purpose)
        if code is None:
            raise ValidationFailed.one(memo.lower(), f"market {market} has no {purpose} account")
        lines.append(Line(code, sign * amount, currency, memo))
    return lines


def _tax_purpose(market: str, regime: str) -> str:
    low_value = regime.strip().lower().startswith(LOW_VALUE)
    if low_value and chart().for_market(market, "tax_low_value"):
        return "tax_low_value"
    return "tax"


def refund_split(amount: int, refunded_before: int, total: int, duty: int, vat: int) -> SaleSplit:
    """The duty and VAT share of a refund, in proportion to the order's. Computed on the
    running total refunded and differenced, so several partial refunds add up exactly to a
    full one."""

    def share(part: int, refunded: int) -> int:
        return (2 * part * refunded + total) // (2 * total) if total else 0  # half up

    after = refunded_before + amount
    duty_share = share(duty, after) - share(duty, refunded_before)
    vat_share = share(vat, after) - share(vat, refunded_before)
    return SaleSplit(amount - duty_share - vat_share, duty_share, vat_share)


def on_payment_captured(ctx: Context, event: dict[str, Any]) -> None:
    # revenue takes what is left after duty and VAT, so the entry balances to the amount taken
    split = SaleSplit(event["amount"] - event["duty"] - event["vat"], event["duty"], event["vat"])
    ledger.post(
        ctx,
        sale_lines(event["market"], event["currency"], split, event["regime"]),
        description=f"payment captured for order {event.get('order_number', event['order_id'])}",
        document_type="order",
        document_id=event["order_id"],
        event="payment.captured",
        event_key=f"payment.captured:{event['order_id']}",
        market_code=event["market"],
    )


def on_refund_issued(ctx: Context, event: dict[str, Any]) -> None:
    split = refund_split(
        event["amount"],
        event["refunded_before"],
        event["order_total"],
        event["order_duty"],
        event["order_vat"],
    )
    ledger.post(
        ctx,
        sale_lines(event["market"], event["currency"], split, event["regime"], sign=-1),
        description=f"refund {event['refund_id']} of order {event['order_id']}",
        document_type="refund",
        document_id=event["refund_id"],
        event="refund.issued",
        event_key=f"refund.issued:{event['refund_id']}",
        market_code=event["market"],
    )


def on_stock_up_received(ctx: Context, event: dict[str, Any]) -> None:
    amount = event["amount"]
    if amount <= 0:
        return  # nothing accepted, nothing owed
    ledger.post(
        ctx,
        [
            Line("1400-CNY", amount, "CNY", f"{event['accepted']} units accepted"),
            Line(
                "2100-CNY",
                -amount,
                "CNY",
                f"owed to supplier {event['supplier_id']}",
                party=event["supplier_id"],
            ),
        ],
        description=f"stock-up order {event['order_id']} received",
        document_type="stock_up_order",
        document_id=event["order_id"],
        event="stock_up.received",
        event_key=f"stock_up.received:{event['order_id']}",
    )


def on_penalty_created(ctx: Context, event: dict[str, Any]) -> None:
    amount = event["amount"]
    if amount <= 0:
        return
    ledger.post(
        ctx,
        [
            Line(
                "2100-CNY",
                amount,
                "CNY",
                f"deducted from supplier {event['supplier_id']}",
                party=event["supplier_id"],
            ),
            Line("4900-CNY", -amount, "CNY", f"{event['kind']} penalty"),
        ],
        description=f"{event['kind']} penalty on stock-up order {event['stock_up_order_id']}",
        document_type="penalty",
        document_id=event["penalty_id"],
        event="penalty.created",
        event_key=f"penalty.created:{event['penalty_id']}",
    )


HANDLERS = {
    "payment.captured": on_payment_captured,
    "refund.issued": on_refund_issued,
    "stock_up.received": on_stock_up_received,
    "penalty.created": on_penalty_created,
}

for _event, _handler in HANDLERS.items():
    subscribe(_event, _handler)
