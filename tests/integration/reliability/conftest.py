"""Helpers for the reliability tests: small demo databases and officers."""

from __future__ import annotations

from planner.demo import generate as demo
from planner.persistence.context import AppContext
from planner.services.auth import Actor
from tests.conftest import admin_actor


def fill_demo(ctx: AppContext, *, people: int = 120, flights: int = 4, seed: int = 3) -> None:
    """Synthetic people and flights (committed)."""
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin_actor(), people=people, flights=flights, seed=seed)


def admin() -> Actor:
    return admin_actor()
