"""Ids, the clock and the state-machine helper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chuhai.catalog.model import LISTING, State
from chuhai.core.clock import FixedClock
from chuhai.core.errors import InvalidTransition
from chuhai.core.ids import new_id


def test_ids_carry_their_type_and_sort_by_creation():
    first, second = new_id("prd"), new_id("prd")
    assert first.startswith("prd_") and len(first) == 30
    assert first != second


def test_the_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    clock.advance(timedelta(days=3))
    assert clock.now() == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))


def test_every_listing_state_is_reachable_and_rejection_is_possible_from_each_review():
    assert LISTING.states == {getattr(State, n) for n in dir(State) if n.isupper()}
    for state in (
        State.SUBMITTED,
        State.COMPLIANCE_REVIEW,
        State.IP_REVIEW,
        State.PRICE_NEGOTIATION,
        State.SAMPLE_QC,
    ):
        assert LISTING.transition(state, "reject").target == State.REJECTED


def test_an_action_not_allowed_now_names_the_current_state():
    with pytest.raises(InvalidTransition) as caught:
        LISTING.transition(State.LISTED, "submit")
    assert caught.value.extra == {"current_state": "listed", "action": "submit"}
    assert caught.value.detail == "cannot submit a product that is listed"
