"""Open requests on the People screen (pytest-qt, both backends): the detail's Verification and
Travel document request fields say "requested (…)" / "overdue by N days (…)" (overdue in red), and
the list's "Open request" column shows the same words."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from planner.demo import generate as demo
from planner.domain.enums import RequestKind
from planner.persistence.context import AppContext
from planner.persistence.models import Person, utc_now
from planner.services.auth import Actor
from tests.integration.test_people_requests import add_batch, clear_requests
from ui.people_model import COLUMNS
from ui.screens.people import OVERDUE_COLOR, PeopleScreen

TODAY = utc_now().date()
TIMEOUT = 8000


@pytest.fixture
def office(ctx: AppContext, admin: Actor) -> AppContext:
    with ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=40, flights=2, seed=4)
    clear_requests(ctx)
    return ctx


def test_detail_and_list_show_open_requests(qtbot, office: AppContext, admin: Actor) -> None:
    with office.uow() as uow:
        first, second = uow.session.execute(sa.select(Person.id).order_by(Person.id).limit(2)).scalars()
    sent = TODAY - timedelta(days=3)
    fresh = add_batch(office, RequestKind.VERIFICATION, "CHN", 7, sent, [first])
    late = add_batch(office, RequestKind.TRAVEL_DOCUMENT, "CHN", 1, TODAY - timedelta(days=400), [first])

    screen = PeopleScreen(office, admin)
    qtbot.addWidget(screen)
    screen.resize(1300, 800)
    screen.show()
    screen.activate()
    qtbot.waitUntil(lambda: screen.model.rowCount() > 0, timeout=TIMEOUT)
    screen.show_person(first)
    detail = screen.detail
    qtbot.waitUntil(detail.isEnabled, timeout=TIMEOUT)
    verified = detail.fields["verified"].text()
    assert f"<br>requested ({fresh}, sent {sent:%Y-%m-%d}, answer expected by " in verified
    assert OVERDUE_COLOR not in verified
    travel = detail.fields["travel_document"].text()
    assert (
        travel.startswith(f'<span style="color: {OVERDUE_COLOR};">overdue by ')
        and f"({late}, sent " in travel
    )

    screen.show_person(second)
    qtbot.waitUntil(lambda: detail.fields["travel_document"].text() == "none open", timeout=TIMEOUT)
    assert "requested" not in detail.fields["verified"].text()

    column = [key for key, _ in COLUMNS].index("request")
    row = screen.model._ids.index(first)
    index = screen.model.index(row, column)
    screen.model.data(index)  # asks for the page
    qtbot.waitUntil(lambda: screen.model.data(index) != "…", timeout=TIMEOUT)
    cell = screen.model.data(index)
    assert cell.startswith(f"verification requested ({fresh}") and "; travel document overdue by " in cell
