"""plan exclusions and airport coordinates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

``plan_exclusion`` keeps, per plan run, why each person was not placed. Airports gain latitude and
longitude so flight hours (consolidation cost) can be estimated from great-circle distances.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_run_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail_json", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_plan_exclusion_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["plan_run_id"], ["plan_run.id"], name=op.f("fk_plan_exclusion_plan_run_id_plan_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_exclusion")),
        sa.UniqueConstraint("plan_run_id", "person_id", name=op.f("uq_plan_exclusion_plan_run_id_person_id")),
    )
    with op.batch_alter_table("plan_exclusion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_exclusion_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_exclusion_plan_run_id"), ["plan_run_id"], unique=False)
    with op.batch_alter_table("airport", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("airport", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
    with op.batch_alter_table("plan_exclusion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_exclusion_plan_run_id"))
        batch_op.drop_index(batch_op.f("ix_plan_exclusion_person_id"))
    op.drop_table("plan_exclusion")
