"""People queries: the ordered id list (read in one packed row on SQLite) matches a plain ordered
query for every sort key and direction and for filters, on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from planner.auth import Actor
from planner.context import AppContext
from planner.models import Facility, Person
from planner.services import demo, people
from planner.services.people import SORTABLE, PeopleFilter


@pytest.fixture
def demo_ctx(any_ctx: AppContext, admin: Actor) -> AppContext:
    with any_ctx.uow() as uow:
        demo.generate_demo(uow, admin, people=400, flights=6, seed=5)
        uow.commit()
    return any_ctx


@pytest.mark.parametrize("sort_by", sorted(SORTABLE))
@pytest.mark.parametrize("descending", [False, True])
def test_ids_come_in_the_requested_order(
    demo_ctx: AppContext, admin: Actor, sort_by: str, descending: bool
) -> None:
    column = SORTABLE[sort_by]
    expected_query = (
        sa.select(Person.id)
        .outerjoin(Facility, Person.facility_id == Facility.id)
        .order_by(column.desc() if descending else column.asc(), Person.id)
    )
    with demo_ctx.uow(write=False) as uow:
        expected = list(uow.session.execute(expected_query).scalars())
        assert people.person_ids(uow, admin, sort_by=sort_by, descending=descending) == expected


def test_filters_narrow_the_ids(demo_ctx: AppContext, admin: Actor) -> None:
    with demo_ctx.uow(write=False) as uow:
        everyone = people.person_ids(uow, admin)
        chinese = people.person_ids(uow, admin, PeopleFilter(nationality="CHN"))
        expected = list(
            uow.session.execute(
                sa.select(Person.id)
                .where(Person.nationality == "CHN")
                .order_by(Person.case_number, Person.id)
            ).scalars()
        )
        assert chinese == expected and set(chinese) < set(everyone)
        assert people.person_ids(uow, admin, PeopleFilter(text="no such name at all")) == []
