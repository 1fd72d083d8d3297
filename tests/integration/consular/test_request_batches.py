"""Request batches (``planner.services.consular.batches``): candidates, order and families, numbering,
the CSV and the cover letter, PENDING rows and audit events, refusals; on both backends."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.domain.enums import RequestKind, Role
from planner.domain.errors import InvalidInput, PermissionDenied
from planner.domain.requests import DEFAULT_REQUEST_COLUMNS
from planner.persistence.context import AppContext
from planner.persistence.models import (
    AuditEvent,
    CountryRule,
    NationalityVerification,
    RequestBatch,
    RequestItem,
)
from planner.services.auth import Actor
from planner.services.consular import batches
from tests.conftest import add_user
from tests.integration.consular.batch_world import TODAY, BatchWorld, header_of, read_csv

VR = RequestKind.VERIFICATION
TD = RequestKind.TRAVEL_DOCUMENT


@pytest.fixture
def world(ctx: AppContext) -> BatchWorld:
    return BatchWorld(ctx).setup()


def candidates(
    ctx: AppContext, actor: Actor, kind: RequestKind = VR, country: str = "CHN", **kw
) -> list[str]:
    with ctx.uow(write=False) as uow:
        return [
            c.case_number for c in batches.request_candidates(uow, actor, kind, country, today=TODAY, **kw)
        ]


def create(
    ctx: AppContext, actor: Actor, out: Path, kind: RequestKind = VR, country: str = "CHN", **kw
) -> batches.CreatedBatch | None:
    with ctx.uow() as uow:
        return batches.create_batch(uow, actor, kind, country, out, today=kw.pop("today", TODAY), **kw)


def test_verification_candidates_exclude_each_reason(
    ctx: AppContext, world: BatchWorld, officer: Actor
) -> None:
    world.person("A100000001")  # a candidate
    world.person("A100000002", custody_status="RELEASED")
    world.person("A100000003", order_status="NONE", order_date=None)
    world.person("A100000004", order_status="PENDING")  # a candidate
    world.person("A100000005", nationality="HTI")
    world.person("A100000006", anonymised_at=sa.func.now())
    world.person("A100000007")
    world.verify("A100000007", "NOT_CONFIRMED")  # any verification for the country excludes
    world.person("A100000008")
    world.verify("A100000008", "CONFIRMED", country="HKG")  # another country's does not
    assert candidates(ctx, officer) == ["A100000001", "A100000008", "A100000004"]
    with ctx.uow(write=False) as uow:
        counts = batches.candidate_counts(uow, officer, VR, "CHN", today=TODAY)
    assert (counts.claiming, counts.candidates, counts.already_verified) == (7, 3, 1)
    assert (counts.not_in_custody_or_order, counts.anonymised) == (2, 1)


def test_order_most_urgent_first_and_families_whole_under_limit(
    ctx: AppContext, world: BatchWorld, officer: Actor
) -> None:
    world.person("A200000001", priority=3)
    world.person("A200000002", priority=1, order_status="PENDING")
    world.person("A200000003", priority=1, order_date=date(2025, 5, 1))
    world.person("A200000004", priority=1, order_date=date(2024, 5, 1))
    # a family of three ranked by its most urgent member (priority 2)
    world.person("A200000005", priority=5, family_group="F-1")
    world.person("A200000006", priority=2, family_group="F-1")
    world.person("A200000007", priority=4, family_group="F-1")
    world.person("A200000008", priority=4, family_group="F-1", nationality="HTI")  # not in the unit
    world.person("A200000009", priority=4)
    assert candidates(ctx, officer) == [
        "A200000004",
        "A200000003",
        "A200000002",
        "A200000006",
        "A200000007",
        "A200000005",
        "A200000001",
        "A200000009",
    ]
    # limit 4: three singles, the family (3) does not fit, skipped; the next single fits
    assert candidates(ctx, officer, limit=4) == ["A200000004", "A200000003", "A200000002", "A200000001"]
    assert candidates(ctx, officer, limit=6) == [
        "A200000004",
        "A200000003",
        "A200000002",
        "A200000006",
        "A200000007",
        "A200000005",
    ]


def test_nobody_fits_the_limit_returns_none_and_says_why(
    ctx: AppContext, world: BatchWorld, officer: Actor, tmp_path: Path
) -> None:
    for case in ("A210000001", "A210000002"):
        world.person(case, family_group="F-9")
    assert create(ctx, officer, tmp_path / "r.csv", limit=1) is None
    assert not (tmp_path / "r.csv").exists() and not (tmp_path / "r.pdf").exists()
    with ctx.uow(write=False) as uow:
        text = batches.candidate_counts(uow, officer, VR, "CHN", limit=1, today=TODAY).nobody_text()
    assert "2 in families larger than --limit 1" in text


def test_batch_numbering_csv_pdf_pending_rows_and_audit(
    ctx: AppContext, world: BatchWorld, officer: Actor, tmp_path: Path
) -> None:
    world.person("A300000001", family_name="WANG", native_name="王伟")
    world.person("A300000002", family_name="LI", native_name="李娜")
    world.document("A300000002", number="E12345678")
    world.document("A300000002", number="OLD1", expires=date(2031, 1, 1), status="REVOKED")
    world.person("A300000003", nationality="HTI")
    before = world.count(AuditEvent)
    created = create(ctx, officer, tmp_path / "chn.csv", limit=1)
    assert created is not None
    assert created.reference == "VR-CHN-2026-0001" and created.people == 1
    assert created.pdf_path == tmp_path / "chn.pdf" == batches.pdf_path_for(tmp_path / "chn.csv")
    rows = read_csv(created.csv_path.read_bytes())
    assert list(rows[0]) == list(DEFAULT_REQUEST_COLUMNS)
    assert rows == [
        {
            "reference": "VR-CHN-2026-0001",
            "case_number": "A300000001",
            "family_name": "WANG",
            "given_names": "Given 0",
            "native_name": "王伟",
            "sex": "M",
            "date_of_birth": "1980-01-01",
            "place_of_birth": "Fuzhou, Fujian",
            "nationality": "CHN",
            "document_type": "",
            "document_number": "",
            "result": "",
            "verified_on": "",
            "authority": "",
        }
    ]
    assert hashlib.sha256(created.csv_path.read_bytes()).hexdigest() == created.csv_sha256
    assert hashlib.sha256(created.pdf_path.read_bytes()).hexdigest() == created.pdf_sha256
    # the second request excludes the one already requested, and numbers on
    second = create(ctx, officer, tmp_path / "chn2.csv")
    assert second is not None and second.reference == "VR-CHN-2026-0002"
    rows = read_csv(second.csv_path.read_bytes())
    assert [(r["case_number"], r["document_type"], r["document_number"]) for r in rows] == [
        ("A300000002", "PASSPORT", "E12345678")
    ]
    assert create(ctx, officer, tmp_path / "chn3.csv") is None
    assert not (tmp_path / "chn3.csv").exists()
    # numbers count per kind, country and year
    hti = create(ctx, officer, tmp_path / "hti.csv", country="hti")
    assert hti is not None and hti.reference == "VR-HTI-2026-0001"
    with ctx.uow(write=False) as uow:
        stored = uow.session.execute(
            sa.select(RequestBatch).where(RequestBatch.reference == "VR-CHN-2026-0001")
        ).scalar_one()
        assert (stored.csv_sha256, stored.pdf_sha256) == (created.csv_sha256, created.pdf_sha256)
        assert (stored.csv_name, stored.people, stored.sent_on, stored.created_by) == (
            "chn.csv",
            1,
            TODAY,
            "olivia",
        )
        items = (
            uow.session.execute(sa.select(RequestItem).where(RequestItem.batch_id == stored.id))
            .scalars()
            .all()
        )
        assert [(i.person_id, i.outcome) for i in items] == [(world.ids["A300000001"], "OPEN")]
        pending = uow.session.get(NationalityVerification, items[0].verification_id)
        assert pending is not None
        assert (pending.result, pending.reference, pending.verified_on, pending.country) == (
            "PENDING",
            "VR-CHN-2026-0001",
            TODAY,
            "CHN",
        )
        assert (pending.source_file, pending.source_line, pending.imported_by, pending.authority) == (
            "chn.csv",
            2,
            "olivia",
            "",
        )
        events = [
            (e.action, e.entity_id, e.actor, json.loads(e.changes_json))
            for e in uow.session.execute(
                sa.select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)
            ).scalars()
        ]
    first = [e for e in events if e[1] in ("VR-CHN-2026-0001", "A300000001")]
    assert [e[0] for e in first] == ["request_batch.create", "verification.create"]
    assert first[0][3] == {
        "kind": "VERIFICATION",
        "country": "CHN",
        "people": 1,
        "case_numbers": ["A300000001"],
        "csv": "chn.csv",
        "csv_sha256": created.csv_sha256,
        "pdf_sha256": created.pdf_sha256,
    }
    assert first[1][3]["reference"] == "VR-CHN-2026-0001" and first[1][3]["result"] == "PENDING"
    assert all(e[2] == "olivia" for e in events)


def test_numbering_restarts_per_kind_and_year(
    ctx: AppContext, world: BatchWorld, officer: Actor, tmp_path: Path
) -> None:
    world.person("A310000001")
    world.person("A310000002")
    first = create(ctx, officer, tmp_path / "a.csv", limit=1, today=date(2026, 12, 30))
    second = create(ctx, officer, tmp_path / "b.csv", limit=1, today=date(2027, 1, 2))
    assert first is not None and second is not None
    assert (first.reference, second.reference) == ("VR-CHN-2026-0001", "VR-CHN-2027-0001")
    # the travel-document kind counts on its own (both people have an OPEN verification request)
    td = create(ctx, officer, tmp_path / "td.csv", kind=TD, today=date(2027, 1, 3))
    assert td is not None and td.reference == "TD-CHN-2027-0001" and td.people == 2


def test_configured_layout_and_facility(
    ctx: AppContext, world: BatchWorld, officer: Actor, tmp_path: Path
) -> None:
    world.person("A400000001", native_name="张秀英")
    world.document("A400000001", number="E777", expires=date(2029, 5, 6))
    with ctx.uow() as uow:
        rule = uow.session.get(CountryRule, "CHN")
        assert rule is not None
        rule.request_columns = (
            "case_number;native_name;facility;document_number;document_expires;reference;result"
        )
        uow.commit()
    created = create(ctx, officer, tmp_path / "c.csv")
    assert created is not None
    data = created.csv_path.read_bytes()
    assert header_of(data) == [
        "case_number",
        "native_name",
        "facility",
        "document_number",
        "document_expires",
        "reference",
        "result",
    ]
    assert read_csv(data) == [
        {
            "case_number": "A400000001",
            "native_name": "张秀英",
            "facility": "Houston Processing Center",
            "document_number": "E777",
            "document_expires": "2029-05-06",
            "reference": "VR-CHN-2026-0001",
            "result": "",
        }
    ]


def test_travel_document_candidates(
    ctx: AppContext, world: BatchWorld, officer: Actor, tmp_path: Path
) -> None:
    world.person("A500000001")
    world.verify("A500000001", "CONFIRMED")  # a candidate
    world.person("A500000002")
    world.verify("A500000002", "CONFIRMED")
    world.verify("A500000002", "NOT_CONFIRMED", on=date(2026, 7, 1))  # latest is a no
    world.person("A500000003")  # never verified nor requested
    world.person("A500000004")
    world.verify("A500000004", "CONFIRMED")
    world.document("A500000004", number="P1", expires=date(2030, 1, 1))  # valid accepted passport
    world.person("A500000005")
    world.verify("A500000005", "CONFIRMED")
    world.document("A500000005", number="P2", expires=date(2026, 12, 20))  # within 30 days' validity
    world.person("A500000006")
    world.verify("A500000006", "CONFIRMED")
    world.document("A500000006", number="P3", country="HKG")  # another country's passport
    world.person("A500000007")
    world.verify("A500000007", "CONFIRMED")
    world.document("A500000007", number="P4", status="LOST")
    assert candidates(ctx, officer, TD) == ["A500000001", "A500000005", "A500000006", "A500000007"]
    # an OPEN verification request counts as on its way
    vr = create(ctx, officer, tmp_path / "vr.csv")
    assert vr is not None and vr.people == 1  # A500000003
    assert candidates(ctx, officer, TD) == [
        "A500000001",
        "A500000003",
        "A500000005",
        "A500000006",
        "A500000007",
    ]
    td = create(ctx, officer, tmp_path / "td.csv", kind=TD)
    assert td is not None and td.reference == "TD-CHN-2026-0001" and td.people == 5
    data = td.csv_path.read_bytes()
    assert header_of(data)[-7:] == [
        "document_type",
        "document_number",
        "document_issued",
        "document_expires",
        "result",
        "verified_on",
        "authority",
    ]
    assert all(r["document_number"] == "" for r in read_csv(data))  # the answer goes there
    assert world.count(NationalityVerification, NationalityVerification.reference == td.reference) == 0
    assert candidates(ctx, officer, TD) == []  # all requested
    with ctx.uow(write=False) as uow:
        text = batches.candidate_counts(uow, officer, TD, "CHN", today=TODAY).nobody_text()
    assert text == (
        "nobody to request of China (CHN) for travel documents: of 7 people claiming it, 1 neither "
        "confirmed nationals nor being verified, 1 holding a valid document and 5 already requested"
    )
    # a country that needs no verification: claimants are candidates without one
    with ctx.uow() as uow:
        rule = uow.session.get(CountryRule, "MEX")
        assert rule is not None
        rule.verification_required = False
        uow.commit()
    world.person("A500000008", nationality="MEX")
    assert candidates(ctx, officer, TD, "MEX") == ["A500000008"]


def test_refusals_unknown_country_passport_only_country_bad_target(
    ctx: AppContext, world: BatchWorld, officer: Actor, tmp_path: Path
) -> None:
    world.person("A600000001", nationality="HTI")
    with pytest.raises(InvalidInput, match="unknown country 'XYZ'"):
        create(ctx, officer, tmp_path / "x.csv", country="XYZ")
    with pytest.raises(InvalidInput) as refused:
        create(ctx, officer, tmp_path / "x.csv", kind=TD, country="HTI")
    assert str(refused.value) == "HTI issues no travel documents on request: its rule accepts only PASSPORT"
    with pytest.raises(InvalidInput, match=r"\.csv"):
        create(ctx, officer, tmp_path / "x.txt", country="HTI")
    with pytest.raises(InvalidInput, match="is a folder"):
        (tmp_path / "dir.csv").mkdir()
        create(ctx, officer, tmp_path / "dir.csv", country="HTI")
    assert world.count(RequestBatch) == 0 and not list(tmp_path.glob("x.*"))


def test_an_unwritable_letter_commits_nothing(
    ctx: AppContext, world: BatchWorld, officer: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.person("A650000001")
    (tmp_path / "blocked.pdf").mkdir()  # the letter's path is a folder: refused before any work
    before = world.count(AuditEvent)
    with pytest.raises(InvalidInput, match="is a folder"):
        create(ctx, officer, tmp_path / "blocked.csv")
    real_write = batches.write_output

    def failing(path: Path, data: bytes) -> Path:
        if Path(path).suffix == ".pdf":
            raise OSError(28, "No space left on device", str(path))
        return real_write(path, data)

    monkeypatch.setattr(batches, "write_output", failing)
    with pytest.raises(OSError, match="No space"):
        create(ctx, officer, tmp_path / "full.csv")
    assert world.count(RequestBatch) == 0 and world.count(NationalityVerification) == 0
    assert world.count(AuditEvent) == before
    assert not (tmp_path / "blocked.csv").exists() and not (tmp_path / "full.csv").exists()


def test_a_user_without_the_officer_role_is_refused(
    ctx: AppContext, world: BatchWorld, tmp_path: Path
) -> None:
    world.person("A700000001")
    add_user(ctx, "gone", Role.OFFICER)
    with ctx.uow() as uow:  # deactivated: holds no role any more
        uow.session.execute(sa.text("UPDATE app_user SET active = false WHERE username = 'gone'"))
        uow.commit()
    with pytest.raises(PermissionDenied, match="may not create verification request batches"):
        create(ctx, Actor("gone", Role.OFFICER), tmp_path / "p.csv")
    assert world.count(RequestBatch) == 0 and not (tmp_path / "p.csv").exists()
    assert world.count(AuditEvent, AuditEvent.action == "permission.denied") == 1


def test_the_letter_lists_the_people_with_native_names_and_the_csv_hash(
    ctx: AppContext, world: BatchWorld, officer: Actor, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    for k in range(40):  # more than one page
        world.person(f"A8000000{k:02d}", family_group="F-8" if k < 3 else None)
    created = create(ctx, officer, tmp_path / "letter.csv")
    assert created is not None
    reader = PdfReader(str(created.pdf_path))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2
    assert f"Page 1 of {len(reader.pages)}" in text
    assert created.csv_sha256 in text and "VR-CHN-2026-0001" in text
    assert "Consular Section of China" in text and "verification of nationality" in text
    assert "2027-01-02" in text  # 2026-12-03 + 30 days (the rule's lead time)
    assert "A800000039" in text and "王伟" in text
