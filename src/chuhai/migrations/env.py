"""Alembic environment: one migration history for SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context

# every capability's tables must be imported so autogenerate sees them
import chuhai.catalog.tables  # noqa: F401, E402
import chuhai.core.tables  # noqa: F401, E402
import chuhai.markets.tables  # noqa: F401, E402
import chuhai.parties.tables  # noqa: F401, E402
import chuhai.schema  # noqa: F401, E402  (imports every capability's tables)
from chuhai.core.db import Base, make_engine

target_metadata = Base.metadata


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or ""
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
