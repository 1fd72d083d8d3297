"""One plan at a time: the plan lease lock on SQLite and PostgreSQL, with real concurrent runs."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import Conflict
from planner.persistence.context import AppContext
from planner.persistence.locks import PLAN_LOCK, LeaseLock, lock_holder
from planner.persistence.models import AppLock, PlanRun, utc_now
from planner.services import planning
from tests.conftest import add_user
from tests.integration.reliability.conftest import fill_demo


def _settings(ctx: AppContext):
    return ctx.settings  # the solver's time limit: run_plan(time_limit=5.0), the office's default is 30 s


def test_second_plan_run_is_told_who_is_planning(ctx: AppContext) -> None:
    fill_demo(ctx)
    olivia = add_user(ctx, "olivia", Role.OFFICER)
    oscar = add_user(ctx, "oscar", Role.OFFICER)
    olivia_has_lock, oscar_done = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def progress(_fraction: float, _message: str) -> None:
        if not olivia_has_lock.is_set():
            olivia_has_lock.set()
            oscar_done.wait(30)

    def olivia_plans() -> None:
        try:
            results["olivia"] = planning.run_plan(
                ctx, olivia, _settings(ctx), time_limit=5.0, progress=progress
            )
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results["olivia"] = exc

    thread = threading.Thread(target=olivia_plans)
    thread.start()
    assert olivia_has_lock.wait(30)
    try:
        with pytest.raises(Conflict, match=r"olivia has been planning since \d{4}-\d\d-\d\d \d\d:\d\d"):
            planning.run_plan(ctx, oscar, _settings(ctx), time_limit=5.0)
    finally:
        oscar_done.set()
        thread.join(60)
    assert isinstance(results["olivia"], planning.PlanSummary)
    assert lock_holder(ctx.session_factory, PLAN_LOCK) is None  # released
    # and now oscar may plan
    planning.run_plan(ctx, oscar, _settings(ctx), time_limit=5.0)
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(PlanRun)).scalar_one() == 2


def test_simultaneous_runs_exactly_one_plans(ctx: AppContext) -> None:
    fill_demo(ctx)
    officers = [add_user(ctx, name, Role.OFFICER) for name in ("olivia", "oscar", "omar")]
    start = threading.Barrier(len(officers))
    outcomes: dict[str, object] = {}

    def slow_progress(_fraction: float, _message: str) -> None:
        threading.Event().wait(0.05)

    def run(actor) -> None:
        start.wait(30)
        try:
            outcomes[actor.username] = planning.run_plan(
                ctx, actor, _settings(ctx), time_limit=5.0, progress=slow_progress
            )
        except Exception as exc:
            outcomes[actor.username] = exc

    threads = [threading.Thread(target=run, args=(a,)) for a in officers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    winners = [n for n, o in outcomes.items() if isinstance(o, planning.PlanSummary)]
    losers = {n: o for n, o in outcomes.items() if n not in winners}
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, Conflict) for o in losers.values()), outcomes
    for exc in losers.values():
        assert f"{winners[0]} has been planning since" in str(exc)
    with ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(sa.func.count()).select_from(PlanRun)).scalar_one() == 1


def test_lock_released_when_the_run_fails(ctx: AppContext) -> None:
    olivia = add_user(ctx, "olivia", Role.OFFICER)

    def boom(_f: float, _m: str) -> None:
        raise RuntimeError("solver crashed")

    with pytest.raises(RuntimeError):
        planning.run_plan(ctx, olivia, _settings(ctx), time_limit=5.0, progress=boom)
    assert lock_holder(ctx.session_factory, PLAN_LOCK) is None
    with ctx.uow(write=False) as uow:
        assert uow.session.get(AppLock, PLAN_LOCK) is None


def test_expired_lease_of_a_crashed_holder_is_taken_over(ctx: AppContext) -> None:
    past = utc_now() - timedelta(minutes=1)
    with ctx.uow() as uow:
        uow.session.add(
            AppLock(name=PLAN_LOCK, holder="crashed", token="t", acquired_at=past, expires_at=past)
        )
        uow.commit()
    with LeaseLock(ctx.session_factory, PLAN_LOCK, "olivia", lease_seconds=60):
        info = lock_holder(ctx.session_factory, PLAN_LOCK)
        assert info is not None and info.holder == "olivia"
    assert lock_holder(ctx.session_factory, PLAN_LOCK) is None


def test_live_lease_refuses_and_names_holder(ctx: AppContext) -> None:
    """SQLite has no advisory lock: a live lease row is respected until it expires."""
    with (
        LeaseLock(ctx.session_factory, "import", "ada", lease_seconds=60),
        pytest.raises(Conflict, match="import is held by ada since"),
    ):
        LeaseLock(ctx.session_factory, "import", "bob", lease_seconds=60).acquire()


@pytest.mark.postgres
def test_postgres_lease_of_a_dead_holder_is_taken_over_at_once(pg_ctx: AppContext) -> None:
    """The advisory lock died with its connection, so a live-looking lease row is stale."""
    now = utc_now()
    with pg_ctx.uow() as uow:
        uow.session.add(
            AppLock(
                name=PLAN_LOCK,
                holder="crashed",
                token="t",
                acquired_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
        uow.commit()
    with LeaseLock(pg_ctx.session_factory, PLAN_LOCK, "olivia", lease_seconds=60):
        assert lock_holder(pg_ctx.session_factory, PLAN_LOCK).holder == "olivia"
        with pytest.raises(Conflict, match="olivia has been planning"):
            LeaseLock(pg_ctx.session_factory, PLAN_LOCK, "oscar", lease_seconds=60).acquire()
