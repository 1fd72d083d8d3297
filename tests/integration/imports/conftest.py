"""Fixtures and helpers for the import tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from planner.persistence.context import AppContext
from planner.persistence.models import (
    AuditEvent,
    CountryRule,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    NationalityVerification,
    Person,
    TravelDocument,
)
from planner.services.auth import Actor
from planner.services.imports import ImportReport, import_file

SAMPLES = Path("/work/shared/samples")
if not SAMPLES.exists():  # pragma: no cover - the samples live outside the repository
    SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "samples"

#: (kind, file) in the order a fresh database needs them.
SAMPLE_ORDER = (
    ("facilities", "facilities.csv"),
    ("flights", "flights.csv"),
    ("roster", "roster.csv"),
    ("verification", "verification.csv"),
    ("escorts", "escorts.csv"),  # in the repository: tests/integration/imports/samples/
)
DOMAIN_TABLES = (
    CountryRule,
    Facility,
    FacilityAirport,
    Flight,
    FlightStop,
    Person,
    TravelDocument,
    NationalityVerification,
)


def sample_bytes(name: str) -> bytes:
    path = SAMPLES / name
    if not path.exists():  # samples kept with the tests (the escort list)
        path = Path(__file__).resolve().parent / "samples" / name
    if not path.exists():
        pytest.skip(f"sample {path} not available")
    return path.read_bytes()


def do_import(
    ctx: AppContext,
    actor: Actor,
    kind: str,
    data: bytes,
    *,
    name: str | None = None,
    dry_run: bool = False,
    **kw,
) -> ImportReport:
    """Import and commit (a dry run commits nothing pending anyway)."""
    with ctx.uow() as uow:
        report = import_file(uow, actor, kind, data, name=name or f"{kind}.csv", dry_run=dry_run, **kw)
    return report


def snapshot(ctx: AppContext, *, include_audit: bool = True) -> dict[str, object]:
    """Every row of the domain tables (and the audit chain's length and tip) as comparable data."""
    out: dict[str, object] = {}
    with ctx.uow(write=False) as uow:
        for model in DOMAIN_TABLES:
            table = model.__table__
            rows = uow.session.execute(sa.select(table)).all()
            out[table.name] = sorted(tuple(map(repr, row)) for row in rows)
        if include_audit:
            events = uow.session.execute(sa.select(AuditEvent.hash).order_by(AuditEvent.id)).scalars().all()
            out["audit"] = (len(events), hashlib.sha256("".join(events).encode()).hexdigest())
    return out


def content(ctx: AppContext) -> dict[str, object]:
    """The domain content without surrogate ids, timestamps or provenance (for cross-database checks)."""
    with ctx.uow(write=False) as uow:
        s = uow.session
        people = {p.id: p.case_number for p in s.execute(sa.select(Person)).scalars()}
        return {
            "people": sorted(
                tuple(
                    repr(getattr(p, c))
                    for c in (
                        "case_number",
                        "family_name",
                        "given_names",
                        "native_name",
                        "date_of_birth",
                        "nationality",
                        "priority",
                    )
                )
                for p in s.execute(sa.select(Person)).scalars()
            ),
            "documents": sorted(
                (
                    people[d.person_id],
                    d.doc_type,
                    d.number,
                    d.issuing_country,
                    repr(d.issued_on),
                    repr(d.expires_on),
                )
                for d in s.execute(sa.select(TravelDocument)).scalars()
            ),
            "verifications": sorted(
                (
                    people[v.person_id],
                    v.country,
                    v.result,
                    repr(v.verified_on),
                    v.reference,
                    v.authority,
                    v.source_line,
                )
                for v in s.execute(sa.select(NationalityVerification)).scalars()
            ),
        }


@pytest.fixture
def samples_loaded(ctx: AppContext, admin: Actor) -> AppContext:
    """SQLite database with the sample facilities, flights and roster imported."""
    for kind, name in SAMPLE_ORDER[:3]:
        do_import(ctx, admin, kind, sample_bytes(name), name=name)
    return ctx
