"""app lock and person anonymisation mark

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

``app_lock`` holds named lease locks (one plan run at a time, see ``planner.persistence.locks``);
``person.anonymised_at`` marks records whose personal data retention has replaced.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import planner.persistence.dbtypes

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_lock",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("acquired_at", planner.persistence.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", planner.persistence.dbtypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_lock")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymised_at", planner.persistence.dbtypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
    op.drop_table("app_lock")
