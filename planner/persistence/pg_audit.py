"""PostgreSQL only: the audit chain written and keyed by the database server.

``install(connection)`` (idempotent; run from a superuser connection at the end of
``planner.persistence.pg_security.apply``) creates, owned by ``charter_owner``:

- schema ``charter_audit`` (no privileges for anyone else) with ``audit_key`` (one row: 32 random
  bytes made from ``gen_random_uuid()``, their HMAC pads, and ``keyed_from``, the last event
  written before the key existed), ``append_xid`` (the transaction that last appended) and
  ``pending_write`` (transactions that changed an audited table, until they commit);
- ``charter_audit_append(actors, actions, entities, entity_ids, changes_json)`` (``SECURITY
  DEFINER``): locks ``audit_head``, numbers the events, stamps them with the server clock, chains
  them exactly as ``planner.persistence.audit.event_hash`` does and stores each event's ``mac`` =
  HMAC-SHA256(key, hash). A desk login (a member of a charter group, not superuser) may only
  write events as itself (``session_user``);
- ``charter_audit_lock_head()`` (locks the head row for the caller's transaction),
  ``charter_audit_check()`` (the number of keyed events and the first whose MAC does not fit; the
  key never leaves the server);
- a statement trigger ``charter_audit_mark`` on every table in ``AUDITED_TABLES`` and a deferred
  constraint trigger on ``charter_audit.pending_write``: a desk's commit that changed such a table
  without appending an audit event in the same transaction is refused.

The groups lose INSERT, UPDATE, DELETE and TRUNCATE on ``audit_event`` and ``audit_head``: only the
definer function writes them. Superuser and owner connections (migrations, maintenance) may append
as any actor and are not held to the "no change without an event" rule.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from planner.persistence.audit_triggers import HEAD_MISSING_MESSAGE

log = logging.getLogger(__name__)

OWNER = "charter_owner"
GROUPS = ("charter_officer", "charter_supervisor", "charter_admin")
PRIVATE_SCHEMA = "charter_audit"

#: Tables whose every write the program audits in the same transaction (on PostgreSQL a desk's
#: commit that changes one without an audit event is refused; one missing from the database is
#: skipped). Left out, written without an event by design: ``app_lock`` (lease locks),
#: ``sign_in_throttle`` (sign-in counters), ``audit_anchor`` (written with the document's own
#: audited change, append-only), and the audit tables themselves.
AUDITED_TABLES = (
    "app_user",
    "airport",
    "country_rule",
    "facility",
    "facility_airport",
    "person",
    "travel_document",
    "nationality_verification",
    "flight",
    "flight_stop",
    "flight_pickup",
    "request_batch",
    "request_item",
    "flight_escort",
    "plan_run",
    "assignment",
    "plan_exclusion",
    "manifest",
    "manifest_signature",
    "strike_off",
    "boarding",
    "custody_event",
    "office_settings",
    "aircraft",
    "schedule_proposal",
    "schedule_mission",
)

#: SQLSTATEs the functions raise, mapped to ``PlannerError``s by ``planner.persistence.audit``.
HEAD_MISSING = "CA001"
FOREIGN_ACTOR = "CA002"
KEY_MISSING = "CA003"
UNAUDITED_CHANGE = "CA004"
BAD_BATCH = "CA005"

APPEND_SIGNATURE = "charter_audit_append(text[], text[], text[], text[], text[])"
CHECK_SIGNATURE = "charter_audit_check()"
LOCK_SIGNATURE = "charter_audit_lock_head()"


_PRIVATE = f"""
CREATE SCHEMA IF NOT EXISTS {PRIVATE_SCHEMA} AUTHORIZATION {OWNER};
REVOKE ALL ON SCHEMA {PRIVATE_SCHEMA} FROM PUBLIC;
CREATE TABLE IF NOT EXISTS {PRIVATE_SCHEMA}.audit_key (
    id integer PRIMARY KEY CHECK (id = 1),
    inner_pad bytea NOT NULL,
    outer_pad bytea NOT NULL,
    keyed_from integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {PRIVATE_SCHEMA}.append_xid (
    id integer PRIMARY KEY CHECK (id = 1),
    xid bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS {PRIVATE_SCHEMA}.pending_write (xid bigint PRIMARY KEY);
ALTER TABLE {PRIVATE_SCHEMA}.audit_key OWNER TO {OWNER};
ALTER TABLE {PRIVATE_SCHEMA}.append_xid OWNER TO {OWNER};
ALTER TABLE {PRIVATE_SCHEMA}.pending_write OWNER TO {OWNER};
REVOKE ALL ON {PRIVATE_SCHEMA}.audit_key, {PRIVATE_SCHEMA}.append_xid,
    {PRIVATE_SCHEMA}.pending_write FROM PUBLIC;
INSERT INTO {PRIVATE_SCHEMA}.append_xid (id, xid) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
"""

# The key: SHA-256 over four random UUIDs (32 bytes), zero-padded to SHA-256's 64-byte block and
# stored as its two HMAC pads (key XOR 0x36 and key XOR 0x5c), made once.
_KEY = f"""
DO $$
DECLARE
    k bytea;
    ipad bytea;
    opad bytea;
BEGIN
    IF EXISTS (SELECT 1 FROM {PRIVATE_SCHEMA}.audit_key) THEN
        RETURN;
    END IF;
    k := sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
        || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'))
        || decode(repeat('00', 32), 'hex');
    ipad := k;
    opad := k;
    FOR i IN 0..63 LOOP
        ipad := set_byte(ipad, i, get_byte(k, i) # 54);
        opad := set_byte(opad, i, get_byte(k, i) # 92);
    END LOOP;
    INSERT INTO {PRIVATE_SCHEMA}.audit_key (id, inner_pad, outer_pad, keyed_from)
    VALUES (1, ipad, opad, coalesce((SELECT max(id) FROM {{schema}}.audit_event), 0));
END $$;
"""

_IS_DESK = f"""
CREATE OR REPLACE FUNCTION {PRIVATE_SCHEMA}.is_desk_login() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((
        SELECT NOT r.rolsuper AND r.rolname <> '{OWNER}'
            AND ({" OR ".join(f"pg_has_role(r.oid, '{g}', 'MEMBER')" for g in GROUPS)})
        FROM pg_roles r WHERE r.rolname = session_user), false)
$$;
"""

_MAC = "encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to({hash}, 'UTF8'))), 'hex')"

_APPEND = f"""
CREATE OR REPLACE FUNCTION public.charter_audit_append(
    p_actors text[], p_actions text[], p_entities text[], p_entity_ids text[], p_changes text[])
RETURNS TABLE (out_first_id integer, out_last_id integer, out_occurred_at timestamp, out_last_hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    n integer := coalesce(cardinality(p_actions), 0);
    head_id integer;
    prev text;
    at timestamp;
    at_text text;
    id_text text;
    prevs text[] := '{{}}';
    hashes text[] := '{{}}';
BEGIN
    IF coalesce(cardinality(p_actors), 0) <> n OR coalesce(cardinality(p_entities), 0) <> n
            OR coalesce(cardinality(p_entity_ids), 0) <> n OR coalesce(cardinality(p_changes), 0) <> n
            OR array_position(p_actors, NULL) IS NOT NULL OR array_position(p_actions, NULL) IS NOT NULL
            OR array_position(p_entities, NULL) IS NOT NULL
            OR array_position(p_entity_ids, NULL) IS NOT NULL
            OR array_position(p_changes, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '{BAD_BATCH}',
            MESSAGE = 'audit events need an actor, action, entity, entity id and changes each';
    END IF;
    SELECT h.last_event_id, h.last_hash INTO head_id, prev
        FROM {{schema}}.audit_head h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '{HEAD_MISSING}', MESSAGE = '{HEAD_MISSING_MESSAGE}';
    END IF;
    IF n = 0 THEN
        RETURN;
    END IF;
    IF {PRIVATE_SCHEMA}.is_desk_login()
            AND EXISTS (SELECT 1 FROM unnest(p_actors) a WHERE a <> session_user) THEN
        RAISE EXCEPTION USING ERRCODE = '{FOREIGN_ACTOR}',
            MESSAGE = session_user || ' may write audit events only as ' || session_user;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM {PRIVATE_SCHEMA}.audit_key WHERE id = 1) THEN
        RAISE EXCEPTION USING ERRCODE = '{KEY_MISSING}',
            MESSAGE = 'the audit key is missing: run init from the owner connection';
    END IF;
    at := date_trunc('microseconds', clock_timestamp() AT TIME ZONE 'UTC');
    -- Python: occurred_at.isoformat(timespec="microseconds") of the aware UTC value.
    at_text := to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00';
    at_text := length(at_text) || ':' || at_text || ';';
    FOR i IN 1..n LOOP
        id_text := (head_id + i)::text;
        prevs[i] := prev;
        prev := encode(sha256(convert_to(concat(
            length(id_text), ':', id_text, ';', at_text,
            length(p_actors[i]), ':', p_actors[i], ';',
            length(p_actions[i]), ':', p_actions[i], ';',
            length(p_entities[i]), ':', p_entities[i], ';',
            length(p_entity_ids[i]), ':', p_entity_ids[i], ';',
            length(p_changes[i]), ':', p_changes[i], ';',
            length(prev), ':', prev, ';'), 'UTF8')), 'hex');
        hashes[i] := prev;
    END LOOP;
    INSERT INTO {{schema}}.audit_event
        (id, occurred_at, actor, action, entity, entity_id, changes_json, prev_hash, hash, mac)
    SELECT head_id + t.ord::integer, at, t.actor, t.action, t.entity, t.entity_id, t.changes,
           t.prev_hash, t.hash, {_MAC.format(hash="t.hash")}
    FROM unnest(p_actors, p_actions, p_entities, p_entity_ids, p_changes, prevs, hashes)
        WITH ORDINALITY AS t(actor, action, entity, entity_id, changes, prev_hash, hash, ord),
        {PRIVATE_SCHEMA}.audit_key k
    WHERE k.id = 1;
    UPDATE {{schema}}.audit_head SET last_event_id = head_id + n, last_hash = prev WHERE id = 1;
    UPDATE {PRIVATE_SCHEMA}.append_xid SET xid = txid_current() WHERE id = 1;
    RETURN QUERY SELECT head_id + 1, head_id + n, at, prev;
END $$;
"""

_LOCK = f"""
CREATE OR REPLACE FUNCTION public.charter_audit_lock_head() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM 1 FROM {{schema}}.audit_head h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '{HEAD_MISSING}', MESSAGE = '{HEAD_MISSING_MESSAGE}';
    END IF;
END $$;
"""

_CHECK = f"""
CREATE OR REPLACE FUNCTION public.charter_audit_check()
RETURNS TABLE (keyed_events bigint, first_bad_id integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT
        (SELECT count(*) FROM {{schema}}.audit_event e WHERE e.id > k.keyed_from),
        (SELECT min(e.id) FROM {{schema}}.audit_event e
            WHERE e.id > k.keyed_from AND e.mac IS DISTINCT FROM {_MAC.format(hash="e.hash")})
    FROM {PRIVATE_SCHEMA}.audit_key k WHERE k.id = 1
$$;
"""

_PENDING = f"""
CREATE OR REPLACE FUNCTION {PRIVATE_SCHEMA}.mark_write() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO {PRIVATE_SCHEMA}.pending_write (xid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION {PRIVATE_SCHEMA}.require_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM {PRIVATE_SCHEMA}.pending_write WHERE xid = new.xid;
    IF {PRIVATE_SCHEMA}.is_desk_login() AND NOT EXISTS (
            SELECT 1 FROM {PRIVATE_SCHEMA}.append_xid a WHERE a.id = 1 AND a.xid = new.xid) THEN
        RAISE EXCEPTION USING ERRCODE = '{UNAUDITED_CHANGE}',
            MESSAGE = 'refused: this transaction changed audited data without an audit event';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS charter_audit_required ON {PRIVATE_SCHEMA}.pending_write;
CREATE CONSTRAINT TRIGGER charter_audit_required AFTER INSERT ON {PRIVATE_SCHEMA}.pending_write
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {PRIVATE_SCHEMA}.require_event();
"""

_FUNCTIONS = (
    f"{PRIVATE_SCHEMA}.is_desk_login()",
    f"{PRIVATE_SCHEMA}.mark_write()",
    f"{PRIVATE_SCHEMA}.require_event()",
    f"public.{APPEND_SIGNATURE}",
    f"public.{LOCK_SIGNATURE}",
    f"public.{CHECK_SIGNATURE}",
)


def _grants(schema: str) -> str:
    groups = ", ".join(GROUPS)
    callable_ = ", ".join(f"public.{s}" for s in (APPEND_SIGNATURE, LOCK_SIGNATURE, CHECK_SIGNATURE))
    owned = "\n".join(f"ALTER FUNCTION {f} OWNER TO {OWNER};" for f in _FUNCTIONS)
    revoked = "\n".join(f"REVOKE ALL ON FUNCTION {f} FROM PUBLIC;" for f in _FUNCTIONS)
    return f"""
{owned}
{revoked}
GRANT EXECUTE ON FUNCTION {callable_} TO {groups};
GRANT SELECT, INSERT, UPDATE ON {schema}.audit_event, {schema}.audit_head TO {OWNER};
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.audit_event, {schema}.audit_head
    FROM PUBLIC, {groups};
"""


def _mark_triggers(connection: sa.Connection, schema: str) -> None:
    present = set(
        connection.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": schema}
        ).scalars()
    )
    for table in AUDITED_TABLES:
        if table not in present:
            continue
        connection.exec_driver_sql(
            f"CREATE OR REPLACE TRIGGER charter_audit_mark "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {schema}.{table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PRIVATE_SCHEMA}.mark_write()"
        )


def install(connection: sa.Connection) -> None:
    """Install the audit key, functions, privileges and triggers (idempotent; never replaces the
    key). ``connection`` is a superuser's, in a transaction; the charter roles exist already."""
    schema = connection.dialect.identifier_preparer.quote(
        connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    )
    for sql in (_PRIVATE, _KEY, _IS_DESK, _APPEND, _LOCK, _CHECK, _PENDING, _grants(schema)):
        connection.exec_driver_sql(sql.replace("{schema}", schema))
    _mark_triggers(connection, schema)
    log.info("audit chain written by the database installed (schema %s)", schema)
