"""office settings in the database

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

``office_settings`` holds the office's safety settings in one row (``id`` 1): escort officers per
returnee by risk level, the solver time limit, the reserve fraction, the departure margin and the
four-eyes rule for signing. They used to come from each desk's environment (``CHARTER_ESCORT_*``
…); now an admin sets them once for every desk (``settings set``), audited. Seeded with the
defaults the program had.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import planner.persistence.dbtypes

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "office_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escort_low", sa.Float(), nullable=False),
        sa.Column("escort_medium", sa.Float(), nullable=False),
        sa.Column("escort_high", sa.Float(), nullable=False),
        sa.Column("time_limit", sa.Float(), nullable=False),
        sa.Column("reserve_fraction", sa.Float(), nullable=False),
        sa.Column("depart_margin_minutes", sa.Integer(), nullable=False),
        sa.Column("four_eyes_sign", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", planner.persistence.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_office_settings_single_row")),
        sa.CheckConstraint(
            "escort_low > 0 AND escort_medium >= escort_low AND escort_high >= escort_medium",
            name=op.f("ck_office_settings_escort_load"),
        ),
        sa.CheckConstraint(
            "reserve_fraction >= 0 AND reserve_fraction < 1", name=op.f("ck_office_settings_reserve_fraction")
        ),
        sa.CheckConstraint(
            "time_limit > 0 AND depart_margin_minutes > 0", name=op.f("ck_office_settings_limits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_settings")),
    )
    op.bulk_insert(
        table,
        [
            {
                "id": 1,
                "escort_low": 1.0,
                "escort_medium": 1.5,
                "escort_high": 2.0,
                "time_limit": 30.0,
                "reserve_fraction": 0.10,
                "depart_margin_minutes": 60,
                "four_eyes_sign": True,
                "version": 1,
                "updated_at": datetime.now(UTC),
                "updated_by": "system",
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("office_settings")
