"""Rules of sourcing that need no database: the state machines of design briefs, designs and
production orders, what a bill of materials and a studio's terms must hold, and the
sell-through rule that turns a first run's sales into a reorder, hold or stop proposal.

Money is integer fen (CNY minor units); a royalty is basis points of the supply price
(1 bp = 0.01%, so a percentage with at most two decimals is exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from chuhai.core.errors import FieldError, ValidationFailed
from chuhai.core.money import Money
from chuhai.core.statemachine import StateMachine, Transition

BRIEF = StateMachine(
    "design brief",
    [
        Transition("publish", frozenset({"draft"}), "published", "briefs.manage"),
        Transition("close", frozenset({"published"}), "closed", "briefs.manage"),
    ],
)

REVIEWABLE = frozenset({"submitted", "resubmitted"})
DESIGN = StateMachine(
    "design",
    [
        Transition("request_changes", REVIEWABLE, "changes_requested", "designs.review"),
        Transition("resubmit", frozenset({"changes_requested"}), "resubmitted", "designs.submit"),
        Transition("accept", REVIEWABLE, "accepted", "designs.review"),
        Transition("reject", REVIEWABLE | {"changes_requested"}, "rejected", "designs.review"),
    ],
)

# the factory answers and reports progress; the platform cancels and receives
PRODUCTION = StateMachine(
    "production order",
    [
        Transition("accept", frozenset({"issued"}), "accepted", "production.update"),
        Transition("decline", frozenset({"issued"}), "declined", "production.update"),
        Transition("materials_in", frozenset({"accepted"}), "materials_in", "production.update"),
        Transition("start", frozenset({"materials_in"}), "in_production", "production.update"),
        Transition("qc", frozenset({"in_production"}), "qc", "production.update"),
        Transition("ship", frozenset({"qc"}), "shipped", "production.update"),
        Transition("receive", frozenset({"shipped"}), "received", "production.receive"),
        Transition(
            "cancel",
            frozenset({"issued", "accepted", "materials_in"}),
            "cancelled",
            "production.manage",
        ),
    ],
)
PRODUCTION_STATES = (
    "issued",
    "accepted",
    "materials_in",
    "in_production",
    "qc",
    "shipped",
    "received",
    "declined",
    "cancelled",
)
# orders that never made units do not make the next run of a product a reorder
VOID_STATES = frozenset({"declined", "cancelled"})
FACTORY_ACTIONS = ("accept", "decline", "materials_in", "start", "qc", "ship")

MAX_BOM_LINES = 100
MAX_SPECIFICATION = 20_000
BP = 10_000


@dataclass(frozen=True)
class BomLine:
    """One line of a bill of materials: `quantity` of `unit` of `material` per finished unit,
    at `unit_cost_fen` per unit of material."""

    material: str
    quantity: Decimal
    unit: str
    unit_cost_fen: int

    @property
    def cost_fen(self) -> int:
        """This line's cost per finished unit, rounded half up to the fen."""
        exact = self.quantity * self.unit_cost_fen
        return int(exact.to_integral_value(rounding="ROUND_HALF_UP"))

    def as_dict(self) -> dict[str, str | int]:
        return {
            "material": self.material,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "unit_cost_fen": self.unit_cost_fen,
        }


def parse_bom(lines: list[dict[str, str]]) -> tuple[list[BomLine], list[FieldError]]:
    """Read bill-of-materials lines given as text (quantity and unit cost as decimals, the
    cost in CNY); every problem is named by its line."""
    if not lines:
        return [], [FieldError("bom", "a design needs a bill of materials (at least one line)")]
    if len(lines) > MAX_BOM_LINES:
        return [], [FieldError("bom", f"at most {MAX_BOM_LINES} lines")]
    parsed, errors = [], []
    for index, raw in enumerate(lines):
        prefix = f"bom[{index}]."
        material = str(raw.get("material", "")).strip()
        unit = str(raw.get("unit", "")).strip()
        if not material or len(material) > 200:
            errors.append(FieldError(prefix + "material", "1-200 characters"))
        if not unit or len(unit) > 20:
            errors.append(FieldError(prefix + "unit", "1-20 characters, e.g. m, kg, pcs"))
        quantity = _positive_decimal(raw.get("quantity"))
        if quantity is None:
            errors.append(FieldError(prefix + "quantity", "a number greater than zero"))
        cost = _cny(raw.get("unit_cost"), prefix + "unit_cost", errors)
        if quantity is not None and cost is not None and material and unit:
            parsed.append(BomLine(material, quantity, unit, cost))
    return parsed, errors


def _positive_decimal(value: object) -> Decimal | None:
    if isinstance(value, float | bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number <= 0 or number > 1_000_000:
        return None
    return number


def _cny(value: object, field: str, errors: list[FieldError]) -> int | None:
    if value is None or str(value).strip() == "":
        errors.append(FieldError(field, "is required (CNY, e.g. 12.50)"))
        return None
    try:
        fen = Money.parse(str(value), "CNY", field).amount_minor
    except ValidationFailed as bad:
        errors.extend(bad.errors)
        return None
    if fen < 0:
        errors.append(FieldError(field, "cannot be negative"))
        return None
    return fen


def bom_cost_fen(lines: list[BomLine]) -> int:
    return sum(line.cost_fen for line in lines)


@dataclass(frozen=True)
class Terms:
    """What the studio earns for an accepted design: a fixed fee, or a royalty on the supply
    price of every unit the platform buys."""

    kind: str  # fee | royalty
    fee_fen: int = 0
    royalty_bp: int = 0

    def describe(self) -> str:
        if self.kind == "fee":
            return f"fixed fee {Money(self.fee_fen, 'CNY')}"
        return f"royalty {Decimal(self.royalty_bp) / 100}% of the supply price"


def parse_terms(kind: str, fee: str = "", royalty_percent: str = "") -> Terms:
    """Raises ValidationFailed naming `terms`, `fee` or `royalty_percent`."""
    if kind == "fee":
        errors: list[FieldError] = []
        fen = _cny(fee, "fee", errors)
        if errors or fen is None:
            raise ValidationFailed(errors)
        if fen == 0:
            raise ValidationFailed.one("fee", "must be greater than zero")
        return Terms("fee", fee_fen=fen)
    if kind == "royalty":
        percent = _positive_decimal(royalty_percent)
        if percent is None or percent > 100:
            raise ValidationFailed.one("royalty_percent", "a percentage above 0 and at most 100")
        scaled = percent * 100
        if scaled != scaled.to_integral_value():
            raise ValidationFailed.one("royalty_percent", "at most 2 decimal places")
        return Terms("royalty", royalty_bp=int(scaled))
    raise ValidationFailed.one("terms", "either fee or royalty")


# --- sell-through ---------------------------------------------------------------------------

REORDER_AT = Decimal("0.5")  # half the run sold: demand is real, order more
STOP_BELOW = Decimal("0.2")  # under a fifth sold after the trial period: stop
TRIAL_DAYS = 28  # a run younger than this is held, not stopped, when it sells slowly
COVER_DAYS = 30  # a reorder covers this many days of sales beyond the production lead time


@dataclass(frozen=True)
class MarketSales:
    market_code: str
    sold: int


@dataclass(frozen=True)
class Recommendation:
    decision: str  # reorder | hold | stop
    quantity: int
    split: dict[str, int]  # market -> units of the reorder, by its share of sales
    evidence: str


def ratio(sold: int, received: int) -> Decimal:
    return (
        (Decimal(sold) / Decimal(received)).quantize(Decimal("0.001")) if received else Decimal(0)
    )


def recommend(
    received: int,
    sales: list[MarketSales],
    days_on_sale: int,
    lead_time_days: int,
    moq: int,
) -> Recommendation:
    """Reorder, hold or stop a product from its first runs' sell-through.

    A reorder covers the sales rate over the production lead time plus `COVER_DAYS`, less
    the units still unsold, rounded up to the factory's MOQ, and is split between the
    markets by their share of the units sold."""
    sold = sum(s.sold for s in sales)
    through = ratio(sold, received)
    days = max(days_on_sale, 1)
    per_market = ", ".join(
        f"{s.market_code} {s.sold} ({ratio(s.sold, received) * 100:.1f}%)" for s in sales
    )
    facts = (
        f"{sold} of {received} units received sold in {days} days "
        f"({through * 100:.1f}%){': ' + per_market if per_market else ''}"
    )
    if received and through >= REORDER_AT:
        need = math.ceil(sold * (lead_time_days + COVER_DAYS) / days) - (received - sold)
        quantity = max(need, moq, 1)
        split = _split(quantity, sales)
        return Recommendation(
            "reorder",
            quantity,
            split,
            f"Reorder {quantity} units: {facts}; at that rate {lead_time_days} days of "
            f"production and {COVER_DAYS} days of sales need {max(need, 0)} more than the "
            f"{received - sold} left (MOQ {moq}).",
        )
    if received and through < STOP_BELOW and days >= TRIAL_DAYS:
        return Recommendation(
            "stop", 0, {}, f"Stop: only {facts}, under {STOP_BELOW * 100:.0f}% after the trial."
        )
    return Recommendation("hold", 0, {}, f"Hold: {facts}; wait for more sales before deciding.")


def _split(quantity: int, sales: list[MarketSales]) -> dict[str, int]:
    """Largest-remainder split of `quantity` by each market's units sold."""
    sold = sum(s.sold for s in sales)
    if not sold:
        return {}
    shares = {s.market_code: quantity * s.sold // sold for s in sales}
    remainders = sorted(sales, key=lambda s: (-(quantity * s.sold % sold), s.market_code))
    for s in remainders[: quantity - sum(shares.values())]:
        shares[s.market_code] += 1
    return {code: units for code, units in shares.items() if units}
