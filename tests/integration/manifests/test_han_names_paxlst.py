"""Han names reach the PAXLST as Hanyu Pinyin, and a name the PAXLST cannot carry is refused at
approval (audited, naming the case) instead of failing at export (issue 13)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from planner.domain.enums import Role
from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, NationalityVerification, Person, TravelDocument
from planner.services.auth import Actor
from planner.services.imports import import_file
from planner.services.manifests import workflow as manifests
from planner.services.manifests.paxlst import parse_paxlst, write_paxlst
from planner.services.manifests.workflow import ManifestRefused
from tests.conftest import add_user, admin_actor
from tests.integration.imports.synth import ROSTER_HEADER
from tests.integration.manifests.world import T0, World

ROSTER_ROW = "A30000001,王,小明,,M,1990-02-03,,CHN,,LOW,NONE,,FINAL,2029-01-02,,,3,IN_CUSTODY"


@pytest.fixture
def users(ctx: AppContext) -> tuple[Actor, Actor]:
    return add_user(ctx, "olivia", Role.OFFICER), add_user(ctx, "sam", Role.SUPERVISOR)


def _papers(ctx: AppContext, case: str) -> int:
    """A Chinese passport and China's confirmation for ``case`` (imported by the roster)."""
    with ctx.uow() as uow:
        person = uow.session.execute(sa.select(Person).where(Person.case_number == case)).scalar_one()
        uow.session.add(
            TravelDocument(
                person_id=person.id,
                doc_type="PASSPORT",
                number="E12345678",
                issuing_country="CHN",
                issued_on=date(2028, 5, 1),
                expires_on=date(2036, 1, 1),
            )
        )
        uow.session.add(
            NationalityVerification(
                person_id=person.id,
                country="CHN",
                result="CONFIRMED",
                authority="Consulate",
                verified_on=date(2030, 1, 15),
                reference="CHN-REF-1",
            )
        )
        uow.commit()
        return person.id


def test_china_flight_paxlst_carries_pinyin_names(ctx: AppContext, users: tuple[Actor, Actor]) -> None:
    officer, supervisor = users
    world = World(ctx).setup()
    with ctx.uow() as uow:
        report = import_file(
            uow, admin_actor(), "roster", f"{ROSTER_HEADER}\n{ROSTER_ROW}\n".encode(), name="roster.csv"
        )
    assert any("WANG XIAOMING (Hanyu Pinyin)" in w for w in report.warnings)
    world.person_ids["A30000001"] = _papers(ctx, "A30000001")
    world.person("A10000001", "CHN", family_name="李", given_names="娜", native_name="")  # stored before
    world.plan({"A30000001": 1, "A10000001": 1})
    with ctx.uow() as uow:
        manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0 + timedelta(hours=1))
    with ctx.uow(write=False) as uow:
        content = manifests.manifest_content(uow, officer, "RF0001")
    edi = write_paxlst(content, sender="CHARTEROFFICE", recipient="SKYCHARTER", interchange_ref="T1", now=T0)
    segments = parse_paxlst(edi)
    names = sorted(s.elements[3] for s in segments if s.tag == "NAD" and s.element(0) == "FL")
    assert names == [("LI", "NA"), ("WANG", "XIAOMING")]
    assert [s.element(1) for s in segments if s.tag == "NAT"] == ["CHN", "CHN"]
    row = next(r for s in content.stops for r in s.rows if r.case_number == "A30000001")
    assert (row.family_name, row.given_names, row.native_name) == ("WANG", "XIAOMING", "王小明")


def test_approval_refuses_a_name_without_a_unoa_form(ctx: AppContext, users: tuple[Actor, Actor]) -> None:
    officer, supervisor = users
    world = World(ctx).setup()
    world.person("A10000001", "CHN")
    world.person("A10000002", "CHN", family_name="สมชาย")  # stored by an older version
    world.plan({"A10000001": 1, "A10000002": 1})
    with ctx.uow() as uow:
        draft = manifests.prepare_manifest(uow, officer, "RF0001", now=T0)
    with ctx.uow() as uow, pytest.raises(ManifestRefused) as info:
        manifests.approve_manifest(uow, supervisor, "RF0001", now=T0 + timedelta(hours=1))
    assert "A10000002" in str(info.value) and "A10000001" not in str(info.value)
    with ctx.uow(write=False) as uow:
        changes_json = uow.session.execute(
            sa.select(AuditEvent.changes_json).where(AuditEvent.action == "manifest.approve.refused")
        ).scalar_one()
        latest = manifests.list_manifests(uow, officer, "RF0001")[0]
    changes = json.loads(changes_json)
    assert "A10000002" in changes["reason"]
    assert any("family name" in d and "A10000002" in d for d in changes["details"])
    assert (latest.revision, latest.status) == (draft.revision, "DRAFT")
    assert world.frozen_cases() == set()
