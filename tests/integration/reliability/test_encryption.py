"""Encryption at rest with SQLCipher: opt-in at ``init --encrypt``, key from CHARTER_DB_KEY."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.entrypoints.cli import main as cli
from planner.persistence.db import SQLITE_HEADER
from tests.conftest import ADMIN_PASSWORD
from tests.integration.imports import synth

pytest.importorskip("sqlcipher3")

KEY = "correct horse battery staple"


@pytest.fixture
def encrypted_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHARTER_DB_KEY", KEY)
    db = tmp_path / "secret.db"
    assert cli.run(["--db", str(db), "init", "--admin", "admin", "--encrypt"]) == 0
    people = synth.roster_rows(30)
    files = {
        "facilities": synth.facilities_csv(),
        "roster": synth.to_csv(synth.ROSTER_HEADER, people),
        "verification": synth.to_csv(synth.VERIFICATION_HEADER, synth.verification_rows(people)),
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        assert cli.run(["--db", str(db), "import", kind, str(path)]) == 0
    return db


def _all_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


def test_file_shows_no_header_and_no_case_or_passport_number(encrypted_db: Path, capsys) -> None:
    data = _all_bytes(encrypted_db)
    assert not encrypted_db.read_bytes().startswith(SQLITE_HEADER)
    assert b"SQLite format 3" not in data
    person = synth.roster_rows(30)[7]
    passport = synth.verification_rows([person])[0]["document_number"]
    for secret in (person["case_number"], passport, "A3000000", "P100000"):
        assert secret.encode() not in data
        assert secret.encode("utf-16-le") not in data
    capsys.readouterr()
    assert cli.run(["--db", str(encrypted_db), "explain", person["case_number"]]) == 0  # key works


def test_wrong_or_missing_key_fails_clearly(
    encrypted_db: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    capsys.readouterr()
    monkeypatch.setenv("CHARTER_DB_KEY", "not the key at all")
    assert cli.run(["--db", str(encrypted_db), "audit", "verify"]) == 1
    assert "wrong encryption key" in capsys.readouterr().err
    monkeypatch.delenv("CHARTER_DB_KEY")
    assert cli.run(["--db", str(encrypted_db), "audit", "verify"]) == 1
    assert "is encrypted" in capsys.readouterr().err


def test_backup_of_encrypted_database_stays_encrypted_and_restores(encrypted_db: Path, capsys) -> None:
    out = encrypted_db.parent / "backup.db"
    assert cli.run(["--db", str(encrypted_db), "backup", "--out", str(out)]) == 0
    assert b"SQLite format 3" not in out.read_bytes()
    assert b"A300000007" not in out.read_bytes()
    assert cli.run(["--db", str(encrypted_db), "restore", str(out)]) == 0
    assert cli.run(["--db", str(encrypted_db), "audit", "verify"]) == 0
    assert "audit chain intact" in capsys.readouterr().out


def test_encrypt_refuses_an_existing_plain_database(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CHARTER_DATA_DIR", str(tmp_path))
    db = tmp_path / "plain.db"
    assert cli.run(["--db", str(db), "init", "--admin", "admin"]) == 0
    monkeypatch.setenv("CHARTER_DB_KEY", KEY)
    assert cli.run(["--db", str(db), "init", "--encrypt"]) == 2
    assert "already exists unencrypted" in capsys.readouterr().err
