"""What a running server holds: settings, the database and the clock; shared by the doors."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from chuhai.core.clock import Clock
from chuhai.core.db import Database
from chuhai.core.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]
