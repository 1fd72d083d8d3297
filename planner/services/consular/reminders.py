"""Reminder letters: one PDF to a receiving state's consular section about its overdue requests.

:func:`write_reminder` (officer) lists every overdue request of the country (``status.find_overdue``)
— per batch its reference, the date it was sent, the date an answer was expected, the days overdue
and the people still awaiting an answer — then the people (case number, names in Latin and native
script, date of birth) grouped by batch. Pages are numbered "Page n of N"; the footer carries the
SHA-256 of the letter's content and a QR code of it. The file is written whole
(``planner.files.write_output``) and audited as ``request.reminder`` (country, references, people,
the file's SHA-256). Nothing overdue → ``InvalidInput``, nothing written.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import sqlalchemy as sa
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from planner.domain.countries import country_name
from planner.domain.enums import RequestKind, Role
from planner.domain.errors import InvalidInput
from planner.domain.requests import REQUEST_WORDS
from planner.domain.wording import plural
from planner.files import write_output
from planner.persistence import audit
from planner.persistence.audit import canonical_json
from planner.persistence.models import Person, utc_now
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.consular import records
from planner.services.consular.status import OverdueRequest, find_overdue
from planner.services.manifests.pdf_common import (
    Fonts,
    Furniture,
    Styles,
    build_document,
    cell,
    grid_style,
    load_fonts,
    make_styles,
    markup,
)

log = logging.getLogger(__name__)

#: The QR code's payload prefix: ``CHARTER-REMINDER|country|date|content sha256``.
REMINDER_QR = "CHARTER-REMINDER"
SUMMARY_COLUMNS = (
    ("Reference", 40 * mm),
    ("Request", 40 * mm),
    ("Sent", 22 * mm),
    ("Answer expected by", 28 * mm),
    ("Days overdue", 20 * mm),
    ("People awaiting", 22 * mm),
)
PEOPLE_COLUMNS = (
    ("#", 8 * mm),
    ("Case number", 24 * mm),
    ("Family name", 38 * mm),
    ("Given names", 40 * mm),
    ("Name (native script)", 42 * mm),
    ("Date of birth", 22 * mm),
)


@dataclass(frozen=True)
class ReminderLetter:
    country: str
    references: tuple[str, ...]
    people: int
    path: Path
    sha256: str


@dataclass(frozen=True)
class _Person:
    case_number: str
    family_name: str
    given_names: str
    native_name: str
    date_of_birth: date


@dataclass(frozen=True)
class _Batch:
    reference: str
    kind: RequestKind
    sent_on: date
    due_on: date
    days_overdue: int
    people: tuple[_Person, ...]


def _people(uow: UnitOfWork, ids: list[int]) -> dict[int, _Person]:
    found: dict[int, _Person] = {}
    for start in range(0, len(ids), 900):
        for pid, case, family, given, native, born in uow.session.execute(
            sa.select(
                Person.id,
                Person.case_number,
                Person.family_name,
                Person.given_names,
                Person.native_name,
                Person.date_of_birth,
            ).where(Person.id.in_(ids[start : start + 900]))
        ):
            found[pid] = _Person(case, family, given, native or "", born)
    return found


def _batches(uow: UnitOfWork, overdue: list[OverdueRequest]) -> list[_Batch]:
    people = _people(uow, sorted({o.person_id for o in overdue}))
    grouped: dict[str, list[OverdueRequest]] = defaultdict(list)
    for o in overdue:
        grouped[o.reference].append(o)
    batches = [
        _Batch(
            reference=reference,
            kind=rows[0].kind,
            sent_on=rows[0].sent_on,
            due_on=rows[0].due_on,
            days_overdue=max(r.days_overdue for r in rows),
            people=tuple(sorted((people[r.person_id] for r in rows), key=lambda p: p.case_number)),
        )
        for reference, rows in grouped.items()
    ]
    batches.sort(key=lambda b: (b.due_on, b.reference))
    return batches


def _content(country: str, today: date, batches: list[_Batch]) -> dict[str, Any]:
    """The letter's canonical content (what its footer's SHA-256 covers)."""
    return {
        "country": country,
        "date": today.isoformat(),
        "batches": [
            {
                "reference": b.reference,
                "kind": b.kind.value,
                "sent_on": b.sent_on.isoformat(),
                "due_on": b.due_on.isoformat(),
                "days_overdue": b.days_overdue,
                "people": [
                    [p.case_number, p.family_name, p.given_names, p.native_name, p.date_of_birth.isoformat()]
                    for p in b.people
                ],
            }
            for b in batches
        ],
    }


def _table(data: list[list[Any]], widths: list[float], fonts: Fonts) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(grid_style(fonts, numbered=False)))
    return table


def _head(columns: tuple[tuple[str, float], ...], st: Styles) -> list[Any]:
    return [Paragraph(escape(name), st.head) for name, _ in columns]


def _story(
    country: str, today: date, batches: list[_Batch], sender: str, *, fonts: Fonts, st: Styles
) -> list[Flowable]:
    name = country_name(country)
    people = sum(len(b.people) for b in batches)
    story: list[Flowable] = [
        Paragraph(escape(f"Reminder: requests awaiting your answer ({country})"), st.title),
        Spacer(1, 4 * mm),
        Paragraph(escape(f"To: the Consular Section of {name}"), st.body),
        Paragraph(escape(f"Date: {today.isoformat()}"), st.body),
        Paragraph(escape(f"Prepared by: {sender}"), st.body),
        Spacer(1, 4 * mm),
        Paragraph(
            escape(
                f"We wrote to your authorities with the {plural(len(batches), 'request')} below. For "
                f"{plural(people, 'person', 'people')} we have not yet received your answer, and the date "
                "by which we expected it has passed. We would be grateful for your answer at your "
                "earliest convenience, quoting the reference of each request. The people concerned are "
                "listed after the summary, by request."
            ),
            st.body,
        ),
        Spacer(1, 4 * mm),
    ]
    summary: list[list[Any]] = [_head(SUMMARY_COLUMNS, st)]
    for b in batches:
        summary.append(
            [
                b.reference,
                REQUEST_WORDS[b.kind],
                b.sent_on.isoformat(),
                b.due_on.isoformat(),
                str(b.days_overdue),
                str(len(b.people)),
            ]
        )
    story.append(_table(summary, [w for _, w in SUMMARY_COLUMNS], fonts))
    width = dict(PEOPLE_COLUMNS)
    for b in batches:
        heading = Paragraph(
            escape(
                f"{b.reference} — {REQUEST_WORDS[b.kind]}, sent {b.sent_on.isoformat()}, answer expected by "
                f"{b.due_on.isoformat()}: {plural(len(b.people), 'person', 'people')} awaiting an answer"
            ),
            st.h2,
        )
        data: list[list[Any]] = [_head(PEOPLE_COLUMNS, st)]
        for i, p in enumerate(b.people, start=1):
            data.append(
                [
                    str(i),
                    p.case_number,
                    cell([p.family_name], width["Family name"], fonts, st),
                    cell([p.given_names], width["Given names"], fonts, st),
                    cell([p.native_name], width["Name (native script)"], fonts, st) if p.native_name else "–",
                    p.date_of_birth.isoformat(),
                ]
            )
        table = _table(data, [w for _, w in PEOPLE_COLUMNS], fonts)
        story.extend([Spacer(1, 5 * mm), KeepTogether([heading, table]) if len(data) < 30 else heading])
        if len(data) >= 30:
            story.append(table)
    story.extend(
        [
            Spacer(1, 6 * mm),
            Paragraph(
                markup("Thank you for your cooperation. Please quote the reference when you answer.", fonts),
                st.body,
            ),
        ]
    )
    return story


def write_reminder(
    uow: UnitOfWork, actor: Actor, country: str, out: Path, today: date | None = None
) -> ReminderLetter:
    """Officer: write the reminder letter for ``country``'s overdue requests (both kinds) to
    ``out``, audit it (``request.reminder``) and commit. ``InvalidInput`` for an unknown country or
    when nothing is overdue for it (nothing written)."""
    authorize(uow, actor, Role.OFFICER, "request.reminder")
    code = records.check_country(country)
    today = today or utc_now().date()
    overdue = find_overdue(uow, code, today)
    if not overdue:
        raise InvalidInput(f"nothing is overdue for {code}")
    batches = _batches(uow, overdue)
    name = country_name(code)
    digest = hashlib.sha256(canonical_json(_content(code, today, batches)).encode("utf-8")).hexdigest()
    fonts = load_fonts()
    st = make_styles(fonts)
    title = f"Reminder to the Consular Section of {name}"
    furniture = Furniture(
        fonts=fonts,
        sha256=digest,
        qr_payload=f"{REMINDER_QR}|{code}|{today.isoformat()}|{digest}",
        header_title=title,
        header_right=f"{today.isoformat()} · {plural(len(overdue), 'request')} overdue",
        caption=f"{title} · {today.isoformat()}",
        note="SHA-256 of the letter's content; the audit log (action request.reminder) records it.",
        page_size=A4,
    )
    buffer = BytesIO()
    sender = actor.display_name or actor.username
    build_document(
        _story(code, today, batches, sender, fonts=fonts, st=st),
        buffer,
        furniture,
        title=title,
        author=sender,
    )
    data = buffer.getvalue()
    sha256 = hashlib.sha256(data).hexdigest()
    path = write_output(out, data)
    references = tuple(b.reference for b in batches)
    people = sum(len(b.people) for b in batches)
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action="request.reminder",
            entity="country",
            entity_id=code,
            changes={
                "country": code,
                "references": list(references),
                "people": people,
                "sha256": sha256,
                "content_sha256": digest,
                "file": path.name,
            },
        ),
    )
    uow.commit()
    log.info("reminder to %s: %d requests, %d people, %d bytes", code, len(references), people, len(data))
    return ReminderLetter(code, references, people, path, sha256)


__all__ = ["ReminderLetter", "write_reminder"]
