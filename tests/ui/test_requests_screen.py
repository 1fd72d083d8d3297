"""The Requests screen through pytest-qt on both backends: it loads the countries (sortable) and the
selected country's funnel, lead times and batches; the funnel chart paints the right numbers; the
actions follow the role and the selection; the request dialog creates a batch (or says nobody is
left to request); the reminder letter is written for a country with overdue requests."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from planner.domain.enums import RequestKind, Role
from planner.domain.requests import FunnelStage, LeadTime, funnel_counts
from planner.persistence.context import AppContext
from planner.persistence.models import Person, RequestBatch
from planner.services.auth import Actor
from planner.services.consular.batches import create_batch
from planner.services.consular.funnel import CountryFunnel
from ui import operations
from ui.main_window import SCREENS, MainWindow, go_keys
from ui.screens.requests import FunnelChart, KindLeads, LeadTimeChart, RequestsScreen
from ui.screens.requests.charts import STAGE_COLOURS, histogram_layout, share_text
from ui.screens.requests.models import COUNTRY_COLUMNS, WAITING_COLUMNS, column_of

TIMEOUT = 10_000
_cases = itertools.count(200000001)


def _people(ctx: AppContext, country: str, n: int) -> None:
    """``n`` people claiming ``country``, in custody with a final order, never asked about."""
    with ctx.uow() as uow:
        uow.session.add_all(
            Person(
                case_number=f"A{next(_cases)}",
                family_name="GARCIA" if country != "CHN" else "WANG",
                given_names=f"Given {k}",
                sex="MF"[k % 2],
                date_of_birth=date(1980 + k % 20, 1 + k % 12, 1 + k % 28),
                place_of_birth="Somewhere",
                nationality=country,
                risk_level="LOW",
                medical_need="NONE",
                order_status="FINAL",
                custody_status="IN_CUSTODY",
            )
            for k in range(n)
        )
        uow.commit()


@pytest.fixture
def office(ctx: AppContext, officer: Actor, tmp_path: Path) -> AppContext:
    """CHN 6 people (4 asked 100 days ago: overdue), GTM 3, MEX 2 (nobody asked)."""
    _people(ctx, "CHN", 6)
    _people(ctx, "GTM", 3)
    _people(ctx, "MEX", 2)
    with ctx.uow() as uow:
        made = create_batch(
            uow,
            officer,
            RequestKind.VERIFICATION,
            "CHN",
            tmp_path / "old.csv",
            limit=4,
            today=date.today() - timedelta(days=100),
        )
    assert made is not None and made.people == 4
    return ctx


def _screen(qtbot, ctx: AppContext, actor: Actor) -> RequestsScreen:
    screen = RequestsScreen(ctx, actor)
    qtbot.addWidget(screen)
    screen.resize(1300, 800)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: not operations.busy() and screen.countries.rowCount() > 0, timeout=TIMEOUT)
    return screen


def _codes(screen: RequestsScreen) -> list[str]:
    return [r.country for r in screen.countries.records()]


def test_loads_sorts_and_shows_the_selected_country(
    qtbot, qtmodeltester, office: AppContext, officer: Actor
) -> None:
    screen = _screen(qtbot, office, officer)
    qtmodeltester.check(screen.countries)
    assert _codes(screen) == ["CHN", "GTM", "MEX"]  # by people claiming, most first
    chn = screen.selected()
    assert chn is not None and chn.country == "CHN"  # the top row is selected
    assert (chn.claimed, chn.open, chn.overdue, chn.confirmed) == (6, 4, 4, 0)
    assert chn.funnel is not None and chn.funnel.counts[FunnelStage.REQUESTED] == 4
    assert "China (CHN)" in screen.detail_title.text() and "4 overdue" in screen.detail_title.text()
    assert screen.batches.rowCount() == 1 and screen.batch_table.isVisibleTo(screen)
    assert screen.batches.record(0).reference.startswith("VR-CHN-")
    qtmodeltester.check(screen.batches)
    index = screen.countries.index(0, column_of(COUNTRY_COLUMNS, "overdue"))
    assert screen.countries.data(index, Qt.ItemDataRole.ForegroundRole).color() == QColor("#b00020")
    assert screen.count_label.text().startswith("3 countries · 1 batch · 4 open · 4 overdue")

    screen.country_table.sortByColumn(column_of(COUNTRY_COLUMNS, "name"), Qt.SortOrder.AscendingOrder)
    assert [r.name for r in screen.countries.records()] == ["China", "Guatemala", "Mexico"]
    screen.country_table.sortByColumn(column_of(COUNTRY_COLUMNS, "open"), Qt.SortOrder.DescendingOrder)
    assert _codes(screen)[0] == "CHN"

    assert screen.select_country("MEX")
    assert screen.funnel_chart.funnel is not None and screen.funnel_chart.funnel.country == "MEX"
    assert not screen.batch_table.isVisibleTo(screen) and screen.batches_empty.isVisibleTo(screen)
    assert screen.batches_empty.text().startswith("No requests to Mexico yet")


def test_people_waiting_with_the_date_they_are_expected_eligible(
    qtbot, qtmodeltester, office: AppContext, officer: Actor
) -> None:
    """The second tab lists everybody of the country with an open request: overdue answers are
    expected today; China's default rule wants a passport, which nobody holds: no known path."""
    screen = _screen(qtbot, office, officer)
    assert screen.select_country("CHN")
    qtmodeltester.check(screen.waiting)
    assert screen.waiting.rowCount() == 4
    assert screen.batch_box.tabText(1).startswith("People waiting (4)")
    forecasts = screen.waiting.records()
    assert {f.country for f in forecasts} == {"CHN"}
    assert all(any("VR-CHN-" in w for w in f.waiting_for) for f in forecasts)
    shown = screen.waiting.data(screen.waiting.index(0, column_of(WAITING_COLUMNS, "expected_eligible_on")))
    expected = forecasts[0].expected_eligible_on
    assert shown == ("no known path" if expected is None else f"{expected:%Y-%m-%d}")
    screen.batch_box.setCurrentIndex(1)
    assert screen.waiting_table.isVisibleTo(screen) and not screen.waiting_empty.isVisibleTo(screen)
    assert screen.select_country("MEX")
    assert screen.waiting.rowCount() == 0 and screen.waiting_empty.isVisibleTo(screen)
    assert screen.waiting_empty.text() == "Nobody waits for an answer from Mexico"


def test_empty_states(qtbot, ctx: AppContext, officer: Actor) -> None:
    screen = RequestsScreen(ctx, officer)
    qtbot.addWidget(screen)
    screen.show()
    screen.activate()
    qtbot.waitUntil(
        lambda: not operations.busy() and screen.count_label.text() != "Loading…", timeout=TIMEOUT
    )
    assert screen.countries_empty.isVisibleTo(screen) and "import a roster" in screen.countries_empty.text()
    assert screen.detail_title.text() == "Select a country"
    assert (
        not screen.reminder_action.isEnabled()
        and screen.reminder_action.toolTip() == "Select a country first"
    )
    _people(ctx, "GTM", 2)
    screen.refresh()
    qtbot.waitUntil(lambda: screen.countries.rowCount() == 1, timeout=TIMEOUT)
    assert screen.countries_empty.text().startswith(
        "No requests yet — select a country and Request verification…"
    )


def _funnel() -> CountryFunnel:
    stages = [FunnelStage.CLAIMED] * 3 + [FunnelStage.REQUESTED] * 4 + [FunnelStage.CONFIRMED] * 1
    stages += [FunnelStage.DOCUMENT_VALID] * 0 + [FunnelStage.PLACED] * 1 + [FunnelStage.FLOWN] * 1
    return CountryFunnel(
        country="CHN",
        name="China",
        counts=funnel_counts(stages),
        stopped={s: stages.count(s) for s in FunnelStage},
        lead_days={RequestKind.VERIFICATION: [3, 10, 12, 40], RequestKind.TRAVEL_DOCUMENT: [20]},
    )


def test_funnel_chart_paints_the_numbers(qtbot) -> None:
    chart = FunnelChart()
    qtbot.addWidget(chart)
    chart.resize(520, 240)
    chart.show()
    assert chart.funnel_rows() == []
    chart.grab()  # the empty state paints
    chart.set_funnel(_funnel())
    rows = chart.funnel_rows()
    assert [r.label for r in rows] == [
        "claimed",
        "requested",
        "confirmed",
        "document valid",
        "placed",
        "flown",
    ]
    assert [r.value for r in rows] == [
        "10 · 100 %",
        "7 · 70 %",
        "3 · 30 %",
        "2 · 20 %",
        "2 · 20 %",
        "1 · 10 %",
    ]
    widths = [r.bar.width() for r in rows]
    assert widths == sorted(widths, reverse=True) and widths[1] == pytest.approx(0.7 * widths[0])
    assert all(r.bar.right() < chart.width() - 8 - 40 for r in rows)  # room left for the value text
    image: QImage = chart.grab().toImage()
    claimed = rows[0].bar
    assert (
        image.pixelColor(int(claimed.center().x()), int(claimed.center().y()))
        == STAGE_COLOURS[FunnelStage.CLAIMED]
    )
    flown = rows[-1].bar
    assert (
        image.pixelColor(int(flown.center().x()), int(flown.center().y())) == STAGE_COLOURS[FunnelStage.FLOWN]
    )
    tip = chart.tooltip_for(FunnelStage.CONFIRMED)
    assert (
        "Confirmed: 3 people (3 · 30 % of 10 claiming China)" in tip
        and "1 got this far and no further" in tip
    )
    assert share_text(5, 0) == "5"


def test_lead_time_chart(qtbot) -> None:
    lead = LeadTime(30, "rule", 1, 20.0)
    kinds = [
        KindLeads(RequestKind.VERIFICATION, (3, 10, 12, 40), LeadTime(12, "history", 4, 11.0)),
        KindLeads(RequestKind.TRAVEL_DOCUMENT, (20,), lead),
    ]
    layout = histogram_layout(kinds)
    assert layout is not None and layout.width == 7
    assert sum(c[RequestKind.VERIFICATION] for _, c in layout.bins) == 4
    assert sum(c[RequestKind.TRAVEL_DOCUMENT] for _, c in layout.bins) == 1
    assert layout.days >= 41  # every answer and the expected lead times fit on the axis
    assert kinds[0].legend() == "Verification: 4 answers, median 11 d, expected 12 d"
    assert histogram_layout([KindLeads(RequestKind.VERIFICATION, (), lead)]) is None
    chart = LeadTimeChart()
    qtbot.addWidget(chart)
    chart.resize(480, 260)
    chart.show()
    chart.set_leads(kinds)
    chart.grab()
    assert "median" in chart.toolTip()
    chart.set_leads([KindLeads(RequestKind.VERIFICATION, (), lead)])
    chart.grab()  # the empty state paints


def test_actions_follow_role_and_selection(qtbot, office: AppContext, officer: Actor) -> None:
    assert all(RequestsScreen.allowed_for(role) for role in Role)
    screen = _screen(qtbot, office, officer)
    assert screen.verification_action.isEnabled() and screen.documents_action.isEnabled()
    assert (
        "of China" in screen.verification_action.toolTip()
        and "Ctrl+Shift+V" in screen.verification_action.toolTip()
    )
    assert screen.reminder_action.isEnabled() and "4 overdue requests" in screen.reminder_action.toolTip()
    screen.select_country("GTM")
    assert not screen.reminder_action.isEnabled()
    assert screen.reminder_action.toolTip() == "Nothing is overdue for Guatemala"
    screen.country_table.clearSelection()
    assert not screen.reminder_action.isEnabled() and screen.verification_action.isEnabled()
    screen.write_reminder()  # disabled: nothing happens
    assert screen.result_box is None


def test_request_dialog_creates_a_batch(qtbot, office: AppContext, officer: Actor, tmp_path: Path) -> None:
    screen = _screen(qtbot, office, officer)
    screen.select_country("GTM")
    dialog = screen.open_request(RequestKind.VERIFICATION)
    assert dialog is not None and dialog.chosen_country() == "GTM"
    assert Path(dialog.path.text()).name.startswith("verification-request-GTM-")
    dialog.path.setText(str(tmp_path / "gtm.csv"))
    changes: list[operations.Change] = []
    screen.data_changed.connect(changes.append)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.created is not None, timeout=TIMEOUT)
    created = dialog.created
    assert created is not None and created.country == "GTM" and created.people == 3
    assert (tmp_path / "gtm.csv").is_file() and (tmp_path / "gtm.pdf").is_file()
    qtbot.waitUntil(lambda: screen.result_box is not None, timeout=TIMEOUT)
    assert screen.result_box is not None and created.reference in screen.result_box.text()
    assert changes and changes[0] & operations.Change.REQUESTS
    screen.on_data_changed(changes[0])  # the window broadcasts it back
    qtbot.waitUntil(
        lambda: (row := screen.selected()) is not None and row.country == "GTM" and row.open == 3,
        timeout=TIMEOUT,
    )
    assert screen.batches.rowCount() == 1
    with office.uow(write=False) as uow:
        assert (
            uow.session.execute(
                sa.select(RequestBatch.people).where(RequestBatch.country == "GTM")
            ).scalar_one()
            == 3
        )

    # Again: everybody is asked already, so nobody is left; the dialog stays open and says so.
    again = screen.open_request(RequestKind.VERIFICATION)
    assert again is not None
    again.path.setText(str(tmp_path / "gtm-2.csv"))
    again.submit()
    qtbot.waitUntil(lambda: bool(again.nobody), timeout=TIMEOUT)
    assert again.created is None and again.nobody.startswith("Nobody to request of Guatemala")
    assert again.nobody in again.message.text() and again.isVisible()
    assert not (tmp_path / "gtm-2.csv").exists()
    again.reject()


def test_reminder_letter(qtbot, office: AppContext, officer: Actor, tmp_path: Path) -> None:
    screen = _screen(qtbot, office, officer)
    assert screen.selected() is not None and screen.selected().country == "CHN"  # type: ignore[union-attr]
    out = tmp_path / "reminder.pdf"
    screen.ask_reminder_path = lambda code: str(out) if code == "CHN" else ""
    screen.reminder_action.trigger()
    qtbot.waitUntil(lambda: screen.result_box is not None, timeout=TIMEOUT)
    assert out.is_file() and out.read_bytes().startswith(b"%PDF")
    assert screen.result_box is not None and "4 people" in screen.result_box.text()


def test_window_lists_requests_after_manifests(qtbot, ctx: AppContext, admin: Actor) -> None:
    titles = [s.title for s in SCREENS]
    assert titles.index("Requests") == titles.index("Manifests") + 1
    assert go_keys()["Requests"] == "Ctrl+6"
    assert go_keys()[titles[-1]] == "Ctrl+0" and len(titles) == 11  # Schedule has a key of its own
    window = MainWindow(ctx, admin)
    qtbot.addWidget(window)
    assert isinstance(window.screen("Requests"), RequestsScreen)
    window.show_screen("Requests")
    assert window.stack.currentWidget() is window.screen("Requests")
    qtbot.waitUntil(lambda: not operations.busy(), timeout=TIMEOUT)
