"""Postings from business events: each event another capability publishes becomes one
journal entry, in the publisher's transaction (they commit or roll back together).

Events carry plain data, so this module imports nothing from the capabilities that publish
them. Each entry's event key (event name and the document's id) makes a re-delivered event
post once. The accounts come from the chart's per-market map, never from code.

- payment.captured: Dr payment clearing (market currency); Cr sales (goods), Cr duty payable
  and Cr VAT/GST payable to the market's authority (the EU's IOSS account for a low-value
  consignment, the import VAT account otherwise).
- refund.issued: the reverse of the sale's split, in proportion to what the order charged.
- stock_up.received: Dr inventory, Cr supplier payables (CNY): a supplier paid on receipt
  (the default agreement) is owed from receipt at the consolidation warehouse, for the units
  that passed QC. A consignment supplier (paid on sale) is owed nothing yet and the stock is
  not the platform's: no entry.
- penalty.created: Dr supplier payables, Cr penalty income (CNY).
- order.shipped: Dr cost of goods sold, at the supply price x units shipped; Cr inventory
  for goods bought on receipt, Cr supplier payables (party: the supplier) for consignment
  goods, which settlement then pays.
- studio.owed: Dr design fees and royalties, Cr studio payables (party: the studio), CNY:
  a fixed fee when a studio's design is accepted, a royalty on the supply price of each
  production run of it received.
- shipment.created: Dr carrier costs, Cr accrued costs (CNY) at the carrier's charge; and
  Dr warehouse costs, Cr accrued costs at the warehouse's handling, each converted into CNY
  by the publisher at the shipment day's rate, which the entry records. Two entries, each
  with its own event key.

Which agreement a supplier has is read when the event posts (parties.payable_basis); a
change of agreement applies to receipts and sales from then on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from chuhai.core.context import Context
from chuhai.core.errors import ValidationFailed
from chuhai.core.events import subscribe
from chuhai.finance import ledger
from chuhai.finance.accounts import chart
from chuhai.finance.fx import FxRate
from chuhai.finance.ledger import Line
from chuhai.parties import service as parties

LOW_VALUE = "low value"  # how the pricing regime names a consignment under its threshold
CNY = "CNY"
INVENTORY, PAYABLES, ACCRUED = "1400-CNY", "2100-CNY", "2400-CNY"
COGS, CARRIER_COSTS, WAREHOUSE_COSTS = "5000-CNY", "5100-CNY", "5200-CNY"
STUDIO_PAYABLES, DESIGN_COSTS = "2150-CNY", "5500-CNY"
ON_SALE = "sale"  # the consignment agreement (parties.PAYABLE_BASES)


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
    _post_receipt(ctx, event, "stock-up order", "stock_up_order", "stock_up.received")


def on_production_order_received(ctx: Context, event: dict[str, Any]) -> None:
    """A small-batch production run received at the consolidation warehouse: owed like a
    stock-up order's units."""
    _post_receipt(ctx, event, "production order", "production_order", "production_order.received")


def _post_receipt(
    ctx: Context, event: dict[str, Any], what: str, document_type: str, name: str
) -> None:
    amount = event["amount"]
    if amount <= 0:
        return  # nothing accepted, nothing owed
    if parties.payable_basis(ctx.session, event["supplier_id"]) == ON_SALE:
        return  # consignment: owed when sold (order.shipped), the stock is not ours till then
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
        description=f"{what} {event['order_id']} received",
        document_type=document_type,
        document_id=event["order_id"],
        event=name,
        event_key=f"{name}:{event['order_id']}",
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


def on_studio_owed(ctx: Context, event: dict[str, Any]) -> None:
    amount = int(event["amount"])
    if amount <= 0:
        return
    ledger.post(
        ctx,
        [
            Line(DESIGN_COSTS, amount, CNY, event["memo"]),
            Line(
                STUDIO_PAYABLES,
                -amount,
                CNY,
                f"owed to studio {event['studio_id']}",
                party=event["studio_id"],
            ),
        ],
        description=event["memo"],
        document_type=event["document_type"],
        document_id=event["document_id"],
        event="studio.owed",
        event_key=f"studio.owed:{event['document_type']}:{event['document_id']}",
    )


def on_order_shipped(ctx: Context, event: dict[str, Any]) -> None:
    cost = 0
    bought = 0  # of goods the platform owns (bought on receipt): out of inventory
    consigned: dict[str, int] = defaultdict(int)  # supplier -> fen owed on this sale
    units: dict[str, int] = defaultdict(int)
    basis: dict[str, str] = {}
    for line in event["lines"]:
        if line["currency"] != CNY:
            raise ValidationFailed.one(
                "unit_cost", f"a supply price in CNY, not {line['currency']}"
            )
        supplier, amount = line["supplier_id"], line["units"] * line["unit_cost"]
        if supplier not in basis:
            basis[supplier] = parties.payable_basis(ctx.session, supplier)
        cost += amount
        units[supplier] += line["units"]
        if basis[supplier] == ON_SALE:
            consigned[supplier] += amount
        else:
            bought += amount
    if cost <= 0:
        return
    lines = [Line(COGS, cost, CNY, f"{sum(units.values())} units at supply price")]
    if bought:
        lines.append(Line(INVENTORY, -bought, CNY, "out of inventory"))
    for supplier, amount in sorted(consigned.items()):
        if amount:
            memo = f"{units[supplier]} consigned units sold, owed to supplier {supplier}"
            lines.append(Line(PAYABLES, -amount, CNY, memo, party=supplier))
    number = event.get("order_number", event["order_id"])
    ledger.post(
        ctx,
        lines,
        description=f"cost of goods shipped for order {number}",
        document_type="order",
        document_id=event["order_id"],
        event="order.shipped",
        event_key=f"order.shipped:{event['order_id']}",
    )


def on_shipment_created(ctx: Context, event: dict[str, Any]) -> None:
    shipment = event["shipment_id"]
    for name, expense, what in (
        ("carrier_cost", CARRIER_COSTS, f"carrier {event['carrier']}"),
        (
            "handling_cost",
            WAREHOUSE_COSTS,
            f"handling of {event['units']} units at {event['warehouse_id']}",
        ),
    ):
        cost = event[name]
        amount = cost["amount"]
        if amount <= 0:
            continue
        memo = f"{what}: {cost['original_amount']} {cost['original_currency']} minor units"
        ledger.post(
            ctx,
            [Line(expense, amount, CNY, memo), Line(ACCRUED, -amount, CNY, f"owed: {what}")],
            description=f"{name.replace('_', ' ')} of shipment {shipment}",
            document_type="shipment",
            document_id=shipment,
            event=f"shipment.{name}",
            event_key=f"shipment.{name}:{shipment}",
            rate=_rate_of(cost),
        )


def _rate_of(cost: dict[str, Any]) -> FxRate | None:
    """The rate the publisher converted at, for the entry's record (None: charged in CNY)."""
    if not cost.get("rate"):
        return None
    on = cost["rate_on"]
    return FxRate(
        base=cost["original_currency"],
        quote=CNY,
        rate=Decimal(cost["rate"]),
        on=on if isinstance(on, date) else date.fromisoformat(str(on)),
        source=cost["rate_source"] or "",
    )


HANDLERS = {
    "payment.captured": on_payment_captured,
    "refund.issued": on_refund_issued,
    "stock_up.received": on_stock_up_received,
    "production_order.received": on_production_order_received,
    "penalty.created": on_penalty_created,
    "order.shipped": on_order_shipped,
    "studio.owed": on_studio_owed,
    "shipment.created": on_shipment_created,
}

for _event, _handler in HANDLERS.items():
    subscribe(_event, _handler)
