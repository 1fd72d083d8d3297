"""Bounded retries of serialization failures, deadlocks and "database is locked"."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import Conflict
from planner.persistence.context import AppContext
from planner.persistence.models import User
from planner.persistence.uow import UnitOfWork, is_retryable, run_in_transaction
from tests.conftest import add_user


def _locked() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))


def _rename(uow: UnitOfWork, username: str, display: str) -> None:
    uow.session.execute(sa.update(User).where(User.username == username).values(display_name=display))


def _display(ctx: AppContext, username: str) -> str:
    with ctx.uow(write=False) as uow:
        return uow.session.execute(sa.select(User.display_name).where(User.username == username)).scalar_one()


def test_retryable_errors_are_recognised() -> None:
    assert is_retryable(_locked())
    assert not is_retryable(sa.exc.OperationalError("x", {}, sqlite3.OperationalError("no such table: t")))
    assert not is_retryable(ValueError("database is locked"))


def test_forced_conflicts_are_retried_and_nothing_partial_is_kept(ctx: AppContext) -> None:
    calls: list[int] = []
    delays: list[float] = []

    def work(uow: UnitOfWork) -> str:
        calls.append(1)
        _rename(uow, "admin", f"attempt {len(calls)}")
        uow.flush()
        if len(calls) < 3:
            raise _locked()  # after a write: the retry must start from a rolled-back state
        return "done"

    assert run_in_transaction(ctx.session_factory, work, sleep=delays.append) == "done"
    assert len(calls) == 3 and len(delays) == 2 and all(0 <= d <= 2.0 for d in delays)
    assert _display(ctx, "admin") == "attempt 3"


def test_gives_up_with_a_clean_conflict_after_the_bound(ctx: AppContext) -> None:
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        _rename(uow, "admin", "never")
        raise _locked()

    with pytest.raises(Conflict, match="gave up after 4 attempts: database is locked"):
        run_in_transaction(ctx.session_factory, work, attempts=4, sleep=lambda _s: None)
    assert len(calls) == 4
    assert _display(ctx, "admin") != "never"


def test_other_errors_are_not_retried(ctx: AppContext) -> None:
    calls: list[int] = []

    def work(uow: UnitOfWork) -> None:
        calls.append(1)
        uow.session.execute(sa.text("SELECT * FROM no_such_table"))

    with pytest.raises(sa.exc.DBAPIError, match="no_such_table"):
        run_in_transaction(ctx.session_factory, work, sleep=lambda _s: None)
    assert calls == [1]


@pytest.mark.postgres
def test_real_deadlock_on_postgres_is_retried(pg_ctx: AppContext) -> None:
    """Two transactions update two rows in opposite order: PostgreSQL kills one with a deadlock
    (40P01); the retry succeeds and both changes are there."""
    add_user(pg_ctx, "olivia", Role.OFFICER)
    both_hold_first_row = threading.Barrier(2, timeout=20)
    attempts = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def writer(name: str, first: str, second: str) -> None:
        def work(uow: UnitOfWork) -> None:
            attempts[name] += 1
            _rename(uow, first, f"{name} first")
            uow.flush()
            if attempts[name] == 1:
                both_hold_first_row.wait()
            _rename(uow, second, f"{name} second")
            uow.flush()

        try:
            run_in_transaction(pg_ctx.session_factory, work, base_delay=0.2)
        except BaseException as exc:  # pragma: no cover - asserted below
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=("a", "admin", "olivia")),
        threading.Thread(target=writer, args=("b", "olivia", "admin")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(attempts.values()) == [1, 2]  # exactly one transaction was chosen as victim
    loser = "a" if attempts["a"] == 2 else "b"
    first, second = ("admin", "olivia") if loser == "a" else ("olivia", "admin")
    assert _display(pg_ctx, first) == f"{loser} first"
    assert _display(pg_ctx, second) == f"{loser} second"  # the retried run committed last
