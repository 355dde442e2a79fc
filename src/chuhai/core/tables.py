"""Tables the core owns: idempotency records and stored files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chuhai.core.db import Base


class IdempotencyKeyRow(Base):
    """The first response to a create, kept so a retry with the same key returns it again."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class StoredFileRow(Base):
    """An uploaded file: content addressed on disk, owned by a tenant (or by the platform)."""

    __tablename__ = "stored_files"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(255))
    width: Mapped[int | None]
    height: Mapped[int | None]
    supplier_id: Mapped[str | None] = mapped_column(String(40), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
