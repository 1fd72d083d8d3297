"""Database set-up: migrate to the newest schema, re-create missing protective triggers (SQLite),
load reference data, create the first admin."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from planner.persistence import audit, pg_security
from planner.persistence.context import AppContext
from planner.persistence.migrate import upgrade_to_head
from planner.persistence.schema_objects import ensure_protective_triggers
from planner.services import reference, users
from planner.services.auth import SYSTEM

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InitReport:
    revision_before: str | None
    revision_after: str
    airports_added: int
    rules_added: int
    admin_created: bool
    #: Protective triggers that were missing (or changed) and were re-created (SQLite).
    triggers_recreated: tuple[str, ...] = ()


def initialize(ctx: AppContext, *, admin: str | None, password: str | None) -> InitReport:
    """Create or migrate the database; with ``admin`` and an empty user table, add the first admin.

    Safe to run again: migrations are idempotent, reference rows are only added when missing.
    Several transactions (migrations, then reference data and the admin, each committed by its
    service), hence the ``AppContext``. On PostgreSQL, after the migrations, ``pg_security.apply``
    (re)sets the owner, group roles, privileges, user functions and audit triggers every time
    (needs a superuser connection; ``PlannerError`` in one line otherwise); the first admin then
    gets a login role.
    """
    if ctx.engine.dialect.name == "postgresql":  # before migrating: say so at once
        with ctx.engine.connect() as connection:
            pg_security.require_rights(connection)
    before, after = upgrade_to_head(ctx.engine)
    if ctx.engine.dialect.name == "postgresql":
        with ctx.engine.begin() as connection:
            pg_security.apply(connection)
    recreated = tuple(ensure_protective_triggers(ctx.engine)) if before is not None else ()
    if recreated:
        log.warning("re-created the protective triggers %s", ", ".join(recreated))
        with ctx.uow() as uow:
            audit.record(
                uow,
                audit.AuditEntry(
                    SYSTEM.username,
                    "audit.triggers_recreated",
                    "database",
                    "triggers",
                    {"triggers": list(recreated)},
                ),
            )
            uow.commit()
    with ctx.uow() as uow:
        seeded = reference.seed_reference_data(uow, SYSTEM)
        created = False
        if admin is not None:
            created = users.bootstrap_admin(uow, username=admin, password=password or "")
    log.info("database at %s (was %s); reference %s; admin created: %s", after, before, seeded, created)
    return InitReport(before, after, seeded.airports_added, seeded.rules_added, created, recreated)
