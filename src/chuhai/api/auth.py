"""Tokens and users: sign in with a password for a bearer token, list and revoke tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from chuhai.api.deps import api_context, public_context
from chuhai.api.idempotency import run_idempotent
from chuhai.api.schemas import (
    MeOut,
    NewTokenOut,
    PageOut,
    SignIn,
    TokenCreate,
    TokenOut,
    UserCreate,
    UserOut,
)
from chuhai.core.context import Context
from chuhai.parties import service
from chuhai.parties.tables import ApiTokenRow, UserRow

router = APIRouter(tags=["auth"])


def token_out(row: ApiTokenRow) -> TokenOut:
    return TokenOut(
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def user_out(row: UserRow) -> UserOut:
    return UserOut(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        roles=row.roles.split(","),
        supplier_id=row.supplier_id,
        studio_id=row.studio_id,
        active=row.active,
    )


@router.post("/auth/tokens", status_code=201, response_model=NewTokenOut)
def sign_in(body: SignIn, ctx: Context = Depends(public_context)) -> NewTokenOut:
    """Exchange a username and password for a new bearer token (shown once)."""
    user = service.authenticate(ctx.session, body.username, body.password)
    ctx.actor = service.actor_for(user)
    row, secret = service.create_token(ctx, body.token_name)
    ctx.session.commit()
    return NewTokenOut(token=secret, **token_out(row).model_dump())


@router.get("/me", response_model=MeOut)
def me(ctx: Context = Depends(api_context)) -> MeOut:
    a = ctx.actor
    return MeOut(
        id=a.user_id,
        username=a.username,
        display_name=a.display_name,
        roles=sorted(a.roles),
        supplier_id=a.supplier_id,
        studio_id=a.studio_id,
    )


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(ctx: Context = Depends(api_context)) -> list[TokenOut]:
    return [token_out(r) for r in service.list_tokens(ctx)]


@router.post("/tokens", status_code=201, response_model=NewTokenOut)
def create_token(
    body: TokenCreate,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    def create() -> NewTokenOut:
        row, secret = service.create_token(ctx, body.name)
        return NewTokenOut(token=secret, **token_out(row).model_dump())

    return run_idempotent(ctx, request, idempotency_key, body, create)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: str, ctx: Context = Depends(api_context)) -> TokenOut:
    row = service.revoke_token(ctx, token_id)
    ctx.session.commit()
    return token_out(row)


@router.get("/users", response_model=PageOut[UserOut])
def list_users(
    limit: int = 50, offset: int = 0, ctx: Context = Depends(api_context)
) -> PageOut[UserOut]:
    page = service.list_users(ctx, limit, offset)
    return PageOut(
        items=[user_out(u) for u in page.items], total=page.total, limit=limit, offset=offset
    )


@router.post("/users", status_code=201, response_model=UserOut)
def create_user(
    body: UserCreate,
    request: Request,
    ctx: Context = Depends(api_context),
    idempotency_key: str | None = Header(None),
) -> JSONResponse:
    return run_idempotent(
        ctx,
        request,
        idempotency_key,
        body.model_dump(exclude={"password"}),
        lambda: user_out(service.create_user(ctx, **body.model_dump())),
    )
