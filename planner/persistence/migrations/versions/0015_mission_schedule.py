"""mission scheduling: aircraft catalog, proposals, country limits, cost settings

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

``aircraft`` is the catalog the scheduler charters from (seats, cost per block hour, cruise speed,
missions per week); ``schedule_proposal`` one run of the scheduler and ``schedule_mission`` its
missions (``flight_id`` once accepted). ``country_rule`` gains the receiving state's mission limits
(region, missions per week, arrival weekdays, arrival airports); ``office_settings`` the detention
costs per day, the unserved penalty, the horizon and the pickup airports.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import planner.persistence.dbtypes

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SCHEDULE_COSTS = (
    "detention_cost_person >= 0 AND detention_cost_family >= 0 AND unserved_penalty >= 0 "
    "AND schedule_weeks >= 1 AND schedule_weeks <= 52"
)
#: The same, about the row a trigger inserts or updates.
NEW_ROW_COSTS = (
    "NEW.detention_cost_person >= 0 AND NEW.detention_cost_family >= 0 AND NEW.unserved_penalty >= 0 "
    "AND NEW.schedule_weeks >= 1 AND NEW.schedule_weeks <= 52"
)


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    utc = planner.persistence.dbtypes.UTCDateTime
    op.create_table(
        "aircraft",
        sa.Column("name", text(length=50), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("cost_per_block_hour", sa.Float(), nullable=False),
        sa.Column("cruise_kmh", sa.Float(), nullable=False),
        sa.Column("available_per_week", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "seats > 0 AND cost_per_block_hour > 0 AND cruise_kmh > 0 AND available_per_week >= 0",
            name=op.f("ck_aircraft_positive"),
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_aircraft")),
    )
    op.create_table(
        "schedule_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("created_by", text(length=64), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("status", text(length=16), nullable=False),
        sa.Column("bound", sa.Float(), nullable=True),
        sa.Column("gap", sa.Float(), nullable=True),
        sa.Column("solve_seconds", sa.Float(), nullable=False),
        sa.Column("parameters_json", text(), nullable=False),
        sa.Column("totals_json", text(), nullable=False),
        sa.Column("current_json", text(), nullable=False),
        sa.Column("accepted_at", utc(), nullable=True),
        sa.Column("accepted_by", text(length=64), nullable=True),
        sa.CheckConstraint("status IN ('PROPOSED', 'ACCEPTED')", name=op.f("ck_schedule_proposal_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_proposal")),
    )
    op.create_table(
        "schedule_mission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("departure_date", sa.Date(), nullable=False),
        sa.Column("aircraft", text(length=50), nullable=False),
        sa.Column("pickups", text(length=40), nullable=False),
        sa.Column("stops", text(length=40), nullable=False),
        sa.Column("people_json", text(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("block_hours", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["schedule_proposal.id"],
            name=op.f("fk_schedule_mission_proposal_id_schedule_proposal"),
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flight.id"], name=op.f("fk_schedule_mission_flight_id_flight")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_mission")),
        sa.UniqueConstraint("proposal_id", "number", name=op.f("uq_schedule_mission_proposal_id_number")),
    )
    with op.batch_alter_table("schedule_mission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedule_mission_proposal_id"), ["proposal_id"], unique=False)
    with op.batch_alter_table("country_rule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", text(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("max_missions_per_week", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("arrival_weekdays", text(length=40), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("arrival_airports", text(length=200), nullable=False, server_default="")
        )
    with op.batch_alter_table("office_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("detention_cost_person", sa.Float(), nullable=False, server_default="122")
        )
        batch_op.add_column(
            sa.Column("detention_cost_family", sa.Float(), nullable=False, server_default="300")
        )
        batch_op.add_column(sa.Column("unserved_penalty", sa.Float(), nullable=False, server_default="5000"))
        batch_op.add_column(sa.Column("schedule_weeks", sa.Integer(), nullable=False, server_default="8"))
        batch_op.add_column(sa.Column("pickup_airports", text(length=200), nullable=False, server_default=""))
    # The database refuses what the service refuses. On SQLite a CHECK cannot be added without
    # rebuilding the table, whose constraints then come out in an order that varies from run to
    # run (and the restore's schema check compares the DDL): triggers there instead.
    if op.get_bind().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER office_settings_schedule_costs_{event.lower()} BEFORE {event} ON office_settings "
                f"WHEN NOT ({NEW_ROW_COSTS}) "
                "BEGIN SELECT RAISE(ABORT, "
                "'office_settings: scheduling costs must be 0 or more and schedule_weeks 1 to 52'); END"
            )
    else:
        op.create_check_constraint("ck_office_settings_schedule_costs", "office_settings", SCHEDULE_COSTS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS office_settings_schedule_costs_{event}")
    else:
        op.drop_constraint("ck_office_settings_schedule_costs", "office_settings", type_="check")
    with op.batch_alter_table("office_settings", schema=None) as batch_op:
        for column in (
            "pickup_airports",
            "schedule_weeks",
            "unserved_penalty",
            "detention_cost_family",
            "detention_cost_person",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("country_rule", schema=None) as batch_op:
        for column in ("arrival_airports", "arrival_weekdays", "max_missions_per_week", "region"):
            batch_op.drop_column(column)
    with op.batch_alter_table("schedule_mission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_mission_proposal_id"))
    op.drop_table("schedule_mission")
    op.drop_table("schedule_proposal")
    op.drop_table("aircraft")
