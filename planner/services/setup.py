"""Database set-up: migrate to the newest schema, load reference data, create the first admin."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from planner.persistence.context import AppContext
from planner.persistence.migrate import upgrade_to_head
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


def initialize(ctx: AppContext, *, admin: str | None, password: str | None) -> InitReport:
    """Create or migrate the database; with ``admin`` and an empty user table, add the first admin.

    Safe to run again: migrations are idempotent, reference rows are only added when missing.
    Several transactions (migrations, then reference data and the admin, each committed by its
    service), hence the ``AppContext``.
    """
    before, after = upgrade_to_head(ctx.engine)
    with ctx.uow() as uow:
        seeded = reference.seed_reference_data(uow, SYSTEM)
        created = False
        if admin is not None:
            created = users.bootstrap_admin(uow, username=admin, password=password or "")
    log.info("database at %s (was %s); reference %s; admin created: %s", after, before, seeded, created)
    return InitReport(before, after, seeded.airports_added, seeded.rules_added, created)
