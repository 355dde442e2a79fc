"""Tables of warehouse-network design: saved scenarios and the plans solved from them.

A scenario keeps the validated mapping in the scenario file's shape (demand inline), so it
solves again the same way. A plan keeps everything a planner reviews (the plan, the k-site
curve, current vs optimum and the what-ifs) as JSON, the site targets it would apply and
the fingerprint of the change list at solve time; `applied_at` is set once, when applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class NetworkScenarioRow(Base):
    __tablename__ = "network_scenarios"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20))  # example | upload | platform_orders
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # counts shown in lists, and for platform orders how the demand was built
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(40))  # user id
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(index=True)


class NetworkPlanRow(Base):
    __tablename__ = "network_plans"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("network_scenarios.id"), index=True)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)  # time limit, what-ifs, k_max
    status: Mapped[str] = mapped_column(String(30))  # optimal | time_limit | service_unreachable…
    gap: Mapped[float | None]
    total_fen: Mapped[int | None] = mapped_column(BigInteger)  # CNY fen per year
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)  # plan, curve, comparison, map
    targets: Mapped[list[Any] | None] = mapped_column(default=None)  # SiteTarget dicts
    fingerprint: Mapped[str | None] = mapped_column(String(16))  # change list at solve time
    created_by: Mapped[str] = mapped_column(String(40))  # user id
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(index=True)
    applied_by: Mapped[str | None] = mapped_column(String(40))
    applied_by_name: Mapped[str | None] = mapped_column(String(200))
    applied_at: Mapped[datetime | None]
    applied_fingerprint: Mapped[str | None] = mapped_column(String(16))
    applied_changes: Mapped[list[Any] | None] = mapped_column(default=None)
