"""PostgreSQL only: rules the server enforces on a person's own login, whatever client it uses.

Installed by ``pg_security.apply`` after the grants and the audit functions (idempotent):

- **Office settings are the admins'.** The groups may read ``office_settings``; only
  ``charter_admin`` may update it (the program also checks the role and audits the change).
- **Approve and sign are the supervisors', four eyes included.** A trigger on ``manifest``
  refuses, for a desk login (a member of a charter group that is neither superuser nor owner):
  a revision inserted as prepared by someone else; a status set to APPROVED or SIGNED by a login
  that is not a member of ``charter_supervisor``; ``approved_by`` / ``signed_by`` naming anyone but
  the login itself; an approval by the revision's preparer; and, while the office setting
  ``four_eyes_sign`` is on, a signature by its approver.

Maintenance connections (superuser, ``charter_owner``) are not held to these rules.
"""

from __future__ import annotations

import sqlalchemy as sa

from planner.persistence.pg_audit import PRIVATE_SCHEMA

#: SQLSTATE of a refusal by the manifest guard (``pg_logins``-style errors map it to one line).
STATE_MANIFEST_GUARD = "CPR10"

_GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION public.charter_manifest_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me text := session_user;
    supervisor boolean := pg_has_role(session_user, 'charter_supervisor', 'MEMBER');
BEGIN
    IF NOT {PRIVATE_SCHEMA}.is_desk_login() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.prepared_by IS DISTINCT FROM me THEN
            RAISE EXCEPTION 'manifest revisions are prepared in one''s own name (%), not %', me, NEW.prepared_by
                USING ERRCODE = '{STATE_MANIFEST_GUARD}';
        END IF;
        IF NEW.status IN ('APPROVED', 'SIGNED') THEN
            RAISE EXCEPTION 'a new manifest revision starts as a draft'
                USING ERRCODE = '{STATE_MANIFEST_GUARD}';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.prepared_by IS DISTINCT FROM OLD.prepared_by THEN
        RAISE EXCEPTION 'who prepared a manifest revision cannot change' USING ERRCODE = '{STATE_MANIFEST_GUARD}';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('APPROVED', 'SIGNED') AND NOT supervisor THEN
        RAISE EXCEPTION '% is not a supervisor: only supervisors approve and sign manifests', me
            USING ERRCODE = '{STATE_MANIFEST_GUARD}';
    END IF;
    IF NEW.approved_by IS DISTINCT FROM OLD.approved_by AND NEW.approved_by IS NOT NULL THEN
        IF NEW.approved_by <> me OR NOT supervisor THEN
            RAISE EXCEPTION 'a manifest is approved in one''s own name by a supervisor (%)', me
                USING ERRCODE = '{STATE_MANIFEST_GUARD}';
        END IF;
        IF NEW.approved_by = NEW.prepared_by THEN
            RAISE EXCEPTION '% prepared this revision; another supervisor must approve it', me
                USING ERRCODE = '{STATE_MANIFEST_GUARD}';
        END IF;
    END IF;
    IF NEW.signed_by IS DISTINCT FROM OLD.signed_by AND NEW.signed_by IS NOT NULL THEN
        IF NEW.signed_by <> me OR NOT supervisor THEN
            RAISE EXCEPTION 'a manifest is signed in one''s own name by a supervisor (%)', me
                USING ERRCODE = '{STATE_MANIFEST_GUARD}';
        END IF;
        IF NEW.signed_by = NEW.approved_by
           AND coalesce((SELECT four_eyes_sign FROM public.office_settings ORDER BY id LIMIT 1), true) THEN
            RAISE EXCEPTION '% approved this revision; another supervisor must sign it', me
                USING ERRCODE = '{STATE_MANIFEST_GUARD}';
        END IF;
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
    cursor = connection.connection.cursor()  # no parameters: the body's '%' stays as it is
    try:
        cursor.execute(_GUARD_FUNCTION)
    finally:
        cursor.close()
    connection.exec_driver_sql(f"ALTER FUNCTION public.charter_manifest_guard() OWNER TO {owner}")
    connection.exec_driver_sql("REVOKE ALL ON FUNCTION public.charter_manifest_guard() FROM PUBLIC")
    connection.exec_driver_sql("DROP TRIGGER IF EXISTS charter_manifest_guard ON manifest")
    connection.exec_driver_sql(
        "CREATE TRIGGER charter_manifest_guard BEFORE INSERT OR UPDATE ON manifest "
        "FOR EACH ROW EXECUTE FUNCTION public.charter_manifest_guard()"
    )
