"""What every use case receives: the open transaction, who acts, the clock, the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from chuhai.core.auth import Actor
from chuhai.core.clock import Clock
from chuhai.core.settings import Settings


@dataclass
class Context:
    session: Session
    actor: Actor
    clock: Clock
    settings: Settings

    def now(self) -> datetime:
        return self.clock.now()
