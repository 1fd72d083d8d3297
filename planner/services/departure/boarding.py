"""Boarding (who boarded where, by scanning or typing case numbers) and closing the doors.

:func:`board` (officer+) records a ``boarding`` row per person; it needs the flight's in-force
(approved or signed) manifest and only takes people listed on it and not struck off (a reserve
boards once the revision that moved them up is approved). A person boarded twice is reported, not an
error. On a route with several pickups each person boards at their own pickup airport: without an
``airport`` each is recorded there, with one a person whose pickup is elsewhere is refused (naming
it). :func:`read_scans` turns a scanner file (a USB scanner types the case number and Enter) into
case numbers.

:func:`close` (supervisor) closes the doors: refused — naming each case — while a listed person is
neither boarded nor struck off, or a boarded person no longer passes the eligibility rules at ``now``
(rules 1–6, 8 and 10; rule 7, the transfer, is done once boarded, and rule 9 is exempt for listed
people); each such person is to be struck off. Audited as ``departure.board``, ``departure.close``
and ``departure.close.refused``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from planner.domain.eligibility import reason_label
from planner.domain.enums import Role
from planner.domain.errors import InvalidInput
from planner.domain.wording import plural
from planner.persistence import audit
from planner.persistence.models import Boarding, Flight, FlightStop, Person
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.departure.listing import (
    DepartureRefused,
    Listed,
    aware_now,
    boarded,
    flight_named,
    in_force_revision,
    manifest_listing,
    require_open,
    struck_off,
)
from planner.services.manifests.recheck import ListedAt, unfit_listed
from planner.services.routes import route_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoardResult:
    flight_code: str
    airport: str
    boarded: tuple[str, ...]
    already: tuple[str, ...]


@dataclass(frozen=True)
class CloseResult:
    flight_code: str
    closed_at: datetime
    boarded: int
    struck: int


def read_scans(text: str) -> list[str]:
    """Case numbers from a scanner file: one per line, surrounding whitespace and blank lines
    ignored, upper-cased, in the order scanned."""
    return [line.strip().upper() for line in text.splitlines() if line.strip()]


def board(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    case_numbers: Iterable[str],
    *,
    airport: str | None = None,
    now: datetime | None = None,
) -> BoardResult:
    """Officer+: record that ``case_numbers`` boarded ``flight_code`` at ``airport`` (default the
    departure airport; else one of the flight's airports). On a route with several pickups the
    default is each person's own pickup, and ``airport`` must be it.

    ``InvalidInput`` (nothing written) for no case numbers, an unknown flight or airport, a flight
    not PLANNED or closed, no approved manifest yet, and — naming every one — unknown cases, cases not
    listed on the in-force revision, and struck-off people. Commits the new rows and one audit event.
    """
    authorize(uow, actor, Role.OFFICER, f"board people on {flight_code}")
    now = aware_now(now)
    cases = list(dict.fromkeys(c.strip().upper() for c in case_numbers if c.strip()))
    if not cases:
        raise InvalidInput("no case numbers to board")
    flight = flight_named(uow, flight_code)
    require_open(flight, "board people")
    manifest = in_force_revision(uow, flight.id)
    if manifest is None:
        raise InvalidInput(
            f"the manifest of {flight.code} is not approved yet: nobody may board before approval"
        )
    route = route_of(uow, flight.id)
    several = route is not None and not route.is_single_pickup()
    pickups = [p.airport for p in route.pickups] if route else [flight.departure_airport]
    where = (airport or ("" if several else flight.departure_airport)).strip().upper()
    airports = set(pickups) | set(
        uow.session.execute(sa.select(FlightStop.airport).where(FlightStop.flight_id == flight.id)).scalars()
    )
    if where and where not in airports:
        raise InvalidInput(f"{where} is not an airport of {flight.code} ({', '.join(sorted(airports))})")
    listed = {e.case_number: e for e in manifest_listing(uow, actor, flight, manifest).values()}
    struck = struck_off(uow, flight.id)
    known = dict(
        uow.session.execute(
            sa.select(Person.case_number, Person.id).where(Person.case_number.in_(cases))
        ).all()
    )
    problems: list[str] = []
    for case in cases:
        if case not in known:
            problems.append(f"{case}: no such case number")
        elif known[case] in struck:
            problems.append(f"{case}: struck off {flight.code} ({struck[known[case]].reason})")
        elif case not in listed:
            problems.append(
                f"{case}: not listed on revision {manifest.revision} of the {flight.code} manifest "
                "(a reserve boards once the new revision is approved)"
            )
        elif several and where and listed[case].pickup_airport != where:
            entry = listed[case]
            problems.append(
                f"{case}: boards at {entry.pickup_airport or '?'} (pickup {entry.pickup_sequence + 1}), not {where}"
            )
    if problems:
        raise InvalidInput(
            problems[0] if len(problems) == 1 else f"{len(problems)} case numbers cannot board {flight.code}",
            problems,
        )
    on_board = boarded(uow, flight.id)
    new = [c for c in cases if known[c] not in on_board]
    again = [c for c in cases if known[c] in on_board]
    at = {case: where or listed[case].pickup_airport or flight.departure_airport for case in cases}
    for case in new:
        uow.session.add(
            Boarding(
                flight_id=flight.id,
                person_id=known[case],
                airport=at[case],
                boarded_by=actor.username,
                boarded_at=now,
            )
        )
    if new:
        uow.session.flush()
        audit.record(
            uow,
            audit.AuditEntry(
                actor=actor.username,
                action="departure.board",
                entity="flight",
                entity_id=flight.code,
                changes={
                    "boarded": new,
                    "airport": where or ", ".join(dict.fromkeys(at[c] for c in new)),
                    "already": again,
                    "manifest_revision": manifest.revision,
                },
            ),
        )
        uow.commit()
    return BoardResult(flight.code, where or ", ".join(dict.fromkeys(at.values())), tuple(new), tuple(again))


def close(uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime | None = None) -> CloseResult:
    """Supervisor: close the doors of ``flight_code`` (see the module doc).

    ``InvalidInput`` for an unknown flight, one not PLANNED or already closed, or without an
    approved manifest. ``DepartureRefused`` (audited ``departure.close.refused``, exit 2) naming
    every open case and every boarded person now ineligible. Commits ``closed_at``/``closed_by``.
    """
    authorize(uow, actor, Role.SUPERVISOR, f"close {flight_code}")
    now = aware_now(now)
    flight = flight_named(uow, flight_code)
    require_open(flight, "close it")
    manifest = in_force_revision(uow, flight.id)
    if manifest is None:
        raise InvalidInput(f"the manifest of {flight.code} is not approved yet")
    listed = manifest_listing(uow, actor, flight, manifest)
    struck = struck_off(uow, flight.id)
    on_board = {pid: b for pid, b in boarded(uow, flight.id).items() if pid not in struck}
    problems = [
        f"{e.case_number}: neither boarded nor struck off (board it, or strike it off with a reason)"
        for pid, e in sorted(listed.items(), key=lambda kv: kv[1].case_number)
        if pid not in on_board and pid not in struck
    ]
    problems += _ineligible(uow, flight, listed, set(on_board), now)
    if problems:
        audit.refuse(
            uow,
            audit.AuditEntry(
                actor=actor.username,
                action="departure.close.refused",
                entity="flight",
                entity_id=flight.code,
                changes={"details": problems[:200]},
            ),
            DepartureRefused(f"{flight.code} cannot close: {plural(len(problems), 'case')} open", problems),
        )
    flight.closed_at = now
    flight.closed_by = actor.username
    flight.version += 1
    uow.session.flush()
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action="departure.close",
            entity="flight",
            entity_id=flight.code,
            changes={
                "closed_at": now,
                "boarded": len(on_board),
                "struck": len(struck),
                "manifest_revision": manifest.revision,
            },
        ),
    )
    uow.commit()
    return CloseResult(flight.code, now, len(on_board), len(struck))


def _ineligible(
    uow: UnitOfWork, flight: Flight, listed: dict[int, Listed], boarded_ids: set[int], now: datetime
) -> list[str]:
    """One message per boarded person who fails a rule (see the module doc) at ``now``. The transfer
    to the airport is over and listed people are on the sent manifest: the same rules are exempt as
    when sign and paxlst re-check the listed people (one re-check, :func:`unfit_listed`)."""
    unfit = unfit_listed(
        uow,
        flight,
        (ListedAt(pid, listed[pid].stop_id, listed[pid].country) for pid in boarded_ids if pid in listed),
        now,
    )
    return sorted(
        f"{listed[pid].case_number}: no longer eligible ({'; '.join(reason_label(r) for r in problem.reasons)})"
        f": strike it off (strike {flight.code} {listed[pid].case_number} --reason CODE)"
        for pid, problem in unfit.items()
    )
