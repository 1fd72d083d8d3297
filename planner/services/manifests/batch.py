"""All manifests at once: the current revision of every PLANNED flight with people, as PDFs in a folder.

:func:`render_all_manifests` is the one manifest service that owns its transactions (it is given
the ``AppContext`` and opens each with ``ctx.uow``), because holding a write lock for minutes of
rendering would block every other writer:

1. one write unit of work (committed): for each PLANNED flight, build the content from the current
   plan in bulk; where the newest revision no longer matches, prepare a new DRAFT revision exactly as
   :func:`planner.services.manifests.workflow.prepare_manifest` would (an older never-approved DRAFT is
   superseded; each revision is audited). Flights the workflow would refuse (people the manifest may
   not carry, additions after the cut-off) are skipped, listed in the report and audited in one
   ``manifest.batch.refused`` event committed with the other flights' revisions (a partial
   refusal: not ``audit.refuse``, which would roll those back); their newest stored revision, if
   any, is not written either.
2. rendering from the stored content, without any database lock, in ``workers`` processes (spawned,
   so it is safe from a GUI worker thread). A PAdES-signed revision is written as its stored file.
   Before step 1 compares them with the plan and before any worker starts, every newest revision's
   stored content (and signed file) is checked against its recorded and audited hash
   (``revisions.verify_stored``, ``audited_hashes``); an altered one refuses the whole batch with
   one ``manifest.tampered`` audit event listing every altered revision (``ManifestTampered``).

Files are named ``<flight code>_rev<revision>.pdf``. ``progress(fraction, message)`` goes from 0 to 1
(preparing up to 0.1); ``should_stop()`` is polled between flights: on cancel, the revisions already
prepared stay committed, the files already written stay, no partial file is left, and the report
says ``cancelled``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

import sqlalchemy as sa

from planner.domain.enums import FlightStatus, ManifestStatus, Role
from planner.files import write_output
from planner.persistence import audit
from planner.persistence.context import AppContext
from planner.persistence.models import Flight, Manifest, ManifestSignature
from planner.persistence.uow import UnitOfWork
from planner.services.auth import Actor, authorize
from planner.services.current_plan import current_draft_plan_id
from planner.services.manifests import workflow
from planner.services.manifests.build import build_contents
from planner.services.manifests.content import content_sha256
from planner.services.manifests.revisions import (
    Tampered,
    audit_mismatch,
    audited_hashes,
    refuse_tampered,
    verify_stored,
)
from solver.callbacks import Progress, ShouldStop

log = logging.getLogger(__name__)


#: Share of the progress bar for step 1 (preparing revisions).
PREPARE_SHARE = 0.1


@dataclass(frozen=True)
class BatchReport:
    """What :func:`render_all_manifests` did. ``files`` are the PDFs written, in flight order."""

    flights: int
    prepared: int
    files: list[Path] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    cancelled: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        text = f"{len(self.files)} manifests written ({self.prepared} new revisions) in {self.seconds:.1f} s"
        if self.skipped:
            text += f"; {len(self.skipped)} flights skipped: {', '.join(sorted(self.skipped)[:10])}"
        return text + ("; CANCELLED" if self.cancelled else "")


def _render_job(content_json: str, target: str) -> str:
    """Worker: render one stored revision to ``target`` (written atomically)."""
    from planner.services.manifests.content import content_from_json
    from planner.services.manifests.pdf import render_manifest_pdf

    render_manifest_pdf(content_from_json(content_json), target)  # written by files.write_output
    return target


def _tampered(
    rows: Sequence[sa.Row[int, str, int, str, str, str]],
    signatures: Sequence[ManifestSignature],
    audited: dict[int, str],
) -> list[Tampered]:
    """The rows (and signed files) that no longer match their recorded hash, for
    ``refuse_tampered``: checked here, before any worker renders, so the batch refuses (audited
    once, for every altered revision) instead of writing altered manifests."""
    signed = {s.manifest_id: s for s in signatures}
    out: list[Tampered] = []
    for manifest_id, code, revision, status, content_json, sha256 in rows:
        result = audit_mismatch(
            verify_stored(code, revision, content_json, sha256, status), sha256, audited.get(manifest_id)
        )
        if isinstance(result, Tampered):
            out.append(result)
            continue
        signature = signed.get(manifest_id)
        if signature is not None and hashlib.sha256(signature.pdf).hexdigest() != signature.pdf_sha256:
            reason = f"signed PDF does not hash to the recorded {signature.pdf_sha256[:12]}…"
            out.append(Tampered(code, revision, sha256, sha256, reason))
    return out


def _prepare_all(uow: UnitOfWork, actor: Actor, now: datetime) -> tuple[list[int], int, dict[str, list[str]]]:
    """Step 1 in ``uow``: (manifest ids to write, revisions prepared, skipped flights with reasons)."""
    session = uow.session
    flights = list(
        session.execute(
            sa.select(Flight)
            .where(Flight.status == FlightStatus.PLANNED)
            .order_by(Flight.departure_utc, Flight.code)
        ).scalars()
    )
    plan = current_draft_plan_id(uow)
    latest: dict[int, Manifest] = {}
    for m in session.execute(
        sa.select(Manifest).where(Manifest.flight_id.in_([f.id for f in flights]))
    ).scalars():
        if m.flight_id not in latest or m.revision > latest[m.flight_id].revision:
            latest[m.flight_id] = m
    codes = {f.id: f.code for f in flights}
    audited = audited_hashes(uow, [m.id for m in latest.values()])
    altered = [
        result
        for m in latest.values()
        if isinstance(
            result := audit_mismatch(
                verify_stored(codes[m.flight_id], m.revision, m.content_json, m.sha256, m.status),
                m.sha256,
                audited.get(m.id),
            ),
            Tampered,
        )
    ]
    if altered:  # the newest revisions are compared with the plan: they must be what was stored
        refuse_tampered(uow, actor, altered, action="write all manifests")
    built = (
        build_contents(
            uow,
            flights,
            plan_run_id=plan,
            revisions={f.id: latest[f.id].revision if f.id in latest else 1 for f in flights},
            now=now,
            prepared_by=workflow._display(uow, actor),
        )
        if plan is not None
        else {}
    )
    changed = {
        f.id
        for f in flights
        if f.id in built
        and (built[f.id].content.person_count > 0 or f.id in latest)
        and (f.id not in latest or content_sha256(built[f.id].content) != latest[f.id].sha256)
    }
    revised = [f for f in flights if f.id in changed and f.id in latest]
    if revised:
        built.update(
            build_contents(
                uow,
                revised,
                plan_run_id=plan,
                revisions={f.id: latest[f.id].revision + 1 for f in revised},
                now=now,
                prepared_by=workflow._display(uow, actor),
            )
        )
    skipped: dict[str, list[str]] = {}
    prepared = 0
    keep: list[int] = []
    for flight in flights:
        if flight.id in changed:
            b = built[flight.id]
            problems = list(b.problems) or workflow.late_additions(uow, flight, b.content, now)
            if problems:
                skipped[flight.code] = problems
                continue
            info = workflow._insert_revision(uow, actor, flight, b, latest.get(flight.id), now)
            keep.append(info.manifest_id)
            prepared += 1
        elif flight.id in latest and (
            built.get(flight.id) is None or built[flight.id].content.person_count > 0
        ):
            keep.append(latest[flight.id].id)
    if skipped:
        audit.record(
            uow,
            audit.AuditEntry(
                actor=actor.username,
                action="manifest.batch.refused",
                entity="flight",
                entity_id="*",
                changes={code: reasons[:20] for code, reasons in sorted(skipped.items())},
            ),
        )
    return keep, prepared, skipped


def render_all_manifests(
    ctx: AppContext,
    actor: Actor,
    out_dir: str | Path,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    should_stop: ShouldStop | None = None,
    workers: int | None = None,
) -> BatchReport:
    """Officer+: write the current revision of every PLANNED flight with people to ``out_dir``.

    Two transactions of ``ctx`` (step 1 committed here, step 2 read-only). ``workers`` processes render
    (default: the number of CPUs, at most 4; 1 renders in this process). See the module doc.
    """
    started = time.perf_counter()
    progress = progress or (lambda _f, _m: None)
    should_stop = should_stop or (lambda: False)
    now = workflow._now(now)
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)

    progress(0.0, "preparing manifests")
    with ctx.uow() as uow:
        authorize(uow, actor, Role.OFFICER, "write all manifests")
        ids, prepared, skipped = _prepare_all(uow, actor, now)
        flights = uow.session.execute(
            sa.select(sa.func.count()).select_from(Flight).where(Flight.status == FlightStatus.PLANNED)
        ).scalar_one()
        uow.commit()
    progress(PREPARE_SHARE, f"{prepared} new revisions; rendering {len(ids)} manifests")

    with ctx.uow(write=False) as uow:
        rows = (
            uow.session.execute(
                sa.select(
                    Manifest.id,
                    Flight.code,
                    Manifest.revision,
                    Manifest.status,
                    Manifest.content_json,
                    Manifest.sha256,
                )
                .join(Flight, Flight.id == Manifest.flight_id)
                .where(Manifest.id.in_(ids))
                .order_by(Flight.departure_utc, Flight.code)
            ).all()
            if ids
            else []
        )
        signed_ids = [r[0] for r in rows if r[3] == ManifestStatus.SIGNED]
        signatures = (
            list(
                uow.session.execute(
                    sa.select(ManifestSignature).where(ManifestSignature.manifest_id.in_(signed_ids))
                ).scalars()
            )
            if signed_ids
            else []
        )
        stored = {s.manifest_id: s.pdf for s in signatures}
        tampered = _tampered(rows, signatures, audited_hashes(uow, [r[0] for r in rows]))
    if tampered:
        with ctx.uow() as uow:
            refuse_tampered(uow, actor, tampered, action="write all manifests")

    files: list[Path] = []
    jobs: list[tuple[str, str, str]] = []
    for manifest_id, code, revision, _status, content_json, _sha256 in rows:
        path = target / f"{code}_rev{revision}.pdf"
        if manifest_id in stored:
            write_output(path, stored[manifest_id])
            files.append(path)
        else:
            jobs.append((code, content_json, str(path)))
    total = max(1, len(rows))
    cancelled = False

    def tick() -> None:
        progress(
            PREPARE_SHARE + (1 - PREPARE_SHARE) * len(files) / total, f"{len(files)} of {len(rows)} manifests"
        )

    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    if workers <= 1 or len(jobs) <= 1:
        for _code, content_json, job_path in jobs:
            if should_stop():
                cancelled = True
                break
            files.append(Path(_render_job(content_json, job_path)))
            tick()
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            pending: set[Future[str]] = set()
            queue = iter(jobs)
            for _ in range(workers * 2):
                job = next(queue, None)
                if job is not None:
                    pending.add(pool.submit(_render_job, job[1], job[2]))
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    files.append(Path(future.result()))
                    tick()
                if should_stop():
                    cancelled = True
                    for future in pending:
                        future.cancel()
                    for future in pending:  # those already running finish their file
                        if not future.cancelled():
                            files.append(Path(future.result()))
                    break
                for _ in done:
                    job = next(queue, None)
                    if job is not None:
                        pending.add(pool.submit(_render_job, job[1], job[2]))
    files.sort(key=lambda p: p.name)
    report = BatchReport(
        flights=flights,
        prepared=prepared,
        files=files,
        skipped=skipped,
        cancelled=cancelled,
        seconds=time.perf_counter() - started,
    )
    progress(1.0, "cancelled" if cancelled else "done")
    log.info("manifest batch: %s", report.summary())
    return report
