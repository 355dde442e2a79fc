"""Idempotency-Key for every POST that creates something.

The first response is stored in the same transaction as the record it created, so either
both exist or neither. A retry with the same key and the same request returns the stored
response (with `Idempotent-Replayed: true`); the same key with a different request is a 422.
Two concurrent first attempts race on the unique (user, key) index: the loser rolls back
and answers with the winner's response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from chuhai.core.context import Context
from chuhai.core.errors import Conflict, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.tables import IdempotencyKeyRow

MAX_KEY_LENGTH = 200


def fingerprint(request: Request, payload: Any) -> str:
    canonical = json.dumps(
        jsonable_encoder(payload), sort_keys=True, separators=(",", ":"), default=str
    )
    raw = f"{request.method} {request.url.path}\n{canonical}".encode()
    return hashlib.sha256(raw).hexdigest()


def _replay(row: IdempotencyKeyRow, request_hash: str) -> JSONResponse:
    if row.request_hash != request_hash:
        raise ValidationFailed.one(
            "Idempotency-Key", "this key was already used with a different request"
        )
    return JSONResponse(
        json.loads(row.response_body),
        status_code=row.status_code,
        headers={"Idempotent-Replayed": "true"},
    )


def _stored(ctx: Context, key: str) -> IdempotencyKeyRow | None:
    query = select(IdempotencyKeyRow).where(
        IdempotencyKeyRow.user_id == ctx.actor.user_id, IdempotencyKeyRow.key == key
    )
    return ctx.session.scalar(query)


def run_idempotent(
    ctx: Context,
    request: Request,
    key: str | None,
    payload: Any,
    create: Callable[[], Any],
    status_code: int = 201,
) -> JSONResponse:
    """Run `create` (which returns the response body) at most once per Idempotency-Key.

    The key is claimed first, in the same transaction as the creation: a concurrent attempt
    with the same key waits on the unique index, then finds the key taken and replays the
    first response once it is committed.
    """
    if key is None:
        body = jsonable_encoder(create())
        ctx.session.commit()
        return JSONResponse(body, status_code=status_code)
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed.one("Idempotency-Key", f"1-{MAX_KEY_LENGTH} characters")
    request_hash = fingerprint(request, payload)
    existing = _stored(ctx, key)
    if existing is not None:
        return _replay(existing, request_hash)
    claim = IdempotencyKeyRow(
        id=new_id("idk"),
        user_id=ctx.actor.user_id,
        key=key,
        method=request.method,
        path=request.url.path,
        request_hash=request_hash,
        status_code=0,
        response_body="",
        created_at=ctx.now(),
    )
    ctx.session.add(claim)
    try:
        ctx.session.flush()
    except IntegrityError:
        ctx.session.rollback()
        winner = _stored(ctx, key)
        if winner is None:
            raise Conflict("a request with this Idempotency-Key is still being processed") from None
        return _replay(winner, request_hash)
    body = jsonable_encoder(create())
    claim.status_code = status_code
    claim.response_body = json.dumps(body)
    ctx.session.commit()
    return JSONResponse(body, status_code=status_code)
