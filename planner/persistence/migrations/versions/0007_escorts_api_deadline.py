"""escorts and API deadline: the flight's escort list, per-country API data deadline

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

``flight_escort`` holds each flight's escort list (escort officers, crew, medical staff: the people
on the PAXLST crew list). ``country_rule`` gains ``api_deadline_minutes``: how long before arrival
the receiving state must have the API data. Existing rules get 1440 (24 h), the conservative
default; the shipped rules set shorter limits only for new databases (the seed never overwrites).
``flight_stop`` gains ``arrival_utc``, the scheduled arrival at the stop (unknown for existing stops).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import planner.persistence.dbtypes

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ROLES = ("ESCORT", "CREW", "MEDICAL")
_SEXES = ("M", "F", "X")
_DOCUMENT_TYPES = ("PASSPORT", "TRAVEL_DOCUMENT", "EMERGENCY_TRAVEL_DOCUMENT", "LAISSEZ_PASSER")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("country_rule", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("api_deadline_minutes", sa.Integer(), nullable=False, server_default=sa.text("1440"))
        )

    with op.batch_alter_table("flight_stop", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("arrival_utc", planner.persistence.dbtypes.UTCDateTime(), nullable=True)
        )

    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "flight_escort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("role", text(length=16), nullable=False),
        sa.Column("family_name", text(length=200), nullable=False),
        sa.Column("given_names", text(length=200), nullable=False),
        sa.Column("sex", text(length=1), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("nationality", text(length=3), nullable=False),
        sa.Column("document_type", text(length=32), nullable=False),
        sa.Column("document_number", text(length=32), nullable=False),
        sa.Column("document_expires", sa.Date(), nullable=False),
        sa.Column("issuing_country", text(length=3), nullable=False),
        sa.CheckConstraint(_in("role", _ROLES), name=op.f("ck_flight_escort_role")),
        sa.CheckConstraint(_in("sex", _SEXES), name=op.f("ck_flight_escort_sex")),
        sa.CheckConstraint(
            _in("document_type", _DOCUMENT_TYPES), name=op.f("ck_flight_escort_document_type")
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flight.id"], name=op.f("fk_flight_escort_flight_id_flight"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flight_escort")),
        sa.UniqueConstraint("flight_id", "sequence", name=op.f("uq_flight_escort_flight_id_sequence")),
    )
    with op.batch_alter_table("flight_escort", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flight_escort_flight_id"), ["flight_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flight_escort", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flight_escort_flight_id"))
    op.drop_table("flight_escort")
    with op.batch_alter_table("flight_stop", schema=None) as batch_op:
        batch_op.drop_column("arrival_utc")
    with op.batch_alter_table("country_rule", schema=None) as batch_op:
        batch_op.drop_column("api_deadline_minutes")
