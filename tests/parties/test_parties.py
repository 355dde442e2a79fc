"""Suppliers, users, tokens and console sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chuhai.core.auth import SYSTEM
from chuhai.core.clock import FixedClock, SystemClock
from chuhai.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from chuhai.parties import service
from chuhai.parties.model import credit_code_error

from conftest import PASSWORD, credit_code, supplier_profile


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("91330782MA2ABCDE1", "must be 18 characters"),
        ("91330782MA2ABCDE1" + "X", "check character does not match (GB 32100-2015)"),
    ],
)
def test_a_bad_social_credit_code_says_why(code, problem):
    assert credit_code_error(code) == problem


def test_a_real_structure_with_the_right_check_character_is_valid():
    assert credit_code_error(credit_code(5)) is None
    assert credit_code_error("91110000600037341L") is None


def test_onboarding_reports_every_bad_field_at_once(unit, world):
    profile = supplier_profile(
        "NEW-1", 9, contact_email="nope", bank_account_number="12ab", credit_code="123"
    )
    with unit(world["merchandiser"]) as ctx, pytest.raises(ValidationFailed) as caught:
        service.onboard_supplier(ctx, profile)
    assert [e.field for e in caught.value.errors] == [
        "credit_code",
        "contact_email",
        "bank_account_number",
    ]


def test_a_duplicate_credit_code_is_a_conflict(unit, world):
    with unit(world["merchandiser"]) as ctx, pytest.raises(Conflict):
        service.onboard_supplier(ctx, supplier_profile("OTHER", 1))


def test_changing_bank_details_sends_the_supplier_back_to_verification(unit, world):
    with unit(world["supplier_a"]) as ctx:
        row = service.update_supplier(
            ctx, world.supplier_a, {"bank_account_number": "6222020000000001"}
        )
    assert row.status == "pending"
    with unit(world["supplier_a"]) as ctx:
        row = service.update_supplier(ctx, world.supplier_a, {"contact_name": "赵敏"})
    assert row.status == "pending" and row.contact_name == "赵敏"


def test_a_supplier_user_cannot_see_or_verify_another_supplier(unit, world):
    with unit(world["supplier_a"]) as ctx, pytest.raises(NotFound):
        service.visible_supplier(ctx, world.supplier_b)
    with unit(world["supplier_a"]) as ctx, pytest.raises(Forbidden):
        service.verify_supplier(ctx, world.supplier_a, approve=True)


def test_suspending_needs_a_reason(unit, world):
    with unit(world["compliance"]) as ctx, pytest.raises(ValidationFailed) as caught:
        service.verify_supplier(ctx, world.supplier_a, approve=False)
    assert caught.value.errors[0].field == "note"


def test_only_an_admin_creates_users_and_roles_are_checked(unit, world):
    with unit(world["merchandiser"]) as ctx, pytest.raises(Forbidden):
        service.create_user(ctx, username="x-user", password=PASSWORD, roles=["finance"])
    with unit(SYSTEM) as ctx, pytest.raises(ValidationFailed) as caught:
        service.create_user(ctx, username="x-user", password=PASSWORD, roles=["wizard"])
    assert caught.value.errors[0].message == "unknown role 'wizard'"
    with unit(SYSTEM) as ctx, pytest.raises(ValidationFailed):
        service.create_user(
            ctx,
            username="x-user",
            password=PASSWORD,
            roles=["supplier", "finance"],
            supplier_code="SUP-A",
        )
    with unit(SYSTEM) as ctx, pytest.raises(Conflict):
        service.create_user(ctx, username="admin", password=PASSWORD, roles=["finance"])


def test_passwords_are_stored_as_argon2_hashes(unit, world):
    from chuhai.parties.tables import UserRow

    with unit() as ctx:
        user = ctx.session.get(UserRow, world["finance"].user_id)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_a_console_session_ends_at_its_expiry(db, world):
    clock = FixedClock(SystemClock().now())
    with db.unit_of_work() as uow:
        user = service.authenticate(uow.session, "finance", PASSWORD)
        secret = service.start_web_session(uow.session, clock, user, hours=12)
        uow.commit()
    with db.unit_of_work() as uow:
        actor, csrf = service.web_session(uow.session, clock, secret)
    assert actor.username == "finance" and csrf.startswith("csrf_")
    clock.advance(timedelta(hours=12, seconds=1))
    with db.unit_of_work() as uow, pytest.raises(Unauthorized):
        service.web_session(uow.session, clock, secret)
