"""departure: close/depart marks, strike-offs, boarding, custody history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

``flight`` gains ``closed_at``/``closed_by`` (doors closed) and ``departed_at``. ``strike_off``
keeps every person struck off a flight with a coded reason; ``boarding`` who boarded where;
``custody_event`` each custody change (a departed flight makes its boarded people REMOVED).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import planner.persistence.dbtypes

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_STRIKE_REASONS = (
    "LEGAL_STAY",
    "MEDICAL_UNFIT",
    "NO_SHOW",
    "REFUSED_BY_RECEIVING_STATE",
    "DOCUMENT_PROBLEM",
    "DISRUPTIVE",
    "OTHER",
)
_CUSTODY = ("IN_CUSTODY", "RELEASED", "REMOVED")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    utc = planner.persistence.dbtypes.UTCDateTime
    with op.batch_alter_table("flight", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", utc(), nullable=True))
        batch_op.add_column(
            sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("departed_at", utc(), nullable=True))

    op.create_table(
        "strike_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("stop_sequence", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("struck_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("struck_at", utc(), nullable=False),
        sa.Column("manifest_revision", sa.Integer(), nullable=True),
        sa.CheckConstraint(_in("reason", _STRIKE_REASONS), name=op.f("ck_strike_off_reason")),
        sa.ForeignKeyConstraint(["flight_id"], ["flight.id"], name=op.f("fk_strike_off_flight_id_flight")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_strike_off_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strike_off")),
    )
    with op.batch_alter_table("strike_off", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_strike_off_flight_id"), ["flight_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_strike_off_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_strike_off_struck_at"), ["struck_at"], unique=False)

    op.create_table(
        "boarding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("airport", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("boarded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("boarded_at", utc(), nullable=False),
        sa.ForeignKeyConstraint(["airport"], ["airport.iata"], name=op.f("fk_boarding_airport_airport")),
        sa.ForeignKeyConstraint(["flight_id"], ["flight.id"], name=op.f("fk_boarding_flight_id_flight")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_boarding_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boarding")),
        sa.UniqueConstraint("flight_id", "person_id", name=op.f("uq_boarding_flight_id_person_id")),
    )
    with op.batch_alter_table("boarding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_boarding_flight_id"), ["flight_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_boarding_person_id"), ["person_id"], unique=False)

    op.create_table(
        "custody_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", utc(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.CheckConstraint(_in("from_status", _CUSTODY), name=op.f("ck_custody_event_from_status")),
        sa.CheckConstraint(_in("to_status", _CUSTODY), name=op.f("ck_custody_event_to_status")),
        sa.ForeignKeyConstraint(["flight_id"], ["flight.id"], name=op.f("fk_custody_event_flight_id_flight")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_custody_event_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_event")),
    )
    with op.batch_alter_table("custody_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_event_flight_id"), ["flight_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_custody_event_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("custody_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_event_person_id"))
        batch_op.drop_index(batch_op.f("ix_custody_event_flight_id"))
    op.drop_table("custody_event")
    with op.batch_alter_table("boarding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_boarding_person_id"))
        batch_op.drop_index(batch_op.f("ix_boarding_flight_id"))
    op.drop_table("boarding")
    with op.batch_alter_table("strike_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strike_off_struck_at"))
        batch_op.drop_index(batch_op.f("ix_strike_off_person_id"))
        batch_op.drop_index(batch_op.f("ix_strike_off_flight_id"))
    op.drop_table("strike_off")
    with op.batch_alter_table("flight", schema=None) as batch_op:
        batch_op.drop_column("departed_at")
        batch_op.drop_column("closed_by")
        batch_op.drop_column("closed_at")
