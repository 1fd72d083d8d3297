"""Manifest workflow: prepare (DRAFT) -> approve (APPROVED, frozen, sent) -> sign (SIGNED); revisions.

Every function takes ``(uow, actor, …)``, calls :func:`planner.services.auth.authorize` first and works inside
the caller's unit of work; a function that writes commits it when it succeeds (the caller never
commits). Flights are named by ``Flight.code`` (``RF0001``). Reads and the PAXLST export live in
:mod:`~planner.services.manifests.revisions` and :mod:`~planner.services.manifests.paxlst_export`
and are re-exported here.

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

Refusals (``ManifestRefused``, exit 1) are audited through ``revisions.refuse_transition``
(``audit.refuse``): the unit of work is rolled back, a ``manifest.<action>.refused`` event is
written and committed, and nothing else is. They are:
the plan changed since the draft (approve), a passenger's or reserve's name, document number or
case number that the PAXLST could not write in UNOA (approve: so the export never fails late), the flight changed since approval (sign,
:func:`check_frozen_flights`), an addition after the notice cut-off (prepare, approve: nobody who was
not on the sent manifest of a stop may be added once ``departure - notice_days`` has passed; a
flight never sent has nobody on its sent manifest), people the manifest may not carry
(re-checked rules, split families), and a reopen of a flight that is not frozen (no manifest, newest
revision a DRAFT), not PLANNED, or past the cut-off of every stop; four eyes
(:mod:`~planner.services.manifests.four_eyes`): the preparer approving their own revision, and — with
the office setting ``four_eyes_sign`` (default on) — the approver signing it. An officer or admin
approving or signing is refused by ``authorize`` (supervisors only).

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
from collections.abc import Iterable
from datetime import datetime
from io import BytesIO
from typing import Any

import sqlalchemy as sa

from planner.domain.eligibility import CountryRuleFacts, notice_cutoff
from planner.domain.enums import CustodyStatus, FlightStatus, ManifestStatus, Role
from planner.domain.errors import InvalidInput, NotFound
from planner.domain.wording import plural
from planner.persistence import audit
from planner.persistence.audit_anchors import record_anchor, signed_reference
from planner.persistence.models import (
    Airport,
    Assignment,
    Flight,
    FlightStop,
    Manifest,
    ManifestSignature,
    Person,
)
from planner.persistence.uow import UnitOfWork
from planner.services import office_settings
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id
from planner.services.eligibility_facts import stop_facts
from planner.services.manifests.build import (
    BuiltManifest,
    build_contents,
    case_numbers_by_stop,
    planned_people,
    reserve_case_numbers_by_stop,
    sent_revision,
    unoa_problems,
)
from planner.services.manifests.content import ManifestContent, content_sha256, content_to_json
from planner.services.manifests.four_eyes import four_eyes_reason, held_role, may_approve, may_sign
from planner.services.manifests.paxlst_export import PAXLST_SENDER, export_paxlst
from planner.services.manifests.pdf import render_manifest_pdf
from planner.services.manifests.recheck import listed_but_unfit
from planner.services.manifests.recheck import refusal_message as unfit_message
from planner.services.manifests.revisions import (
    ACTIVE,
    IN_FORCE,
    HashCheck,
    ManifestInfo,
    ManifestRefused,
    _display,
    _flight,
    _info,
    _latest,
    _now,
    _record,
    _revisions,
    _set_content,
    check_manifest_hash,
    current_manifest,
    frozen_flight_ids,
    list_manifests,
    manifest_content,
    manifest_pdf,
    refuse_transition,
    sent_manifest_people,
    stored_content,
)
from planner.services.reference import rule_facts

log = logging.getLogger(__name__)


def _stamp(
    uow: UnitOfWork, actor: Actor, manifest: Manifest, status: ManifestStatus, step: str, now: datetime
) -> ManifestContent:
    """Record that ``actor`` ``step``-ed (``"approved"`` / ``"signed"``) the revision at ``now``: the
    display name and the role held now in the stored content (what the PDF shows) and the user name
    on the row."""
    stamped: dict[str, Any] = {
        f"{step}_by": _display(uow, actor),
        f"{step}_at": now,
        f"{step}_role": held_role(uow, actor),
    }
    content = dataclasses.replace(
        stored_content(uow, actor, manifest, action=f"mark it {step}"), status=status.value, **stamped
    )
    _set_content(manifest, content)
    setattr(manifest, f"{step}_by", actor.username)
    setattr(manifest, f"{step}_at", now)
    return content


def _cutoff(flight: Flight, country: str, rules: dict[str, CountryRuleFacts]) -> datetime:
    """Rule 9's notice cut-off of the flight's stop in ``country`` (``rules`` from ``rule_facts``)."""
    return notice_cutoff(stop_facts(flight, 0, country), rules[country])


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
    """People on ``content`` who were not on the sent manifest of their stop (as passengers or as
    reserves) although that stop's notice cut-off has passed at ``now`` (one message per person;
    empty = nothing refused)."""
    rules = rule_facts(uow, {stop.country for stop in content.stops})
    sent = sent_revision(uow, flight.id)
    sent_people = case_numbers_by_stop(sent.content_json) if sent is not None else {}
    if sent is not None:  # a reserve the receiving country received may move up after the cut-off
        for seq, cases in reserve_case_numbers_by_stop(sent.content_json).items():
            sent_people.setdefault(seq, set()).update(cases)
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


# ---------------------------------------------------------------------------------------------
# workflow


def prepare_manifest(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime | None = None
) -> ManifestInfo:
    """Officer+: the newest revision if it matches the current plan, else a new DRAFT revision.

    Raises ``NotFound`` (no such flight), ``InvalidInput`` (no current plan; flight not PLANNED) or
    ``ManifestRefused`` (people the manifest may not carry; additions after the notice cut-off).
    Commits a new revision.
    """
    authorize(uow, actor, Role.OFFICER, f"prepare the manifest of {flight_code}")
    info = _prepare(uow, actor, flight_code, _now(now))
    uow.commit()
    return info


def _prepare(uow: UnitOfWork, actor: Actor, flight_code: str, now: datetime) -> ManifestInfo:
    """``prepare_manifest`` without the role check and the commit (for callers that write more)."""
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
    _refuse_unless_carriable(
        uow,
        actor,
        "prepare",
        flight,
        built,
        now,
        f"the current plan puts people on {flight_code} whom the manifest may not carry; re-plan or "
        "remove them",
    )
    return _insert_revision(uow, actor, flight, built, latest, now)


def _refuse_unless_carriable(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    flight: Flight,
    built: BuiltManifest,
    now: datetime,
    problems_message: str,
) -> None:
    """The checks ``prepare`` and ``approve`` share: refuse ``action`` (audited) when ``built``
    carries people it may not carry (``problems_message``) or adds people after a stop's notice
    cut-off."""
    if built.problems:
        refuse_transition(uow, actor, action, flight.code, problems_message, built.problems)
    late = late_additions(uow, flight, built.content, now)
    if late:
        refuse_transition(
            uow,
            actor,
            action,
            flight.code,
            f"{plural(len(late), 'addition')} to {flight.code} after the notice cut-off",
            late,
        )


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
    content = dataclasses.replace(
        stored_content(uow, actor, manifest, action="supersede it"), status=ManifestStatus.SUPERSEDED.value
    )
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
    puts people on the flight the manifest may not carry, when the draft adds people after a
    stop's notice cut-off, or when a passenger's or reserve's name, document number or case number
    has no UNOA form (the PAXLST could not be written). ``InvalidInput`` when there is no draft to approve. Commits.
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
    if not may_approve(actor.username, latest.prepared_by):  # four eyes: never the preparer
        refuse_transition(uow, actor, "approve", flight_code, four_eyes_reason("approve", latest))
    built = _build_one(uow, flight, latest.revision, now, latest.prepared_by)
    if content_sha256(built.content) != latest.sha256:
        refuse_transition(
            uow,
            actor,
            "approve",
            flight_code,
            f"the plan for {flight_code} changed since revision {latest.revision} was prepared: prepare it again",
        )
    _refuse_unless_carriable(
        uow, actor, "approve", flight, built, now, f"{flight_code} carries people it may not carry"
    )
    unwritable = unoa_problems(built.content)
    if unwritable:
        cases = sorted({line.split(" ", 1)[0] for line in unwritable})
        refuse_transition(
            uow,
            actor,
            "approve",
            flight_code,
            f"the PAXLST for {flight_code} cannot carry the names or numbers of {', '.join(cases)} "
            "(no Latin/UNOA form): give them in Latin script as on the travel document, then prepare again",
            unwritable,
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
    uow.commit()
    return _info(uow, latest, flight_code)


def _freeze(uow: UnitOfWork, built: BuiltManifest) -> int:
    plan = current_draft_plan_id(uow)
    stop_ids = list(built.stop_ids.values())
    if plan is None or not stop_ids:
        return 0
    result: sa.CursorResult[Any] = uow.session.execute(  # type: ignore[assignment]  # DML: a CursorResult
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
    new revision), and when somebody listed may no longer fly as the facts stand at ``now`` (a court
    stay, a release, a split family …: :mod:`~planner.services.manifests.recheck`, naming each person,
    the failed rule and the strike-off command). ``InvalidInput`` when there is nothing approved to sign or the key cannot be read.
    Commits.
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
    if not may_sign(actor.username, latest.approved_by, office_settings.load(uow).four_eyes_sign):
        refuse_transition(uow, actor, "sign", flight_code, four_eyes_reason("sign", latest))
    changed = _frozen_drift(uow, flight, latest)
    if changed:
        refuse_transition(
            uow,
            actor,
            "sign",
            flight_code,
            f"{flight_code} changed since revision {latest.revision} was approved: prepare a new revision",
            changed,
        )
    unfit = listed_but_unfit(uow, flight, stored_content(uow, actor, latest, action="sign the manifest"), now)
    if unfit:
        refuse_transition(uow, actor, "sign", flight_code, unfit_message(flight_code, len(unfit)), unfit)
    content = _stamp(uow, actor, latest, ManifestStatus.SIGNED, "signed", now)
    anchor = record_anchor(
        uow, "manifest.signed", signed_reference(flight_code, latest.revision), actor.username, now=now
    )
    content = dataclasses.replace(content, audit_anchor=anchor.text)
    # the signed content carries the chain head it was signed at
    latest.content_json = content_to_json(content)
    extra: dict[str, object] = {"status": ["APPROVED", "SIGNED"], "pades": False, "anchor": anchor.text}
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
    uow.commit()
    return _info(uow, latest, flight_code)


def _frozen_drift(
    uow: UnitOfWork,
    flight: Flight,
    manifest: Manifest,
    plan_run_id: int | None = None,
    *,
    ignore_removed: bool = False,
) -> list[str]:
    """How the people on ``flight`` in plan ``plan_run_id`` (default: the current plan) differ from
    ``manifest``, per stop; [] = the same. With ``ignore_removed``, listed people whose custody is
    REMOVED (they have left: the planner no longer considers them) are not missed."""
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
    if ignore_removed and listed - planned:
        missing = sorted({c for _, c in listed - planned})
        removed = set(
            uow.session.execute(
                sa.select(Person.case_number).where(
                    Person.case_number.in_(missing), Person.custody_status == CustodyStatus.REMOVED.value
                )
            ).scalars()
        )
        listed = {(seq, c) for seq, c in listed if c not in removed}
    return [f"{c}: added to stop {seq} without a new revision" for seq, c in sorted(planned - listed)] + [
        f"{c}: taken off stop {seq} without a new revision" for seq, c in sorted(listed - planned)
    ]


def check_frozen_flights(uow: UnitOfWork, actor: Actor, *, plan_run_id: int | None = None) -> None:
    """Guard for whoever writes plans: refuse (audited, ``ManifestRefused``) when the plan
    ``plan_run_id`` (default: the current plan) changes the people of a flight whose newest revision is
    APPROVED or SIGNED. Call it after inserting a plan's assignments and before committing: a
    guard, it never commits (a refusal rolls the plan back and commits only its audit event).
    Only PLANNED flights count (a departed or cancelled flight has left planning), and listed people
    whose custody is REMOVED take no part."""
    authorize(uow, actor, Role.OFFICER, "change planned flights")
    flights = uow.session.execute(
        sa.select(Flight, Manifest)
        .join(Manifest, Manifest.flight_id == Flight.id)
        .where(Manifest.status.in_(IN_FORCE), Flight.status == FlightStatus.PLANNED.value)
    ).all()
    problems: list[str] = []
    for flight, manifest in flights:
        latest = _latest(uow, flight.id)
        if latest is None or latest.id != manifest.id:
            continue
        problems.extend(
            f"{flight.code} {p}"
            for p in _frozen_drift(uow, flight, manifest, plan_run_id, ignore_removed=True)
        )
    if problems:
        refuse_transition(
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
    on the flight is not listed too, or when ``reason`` is blank. Commits the removal with the
    new revision (a refusal of the revision rolls the removal back too).
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
    info = _prepare(uow, actor, flight_code, _now(now))
    uow.commit()
    return info


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
    reason and the revision numbers) plus the ``manifest.prepare`` of the new draft. Commits.
    """
    authorize(uow, actor, Role.OFFICER, f"reopen the manifest of {flight_code}")
    if not reason.strip():
        raise InvalidInput("give a reason for reopening the flight")
    now = _now(now)
    flight = _flight(uow, flight_code)
    latest = _latest(uow, flight.id)
    if latest is None:
        refuse_transition(
            uow, actor, "reopen", flight_code, f"{flight_code} has no manifest: it is open to the planner"
        )
    if latest.status not in IN_FORCE:
        refuse_transition(
            uow,
            actor,
            "reopen",
            flight_code,
            f"{flight_code} is already open: its newest revision {latest.revision} is {latest.status}, "
            "not approved",
        )
    if flight.status != FlightStatus.PLANNED:
        refuse_transition(
            uow,
            actor,
            "reopen",
            flight_code,
            f"flight {flight_code} is {flight.status}: its manifest can no longer change",
        )
    cutoffs = stop_cutoffs(uow, flight)
    if not any(now < cutoff for _, _, cutoff in cutoffs):
        refuse_transition(
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
        stored_content(uow, actor, latest, action="reopen the manifest"),
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
    uow.commit()
    return info


def manifest_for_print(
    uow: UnitOfWork, actor: Actor, flight_code: str, *, now: datetime | None = None
) -> ManifestInfo:
    """Officer+: what ``manifest FLIGHT --out`` prints — :func:`prepare_manifest` while the flight is
    PLANNED and a current plan exists (committing a new revision), otherwise the newest stored
    revision (``NotFound`` if none)."""
    authorize(uow, actor, Role.OFFICER, f"prepare the manifest of {flight_code}")
    flight = _flight(uow, flight_code)
    if flight.status == FlightStatus.PLANNED and current_draft_plan_id(uow) is not None:
        info = _prepare(uow, actor, flight_code, _now(now))
        uow.commit()
        return info
    latest = _latest(uow, flight.id)
    if latest is None:
        raise NotFound(
            f"{flight_code} has no manifest"
            + ("" if flight.status != FlightStatus.PLANNED else " and there is no current plan")
        )
    return _info(uow, latest, flight_code)


__all__ = [
    "ACTIVE",
    "IN_FORCE",
    "PAXLST_SENDER",
    "HashCheck",
    "ManifestInfo",
    "ManifestRefused",
    "approve_manifest",
    "check_frozen_flights",
    "check_manifest_hash",
    "current_manifest",
    "export_paxlst",
    "frozen_flight_ids",
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
    "stored_content",
]
