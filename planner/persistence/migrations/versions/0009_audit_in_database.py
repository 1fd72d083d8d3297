"""audit written by the database

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

``audit_event`` gains ``mac``: on PostgreSQL the HMAC-SHA256 of the event's hash under a key only
the database server holds (``planner.persistence.pg_audit``); empty on SQLite and for events
written before the key existed. The ``audit_head`` row is created when missing (the newest event,
or 0 and the genesis hash), so appending never has to create it and a missing head means
tampering. ``audit_head`` is protected like the events (``planner.persistence.audit_triggers``): it
cannot be deleted and must point at the newest event; on SQLite every new event must follow it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from planner.persistence.audit_triggers import (
    GENESIS_HASH,
    drop_sql_new_in_0009,
    protective_trigger_sql,
)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("mac", sa.String(length=64), nullable=True))
    connection = op.get_bind()
    if connection.execute(sa.text("SELECT count(*) FROM audit_head WHERE id = 1")).scalar_one() == 0:
        newest = connection.execute(
            sa.text("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
        ).one_or_none()
        event_id, event_hash = (newest[0], newest[1]) if newest is not None else (0, GENESIS_HASH)
        connection.execute(
            sa.text("INSERT INTO audit_head (id, last_event_id, last_hash) VALUES (1, :id, :hash)"),
            {"id": event_id, "hash": event_hash},
        )
    for sql in protective_trigger_sql(connection.dialect.name, new_in_0009=True):
        op.execute(sql)


def downgrade() -> None:
    for sql in drop_sql_new_in_0009(op.get_bind().dialect.name):
        op.execute(sql)
    # Native DROP COLUMN (SQLite 3.35+): a batch table rebuild would lose audit_event's triggers.
    op.execute("ALTER TABLE audit_event DROP COLUMN mac")
