"""The one transaction rule: a service commits its own write; a refusal rolls back, audits, commits
only the audit event; ``run_in_transaction`` still retries whole transactions."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import PermissionDenied
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, Facility, User
from planner.persistence.uow import UnitOfWork, run_in_transaction
from planner.services import users
from planner.services.auth import authorize
from tests.conftest import add_user, admin_actor


def _locked() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))


def _facility_codes(ctx: AppContext) -> list[str]:
    with ctx.uow(write=False) as uow:
        return list(uow.session.execute(sa.select(Facility.code).order_by(Facility.code)).scalars())


def _actions(ctx: AppContext) -> list[str]:
    with ctx.uow(write=False) as uow:
        return list(uow.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_a_refusal_by_authorize_does_not_commit_what_was_pending(ctx: AppContext) -> None:
    """Regression: ``authorize`` used to commit its audit event without rolling back first, so a
    write already pending in the unit of work was committed with the refusal."""
    officer = add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow() as uow:
        uow.session.add(Facility(code="PENDING", name="Written before the check", city="Nowhere"))
        uow.flush()
        with pytest.raises(PermissionDenied, match=r"olivia \(officer\) may not user\.add"):
            authorize(uow, officer, Role.ADMIN, "user.add")
    assert _facility_codes(ctx) == []
    assert _actions(ctx)[-1] == "permission.denied"
    with ctx.uow(write=False) as uow:
        assert audit.verify_chain(uow).ok


def test_refuse_rolls_back_runs_also_audits_commits_and_raises(ctx: AppContext) -> None:
    with ctx.uow() as uow:
        uow.session.add(Facility(code="GONE", name="Rolled back", city="Nowhere"))
        uow.flush()

        def also(inner: UnitOfWork) -> None:
            inner.session.add(Facility(code="KEPT", name="Part of the refusal", city="Nowhere"))

        with pytest.raises(ValueError, match="no"):
            audit.refuse(
                uow, audit.AuditEntry("admin", "thing.refused", "thing", "1"), ValueError("no"), also=also
            )
    assert _facility_codes(ctx) == ["KEPT"]
    assert _actions(ctx)[-1] == "thing.refused"


def test_a_writing_service_commits_and_the_caller_does_not(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    with ctx.uow() as uow:
        row = users.get_account(uow, admin_actor(), "olivia")
        users.update_user(
            uow, admin_actor(), "olivia", display_name="Olivia O.", expected_version=row.version
        )
        # no uow.commit() here: leaving the block rolls back nothing the service wrote
    with ctx.uow(write=False) as uow:
        display = uow.session.execute(
            sa.select(User.display_name).where(User.username == "olivia")
        ).scalar_one()
    assert display == "Olivia O."


def test_a_failed_login_is_counted_although_the_refusal_rolls_back(ctx: AppContext) -> None:
    add_user(ctx, "olivia", Role.OFFICER)
    for expected in (1, 2):
        with ctx.uow() as uow, pytest.raises(Exception, match="wrong user name or password"):
            users.authenticate(uow, "olivia", "not the password")
        with ctx.uow(write=False) as uow:
            failed = uow.session.execute(
                sa.select(User.failed_logins).where(User.username == "olivia")
            ).scalar_one()
        assert failed == expected
    assert _actions(ctx)[-2:] == ["login.failure", "login.failure"]


def test_run_in_transaction_around_a_committing_service(ctx: AppContext) -> None:
    """The final commit is a no-op after the service committed; a retry starts from a clean state."""
    add_user(ctx, "olivia", Role.OFFICER)
    calls: list[int] = []

    def work(uow: UnitOfWork) -> str:
        calls.append(1)
        uow.session.add(Facility(code=f"TRY{len(calls)}", name="Attempt", city="Nowhere"))
        uow.flush()
        if len(calls) < 2:
            raise _locked()  # before any commit: retried from a rolled-back state
        row = users.get_account(uow, admin_actor(), "olivia")
        users.update_user(uow, admin_actor(), "olivia", display_name="Retried", expected_version=row.version)
        return "done"

    assert run_in_transaction(ctx.session_factory, work, sleep=lambda _s: None) == "done"
    assert len(calls) == 2
    assert _facility_codes(ctx) == ["TRY2"]  # the first attempt left nothing behind


def test_run_in_transaction_does_not_repeat_work_that_committed(ctx: AppContext) -> None:
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.add(Facility(code=f"ONCE{len(calls)}", name="Committed", city="Nowhere"))
        uow.commit()
        raise _locked()  # after a commit: retrying would write a second time

    with pytest.raises(sa.exc.OperationalError, match="database is locked"):
        run_in_transaction(ctx.session_factory, work, sleep=lambda _s: None)
    assert calls == [1]
    assert _facility_codes(ctx) == ["ONCE1"]
