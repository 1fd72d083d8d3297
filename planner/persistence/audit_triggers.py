"""The triggers that protect the audit chain, as DDL for each backend (no model imports: the
migrations use it too).

``audit_event`` is append-only (no UPDATE, DELETE or TRUNCATE). ``audit_head`` cannot be deleted,
and an INSERT or UPDATE of it must point at the newest event (its id and hash; 0 and the genesis
hash when there are none). On SQLite every new event must also follow the newest one (id + 1,
its hash as ``prev_hash``; the appender moves the head once per batch, which the head rule then
checks: per-row head moves cost seconds per 100,000 events). PostgreSQL leaves event inserts to
the ``SECURITY DEFINER`` append function of ``planner.persistence.pg_audit`` (desks have no INSERT).

``PROTECTIVE_TRIGGERS`` names them per backend; ``init`` re-creates missing or changed ones from
the migrations' own DDL (``planner.persistence.schema_objects.ensure_protective_triggers``).
Someone who owns the file or the database can still drop them: the anchors detect what follows.
"""

from __future__ import annotations

GENESIS_HASH = "0" * 64
#: The one-line error when the ``audit_head`` row is gone (appending refuses; verify reports it).
HEAD_MISSING_MESSAGE = (
    "the audit head is missing: the audit chain was tampered with; restore a backup and run audit verify"
)

_SQLITE_NEWEST = (
    "new.id <> 1 OR new.last_event_id <> coalesce((SELECT max(id) FROM audit_event), 0) "
    "OR new.last_hash <> coalesce((SELECT hash FROM audit_event WHERE id = new.last_event_id), "
    f"'{GENESIS_HASH}')"
)

#: SQLite: (name, DDL), each idempotent (IF NOT EXISTS).
_SQLITE: tuple[tuple[str, str], ...] = (
    (
        "audit_event_no_update",
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    ),
    (
        "audit_event_no_delete",
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    ),
    (
        "audit_event_follows_chain",
        "CREATE TRIGGER IF NOT EXISTS audit_event_follows_chain BEFORE INSERT ON audit_event "
        "WHEN new.id IS NOT coalesce((SELECT max(id) FROM audit_event), 0) + 1 "
        "OR new.prev_hash IS NOT coalesce((SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1), "
        f"'{GENESIS_HASH}') "
        "BEGIN SELECT RAISE(ABORT, 'an audit event must follow the newest audit event'); END",
    ),
    (
        "audit_head_no_delete",
        "CREATE TRIGGER IF NOT EXISTS audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'the audit head cannot be removed'); END",
    ),
    (
        "audit_head_insert_follows_chain",
        "CREATE TRIGGER IF NOT EXISTS audit_head_insert_follows_chain BEFORE INSERT ON audit_head "
        f"WHEN {_SQLITE_NEWEST} "
        "BEGIN SELECT RAISE(ABORT, 'the audit head must point at the newest audit event'); END",
    ),
    (
        "audit_head_update_follows_chain",
        "CREATE TRIGGER IF NOT EXISTS audit_head_update_follows_chain BEFORE UPDATE ON audit_head "
        f"WHEN {_SQLITE_NEWEST} "
        "BEGIN SELECT RAISE(ABORT, 'the audit head must point at the newest audit event'); END",
    ),
)

_PG_HEAD_GUARD = f"""
CREATE OR REPLACE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    newest integer;
    newest_hash text;
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'the audit head cannot be removed';
    END IF;
    SELECT coalesce(max(e.id), 0) INTO newest FROM audit_event e;
    SELECT e.hash INTO newest_hash FROM audit_event e WHERE e.id = newest;
    IF new.id <> 1 OR new.last_event_id <> newest
            OR new.last_hash <> coalesce(newest_hash, '{GENESIS_HASH}') THEN
        RAISE EXCEPTION 'the audit head must point at the newest audit event';
    END IF;
    RETURN new;
END $$
"""

#: PostgreSQL: (name, DDL), each idempotent (OR REPLACE); functions before their triggers.
_POSTGRES: tuple[tuple[str, str], ...] = (
    (
        "",
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$",
    ),
    (
        "audit_event_append_only",
        "CREATE OR REPLACE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    ),
    (
        "audit_event_no_truncate",
        "CREATE OR REPLACE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
    ),
    ("", _PG_HEAD_GUARD),
    (
        "audit_head_guard",
        "CREATE OR REPLACE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_head "
        "FOR EACH ROW EXECUTE FUNCTION audit_head_guard()",
    ),
    (
        "audit_head_no_truncate",
        "CREATE OR REPLACE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard()",
    ),
)

_BY_DIALECT = {"sqlite": _SQLITE, "postgresql": _POSTGRES}

#: The protective triggers' names per dialect (``sqlite``, ``postgresql``).
PROTECTIVE_TRIGGERS: dict[str, frozenset[str]] = {
    dialect: frozenset(name for name, _ in ddl if name) for dialect, ddl in _BY_DIALECT.items()
}

#: The triggers migration 0001 made already (0009 adds the others).
_FROM_0001 = frozenset(
    {"audit_event_no_update", "audit_event_no_delete", "audit_event_append_only", "audit_event_no_truncate"}
)


def protective_trigger_sql(dialect: str, *, new_in_0009: bool = False) -> list[str]:
    """The DDL creating every protective trigger of ``dialect`` (``sqlite`` or ``postgresql``),
    idempotent, in order; with ``new_in_0009`` only those (and their functions) that migration
    0009 adds."""
    statements = _BY_DIALECT[dialect]
    if not new_in_0009:
        return [sql for _, sql in statements]
    if dialect == "sqlite":
        return [sql for name, sql in statements if name not in _FROM_0001]
    return [_PG_HEAD_GUARD] + [sql for name, sql in statements if name.startswith("audit_head")]


def drop_sql_new_in_0009(dialect: str) -> list[str]:
    """The DDL dropping what ``protective_trigger_sql(dialect, new_in_0009=True)`` creates."""
    if dialect == "sqlite":
        names = sorted(PROTECTIVE_TRIGGERS["sqlite"] - _FROM_0001)
        return [f"DROP TRIGGER IF EXISTS {name}" for name in names]
    return [
        "DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head",
        "DROP TRIGGER IF EXISTS audit_head_guard ON audit_head",
        "DROP FUNCTION IF EXISTS audit_head_guard()",
    ]
