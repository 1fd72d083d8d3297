"""PostgreSQL enforces the roles (issue 14): each person works through their own database login.

The test server trusts every local connection, so a desk login is simply a URL with no user name
plus the person's name at sign-in (``database_sign_in``); the SCRAM verifier the program stored is
checked in ``pg_authid``. Login roles are cluster-wide: every name here ends in a fresh suffix and
is dropped at the end.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.domain.errors import AuthenticationFailed, InvalidInput, PlannerError, StaleVersion
from planner.entrypoints.cli import main as cli
from planner.persistence import pg_logins, pg_security
from planner.persistence.context import AppContext, build_context
from planner.persistence.models import AuditEvent, Flight, User
from planner.services import database_sign_in, users
from planner.services.auth import SYSTEM
from planner.settings import Settings
from tests.integration.manifests.test_signing_and_cli import P12_PASSWORD, _self_signed_p12
from tests.integration.security.conftest import PASSWORD, Logins, _superuser

pytestmark = pytest.mark.postgres


def _role(name: str) -> tuple:
    rows = _superuser(
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolpassword, "
        "ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "      WHERE m.member = a.oid ORDER BY 1) FROM pg_authid a WHERE rolname = %s",
        (name,),
    )
    return rows[0] if rows else ()


def test_apply_sets_up_owner_groups_and_is_repeatable(pg_ctx: AppContext) -> None:
    for _ in range(2):
        with pg_ctx.engine.begin() as connection:
            pg_security.apply(connection)
    # every table, sequence and view belongs to charter_owner, whom nobody signs in as
    with pg_ctx.engine.connect() as connection:
        owners = connection.execute(
            sa.text(
                "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
                "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S', 'v')"
            )
        ).scalars()
        assert set(owners) == {pg_security.OWNER}
        definers = connection.execute(
            sa.text(
                "SELECT proname, pg_get_userbyid(proowner), proconfig FROM pg_proc "
                "WHERE proname LIKE 'charter_user%' OR proname = 'charter_password_change'"
            )
        ).all()
    assert {d[0] for d in definers} == {"charter_user_add", "charter_user_update", "charter_password_change"}
    assert all(
        d[1] == pg_security.OWNER and d[2] == ["search_path=pg_catalog, public, pg_temp"] for d in definers
    )
    owner = _role(pg_security.OWNER)
    assert owner[0] is False and owner[1] is False and owner[2] is True  # NOLOGIN, not superuser


def test_user_add_creates_a_scram_login_in_the_role_group(logins: Logins) -> None:
    officer = logins.add("olivia", Role.OFFICER)
    can_login, superuser, createrole, password, groups = _role(officer)
    assert can_login and not superuser and not createrole
    assert password.startswith("SCRAM-SHA-256$4096:")
    assert PASSWORD not in password
    assert groups == ["charter_officer"]
    with logins.ctx.uow() as uow:
        row = users.get_account(uow, SYSTEM, officer)
        users.update_user(uow, SYSTEM, officer, role="supervisor", expected_version=row.version)
    assert _role(officer)[4] == ["charter_supervisor"]
    with logins.ctx.uow() as uow:
        row = users.get_account(uow, SYSTEM, officer)
        users.update_user(uow, SYSTEM, officer, active=False, expected_version=row.version)
    assert _role(officer)[0] is False, "a deactivated user's login is NOLOGIN"
    with logins.ctx.uow() as uow:
        users.reset_password(uow, SYSTEM, officer, "Another-long-passphrase-9931")
    assert _role(officer)[3] != password


def test_an_existing_powerful_role_is_not_taken_over(logins: Logins) -> None:
    name = logins.name("boss")
    _superuser(f'CREATE ROLE "{name}" LOGIN CREATEROLE')
    with logins.ctx.uow() as uow, pytest.raises(InvalidInput, match="not a Charter Planner login"):
        users.create_user(uow, SYSTEM, username=name, role="officer", password=PASSWORD)
    assert _role(name)[4] == [], "nothing granted"
    with logins.ctx.uow(write=False) as uow:
        assert uow.session.execute(sa.select(User.id).where(User.username == name)).first() is None


REFUSED_STATEMENTS = [
    "ALTER TABLE audit_event DISABLE TRIGGER USER",
    "UPDATE app_user SET role = 'admin'",
    "SELECT password_hash FROM app_user",
    "DELETE FROM audit_event",
    "UPDATE audit_head SET last_hash = repeat('0', 64)",
    "INSERT INTO audit_event (actor, action, entity, entity_id, changes_json, occurred_at, prev_hash, hash)"
    " VALUES ('x', 'x', 'x', 'x', '{}', now(), 'x', 'x')",
    "CREATE ROLE intruder_x",
    "DROP TABLE person",
    "TRUNCATE person",
    "CREATE TABLE scratch (id int)",
    "ALTER TABLE person ADD COLUMN note text",
    "DROP TRIGGER IF EXISTS charter_audit_mark ON person",
    "GRANT charter_admin TO CURRENT_USER",
    "ALTER ROLE CURRENT_USER SUPERUSER",
    "ALTER ROLE CURRENT_USER CREATEROLE",
]


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN])
def test_the_server_refuses_what_a_desk_may_not_do(logins: Logins, role: Role) -> None:
    desk, _actor = logins.desk(logins.add("desk", role))
    for statement in REFUSED_STATEMENTS:
        with desk.engine.connect() as connection, pytest.raises(sa.exc.DBAPIError) as refused:
            connection.exec_driver_sql(statement)
        assert refused.value.orig.sqlstate in ("42501", "2BP01"), statement  # type: ignore[union-attr]


def test_an_officer_cannot_call_the_user_functions(logins: Logins) -> None:
    desk, _ = logins.desk(logins.add("olivia", Role.OFFICER))
    for call in (
        "SELECT charter_user_add('mallory-x', 'M', 'admin', 'x', NULL)",
        "SELECT charter_user_update('admin', 1, NULL, 'officer', NULL, NULL, NULL, false)",
        "SELECT charter_password_change('admin', 'x', NULL)",
        "SELECT charter_sync_login('mallory-x', 'admin', true, NULL)",
    ):
        with desk.engine.connect() as connection, pytest.raises(sa.exc.DBAPIError) as refused:
            connection.exec_driver_sql(call)
        assert refused.value.orig.sqlstate == "42501", call  # type: ignore[union-attr]


def test_an_admin_desk_manages_users_only_through_the_functions(logins: Logins) -> None:
    admin_desk, admin = logins.desk(logins.add("ada", Role.ADMIN))
    newcomer = logins.name("nina")
    with admin_desk.uow() as uow:
        users.create_user(uow, admin, username=newcomer, role="officer", password=PASSWORD)
    assert _role(newcomer)[4] == ["charter_officer"]
    with admin_desk.uow() as uow:
        row = users.get_account(uow, admin, newcomer)
        users.update_user(uow, admin, newcomer, display_name="Nina N.", expected_version=row.version)
        users.unlock_user(uow, admin, newcomer)
    # the function re-checks the version under its row lock
    with admin_desk.uow() as uow:
        row = users.get_account(uow, admin, newcomer)
        with pytest.raises(StaleVersion, match="changed meanwhile"):
            pg_logins.update_user(uow, newcomer, expected_version=row.version - 1, role="admin")
    assert _role(newcomer)[4] == ["charter_officer"]
    # and the newcomer's own login changes their own password (checked by the server)
    desk, nina = logins.desk(newcomer)
    with desk.uow() as uow:
        users.change_own_password(uow, nina, PASSWORD, "Brand-new-passphrase-7720")
    with desk.uow(write=False) as uow:
        actions = uow.session.execute(
            sa.select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.entity_id == newcomer)
        ).all()
    assert ("user.create", admin.username) in actions
    assert ("user.password_change", newcomer) in actions
    assert ("login.success", newcomer) in actions


def test_a_refused_login_is_one_line_and_changes_nothing(logins: Logins) -> None:
    desk = build_context(Settings(db=logins.no_user_url, data_dir=logins.folder))
    logins.desks.append(desk)
    engine_before = desk.engine
    with pytest.raises(AuthenticationFailed) as refused:
        database_sign_in.sign_in(desk, f"nobody-{logins.suffix}", PASSWORD)
    assert str(refused.value) == database_sign_in.SIGN_IN_REFUSED
    assert desk.engine is engine_before
    gone = logins.add("gone", Role.OFFICER)
    with logins.ctx.uow() as uow:
        row = users.get_account(uow, SYSTEM, gone)
        users.update_user(uow, SYSTEM, gone, active=False, expected_version=row.version)
    with pytest.raises(AuthenticationFailed):
        database_sign_in.sign_in(desk, gone, PASSWORD)


def test_the_program_does_all_its_work_through_desk_logins(
    logins: Logins, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Admin adds users and loads a demo world, an officer plans and prepares a manifest, one
    supervisor approves and another signs, the officer exports PAXLST: all on the command line
    with a URL that names no user, so every command runs as the person's own login."""
    admin = logins.add("ada", Role.ADMIN)
    url = logins.no_user_url
    monkeypatch.setenv("CHARTER_DATA_DIR", str(tmp_path))

    def as_user(username: str, *argv: str) -> int:
        monkeypatch.setenv("CHARTER_USER", username)
        monkeypatch.setenv("CHARTER_PASSWORD", PASSWORD)
        return cli.run(["--db", url, *argv])

    officer, approver, signer = logins.name("olivia"), logins.name("sam"), logins.name("sue")
    monkeypatch.setenv("CHARTER_NEW_PASSWORD", PASSWORD)
    assert as_user(admin, "user", "add", officer, "--role", "officer") == 0
    assert as_user(admin, "user", "add", approver, "--role", "supervisor") == 0
    assert as_user(admin, "user", "add", signer, "--role", "supervisor") == 0
    assert as_user(admin, "demo", "--people", "120", "--flights", "2", "--seed", "7") == 0, (
        capsys.readouterr()
    )
    assert as_user(officer, "plan", "--time-limit", "20") == 0, capsys.readouterr().err
    with logins.ctx.uow(write=False) as uow:
        flights = list(uow.session.execute(sa.select(Flight.code).order_by(Flight.code)).scalars())
    capsys.readouterr()
    prepared = None
    for code in flights:
        if as_user(officer, "manifest", code, "--out", str(tmp_path / f"{code}.pdf")) == 0:
            prepared = code
            break
    assert prepared is not None, capsys.readouterr().err
    assert as_user(approver, "approve", prepared) == 0, capsys.readouterr().err
    p12, _ = _self_signed_p12()
    (tmp_path / "key.p12").write_bytes(p12)
    monkeypatch.setenv("CHARTER_P12_PASSWORD", P12_PASSWORD.decode())
    assert as_user(signer, "sign", prepared, "--p12", str(tmp_path / "key.p12")) == 0, capsys.readouterr().err
    assert as_user(officer, "paxlst", prepared, "--out", str(tmp_path / "out.edi")) == 0, (
        capsys.readouterr().err
    )
    assert (tmp_path / "out.edi").read_text(encoding="utf-8").startswith("UNA")
    assert as_user(officer, "user", "add", logins.name("eve"), "--role", "admin") == 1  # refused, audited
    assert as_user(admin, "settings", "set", "escort_high", "2.5") == 0, capsys.readouterr().err
    assert as_user(officer, "settings", "set", "escort_high", "0.5") != 0  # refused (program and server)
    assert as_user(admin, "audit", "verify") == 0, capsys.readouterr()
    with logins.ctx.uow(write=False) as uow:
        events = {
            (r.actor, r.action) for r in uow.session.execute(sa.select(AuditEvent.actor, AuditEvent.action))
        }
    actors = {actor for actor, _ in events}
    assert {admin, officer, approver, signer} <= actors
    assert any(actor == signer and "sign" in action for actor, action in events), sorted(events)


def test_init_without_rights_says_so_in_one_line(logins: Logins, capsys: pytest.CaptureFixture) -> None:
    name = logins.add("ada", Role.ADMIN)
    desk, _ = logins.desk(name)
    with desk.engine.begin() as connection, pytest.raises(PlannerError) as refused:
        pg_security.apply(connection)
    assert "superuser" in str(refused.value) and "\n" not in str(refused.value)
    as_desk = desk.engine.url.render_as_string(hide_password=False)
    assert cli.run(["--db", as_desk, "init"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs a superuser" in err and name in err
