"""CSV imports: samples, encodings, every error class, all-or-nothing, idempotence, identity, audit, CLI."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.domain.errors import PermissionDenied
from planner.domain.names import has_han, latin_transliteration
from planner.entrypoints.cli.main import run
from planner.persistence.context import AppContext
from planner.persistence.models import (
    AuditEvent,
    Flight,
    FlightStop,
    Manifest,
    NationalityVerification,
    Person,
    TravelDocument,
)
from planner.services.auth import Actor
from planner.services.imports import ImportCancelled, ImportRejected
from tests.conftest import ADMIN_PASSWORD, ContextMaker

from .conftest import SAMPLE_ORDER, content, do_import, sample_bytes, snapshot
from .synth import ROSTER_HEADER, facilities_csv, roster_rows, to_csv


def sample_text(name: str) -> str:
    return sample_bytes(name).decode("utf-8")


def edit(text: str, line: int, old: str, new: str) -> bytes:
    """``text`` with ``old`` replaced by ``new`` on physical line ``line`` (1 = header)."""
    lines = text.split("\n")
    assert old in lines[line - 1], (old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "\n".join(lines).encode("utf-8")


def rejected(ctx: AppContext, actor: Actor, kind: str, data: bytes) -> ImportRejected:
    """Import ``data``, expect rejection, and prove the database did not change."""
    before = snapshot(ctx)
    with pytest.raises(ImportRejected) as info:
        do_import(ctx, actor, kind, data)
    assert snapshot(ctx) == before
    for error in info.value.report.errors:
        assert error.line >= 1 and error.column and error.message
    return info.value


def audit_events(ctx: AppContext, action: str) -> list[tuple[str, str, dict]]:
    """``(entity_id, actor, changes)`` of every event with ``action``, in order."""
    with ctx.uow(write=False) as uow:
        rows = uow.session.execute(
            sa.select(AuditEvent.entity_id, AuditEvent.actor, AuditEvent.changes_json)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ).all()
    return [(entity_id, actor, json.loads(changes)) for entity_id, actor, changes in rows]


# ---------------------------------------------------------------- samples, idempotence, dry run


def test_samples_import_in_order_then_reimport_changes_nothing(ctx: AppContext, admin: Actor) -> None:
    expected_new = {"facilities": 30, "flights": 6, "roster": 60, "verification": 64, "escorts": 5}
    for kind, name in SAMPLE_ORDER:
        dry = do_import(ctx, admin, kind, sample_bytes(name), name=name, dry_run=True)
        assert (dry.new, dry.rejected, dry.written) == (expected_new[kind], 0, False)
        report = do_import(ctx, admin, kind, sample_bytes(name), name=name)
        assert (report.new, report.updated, report.unchanged) == (expected_new[kind], 0, 0)
    before = snapshot(ctx)
    for kind, name in SAMPLE_ORDER:
        again = do_import(ctx, admin, kind, sample_bytes(name), name=name)
        assert (again.new, again.updated, again.unchanged) == (0, 0, expected_new[kind])
        assert "nothing to change" in again.summary()
    again = do_import(ctx, admin, "verification", sample_bytes("verification-gb18030.csv"))
    assert again.encoding == "GB18030" and again.unchanged == 64
    assert snapshot(ctx) == before


def test_both_encodings_of_the_verification_list_give_identical_content(
    samples_loaded: AppContext, admin: Actor, contexts: ContextMaker, backend: str
) -> None:
    other = contexts.make(backend)
    for kind, name in SAMPLE_ORDER[:3]:
        do_import(other, admin, kind, sample_bytes(name), name=name)
    do_import(samples_loaded, admin, "verification", sample_bytes("verification.csv"))
    report = do_import(other, admin, "verification", sample_bytes("verification-gb18030.csv"))
    assert report.encoding == "GB18030"
    assert content(samples_loaded) == content(other)
    with other.uow(write=False) as uow:
        names = set(uow.session.execute(sa.select(Person.native_name)).scalars())
    assert "郑磊" in names


def test_dry_run_writes_nothing_and_counts(samples_loaded: AppContext, admin: Actor) -> None:
    text = sample_text("roster.csv")
    data = (
        edit(text, 3, "FAC27", "FAC01")
        + b"A299999999,NEW,ONE,,M,1990-01-01,,MEX,FAC01,LOW,NONE,,FINAL,,,,3,IN_CUSTODY\n"
    )
    before = snapshot(samples_loaded)
    report = do_import(samples_loaded, admin, "roster", data, dry_run=True)
    assert (report.new, report.updated, report.unchanged, report.rejected) == (1, 1, 59, 0)
    assert report.dry_run and not report.written and report.summary().startswith("dry run")
    assert snapshot(samples_loaded) == before


# ---------------------------------------------------------------- encodings and reading


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "gb18030"])
@pytest.mark.parametrize("delimiter", [",", ";"])
def test_every_encoding_round_trips_hanzi_exactly(
    ctx: AppContext, admin: Actor, encoding: str, delimiter: str
) -> None:
    do_import(ctx, admin, "facilities", facilities_csv().encode())
    rows = roster_rows(40)
    rows[0]["family_name"], rows[0]["native_name"] = "欧阳", "欧阳娜娜"
    rows[1]["native_name"] = "𠀋𡈽"  # outside the BMP: four bytes in GB18030, a surrogate pair in UTF-16
    text = to_csv(ROSTER_HEADER, rows, delimiter)
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    report = do_import(ctx, admin, "roster", data)
    assert report.new == 40 and report.delimiter == delimiter
    with ctx.uow(write=False) as uow:
        stored = {
            p.case_number: (p.family_name, p.given_names, p.native_name)
            for p in uow.session.execute(sa.select(Person)).scalars()
        }
    # Han in the Latin name fields is stored as pinyin, the Han text exactly as the native name
    # (every such row here has one; see test_han_names)
    assert stored == {
        r["case_number"]: (
            latin_transliteration(r["family_name"], family_name=True)
            if has_han(r["family_name"] + r["given_names"])
            else r["family_name"],
            latin_transliteration(r["given_names"])
            if has_han(r["family_name"] + r["given_names"])
            else r["given_names"],
            r["native_name"],
        )
        for r in rows
    }
    assert {v[2] for v in stored.values()} >= {"欧阳娜娜", "𠀋𡈽", "陈静"}


def test_headers_are_case_insensitive_and_spaces_are_ignored(ctx: AppContext, admin: Actor) -> None:
    text = facilities_csv().replace(
        "facility_code,name,city,airports", " Facility Code ; NAME;City ;Airports "
    )
    text = "\n".join(
        line
        if i == 0
        else f'{line.split(",")[0]};{line.split(",")[1]};{line.split(",")[2]};"{line.split(",")[3]}"'
        for i, line in enumerate(text.strip().split("\n"))
    )
    assert do_import(ctx, admin, "facilities", text.encode()).new == 5


def test_missing_unknown_and_repeated_columns_are_named(ctx: AppContext, admin: Actor) -> None:
    error = rejected(ctx, admin, "facilities", b"facility_code,name,name,colour\nF1,a,b,c\n")
    messages = [e.format("f.csv") for e in error.report.errors]
    assert "f.csv:1: header: repeated column(s): name" in messages
    assert any("missing column(s): city, airports" in m for m in messages)
    assert any("unknown column(s): colour" in m for m in messages)
    assert "empty" in rejected(ctx, admin, "roster", b"").report.errors[0].message


def test_undecodable_lines_are_errors_with_their_line_numbers(ctx: AppContext, admin: Actor) -> None:
    good = facilities_csv().replace("Centre", "Centre Médico").encode()  # UTF-8 but for two lines
    lines = good.split(b"\n")
    lines[2] = lines[2].replace(b"Centre", b"Cen\xfftre")
    lines[4] = lines[4] + b"\x80"
    errors = rejected(ctx, admin, "facilities", b"\n".join(lines)).report.errors
    assert [(e.line, e.column) for e in errors] == [(3, "encoding"), (5, "encoding")]
    assert "FF" in errors[0].message
    utf16 = codecs_bom_utf16(facilities_csv()) + b"\x00\xd8A\x00\n\x00"  # lone surrogate on the last line
    errors = rejected(ctx, admin, "facilities", utf16).report.errors
    assert errors[0].line == 7 and errors[0].column == "encoding"


def codecs_bom_utf16(text: str) -> bytes:
    return b"\xff\xfe" + text.encode("utf-16-le")


def test_malformed_rows_and_control_characters(ctx: AppContext, admin: Actor) -> None:
    data = facilities_csv().encode() + b'F9,x,y\nF10,"unterminated,y,SAT:1\n'
    errors = rejected(ctx, admin, "facilities", data).report.errors
    assert errors[0].line == 7 and "expected 4 fields, found 3" in errors[0].message
    assert errors[1].line == 8 and errors[1].column == "row"
    errors = rejected(
        ctx, admin, "facilities", facilities_csv().encode() + b"F9,x\x00y,c,SAT:1\n"
    ).report.errors
    assert (errors[0].line, errors[0].column) == (7, "name") and "U+0000" in errors[0].message


# ---------------------------------------------------------------- error classes


ROSTER_ERRORS = [
    (2, "A200000000,", "A2000,", "case_number", "not a case number"),
    (2, "1982-07-15", "1982-7-15", "date_of_birth", "YYYY-MM-DD"),
    (2, "1982-07-15", "1982-02-30", "date_of_birth", "not a calendar date"),
    (44, "2000-10-19", "2199-10-19", "date_of_birth", "in the future"),
    (2, ",F,", ",Q,", "sex", "not one of M, F, X"),
    (2, ",GTM,", ",XYZ,", "nationality", "ISO 3166-1 alpha-3"),
    (2, "FAC05", "FAC99", "facility_code", "not in the database"),
    (2, ",LOW,", ",LOWEST,", "risk_level", "not one of"),
    (2, ",1,IN_CUSTODY", ",6,IN_CUSTODY", "priority", "outside 1–5"),
    (2, ",1,IN_CUSTODY", ",x,IN_CUSTODY", "priority", "whole number"),
    (2, ",IN_CUSTODY", ",GONE", "custody_status", "not one of"),
    (2, "2025-05-08,,,", "2025-05-08,,2026-01-01,", "hold_until", "legal_hold"),
    (2, "PÉREZ MUÑOZ", "", "family_name", "is required"),
    (3, "A200000001", "A200000000", "case_number", "duplicate of line 2"),
]


@pytest.mark.parametrize(("line", "old", "new", "column", "text"), ROSTER_ERRORS)
def test_roster_error_classes(
    samples_loaded: AppContext, admin: Actor, line: int, old: str, new: str, column: str, text: str
) -> None:
    error = rejected(samples_loaded, admin, "roster", edit(sample_text("roster.csv"), line, old, new))
    assert [(e.line, e.column) for e in error.report.errors] == [(line, column)]
    assert text in error.report.errors[0].message
    assert error.report.rejected == 1 and error.report.unchanged == 59
    assert error.details[0].startswith(f"roster.csv:{line}: {column}: ")


def test_family_groups_must_share_nationality(samples_loaded: AppContext, admin: Actor) -> None:
    text = sample_text("roster.csv")
    data = edit(
        edit(text, 2, ",NONE,,FINAL", ",NONE,FAM1,FINAL").decode(), 3, ",NONE,,FINAL", ",NONE,FAM1,FINAL"
    )
    error = rejected(samples_loaded, admin, "roster", data)
    assert {(e.line, e.column) for e in error.report.errors} == {(2, "family_group"), (3, "family_group")}
    assert "GTM: line 2" in error.report.errors[0].message and "HND: line 3" in error.report.errors[0].message
    # Same nationality: accepted; then a later file adding a member of another nationality is refused.
    ok = edit(
        edit(text, 2, ",NONE,,FINAL", ",NONE,FAM1,FINAL").decode(), 6, ",NONE,,FINAL", ",NONE,FAM1,FINAL"
    )
    assert do_import(samples_loaded, admin, "roster", ok).updated == 2
    header, _a, _b, member = sample_text("roster.csv").split("\n")[:4]
    later = "\n".join([header, member.replace(",NONE,,FINAL", ",NONE,FAM1,FINAL")]).encode()
    error = rejected(samples_loaded, admin, "roster", later)
    assert "A200000000 in the database" in error.report.errors[0].message


VERIFICATION_ERRORS = [
    (2, "A200000000", "A299999999", "case_number", "not in the roster"),
    (3, "1982-07-15", "1982-07-16", "date_of_birth", "1982-07-16 does not match the roster's 1982-07-15"),
    (
        3,
        "PÉREZ MUÑOZ",
        "PEREZ MUNOZ",
        "family_name",
        "'PEREZ MUNOZ' does not match the roster's 'PÉREZ MUÑOZ'",
    ),
    (3, "2021-06-24,2030-02-21", "2031-06-24,2030-02-21", "document_expires", "not after the issue date"),
    (3, "PASSPORT,P70950101", ",P70950101", "document_type", "required when a document is given"),
    (3, "P70950101", "P7095/?", "document_number", "document number"),
    (3, ",GTM,CONFIRMED", ",GTM,SURE", "result", "not one of"),
    (3, "2026-08-10", "2199-08-10", "verified_on", "in the future"),
    (15, "P39550820", "P22942714", "document_number", "same document is given for A200000001 on line 4"),
    (4, "CONFIRMED", "PENDING", "result", "contradicts CONFIRMED"),  # needs line 4 duplicated below
]


@pytest.mark.parametrize(("line", "old", "new", "column", "text"), VERIFICATION_ERRORS)
def test_verification_error_classes(
    samples_loaded: AppContext, admin: Actor, line: int, old: str, new: str, column: str, text: str
) -> None:
    source = sample_text("verification.csv")
    if text.startswith("contradicts"):
        lines = source.split("\n")
        lines.insert(4, lines[3].replace(old, new).replace("P22942714,2026-04-05,2032-01-21", ",,"))
        lines[4] = lines[4].replace("PASSPORT,,,", ",,,")
        error = rejected(samples_loaded, admin, "verification", "\n".join(lines).encode())
        assert [(e.line, e.column) for e in error.report.errors] == [(5, column)]
        return
    error = rejected(samples_loaded, admin, "verification", edit(source, line, old, new))
    found = [(e.line, e.column) for e in error.report.errors]
    assert (line, column) in found
    assert any(text in e.message for e in error.report.errors)


def test_duplicate_verification_rows_are_errors(samples_loaded: AppContext, admin: Actor) -> None:
    source = sample_text("verification.csv").rstrip("\n").split("\n")
    data = "\n".join([*source, source[5]]).encode()
    error = rejected(samples_loaded, admin, "verification", data)
    assert [(e.line, e.message) for e in error.report.errors] == [(66, "duplicate of line 6")]


def test_identity_check_folds_case_whitespace_and_unicode_forms(
    samples_loaded: AppContext, admin: Actor
) -> None:
    source = sample_text("verification.csv")
    decomposed = unicodedata.normalize("NFD", "pérez  muñoz")
    data = edit(source, 2, "PÉREZ MUÑOZ", f"  {decomposed} ")
    data = edit(data.decode(), 6, "LI,MING", "ｌｉ,MING")  # full-width letters fold under NFKC
    assert do_import(samples_loaded, admin, "verification", data).new == 64
    wrong = edit(source, 7, "REYES GARCÍA", "REYES GARCIA")  # accents are part of the name
    error = rejected(samples_loaded, admin, "verification", wrong)
    assert error.report.errors[0].message == (
        "'REYES GARCIA' does not match the roster's 'REYES GARCÍA' for A200000004"
    )


def test_verification_against_stored_history(samples_loaded: AppContext, admin: Actor) -> None:
    source = sample_text("verification.csv")
    do_import(samples_loaded, admin, "verification", source.encode())
    header = source.split("\n")[0]
    # Another result on the same day as a stored one is ambiguous.
    clash = header + "\nA200000001,CASTILLO LÓPEZ,JOSÉ SOFÍA,,1998-06-08,HND,PENDING,,,,,C,2026-06-30,VL-X\n"
    error = rejected(samples_loaded, admin, "verification", clash.encode())
    assert (
        error.report.errors[0].column == "result"
        and "already holds CONFIRMED" in error.report.errors[0].message
    )
    # A passport number held by someone else is refused.
    stolen = (
        header
        + "\nA200000003,LI,MING,,1988-04-18,HND,CONFIRMED,PASSPORT,P22942714,2026-04-05,2032-01-21,C,2026-09-01,R\n"
    )
    error = rejected(samples_loaded, admin, "verification", stolen.encode())
    assert (
        error.report.errors[0].column == "document_number"
        and "another person" in error.report.errors[0].message
    )
    # A later list appends (nothing overwritten) and updates the document's expiry (audited old -> new).
    later = header + (
        "\nA200000001,CASTILLO LÓPEZ,JOSÉ SOFÍA,,1998-06-08,HND,NOT_CONFIRMED,,,,,C,2026-09-01,VL-2"
        "\nA200000001,CASTILLO LÓPEZ,JOSÉ SOFÍA,,1998-06-08,HND,CONFIRMED,PASSPORT,P22942714,2026-04-05,2033-01-21,C,2026-09-02,VL-2\n"
    )
    report = do_import(samples_loaded, admin, "verification", later.encode(), name="later.csv")
    assert (report.new, report.details["verifications_added"], report.details["documents_updated"]) == (
        2,
        2,
        1,
    )
    with samples_loaded.uow(write=False) as uow:
        pid = uow.session.execute(sa.select(Person.id).where(Person.case_number == "A200000001")).scalar_one()
        history = uow.session.execute(
            sa.select(NationalityVerification.result, NationalityVerification.source_file)
            .where(NationalityVerification.person_id == pid)
            .order_by(NationalityVerification.verified_on)
        ).all()
        doc = uow.session.execute(
            sa.select(TravelDocument.expires_on, TravelDocument.version).where(
                TravelDocument.person_id == pid
            )
        ).one()
    assert history == [
        ("CONFIRMED", "verification.csv"),
        ("NOT_CONFIRMED", "later.csv"),
        ("CONFIRMED", "later.csv"),
    ]
    assert (str(doc.expires_on), doc.version) == ("2033-01-21", 2)
    entity_id, _actor, changes = audit_events(samples_loaded, "verification.create")[-1]
    assert changes["travel_document"]["expires_on"] == ["2032-01-21", "2033-01-21"]
    assert changes["source"] == "later.csv:3" and entity_id == "A200000001"
    assert not audit_events(samples_loaded, "travel_document.update")  # carried by the verification event


FLIGHT_ERRORS = [
    (2, ",MEX,PLANNED", ",XXX,PLANNED", "stops", "airport XXX is not known; closest known: "),
    (2, ",MEX,PLANNED", ",MEX;MEX,PLANNED", "stops", "listed twice"),
    (2, ",MEX,PLANNED", ",SAT,PLANNED", "stops", "departure airport"),
    (2, ",SAT,2027", ",ZZZ,2027", "departure_airport", "airport ZZZ is not known; closest known"),
    (2, "2027-03-17T13:15:00-07:00", "2027-03-17T13:15:00", "departure_time", "with offset"),
    (2, ",135,270,3,1,", ",135,270,300,1,", "medical_slots", "exceeds the 135 seats"),
    (2, ",135,270,", ",-1,270,", "seats", "outside 0–1000"),
    (2, "PLANNED", "FLYING", "status", "not one of"),
    (3, "RF0001", "RF0000", "flight_id", "duplicate of line 2"),
]


@pytest.mark.parametrize(("line", "old", "new", "column", "text"), FLIGHT_ERRORS)
def test_flight_error_classes(
    ctx: AppContext, admin: Actor, line: int, old: str, new: str, column: str, text: str
) -> None:
    error = rejected(ctx, admin, "flights", edit(sample_text("flights.csv"), line, old, new))
    assert (line, column) in [(e.line, e.column) for e in error.report.errors]
    assert any(text in e.message for e in error.report.errors)


FACILITY_ERRORS = [
    (2, "BRO:10", "XXX:10", "airport XXX is not known; closest known: "),
    (2, "BRO:10", "BRO:ten", "not a number"),
    (2, "BRO:10", "BRO:999", "outside 0–240"),
    (2, "BRO:10", "BRO", "not IATA:hours"),
    (2, "BRO:10", "BRO:10;BRO:2", "listed twice"),
]


@pytest.mark.parametrize(("line", "old", "new", "text"), FACILITY_ERRORS)
def test_facility_error_classes(
    ctx: AppContext, admin: Actor, line: int, old: str, new: str, text: str
) -> None:
    error = rejected(ctx, admin, "facilities", edit(sample_text("facilities.csv"), line, old, new))
    assert [(e.line, e.column) for e in error.report.errors] == [(line, "airports")]
    assert text in error.report.errors[0].message


# ---------------------------------------------------------------- updates and audit


def test_roster_update_is_audited_old_to_new(samples_loaded: AppContext, admin: Actor) -> None:
    created = audit_events(samples_loaded, "person.create")
    assert len(created) == 60
    first = next(changes for entity_id, _a, changes in created if entity_id == "A200000002")
    assert first["native_name"] == [None, "郑磊"] and first["facility_code"] == [None, "FAC11"]
    data = edit(
        edit(sample_text("roster.csv"), 4, "FAC11", "FAC12").decode(), 4, ",3,IN_CUSTODY", ",1,IN_CUSTODY"
    )
    report = do_import(samples_loaded, admin, "roster", data)
    assert (report.updated, report.unchanged) == (1, 59)
    assert audit_events(samples_loaded, "person.update") == [
        ("A200000002", "admin", {"facility_code": ["FAC11", "FAC12"], "priority": [3, 1]})
    ]
    with samples_loaded.uow(write=False) as uow:
        person = uow.session.execute(
            sa.select(Person.version, Person.priority).where(Person.case_number == "A200000002")
        ).one()
    assert tuple(person) == (2, 1)
    assert len(audit_events(samples_loaded, "import.roster")) == 2
    before = snapshot(samples_loaded)
    assert do_import(samples_loaded, admin, "roster", data).unchanged == 60
    assert snapshot(samples_loaded) == before


def test_flights_update_stops_and_approved_manifest_blocks_changes(ctx: AppContext, admin: Actor) -> None:
    source = sample_text("flights.csv")
    do_import(ctx, admin, "flights", source.encode())
    changed = edit(source, 5, ",SAL;GUA;SAP,", ",SAP;SAL;MEX,")
    with ctx.uow(write=False) as uow:
        fid = uow.session.execute(sa.select(Flight.id).where(Flight.code == "RF0003")).scalar_one()
        stops_before = dict(
            uow.session.execute(
                sa.select(FlightStop.airport, FlightStop.id).where(FlightStop.flight_id == fid)
            ).all()
        )
    report = do_import(ctx, admin, "flights", changed)
    assert (report.updated, report.unchanged) == (1, 5)
    with ctx.uow(write=False) as uow:
        stops = uow.session.execute(
            sa.select(FlightStop.sequence, FlightStop.airport, FlightStop.id)
            .where(FlightStop.flight_id == fid)
            .order_by(FlightStop.sequence)
        ).all()
    assert [(s, a) for s, a, _ in stops] == [(1, "SAP"), (2, "SAL"), (3, "MEX")]
    assert stops[0][2] == stops_before["SAP"] and stops[1][2] == stops_before["SAL"]
    assert audit_events(ctx, "flight.update") == [
        ("RF0003", "admin", {"stops": ["SAL;GUA;SAP", "SAP;SAL;MEX"]})
    ]
    with ctx.uow() as uow:
        uow.session.add(
            Manifest(flight_id=fid, revision=1, status="APPROVED", sha256="0" * 64, prepared_by="x")
        )
        uow.commit()
    assert do_import(ctx, admin, "flights", changed).unchanged == 6  # identical: fine
    error = rejected(ctx, admin, "flights", edit(changed.decode(), 5, ",135,270,", ",120,270,"))
    assert error.report.errors[0].column == "flight_id"
    assert (
        "APPROVED manifest and cannot be changed by import (would change seats)"
        in error.report.errors[0].message
    )


def test_facilities_update_replaces_airports(ctx: AppContext, admin: Actor) -> None:
    do_import(ctx, admin, "facilities", facilities_csv().encode())
    text = facilities_csv().replace(
        "FAC01,Centre 1,City 1,SAT:3;BRO:4", "FAC01,Centre 1,City 1,MIA:2;SAT:3.5"
    )
    report = do_import(ctx, admin, "facilities", text.encode())
    assert (report.updated, report.unchanged) == (1, 4)
    assert audit_events(ctx, "facility.update") == [
        ("FAC01", "admin", {"airports": ["BRO:4;SAT:3", "MIA:2;SAT:3.5"]})
    ]


# ---------------------------------------------------------------- role, cancel, progress


def test_only_admins_may_import(ctx: AppContext, officer: Actor) -> None:
    with pytest.raises(PermissionDenied):
        do_import(ctx, officer, "facilities", facilities_csv().encode())
    assert audit_events(ctx, "permission.denied")[0][0] == "import facilities"


def test_cancel_writes_nothing_and_progress_reaches_one(ctx: AppContext, admin: Actor) -> None:
    do_import(ctx, admin, "facilities", facilities_csv().encode())
    data = to_csv(ROSTER_HEADER, roster_rows(5000)).encode()
    before = snapshot(ctx)
    with pytest.raises(ImportCancelled):
        do_import(ctx, admin, "roster", data, should_stop=lambda: True)
    assert snapshot(ctx) == before
    seen: list[float] = []
    do_import(ctx, admin, "roster", data, progress=lambda f, m: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 5


# ---------------------------------------------------------------- command line


def test_cli_import_prints_errors_and_exits_2(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHARTER_USER", "admin")
    monkeypatch.setenv("CHARTER_PASSWORD", ADMIN_PASSWORD)
    good = tmp_path / "fac.csv"
    good.write_bytes(facilities_csv().encode("utf-16"))
    assert run(["import", "facilities", str(good), "--dry-run"], settings=ctx.settings) == 0
    assert "dry run" in capsys.readouterr().out
    assert run(["import", "facilities", str(good)], settings=ctx.settings) == 0
    assert "5 new" in capsys.readouterr().out
    assert run(["import", "facilities", str(good)], settings=ctx.settings) == 0
    assert "nothing to change" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("facility_code,name,city,airports\n" + "".join(f"G{i},n,c,XXX:1\n" for i in range(250)))
    before = snapshot(ctx, include_audit=False)  # logging in is audited
    assert run(["import", "facilities", str(bad)], settings=ctx.settings) == 2
    err = capsys.readouterr().err.splitlines()
    assert "rejected, nothing was written: 250 errors on 250 lines" in err[0]
    assert err[1].startswith(f"{bad}:2: airports: airport XXX is not known; closest known: ")
    assert len(err) == 1 + 200 + 1 and err[-1] == "… and 50 more"
    assert snapshot(ctx, include_audit=False) == before
