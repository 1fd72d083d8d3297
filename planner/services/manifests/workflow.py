"""Manifest workflow: prepare (DRAFT) -> approve (APPROVED, frozen, sent) -> sign (SIGNED); revisions.

Every function takes ``(uow, actor, …)``, calls :func:`planner.services.auth.authorize` first and works inside
the caller's unit of work; the caller commits. Flights are named by ``Flight.code`` (``RF0001``).

Lifecycle per flight (revision numbers 1, 2, … per flight):

- :func:`prepare_manifest` (officer+): snapshot the current plan's people on the flight (the plan is
  the newest ``PlanRun`` with status DRAFT) into a new DRAFT revision. When the newest revision
  already has exactly that content (same SHA-256), nothing is written and it is returned. An older
  DRAFT that was never approved becomes SUPERSEDED. An APPROVED/SIGNED revision stays in force (it is
  what the receiving country has) until a newer revision is approved.
- :func:`approve_manifest` (supervisor): the newest revision, a DRAFT, becomes APPROVED — refused when
  the current plan no longer yields the same content. Earlier APPROVED/SIGNED revisions become
  SUPERSEDED; the flight's assignments in the current plan are frozen; the revision counts as *sent*
  to the receiving countries (rule 9, see :func:`sent_manifest_people`).
- :func:`sign_manifest` (supervisor): APPROVED -> SIGNED with who and when; optionally a PAdES
  signature from a PKCS#12 key (the signed PDF is stored in ``manifest_signature``, see
  :func:`manifest_pdf`). Refused when the flight changed since approval.
- :func:`remove_from_manifest` (officer+): the way to change a frozen flight — take people off it in
  the current plan and prepare the new revision at once.
- :func:`reopen_manifest` (officer+): the way to *add* people to a frozen flight while the notice
  cut-off of at least one stop is still ahead — a new DRAFT revision with exactly the content of the
  revision in force, so the flight's newest revision is a DRAFT again and the planner may fill its
  free seats (the people of the sent manifest stay frozen in place; rule 9 still closes a stop once
  its cut-off has passed). The revision in force stays in force until the next one is approved.

Refusals (``ManifestRefused``, exit 1) are audited: the unit of work is rolled back, a
``manifest.<action>.refused`` event is written and committed, and nothing else is. They are:
the plan changed since the draft (approve), the flight changed since approval (sign,
:func:`check_frozen_flights`), an addition after the notice cut-off (prepare, approve: nobody who was
not on the sent manifest of a stop may be added once ``departure - notice_days`` has passed; a
flight never sent has nobody on its sent manifest), people the manifest may not carry
(re-checked rules, split families), and a reopen of a flight that is not frozen (no manifest, newest
revision a DRAFT), not PLANNED, or past the cut-off of every stop. An officer approving or signing is
refused by ``authorize``.

Audit actions: ``manifest.prepare``, ``manifest.supersede``, ``manifest.approve``, ``manifest.sign``,
``manifest.remove_people``, ``manifest.reopen``, ``manifest.paxlst`` and ``manifest.<action>.refused``
(a reopen also writes the ``manifest.prepare`` of its draft); rendering a PDF is
a read and is not audited. Storage of a PAdES-signed PDF: table ``manifest_signature`` (one row per
signed revision, migration 0002), so it is retrievable on both backends.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

import sqlalchemy as sa

from planner.domain.eligibility.scalar import CountryRuleFacts, StopFacts, notice_cutoff
from planner.domain.enums import FlightStatus, ManifestStatus, Role
from planner.domain.errors import InvalidInput, NotFound, PlannerError
from planner.persistence import audit
from planner.persistence.models import (
    Airport,
    Assignment,
    Flight,
    FlightStop,
    Manifest,
    ManifestSignature,
    Person,
    User,
    utc_now,
)
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id
from planner.services.manifests.build import (
    BuiltManifest,
    build_contents,
    case_numbers_by_stop,
    planned_people,
    sent_revision,
)
from planner.services.manifests.content import (
    ManifestContent,
    content_from_json,
    content_sha256,
    content_to_json,
)
from planner.services.manifests.paxlst import PaxlstError, transliterate, write_paxlst
from planner.services.manifests.pdf import render_manifest_pdf
from planner.services.reference import rule_facts

log = logging.getLogger(__name__)

#: PAXLST interchange sender (UNB/UNG, NAD+MS).
PAXLST_SENDER = "CHARTER PLANNER"

ACTIVE = (ManifestStatus.DRAFT.value, ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value)
IN_FORCE = (ManifestStatus.APPROVED.value, ManifestStatus.SIGNED.value)


class ManifestRefused(PlannerError):
    """The workflow refused a transition; the refusal is audited. ``details`` lists the reasons."""

    def __init__(self, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details: list[str] = list(details)


@dataclass(frozen=True)
class ManifestInfo:
    """One manifest revision as the window and the CLI show it (plain data, thread-safe)."""

    manifest_id: int
    flight_code: str
    revision: int
    status: str
    sha256: str
    person_count: int
    prepared_by: str
    prepared_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    signed_by: str | None
    signed_at: datetime | None
    pades_signed: bool
    #: True when this call wrote a new revision (False: an existing one was returned).
    created: bool = False


@dataclass(frozen=True)
class HashCheck:
    """Answer of :func:`check_manifest_hash`. ``verdict`` is ``current``, ``superseded`` or ``unknown``;
    ``current`` covers the newest revision and an approved/signed one still in force."""

    verdict: str
    flight_code: str
    revision: int | None
    status: str | None
    message: str

    @property
    def known(self) -> bool:
        return self.verdict != "unknown"


# ---------------------------------------------------------------------------------------------
# helpers


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utc_now()
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now


def _flight(uow: UnitOfWork, flight_code: str) -> Flight:
    flight = uow.session.execute(sa.select(Flight).where(Flight.code == flight_code)).scalar_one_or_none()
    if flight is None:
        raise NotFound(f"no flight {flight_code}")
    return flight


def _revisions(uow: UnitOfWork, flight_id: int) -> list[Manifest]:
    """All revisions of a flight, newest first."""
    return list(
        uow.session.execute(
            sa.select(Manifest).where(Manifest.flight_id == flight_id).order_by(Manifest.revision.desc())
        ).scalars()
    )


def _latest(uow: UnitOfWork, flight_id: int) -> Manifest | None:
    revisions = _revisions(uow, flight_id)
    return revisions[0] if revisions else None


def _display(uow: UnitOfWork, actor: Actor) -> str:
    name = uow.session.execute(
        sa.select(User.display_name).where(User.username == actor.username)
    ).scalar_one_or_none()
    return name or actor.display_name or actor.username


def _has_signature(uow: UnitOfWork, manifest_id: int) -> bool:
    return (
        uow.session.execute(
            sa.select(ManifestSignature.manifest_id).where(ManifestSignature.manifest_id == manifest_id)
        ).scalar_one_or_none()
        is not None
    )


def _info(uow: UnitOfWork, manifest: Manifest, flight_code: str, *, created: bool = False) -> ManifestInfo:
    content = content_from_json(manifest.content_json)
    return ManifestInfo(
        manifest_id=manifest.id,
        flight_code=flight_code,
        revision=manifest.revision,
        status=manifest.status,
        sha256=manifest.sha256,
        person_count=content.person_count,
        prepared_by=manifest.prepared_by,
        prepared_at=manifest.prepared_at,
        approved_by=manifest.approved_by,
        approved_at=manifest.approved_at,
        signed_by=manifest.signed_by,
        signed_at=manifest.signed_at,
        pades_signed=_has_signature(uow, manifest.id),
        created=created,
    )


def stored_content(manifest: Manifest) -> ManifestContent:
    """The revision's content with its status and lifecycle metadata as they stand in the row."""
    return content_from_json(manifest.content_json)


def _set_content(manifest: Manifest, content: ManifestContent) -> None:
    manifest.content_json = content_to_json(content)
    manifest.status = content.status
    manifest.version += 1


def _stamp(
    uow: UnitOfWork, actor: Actor, manifest: Manifest, status: ManifestStatus, step: str, now: datetime
) -> ManifestContent:
    """Record that ``actor`` ``step``-ed (``"approved"`` / ``"signed"``) the revision at ``now``: the
    display name in the stored content (what the PDF shows) and the user name on the row."""
    content = dataclasses.replace(
        stored_content(manifest),
        status=status.value,
        **{f"{step}_by": _display(uow, actor), f"{step}_at": now},
    )
    _set_content(manifest, content)
    setattr(manifest, f"{step}_by", actor.username)
    setattr(manifest, f"{step}_at", now)
    return content


def _refuse(
    uow: UnitOfWork, actor: Actor, action: str, flight_code: str, message: str, details: Sequence[str] = ()
) -> ManifestRefused:
    """Roll back, audit the refusal in its own commit, and return the error to raise."""
    uow.rollback()
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action=f"manifest.{action}.refused",
            entity="flight",
            entity_id=flight_code,
            changes={"reason": message, "details": list(details)[:200]},
        ),
    )
    uow.commit()
    log.warning("manifest %s refused for %s: %s", action, flight_code, message)
    return ManifestRefused(message, details)


def _cutoff(flight: Flight, country: str, rules: dict[str, CountryRuleFacts]) -> datetime:
    """Rule 9's notice cut-off of the flight's stop in ``country`` (``rules`` from ``rule_facts``)."""
    facts = StopFacts(
        flight_id=flight.id,
        stop_id=0,
        departure_airport=flight.departure_airport,
        departure_utc=flight.departure_utc,
        country=country,
    )
    return notice_cutoff(facts, rules[country])


def stop_cutoffs(uow: UnitOfWork, flight: Flight) -> list[tuple[int, str, datetime]]:
    """``(sequence, airport, notice cut-off)`` of each stop of ``flight``, in stop order. No role
    check: a read of reference data for the workflow."""
    stops = uow.session.execute(
        sa.select(FlightStop.sequence, FlightStop.airport, Airport.country)
        .join(Airport, Airport.iata == FlightStop.airport)
        .where(FlightStop.flight_id == flight.id)
        .order_by(FlightStop.sequence)
    ).all()
    rules = rule_facts(uow, {country for _, _, country in stops})
    return [(seq, airport, _cutoff(flight, country, rules)) for seq, airport, country in stops]


def late_additions(uow: UnitOfWork, flight: Flight, content: ManifestContent, now: datetime) -> list[str]:
    """People on ``content`` who were not on the sent manifest of their stop although that stop's
    notice cut-off has passed at ``now`` (one message per person; empty = nothing refused)."""
    rules = rule_facts(uow, {stop.country for stop in content.stops})
    sent = sent_revision(uow, flight.id)
    sent_people = case_numbers_by_stop(sent.content_json) if sent is not None else {}
    out: list[str] = []
    for stop in content.stops:
        cutoff = _cutoff(flight, stop.country, rules)
        if now < cutoff:
            continue
        on_sent = sent_people.get(stop.sequence, set())
        for row in stop.rows:
            if row.case_number not in on_sent:
                out.append(
                    f"{row.case_number}: not on the manifest sent for stop {stop.sequence} {stop.airport}, "
                    f"and its notice cut-off {cutoff:%Y-%m-%d %H:%M} UTC has passed"
                )
    return out


def _build_one(
    uow: UnitOfWork, flight: Flight, revision: int, now: datetime, prepared_by: str
) -> BuiltManifest:
    plan = current_draft_plan_id(uow)
    if plan is None:
        raise InvalidInput("there is no current plan: run 'plan' first")
    return build_contents(
        uow, [flight], plan_run_id=plan, revisions={flight.id: revision}, now=now, prepared_by=prepared_by
    )[flight.id]


def _record(
    uow: UnitOfWork, actor: Actor, action: str, manifest: Manifest, flight_code: str, **changes: object
) -> None:
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action=action,
            entity="manifest",
            entity_id=str(manifest.id),
            changes={
                "flight": flight_code,
                "revision": manifest.revision,
                "sha256": manifest.sha256,
                **changes,
            },
        ),
    )


# ---------------------------------------------------------------------------------------------
# workflow


def prepare_manifest(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime | None = None
) -> ManifestInfo:
    """Officer+: the newest revision if it matches the current plan, else a new DRAFT revision.

    Raises ``NotFound`` (no such flight), ``InvalidInput`` (no current plan; flight not PLANNED) or
    ``ManifestRefused`` (people the manifest may not carry; additions after the notice cut-off).
    """
    authorize(uow, actor, Role.OFFICER, f"prepare the manifest of {flight_code}")
    now = _now(now)
    flight = _flight(uow, flight_code)
    if flight.status != FlightStatus.PLANNED:
        raise InvalidInput(f"flight {flight_code} is {flight.status}: its manifest can no longer change")
    latest = _latest(uow, flight.id)
    if latest is not None:
        same = _build_one(uow, flight, latest.revision, now, _display(uow, actor))
        if content_sha256(same.content) == latest.sha256:
            return _info(uow, latest, flight_code)
    revision = (latest.revision + 1) if latest is not None else 1
    built = _build_one(uow, flight, revision, now, _display(uow, actor))
    if built.problems:
        raise _refuse(
            uow,
            actor,
            "prepare",
            flight_code,
            f"the current plan puts people on {flight_code} whom the manifest may not carry; re-plan or "
            "remove them",
            built.problems,
        )
    late = late_additions(uow, flight, built.content, now)
    if late:
        raise _refuse(
            uow,
            actor,
            "prepare",
            flight_code,
            f"{len(late)} addition(s) to {flight_code} after the notice cut-off",
            late,
        )
    return _insert_revision(uow, actor, flight, built, latest, now)


def _insert_revision(
    uow: UnitOfWork,
    actor: Actor,
    flight: Flight,
    built: BuiltManifest,
    latest: Manifest | None,
    now: datetime,
    **changes: object,
) -> ManifestInfo:
    """Insert ``built`` as a new DRAFT revision (superseding ``latest`` if it is a DRAFT) and audit
    it as ``manifest.prepare`` with ``changes``. No checks: the callers have made them."""
    session = uow.session
    if latest is not None and latest.status == ManifestStatus.DRAFT:
        _supersede(uow, actor, latest, flight.code, now)
    digest = content_sha256(built.content)
    manifest = Manifest(
        flight_id=flight.id,
        revision=built.content.revision,
        status=ManifestStatus.DRAFT.value,
        sha256=digest,
        content_json=content_to_json(built.content),
        prepared_by=actor.username,
        prepared_at=now,
    )
    session.add(manifest)
    session.flush()
    _record(
        uow,
        actor,
        "manifest.prepare",
        manifest,
        flight.code,
        persons=built.content.person_count,
        status="DRAFT",
        **changes,
    )
    return _info(uow, manifest, flight.code, created=True)


def _supersede(uow: UnitOfWork, actor: Actor, manifest: Manifest, flight_code: str, now: datetime) -> None:
    old = manifest.status
    content = dataclasses.replace(stored_content(manifest), status=ManifestStatus.SUPERSEDED.value)
    _set_content(manifest, content)
    uow.session.flush()
    _record(
        uow, actor, "manifest.supersede", manifest, flight_code, status=[old, ManifestStatus.SUPERSEDED.value]
    )


def approve_manifest(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime | None = None
) -> ManifestInfo:
    """Supervisor: the newest revision (a DRAFT) becomes APPROVED, is frozen and counts as sent.

    Refused (audited) when the current plan no longer gives the draft's content, when the plan now
    puts people on the flight the manifest may not carry, or when the draft adds people after a
    stop's notice cut-off. ``InvalidInput`` when there is no draft to approve.
    """
    authorize(uow, actor, Role.SUPERVISOR, f"approve the manifest of {flight_code}")
    now = _now(now)
    flight = _flight(uow, flight_code)
    latest = _latest(uow, flight.id)
    if latest is None:
        raise InvalidInput(f"{flight_code} has no manifest yet: prepare it first")
    if latest.status != ManifestStatus.DRAFT:
        raise InvalidInput(f"revision {latest.revision} of {flight_code} is already {latest.status}")
    if flight.status != FlightStatus.PLANNED:
        raise InvalidInput(f"flight {flight_code} is {flight.status}")
    built = _build_one(uow, flight, latest.revision, now, latest.prepared_by)
    if content_sha256(built.content) != latest.sha256:
        raise _refuse(
            uow,
            actor,
            "approve",
            flight_code,
            f"the plan for {flight_code} changed since revision {latest.revision} was prepared: prepare it again",
        )
    if built.problems:
        raise _refuse(
            uow,
            actor,
            "approve",
            flight_code,
            f"{flight_code} carries people it may not carry",
            built.problems,
        )
    late = late_additions(uow, flight, built.content, now)
    if late:
        raise _refuse(
            uow,
            actor,
            "approve",
            flight_code,
            f"{len(late)} addition(s) to {flight_code} after the notice cut-off",
            late,
        )

    for older in _revisions(uow, flight.id)[1:]:
        if older.status in IN_FORCE:
            _supersede(uow, actor, older, flight_code, now)
    _stamp(uow, actor, latest, ManifestStatus.APPROVED, "approved", now)
    frozen = _freeze(uow, built)
    uow.session.flush()
    _record(
        uow,
        actor,
        "manifest.approve",
        latest,
        flight_code,
        status=["DRAFT", "APPROVED"],
        frozen_assignments=frozen,
        sent=True,
    )
    return _info(uow, latest, flight_code)


def _freeze(uow: UnitOfWork, built: BuiltManifest) -> int:
    plan = current_draft_plan_id(uow)
    stop_ids = list(built.stop_ids.values())
    if plan is None or not stop_ids:
        return 0
    result = uow.session.execute(
        sa.update(Assignment)
        .where(Assignment.plan_run_id == plan, Assignment.flight_stop_id.in_(stop_ids))
        .values(frozen=True)
    )
    return int(result.rowcount or 0)


def sign_manifest(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    *,
    p12: bytes | None = None,
    p12_password: bytes | None = None,
    now: datetime | None = None,
) -> ManifestInfo:
    """Supervisor: the newest revision, APPROVED, becomes SIGNED (who and when).

    With ``p12`` (PKCS#12 bytes; ``p12_password`` may be None) the rendered SIGNED PDF also gets a
    PAdES signature with a visible field and is stored in ``manifest_signature``. Refused (audited)
    when the flight's people in the current plan differ from the approved revision (a change needs a
    new revision). ``InvalidInput`` when there is nothing approved to sign or the key cannot be read.
    """
    authorize(uow, actor, Role.SUPERVISOR, f"sign the manifest of {flight_code}")
    now = _now(now)
    flight = _flight(uow, flight_code)
    latest = _latest(uow, flight.id)
    if latest is None or latest.status == ManifestStatus.SUPERSEDED:
        raise InvalidInput(f"{flight_code} has no manifest to sign")
    if latest.status == ManifestStatus.DRAFT:
        raise InvalidInput(f"revision {latest.revision} of {flight_code} is a DRAFT: approve it first")
    if latest.status == ManifestStatus.SIGNED:
        raise InvalidInput(f"revision {latest.revision} of {flight_code} is already signed")
    changed = _frozen_drift(uow, flight, latest)
    if changed:
        raise _refuse(
            uow,
            actor,
            "sign",
            flight_code,
            f"{flight_code} changed since revision {latest.revision} was approved: prepare a new revision",
            changed,
        )
    content = _stamp(uow, actor, latest, ManifestStatus.SIGNED, "signed", now)
    extra: dict[str, object] = {"status": ["APPROVED", "SIGNED"], "pades": False}
    if p12 is not None:
        from planner.services.manifests.signing import SigningError, pades_sign

        buffer = BytesIO()
        render_manifest_pdf(content, buffer)
        try:
            signed = pades_sign(
                buffer.getvalue(),
                p12,
                p12_password,
                signer_name=content.signed_by or actor.username,
                reason=f"Manifest {flight_code} revision {latest.revision} SHA-256 {latest.sha256}",
            )
        except SigningError as exc:
            raise InvalidInput(str(exc)) from exc
        uow.session.add(
            ManifestSignature(
                manifest_id=latest.id,
                pdf=signed.pdf,
                pdf_sha256=hashlib.sha256(signed.pdf).hexdigest(),
                signer_subject=signed.subject[:500],
                certificate_sha256=signed.certificate_sha256,
                signed_by=actor.username,
                signed_at=now,
            )
        )
        extra.update(
            pades=True,
            signer=signed.subject,
            certificate_sha256=signed.certificate_sha256,
            pdf_sha256=hashlib.sha256(signed.pdf).hexdigest(),
        )
    uow.session.flush()
    _record(uow, actor, "manifest.sign", latest, flight_code, **extra)
    return _info(uow, latest, flight_code)


def _frozen_drift(
    uow: UnitOfWork, flight: Flight, manifest: Manifest, plan_run_id: int | None = None
) -> list[str]:
    """How the people on ``flight`` in plan ``plan_run_id`` (default: the current plan) differ from
    ``manifest``, per stop; [] = the same."""
    plan = plan_run_id if plan_run_id is not None else current_draft_plan_id(uow)
    stops = {
        s.id: s.sequence
        for s in uow.session.execute(sa.select(FlightStop).where(FlightStop.flight_id == flight.id)).scalars()
    }
    assigned = planned_people(uow, plan, stops)
    ids = sorted({pid for rows in assigned.values() for pid, _ in rows})
    cases: dict[int, str] = {}
    for start in range(0, len(ids), 900):
        cases.update(
            uow.session.execute(
                sa.select(Person.id, Person.case_number).where(Person.id.in_(ids[start : start + 900]))
            ).all()
        )
    planned = {(stops[sid], cases[pid]) for sid, rows in assigned.items() for pid, _ in rows}
    listed = {(seq, c) for seq, cs in case_numbers_by_stop(manifest.content_json).items() for c in cs}
    return [f"{c}: added to stop {seq} without a new revision" for seq, c in sorted(planned - listed)] + [
        f"{c}: taken off stop {seq} without a new revision" for seq, c in sorted(listed - planned)
    ]


def check_frozen_flights(uow: UnitOfWork, actor: Actor, *, plan_run_id: int | None = None) -> None:
    """Guard for whoever writes plans: refuse (audited, ``ManifestRefused``) when the plan
    ``plan_run_id`` (default: the current plan) changes the people of a flight whose newest revision is
    APPROVED or SIGNED. Call it after inserting a plan's assignments and before committing."""
    authorize(uow, actor, Role.OFFICER, "change planned flights")
    flights = uow.session.execute(
        sa.select(Flight, Manifest)
        .join(Manifest, Manifest.flight_id == Flight.id)
        .where(Manifest.status.in_(IN_FORCE))
    ).all()
    problems: list[str] = []
    for flight, manifest in flights:
        latest = _latest(uow, flight.id)
        if latest is None or latest.id != manifest.id:
            continue
        problems.extend(f"{flight.code} {p}" for p in _frozen_drift(uow, flight, manifest, plan_run_id))
    if problems:
        raise _refuse(
            uow,
            actor,
            "change",
            "*",
            "the plan changes flights with approved manifests without a new revision",
            problems,
        )


def remove_from_manifest(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    case_numbers: Iterable[str],
    *,
    reason: str,
    now: datetime | None = None,
) -> ManifestInfo:
    """Officer+: take people off a flight in the current plan and prepare the new DRAFT revision.

    The only way to change a frozen flight's people (removals are allowed after the cut-off). Whole
    families only: ``InvalidInput`` when a listed person is not on the flight, when a family member
    on the flight is not listed too, or when ``reason`` is blank.
    """
    authorize(uow, actor, Role.OFFICER, f"remove people from the manifest of {flight_code}")
    if not reason.strip():
        raise InvalidInput("give a reason for taking people off the flight")
    flight = _flight(uow, flight_code)
    plan = current_draft_plan_id(uow)
    if plan is None:
        raise InvalidInput("there is no current plan")
    wanted = set(case_numbers)
    stop_ids = list(
        uow.session.execute(sa.select(FlightStop.id).where(FlightStop.flight_id == flight.id)).scalars()
    )
    rows = uow.session.execute(
        sa.select(Assignment, Person)
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.plan_run_id == plan, Assignment.flight_stop_id.in_(stop_ids))
    ).all()
    on_flight = {p.case_number: (a, p) for a, p in rows}
    missing = sorted(wanted - set(on_flight))
    if missing:
        raise InvalidInput(f"not on {flight_code} in the current plan: {', '.join(missing)}")
    groups = {on_flight[c][1].family_group for c in wanted} - {None}
    left_behind = sorted(c for c, (_, p) in on_flight.items() if p.family_group in groups and c not in wanted)
    if left_behind:
        raise InvalidInput(f"families travel together: also remove {', '.join(left_behind)}")
    for c in sorted(wanted):
        uow.session.delete(on_flight[c][0])
    uow.session.flush()
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action="manifest.remove_people",
            entity="flight",
            entity_id=flight_code,
            changes={"removed": sorted(wanted), "reason": reason, "plan_run": plan},
        ),
    )
    return prepare_manifest(uow, actor, flight_code, now=now)


def reopen_manifest(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, reason: str, now: datetime | None = None
) -> ManifestInfo:
    """Officer+: reopen a frozen flight for additions before the notice cut-off.

    Writes a new DRAFT revision with the content of the revision in force (APPROVED or SIGNED, which
    stays in force — it is what the receiving country has — until the next revision is approved).
    The flight's newest revision being a DRAFT, the planner may then add people to its free seats;
    those on the sent manifest stay frozen where they are. The officer prepares the next revision
    and a supervisor approves it as usual; rule 9 and the late-addition check still refuse anyone
    new on a stop whose cut-off has passed by then.

    ``InvalidInput`` for a blank ``reason``, ``NotFound`` for an unknown flight. Refused (audited as
    ``manifest.reopen.refused``) when the flight has no manifest, its newest revision is a DRAFT
    (already open), the flight is not PLANNED, or the notice cut-off of every stop has passed (nobody
    could be added; take people off instead). Audited as ``manifest.reopen`` (entity flight, with the
    reason and the revision numbers) plus the ``manifest.prepare`` of the new draft.
    """
    authorize(uow, actor, Role.OFFICER, f"reopen the manifest of {flight_code}")
    if not reason.strip():
        raise InvalidInput("give a reason for reopening the flight")
    now = _now(now)
    flight = _flight(uow, flight_code)
    latest = _latest(uow, flight.id)
    if latest is None:
        raise _refuse(
            uow, actor, "reopen", flight_code, f"{flight_code} has no manifest: it is open to the planner"
        )
    if latest.status not in IN_FORCE:
        raise _refuse(
            uow,
            actor,
            "reopen",
            flight_code,
            f"{flight_code} is already open: its newest revision {latest.revision} is {latest.status}, "
            "not approved",
        )
    if flight.status != FlightStatus.PLANNED:
        raise _refuse(
            uow,
            actor,
            "reopen",
            flight_code,
            f"flight {flight_code} is {flight.status}: its manifest can no longer change",
        )
    cutoffs = stop_cutoffs(uow, flight)
    if not any(now < cutoff for _, _, cutoff in cutoffs):
        raise _refuse(
            uow,
            actor,
            "reopen",
            flight_code,
            f"the notice cut-off of every stop of {flight_code} has passed: nobody could be added; "
            "take people off instead",
            [
                f"stop {seq} {airport}: cut-off {cutoff:%Y-%m-%d %H:%M} UTC"
                for seq, airport, cutoff in cutoffs
            ],
        )
    content = dataclasses.replace(
        stored_content(latest),
        revision=latest.revision + 1,
        status=ManifestStatus.DRAFT.value,
        prepared_by=_display(uow, actor),
        prepared_at=now,
        approved_by=None,
        approved_at=None,
        signed_by=None,
        signed_at=None,
    )
    built = BuiltManifest(flight_id=flight.id, content=content)
    info = _insert_revision(uow, actor, flight, built, latest, now, reopened_from=latest.revision)
    audit.record(
        uow,
        audit.AuditEntry(
            actor=actor.username,
            action="manifest.reopen",
            entity="flight",
            entity_id=flight_code,
            changes={
                "reason": reason.strip(),
                "in_force_revision": latest.revision,
                "in_force_status": latest.status,
                "draft_revision": info.revision,
                "open_stops": [
                    {"stop": seq, "airport": airport, "cutoff": cutoff.isoformat()}
                    for seq, airport, cutoff in cutoffs
                    if now < cutoff
                ],
            },
        ),
    )
    return info


def manifest_for_print(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime | None = None
) -> ManifestInfo:
    """Officer+: what ``manifest FLIGHT --out`` prints — :func:`prepare_manifest` while the flight is
    PLANNED and a current plan exists, otherwise the newest stored revision (``NotFound`` if none)."""
    authorize(uow, actor, Role.OFFICER, f"prepare the manifest of {flight_code}")
    flight = _flight(uow, flight_code)
    if flight.status == FlightStatus.PLANNED and current_draft_plan_id(uow) is not None:
        return prepare_manifest(uow, actor, flight_code, now=now)
    latest = _latest(uow, flight.id)
    if latest is None:
        raise NotFound(
            f"{flight_code} has no manifest"
            + ("" if flight.status != FlightStatus.PLANNED else " and there is no current plan")
        )
    return _info(uow, latest, flight_code)


# ---------------------------------------------------------------------------------------------
# reads


def list_manifests(uow: UnitOfWork, actor: Actor, flight_code: str) -> list[ManifestInfo]:
    """Officer+: every revision of the flight, newest first."""
    authorize(uow, actor, Role.OFFICER, f"read the manifests of {flight_code}")
    flight = _flight(uow, flight_code)
    return [_info(uow, m, flight_code) for m in _revisions(uow, flight.id)]


def current_manifest(uow: UnitOfWork, actor: Actor, flight_code: str) -> ManifestInfo | None:
    """Officer+: the newest revision of the flight, or None."""
    authorize(uow, actor, Role.OFFICER, f"read the manifest of {flight_code}")
    latest = _latest(uow, _flight(uow, flight_code).id)
    return _info(uow, latest, flight_code) if latest else None


def manifest_content(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, revision: int | None = None
) -> ManifestContent:
    """Officer+: the stored content of a revision (default the newest); ``NotFound`` when absent."""
    authorize(uow, actor, Role.OFFICER, f"read the manifest of {flight_code}")
    return stored_content(_revision(uow, flight_code, revision))


def _revision(uow: UnitOfWork, flight_code: str, revision: int | None) -> Manifest:
    flight = _flight(uow, flight_code)
    revisions = _revisions(uow, flight.id)
    for m in revisions:
        if revision is None or m.revision == revision:
            return m
    raise NotFound(
        f"{flight_code} has no manifest" + (f" revision {revision}" if revision is not None else "")
    )


def manifest_pdf(uow: UnitOfWork, actor: Actor, flight_code: str, *, revision: int | None = None) -> bytes:
    """Officer+: the PDF of a revision (default the newest). A PAdES-signed revision returns the
    stored signed file byte for byte; any other is rendered from the stored content (deterministic)."""
    authorize(uow, actor, Role.OFFICER, f"read the manifest of {flight_code}")
    manifest = _revision(uow, flight_code, revision)
    stored = uow.session.get(ManifestSignature, manifest.id)
    if stored is not None:
        return stored.pdf
    buffer = BytesIO()
    render_manifest_pdf(stored_content(manifest), buffer)
    return buffer.getvalue()


def check_manifest_hash(uow: UnitOfWork, actor: Actor, flight_code: str, sha256: str) -> HashCheck:
    """Officer+: is a printed copy with ``sha256`` the current revision, a superseded one, or unknown?"""
    authorize(uow, actor, Role.OFFICER, f"check a manifest of {flight_code}")
    digest = sha256.strip().lower()
    flight = _flight(uow, flight_code)
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InvalidInput("the hash must be 64 hexadecimal digits")
    revisions = _revisions(uow, flight.id)
    for index, m in enumerate(revisions):
        if m.sha256 != digest:
            continue
        if index == 0:
            return HashCheck(
                "current",
                flight_code,
                m.revision,
                m.status,
                f"current revision {m.revision} of {flight_code} ({m.status})",
            )
        if m.status in IN_FORCE:
            return HashCheck(
                "current",
                flight_code,
                m.revision,
                m.status,
                f"revision {m.revision} of {flight_code} ({m.status}) is still in force; "
                f"draft revision {revisions[0].revision} awaits approval",
            )
        newest = revisions[0]
        return HashCheck(
            "superseded",
            flight_code,
            m.revision,
            m.status,
            f"SUPERSEDED: revision {m.revision} of {flight_code}; the current one is revision {newest.revision} ({newest.status})",
        )
    return HashCheck(
        "unknown", flight_code, None, None, f"UNKNOWN: no revision of {flight_code} has this hash"
    )


def export_paxlst(
    uow: UnitOfWork,
    actor: Actor,
    flight_code: str,
    *,
    sender: str = PAXLST_SENDER,
    now: datetime | None = None,
) -> str:
    """Officer+: the PAXLST interchange of the revision in force (APPROVED or SIGNED; the carrier gets
    only what was approved). ``InvalidInput`` without one, or when ``sender`` (the office's party
    id, ``Settings.paxlst_sender``) is not UNOA text. Interchange reference ``M<id>R<revision>``;
    recipient the carrier's name in UNOA. Audited as ``manifest.paxlst``."""
    authorize(uow, actor, Role.OFFICER, f"export the PAXLST of {flight_code}")
    now = _now(now)
    flight = _flight(uow, flight_code)
    in_force = next((m for m in _revisions(uow, flight.id) if m.status in IN_FORCE), None)
    if in_force is None:
        raise InvalidInput(f"{flight_code} has no approved manifest: approve it before sending PAXLST")
    content = stored_content(in_force)
    reference = f"M{in_force.id}R{in_force.revision}"[:14]
    recipient = transliterate(flight.carrier)[:35] or "CARRIER"
    try:
        text = write_paxlst(content, sender=sender, recipient=recipient, interchange_ref=reference, now=now)
    except PaxlstError as exc:
        raise InvalidInput(f"PAXLST of {flight_code}: {exc}") from None
    _record(
        uow,
        actor,
        "manifest.paxlst",
        in_force,
        flight_code,
        interchange_ref=reference,
        persons=content.person_count,
    )
    return text


def frozen_flight_ids(uow: UnitOfWork) -> set[int]:
    """Flights whose newest manifest revision is APPROVED or SIGNED: the planner may not change
    who is on them (a new revision is needed). No role check: a helper for the planning service."""
    newest = (
        sa.select(Manifest.flight_id, sa.func.max(Manifest.revision).label("revision"))
        .group_by(Manifest.flight_id)
        .subquery()
    )
    query = (
        sa.select(Manifest.flight_id)
        .join(newest, (newest.c.flight_id == Manifest.flight_id) & (newest.c.revision == Manifest.revision))
        .where(Manifest.status.in_(IN_FORCE))
    )
    return set(uow.session.execute(query).scalars())


def sent_manifest_people(
    uow: UnitOfWork, flight_ids: Iterable[int] | None = None
) -> dict[int, frozenset[int]]:
    """For rule 9 (``on_sent_manifest``): flight stop id -> person ids on the manifest last sent
    (newest revision ever approved) of each flight in ``flight_ids`` (default: every flight). No
    role check: a helper for the planning service, which has checked the role already."""
    query = sa.select(Manifest).where(Manifest.approved_at.is_not(None))
    if flight_ids is not None:
        query = query.where(Manifest.flight_id.in_(list(flight_ids)))
    newest: dict[int, Manifest] = {}
    for m in uow.session.execute(query).scalars():
        if m.flight_id not in newest or m.revision > newest[m.flight_id].revision:
            newest[m.flight_id] = m
    if not newest:
        return {}
    stop_of = {
        (fid, seq): sid
        for sid, fid, seq in uow.session.execute(
            sa.select(FlightStop.id, FlightStop.flight_id, FlightStop.sequence).where(
                FlightStop.flight_id.in_(list(newest))
            )
        ).all()
    }
    by_stop = {
        (fid, seq): cases
        for fid, m in newest.items()
        for seq, cases in case_numbers_by_stop(m.content_json).items()
    }
    wanted = {c for cases in by_stop.values() for c in cases}
    ids: dict[str, int] = {}
    values = sorted(wanted)
    for start in range(0, len(values), 900):
        ids.update(
            {
                c: pid
                for c, pid in uow.session.execute(
                    sa.select(Person.case_number, Person.id).where(
                        Person.case_number.in_(values[start : start + 900])
                    )
                ).all()
            }
        )
    return {
        stop_of[key]: frozenset(ids[c] for c in cases if c in ids)
        for key, cases in by_stop.items()
        if key in stop_of
    }


__all__ = [
    "HashCheck",
    "ManifestInfo",
    "ManifestRefused",
    "approve_manifest",
    "check_frozen_flights",
    "check_manifest_hash",
    "current_manifest",
    "export_paxlst",
    "list_manifests",
    "manifest_content",
    "manifest_for_print",
    "manifest_pdf",
    "prepare_manifest",
    "remove_from_manifest",
    "reopen_manifest",
    "sent_manifest_people",
    "sign_manifest",
    "stop_cutoffs",
]
