"""Imports never overwrite a change they did not see.

An import reads the stored records, checks the file against them, then writes. Nobody may change
a record in between: on SQLite the import holds the write lock from its first read; on
PostgreSQL it locks the tables it writes against other writers (readers go on). Below that, each
update is guarded by the version it read (``planner.persistence.bulk.bulk_update(guard_version=True)``): a
stale one makes the whole import a clean ``Conflict`` with nothing written.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from planner.domain.errors import Conflict
from planner.persistence.bulk import bulk_update
from planner.persistence.context import AppContext
from planner.persistence.models import Facility, Person
from planner.services.auth import Actor
from planner.services.imports import import_file
from tests.integration.imports import synth
from tests.integration.imports.conftest import do_import, snapshot

PEOPLE = 30


def _roster(priority_shift: int) -> bytes:
    rows = synth.roster_rows(PEOPLE)
    for row in rows:
        row["priority"] = str(1 + (int(row["priority"]) - 1 + priority_shift) % 5)
    return synth.to_csv(synth.ROSTER_HEADER, rows).encode()


@pytest.fixture
def rostered(ctx: AppContext, admin: Actor) -> AppContext:
    do_import(ctx, admin, "facilities", synth.facilities_csv().encode())
    do_import(ctx, admin, "roster", _roster(0))
    return ctx


def _bump(ctx: AppContext, case_number: str) -> None:
    """Another officer's committed change to one person (a new version)."""
    with ctx.uow() as uow:
        uow.session.execute(
            sa.update(Person)
            .where(Person.case_number == case_number)
            .values(version=Person.version + 1, risk_level="HIGH")
        )
        uow.commit()


def test_guarded_update_refuses_a_stale_version(ctx: AppContext) -> None:
    with ctx.uow() as uow:
        facility = uow.session.execute(sa.select(Facility)).scalars().first()
        if facility is None:
            uow.session.add(Facility(code="F1", name="One", city="C", version=1))
            uow.session.flush()
            facility = uow.session.execute(sa.select(Facility)).scalars().one()
        fid, version = facility.id, facility.version
        uow.commit()
    with ctx.uow() as uow:
        stale = [{"id": fid, "name": "Renamed", "version": version}]  # "new" version = the stored one
        with pytest.raises(Conflict, match="changed by someone else"):
            bulk_update(uow.session, Facility.__table__, stale, guard_version=True)
    with ctx.uow() as uow:
        fresh = [{"id": fid, "name": "Renamed", "version": version + 1}]
        assert bulk_update(uow.session, Facility.__table__, fresh, guard_version=True) == 1
        uow.commit()
    with ctx.uow(write=False) as uow:
        assert uow.session.get(Facility, fid).name == "Renamed"


@pytest.mark.postgres
def test_postgres_import_makes_other_writers_wait(pg_ctx: AppContext, admin: Actor) -> None:
    do_import(pg_ctx, admin, "facilities", synth.facilities_csv().encode())
    do_import(pg_ctx, admin, "roster", _roster(0))
    victim = synth.roster_rows(PEOPLE)[7]["case_number"]
    refused: list[str] = []
    read: list[str] = []

    def meanwhile() -> bool:
        """``should_stop``: asked after the import has read everything; another session tries."""
        if not refused:
            with pg_ctx.engine.connect() as conn:
                read.append(
                    conn.execute(sa.select(Person.risk_level).where(Person.case_number == victim)).scalar()
                )
                conn.exec_driver_sql("SET lock_timeout = '200ms'")
                try:
                    conn.execute(
                        sa.update(Person).where(Person.case_number == victim).values(risk_level="HIGH")
                    )
                except sa.exc.OperationalError as exc:
                    refused.append(str(exc.orig))
                conn.rollback()
        return False

    report = do_import(pg_ctx, admin, "roster", _roster(1), should_stop=meanwhile)
    assert read, "readers are not blocked"
    assert refused and "lock timeout" in refused[0]
    assert report.updated == PEOPLE


@pytest.mark.postgres
def test_stale_read_by_an_import_is_refused_whole(pg_ctx: AppContext, admin: Actor) -> None:
    """Belt and braces below the table lock: an update guarded by a version that is no longer
    stored fails the whole import (here the version is changed inside the import's own
    transaction, where the lock does not apply)."""
    do_import(pg_ctx, admin, "facilities", synth.facilities_csv().encode())
    do_import(pg_ctx, admin, "roster", _roster(0))
    victim = synth.roster_rows(PEOPLE)[7]["case_number"]
    before = snapshot(pg_ctx)
    with pg_ctx.uow() as uow:

        def meanwhile() -> bool:
            uow.session.execute(
                sa.update(Person).where(Person.case_number == victim).values(version=Person.version + 1)
            )
            return False

        with pytest.raises(Conflict, match="1 of 30 person records were changed"):
            import_file(uow, admin, "roster", _roster(1), name="roster.csv", should_stop=meanwhile)
    assert snapshot(pg_ctx) == before


def test_sqlite_import_holds_the_write_lock_from_its_first_read(sqlite_ctx: AppContext, admin: Actor) -> None:
    do_import(sqlite_ctx, admin, "facilities", synth.facilities_csv().encode())
    do_import(sqlite_ctx, admin, "roster", _roster(0))
    victim = synth.roster_rows(PEOPLE)[7]["case_number"]
    refused: list[str] = []

    def meanwhile() -> bool:
        if not refused:
            engine = sa.create_engine(sqlite_ctx.engine.url, connect_args={"timeout": 0.2})
            try:
                with engine.begin() as conn:
                    conn.execute(
                        sa.update(Person).where(Person.case_number == victim).values(risk_level="HIGH")
                    )
            except sa.exc.OperationalError as exc:
                refused.append(str(exc.orig))
            finally:
                engine.dispose()
        return False

    report = do_import(sqlite_ctx, admin, "roster", _roster(1), should_stop=meanwhile)
    assert refused and "locked" in refused[0]
    assert report.updated == PEOPLE
