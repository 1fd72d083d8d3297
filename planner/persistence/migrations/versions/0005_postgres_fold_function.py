"""fold() search function on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

The people search matches case number and names without regard to case or accents ("perez"
finds "PÉREZ"). SQLite gets ``fold`` from ``planner.persistence.db`` (a Python function registered on each
connection); PostgreSQL gets the same-named SQL function here: ``lower(unaccent(value))`` with
the ``unaccent`` extension (shipped with PostgreSQL's contrib modules and trusted, so the
database owner may install it). Where the extension cannot be installed the function only folds
case, and a warning says so.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

log = logging.getLogger("planner.persistence.migrations")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    body = "SELECT lower(unaccent($1))"
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    except sa.exc.DBAPIError as exc:
        log.warning("PostgreSQL extension unaccent unavailable (%s): people search folds case only", exc.orig)
        body = "SELECT lower($1)"
    bind.exec_driver_sql(
        f"CREATE OR REPLACE FUNCTION fold(value text) RETURNS text "
        f"LANGUAGE sql STABLE PARALLEL SAFE AS $$ {body} $$"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS fold(text)")
