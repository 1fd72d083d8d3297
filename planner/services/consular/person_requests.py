"""Open requests of given people, in bulk: what the People list and a person's detail show.

``open_requests(session, person_ids, today)`` reads every OPEN request item of those people with
its batch in one query per 900 ids, and the expected lead times (``records.lead_times``) — never
one query per person, so a page of the 100,000-person list costs one query when nobody on it has
an open request and two when some do.

The lead times need every answered request (a median per country and kind: 75,000 rows on the
demo's 100,000 people, ~0.3 s), so they are kept per database and **audit chain head**: every
change writes an audit event (the house rule), so the head (``audit_head``: last event id and
hash) moves whenever an answer, a batch or a country rule changes, and the cached values are
exact until it does. Reading the head is one row.

Read-only; nothing here commits. The words: ``"requested (VR-CHN-2026-0007, sent 2026-11-02,
answer expected by 2026-12-02)"`` and, past the expected date, ``"overdue by 12 days
(VR-CHN-2026-0003, sent 2026-10-01, answer was expected by 2026-10-31)"``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from planner.domain.enums import RequestKind, RequestOutcome
from planner.domain.requests import LeadTime, days_overdue, due_on, expected_lead_time
from planner.domain.wording import plural
from planner.persistence.models import AuditHead, RequestBatch, RequestItem
from planner.services.consular.records import lead_times, rule_lead_days

#: Ids per ``IN (…)`` list (SQLite's bound-parameter limit is far above; PostgreSQL has none).
CHUNK = 900
#: How each kind reads before "requested" / "overdue" where both kinds are listed together.
KIND_WORDS = {RequestKind.VERIFICATION: "verification", RequestKind.TRAVEL_DOCUMENT: "travel document"}


@dataclass(frozen=True)
class OpenRequest:
    """One OPEN request of one person: its batch, when it was sent and when an answer is due."""

    person_id: int
    kind: RequestKind
    reference: str
    country: str
    sent_on: date
    due_on: date
    #: Days past ``due_on`` (0 while not overdue).
    days_overdue: int

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0

    def text(self) -> str:
        """``"requested (VR-CHN-2026-0007, sent 2026-11-02, answer expected by 2026-12-02)"`` or
        ``"overdue by 3 days (VR-…, sent …, answer was expected by …)"``."""
        if self.overdue:
            return (
                f"overdue by {plural(self.days_overdue, 'day')} ({self.reference}, sent "
                f"{self.sent_on:%Y-%m-%d}, answer was expected by {self.due_on:%Y-%m-%d})"
            )
        return (
            f"requested ({self.reference}, sent {self.sent_on:%Y-%m-%d}, "
            f"answer expected by {self.due_on:%Y-%m-%d})"
        )

    def kind_text(self) -> str:
        """:meth:`text` preceded by the kind: ``"travel document requested (TD-…)"``."""
        return f"{KIND_WORDS[self.kind]} {self.text()}"


def open_requests(session: Session, person_ids: Iterable[int], today: date) -> dict[int, list[OpenRequest]]:
    """``person id -> OPEN requests`` (verification first, then by sent date) of ``person_ids``;
    people without an open request are absent."""
    ids = sorted(set(person_ids))
    rows: list[tuple[int, str, str, str, date]] = []
    for start in range(0, len(ids), CHUNK):
        query = (
            sa.select(
                RequestItem.person_id,
                RequestBatch.kind,
                RequestBatch.reference,
                RequestBatch.country,
                RequestBatch.sent_on,
            )
            .join(RequestBatch, RequestBatch.id == RequestItem.batch_id)
            .where(
                RequestItem.person_id.in_(ids[start : start + CHUNK]),
                RequestItem.outcome == RequestOutcome.OPEN.value,
            )
        )
        rows.extend((p, k, r, c, d) for p, k, r, c, d in session.execute(query))
    if not rows:
        return {}
    expected = _lead_times(session)
    if any((RequestKind(k), c) not in expected for _, k, _, c, _ in rows):  # a batch newer than the cache
        rules = rule_lead_days(session)
        for _, k, _, c, _ in rows:
            expected.setdefault((RequestKind(k), c), expected_lead_time(rules.get(c), ()))
    found: dict[int, list[OpenRequest]] = defaultdict(list)
    for person_id, kind_value, reference, country, sent_on in rows:
        kind = RequestKind(kind_value)
        lead = expected[(kind, country)].days
        found[person_id].append(
            OpenRequest(
                person_id=person_id,
                kind=kind,
                reference=reference,
                country=country,
                sent_on=sent_on,
                due_on=due_on(sent_on, lead),
                days_overdue=days_overdue(sent_on, lead, today),
            )
        )
    order = list(RequestKind)
    return {
        pid: sorted(items, key=lambda r: (order.index(r.kind), r.sent_on, r.reference))
        for pid, items in found.items()
    }


def _lead_times(session: Session) -> dict[tuple[RequestKind, str], LeadTime]:
    """``records.lead_times`` of every country, cached per database and audit chain head."""
    head = session.execute(
        sa.select(AuditHead.last_event_id, AuditHead.last_hash).where(AuditHead.id == 1)
    ).first()
    bind = session.get_bind()
    url = bind.engine.url.render_as_string(hide_password=True)
    key = None if head is None else (head[0], head[1])
    cached = _CACHE.get(url)
    if key is not None and cached is not None and cached[0] == key:
        return dict(cached[1])
    expected = lead_times(session)
    if key is not None:
        _CACHE[url] = (key, expected)
    return dict(expected)


#: Database URL -> (audit head (event id, hash), lead times) for ``_lead_times``.
_CACHE: dict[str, tuple[tuple[int, str], dict[tuple[RequestKind, str], LeadTime]]] = {}


def requests_text(requests: Iterable[OpenRequest]) -> str:
    """One cell for the People list: each open request with its kind, joined by ``"; "``."""
    return "; ".join(r.kind_text() for r in requests)


__all__ = ["KIND_WORDS", "OpenRequest", "open_requests", "requests_text"]
