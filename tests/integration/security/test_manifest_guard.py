"""The server holds approve and sign to supervisors and four eyes (``pg_guards``), whatever client
a desk uses: the rules hold for a desk login running its own SQL, not only for the program."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.persistence import server_refusals
from tests.conftest import _libpq
from tests.integration.security.conftest import Logins

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
    approve = "UPDATE manifest SET status = 'APPROVED', approved_by = %s WHERE id = %s"

    assert "not a supervisor" in _refused(logins, officer, approve, (officer, manifest))
    assert "not a supervisor" in _refused(logins, admin, approve, (admin, manifest))
    assert "own name" in _refused(logins, sue, approve, (sam, manifest))  # in someone else's name
    assert "another supervisor must approve" in _refused(logins, sam, approve, (sam, manifest))
    assert "cannot change" in _refused(
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
    sign = "UPDATE manifest SET status = 'SIGNED', signed_by = %s WHERE id = %s"
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
