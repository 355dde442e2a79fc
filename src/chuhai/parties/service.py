"""Use cases of the parties capability: users and their credentials, suppliers, studios,
customers.

Tenancy lives here: a supplier's (or studio's) user reaches only its own records, and
another tenant's id answers NotFound, exactly as an id that does not exist.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chuhai.core.auth import Actor, Role, new_secret, secret_hash
from chuhai.core.clock import Clock
from chuhai.core.context import Context
from chuhai.core.db import length_errors
from chuhai.core.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from chuhai.core.ids import new_id
from chuhai.core.pagination import Page, paginate
from chuhai.parties.model import SupplierProfile, password_error, username_error
from chuhai.parties.tables import (
    ApiTokenRow,
    CustomerRow,
    StudioRow,
    SupplierRow,
    UserRow,
    WebSessionRow,
)

_hasher = PasswordHasher()
# verifying against this keeps a wrong username as slow as a wrong password
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def configure_password_hashing(*, time_cost: int, memory_cost_kib: int) -> None:
    """Change argon2's cost (tests use a cheap one; hashes made with any cost still verify)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not-a-real-password")


# --- users and credentials -------------------------------------------------------------


def parse_roles(raw: str | list[str]) -> frozenset[Role]:
    names = raw.split(",") if isinstance(raw, str) else raw
    roles = set()
    for name in (n.strip() for n in names):
        if not name:
            continue
        try:
            roles.add(Role(name))
        except ValueError:
            raise ValidationFailed.one("roles", f"unknown role {name!r}") from None
    return frozenset(roles)


def actor_for(user: UserRow, token_id: str | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        roles=parse_roles(user.roles),
        supplier_id=user.supplier_id,
        studio_id=user.studio_id,
        display_name=user.display_name,
        token_id=token_id,
    )


def create_user(
    ctx: Context,
    *,
    username: str,
    password: str,
    roles: list[str],
    display_name: str = "",
    supplier_code: str | None = None,
    studio_code: str | None = None,
) -> UserRow:
    ctx.actor.require("users.manage")
    errors = []
    if problem := username_error(username):
        errors.append(FieldError("username", problem))
    if problem := password_error(password):
        errors.append(FieldError("password", problem))
    errors += length_errors(UserRow, {"display_name": display_name})
    if errors:
        raise ValidationFailed(errors)
    role_set = parse_roles(roles)
    if not role_set:
        raise ValidationFailed.one("roles", "give at least one role")
    supplier_id = studio_id = None
    if Role.SUPPLIER in role_set:
        if role_set != {Role.SUPPLIER} or not supplier_code:
            raise ValidationFailed.one(
                "roles",
                "a supplier user has only the supplier role "
                "and belongs to one supplier (give its code)",
            )
        supplier_id = _supplier_by_code(ctx.session, supplier_code).id
    elif Role.STUDIO in role_set:
        if role_set != {Role.STUDIO} or not studio_code:
            raise ValidationFailed.one(
                "roles",
                "a studio user has only the studio role and belongs to one studio (give its code)",
            )
        studio_id = _studio_by_code(ctx.session, studio_code).id
    elif supplier_code or studio_code:
        raise ValidationFailed.one("roles", "operators do not belong to a supplier or studio")
    if ctx.session.scalar(select(UserRow.id).where(UserRow.username == username)):
        raise Conflict(f"username {username!r} is taken", field="username")
    user = UserRow(
        id=new_id("usr"),
        username=username,
        display_name=display_name or username,
        password_hash=_hasher.hash(password),
        roles=",".join(sorted(role_set)),
        supplier_id=supplier_id,
        studio_id=studio_id,
        active=True,
        created_at=ctx.now(),
    )
    ctx.session.add(user)
    ctx.session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> UserRow:
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise Unauthorized("wrong username or password")
    return user


def create_token(ctx: Context, name: str) -> tuple[ApiTokenRow, str]:
    """A new bearer token for the acting user; the secret is returned once, never stored."""
    if not name.strip() or len(name) > 100:
        raise ValidationFailed.one("name", "give the token a name of 1-100 characters")
    secret = new_secret("chk")
    row = ApiTokenRow(
        id=new_id("tok"),
        user_id=ctx.actor.user_id,
        name=name.strip(),
        token_hash=secret_hash(secret),
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row, secret


def list_tokens(ctx: Context) -> list[ApiTokenRow]:
    query = select(ApiTokenRow).where(ApiTokenRow.user_id == ctx.actor.user_id)
    return list(ctx.session.scalars(query.order_by(ApiTokenRow.created_at.desc())))


def revoke_token(ctx: Context, token_id: str) -> ApiTokenRow:
    row = ctx.session.get(ApiTokenRow, token_id)
    if row is None or row.user_id != ctx.actor.user_id:
        raise NotFound("no such token", field="token_id")
    if row.revoked_at is None:
        row.revoked_at = ctx.now()
    return row


def actor_from_token(session: Session, clock: Clock, secret: str) -> Actor:
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == secret_hash(secret)))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("the bearer token is unknown or revoked")
    user = session.get(UserRow, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("the token's user is disabled")
    row.last_used_at = clock.now()
    return actor_for(user, token_id=row.id)


def start_web_session(session: Session, clock: Clock, user: UserRow, hours: int) -> str:
    secret = new_secret("ses")
    now = clock.now()
    session.add(
        WebSessionRow(
            id=new_id("ses"),
            user_id=user.id,
            token_hash=secret_hash(secret),
            csrf_token=new_secret("csrf"),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return secret


def web_session(session: Session, clock: Clock, secret: str) -> tuple[Actor, str]:
    """The actor and CSRF token of a live console session; Unauthorized otherwise."""
    row = session.scalar(
        select(WebSessionRow).where(WebSessionRow.token_hash == secret_hash(secret))
    )
    if row is None or row.ended_at is not None or row.expires_at <= clock.now():
        raise Unauthorized("your session has ended; sign in again")
    user = session.get(UserRow, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("your account is disabled")
    return actor_for(user), row.csrf_token


def end_web_session(session: Session, clock: Clock, secret: str) -> None:
    row = session.scalar(
        select(WebSessionRow).where(WebSessionRow.token_hash == secret_hash(secret))
    )
    if row is not None and row.ended_at is None:
        row.ended_at = clock.now()


def list_users(ctx: Context, limit: int = 50, offset: int = 0) -> Page[UserRow]:
    ctx.actor.require("users.manage")
    return paginate(ctx.session, select(UserRow).order_by(UserRow.username), limit, offset)


# --- suppliers ---------------------------------------------------------------------------


def _supplier_by_code(session: Session, code: str) -> SupplierRow:
    row = session.scalar(select(SupplierRow).where(SupplierRow.code == code))
    if row is None:
        raise NotFound(f"no supplier with code {code!r}", field="supplier")
    return row


def supplier_of(session: Session, supplier_id: str) -> SupplierRow:
    """A supplier by id, for other capabilities that already checked who may see it."""
    return session.get_one(SupplierRow, supplier_id)


def visible_supplier(ctx: Context, supplier_id: str) -> SupplierRow:
    """The supplier if the actor may see it; NotFound for a missing or another tenant's id."""
    ctx.actor.require("suppliers.read")
    row = ctx.session.get(SupplierRow, supplier_id)
    if row is None or (not ctx.actor.is_operator and ctx.actor.supplier_id != row.id):
        raise NotFound("no such supplier", field="supplier_id")
    return row


def supplier_by_code(ctx: Context, code: str) -> SupplierRow:
    row = _supplier_by_code(ctx.session, code)
    return visible_supplier(ctx, row.id)


def onboard_supplier(ctx: Context, profile: SupplierProfile) -> SupplierRow:
    ctx.actor.require("suppliers.create")
    if errors := profile.errors() + length_errors(SupplierRow, asdict(profile)):
        raise ValidationFailed(errors)
    session = ctx.session
    if session.scalar(select(SupplierRow.id).where(SupplierRow.code == profile.code)):
        raise Conflict(f"supplier code {profile.code!r} is taken", field="code")
    if session.scalar(select(SupplierRow.id).where(SupplierRow.credit_code == profile.credit_code)):
        raise Conflict("a supplier with this credit code already exists", field="credit_code")
    now = ctx.now()
    row = SupplierRow(
        id=new_id("sup"), status="pending", created_at=now, updated_at=now, **asdict(profile)
    )
    session.add(row)
    session.flush()
    return row


EDITABLE_SUPPLIER_FIELDS = (
    "legal_name",
    "legal_name_en",
    "address",
    "province",
    "city",
    "cluster",
    "contact_name",
    "contact_phone",
    "contact_email",
    "export_qualification",
    "bank_name",
    "bank_account_name",
    "bank_account_number",
)


def update_supplier(ctx: Context, supplier_id: str, changes: dict[str, str]) -> SupplierRow:
    """Edit a supplier's profile. Changing papers or bank details sends it back to review."""
    row = visible_supplier(ctx, supplier_id)
    ctx.actor.require("suppliers.edit")
    unknown = set(changes) - set(EDITABLE_SUPPLIER_FIELDS)
    if unknown:
        raise ValidationFailed.one(sorted(unknown)[0], "cannot be changed here")
    current = {f: getattr(row, f) for f in asdict(_profile_of(row))}
    profile = SupplierProfile(**{**current, **changes})
    if errors := profile.errors() + length_errors(SupplierRow, changes):
        raise ValidationFailed(errors)
    sensitive = {
        "legal_name",
        "export_qualification",
        "bank_name",
        "bank_account_name",
        "bank_account_number",
    }
    if any(changes.get(f, getattr(row, f)) != getattr(row, f) for f in sensitive):
        row.status = "pending"
        row.verified_at = None
        row.verified_by = None
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = ctx.now()
    return row


PAYABLE_BASES = ("receipt", "sale")


def set_payable_basis(ctx: Context, supplier_id: str, payable_on: str) -> SupplierRow:
    """Set when the platform owes the supplier: on "receipt" at the consolidation warehouse
    (the default) or on "sale" (consignment). An agreement between the platform and the
    supplier, so an operator sets it, never the supplier alone. It applies to receipts and
    sales from now on; what was already posted stays as it was."""
    row = visible_supplier(ctx, supplier_id)
    ctx.actor.require("suppliers.agreement")
    basis = payable_on.strip().lower() if isinstance(payable_on, str) else payable_on
    if basis not in PAYABLE_BASES:
        raise ValidationFailed.one(
            "payable_on", f"{payable_on!r} is not an agreement: receipt or sale"
        )
    row.payable_on = basis
    row.updated_at = ctx.now()
    return row


def payable_basis(session: Session, supplier_id: str) -> str:
    """When the supplier is owed ("receipt" or "sale"), for the ledger's postings."""
    basis = session.scalar(select(SupplierRow.payable_on).where(SupplierRow.id == supplier_id))
    return basis or "receipt"


def _profile_of(row: SupplierRow) -> SupplierProfile:
    return SupplierProfile(**{f: getattr(row, f) for f in SupplierProfile.__dataclass_fields__})


def verify_supplier(
    ctx: Context, supplier_id: str, *, approve: bool, note: str = ""
) -> SupplierRow:
    row = visible_supplier(ctx, supplier_id)
    ctx.actor.require("suppliers.verify")
    if not approve and not note.strip():
        raise ValidationFailed.one("note", "say why the supplier is not verified")
    row.status = "verified" if approve else "suspended"
    row.verified_by = ctx.actor.user_id
    row.verified_at = ctx.now()
    row.verification_note = note.strip()
    row.updated_at = ctx.now()
    return row


def list_suppliers(
    ctx: Context, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> Page[SupplierRow]:
    ctx.actor.require("suppliers.read")
    query = select(SupplierRow).order_by(SupplierRow.code)
    if not ctx.actor.is_operator:
        query = query.where(SupplierRow.id == ctx.actor.supplier_id)
    if status:
        query = query.where(SupplierRow.status == status)
    return paginate(ctx.session, query, limit, offset)


# --- studios and customers ---------------------------------------------------------------


def _studio_by_code(session: Session, code: str) -> StudioRow:
    row = session.scalar(select(StudioRow).where(StudioRow.code == code))
    if row is None:
        raise NotFound(f"no design studio with code {code!r}", field="studio")
    return row


def create_studio(
    ctx: Context,
    *,
    code: str,
    name: str,
    city: str = "",
    specialties: str = "",
    contact_email: str = "",
) -> StudioRow:
    ctx.actor.require("studios.manage")
    if not name.strip():
        raise ValidationFailed.one("name", "is required")
    values = {
        "code": code,
        "name": name,
        "city": city,
        "specialties": specialties,
        "contact_email": contact_email,
    }
    if errors := length_errors(StudioRow, values):
        raise ValidationFailed(errors)
    if ctx.session.scalar(select(StudioRow.id).where(StudioRow.code == code)):
        raise Conflict(f"studio code {code!r} is taken", field="code")
    row = StudioRow(
        id=new_id("std"),
        code=code,
        name=name,
        city=city,
        specialties=specialties,
        contact_email=contact_email,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def list_studios(ctx: Context, limit: int = 50, offset: int = 0) -> Page[StudioRow]:
    ctx.actor.require("studios.read")
    query = select(StudioRow).order_by(StudioRow.code)
    if not ctx.actor.is_operator:
        query = query.where(StudioRow.id == ctx.actor.studio_id)
    return paginate(ctx.session, query, limit, offset)


def create_customer(
    ctx: Context,
    *,
    name: str,
    email: str,
    country_code: str,
    market_code: str | None = None,
    kind: str = "b2c",
) -> CustomerRow:
    import pycountry

    ctx.actor.require("customers.manage")
    if pycountry.countries.get(alpha_2=country_code) is None:
        raise ValidationFailed.one("country_code", f"unknown ISO 3166 country {country_code!r}")
    if kind not in ("b2c", "b2b"):
        raise ValidationFailed.one("kind", "must be b2c or b2b")
    if errors := length_errors(
        CustomerRow, {"name": name, "email": email, "market_code": market_code}
    ):
        raise ValidationFailed(errors)
    if ctx.session.scalar(select(CustomerRow.id).where(CustomerRow.email == email)):
        raise Conflict("a customer with this e-mail exists", field="email")
    row = CustomerRow(
        id=new_id("cus"),
        name=name,
        email=email,
        country_code=country_code,
        market_code=market_code,
        kind=kind,
        created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def list_customers(ctx: Context, limit: int = 50, offset: int = 0) -> Page[CustomerRow]:
    ctx.actor.require("customers.read")
    return paginate(
        ctx.session, select(CustomerRow).order_by(CustomerRow.created_at), limit, offset
    )


# --- for other capabilities and seeding ---------------------------------------------------------


def party_counts(session: Session) -> dict[str, int]:
    """How many suppliers, studios, customers and users there are."""
    tables = {
        "suppliers": SupplierRow,
        "studios": StudioRow,
        "customers": CustomerRow,
        "users": UserRow,
    }
    return {
        name: int(session.scalar(select(func.count()).select_from(table)) or 0)
        for name, table in tables.items()
    }


def display_names(session: Session, user_ids: list[str]) -> dict[str, str]:
    """User id -> the name people know them by, for histories that store ids; ids that are
    not users (the storefront, a carrier, the system) are left out."""
    wanted = sorted({i for i in user_ids if i})
    query = select(UserRow.id, UserRow.display_name, UserRow.username).where(UserRow.id.in_(wanted))
    return {uid: name or username for uid, name, username in session.execute(query)}


def find_user(session: Session, username: str) -> UserRow | None:
    return session.scalar(select(UserRow).where(UserRow.username == username))


def find_supplier(session: Session, code: str) -> SupplierRow | None:
    return session.scalar(select(SupplierRow).where(SupplierRow.code == code))
