"""First run of the window on a new SQLite file: schema, demo accounts and demo data."""

from __future__ import annotations

from planner.demo import generate as demo
from planner.persistence.context import AppContext
from planner.services import users
from planner.services.setup import initialize
from solver.callbacks import Progress

#: Accounts the first run of the window creates on a new demo database (documented in the README).
DEMO_ACCOUNTS = (("admin", "admin"), ("supervisor", "supervisor"), ("officer", "officer"))
DEMO_PASSWORD = "charter-demo"


def initialize_demo(
    ctx: AppContext,
    *,
    people: int = 3000,
    flights: int = 60,
    seed: int = 1,
    progress: Progress | None = None,
) -> list[str]:
    """First run: create the schema, demo accounts (password ``DEMO_PASSWORD``) and demo data.

    Only for a database without a schema; returns the account names created."""
    initialize(ctx, admin="admin", password=DEMO_PASSWORD)
    with ctx.uow() as uow:
        admin = users.authenticate(uow, "admin", DEMO_PASSWORD)
    with ctx.uow() as uow:
        for username, role in DEMO_ACCOUNTS[1:]:
            users.create_user(uow, admin, username=username, role=role, password=DEMO_PASSWORD)
        demo.generate_demo(uow, admin, people=people, flights=flights, seed=seed, progress=progress)
    return [name for name, _ in DEMO_ACCOUNTS]
