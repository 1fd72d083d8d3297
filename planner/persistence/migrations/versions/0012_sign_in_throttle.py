"""sign-in throttle: consecutive failed sign-ins per source and per unknown user name

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

``sign_in_throttle`` holds, per ``kind`` ("source": a desk's host name or client address; "name":
a user name nobody has) and ``key``, the consecutive failures and the time before which attempts
are refused unchecked. An account's own count stays on ``app_user`` (``failed_logins``,
``locked_until``), which now hold a growing delay of minutes instead of a lock of up to 24 hours;
running locks are lifted (the count stays, so the next failure waits the capped delay).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import planner.persistence.dbtypes

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "sign_in_throttle",
        sa.Column("kind", text(length=16), nullable=False),
        sa.Column("key", text(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", planner.persistence.dbtypes.UTCDateTime(), nullable=True),
        sa.Column("last_failure_at", planner.persistence.dbtypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_sign_in_throttle")),
    )
    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_throttle_last_failure_at"), ["last_failure_at"], unique=False
        )
    # Old locks could last 24 hours; the new delays never exceed minutes (planner.services.users).
    op.execute("UPDATE app_user SET locked_until = NULL WHERE locked_until IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_throttle_last_failure_at"))
    op.drop_table("sign_in_throttle")
