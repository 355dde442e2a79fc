"""Business events inside one unit of work.

A capability announces what happened (`publish`); others that care subscribe once at
import time. Handlers run synchronously in the publisher's transaction, so an event and
everything it causes commit or roll back together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from chuhai.core.context import Context

Handler = Callable[[Context, dict[str, Any]], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def publish(ctx: Context, event: str, **payload: Any) -> None:
    for handler in list(_subscribers.get(event, ())):
        handler(ctx, payload)
