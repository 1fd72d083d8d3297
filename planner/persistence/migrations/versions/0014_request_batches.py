"""requests to receiving states: verification and travel-document batches, lead times

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

``request_batch`` is one request sent to a receiving state (a CSV and a PDF cover letter, hashed);
``request_item`` one person in it, OPEN until the answer closes it. ``country_rule`` gains the
expected lead time (days, default 30) and the request CSV's column layout (empty = default).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import planner.persistence.dbtypes

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

KINDS = "kind IN ('VERIFICATION', 'TRAVEL_DOCUMENT')"
OUTCOMES = "outcome IN ('OPEN', 'CONFIRMED', 'NOT_CONFIRMED', 'ISSUED', 'REFUSED', 'WITHDRAWN')"


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    utc = planner.persistence.dbtypes.UTCDateTime
    op.create_table(
        "request_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", text(length=32), nullable=False),
        sa.Column("kind", text(length=16), nullable=False),
        sa.Column("country", text(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("created_at", utc(), nullable=False),
        sa.Column("created_by", text(length=64), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("csv_name", text(length=255), nullable=False),
        sa.Column("csv_sha256", text(length=64), nullable=False),
        sa.Column("pdf_sha256", text(length=64), nullable=False),
        sa.Column("closed_at", utc(), nullable=True),
        sa.CheckConstraint(KINDS, name=op.f("ck_request_batch_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_batch")),
        sa.UniqueConstraint("kind", "country", "year", "number", name=op.f("uq_request_batch_kind_country_year_number")),
    )
    with op.batch_alter_table("request_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_batch_reference"), ["reference"], unique=True)
        batch_op.create_index(batch_op.f("ix_request_batch_country"), ["country"], unique=False)
    op.create_table(
        "request_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("outcome", text(length=16), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answered_at", utc(), nullable=True),
        sa.Column("answered_by", text(length=64), nullable=True),
        sa.Column("answer_source", text(length=300), nullable=False),
        sa.Column("verification_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(OUTCOMES, name=op.f("ck_request_item_outcome")),
        sa.ForeignKeyConstraint(["batch_id"], ["request_batch.id"], name=op.f("fk_request_item_batch_id_request_batch")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_request_item_person_id_person")),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["nationality_verification.id"],
            name=op.f("fk_request_item_verification_id_nationality_verification"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["travel_document.id"], name=op.f("fk_request_item_document_id_travel_document")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_item")),
        sa.UniqueConstraint("batch_id", "person_id", name=op.f("uq_request_item_batch_id_person_id")),
    )
    with op.batch_alter_table("request_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_item_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_item_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_item_outcome"), ["outcome"], unique=False)
    with op.batch_alter_table("country_rule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead_time_days", sa.Integer(), nullable=False, server_default="30"))
        batch_op.add_column(sa.Column("request_columns", text(length=500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("country_rule", schema=None) as batch_op:
        batch_op.drop_column("request_columns")
        batch_op.drop_column("lead_time_days")
    with op.batch_alter_table("request_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_item_outcome"))
        batch_op.drop_index(batch_op.f("ix_request_item_person_id"))
        batch_op.drop_index(batch_op.f("ix_request_item_batch_id"))
    op.drop_table("request_item")
    with op.batch_alter_table("request_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_batch_country"))
        batch_op.drop_index(batch_op.f("ix_request_batch_reference"))
    op.drop_table("request_batch")
