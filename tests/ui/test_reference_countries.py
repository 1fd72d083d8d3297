"""The Reference data screen's Countries tab through pytest-qt on both backends: every ISO country
listed with its rule or the default, the editor saves a new rule (audited), shows the impact on an
approved manifest and saves only after "Save anyway", and delete goes back to the default."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from PySide6.QtWidgets import QDialogButtonBox

from planner.persistence.context import AppContext
from planner.persistence.models import AuditEvent, CountryRule
from planner.services.auth import Actor
from tests.integration.test_country_rules import _approved
from ui import operations
from ui.screens.reference import ReferenceDataScreen
from ui.screens.reference.countries import CountriesPanel, RuleEditorDialog


@pytest.fixture(autouse=True)
def _finish_background_work(qtbot):
    yield
    qtbot.waitUntil(lambda: not operations.busy(), timeout=10000)


def _screen(qtbot, ctx: AppContext, actor: Actor) -> ReferenceDataScreen:
    screen = ReferenceDataScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1280, 720)
    screen.show()
    screen.activate()
    _wait_loaded(qtbot, screen.countries)
    return screen


def _wait_loaded(qtbot, panel: CountriesPanel) -> None:
    qtbot.waitUntil(lambda: panel.count_label.text().endswith("on the default"), timeout=10000)


def _edit(qtbot, panel: CountriesPanel, country: str) -> RuleEditorDialog:
    assert panel.select_country(country)
    dialog = panel.edit_selected()
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    return dialog


def _save(qtbot, dialog: RuleEditorDialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not operations.busy(), timeout=10000)


def _rule(ctx: AppContext, country: str) -> CountryRule | None:
    with ctx.uow(write=False) as uow:
        rule = uow.session.get(CountryRule, country)
        if rule is not None:
            uow.session.expunge(rule)
        return rule


def test_every_country_is_listed_and_a_new_rule_is_saved(
    qtbot, ctx: AppContext, admin: Actor, tmp_path
) -> None:
    screen = _screen(qtbot, ctx, admin)
    panel = screen.countries
    assert panel.model.rowCount() == 249
    assert panel.count_label.text() == "10 with a rule, 239 on the default"
    assert screen.tabs.tabText(1) == "Airports"
    panel.filter.setText("haiti")
    assert [r.country for r in panel.model.records()] == ["HTI"]
    panel.filter.clear()
    dialog = _edit(qtbot, panel, "HTI")
    assert dialog.documents["PASSPORT"].isChecked() and not dialog.documents["TRAVEL_DOCUMENT"].isChecked()
    assert dialog.notice.value() == 14 and not dialog.has_cap.isChecked()
    for box in dialog.documents.values():
        box.setChecked(False)
    _save(qtbot, dialog)
    assert "at least one document" in dialog.message.text() and dialog.isVisible()
    dialog.documents["TRAVEL_DOCUMENT"].setChecked(True)
    dialog.notice.setValue(5)
    dialog.has_cap.setChecked(True)
    dialog.cap.setValue(60)
    if os.environ.get("CHARTER_SCREENSHOTS"):
        dialog.grab().save(str(tmp_path / "rule_editor.png"))
    _save(qtbot, dialog)
    assert not dialog.isVisible()
    rule = _rule(ctx, "HTI")
    assert rule is not None and (rule.notice_days, rule.max_per_flight, rule.version) == (5, 60, 1)
    _wait_loaded(qtbot, panel)
    qtbot.waitUntil(lambda: panel.count_label.text() == "11 with a rule, 238 on the default", timeout=5000)
    if os.environ.get("CHARTER_SCREENSHOTS"):
        screen.grab().save(str(tmp_path / "reference_countries.png"))
        print("screenshots in", tmp_path)


def test_the_editor_shows_the_impact_and_saves_only_when_confirmed(
    qtbot, ctx: AppContext, admin: Actor, officer: Actor, supervisor: Actor, tmp_path
) -> None:
    _approved(ctx, officer, supervisor)
    panel = _screen(qtbot, ctx, admin).countries
    dialog = _edit(qtbot, panel, "CHN")
    dialog.documents["PASSPORT"].setChecked(False)
    _save(qtbot, dialog)
    assert dialog.isVisible() and dialog.impact.isVisible()
    assert dialog.impact.count() == 2 and "A10000001 on RF0001 (CHN)" in dialog.impact.item(0).text()
    assert "2 people on approved manifests ineligible" in dialog.message.text()
    assert dialog.save_button.text() == "Save anyway"
    if os.environ.get("CHARTER_SCREENSHOTS"):
        dialog.grab().save(str(tmp_path / "rule_impact.png"))
        print("impact screenshot in", tmp_path)
    assert _rule(ctx, "CHN").version == 1  # type: ignore[union-attr]
    _save(qtbot, dialog)
    assert not dialog.isVisible()
    rule = _rule(ctx, "CHN")
    assert rule is not None and (rule.accepted_document_types, rule.version) == ("TRAVEL_DOCUMENT", 2)
    with ctx.uow(write=False) as uow:
        changes = uow.session.execute(
            sa.select(AuditEvent.changes_json).where(AuditEvent.action == "country_rule.update")
        ).scalar_one()
    assert "impact_accepted" in changes


def test_delete_goes_back_to_the_default(qtbot, ctx: AppContext, admin: Actor) -> None:
    panel = _screen(qtbot, ctx, admin).countries
    asked: list[str] = []

    def confirm(_title: str, text: str) -> bool:
        asked.append(text)
        return True

    panel.confirm = confirm  # type: ignore[method-assign]
    assert panel.select_country("MEX") and panel.delete_button.isEnabled()
    panel.delete_selected()
    qtbot.waitUntil(lambda: not operations.busy(), timeout=10000)
    assert _rule(ctx, "MEX") is None and "Delete the rule of Mexico" in asked[0]
    qtbot.waitUntil(lambda: panel.count_label.text() == "9 with a rule, 240 on the default", timeout=5000)
    assert panel.select_country("MEX") and not panel.delete_button.isEnabled()


def test_the_dashboard_names_the_countries_on_the_default_rule(
    qtbot, ctx: AppContext, admin: Actor, tmp_path
) -> None:
    from tests.integration.test_default_rule_planning import _haiti
    from ui.screens.dashboard import DashboardScreen

    _haiti(ctx)
    screen = DashboardScreen(ctx, admin)
    qtbot.addWidget(screen)
    screen.resize(1280, 800)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.snapshot is not None, timeout=10000)
    assert screen.rules_label.text() == "On the default country rule (no rule of their own): HTI (Haiti)"
    if os.environ.get("CHARTER_SCREENSHOTS"):
        screen.grab().save(str(tmp_path / "dashboard.png"))
        print("dashboard screenshot in", tmp_path)


def test_the_editor_sets_the_answer_lead_time_and_the_request_columns(
    qtbot, ctx: AppContext, admin: Actor, tmp_path
) -> None:
    panel = _screen(qtbot, ctx, admin).countries
    dialog = _edit(qtbot, panel, "CHN")
    assert dialog.lead_time.value() == 30 and dialog.request_columns.text() == ""
    assert dialog.request_columns.placeholderText().startswith("reference;case_number;")
    assert "native_name" in dialog.request_columns.toolTip() and "Hanzi" in dialog.request_columns.toolTip()
    dialog.request_columns.setText("case_number;reference;shoe_size")
    _save(qtbot, dialog)
    assert dialog.isVisible() and "unknown request column 'shoe_size'" in dialog.message.text()
    dialog.request_columns.setText("reference;case_number;native_name;date_of_birth")
    dialog.lead_time.setValue(90)
    if os.environ.get("CHARTER_SCREENSHOTS"):
        dialog.grab().save(str(tmp_path / "rule_editor_requests.png"))
        print("editor screenshot in", tmp_path)
    _save(qtbot, dialog)
    assert not dialog.isVisible()
    rule = _rule(ctx, "CHN")
    assert rule is not None
    assert (rule.lead_time_days, rule.request_columns, rule.version) == (
        90,
        "reference;case_number;native_name;date_of_birth",
        2,
    )


def test_the_editor_sets_the_mission_limits_and_shows_a_bad_airport(
    qtbot, ctx: AppContext, admin: Actor, tmp_path
) -> None:
    panel = _screen(qtbot, ctx, admin).countries
    honduras = panel.model.record(panel.model.row_of("HND"))
    assert (honduras.region, honduras.max_missions_per_week, honduras.arrival_airports) == (
        "Central America",
        6,
        "SAP;XPL",
    )
    dialog = _edit(qtbot, panel, "HND")
    assert dialog.region.text() == "Central America" and dialog.has_missions_limit.isChecked()
    assert dialog.missions_per_week.value() == 6
    assert [box.isChecked() for box in dialog.weekdays] == [True] * 5 + [False] * 2
    for box in dialog.weekdays:
        box.setChecked(False)
    _save(qtbot, dialog)
    assert dialog.isVisible() and "at least one weekday" in dialog.message.text()
    dialog.weekdays[1].setChecked(True)
    dialog.weekdays[3].setChecked(True)
    dialog.arrival_airports.setText("SAP;GUA")
    _save(qtbot, dialog)
    assert dialog.isVisible() and "GUA" in dialog.message.text() and "not HND" in dialog.message.text()
    dialog.arrival_airports.setText("SAP")
    dialog.has_missions_limit.setChecked(False)
    dialog.region.setText("Central America North")
    if os.environ.get("CHARTER_SCREENSHOTS"):
        dialog.grab().save(str(tmp_path / "rule_editor_missions.png"))
        print("editor screenshot in", tmp_path)
    _save(qtbot, dialog)
    assert not dialog.isVisible()
    rule = _rule(ctx, "HND")
    assert rule is not None
    assert (rule.region, rule.max_missions_per_week, rule.arrival_weekdays, rule.arrival_airports) == (
        "Central America North",
        None,
        "TUE;THU",
        "SAP",
    )
