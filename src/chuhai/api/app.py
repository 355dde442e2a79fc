"""The ASGI application: the HTTP API under /api/v1 and the console under /.

`create_app` refuses to build on a database whose schema is not at the newest migration,
with a sentence saying which command fixes it.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from chuhai import __version__
from chuhai.api import (
    auth,
    catalog,
    credit,
    customs_declarations,
    customs_hs,
    demand,
    fulfillment,
    fx,
    inventory,
    ledger,
    markets,
    network,
    orders,
    parties,
    pricing,
    registry,
    replenishment,
    settlements,
    sourcing,
    storefront,
    treasury,
)
from chuhai.api.errors import install_problem_handlers
from chuhai.core.clock import Clock, SystemClock
from chuhai.core.db import Database, schema_problem
from chuhai.core.runtime import Runtime
from chuhai.core.settings import Settings, load_settings
from chuhai.finance import postings  # noqa: F401  (registers the ledger's event postings)


class SchemaOutOfDate(RuntimeError):
    """The database schema is missing or older than this code."""


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, db: Database | None = None
) -> FastAPI:
    settings = settings or load_settings()
    db = db or Database(settings.database_url)
    problem = schema_problem(db.engine)
    if problem:
        raise SchemaOutOfDate(problem)
    app = FastAPI(
        title="chuhai",
        version=__version__,
        description="Full-custody cross-border commerce: the platform API.",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = Runtime(settings=settings, db=db, clock=clock or SystemClock())
    install_problem_handlers(app)
    api = APIRouter(prefix="/api/v1")
    for module in (
        auth,
        parties,
        markets,
        catalog,
        registry,
        fx,
        ledger,
        settlements,
        credit,
        treasury,
        pricing,
        customs_declarations,
        customs_hs,
        demand,
        replenishment,
        sourcing,
        inventory,
        storefront,
        orders,
        fulfillment,
        network,
    ):
        api.include_router(module.router)
    app.include_router(api)

    from chuhai.web.console import mount_console

    mount_console(app)
    return app
