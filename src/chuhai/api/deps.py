"""What every API route needs: the runtime (settings, database, clock) and a Context for the
authenticated actor.

Routes commit explicitly (`ctx.session.commit()`) before they answer, so a client never sees
a success that was not stored; the dependency's exit only rolls back and closes.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from chuhai.core.context import Context
from chuhai.core.errors import Unauthorized
from chuhai.core.runtime import runtime
from chuhai.parties.service import actor_from_token

bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/tokens")


def api_context(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Iterator[Context]:
    rt = runtime(request)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send a bearer token: Authorization: Bearer <token>")
    with rt.db.unit_of_work() as uow:
        actor = actor_from_token(uow.session, rt.clock, credentials.credentials)
        uow.commit()  # records the token's last use; the route's own work is a new transaction
        yield Context(uow.session, actor, rt.clock, rt.settings)


def public_context(request: Request) -> Iterator[Context]:
    """For the few routes that authenticate by other means (signing in with a password)."""
    from chuhai.core.auth import Actor

    rt = runtime(request)
    with rt.db.unit_of_work() as uow:
        yield Context(
            uow.session, Actor("anonymous", "anonymous", frozenset()), rt.clock, rt.settings
        )
