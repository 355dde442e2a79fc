"""Reference data every installation needs (markets, categories, compliance rules, pricing
rules and market pricing policies, warehouses, the chart of accounts), loaded
from the packaged data files. Idempotent: what operators changed is left as it is."""

from __future__ import annotations

from chuhai.catalog.registry import seed_rules
from chuhai.catalog.service import seed_categories
from chuhai.core.clock import Clock, SystemClock
from chuhai.core.db import Database
from chuhai.customs.declaration_service import seed_rebate_rates
from chuhai.demand import signals  # noqa: F401  (records orders, returns, stockouts)
from chuhai.finance import postings  # noqa: F401  (registers the ledger's event postings)
from chuhai.finance.accounts import seed_accounts
from chuhai.inventory.warehouses import seed_warehouses
from chuhai.markets.service import seed_markets
from chuhai.pricing.service import seed_pricing
from chuhai.sourcing import production  # noqa: F401  (records sales of runs made to order)


def load_reference_data(db: Database, clock: Clock | None = None) -> dict[str, int]:
    now = (clock or SystemClock()).now()
    with db.unit_of_work() as uow:
        added = {
            "markets": seed_markets(uow.session, now),
            "categories": seed_categories(uow.session),
        }
        uow.session.flush()
        added["compliance_rules"] = seed_rules(uow.session)
        added["pricing_rules"] = seed_pricing(uow.session, now)
        added["rebate_rates"] = seed_rebate_rates(uow.session, now)
        added["warehouses"] = seed_warehouses(uow.session, now)
        added["ledger_accounts"] = seed_accounts(uow.session, now)
        uow.commit()
    return added
