"""Database set-up: migrate to the newest schema, load reference data, create the first admin."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from planner.auth import SYSTEM
from planner.context import AppContext
from planner.migrate import upgrade_to_head
from planner.services import reference, users

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
    """
    before, after = upgrade_to_head(ctx.engine)
    with ctx.uow() as uow:
        seeded = reference.seed_reference_data(uow, SYSTEM)
        created = False
        if admin is not None:
            created = users.bootstrap_admin(uow, username=admin, password=password or "")
        uow.commit()
    log.info("database at %s (was %s); reference %s; admin created: %s", after, before, seeded, created)
    return InitReport(before, after, seeded.airports_added, seeded.rules_added, created)


#: Accounts the first run of the window creates on a new demo database (documented in the README).
DEMO_ACCOUNTS = (("admin", "admin"), ("supervisor", "supervisor"), ("officer", "officer"))
DEMO_PASSWORD = "charter-demo"


def initialize_demo(
    ctx: AppContext,
    *,
    people: int = 3000,
    flights: int = 60,
    seed: int = 1,
    progress: Callable[[float, str], None] | None = None,
) -> list[str]:
    """First run: create the schema, demo accounts (password ``DEMO_PASSWORD``) and demo data.

    Only for a database without a schema; returns the account names created."""
    from planner.services import demo

    initialize(ctx, admin="admin", password=DEMO_PASSWORD)
    with ctx.uow() as uow:
        admin = users.authenticate(uow, "admin", DEMO_PASSWORD)
    with ctx.uow() as uow:
        for username, role in DEMO_ACCOUNTS[1:]:
            users.create_user(uow, admin, username=username, role=role, password=DEMO_PASSWORD)
        demo.generate_demo(uow, admin, people=people, flights=flights, seed=seed, progress=progress)
        uow.commit()
    return [name for name, _ in DEMO_ACCOUNTS]
