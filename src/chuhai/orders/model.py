"""Plain objects and rules of orders: what a buyer gives at checkout (items, email, address,
card) and how each is checked, what the storefront shows, and the order's state machine.

No I/O here. Every check names the field it refuses, as the buyer sent it: `items[2].quantity`,
`email`, `card.number`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from chuhai.core.errors import FieldError
from chuhai.core.statemachine import StateMachine, Transition

MAX_LINES = 50  # distinct SKUs in one order
MAX_UNITS_PER_LINE = 100  # a shopper's basket, not a wholesale order
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


@dataclass(frozen=True)
class Address:
    """Where an order goes; `validate_address` names each problem as address.<field>."""

    name: str
    line1: str
    city: str
    postal_code: str
    country_code: str
    line2: str = ""
    region: str = ""
    phone: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "line1": self.line1,
            "line2": self.line2,
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country_code": self.country_code,
            "phone": self.phone,
        }


@dataclass(frozen=True)
class Card:
    """A payment card as the buyer typed it. Never stored: only its last four digits are
    kept on the payment."""

    number: str
    expiry_month: int
    expiry_year: int
    cvc: str

    @property
    def digits(self) -> str:
        return re.sub(r"[\s-]", "", self.number or "")

    @property
    def last4(self) -> str:
        return self.digits[-4:]

    def __repr__(self) -> str:  # never print a card number into a log
        return f"Card(****{self.last4}, {self.expiry_month:02d}/{self.expiry_year})"


@dataclass(frozen=True)
class ShopSku:
    sku_id: str
    sku_code: str
    options: dict[str, str]
    price: int  # minor units of currency, what the buyer pays per unit (DDP, direct mail)
    currency: str
    available: bool


@dataclass(frozen=True)
class ShopProduct:
    product_id: str
    title: str
    description: str
    category_code: str
    image_ids: list[str]
    skus: list[ShopSku]


@dataclass(frozen=True)
class OrderView:
    order: Any  # OrderRow
    lines: list[Any]
    allocations: list[Any]
    payments: list[Any]
    refunds: list[Any]
    returns: list[Any]
    history: list[Any]
    shipments: list[Any]
    actions: list[str] = field(default_factory=list)


# --- checks ------------------------------------------------------------------------------------


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def item_errors(items: list[tuple[str, int]]) -> list[FieldError]:
    """Quantities and shape of the basket; whether each SKU is on sale is the service's."""
    if not items:
        return [FieldError("items", "the order needs at least one item")]
    if len(items) > MAX_LINES:
        return [FieldError("items", f"at most {MAX_LINES} different items in one order")]
    errors = []
    seen: set[str] = set()
    for index, (sku_id, quantity) in enumerate(items):
        if not isinstance(sku_id, str) or not sku_id.strip():
            errors.append(FieldError(f"items[{index}].sku_id", "required"))
        elif sku_id in seen:
            errors.append(FieldError(f"items[{index}].sku_id", "listed twice; add up the units"))
        seen.add(sku_id)
        if not _whole(quantity) or not 1 <= quantity <= MAX_UNITS_PER_LINE:
            errors.append(
                FieldError(
                    f"items[{index}].quantity", f"a whole number from 1 to {MAX_UNITS_PER_LINE}"
                )
            )
    return errors


def email_errors(email: str) -> list[FieldError]:
    if not isinstance(email, str) or not email.strip():
        return [FieldError("email", "required, for the order confirmation")]
    if len(email) > 200 or not EMAIL.match(email.strip()):
        return [FieldError("email", "an email address such as name@example.com")]
    return []


def luhn_ok(digits: str) -> bool:
    """The Luhn check digit every card number carries."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_errors(card: Card, today: date) -> list[FieldError]:
    errors = []
    digits = card.digits
    if not 12 <= len(digits) <= 19 or not luhn_ok(digits):
        errors.append(FieldError("card.number", "not a valid card number"))
    month, year = card.expiry_month, card.expiry_year
    if not _whole(month) or not 1 <= month <= 12:
        errors.append(FieldError("card.expiry_month", "a month from 1 to 12"))
    elif not _whole(year) or not 2000 <= year <= 2100:
        errors.append(FieldError("card.expiry_year", "a four-digit year"))
    elif (year, month) < (today.year, today.month):
        errors.append(FieldError("card.expiry_year", "the card has expired"))
    if not isinstance(card.cvc, str) or not re.fullmatch(r"\d{3,4}", card.cvc):
        errors.append(FieldError("card.cvc", "the 3 or 4 digits on the card"))
    return errors


# --- the order's life ----------------------------------------------------------------------------


class State:
    PLACED = "placed"
    PAID = "paid"
    ALLOCATED = "allocated"
    PICKED = "picked"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


CANCELLABLE = frozenset({State.PLACED, State.PAID, State.ALLOCATED, State.PICKED})

ORDER = StateMachine(
    "order",
    [
        Transition("pay", frozenset({State.PLACED}), State.PAID, "storefront.buy"),
        Transition("allocate", frozenset({State.PAID}), State.ALLOCATED, "storefront.buy"),
        Transition("pick", frozenset({State.ALLOCATED}), State.PICKED, "orders.fulfil"),
        Transition("ship", frozenset({State.PICKED}), State.SHIPPED, "orders.fulfil"),
        Transition("deliver", frozenset({State.SHIPPED}), State.DELIVERED, "orders.fulfil"),
        Transition("cancel", CANCELLABLE, State.CANCELLED, "orders.manage"),
    ],
)
STATES = (
    State.PLACED,
    State.PAID,
    State.ALLOCATED,
    State.PICKED,
    State.SHIPPED,
    State.DELIVERED,
    State.CANCELLED,
)
RETURN_OUTCOMES = ("restock", "write_off")
