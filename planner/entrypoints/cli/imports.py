"""``charter-planner import roster|verification|flights|facilities FILE [--dry-run]``.

Exit 0 after a clean import or dry run; exit 2 with ``FILE:LINE: column: message`` lines (the first
200 and a count of the rest, printed by ``planner.entrypoints.cli.main.run``) when the file is rejected.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from planner.entrypoints.cli.common import ProgressPrinter, login
from planner.persistence.context import AppContext

if TYPE_CHECKING:
    from planner.persistence.uow import UnitOfWork
    from planner.services.imports.framework import ImportReport


def cmd_import(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.persistence.uow import run_in_transaction
    from planner.services.imports import import_file

    actor = login(ctx)

    def work(uow: UnitOfWork) -> ImportReport:
        return import_file(
            uow,
            actor,
            args.kind,
            Path(args.file),
            name=args.file,
            dry_run=args.dry_run,
            progress=ProgressPrinter(),
        )

    if args.dry_run:
        with ctx.uow(write=False) as uow:
            report = work(uow)
    else:  # a busy shared database is retried a few times before giving up cleanly
        report = run_in_transaction(ctx.session_factory, work)
    print(report.summary())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` command to the CLI's sub-parsers."""
    from planner.services.imports import KINDS

    p = subparsers.add_parser("import", help="import a CSV file (admin); all or nothing")
    p.add_argument("kind", choices=KINDS, help="what the file holds (import in this order)")
    p.add_argument("file", metavar="FILE", help="CSV file: UTF-8, UTF-8/UTF-16 with BOM, or GB18030")
    p.add_argument("--dry-run", action="store_true", help="check and count; write nothing")
    p.set_defaults(func=cmd_import)
