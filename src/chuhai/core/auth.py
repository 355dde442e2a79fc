"""Who is acting, and what each role may do.

Every service call takes an `Actor`. Operators act platform-wide; supplier and studio users
act only within their own tenant, and the services scope every query by it. The table of
permissions below is the one place that says which role may do what.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from chuhai.core.errors import Forbidden


class Role(StrEnum):
    MERCHANDISER = "merchandiser"
    COMPLIANCE = "compliance"
    LOGISTICS = "logistics"
    CUSTOMS = "customs"
    FINANCE = "finance"
    ADMIN = "admin"
    SUPPLIER = "supplier"
    STUDIO = "studio"
    BUYER = "buyer"  # a shopper on the storefront


OPERATOR_ROLES = frozenset(
    {Role.MERCHANDISER, Role.COMPLIANCE, Role.LOGISTICS, Role.CUSTOMS, Role.FINANCE, Role.ADMIN}
)
ALL_OPERATORS = OPERATOR_ROLES

# permission -> roles that hold it (admin holds everything)
PERMISSIONS: dict[str, frozenset[Role]] = {
    "suppliers.read": OPERATOR_ROLES | {Role.SUPPLIER},
    "suppliers.create": frozenset({Role.MERCHANDISER}),
    "suppliers.edit": frozenset({Role.MERCHANDISER, Role.SUPPLIER}),
    "suppliers.verify": frozenset({Role.COMPLIANCE}),
    "suppliers.agreement": frozenset({Role.MERCHANDISER, Role.FINANCE}),
    "studios.read": OPERATOR_ROLES | {Role.STUDIO},
    "studios.manage": frozenset({Role.MERCHANDISER}),
    "customers.read": OPERATOR_ROLES,
    "customers.manage": frozenset({Role.MERCHANDISER}),
    "users.manage": frozenset(),
    "catalog.read": OPERATOR_ROLES | {Role.SUPPLIER},
    "catalog.edit": frozenset({Role.SUPPLIER, Role.MERCHANDISER}),
    "catalog.submit": frozenset({Role.SUPPLIER, Role.MERCHANDISER}),
    "review.compliance": frozenset({Role.COMPLIANCE}),
    "review.ip": frozenset({Role.COMPLIANCE}),
    "negotiation.platform": frozenset({Role.MERCHANDISER}),
    "negotiation.supplier": frozenset({Role.SUPPLIER}),
    "negotiation.agree": frozenset({Role.MERCHANDISER, Role.SUPPLIER}),
    "qc.manage": frozenset({Role.MERCHANDISER, Role.LOGISTICS}),
    "listing.publish": frozenset({Role.MERCHANDISER}),
    "brands.read": OPERATOR_ROLES,
    "brands.manage": frozenset({Role.COMPLIANCE}),
    "rules.read": OPERATOR_ROLES | {Role.SUPPLIER},
    "rules.manage": frozenset({Role.COMPLIANCE}),
    "markets.read": OPERATOR_ROLES | {Role.SUPPLIER, Role.STUDIO, Role.BUYER},
    "markets.manage": frozenset({Role.MERCHANDISER}),
    "customs.read": OPERATOR_ROLES,
    "customs.declare": frozenset({Role.CUSTOMS}),
    "hs.suggest": OPERATOR_ROLES,
    "hs.confirm": frozenset({Role.CUSTOMS, Role.COMPLIANCE}),
    "fx.read": OPERATOR_ROLES,
    "fx.manage": frozenset({Role.FINANCE}),
    "pricing.read": OPERATOR_ROLES,
    "pricing.rules": frozenset({Role.MERCHANDISER, Role.CUSTOMS, Role.FINANCE}),
    "pricing.quote": OPERATOR_ROLES | {Role.BUYER},
    "warehouses.read": OPERATOR_ROLES | {Role.SUPPLIER},
    "warehouses.manage": frozenset({Role.LOGISTICS}),
    "stock.read": OPERATOR_ROLES,
    "stock.adjust": frozenset({Role.LOGISTICS}),
    "stockup.read": OPERATOR_ROLES | {Role.SUPPLIER},
    "stockup.issue": frozenset({Role.MERCHANDISER, Role.LOGISTICS}),
    "stockup.respond": frozenset({Role.SUPPLIER}),
    "stockup.receive": frozenset({Role.LOGISTICS}),
    "transfers.read": OPERATOR_ROLES,
    # merchandisers plan line-haul (replenishment, reorders); logistics moves it
    "transfers.plan": frozenset({Role.LOGISTICS, Role.MERCHANDISER}),
    "transfers.manage": frozenset({Role.LOGISTICS}),
    "storefront.buy": frozenset({Role.BUYER}),
    "orders.read": OPERATOR_ROLES,
    "orders.fulfil": frozenset({Role.LOGISTICS}),
    "orders.manage": frozenset({Role.MERCHANDISER, Role.LOGISTICS}),
    "orders.refund": frozenset({Role.MERCHANDISER, Role.FINANCE}),
    "shipments.read": OPERATOR_ROLES,
    "shipments.manage": frozenset({Role.LOGISTICS}),
    "ledger.read": frozenset({Role.FINANCE, Role.ADMIN}),
    "ledger.post": frozenset({Role.FINANCE}),
    "settlement.read": frozenset({Role.FINANCE, Role.ADMIN, Role.SUPPLIER}),
    "settlement.manage": frozenset({Role.FINANCE}),
    "credit.read": frozenset({Role.FINANCE, Role.ADMIN}),
    "credit.manage": frozenset({Role.FINANCE}),
    "treasury.read": frozenset({Role.FINANCE, Role.ADMIN}),
    "treasury.manage": frozenset({Role.FINANCE, Role.ADMIN}),
    "demand.read": frozenset({Role.MERCHANDISER, Role.ADMIN}),
    "demand.manage": frozenset({Role.MERCHANDISER}),
    "briefs.read": OPERATOR_ROLES | {Role.STUDIO},  # studios: published briefs only
    "briefs.manage": frozenset({Role.MERCHANDISER}),
    "designs.read": OPERATOR_ROLES | {Role.STUDIO},  # studios: their own designs only
    "designs.submit": frozenset({Role.STUDIO}),
    "designs.review": frozenset({Role.MERCHANDISER}),
    "production.read": OPERATOR_ROLES | {Role.SUPPLIER},  # factories: their own orders only
    "production.manage": frozenset({Role.MERCHANDISER}),
    "production.update": frozenset({Role.SUPPLIER}),
    "production.receive": frozenset({Role.LOGISTICS, Role.MERCHANDISER}),
    "forecasts.read": frozenset({Role.MERCHANDISER, Role.LOGISTICS, Role.ADMIN}),
    "forecasts.run": frozenset({Role.MERCHANDISER, Role.LOGISTICS, Role.ADMIN}),
    "replenishment.read": frozenset({Role.MERCHANDISER, Role.LOGISTICS, Role.ADMIN}),
    "replenishment.approve": frozenset({Role.MERCHANDISER, Role.LOGISTICS, Role.ADMIN}),
    "network.read": frozenset({Role.LOGISTICS, Role.ADMIN}),
    "network.plan": frozenset({Role.LOGISTICS, Role.ADMIN}),
    "network.apply": frozenset({Role.LOGISTICS, Role.ADMIN}),
}


@dataclass(frozen=True)
class Actor:
    user_id: str
    username: str
    roles: frozenset[Role]
    supplier_id: str | None = None
    studio_id: str | None = None
    display_name: str = ""
    token_id: str | None = field(default=None, compare=False)

    @property
    def is_operator(self) -> bool:
        return bool(self.roles & OPERATOR_ROLES)

    def can(self, permission: str) -> bool:
        allowed = PERMISSIONS[permission]
        return Role.ADMIN in self.roles or bool(self.roles & allowed)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(f"your role may not do this ({permission})", permission=permission)


SYSTEM = Actor(user_id="system", username="system", roles=frozenset({Role.ADMIN}))
# the storefront acts for anonymous shoppers: browse, quote, check out, nothing else
STOREFRONT = Actor(user_id="storefront", username="storefront", roles=frozenset({Role.BUYER}))


def new_secret(prefix: str) -> str:
    """A bearer secret shown once to its owner; only its hash is stored."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
