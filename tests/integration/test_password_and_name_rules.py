"""The password and name rules where accounts are created or changed: one line naming the rule,
nothing changed, never the password; passwords stored before the rules keep working."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.persistence.context import AppContext
from planner.persistence.models import User
from planner.services import users
from tests.conftest import USER_PASSWORD, add_user, admin_actor


def _refused(ctx: AppContext, **kw: str) -> str:
    fields = {"username": "olivia", "role": "officer", "password": USER_PASSWORD} | kw
    with ctx.uow() as uow, pytest.raises(InvalidInput) as info:
        users.create_user(uow, admin_actor(), **fields)
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(User).where(User.username == fields["username"])).first() is None
    return str(info.value)


def test_new_accounts_need_a_strong_password_a_short_name_and_a_visible_display_name(ctx: AppContext) -> None:
    assert _refused(ctx, password="short-pass1") == "password: at least 12 characters"
    message = _refused(ctx, password="password1234")
    assert "common passwords" in message and "password1234" not in message
    assert "too easy to guess" in _refused(ctx, password="olivia123456")
    assert "2-63 characters" in _refused(ctx, username="o" * 64)
    assert _refused(ctx, display_name="Olivia \u202eTNEMPIUQE") == (
        "display name: U+202E RIGHT-TO-LEFT OVERRIDE is not allowed"
    )
    add_user(ctx, "o" * 63, Role.OFFICER)  # the longest PostgreSQL role name


def test_changed_display_names_and_passwords_follow_the_same_rules(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="U\\+200B ZERO WIDTH SPACE"):
        users.update_user(uow, admin_actor(), "olivia", display_name="Oli\u200bvia", expected_version=1)
    with ctx.uow() as uow, pytest.raises(InvalidInput, match="common passwords"):
        users.reset_password(uow, admin_actor(), "olivia", "qwertyuiop123")


def test_a_password_stored_before_the_rules_still_signs_in(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow() as uow:
        uow.session.execute(
            sa.update(User)
            .where(User.username == "olivia")
            .values(password_hash=users.PASSWORD_HASHER.hash("old8char"))
        )
        uow.commit()
    with ctx.uow() as uow:
        assert users.authenticate(uow, "olivia", "old8char", source="host desk").username == "olivia"
