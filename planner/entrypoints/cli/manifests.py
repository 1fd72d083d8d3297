"""Manifest commands of the CLI (docs/design.md, issue 5)::

    manifest FLIGHT_ID --out FILE.pdf          current revision (prepares a DRAFT when the plan changed)
    manifest check FLIGHT_ID --hash HEX        current / superseded (exit 0) / unknown (exit 1)
    manifest check FLIGHT_ID --pdf FILE        does the PDF say what is stored? (exit 0 / 1 + differences)
    approve FLIGHT_ID                          supervisor only
    sign FLIGHT_ID [--p12 FILE]                supervisor only; password from CHARTER_P12_PASSWORD or prompt
    paxlst FLIGHT_ID --out FILE.edi            the approved revision, for the carrier (a route with
                                               several international legs: FILE-IAH-GUA.edi per leg)
    paxlst FLIGHT_ID --crew --out FILE.edi     the flight's escort list as a PAXLST crew list
    paxlst FLIGHT_ID                           when each receiving state needs the data (deadline clock)
    arrival FLIGHT_ID --stop IATA --at TIME    a stop's scheduled arrival (DTM+232, deadline clock)
    manifest FLIGHT_ID --as-flown --out FILE.pdf   who boarded, struck-off list (after departure)
    handover FLIGHT_ID --stop IATA --out FILE.pdf  handover receipt of a stop (after close)
    boarding-cards FLIGHT_ID --out FILE.pdf        one card per listed passenger (approved revision)

``manifest`` takes either the word ``check`` or a flight id as its first argument.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from planner.domain.errors import InvalidInput
from planner.entrypoints.cli.common import login
from planner.files import write_output

if TYPE_CHECKING:
    from planner.persistence.context import AppContext

log = logging.getLogger(__name__)


def cmd_manifest(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.manifests import workflow as manifests

    if args.target == "check":
        if not args.flight or bool(args.hash) == bool(args.pdf):
            raise InvalidInput("usage: manifest check FLIGHT_ID --hash HEX | --pdf FILE")
        if args.pdf:
            return _check_pdf(ctx, args.flight, args.pdf)
        actor = login(ctx)
        with ctx.uow(write=False) as uow:
            result = manifests.check_manifest_hash(uow, actor, args.flight, args.hash)
        print(result.message)
        return 0 if result.known else 1
    if args.flight:
        raise InvalidInput(f"unexpected argument {args.flight!r}: use 'manifest FLIGHT_ID --out FILE.pdf'")
    if not args.out:
        raise InvalidInput("manifest FLIGHT_ID needs --out FILE.pdf")
    if args.hash or args.pdf:
        raise InvalidInput("--hash and --pdf belong to 'manifest check FLIGHT_ID --hash HEX | --pdf FILE'")
    if args.as_flown:
        return _as_flown(ctx, args)
    actor = login(ctx)
    with ctx.uow() as uow:
        info = manifests.manifest_for_print(uow, actor, args.target)
    with ctx.uow(write=False) as uow:
        pdf = manifests.manifest_pdf(uow, actor, args.target, revision=info.revision)
    write_output(args.out, pdf)
    print(
        f"{info.flight_code} revision {info.revision} {info.status}"
        + (" (new)" if info.created else "")
        + f", {info.person_count} persons, SHA-256 {info.sha256} -> {args.out}"
    )
    return 0


def _as_flown(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.manifests import flown

    actor = login(ctx)
    with ctx.uow() as uow:
        result = flown.as_flown_manifest(uow, actor, args.target)
    write_output(args.out, result.pdf)
    print(
        f"{result.flight_code} as flown (based on revision {result.based_on_revision}): {result.persons} "
        f"boarded, {result.struck} struck off, SHA-256 {result.sha256} -> {args.out}"
    )
    return 0


def cmd_handover(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.manifests import flown

    actor = login(ctx)
    with ctx.uow() as uow:
        result = flown.handover_receipt(uow, actor, args.flight, args.stop)
    write_output(args.out, result.pdf)
    print(
        f"{result.flight_code} handover receipt for {result.stop}: {result.persons} persons, "
        f"SHA-256 {result.sha256} -> {args.out}"
    )
    return 0


def cmd_boarding_cards(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.manifests import boarding_cards

    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        pdf, count = boarding_cards.boarding_cards_pdf(uow, actor, args.flight)
    write_output(args.out, pdf)
    print(f"{args.flight}: {count} boarding cards -> {args.out}")
    return 0


def cmd_approve(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.manifests import workflow as manifests

    actor = login(ctx)
    with ctx.uow() as uow:
        info = manifests.approve_manifest(uow, actor, args.flight)
    print(f"{info.flight_code} revision {info.revision} APPROVED ({info.person_count} persons, frozen, sent)")
    return 0


def _p12_password() -> bytes | None:
    password = os.environ.get("CHARTER_P12_PASSWORD")
    if password is None:
        import sys

        if sys.stdin is not None and sys.stdin.isatty():
            password = getpass.getpass("Password of the PKCS#12 file: ")
    return password.encode("utf-8") if password else None


def cmd_sign(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.manifests import workflow as manifests

    p12 = p12_password = None
    if args.p12:
        try:
            p12 = Path(args.p12).read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read {args.p12}: {exc.strerror}") from exc
    actor = login(ctx)
    if p12 is not None:
        p12_password = _p12_password()
    with ctx.uow() as uow:
        info = manifests.sign_manifest(uow, actor, args.flight, p12=p12, p12_password=p12_password)
    print(
        f"{info.flight_code} revision {info.revision} SIGNED by {info.signed_by}"
        + (" with a PAdES signature" if info.pades_signed else "")
    )
    return 0


def cmd_paxlst(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.services.manifests import deadlines, paxlst_export
    from planner.services.manifests.paxlst import ReportingContact

    actor = login(ctx)
    if args.out:
        settings = ctx.settings
        contact = ReportingContact(settings.reporting_phone, settings.reporting_email)
        if args.crew:
            with ctx.uow() as uow:
                text = paxlst_export.export_crew_paxlst(
                    uow, actor, args.flight, sender=settings.paxlst_sender, contact=contact
                )
            write_output(args.out, text.encode("ascii"))
            print(f"PAXLST crew list for {args.flight} -> {args.out}")
        else:
            with ctx.uow() as uow:
                messages = paxlst_export.export_paxlst_legs(
                    uow, actor, args.flight, sender=settings.paxlst_sender, contact=contact
                )
            for message in messages:
                path = args.out if len(messages) == 1 else paxlst_export.leg_path(args.out, message.label)
                write_output(path, message.text.encode("ascii"))
                leg = f" leg {message.label} ({message.persons} persons)" if len(messages) > 1 else ""
                print(f"PAXLST passenger list for {args.flight}{leg} -> {path}")
    elif args.crew:
        raise InvalidInput("paxlst FLIGHT_ID --crew needs --out FILE.edi")
    with ctx.uow(write=False) as uow:
        clock = deadlines.flight_api_deadlines(uow, actor, args.flight)
    for deadline in clock:
        print(deadline.describe())
        if deadline.overdue:
            log.warning("%s: the API data for %s is overdue", args.flight, deadline.country)
    return 0


def cmd_arrival(ctx: AppContext, args: argparse.Namespace) -> int:
    from planner.domain.fields import FieldError, iso_datetime_with_offset
    from planner.services.manifests import deadlines

    if (args.at is None) == (not args.clear):
        raise InvalidInput("arrival FLIGHT_ID --stop IATA needs either --at TIME or --clear")
    arrival = None
    if args.at is not None:
        try:
            arrival = iso_datetime_with_offset(args.at.strip())
        except FieldError as exc:
            raise InvalidInput(f"--at: {exc}") from None
    actor = login(ctx)
    with ctx.uow() as uow:
        deadlines.set_stop_arrival(uow, actor, args.flight, args.stop, arrival)
    print(
        f"{args.flight} {args.stop.upper()}: arrival "
        + ("cleared" if arrival is None else f"{args.at.strip()}")
    )
    with ctx.uow(write=False) as uow:
        for deadline in deadlines.flight_api_deadlines(uow, actor, args.flight):
            print(deadline.describe())
    return 0


def _check_pdf(ctx: AppContext, flight: str, path: str) -> int:
    """``manifest check FLIGHT --pdf FILE``: the verdict, then one line per difference, note and
    signature. Exit 0 when the file matches, 1 when it differs."""
    from planner.services.manifests.document_check import check_document

    try:
        pdf = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    actor = login(ctx)
    with ctx.uow(write=False) as uow:
        result = check_document(uow, actor, flight, pdf)
    print(result.summary)
    for line in result.differences:
        print(f"  DIFFERENCE {line}")
    for line in result.signatures:
        print(f"  {line}")
    for line in result.notes:
        print(f"  note: {line}")
    return 0 if result.matches else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``manifest``, ``approve``, ``sign``, ``paxlst``, ``arrival``, ``handover`` and
    ``boarding-cards`` to the CLI's sub-parsers."""
    p = subparsers.add_parser(
        "manifest",
        help="write a flight's manifest PDF, or check a printed copy's hash or a PDF",
        description="manifest FLIGHT_ID --out FILE.pdf | manifest check FLIGHT_ID --hash HEX | --pdf FILE",
    )
    p.add_argument("target", metavar="FLIGHT_ID|check", help="flight id (e.g. RF0001), or 'check'")
    p.add_argument("flight", nargs="?", metavar="FLIGHT_ID", help="flight id (after 'check')")
    p.add_argument("--out", metavar="FILE.pdf", help="where to write the PDF")
    p.add_argument("--hash", metavar="HEX", help="SHA-256 printed on the copy (with 'check')")
    p.add_argument(
        "--pdf", metavar="FILE", help="a manifest PDF to compare with what is stored (with 'check')"
    )
    p.add_argument(
        "--as-flown",
        action="store_true",
        help="the as-flown manifest of a departed flight: who boarded, and the struck-off list",
    )
    p.set_defaults(func=cmd_manifest)

    p = subparsers.add_parser("approve", help="approve a flight's draft manifest (supervisor)")
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.set_defaults(func=cmd_approve)

    p = subparsers.add_parser("sign", help="sign a flight's approved manifest (supervisor)")
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.add_argument(
        "--p12", metavar="FILE", help="PKCS#12 key for a PAdES signature (password: CHARTER_P12_PASSWORD)"
    )
    p.set_defaults(func=cmd_sign)

    p = subparsers.add_parser(
        "paxlst",
        help="write the approved manifest (or the escort list) as PAXLST (UN/EDIFACT); show API deadlines",
        description="paxlst FLIGHT_ID [--crew] [--out FILE.edi]: without --out, only the API deadline per stop",
    )
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.add_argument("--out", metavar="FILE.edi", help="where to write the interchange")
    p.add_argument(
        "--crew", action="store_true", help="the crew list (BGM+250) of the flight's escort list instead"
    )
    p.set_defaults(func=cmd_paxlst)

    p = subparsers.add_parser(
        "arrival",
        help="record a stop's scheduled arrival (PAXLST DTM+232, API deadline clock)",
        description="arrival FLIGHT_ID --stop IATA --at 2027-03-02T06:30+08:00 | --clear",
    )
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.add_argument("--stop", required=True, metavar="IATA", help="the stop's airport")
    p.add_argument("--at", metavar="TIME", help="scheduled arrival, ISO 8601 with UTC offset")
    p.add_argument("--clear", action="store_true", help="forget the recorded arrival")
    p.set_defaults(func=cmd_arrival)

    p = subparsers.add_parser(
        "handover", help="write the handover receipt of one stop of a closed or departed flight"
    )
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.add_argument("--stop", required=True, metavar="IATA", help="the stop's airport")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(func=cmd_handover)

    p = subparsers.add_parser(
        "boarding-cards", help="write one boarding card per listed passenger (barcode of the case number)"
    )
    p.add_argument("flight", metavar="FLIGHT_ID")
    p.add_argument("--out", required=True, metavar="FILE.pdf")
    p.set_defaults(func=cmd_boarding_cards)
