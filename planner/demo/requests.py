"""The demo's history of requests to receiving states: past verification and travel-document
batches, answered with realistic lead times, and the batches still open.

:class:`RequestHistory` plans, per kind and receiving country, a schedule of batches sent on
working days over the past ``WINDOW_DAYS`` (one every one to four weeks, rarer where fewer people
are expected, so that a batch holds several people even in a small demo); each has its reference (``VR-CHN-2026-0007``, numbered per
kind, country and year in sent order) from the start, so the people generator can write the
reference into the verification rows it makes. The people generator then asks it for:

- :meth:`answered`: a batch and the answer's date for a request answered in the past: the lead time
  is drawn around the country's rule lead time (``lead_time_days``) times its ``ANSWER_SPEED``,
  right-skewed (log-normal, some very fast answers);
- :meth:`answered_on`: the batch of a request whose answer date is known already (a travel document
  issued on a date);
- :meth:`open`: a batch sent recently for a request still waiting, a few of them (``OVERDUE_SHARE``)
  past the lead time (overdue);

and records each person's item with :meth:`add`. :meth:`rows` gives, at the end, the batches that
hold somebody (ids assigned then, in schedule order; a scheduled batch nobody was put in is not
written, so a tiny demo may skip a number) and their items, plus one audit event per batch with its
items summarised as counts. Deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from planner.demo import names
from planner.demo.sampling import Reference
from planner.domain.enums import RequestKind, RequestOutcome
from planner.domain.requests import format_reference, issues_on_request
from planner.persistence import audit

#: Batches are spread over this many days before today.
WINDOW_DAYS = 330
#: People per batch the schedule aims at (it sends at most one batch a week per kind and country).
TARGET_PER_BATCH = 6
MIN_INTERVAL_DAYS = 7
#: The longest gap between two batches of a kind (so a lead time is not stretched to the next one).
MAX_INTERVAL_DAYS = {RequestKind.VERIFICATION: 14, RequestKind.TRAVEL_DOCUMENT: 28}
#: Share of open requests sent more than a lead time ago (overdue; up to two lead times ago); the
#: others were sent within the last lead time.
OVERDUE_SHARE = 0.12
#: Spread of the log-normal lead time (median = the country's lead time) and the share of fast
#: answers (2–7 days).
LEAD_SIGMA = 0.5
FAST_SHARE = 0.06
#: What share of the demo's people get a request of each kind in the history, roughly (for the
#: schedule's density only).
EXPECTED_SHARE = {RequestKind.VERIFICATION: 0.7, RequestKind.TRAVEL_DOCUMENT: 0.15}
ANSWERED_AT = time(15, 0)
SENT_AT = time(9, 0)


@dataclass
class _Batch:
    kind: RequestKind
    country: str
    sent_on: date
    reference: str
    items: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Request:
    """A request the history placed: its batch (index), the date sent and the answer's date (None
    while open)."""

    batch: int
    reference: str
    sent_on: date
    answered_on: date | None


class RequestHistory:
    """See the module docstring. ``expected_people``: the people the demo will have per country
    (for the schedule's density)."""

    def __init__(
        self,
        rng: random.Random,
        ref: Reference,
        today: date,
        actor: str,
        expected_people: Mapping[str, float],
    ) -> None:
        self.rng, self.ref, self.today, self.actor = rng, ref, today, actor
        self.batches: list[_Batch] = []
        #: (kind, country) -> (sent dates ascending, batch indices)
        self.schedule: dict[tuple[RequestKind, str], tuple[list[date], list[int]]] = {}
        self.lead: dict[str, int] = {
            c: max(1, round(ref.rules[c].lead_time_days * names.ANSWER_SPEED.get(c, 1.0)))
            for c in ref.countries
        }
        #: Countries whose rule accepts a document they issue on request.
        self.issuing = frozenset(c for c in ref.countries if issues_on_request(ref.rules[c].accepted))
        for kind in RequestKind:
            for country in ref.countries:
                if kind is RequestKind.TRAVEL_DOCUMENT and not self.issues_travel_documents(country):
                    continue
                expected = expected_people.get(country, 0.0) * EXPECTED_SHARE[kind]
                self._plan(kind, country, expected)

    def issues_travel_documents(self, country: str) -> bool:
        """Whether ``country``'s rule accepts a document it issues on request (eTD or travel document)."""
        return country in self.issuing

    def _plan(self, kind: RequestKind, country: str, expected: float) -> None:
        interval = MIN_INTERVAL_DAYS
        if expected > 0:
            interval = math.ceil(WINDOW_DAYS * TARGET_PER_BATCH / expected)
        interval = min(MAX_INTERVAL_DAYS[kind], max(MIN_INTERVAL_DAYS, interval))
        day = self.today - timedelta(days=WINDOW_DAYS - self.rng.randrange(interval))
        dates: list[date] = []
        while day < self.today:
            sent = day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)
            if sent < self.today and (not dates or sent > dates[-1]):
                dates.append(sent)
            day += timedelta(days=interval)
        numbers: Counter[int] = Counter()
        indices = []
        for sent in dates:
            numbers[sent.year] += 1
            indices.append(len(self.batches))
            reference = format_reference(kind, country, sent.year, numbers[sent.year])
            self.batches.append(_Batch(kind, country, sent, reference))
        self.schedule[(kind, country)] = (dates, indices)

    # -------------------------------------------------------- drawing requests

    def lead_time(self, country: str) -> int:
        """Days one answer of ``country`` takes: log-normal around its lead time, some fast."""
        rng = self.rng
        if rng.random() < FAST_SHARE:
            return rng.randint(2, 7)
        lead = self.lead[country]
        return max(1, min(WINDOW_DAYS - 30, round(lead * rng.lognormvariate(0.0, LEAD_SIGMA))))

    def _pick(self, kind: RequestKind, country: str, first: date, last: date) -> int | None:
        """A batch sent in ``[first, last]``, uniformly; None when there is none."""
        dates, indices = self.schedule.get((kind, country), ([], []))
        low, high = bisect.bisect_left(dates, first), bisect.bisect_right(dates, last)
        if low >= high:
            return None
        return indices[self.rng.randrange(low, high)]

    def answered(
        self, kind: RequestKind, country: str, after: date | None = None, before: date | None = None
    ) -> Request | None:
        """A request of ``kind`` to ``country`` sent after ``after`` and answered before ``before``
        (default: today); None when no batch fits."""
        lead = self.lead_time(country)
        first = (after or self.today - timedelta(days=WINDOW_DAYS)) + timedelta(days=1)
        last = (before or self.today) - timedelta(days=lead + 1)
        index = self._pick(kind, country, first, last)
        if index is None:
            return None
        batch = self.batches[index]
        return Request(index, batch.reference, batch.sent_on, batch.sent_on + timedelta(days=lead))

    def answered_on(
        self, kind: RequestKind, country: str, answered: date, after: date | None = None
    ) -> Request | None:
        """The request behind an answer given on ``answered``: of the batches sent after ``after``
        and before ``answered``, the one nearest to a drawn lead time before it; None when none fits."""
        dates, indices = self.schedule.get((kind, country), ([], []))
        target = answered - timedelta(days=self.lead_time(country))
        low = bisect.bisect_right(dates, after) if after is not None else 0
        high = bisect.bisect_left(dates, answered)
        if low >= high:
            return None
        near = min(max(bisect.bisect_left(dates, target, low, high), low), high - 1)
        position = min(
            (n for n in (near - 1, near) if low <= n < high), key=lambda n: abs((dates[n] - target).days)
        )
        batch = self.batches[indices[position]]
        return Request(indices[position], batch.reference, batch.sent_on, answered)

    def open(self, kind: RequestKind, country: str, after: date | None = None) -> Request | None:
        """A request still waiting (not sent before ``after``): mostly in a batch sent within the
        country's lead time, ``OVERDUE_SHARE`` of them up to two lead times ago (overdue); None when
        no batch fits."""
        lead = self.lead[country]
        first, last = self.today - timedelta(days=lead - 1), self.today - timedelta(days=1)
        if self.rng.random() < OVERDUE_SHARE:
            first, last = self.today - timedelta(days=2 * lead), self.today - timedelta(days=lead + 1)
        if after is not None:
            first = max(first, after + timedelta(days=1))
        index = self._pick(kind, country, first, last)
        if index is None:
            return None
        batch = self.batches[index]
        return Request(index, batch.reference, batch.sent_on, None)

    def add(
        self,
        request: Request,
        person_id: int,
        outcome: RequestOutcome,
        *,
        verification_id: int | None = None,
        document_id: int | None = None,
    ) -> None:
        """Put ``person_id`` in the request's batch with ``outcome`` (OPEN or the answer)."""
        answered = request.answered_on if outcome is not RequestOutcome.OPEN else None
        self.batches[request.batch].items.append(
            {
                "person_id": person_id,
                "outcome": outcome.value,
                "answered_on": answered,
                "answered_at": None if answered is None else datetime.combine(answered, ANSWERED_AT, UTC),
                "answered_by": None if answered is None else self.actor,
                "answer_source": "" if answered is None else "demo",
                "verification_id": verification_id,
                "document_id": document_id,
            }
        )

    # -------------------------------------------------------- rows

    def rows(
        self, first_batch_id: int, first_item_id: int
    ) -> tuple[list[dict], list[dict], list[audit.AuditEntry]]:
        """``(batch rows, item rows, audit entries)`` of every batch that holds somebody."""
        batches: list[dict] = []
        items: list[dict] = []
        entries: list[audit.AuditEntry] = []
        batch_id, item_id = first_batch_id, first_item_id
        for batch in self.batches:
            if not batch.items:
                continue
            answers = [i["answered_on"] for i in batch.items if i["answered_on"] is not None]
            still_open = len(batch.items) - len(answers)
            closed_at = (
                None if still_open or not answers else datetime.combine(max(answers), ANSWERED_AT, UTC)
            )
            batches.append(
                {
                    "id": batch_id,
                    "reference": batch.reference,
                    "kind": batch.kind.value,
                    "country": batch.country,
                    "year": batch.sent_on.year,
                    "number": int(batch.reference.rsplit("-", 1)[1]),
                    "sent_on": batch.sent_on,
                    "created_at": datetime.combine(batch.sent_on, SENT_AT, UTC),
                    "created_by": self.actor,
                    "people": len(batch.items),
                    "csv_name": f"{batch.reference}.csv",
                    "csv_sha256": "",
                    "pdf_sha256": "",
                    "closed_at": closed_at,
                }
            )
            for item in sorted(batch.items, key=lambda i: i["person_id"]):
                items.append({"id": item_id, "batch_id": batch_id, **item})
                item_id += 1
            outcomes = Counter(i["outcome"] for i in batch.items)
            entries.append(
                audit.AuditEntry(
                    self.actor,
                    "request_batch.create",
                    "request_batch",
                    batch.reference,
                    {
                        "kind": batch.kind.value,
                        "country": batch.country,
                        "sent_on": batch.sent_on.isoformat(),
                        "people": len(batch.items),
                        "outcomes": dict(sorted(outcomes.items())),
                    },
                )
            )
            batch_id += 1
        return batches, items, entries
