"""audit anchors: the chain head recorded with every signed / as-flown manifest, backup and export

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

``audit_anchor`` holds one row per document or copy that leaves the database, with the audit
chain's head (event id + hash) it was made at; ``audit verify`` checks the chain against them and
``audit anchors --out FILE`` exports them so they can be kept where the database owner cannot
rewrite them. Anchors are append-only like the events (triggers refuse UPDATE, DELETE and, on
PostgreSQL, TRUNCATE).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import planner.persistence.dbtypes

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_KINDS = ("manifest.signed", "manifest.as_flown", "backup", "export")


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", text(length=32), nullable=False),
        sa.Column("reference", text(length=200), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_hash", text(length=64), nullable=False),
        sa.Column("recorded_at", planner.persistence.dbtypes.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", text(length=64), nullable=False),
        sa.CheckConstraint(
            f"kind IN ({', '.join(repr(k) for k in _KINDS)})", name=op.f("ck_audit_anchor_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_anchor_no_{event.lower()} BEFORE {event} ON audit_anchor "
                "BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION audit_anchor_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit anchors are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_anchor_append_only BEFORE UPDATE OR DELETE ON audit_anchor "
            "FOR EACH ROW EXECUTE FUNCTION audit_anchor_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_anchor "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_anchor_append_only()"
        )


def downgrade() -> None:
    op.drop_table("audit_anchor")  # its triggers go with it
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS audit_anchor_append_only()")
