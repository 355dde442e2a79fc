"""Taking money: the payment-provider interface and a sandbox provider that behaves like a
real one.

A provider authorises an amount on a card, captures up to what it authorised, voids an
authorisation it has not captured, and refunds up to what it captured. Every call carries an
idempotency key: the same key again returns the first answer, never a second effect.

The sandbox keeps its own book (`sandbox_payments`) and writes it in its own transactions,
as an outside service would: an authorisation survives the caller's rollback and has to be
voided or refunded. On SQLite, which allows one writer at a time while a checkout holds
the database, that book is a file of its own beside the database. Its test cards follow
Stripe's (data/orders/sandbox_cards.json): 4242 4242 4242 4242 is approved, 4000 0000 0000
0002 declined, 4000 0000 0000 9995 has insufficient funds, 4000 0000 0000 0119 does not
answer in time (after recording the authorisation, as a provider that timed out on the way
back may have done).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from chuhai.core.clock import Clock
from chuhai.core.db import make_engine
from chuhai.core.ids import new_id
from chuhai.core.settings import Settings
from chuhai.orders.model import Card, card_errors
from chuhai.orders.tables import SandboxPaymentRow


class PaymentTimeout(Exception):
    """The provider did not answer in time: whether it acted is unknown until asked again."""


class ProviderRefused(Exception):
    """The provider will not do this (capture more than authorised, refund more than
    captured, reuse a key for a different request)."""


@dataclass(frozen=True)
class ProviderResult:
    ref: str  # the provider's reference for this operation
    operation: str  # authorise | capture | void | refund
    status: str  # approved | declined
    amount: int
    currency: str
    card_last4: str = ""
    decline_code: str = ""
    message: str = ""
    parent_ref: str | None = None  # the authorisation a capture or void belongs to, ...

    @property
    def approved(self) -> bool:
        return self.status == "approved"


class PaymentProvider(Protocol):
    name: str

    def authorise(
        self, *, idempotency_key: str, amount: int, currency: str, card: Card, reference: str
    ) -> ProviderResult: ...

    def capture(
        self, *, idempotency_key: str, authorisation_ref: str, amount: int
    ) -> ProviderResult: ...

    def void(self, *, idempotency_key: str, authorisation_ref: str) -> ProviderResult: ...

    def refund(self, *, idempotency_key: str, capture_ref: str, amount: int) -> ProviderResult: ...


# --- the sandbox --------------------------------------------------------------------------------


@cache
def test_cards() -> dict[str, dict[str, str]]:
    text = resources.files("chuhai.data").joinpath("orders/sandbox_cards.json").read_text("utf-8")
    return json.loads(text)["cards"]  # type: ignore[no-any-return]


_stores: dict[str, sessionmaker[Session]] = {}
_stores_lock = threading.Lock()


def _store(url: str) -> sessionmaker[Session]:
    """One engine per book per process; a SQLite book of its own gets its table on first use."""
    with _stores_lock:
        if url not in _stores:
            engine = make_engine(url)
            if url.startswith("sqlite"):
                # another server process may create it at the same moment
                with suppress(OperationalError):
                    SandboxPaymentRow.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
            _stores[url] = sessionmaker(engine, expire_on_commit=False)
        return _stores[url]


Decision = dict[str, Any]


class SandboxPaymentProvider:
    name = "sandbox"

    def __init__(self, url: str, clock: Clock, timeout_s: float = 0.3) -> None:
        self._sessions = _store(url)
        self._clock = clock
        self._timeout_s = timeout_s

    def authorise(
        self, *, idempotency_key: str, amount: int, currency: str, card: Card, reference: str
    ) -> ProviderResult:
        rule = test_cards().get(card.digits, {})

        def decide(_: Session) -> Decision:
            if amount <= 0:
                raise ProviderRefused("the amount must be positive")
            problems = card_errors(card, self._clock.now().date())
            if problems:
                code = problems[0].field.removeprefix("card.")
                return {"currency": currency, **_declined(f"invalid_{code}", problems[0].message)}
            if rule.get("outcome") == "declined":
                return {"currency": currency, **_declined(rule["code"], rule["message"])}
            return {"currency": currency, "status": "approved"}

        fresh: list[bool] = []
        result = self._once(
            idempotency_key,
            "authorise",
            None,
            amount,
            decide,
            card_last4=card.last4,
            reference=reference,
            fresh=fresh,
        )
        if fresh and rule.get("outcome") == "timeout":
            time.sleep(self._timeout_s)
            raise PaymentTimeout(rule["message"])
        return result

    def capture(
        self, *, idempotency_key: str, authorisation_ref: str, amount: int
    ) -> ProviderResult:
        def decide(session: Session) -> Decision:
            auth = self._parent(session, authorisation_ref, "authorise")
            done = self._children(session, auth.id)
            if done.get("void"):
                raise ProviderRefused(f"authorisation {auth.id} was voided")
            captured = done.get("capture", 0)
            if amount <= 0 or captured + amount > auth.amount:
                raise ProviderRefused(
                    f"cannot capture {amount}: {auth.amount - captured} of the authorisation left"
                )
            return _approved(auth)

        return self._once(idempotency_key, "capture", authorisation_ref, amount, decide)

    def void(self, *, idempotency_key: str, authorisation_ref: str) -> ProviderResult:
        def decide(session: Session) -> Decision:
            auth = self._parent(session, authorisation_ref, "authorise")
            if self._children(session, auth.id).get("capture"):
                raise ProviderRefused(f"authorisation {auth.id} was captured; refund it instead")
            return {**_approved(auth), "amount": auth.amount}

        return self._once(idempotency_key, "void", authorisation_ref, 0, decide)

    def refund(self, *, idempotency_key: str, capture_ref: str, amount: int) -> ProviderResult:
        def decide(session: Session) -> Decision:
            capture = self._parent(session, capture_ref, "capture")
            refunded = self._children(session, capture.id).get("refund", 0)
            if amount <= 0 or refunded + amount > capture.amount:
                raise ProviderRefused(
                    f"cannot refund {amount}: {capture.amount - refunded} of the capture left"
                )
            return _approved(capture)

        return self._once(idempotency_key, "refund", capture_ref, amount, decide)

    # --- the book ---

    def _once(
        self,
        key: str,
        operation: str,
        parent_id: str | None,
        amount: int,
        decide: Callable[[Session], Decision],
        *,
        card_last4: str = "",
        reference: str = "",
        fresh: list[bool] | None = None,
    ) -> ProviderResult:
        """Answer a call once per idempotency key: a repeat gets the first answer."""
        if not key or len(key) > 200:
            raise ProviderRefused("an idempotency key of 1-200 characters is required")
        with self._sessions() as session:
            first = self._by_key(session, key)
            if first is not None:
                return _replayed(first, operation, parent_id, amount)
            values = {"amount": amount, "card_last4": card_last4, **decide(session)}
            row = SandboxPaymentRow(
                id=new_id(operation[:4]),
                idempotency_key=key,
                operation=operation,
                parent_id=parent_id,
                reference=reference[:100],
                created_at=self._clock.now(),
                **values,
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # the same key at the same moment: the other call won
                session.rollback()
                first = self._by_key(session, key)
                if first is None:
                    raise
                return _replayed(first, operation, parent_id, amount)
            if fresh is not None:
                fresh.append(True)
            return _result(row)

    @staticmethod
    def _by_key(session: Session, key: str) -> SandboxPaymentRow | None:
        query = select(SandboxPaymentRow).where(SandboxPaymentRow.idempotency_key == key)
        return session.scalar(query)

    @staticmethod
    def _parent(session: Session, ref: str, operation: str) -> SandboxPaymentRow:
        row = session.get(SandboxPaymentRow, ref, with_for_update=True)
        if row is None or row.operation != operation or row.status != "approved":
            raise ProviderRefused(f"no approved {operation} {ref!r}")
        return row

    @staticmethod
    def _children(session: Session, parent_id: str) -> dict[str, int]:
        """What approved operations already hang off a parent: the amount captured or
        refunded, and for voids how many."""
        query = (
            select(
                SandboxPaymentRow.operation,
                func.sum(SandboxPaymentRow.amount),
                func.count(),
            )
            .where(SandboxPaymentRow.parent_id == parent_id, SandboxPaymentRow.status == "approved")
            .group_by(SandboxPaymentRow.operation)
        )
        return {
            operation: int(count if operation == "void" else total or 0)
            for operation, total, count in session.execute(query)
        }

    def operations(
        self, *, reference: str | None = None, card_last4: str | None = None
    ) -> list[ProviderResult]:
        """What the sandbox answered, oldest first: for a merchant reference (its
        authorisations), or for a card's last four digits (every operation on it)."""
        query = select(SandboxPaymentRow).order_by(
            SandboxPaymentRow.created_at, SandboxPaymentRow.id
        )
        if reference is not None:
            query = query.where(SandboxPaymentRow.reference == reference)
        if card_last4 is not None:
            query = query.where(SandboxPaymentRow.card_last4 == card_last4)
        with self._sessions() as session:
            return [_result(row) for row in session.scalars(query)]


def _approved(parent: SandboxPaymentRow) -> Decision:
    return {"status": "approved", "currency": parent.currency, "card_last4": parent.card_last4}


def _declined(code: str, message: str) -> Decision:
    return {"status": "declined", "decline_code": code, "message": message}


def _result(row: SandboxPaymentRow) -> ProviderResult:
    return ProviderResult(
        ref=row.id,
        operation=row.operation,
        status=row.status,
        amount=row.amount,
        currency=row.currency,
        card_last4=row.card_last4,
        decline_code=row.decline_code,
        message=row.message,
        parent_ref=row.parent_id,
    )


def _replayed(
    row: SandboxPaymentRow, operation: str, parent_id: str | None, amount: int
) -> ProviderResult:
    same = row.operation == operation and row.parent_id == parent_id
    if not same or (operation != "void" and row.amount != amount):
        raise ProviderRefused("this idempotency key was used for a different request")
    return _result(row)


# --- choosing the provider ---------------------------------------------------------------------

PROVIDERS: dict[str, Callable[[Settings, Clock], PaymentProvider]] = {
    "sandbox": lambda settings, clock: SandboxPaymentProvider(
        settings.sandbox_payments_url, clock, settings.sandbox_payment_timeout_s
    ),
}


def provider_for(settings: Settings, clock: Clock) -> PaymentProvider:
    """The provider the settings name; a real one registers itself in PROVIDERS."""
    make = PROVIDERS.get(settings.payment_provider)
    if make is None:
        raise RuntimeError(
            f"unknown payment provider {settings.payment_provider!r}; "
            f"one of {', '.join(PROVIDERS)} (CHUHAI_PAYMENT_PROVIDER)"
        )
    return make(settings, clock)
