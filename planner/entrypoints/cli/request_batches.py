"""``verification request`` and ``travel-docs request``: create a request batch (CSV + PDF letter)
for one receiving state (``planner.services.consular.batches``). The parsers are in ``requests``."""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.domain.enums import RequestKind
from planner.entrypoints.cli.common import login
from planner.persistence.context import AppContext


def _request(ctx: AppContext, args: argparse.Namespace, kind: RequestKind) -> int:
    from planner.domain.countries import country_name
    from planner.domain.requests import REQUEST_WORDS, due_on
    from planner.domain.wording import plural
    from planner.persistence.uow import run_in_transaction
    from planner.services.consular import batches, records

    out = Path(args.out)
    batches.check_csv_target(out)  # a wrong target is refused before any work
    actor = login(ctx)
    created = run_in_transaction(
        ctx.session_factory,
        lambda uow: batches.create_batch(uow, actor, kind, args.country, out, limit=args.limit),
    )
    if created is None:
        with ctx.uow(write=False) as uow:
            counts = batches.candidate_counts(uow, actor, kind, args.country, args.limit)
        print(counts.nobody_text())
        return 0
    with ctx.uow(write=False) as uow:
        batch = records.batch_by_reference(uow.session, created.reference)
        lead = batches.expected_lead_time(uow, kind, created.country)
    assert batch is not None
    source = f"median of {lead.answered} answers" if lead.source == "history" else "country rule"
    print(
        f"{created.reference}: {plural(created.people, 'person', 'people')} asked of "
        f"{country_name(created.country)} for {REQUEST_WORDS[kind]}; "
        f"wrote {created.csv_path} (sha256 {created.csv_sha256}) and {created.pdf_path} "
        f"(sha256 {created.pdf_sha256}); answers expected by {due_on(batch.sent_on, lead.days)} "
        f"({lead.days} days, {source})"
    )
    return 0


def cmd_verification_request(ctx: AppContext, args: argparse.Namespace) -> int:
    """``verification request --country ISO3 [--limit N] --out FILE.csv`` (FILE.pdf beside it)."""
    return _request(ctx, args, RequestKind.VERIFICATION)


def cmd_travel_docs_request(ctx: AppContext, args: argparse.Namespace) -> int:
    """``travel-docs request --country ISO3 [--limit N] --out FILE.csv`` (FILE.pdf beside it)."""
    return _request(ctx, args, RequestKind.TRAVEL_DOCUMENT)
