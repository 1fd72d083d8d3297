"""Internal values never reach the person detail or the Audit screen (pytest-qt, both backends):
the audit shows "priority 5 → 2" (not ``{"priority":[5,2]}``), a person's case number where the
event recorded the database id, and the person detail shows no "None" (no ``demo:None`` source,
no empty place of birth printed as None), its facility by name, and the explanation in words."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from planner.persistence import audit
from planner.persistence.audit import AuditEntry
from planner.persistence.context import AppContext
from planner.persistence.models import Facility, NationalityVerification, Person
from planner.services.auth import Actor
from ui import operations
from ui.screens.audit import AuditScreen
from ui.screens.people import PeopleScreen

TIMEOUT = 8000
CASE = "A000000042"


@pytest.fixture(autouse=True)
def _finish_background_work(qtbot):
    yield
    qtbot.waitUntil(lambda: not operations.busy(), timeout=10000)


@pytest.fixture
def office(ctx: AppContext) -> AppContext:
    """One person with a demo verification (no source line), a facility, no place of birth, and
    two audit events: a priority change by case number and an assignment by database id."""
    with ctx.uow() as uow:
        s = uow.session
        facility = Facility(code="FAC7", name="Port Isabel Processing Center", city="Los Fresnos, TX")
        s.add(facility)
        s.flush()
        person = Person(
            case_number=CASE,
            family_name="WANG",
            given_names="LI",
            sex="F",
            date_of_birth=date(1990, 1, 1),
            nationality="CHN",
            facility_id=facility.id,
            risk_level="LOW",
            medical_need="NONE",
            order_status="FINAL",
            custody_status="IN_CUSTODY",
            priority=2,
        )
        s.add(person)
        s.flush()
        s.add(
            NationalityVerification(
                person_id=person.id,
                country="CHN",
                result="CONFIRMED",
                verified_on=date(2026, 9, 1),
                source_file="demo",
                source_line=None,
            )
        )
        audit.record_many(
            uow,
            [
                AuditEntry(
                    "wang",
                    "person.update",
                    "person",
                    CASE,
                    {"priority": [5, 2], "family_group": [None, "F1"]},
                ),
                AuditEntry(
                    "li", "assignment.change", "person", str(person.id), {"stop": [None, "RF0001/PEK"]}
                ),
            ],
        )
        uow.commit()
        person_id = person.id
    ctx.person_id = person_id  # type: ignore[attr-defined]
    return ctx


def test_audit_screen_shows_changes_in_words(qtbot, office: AppContext, officer: Actor) -> None:
    screen = AuditScreen(office, officer)
    qtbot.addWidget(screen)
    screen.resize(1400, 700)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: not screen._loading and screen.model.rowCount() > 0, timeout=TIMEOUT)
    rows = screen.model.records()
    update = next(r for r in rows if r.action == "person.update")
    assign = next(r for r in rows if r.action == "assignment.change")
    assert assign.entity_label == CASE  # the case number, not the database id
    shown = {
        screen.model.data(screen.model.index(row, column))
        for row in range(screen.model.rowCount())
        for column in range(screen.model.columnCount())
    }
    assert "family group empty → F1; priority 5 → 2" in shown
    assert "stop empty → RF0001/PEK" in shown
    assert not any("None" in text or '{"' in text for text in shown)
    screen.select_event(update.id)
    assert screen.detail.toPlainText() == "family group empty → F1\npriority 5 → 2"
    assert "user wang: person update on person A000000042" in screen.detail_header.text()
    changes = screen.model.index(0, 6)
    assert "→" in screen.model.data(changes, Qt.ItemDataRole.ToolTipRole)
    # Columns fit their contents within sensible maxima.
    assert screen.table.columnWidth(3) >= 130 and screen.table.columnWidth(3) <= 220
    screen.grab()


def test_person_detail_shows_no_internal_values(qtbot, office: AppContext, officer: Actor) -> None:
    screen = PeopleScreen(office, officer)
    qtbot.addWidget(screen)
    screen.resize(1400, 900)
    screen.show()
    screen.activate()
    screen.show_person(office.person_id)  # type: ignore[attr-defined]
    panel = screen.detail
    qtbot.waitUntil(panel.isEnabled, timeout=TIMEOUT)
    fields = {key: label.text() for key, label in panel.fields.items()}
    assert not any("None" in text for text in fields.values()), fields
    assert fields["born"] == "1990-01-01"
    assert fields["facility"] == "FAC7 (Port Isabel Processing Center, Los Fresnos, TX)"
    assert fields["custody"] == "in custody" and fields["verified"] == "CHN confirmed 2026-09-01"
    source = panel.verifications.columns.index(("source", "Source line"))
    assert panel.verifications.data(panel.verifications.index(0, source)) == "demo data"
    trail = [panel.audit.record(row)["changes"] for row in range(panel.audit.rowCount())]
    assert "family group empty → F1; priority 5 → 2" in trail
    assert "stop empty → RF0001/PEK" in trail
    every_cell = [
        model.data(model.index(row, column))
        for model in (panel.documents, panel.verifications, panel.family, panel.audit)
        for row in range(model.rowCount())
        for column in range(model.columnCount())
    ]
    assert not any("None" in str(text) or '{"' in str(text) for text in every_cell)
    why = panel.why.toPlainText()
    assert "None" not in why and "claims CHN" in why and "facility FAC7" in why
    assert panel.tabText(5) == "Audit trail (2 events)"
