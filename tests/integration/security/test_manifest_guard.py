"""The server holds approve and sign to supervisors and four eyes (``pg_guards``), whatever client
a desk uses: the rules hold for a desk login running its own SQL, not only for the program."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.persistence import server_refusals
from tests.conftest import _libpq
from tests.integration.security.conftest import Logins, _superuser

pytestmark = pytest.mark.postgres


def _desk_sql(logins: Logins, username: str, sql: str, params: tuple = ()) -> None:
    """Run ``sql`` as ``username``'s own login (the test server trusts local connections)."""
    url = logins.ctx.engine.url.set(drivername="postgresql", username=username, password=None)
    with psycopg.connect(_libpq(url.render_as_string(hide_password=False))) as conn:
        conn.execute(sql, params)


def _manifest(logins: Logins, prepared_by: str) -> int:
    airport = _superuser_in(logins, "SELECT iata FROM airport ORDER BY iata LIMIT 1")[0][0]
    flight = _superuser_in(
        logins,
        "INSERT INTO flight (code, carrier, aircraft, departure_airport, departure_utc, seats, "
        "escort_officers, medical_slots, wheelchair_slots, status, version) VALUES "
        "('GD0001', 'Test Air', 'A320', %s, %s, 100, 10, 0, 0, 'PLANNED', 1) RETURNING id",
        (airport, datetime(2027, 1, 5, 9, tzinfo=UTC)),
    )[0][0]
    return _superuser_in(
        logins,
        "INSERT INTO manifest (flight_id, revision, status, sha256, content_json, prepared_by, "
        "prepared_at, version) VALUES (%s, 1, 'DRAFT', %s, '{}', %s, now(), 1) RETURNING id",
        (flight, "0" * 64, prepared_by),
    )[0][0]


def _superuser_in(logins: Logins, sql: str, params: tuple = ()) -> list[tuple]:
    database = logins.ctx.engine.url.database
    with psycopg.connect(
        _libpq(str(logins.ctx.engine.url.set(drivername="postgresql"))), autocommit=True
    ) as c:
        assert c.info.dbname == database
        cursor = c.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _refused(logins: Logins, username: str, sql: str, params: tuple = ()) -> str:
    with pytest.raises(psycopg.Error) as refused:
        _desk_sql(logins, username, sql, params)
    return str(refused.value)


def test_only_supervisors_approve_and_sign_in_their_own_name_with_four_eyes(logins: Logins) -> None:
    officer = logins.add("olivia", Role.OFFICER)
    admin = logins.add("ada", Role.ADMIN)
    sam = logins.add("sam", Role.SUPERVISOR)
    sue = logins.add("sue", Role.SUPERVISOR)
    manifest = _manifest(logins, prepared_by=sam)
    approve = "UPDATE manifest SET status = 'APPROVED', approved_by = %s, approved_at = now() WHERE id = %s"

    assert "not a supervisor" in _refused(logins, officer, approve, (officer, manifest))
    assert "not a supervisor" in _refused(logins, admin, approve, (admin, manifest))
    assert "own name" in _refused(logins, sue, approve, (sam, manifest))  # in someone else's name
    assert "another supervisor must approve" in _refused(logins, sam, approve, (sam, manifest))
    assert "never change" in _refused(
        logins, sue, "UPDATE manifest SET prepared_by = %s WHERE id = %s", (officer, manifest)
    )
    assert "one's own name" in _refused(
        logins,
        officer,
        "INSERT INTO manifest (flight_id, revision, status, sha256, content_json, prepared_by, prepared_at, "
        "version) SELECT flight_id, 2, 'DRAFT', sha256, content_json, %s, now(), 1 FROM manifest WHERE id = %s",
        (sam, manifest),
    )
    # the rules hold before the audit rule is even asked: nothing changed
    assert _superuser_in(logins, "SELECT status, approved_by FROM manifest WHERE id = %s", (manifest,)) == [
        ("DRAFT", None)
    ]

    # a maintenance connection approves in sue's name; sue may then not sign what she approved
    _superuser_in(
        logins, "UPDATE manifest SET status = 'APPROVED', approved_by = %s WHERE id = %s", (sue, manifest)
    )
    sign = "UPDATE manifest SET status = 'SIGNED', signed_by = %s, signed_at = now() WHERE id = %s"
    assert "another supervisor must sign" in _refused(logins, sue, sign, (sue, manifest))
    _superuser_in(logins, "UPDATE office_settings SET four_eyes_sign = false")
    message = _refused(logins, sue, sign, (sue, manifest))  # now only the audit rule stops raw SQL
    assert "another supervisor must sign" not in message


def test_office_settings_are_written_by_admins_only(logins: Logins) -> None:
    officer = logins.add("olivia", Role.OFFICER)
    sam = logins.add("sam", Role.SUPERVISOR)
    for desk in (officer, sam):
        message = _refused(logins, desk, "UPDATE office_settings SET escort_high = 0.1")
        assert "permission denied" in message
    _desk_sql(logins, officer, "SELECT * FROM office_settings")  # reading is fine


def test_a_server_refusal_is_one_line_for_the_program() -> None:
    class Orig(Exception):
        sqlstate = "CPR10"

    exc = sa.exc.DBAPIError(
        "UPDATE manifest …",
        {},
        Orig("sam prepared this revision; another supervisor must approve it\nCONTEXT: …"),
    )
    refusal = server_refusals.as_planner_error(exc)
    assert refusal is not None and "\n" not in str(refusal)
    assert (
        str(refusal) == "the database refused: sam prepared this revision; another supervisor must approve it"
    )
    assert server_refusals.as_planner_error(ValueError("x")) is None


def test_a_manifest_follows_its_workflow_even_in_raw_sql(logins: Logins) -> None:
    """Found in review: signed rows rewritten, demoted or deleted, DRAFT signed straight away, an
    approver filled in at insert, a signed PDF forged — all refused for desk logins."""
    officer = logins.add("olivia", Role.OFFICER)
    sam = logins.add("sam", Role.SUPERVISOR)
    sue = logins.add("sue", Role.SUPERVISOR)
    draft = _manifest(logins, prepared_by=sam)
    assert "DRAFT -> APPROVED -> SIGNED" in _refused(
        logins,
        sam,
        "UPDATE manifest SET status = 'SIGNED', signed_by = %s, signed_at = now() WHERE id = %s",
        (sam, draft),
    )
    assert "unapproved, unsigned draft" in _refused(
        logins,
        sam,
        "INSERT INTO manifest (flight_id, revision, status, sha256, content_json, prepared_by, prepared_at, "
        "approved_by, approved_at, version) SELECT flight_id, 9, 'DRAFT', sha256, '{}', %s, now(), %s, now(), 1 "
        "FROM manifest WHERE id = %s",
        (sam, sue, draft),
    )
    _superuser_in(
        logins,
        "UPDATE manifest SET status = 'SIGNED', approved_by = %s, approved_at = now(), signed_by = %s, "
        "signed_at = now() WHERE id = %s",
        (sue, sam, draft),
    )
    for statement, words in (
        ("UPDATE manifest SET content_json = '{}', sha256 = repeat('b', 64) WHERE id = %s", "never change"),
        ("UPDATE manifest SET status = 'DRAFT' WHERE id = %s", "not SIGNED -> DRAFT"),
        ("UPDATE manifest SET signed_by = NULL, signed_at = NULL WHERE id = %s", "recorded once"),
        ("DELETE FROM manifest WHERE id = %s", "never deleted"),
    ):
        assert words in _refused(logins, officer, statement, (draft,)), statement
    assert "only the supervisor who signed" in _refused(
        logins,
        officer,
        "INSERT INTO manifest_signature (manifest_id, pdf, pdf_sha256, signer_subject, certificate_sha256, "
        "signed_by, signed_at) VALUES (%s, 'x', repeat('d', 64), 'CN=forged', repeat('e', 64), %s, now())",
        (draft, officer),
    )


def test_a_temporary_table_cannot_shadow_the_users_inside_the_definer_functions(logins: Logins) -> None:
    """Found in review: with pg_temp unlisted in their search_path, an officer's temporary
    ``app_user`` made ``charter_password_change`` grant it the admin group."""
    officer = logins.add("olivia", Role.OFFICER)
    url = logins.ctx.engine.url.set(drivername="postgresql", username=officer, password=None)
    with psycopg.connect(_libpq(url.render_as_string(hide_password=False))) as conn:
        conn.execute(
            "CREATE TEMP TABLE app_user AS SELECT * FROM (VALUES (1, %s::varchar, 'x'::varchar, "
            "'admin'::varchar, 'h'::varchar, 0, NULL::timestamp, true, now()::timestamp, 1)) "
            "v(id, username, display_name, role, password_hash, failed_logins, locked_until, active, "
            "created_at, version)",
            (officer,),
        )
        conn.execute("GRANT ALL ON pg_temp.app_user TO PUBLIC")
        with contextlib.suppress(psycopg.Error):  # its own password change: refused at commit (no event)
            conn.execute("SELECT charter_password_change(%s, 'h', NULL)", (officer,))
            conn.commit()
    groups = _superuser(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s",
        (officer,),
    )
    assert [g for (g,) in groups] == ["charter_officer"]
