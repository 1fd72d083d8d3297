"""Which plan is current: the newest ``PlanRun`` with status DRAFT (older runs are SUPERSEDED)."""

from __future__ import annotations

import sqlalchemy as sa

from planner.persistence.models import PlanRun
from planner.persistence.uow import UnitOfWork

DRAFT, SUPERSEDED = "DRAFT", "SUPERSEDED"


def current_draft_plan_id(uow: UnitOfWork) -> int | None:
    """Id of the current plan, or None before the first plan run."""
    return uow.session.execute(
        sa.select(PlanRun.id).where(PlanRun.status == DRAFT).order_by(PlanRun.id.desc()).limit(1)
    ).scalar_one_or_none()
