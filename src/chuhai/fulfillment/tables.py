"""Tables of the fulfillment capability: shipments with their parcels and labels, the
carrier's tracking events (each event id stored once, so a replay changes nothing) and the
shipment's history (every change of state with who, when and why)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class ShipmentRow(Base):
    __tablename__ = "shipments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    warehouse_id: Mapped[str] = mapped_column(ForeignKey("warehouses.id"))
    carrier: Mapped[str] = mapped_column(String(30))
    service: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str] = mapped_column(String(60), unique=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    ship_to: Mapped[dict[str, Any]]
    parcels: Mapped[list[Any]]  # [{"weight_g", "length_mm", "width_mm", "height_mm", "items"}]
    lines: Mapped[list[Any]]  # [{"sku_id", "quantity"}]
    label_file_id: Mapped[str | None] = mapped_column(String(80))
    last_event_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class TrackingEventRow(Base):
    __tablename__ = "tracking_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(30))
    event_id: Mapped[str] = mapped_column(String(100))  # the carrier's id for the event
    status: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    applied: Mapped[bool] = mapped_column(default=True)  # False when older than the latest
    received_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("carrier", "event_id"),)


class ShipmentHistoryRow(Base):
    """One change of a shipment's state: the label bought, or a carrier event applied."""

    __tablename__ = "shipment_history"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(60))  # a user, or carrier:<code> for events
    actor_name: Mapped[str] = mapped_column(String(200), default="")  # as they were called then
    reason: Mapped[str] = mapped_column(Text, default="")
    tracking_event_id: Mapped[str | None] = mapped_column(ForeignKey("tracking_events.id"))
    at: Mapped[datetime]

    __table_args__ = (Index("ix_shipment_history_shipment", "shipment_id", "at"),)
