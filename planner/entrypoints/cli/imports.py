"""``charter-planner import roster|verification|flights|facilities FILE [--dry-run] [--encoding NAME]``.

Exit 0 after a clean import or dry run; exit 2 with ``FILE:LINE: column: message`` lines (the first
200 and a count of the rest, printed by ``planner.entrypoints.cli.main.run``) when the file is rejected,
and with one line for an unknown ``--encoding``. Without ``--encoding`` the encoding is detected
(``planner.services.imports.reader``). Every dry run, and every file not read as UTF-8, prints the
encoding used, its warnings and the decoded names of the first rows.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from planner.entrypoints.cli.common import ProgressPrinter, login

if TYPE_CHECKING:
    from planner.persistence.context import AppContext
    from planner.persistence.uow import UnitOfWork
    from planner.services.imports.framework import ImportReport

#: ``planner.services.imports.KINDS``, spelled out so that building the parser loads no importer
#: (tests/integration/test_cli_light_imports.py keeps the two equal).
KINDS = ("facilities", "flights", "roster", "verification", "escorts", "country-rules", "aircraft")


def cmd_import(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.persistence.uow import run_in_transaction
    from planner.services.imports import ImportRejected, import_file
    from planner.services.imports.reader import resolve_encoding

    encoding = resolve_encoding(args.encoding) if args.encoding else None  # before asking a password
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
            encoding=encoding,
            accept_impact=args.accept_impact,
        )

    try:
        if args.dry_run:
            with ctx.uow(write=False) as uow:
                report = work(uow)
        else:  # a busy shared database is retried a few times before giving up cleanly
            report = run_in_transaction(ctx.session_factory, work)
    except ImportRejected as rejected:
        if args.dry_run or rejected.report.warnings:
            print("\n".join(rejected.report.preview_lines()))
        raise
    print(report.summary())
    if args.dry_run or report.warnings:
        print("\n".join(report.preview_lines()))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` command to the CLI's sub-parsers."""
    p = subparsers.add_parser("import", help="import a CSV file (admin); all or nothing")
    p.add_argument("kind", choices=KINDS, help="what the file holds (import in this order)")
    p.add_argument(
        "file",
        metavar="FILE",
        help="CSV file (comma, semicolon or tab separated): UTF-8, UTF-8/UTF-16 with BOM (Excel "
        '"Unicode Text"), Windows-1252 (Excel "CSV (Comma delimited)"), Latin-1 or GB18030; detected',
    )
    p.add_argument(
        "--dry-run", action="store_true", help="check and count; write nothing; show decoded names"
    )
    p.add_argument(
        "--accept-impact",
        action="store_true",
        help="country-rules: write the rules even when they make people on approved manifests "
        "ineligible (the impact is audited); without it such an import is rejected",
    )
    p.add_argument(
        "--encoding",
        metavar="NAME",
        help="decode the file strictly in NAME instead of detecting it: utf-8, utf-8-sig, utf-16, "
        "cp1252 (windows-1252), latin-1 (iso-8859-1), gb18030 or another Python codec name",
    )
    p.set_defaults(func=cmd_import)
