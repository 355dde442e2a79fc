"""Tables of replenishment: each computation run, and the proposals it made.

A proposal is one stock-up order line (consolidation warehouse ← supplier) or one transfer
line (overseas warehouse ← consolidation warehouse) with the numbers that justify it kept as
evidence. A new run supersedes the proposals still open; approval records the stock-up
order or transfer it became.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class ReplenishmentRunRow(Base):
    __tablename__ = "replenishment_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    forecast_source: Mapped[str] = mapped_column(String(40))  # forecast_daily | trailing_28d
    # the stored forecast the run used (None: a forecast handed in, as in the benchmark)
    forecast_run_id: Mapped[str | None] = mapped_column(ForeignKey("demand_forecast_runs.id"))
    proposal_count: Mapped[int]
    skipped: Mapped[list[Any]] = mapped_column(default=list)  # [{sku_id, warehouse_id, reason}]
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class ReplenishmentProposalRow(Base):
    __tablename__ = "replenishment_proposals"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("replenishment_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # stock_up | transfer
    state: Mapped[str] = mapped_column(String(20), index=True)  # proposed|approved|superseded
    sku_id: Mapped[str] = mapped_column(ForeignKey("skus.id"), index=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    from_warehouse_id: Mapped[str | None] = mapped_column(ForeignKey("warehouses.id"))
    supplier_id: Mapped[str] = mapped_column(ForeignKey("suppliers.id"))
    quantity: Mapped[int]
    sku_class: Mapped[str] = mapped_column(String(2))  # ABC × XYZ, e.g. AX
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    document_id: Mapped[str | None] = mapped_column(String(40))  # stock-up order or transfer
    approved_by: Mapped[str | None] = mapped_column(String(40))
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
