"""The PDFs of :mod:`planner.services.manifests.as_flown`: the as-flown manifest and the handover
receipt of a stop (A4 landscape, the manifest's columns and page furniture: "Page n of N", the
document's SHA-256 and a QR code in every footer).

- As-flown: flight block, per stop the people who boarded (with where and when they boarded),
  per-stop and flight totals, and on its **last page** the struck-off list with the reasons in words
  and the counts per reason.
- On a route with several pickups both show the route (header and flight block), who boarded per
  pickup, and each stop's people in one table per pickup.
- Handover receipt: flight block, the stop's people who boarded, totals, and signature blocks for
  two receiving officials (name, rank, signature, date/time) and for the escort leader handing over.

Deterministic: the same document renders to the same bytes.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from planner.services.manifests.as_flown import (
    FlownDocument,
    StruckRow,
    document_dict,
    document_qr_payload,
    document_sha256,
)
from planner.services.manifests.pdf import (
    Totals,
    flight_block,
    people_table,
    route_text,
    rows_per_pickup,
    stop_label,
    totals_table,
)
from planner.services.manifests.pdf_common import (
    HEAD_BG,
    MARGIN_X,
    PAGE_SIZE,
    RULE,
    Fonts,
    Furniture,
    SectionMarker,
    Styles,
    build_document,
    cell,
    content_attachment,
    fmt_utc,
    grid_style,
    load_fonts,
    make_styles,
    markup,
)

log = logging.getLogger(__name__)

STRUCK_COLUMNS: tuple[tuple[str, float], ...] = (
    ("No.", 22),
    ("Case number", 58),
    ("Name", 130),
    ("Native name", 80),
    ("Stop", 34),
    ("Reason", 120),
    ("Note", 178),
    ("Struck by", 70),
    ("When (UTC)", 62),
    ("Rev.", 28),
)


def _boarding_note(doc: FlownDocument, sequence: int) -> str:
    """``Boarded: IAH 12, HOU 3 — first 2030-03-31 02:10 UTC, last 03:05 UTC`` for a stop."""
    stop = next(s for s in doc.manifest.stops if s.sequence == sequence)
    infos = [doc.boarded[r.case_number] for r in stop.rows if r.case_number in doc.boarded]
    if not infos:
        return "Nobody boarded for this stop."
    airports = Counter(i.airport for i in infos)
    first = min(i.boarded_at for i in infos)
    last = max(i.boarded_at for i in infos)
    where = ", ".join(f"{a} {n}" for a, n in sorted(airports.items()))
    return f"Boarded at {where} — first {fmt_utc(first)}, last {fmt_utc(last)}."


def _struck_table(struck: tuple[StruckRow, ...], fonts: Fonts, st: Styles) -> Table:
    width = dict(STRUCK_COLUMNS)
    data: list[list[Any]] = [[Paragraph(escape(name), st.head) for name, _ in STRUCK_COLUMNS]]
    for i, s in enumerate(struck, start=1):
        data.append(
            [
                str(i),
                cell([s.case_number], width["Case number"], fonts, st, bold=True),
                cell([f"{s.family_name}, {s.given_names}"], width["Name"], fonts, st),
                cell([s.native_name], width["Native name"], fonts, st) if s.native_name else "",
                str(s.stop_sequence),
                cell([s.reason_text, s.reason], width["Reason"], fonts, st),
                cell([s.note], width["Note"], fonts, st) if s.note else "–",
                cell([s.struck_by], width["Struck by"], fonts, st),
                cell([f"{s.struck_at:%Y-%m-%d}", f"{s.struck_at:%H:%M}"], width["When (UTC)"], fonts, st),
                "–" if s.manifest_revision is None else str(s.manifest_revision),
            ]
        )
    table = Table(data, colWidths=[w for _, w in STRUCK_COLUMNS], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(grid_style(fonts)))
    return table


def _struck_section(
    doc: FlownDocument, fonts: Fonts, st: Styles, section: list[str | None]
) -> list[Flowable]:
    out: list[Flowable] = [
        PageBreak(),
        SectionMarker(section, "Struck off"),
        Paragraph("Struck off this flight", st.h2),
    ]
    if not doc.struck:
        out.append(Paragraph("Nobody was struck off this flight.", st.body))
        return out
    counts = Counter(s.reason_text for s in doc.struck)
    summary = " · ".join(f"{escape(reason)}: <b>{n}</b>" for reason, n in sorted(counts.items()))
    out += [
        Paragraph(
            f"{len(doc.struck)} person{'s' if len(doc.struck) != 1 else ''} struck off, with the reason "
            f"recorded for every one — {summary}",
            st.body,
        ),
        Spacer(1, 4),
        _struck_table(doc.struck, fonts, st),
    ]
    return out


def _officials(doc: FlownDocument, fonts: Fonts, st: Styles) -> Table:
    stop = doc.manifest.stops[0]

    def block(role: str) -> list[Any]:
        return [
            Paragraph(f"<b>{markup(role, fonts)}</b>", st.body),
            Paragraph("Name:", st.body),
            Paragraph("Rank / position:", st.body),
            Paragraph("Date and local time:", st.body),
            Paragraph("Signature:", st.body),
        ]

    blocks = [
        block(f"Received by (official of {stop.country})"),
        block(f"Received by (second official of {stop.country})"),
        block("Handed over by (escort leader)"),
    ]
    data = [[b[i] for b in blocks] for i in range(5)]
    width = (PAGE_SIZE[0] - 2 * MARGIN_X) / 3
    table = Table(data, colWidths=[width] * 3, rowHeights=[16, 22, 22, 22, 40], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (0, -1), 0.6, RULE),
                ("BOX", (1, 0), (1, -1), 0.6, RULE),
                ("BOX", (2, 0), (2, -1), 0.6, RULE),
                ("LINEBELOW", (0, 0), (-1, -2), 0.25, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _story(doc: FlownDocument, fonts: Fonts, st: Styles, section: list[str | None]) -> list[Flowable]:
    content = doc.manifest
    handover = doc.stop_sequence is not None
    title = (
        f"Handover receipt — stop {content.stops[0].sequence} {content.stops[0].airport}"
        if handover
        else "As-flown manifest — who boarded"
    )
    story = flight_block(content, fonts, st, title=title, persons_label="Boarded")
    times = [
        f"Based on manifest revision <b>{doc.based_on_revision}</b>",
        f"doors closed {escape(fmt_utc(doc.closed_at) or '–')}"
        + (f" by {markup(doc.closed_by, fonts)}" if doc.closed_by else ""),
        f"departed {escape(fmt_utc(doc.departed_at) or 'not yet')}",
    ]
    if doc.printed_at is not None:
        times.append(f"printed {escape(fmt_utc(doc.printed_at))} by {markup(doc.printed_by, fonts)}")
    if doc.audit_anchor:  # the audit chain's head when printed (planner.persistence.audit_anchors)
        event_id, _, digest = doc.audit_anchor.partition(":")
        times.append(f"audit anchor: event {escape(event_id)} · {escape(digest[:16])}")
    story += [Paragraph(" · ".join(times), st.small), Spacer(1, 6)]
    if content.has_route:
        per_pickup = " · ".join(
            f"{p.airport} (pickup {p.sequence + 1}): {len(content.rows_of_pickup(p.sequence))}"
            for p in content.pickups
        )
        story += [Paragraph(escape(f"Boarded per pickup: {per_pickup}"), st.body), Spacer(1, 6)]
    per_stop: list[tuple[str, Totals]] = []
    for stop in content.stops:
        totals = Totals.of(stop.rows)
        per_stop.append((f"Stop {stop.sequence}: {stop_label(stop)}", totals))
        story += [
            CondPageBreak(60 * mm),
            SectionMarker(section, f"Stop {stop.sequence}: {stop_label(stop)}"),
            Paragraph(
                f"Stop {stop.sequence}: {markup(stop_label(stop), fonts)} — "
                + ("handed over to " if handover else "flown to ")
                + f"{escape(stop.country)} — {len(stop.rows)} person{'s' if len(stop.rows) != 1 else ''}",
                st.h2,
            ),
            Paragraph(escape(_boarding_note(doc, stop.sequence)), st.small),
            Spacer(1, 3),
        ]
        if stop.rows and content.has_route:
            story.extend(rows_per_pickup(content, stop, fonts, st))
        elif stop.rows:
            story.append(people_table(stop.rows, fonts, st))
        story += [SectionMarker(section, None), Spacer(1, 8)]
    rows = [row for stop in content.stops for row in stop.rows]
    if handover:
        stop = content.stops[0]
        story.append(
            KeepTogether(
                [
                    totals_table([(stop_label(stop), Totals.of(rows))], fonts, st, grand=True),
                    Spacer(1, 12),
                    Paragraph("Handover", st.h2),
                    Paragraph(
                        f"The receiving officials confirm that the {len(rows)} person"
                        f"{'s' if len(rows) != 1 else ''} listed above were handed over to them at "
                        f"{markup(stop_label(stop), fonts)}.",
                        st.body,
                    ),
                    Spacer(1, 4),
                    _officials(doc, fonts, st),
                ]
            )
        )
    else:
        flight_rows = [*per_stop, (f"Flight {content.flight_code} — total boarded", Totals.of(rows))]
        story.append(
            KeepTogether(
                [Paragraph("Totals (boarded)", st.h2), totals_table(flight_rows, fonts, st, grand=True)]
            )
        )
        story += _struck_section(doc, fonts, st, section)
    return story


def render_flown_pdf(
    doc: FlownDocument, out: str | Path | IO[bytes], *, font_dir: str | Path | None = None
) -> None:
    """Write the as-flown manifest or handover receipt ``doc`` to ``out`` (a path or a binary stream)."""
    fonts = load_fonts(font_dir)
    st = make_styles(fonts)
    content = doc.manifest
    digest = document_sha256(doc)
    handover = doc.stop_sequence is not None
    name = (
        f"Handover {content.flight_code} stop {content.stops[0].sequence} {content.stops[0].airport}"
        if handover
        else f"As-flown manifest {content.flight_code}"
    )
    furniture = Furniture(
        fonts=fonts,
        sha256=digest,
        qr_payload=document_qr_payload(doc),
        header_title=name,
        header_right=(
            f"{content.carrier} · {route_text(content) if content.has_route else content.departure_airport} · "
            f"based on revision {doc.based_on_revision} · " + ("HANDOVER" if handover else "AS FLOWN")
        ),
        caption=f"{name} · based on manifest revision {doc.based_on_revision}",
        note="Check a printed page: scan the QR code or compare the SHA-256 with the audit log "
        f"(action manifest.{'handover' if handover else 'as_flown'}, flight {content.flight_code}).",
    )
    size = build_document(
        _story(doc, fonts, st, furniture.section),
        out,
        furniture,
        title=name,
        author=doc.printed_by,
        content_file=content_attachment("handover" if handover else "as-flown", digest, document_dict(doc)),
    )
    log.info("%s: %d persons, %d bytes", name, doc.person_count, size)


__all__ = ["render_flown_pdf"]
