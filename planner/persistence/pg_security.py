"""PostgreSQL only: the database enforces the roles (issue 14).

``apply(connection)`` (idempotent; ``init`` runs it after the migrations, from a superuser
connection) sets up:

- the cluster roles ``charter_owner`` (NOLOGIN, CREATEROLE: owns every table, sequence, view and
  function of schema ``public`` and the SECURITY DEFINER functions; nobody signs in with it) and
  the NOLOGIN groups ``charter_officer``, ``charter_supervisor``, ``charter_admin`` (the last two
  are members of ``charter_officer``, which holds the table privileges);
- the privileges a desk's work needs and no more: SELECT on every table; INSERT, UPDATE, DELETE
  on the business tables; USAGE on sequences; ``alembic_version`` read-only; ``app_user``
  readable except its secret columns (``password_hash``) and never writable; ``audit_event`` /
  ``audit_anchor`` append-only and ``audit_head`` updatable (``pg_audit.install`` narrows the
  audit further). Only owners may run DDL, TRUNCATE, or change triggers, and nobody signs in as
  the owner;
- the SECURITY DEFINER functions through which the only writes to users and login roles happen
  (``USER_FUNCTIONS``). Each person signs in as a login role of their user name, member of the
  group of their app role; ``NOLOGIN`` while deactivated; its password is a SCRAM-SHA-256
  verifier computed by the client (``planner.persistence.pg_logins``), never the plain password.

A person's login role is created on first use, or taken over when a role of that name exists and
is a plain member of a charter group; any other existing role (a superuser, CREATEROLE, another
application's login) is refused.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from planner.domain.errors import PlannerError

log = logging.getLogger(__name__)

OWNER = "charter_owner"
#: App role -> group role of its login.
GROUPS = {"officer": "charter_officer", "supervisor": "charter_supervisor", "admin": "charter_admin"}
CHARTER_ROLES = (OWNER, *GROUPS.values())
#: Tables a desk may only read (or, for the audit, only append to: see ``_grant``).
READ_ONLY_TABLES = frozenset({"alembic_version", "app_user"})
APPEND_ONLY_TABLES = frozenset({"audit_event", "audit_anchor"})
#: Columns of ``app_user`` no desk may read.
SECRET_COLUMN_WORDS = ("password", "verifier", "secret")

#: SQLSTATEs the user functions raise (``pg_logins`` turns them into the planner's errors).
STATE_ROLE_TAKEN = "CPR01"
STATE_STALE = "CPR02"
STATE_LAST_ADMIN = "CPR03"
STATE_NO_USER = "CPR04"
STATE_BAD_INPUT = "CPR05"

#: The SECURITY DEFINER functions (signature -> group allowed to EXECUTE).
USER_FUNCTIONS = {
    "charter_user_add(text, text, text, text, text)": GROUPS["admin"],
    "charter_user_update(text, integer, text, text, boolean, text, text, boolean)": GROUPS["admin"],
    "charter_password_change(text, text, text)": GROUPS["officer"],
}
#: ``pg_temp`` named last: unlisted, PostgreSQL would search a caller's temporary tables FIRST, and a
#: desk could shadow ``app_user`` or ``pg_auth_members`` inside these functions (desks keep
#: TEMPORARY: the bulk writes stage rows in temporary tables).
_DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"

_FUNCTIONS_SQL = [
    f"""
CREATE OR REPLACE FUNCTION charter_may_manage_users() RETURNS boolean
LANGUAGE sql STABLE {_DEFINER} AS $$
    SELECT pg_has_role(session_user, 'charter_admin', 'MEMBER')
        OR pg_has_role(session_user, 'charter_owner', 'MEMBER')
$$""",
    # Internal (EXECUTE only for its owner): create, take over or update the login role.
    f"""
CREATE OR REPLACE FUNCTION charter_sync_login(
    p_username text, p_role text, p_active boolean, p_verifier text
) RETURNS void LANGUAGE plpgsql {_DEFINER} AS $$
DECLARE
    existing pg_roles%ROWTYPE;
    wanted text := 'charter_' || p_role;
    grp text;
    is_member boolean;
BEGIN
    IF p_role IS NULL OR p_role NOT IN ('officer', 'supervisor', 'admin') THEN
        RAISE EXCEPTION 'role %: one of officer, supervisor, admin', p_role USING ERRCODE = '{STATE_BAD_INPUT}';
    END IF;
    IF p_verifier IS NOT NULL
       AND p_verifier !~ '^SCRAM-SHA-256[$][0-9]+:[A-Za-z0-9+/=]+[$][A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' THEN
        RAISE EXCEPTION 'a login password must be given as a SCRAM-SHA-256 verifier'
            USING ERRCODE = '{STATE_BAD_INPUT}';
    END IF;
    SELECT * INTO existing FROM pg_roles WHERE rolname = p_username;
    IF NOT FOUND THEN
        IF p_username LIKE 'pg\\_%' OR p_username IN ('public', 'none') THEN
            RAISE EXCEPTION 'user name %: reserved by PostgreSQL; choose another', p_username
                USING ERRCODE = '{STATE_ROLE_TAKEN}';
        END IF;
        EXECUTE format('CREATE ROLE %I NOLOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE '
                       'NOREPLICATION NOBYPASSRLS', p_username);
        SELECT * INTO existing FROM pg_roles WHERE rolname = p_username;
    ELSIF existing.rolsuper OR existing.rolcreaterole OR existing.rolcreatedb OR existing.rolreplication
          OR existing.rolbypassrls OR p_username IN ('charter_owner', 'charter_officer',
                                                     'charter_supervisor', 'charter_admin')
          OR NOT EXISTS (
              SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
              WHERE m.member = existing.oid
                AND g.rolname IN ('charter_officer', 'charter_supervisor', 'charter_admin')) THEN
        RAISE EXCEPTION 'database role % exists already and is not a Charter Planner login; '
                        'choose another user name', p_username USING ERRCODE = '{STATE_ROLE_TAKEN}';
    END IF;
    FOREACH grp IN ARRAY ARRAY['charter_officer', 'charter_supervisor', 'charter_admin'] LOOP
        is_member := EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                             WHERE m.member = existing.oid AND g.rolname = grp);
        IF grp = wanted AND NOT is_member THEN
            EXECUTE format('GRANT %I TO %I', grp, p_username);
        ELSIF grp <> wanted AND is_member THEN
            EXECUTE format('REVOKE %I FROM %I', grp, p_username);
        END IF;
    END LOOP;
    IF existing.rolcanlogin IS DISTINCT FROM p_active THEN
        EXECUTE format('ALTER ROLE %I %s', p_username, CASE WHEN p_active THEN 'LOGIN' ELSE 'NOLOGIN' END);
    END IF;
    IF p_verifier IS NOT NULL THEN
        EXECUTE format('ALTER ROLE %I PASSWORD %L', p_username, p_verifier);
    END IF;
END
$$""",
    f"""
CREATE OR REPLACE FUNCTION charter_user_add(
    p_username text, p_display_name text, p_role text, p_password_hash text, p_verifier text
) RETURNS integer LANGUAGE plpgsql {_DEFINER} AS $$
DECLARE
    new_id integer;
BEGIN
    IF NOT charter_may_manage_users() THEN
        RAISE EXCEPTION '% may not add users: needs admin', session_user USING ERRCODE = '42501';
    END IF;
    IF EXISTS (SELECT 1 FROM app_user WHERE username = p_username) THEN
        RAISE EXCEPTION 'user % exists already', quote_literal(p_username) USING ERRCODE = '{STATE_BAD_INPUT}';
    END IF;
    INSERT INTO app_user (username, display_name, role, password_hash, failed_logins, locked_until,
                          active, created_at, version)
    VALUES (p_username, p_display_name, p_role, p_password_hash, 0, NULL, true,
            now() AT TIME ZONE 'UTC', 1)
    RETURNING id INTO new_id;
    PERFORM charter_sync_login(p_username, p_role, true, p_verifier);
    RETURN new_id;
END
$$""",
    f"""
CREATE OR REPLACE FUNCTION charter_user_update(
    p_username text, p_expected_version integer, p_display_name text, p_role text,
    p_active boolean, p_password_hash text, p_verifier text, p_clear_lock boolean
) RETURNS integer LANGUAGE plpgsql {_DEFINER} AS $$
DECLARE
    old app_user%ROWTYPE;
    new_role text;
    new_active boolean;
BEGIN
    IF NOT charter_may_manage_users() THEN
        RAISE EXCEPTION '% may not change users: needs admin', session_user USING ERRCODE = '42501';
    END IF;
    SELECT * INTO old FROM app_user WHERE username = p_username FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no user %', quote_literal(p_username) USING ERRCODE = '{STATE_NO_USER}';
    END IF;
    IF old.version <> p_expected_version THEN
        RAISE EXCEPTION 'user % was changed meanwhile (version %, you edited version %); reload and try again',
            p_username, old.version, p_expected_version USING ERRCODE = '{STATE_STALE}';
    END IF;
    new_role := coalesce(p_role, old.role);
    new_active := coalesce(p_active, old.active);
    IF old.role = 'admin' AND old.active AND NOT (new_role = 'admin' AND new_active) THEN
        PERFORM 1 FROM app_user WHERE role = 'admin' AND active AND username <> p_username FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION '% is the last active admin; make another user an admin first, '
                            'or nobody could manage users any more', p_username
                USING ERRCODE = '{STATE_LAST_ADMIN}';
        END IF;
    END IF;
    UPDATE app_user SET
        display_name = coalesce(p_display_name, display_name),
        role = new_role,
        active = new_active,
        password_hash = coalesce(p_password_hash, password_hash),
        failed_logins = CASE WHEN p_clear_lock THEN 0 ELSE failed_logins END,
        locked_until = CASE WHEN p_clear_lock THEN NULL ELSE locked_until END,
        version = version + 1
    WHERE id = old.id;
    PERFORM charter_sync_login(p_username, new_role, new_active, p_verifier);
    RETURN old.version + 1;
END
$$""",
    f"""
CREATE OR REPLACE FUNCTION charter_password_change(
    p_username text, p_password_hash text, p_verifier text
) RETURNS integer LANGUAGE plpgsql {_DEFINER} AS $$
DECLARE
    changed app_user%ROWTYPE;
BEGIN
    IF p_username IS DISTINCT FROM session_user::text AND NOT charter_may_manage_users() THEN
        RAISE EXCEPTION '% may change only their own password', session_user USING ERRCODE = '42501';
    END IF;
    UPDATE app_user SET password_hash = p_password_hash, failed_logins = 0, locked_until = NULL,
                        version = version + 1
    WHERE username = p_username AND active
    RETURNING * INTO changed;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no active user %', quote_literal(p_username) USING ERRCODE = '{STATE_NO_USER}';
    END IF;
    PERFORM charter_sync_login(p_username, changed.role, true, p_verifier);
    RETURN changed.version;
END
$$""",
]


def apply(connection: sa.Connection) -> None:
    """Create or refresh the roles, ownership, privileges and user functions (see the module
    docstring), then ``pg_audit.install``. Idempotent; runs in ``connection``'s transaction.
    ``PlannerError`` (one line) when the connection lacks the rights."""
    from planner.persistence import pg_audit, pg_guards

    if connection.dialect.name != "postgresql":
        return
    me = require_rights(connection)
    try:
        with connection.begin_nested():
            _ensure_roles(connection)
            _take_ownership(connection)
            _grant(connection)
            _install_user_functions(connection)
            pg_audit.install(connection)
            pg_guards.install(connection, OWNER, GROUPS)
            _take_ownership(connection)  # what pg_audit.install and pg_guards.install created
    except sa.exc.ProgrammingError as exc:
        raise PlannerError(
            f"cannot set up the database roles as {me}: {_first_line(exc)}; run 'init' as a superuser"
        ) from exc
    log.info("PostgreSQL roles, privileges and user functions applied")


def require_rights(connection: sa.Connection) -> str:
    """The connection's role name; ``PlannerError`` (one line) unless it may set up the roles
    (a superuser, or a CREATEROLE owner)."""
    me, superuser, createrole = connection.execute(
        sa.text("SELECT rolname, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).one()
    if not (superuser or createrole):
        raise PlannerError(
            f"setting up the database roles needs a superuser (or a CREATEROLE owner) connection; "
            f"{me} is neither: run 'init' with a superuser's CHARTER_DB"
        )
    return str(me)


def _first_line(exc: sa.exc.DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0]


def _ensure_roles(connection: sa.Connection) -> None:
    existing = set(
        connection.execute(
            sa.text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"),
            {"names": list(CHARTER_ROLES)},
        ).scalars()
    )
    if OWNER not in existing:
        connection.exec_driver_sql(f"CREATE ROLE {OWNER} NOLOGIN CREATEROLE")
    connection.exec_driver_sql(f"ALTER ROLE {OWNER} NOLOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS")
    for group in GROUPS.values():
        if group not in existing:
            connection.exec_driver_sql(f"CREATE ROLE {group} NOLOGIN")
        connection.exec_driver_sql(f"ALTER ROLE {group} NOLOGIN NOCREATEROLE NOSUPERUSER NOBYPASSRLS")
    for group in (GROUPS["supervisor"], GROUPS["admin"]):
        if not _is_member(connection, group, GROUPS["officer"]):
            connection.exec_driver_sql(f"GRANT {GROUPS['officer']} TO {group}")
    if int(connection.execute(sa.text("SHOW server_version_num")).scalar_one()) >= 160000:
        # PostgreSQL 16+: CREATEROLE alone no longer lets the owner grant the groups.
        for group in GROUPS.values():
            connection.exec_driver_sql(
                f"GRANT {group} TO {OWNER} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE"
            )


def _is_member(connection: sa.Connection, member: str, group: str) -> bool:
    return bool(
        connection.execute(
            sa.text(
                "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :member AND g.rolname = :group"
            ),
            {"member": member, "group": group},
        ).first()
    )


_NOT_EXTENSION_MEMBER = (
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = {catalog}::regclass "
    "AND d.objid = {oid} AND d.deptype = 'e')"
)


def _take_ownership(connection: sa.Connection) -> None:
    """Make ``charter_owner`` the owner of every relation and function of schema public that an
    extension does not own (sequences of a column follow their table)."""
    relations = connection.execute(
        sa.text(
            "SELECT c.relkind, quote_ident(c.relname) FROM pg_class c "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
            "AND pg_get_userbyid(c.relowner) <> :owner AND "
            + _NOT_EXTENSION_MEMBER.format(catalog="'pg_class'", oid="c.oid")
            + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
            "AND d.objid = c.oid AND d.deptype IN ('a', 'i') AND c.relkind = 'S') "
            "ORDER BY c.relkind DESC"
        ),
        {"owner": OWNER},
    ).all()
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    for kind, name in relations:
        connection.exec_driver_sql(f"ALTER {kinds[kind]} {name} OWNER TO {OWNER}")
    functions = connection.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "WHERE p.pronamespace = 'public'::regnamespace AND pg_get_userbyid(p.proowner) <> :owner AND "
            + _NOT_EXTENSION_MEMBER.format(catalog="'pg_proc'", oid="p.oid")
        ),
        {"owner": OWNER},
    ).scalars()
    for signature in functions:
        connection.exec_driver_sql(f"ALTER ROUTINE {signature} OWNER TO {OWNER}")


def _grant(connection: sa.Connection) -> None:
    """Reset and grant the groups' privileges on schema public's tables and sequences."""
    everyone = ", ".join(["PUBLIC", *GROUPS.values()])
    officer = GROUPS["officer"]
    # the schema's owner could drop what it holds: not the database owner (an old shared login)
    connection.exec_driver_sql(f"ALTER SCHEMA public OWNER TO {OWNER}")
    connection.exec_driver_sql(f"REVOKE CREATE ON SCHEMA public FROM {everyone}")
    connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {', '.join(GROUPS.values())}")
    connection.exec_driver_sql(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {everyone}")
    connection.exec_driver_sql(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {everyone}")
    connection.exec_driver_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {officer}")
    # setval (the demo generator moves sequences past ids it set) on the business tables' sequences
    for sequence in connection.execute(
        sa.text(
            "SELECT s.oid::regclass::text FROM pg_class s JOIN pg_depend d ON d.classid = 'pg_class'::regclass "
            "AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
            "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S' "
            "AND s.relnamespace = 'public'::regnamespace AND NOT t.relname = ANY(:protected)"
        ),
        {"protected": sorted(READ_ONLY_TABLES | APPEND_ONLY_TABLES | {"audit_head"})},
    ).scalars():
        connection.exec_driver_sql(f"GRANT UPDATE ON SEQUENCE {sequence} TO {officer}")
    tables = connection.execute(
        sa.text(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
            "AND c.relkind IN ('r', 'p', 'v', 'm') AND "
            + _NOT_EXTENSION_MEMBER.format(catalog="'pg_class'", oid="c.oid")
        )
    ).scalars()
    for table in tables:
        name = connection.dialect.identifier_preparer.quote(table)
        if table == "app_user":
            columns = ", ".join(
                connection.dialect.identifier_preparer.quote(column)
                for column in _readable_user_columns(connection)
            )
            connection.exec_driver_sql(f"GRANT SELECT ({columns}) ON app_user TO {officer}")
        elif table in READ_ONLY_TABLES:
            connection.exec_driver_sql(f"GRANT SELECT ON {name} TO {officer}")
        elif table in APPEND_ONLY_TABLES:
            connection.exec_driver_sql(f"GRANT SELECT, INSERT ON {name} TO {officer}")
        elif table == "audit_head":
            connection.exec_driver_sql(f"GRANT SELECT, UPDATE ON {name} TO {officer}")
        else:
            connection.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {officer}")


def _readable_user_columns(connection: sa.Connection) -> list[str]:
    columns = connection.execute(
        sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = 'app_user' ORDER BY ordinal_position"
        )
    ).scalars()
    return [c for c in columns if not any(word in c for word in SECRET_COLUMN_WORDS)]


def _install_user_functions(connection: sa.Connection) -> None:
    cursor = connection.connection.cursor()  # no parameters: the bodies' '%' stay as they are
    try:
        for statement in _FUNCTIONS_SQL:
            cursor.execute(statement)
    finally:
        cursor.close()
    internal = ["charter_may_manage_users()", "charter_sync_login(text, text, boolean, text)"]
    for signature in [*internal, *USER_FUNCTIONS]:
        connection.exec_driver_sql(f"ALTER FUNCTION {signature} OWNER TO {OWNER}")
        connection.exec_driver_sql(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        connection.exec_driver_sql(f"REVOKE ALL ON FUNCTION {signature} FROM {', '.join(GROUPS.values())}")
    for signature, group in USER_FUNCTIONS.items():
        connection.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {signature} TO {group}")
    if connection.execute(sa.text("SELECT to_regprocedure('public.fold(text)')")).scalar() is not None:
        connection.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION public.fold(text) TO {GROUPS['officer']}")
