"""CLI commands for backups, restores, retention and encryption at rest.

- ``backup --out FILE`` (admin): consistent, checked online copy of the SQLite file; on PostgreSQL
  exit 2 with a message pointing to pg_dump.
- ``restore FILE`` (admin): validate the backup, then replace the database atomically.
- ``retention apply [--days N] [--dry-run]`` (admin): anonymise people released/removed long ago.
- ``init --encrypt``: create an SQLCipher-encrypted SQLite file; the key comes from
  ``CHARTER_DB_KEY`` or a passphrase prompt. Later commands need ``CHARTER_DB_KEY``.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from planner.domain.errors import InvalidInput
from planner.entrypoints.cli.common import Command, Parser, login

if TYPE_CHECKING:
    from planner.persistence.context import AppContext

MIN_PASSPHRASE = 12


def cmd_backup(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import backup

    actor = login(ctx)
    print(backup.backup_database(ctx, actor, Path(args.out)).summary())
    return 0


def cmd_restore(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import backup

    actor = login(ctx)
    print(backup.restore_database(ctx, actor, Path(args.file)).summary())
    return 0


def cmd_retention_apply(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services import retention

    if args.days is not None and args.days < 0:
        raise InvalidInput("--days must be zero or more")
    actor = login(ctx)
    days = ctx.settings.retention_days if args.days is None else args.days
    report = retention.apply_retention(ctx, actor, days=days, dry_run=args.dry_run)
    print(report.summary())
    return 0


def _passphrase() -> str:
    if not sys.stdin or not sys.stdin.isatty():
        raise InvalidInput("no encryption key: set CHARTER_DB_KEY or run from a terminal")
    key = getpass.getpass("Passphrase for the database (keep it safe: without it the data is lost): ")
    if getpass.getpass("Repeat passphrase: ") != key:
        raise InvalidInput("the two passphrases differ")
    return key


def _encrypting_init(original: Command) -> Command:
    def cmd_init(ctx: AppContext, args: argparse.Namespace) -> int:
        if not args.encrypt:
            return original(ctx, args)
        from planner.persistence.context import build_context
        from planner.persistence.db import is_encrypted_file, sqlcipher_module, sqlite_file

        path = sqlite_file(ctx.engine)
        if path is None:
            raise InvalidInput(
                "--encrypt is for SQLite files; for PostgreSQL encrypt the server's disk and use TLS"
            )
        if path.exists() and path.stat().st_size > 0 and not is_encrypted_file(path):
            raise InvalidInput(
                f"{path} already exists unencrypted; create the encrypted database in a new file "
                "(init --encrypt) and import the data there"
            )
        sqlcipher_module()  # a clear message when the 'encryption' extra is missing
        key = ctx.settings.db_key or _passphrase()
        if len(key) < MIN_PASSPHRASE:
            raise InvalidInput(f"the passphrase needs at least {MIN_PASSPHRASE} characters")
        ctx.close()
        encrypted = build_context(dataclasses.replace(ctx.settings, db_key=key))
        try:
            code = original(encrypted, args)
        finally:
            encrypted.close()
        print(f"{path} is encrypted (SQLCipher); set CHARTER_DB_KEY for every later command")
        return code

    return cmd_init


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``backup``, ``restore``, ``retention`` and ``init --encrypt``."""
    p = sub.add_parser("backup", help="consistent online copy of the SQLite database, checked (admin)")
    p.add_argument("--out", required=True, metavar="FILE", help="the backup file to write")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="replace the database with a validated backup (admin)")
    p.add_argument("file", metavar="FILE", help="a file written by 'backup'")
    p.set_defaults(func=cmd_restore)

    r = sub.add_parser("retention", help="anonymise people released or removed long ago (admin)")
    r_sub = r.add_subparsers(dest="retention_command", metavar="ACTION", required=True, parser_class=Parser)
    p = r_sub.add_parser("apply", help="anonymise records older than --days (default CHARTER_RETENTION_DAYS)")
    p.add_argument("--days", type=int, metavar="N", help="days since release or removal")
    p.add_argument("--dry-run", action="store_true", help="count only; change nothing")
    p.set_defaults(func=cmd_retention_apply)

    init = sub.choices.get("init")
    if init is not None:
        init.add_argument(
            "--encrypt",
            action="store_true",
            help="create an SQLCipher-encrypted SQLite file (key from CHARTER_DB_KEY or a prompt)",
        )
        init.set_defaults(func=_encrypting_init(init.get_default("func")))
