"""Which verified factories can make a category, and how well: a profile per factory from
what it already declared in the catalog (its SKUs in the category: supply prices, MOQ,
daily capacity, lead time) and its quality record (the stock-up penalties it earned for late,
short or QC-failed deliveries), ranked for a design.

Sample-QC results are not used: the catalog keeps them per product and offers no read of a
supplier's record across products; penalties already count QC failures at receipt.
"""

from __future__ import annotations

from dataclasses import dataclass

from chuhai.catalog import service as catalog
from chuhai.catalog.model import State as ProductState
from chuhai.core.context import Context
from chuhai.inventory import penalties
from chuhai.parties import service as parties

# products whose SKUs say nothing current about what a factory makes
STALE = frozenset({ProductState.REJECTED, ProductState.DELISTED})
PAGE = 200


@dataclass(frozen=True)
class FactoryProfile:
    supplier_id: str
    code: str
    name: str
    category_skus: int
    lowest_supply: int  # fen
    daily_capacity: int  # the largest declared for a SKU in the category
    moq: int  # the smallest declared
    lead_time_days: int  # the shortest declared
    penalties: int  # stock-up penalties ever earned

    @property
    def run_capacity(self) -> int:
        """Units it can make within its lead time: the ceiling of one production order."""
        return self.daily_capacity * max(self.lead_time_days, 1)


def profiles(ctx: Context, category_code: str) -> list[FactoryProfile]:
    """Every verified factory with at least one current SKU in the category."""
    found = []
    for supplier in parties.list_suppliers(ctx, status="verified", limit=PAGE).items:
        products = catalog.list_products(ctx, supplier_id=supplier.id, limit=PAGE).items
        skus = [
            sku
            for product in products
            if product.category_code == category_code and product.state not in STALE
            for sku in catalog.skus_of(ctx.session, product.id)
        ]
        if not skus:
            continue
        record = penalties.penalties_of(ctx, supplier.id, unsettled=False)
        found.append(
            FactoryProfile(
                supplier_id=supplier.id,
                code=supplier.code,
                name=supplier.legal_name_en or supplier.legal_name,
                category_skus=len(skus),
                lowest_supply=min(s.supply_price_amount for s in skus),
                daily_capacity=max(s.daily_capacity for s in skus),
                moq=min(s.moq for s in skus),
                lead_time_days=min(s.lead_time_days for s in skus),
                penalties=len(record),
            )
        )
    return found


@dataclass(frozen=True)
class Match:
    profile: FactoryProfile
    fits: bool
    reasons: tuple[str, ...]


def rank(found: list[FactoryProfile], first_run: int, target_cost: int) -> list[Match]:
    """Factories that fit a first run of `first_run` units (its MOQ at or under it, its run
    capacity at or over it) first; then fewer penalties, shorter lead time, lower MOQ, more
    capacity, and a supply price nearer the design's target cost."""
    matches = []
    for p in found:
        reasons = []
        if p.moq > first_run:
            reasons.append(f"MOQ {p.moq} is above the first run of {first_run}")
        if p.run_capacity < first_run:
            reasons.append(f"makes {p.run_capacity} units in its lead time, under {first_run}")
        matches.append(Match(p, not reasons, tuple(reasons)))
    return sorted(
        matches,
        key=lambda m: (
            not m.fits,
            m.profile.penalties,
            m.profile.lead_time_days,
            m.profile.moq,
            -m.profile.daily_capacity,
            abs(m.profile.lowest_supply - target_cost),
            m.profile.code,
        ),
    )
