"""Every capability's tables in one place, for migrations and schema checks."""

from __future__ import annotations

import chuhai.catalog.tables
import chuhai.core.jobs
import chuhai.core.tables
import chuhai.customs.tables
import chuhai.demand.replenishment_tables
import chuhai.demand.tables
import chuhai.finance.credit_tables
import chuhai.finance.settlement_tables
import chuhai.finance.tables
import chuhai.fulfillment.tables
import chuhai.inventory.tables
import chuhai.markets.tables
import chuhai.network.tables
import chuhai.orders.tables
import chuhai.parties.tables
import chuhai.pricing.tables
import chuhai.sourcing.tables
from chuhai.core.db import Base

metadata = Base.metadata

__all__ = ["chuhai", "metadata"]
