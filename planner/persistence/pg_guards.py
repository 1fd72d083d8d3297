"""PostgreSQL only: rules the server enforces on a person's own login, whatever client it uses.

Installed by ``pg_security.apply`` after the grants and the audit functions (idempotent):

- **Office settings are the admins'.** The groups may read ``office_settings``; only
  ``charter_admin`` may update it (the program also checks the role and audits the change).
- **Manifests follow their workflow, four eyes included.** For a desk login (a member of a
  charter group that is neither superuser nor owner) a trigger on ``manifest`` allows only: a new
  revision as an unapproved, unsigned DRAFT prepared in the login's own name; DRAFT -> APPROVED by
  a supervisor in their own name who did not prepare it; APPROVED -> SIGNED by a supervisor in
  their own name who (while ``four_eyes_sign`` is on) did not approve it; any -> SUPERSEDED. The
  flight, revision number, hash and preparer never change, approver and signer are recorded once,
  and no revision is deleted. ``manifest_signature`` (the stored PAdES PDF) takes one insert, by
  the revision's signer once it is SIGNED, and never changes.

Maintenance connections (superuser, ``charter_owner``) are not held to these rules.
"""

from __future__ import annotations

import sqlalchemy as sa

from planner.persistence.pg_audit import PRIVATE_SCHEMA

#: SQLSTATE of a refusal by the manifest guard (``pg_logins``-style errors map it to one line).
STATE_MANIFEST_GUARD = "CPR10"

_REFUSE = f"USING ERRCODE = '{STATE_MANIFEST_GUARD}'"

_GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION public.charter_manifest_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me text := session_user;
    supervisor boolean := pg_has_role(session_user, 'charter_supervisor', 'MEMBER');
    four_eyes boolean := coalesce((SELECT s.four_eyes_sign FROM public.office_settings s ORDER BY s.id LIMIT 1), true);
BEGIN
    IF NOT {PRIVATE_SCHEMA}.is_desk_login() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'manifest revisions are never deleted (a new revision supersedes one)' {_REFUSE};
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.prepared_by IS DISTINCT FROM me THEN
            RAISE EXCEPTION 'manifest revisions are prepared in one''s own name (%), not %', me, NEW.prepared_by
                {_REFUSE};
        END IF;
        IF NEW.status <> 'DRAFT' OR NEW.approved_by IS NOT NULL OR NEW.approved_at IS NOT NULL
           OR NEW.signed_by IS NOT NULL OR NEW.signed_at IS NOT NULL THEN
            RAISE EXCEPTION 'a new manifest revision starts as an unapproved, unsigned draft' {_REFUSE};
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.flight_id IS DISTINCT FROM OLD.flight_id OR NEW.revision IS DISTINCT FROM OLD.revision
       OR NEW.sha256 IS DISTINCT FROM OLD.sha256 OR NEW.prepared_by IS DISTINCT FROM OLD.prepared_by
       OR NEW.prepared_at IS DISTINCT FROM OLD.prepared_at THEN
        RAISE EXCEPTION 'a manifest revision''s flight, number, hash and preparer never change' {_REFUSE};
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'DRAFT' AND NEW.status = 'APPROVED')
        OR (OLD.status = 'APPROVED' AND NEW.status = 'SIGNED')
        OR (OLD.status <> 'SUPERSEDED' AND NEW.status = 'SUPERSEDED')) THEN
        RAISE EXCEPTION 'a manifest revision goes DRAFT -> APPROVED -> SIGNED (or is superseded), not % -> %',
            OLD.status, NEW.status {_REFUSE};
    END IF;
    IF (NEW.approved_by, NEW.approved_at) IS DISTINCT FROM (OLD.approved_by, OLD.approved_at)
       OR (OLD.status = 'DRAFT' AND NEW.status = 'APPROVED') THEN
        IF NOT (OLD.status = 'DRAFT' AND NEW.status = 'APPROVED') THEN
            RAISE EXCEPTION 'who approved a manifest revision is recorded once, when it is approved' {_REFUSE};
        END IF;
        IF NOT supervisor THEN
            RAISE EXCEPTION '% is not a supervisor: only supervisors approve and sign manifests', me {_REFUSE};
        END IF;
        IF NEW.approved_by IS DISTINCT FROM me OR NEW.approved_at IS NULL THEN
            RAISE EXCEPTION 'a manifest is approved in one''s own name (%)', me {_REFUSE};
        END IF;
        IF me = NEW.prepared_by THEN
            RAISE EXCEPTION '% prepared this revision; another supervisor must approve it', me {_REFUSE};
        END IF;
    END IF;
    IF (NEW.signed_by, NEW.signed_at) IS DISTINCT FROM (OLD.signed_by, OLD.signed_at)
       OR (OLD.status = 'APPROVED' AND NEW.status = 'SIGNED') THEN
        IF NOT (OLD.status = 'APPROVED' AND NEW.status = 'SIGNED') THEN
            RAISE EXCEPTION 'who signed a manifest revision is recorded once, when it is signed' {_REFUSE};
        END IF;
        IF NOT supervisor THEN
            RAISE EXCEPTION '% is not a supervisor: only supervisors approve and sign manifests', me {_REFUSE};
        END IF;
        IF NEW.signed_by IS DISTINCT FROM me OR NEW.signed_at IS NULL THEN
            RAISE EXCEPTION 'a manifest is signed in one''s own name (%)', me {_REFUSE};
        END IF;
        IF four_eyes AND me = OLD.approved_by THEN
            RAISE EXCEPTION '% approved this revision; another supervisor must sign it', me {_REFUSE};
        END IF;
    END IF;
    RETURN NEW;
END $$;
"""

_SIGNATURE_GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION public.charter_manifest_signature_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT {PRIVATE_SCHEMA}.is_desk_login() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'a stored signed manifest never changes' {_REFUSE};
    END IF;
    IF NOT EXISTS (SELECT 1 FROM public.manifest m WHERE m.id = NEW.manifest_id AND m.status = 'SIGNED'
                   AND m.signed_by = session_user) THEN
        RAISE EXCEPTION 'only the supervisor who signed a manifest revision stores its signed PDF' {_REFUSE};
    END IF;
    RETURN NEW;
END $$;
"""


def install(connection: sa.Connection, owner: str, groups: dict[str, str]) -> None:
    """Install the guards (see the module docstring); ``owner`` owns them, ``groups`` maps the app
    roles to their group roles. Runs in ``connection``'s transaction."""
    officer, admin = groups["officer"], groups["admin"]
    tables = set(
        connection.execute(
            sa.text(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
            )
        ).scalars()
    )
    if "office_settings" in tables:
        connection.exec_driver_sql(
            f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON office_settings FROM {officer}"
        )
        connection.exec_driver_sql(f"GRANT SELECT ON office_settings TO {officer}")
        connection.exec_driver_sql(f"GRANT UPDATE ON office_settings TO {admin}")
    if "manifest" not in tables:
        return
    cursor = connection.connection.cursor()  # no parameters: the bodies' '%' stay as they are
    try:
        cursor.execute(_GUARD_FUNCTION)
        cursor.execute(_SIGNATURE_GUARD_FUNCTION)
    finally:
        cursor.close()
    for function, table in (
        ("charter_manifest_guard", "manifest"),
        ("charter_manifest_signature_guard", "manifest_signature"),
    ):
        connection.exec_driver_sql(f"ALTER FUNCTION public.{function}() OWNER TO {owner}")
        connection.exec_driver_sql(f"REVOKE ALL ON FUNCTION public.{function}() FROM PUBLIC")
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {function} ON {table}")
        connection.exec_driver_sql(
            f"CREATE TRIGGER {function} BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION public.{function}()"
        )
