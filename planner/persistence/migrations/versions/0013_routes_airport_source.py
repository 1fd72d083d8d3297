"""routes with several pickups; where an airport row came from

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

``flight_pickup`` holds a flight's later pickups (sequence 1, 2, …; the first pickup stays the
flight's ``departure_airport`` / ``departure_utc``). ``assignment.pickup_sequence`` says where a
placed person boards (0 = the flight's departure airport), so every existing assignment boards at
the first pickup, as it did. ``airport.source`` is ``dataset`` (the shipped world table) or
``admin`` (added by an admin); the airports shipped before are dataset airports.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import planner.persistence.dbtypes

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "flight_pickup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("airport", text(length=3), nullable=False),
        sa.Column("departure_utc", planner.persistence.dbtypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_flight_pickup_sequence_positive")),
        sa.ForeignKeyConstraint(["airport"], ["airport.iata"], name=op.f("fk_flight_pickup_airport_airport")),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flight.id"],
            name=op.f("fk_flight_pickup_flight_id_flight"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flight_pickup")),
        sa.UniqueConstraint("flight_id", "sequence", name=op.f("uq_flight_pickup_flight_id_sequence")),
    )
    with op.batch_alter_table("flight_pickup", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flight_pickup_flight_id"), ["flight_id"], unique=False)
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pickup_sequence", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("airport", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", text(length=16), nullable=False, server_default="dataset"))


def downgrade() -> None:
    with op.batch_alter_table("airport", schema=None) as batch_op:
        batch_op.drop_column("source")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_column("pickup_sequence")
    with op.batch_alter_table("flight_pickup", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flight_pickup_flight_id"))
    op.drop_table("flight_pickup")
