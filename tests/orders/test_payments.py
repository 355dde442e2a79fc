"""The sandbox payment provider behaves like a real one: test cards by rule, captures within
the authorisation, refunds within the capture, one answer per idempotency key, across
provider instances (as across server processes)."""

from __future__ import annotations

from datetime import date

import pytest

from chuhai.core.clock import SystemClock
from chuhai.core.ids import new_id
from chuhai.orders.model import Card, luhn_ok
from chuhai.orders.payments import PaymentTimeout, ProviderRefused, SandboxPaymentProvider


def _card(number: str = "4242424242424242", **changes) -> Card:
    values = dict(number=number, expiry_month=1, expiry_year=date.today().year + 1, cvc="123")
    values.update(changes)
    return Card(**values)


@pytest.fixture
def sandbox(db, settings) -> SandboxPaymentProvider:
    return SandboxPaymentProvider(settings.sandbox_payments_url, SystemClock(), timeout_s=0.05)


def _authorise(sandbox, card=None, amount=5000, key=None):
    return sandbox.authorise(
        idempotency_key=key or new_id("k"),
        amount=amount,
        currency="EUR",
        card=card or _card(),
        reference="CH-TEST",
    )


def test_luhn():
    assert luhn_ok("4242424242424242") and luhn_ok("5555555555554444")
    assert not luhn_ok("4242424242424241") and not luhn_ok("42x2")


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4242424242424241", "invalid_number"),
    ],
)
def test_test_cards_are_declined_by_rule(sandbox, number, code):
    result = _authorise(sandbox, _card(number))
    assert (result.status, result.decline_code) == ("declined", code)


def test_an_expired_card_is_declined(sandbox):
    result = _authorise(sandbox, _card(expiry_year=2020))
    assert (result.status, result.decline_code) == ("declined", "invalid_expiry_year")


def test_the_timeout_card_holds_the_money_then_does_not_answer(sandbox):
    key = new_id("k")
    with pytest.raises(PaymentTimeout):
        _authorise(sandbox, _card("4000000000000119"), key=key)
    again = _authorise(sandbox, _card("4000000000000119"), key=key)  # the first answer
    assert again.approved
    assert sandbox.void(idempotency_key=new_id("k"), authorisation_ref=again.ref).approved


def test_captures_stay_within_the_authorisation(sandbox):
    auth = _authorise(sandbox, amount=5000)
    part = sandbox.capture(idempotency_key=new_id("k"), authorisation_ref=auth.ref, amount=3000)
    assert part.approved
    with pytest.raises(ProviderRefused, match="2000 of the authorisation left"):
        sandbox.capture(idempotency_key=new_id("k"), authorisation_ref=auth.ref, amount=2001)
    with pytest.raises(ProviderRefused, match="refund it instead"):
        sandbox.void(idempotency_key=new_id("k"), authorisation_ref=auth.ref)


def test_refunds_stay_within_the_capture(sandbox):
    auth = _authorise(sandbox, amount=5000)
    capture = sandbox.capture(idempotency_key=new_id("k"), authorisation_ref=auth.ref, amount=5000)
    sandbox.refund(idempotency_key=new_id("k"), capture_ref=capture.ref, amount=4000)
    with pytest.raises(ProviderRefused, match="1000 of the capture left"):
        sandbox.refund(idempotency_key=new_id("k"), capture_ref=capture.ref, amount=1001)


def test_a_voided_authorisation_cannot_be_captured(sandbox):
    auth = _authorise(sandbox)
    sandbox.void(idempotency_key=new_id("k"), authorisation_ref=auth.ref)
    with pytest.raises(ProviderRefused, match="voided"):
        sandbox.capture(idempotency_key=new_id("k"), authorisation_ref=auth.ref, amount=1)


def test_the_same_key_gets_the_first_answer_even_from_another_instance(sandbox, settings):
    key = new_id("k")
    first = _authorise(sandbox, key=key)
    other = SandboxPaymentProvider(settings.sandbox_payments_url, SystemClock())
    assert _authorise(other, key=key) == first
    key = new_id("k")
    captured = sandbox.capture(idempotency_key=key, authorisation_ref=first.ref, amount=5000)
    replay = other.capture(idempotency_key=key, authorisation_ref=first.ref, amount=5000)
    assert replay == captured
    with pytest.raises(ProviderRefused, match="different request"):
        other.capture(idempotency_key=key, authorisation_ref=first.ref, amount=1)
