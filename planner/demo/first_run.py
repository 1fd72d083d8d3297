"""First run of the window on a new SQLite file: schema, demo accounts and demo data; and, on every
start, which demo accounts the sign-in dialog may name (``demo_accounts``)."""

from __future__ import annotations

import sqlalchemy as sa
from argon2.exceptions import InvalidHashError, VerificationError

from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, User
from planner.persistence.uow import UnitOfWork
from planner.services import users
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
    """First run: create the schema, demo accounts (password ``DEMO_PASSWORD``) and demo data
    (with its history of requests to receiving states, so the Requests screen, the funnel and the
    lead times show something from the start).

    Only for a database without a schema; returns the account names created."""
    from planner.demo import generate as demo  # the generator and setup load only on a first run
    from planner.services.setup import initialize

    initialize(ctx, admin="admin", password=DEMO_PASSWORD)
    with ctx.uow() as uow:
        admin = users.authenticate(uow, "admin", DEMO_PASSWORD)
    with ctx.uow() as uow:
        for username, role in DEMO_ACCOUNTS[1:]:
            users.create_user(uow, admin, username=username, role=role, password=DEMO_PASSWORD)
        demo.generate_demo(uow, admin, people=people, flights=flights, seed=seed, progress=progress)
    return [name for name, _ in DEMO_ACCOUNTS]


def demo_accounts(uow: UnitOfWork) -> list[str]:
    """The demo accounts (``DEMO_ACCOUNTS`` order) of a demo database — one the demo generator
    filled (its ``demo.generate`` event) — that are active and still take ``DEMO_PASSWORD``; empty
    for any other database. Read-only; checks at most three password hashes (tens of ms each)."""
    is_demo = uow.session.execute(
        sa.select(AuditEvent.id).where(AuditEvent.action == "demo.generate").limit(1)
    ).first()
    if is_demo is None:
        return []
    names = [name for name, _ in DEMO_ACCOUNTS]
    rows = uow.session.execute(
        sa.select(User.username, User.password_hash).where(User.username.in_(names), User.active)
    )
    hashes = {username: password_hash for username, password_hash in rows}
    return [name for name in names if name in hashes and _takes_demo_password(hashes[name])]


def _takes_demo_password(password_hash: str) -> bool:
    try:
        return users.PASSWORD_HASHER.verify(password_hash, DEMO_PASSWORD)
    except (VerificationError, InvalidHashError):
        return False
