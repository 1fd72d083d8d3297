"""Request batches for the status, forecast and reminder tests, inserted directly (row by row, the
way a batch and its answers would leave them), dated relative to a given ``today``.

As of ``today`` (T), with China's verification history median 20 days (4 answers: 10, 20, 20, 30;
3 confirmed: rate 0.75) and
the rule's 30 days for travel documents and for Haiti (default rule, passport only):

- ``VR-CHN-<y>-0001`` sent T−92: c1 CONFIRMED (20 d), c2 CONFIRMED (30 d), c3 NOT_CONFIRMED (10 d),
  c4 WITHDRAWN, c5 OPEN → due T−72, 72 days overdue;
- ``TD-CHN-<y>-0001`` sent T−61: c1 OPEN → due T−31, 31 days overdue;
- ``VR-CHN-<y>-0002`` sent T−7: c6 and c7 OPEN → due T+13, not overdue; c6 holds a CHN passport
  valid for years, c7 one that expires at T+30 (too soon: it must outlast T+13+1+30);
- ``VR-HTI-<y>-0001`` sent T−31: h1 OPEN → due T−1, 1 day overdue (Haiti issues no documents on
  request: no known path);
- ``VR-CHN-<y>-0003`` sent T−200, closed: nobody open (c8 CONFIRMED at 20 days).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from planner.persistence.models import Person, RequestBatch, RequestItem, TravelDocument

NATIVE = {"c5": "王小明", "c6": "李娜", "c7": "张秀英", "h1": "Jean-Baptiste"}


def _person(session: Session, key: str, k: int, country: str) -> int:
    person = Person(
        case_number=f"A{100000000 + k}",
        family_name=f"FAMILY{key.upper()}",
        given_names=f"Given {key}",
        native_name=NATIVE.get(key, "") if country == "CHN" else "",
        sex="MF"[k % 2],
        date_of_birth=date(1980 + k, 1 + k, 1 + k),
        nationality=country,
        risk_level="LOW",
        medical_need="NONE",
        order_status="FINAL",
        custody_status="IN_CUSTODY",
    )
    session.add(person)
    session.flush()
    assert person.id is not None
    return person.id


def _batch(
    session: Session,
    kind: str,
    country: str,
    number: int,
    sent_on: date,
    items: list[tuple[int, str, int | None]],
    closed: bool = False,
) -> str:
    prefix = "VR" if kind == "VERIFICATION" else "TD"
    reference = f"{prefix}-{country}-{sent_on.year}-{number:04d}"
    batch = RequestBatch(
        reference=reference,
        kind=kind,
        country=country,
        year=sent_on.year,
        number=number,
        sent_on=sent_on,
        created_by="olivia",
        people=len(items),
        closed_at=datetime(sent_on.year, sent_on.month, sent_on.day, tzinfo=UTC) if closed else None,
    )
    session.add(batch)
    session.flush()
    for person_id, outcome, after in items:
        session.add(
            RequestItem(
                batch_id=batch.id,
                person_id=person_id,
                outcome=outcome,
                answered_on=None if after is None else sent_on + timedelta(days=after),
            )
        )
    return reference


def build(session: Session, today: date) -> dict[str, int]:
    """The world of the module docstring; returns ``key -> person id`` (keys c1…c8, h1)."""
    keys = ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]
    ids = {key: _person(session, key, k, "CHN") for k, key in enumerate(keys, start=1)}
    ids["h1"] = _person(session, "h1", 9, "HTI")
    day = timedelta(days=1)
    _batch(session, "VERIFICATION", "CHN", 3, today - 200 * day, [(ids["c8"], "CONFIRMED", 20)], closed=True)
    _batch(
        session,
        "VERIFICATION",
        "CHN",
        1,
        today - 92 * day,
        [
            (ids["c1"], "CONFIRMED", 20),
            (ids["c2"], "CONFIRMED", 30),
            (ids["c3"], "NOT_CONFIRMED", 10),
            (ids["c4"], "WITHDRAWN", None),
            (ids["c5"], "OPEN", None),
        ],
    )
    _batch(session, "TRAVEL_DOCUMENT", "CHN", 1, today - 61 * day, [(ids["c1"], "OPEN", None)])
    _batch(
        session,
        "VERIFICATION",
        "CHN",
        2,
        today - 7 * day,
        [(ids["c6"], "OPEN", None), (ids["c7"], "OPEN", None)],
    )
    _batch(session, "VERIFICATION", "HTI", 1, today - 31 * day, [(ids["h1"], "OPEN", None)])
    for key, expires, number in (("c6", date(2035, 1, 1), "E6"), ("c7", today + 30 * day, "E7")):
        session.add(
            TravelDocument(
                person_id=ids[key],
                doc_type="PASSPORT",
                number=number,
                issuing_country="CHN",
                issued_on=date(2020, 1, 1),
                expires_on=expires,
            )
        )
    session.flush()
    return ids


def reference(kind: str, country: str, sent_on: date, number: int) -> str:
    return f"{kind}-{country}-{sent_on.year}-{number:04d}"


__all__ = ["NATIVE", "build", "reference"]
