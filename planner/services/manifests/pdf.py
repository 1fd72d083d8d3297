"""The manifest PDF (ReportLab platypus): what a supervisor signs and the receiving country receives.

Layout (A4 landscape): a page header with the flight and revision; on page 1 a flight block
(carrier, aircraft, departure airport and local time with its zone, stops); one section per stop
with one table row per person (the table header repeats on every page, long names wrap inside
their cell) and the stop's totals, then the stop's **reserves** in a separate, clearly marked
section ("RESERVES — may board only if a listed passenger is struck off", numbered by rank; members
of one family share a rank); then the flight totals (passengers only) and the signature blocks.
A route with several pickups (format 2 content) shows its route in the page header and flight
block (``IAH 07:15 UTC−06:00 → SAT 09:00 → PEK → GUA``), a table of its legs (from, to, local
departure, people aboard, international or domestic) and, inside each stop, one table per pickup
("boarding at SAT, pickup 2"); a one-pickup flight's PDF is unchanged.
Every footer carries "Page n of N", the manifest's SHA-256 and a QR code with
``CHARTER-MANIFEST|flight|revision|hash`` (see :mod:`planner.services.manifests.content`). A DRAFT
watermark is drawn while the status is DRAFT (and a SUPERSEDED one on a superseded revision).

Fonts, scripts and the page furniture are shared with the other departure documents
(:mod:`planner.services.manifests.pdf_common`). The output is deterministic: the same content
renders to the same bytes (ReportLab's invariant mode).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from planner.domain.enums import ManifestStatus
from planner.domain.wording import local_time_text
from planner.services.manifests.content import (
    ManifestContent,
    ManifestRow,
    StopSection,
    content_sha256,
    content_to_json,
    qr_payload,
)
from planner.services.manifests.pdf_common import (
    CELL_LEADING,
    CELL_SIZE,
    DOCUMENT_LABELS,
    FONT_FILES,
    HEAD_BG,
    INK,
    MARGIN_X,
    MEDICAL_LABELS,
    MUTED,
    PAGE_SIZE,
    RESERVE_BG,
    RESERVE_INK,
    RULE,
    Fonts,
    Furniture,
    SectionMarker,
    Styles,
    build_document,
    cell,
    content_attachment,
    display_text,
    fmt_date,
    fmt_local,
    fmt_utc,
    grid_style,
    load_fonts,
    make_styles,
)
from planner.services.manifests.pdf_common import markup as _markup

log = logging.getLogger(__name__)

_Fonts = Fonts
_Styles = Styles
_cell = cell
_fmt_date = fmt_date
_fmt_utc = fmt_utc
_SectionMarker = SectionMarker

# (header, width in points); the widths add up to the frame width (A4 landscape less margins).
COLUMNS: tuple[tuple[str, float], ...] = (
    ("No.", 26),
    ("Case number", 56),
    ("Family name", 80),
    ("Given names", 84),
    ("Native name", 72),
    ("Sex", 20),
    ("Date of birth", 46),
    ("Nat.", 34),
    ("Document", 94),
    ("Expires", 46),
    ("Verification", 76),
    ("Risk", 36),
    ("Medical", 57),
    ("Family group", 48),
)


def stop_label(stop: StopSection) -> str:
    return f"{stop.airport} {stop.airport_name} ({stop.country})"


def _clock(moment: datetime, zone: str | None, previous_offset: str | None) -> tuple[str, str]:
    """``07:15 UTC−06:00`` (or ``09:00`` when the offset is the one shown before) and the offset."""
    full = local_time_text(moment, zone)  # "YYYY-MM-DD HH:MM UTC±hh:mm"
    _day, clock, offset = full.split(" ", 2)
    return (clock if offset == previous_offset else f"{clock} {offset}"), offset


def route_text(content: ManifestContent, *, with_date: bool = False) -> str:
    """The route in flying order: each pickup with its local departure time, then the stops (with
    their local arrival when known), e.g. ``IAH 07:15 UTC−06:00 → SAT 09:00 → GUA``; an offset is
    repeated only where it changes. ``with_date`` starts with the first pickup's local date."""
    parts: list[str] = []
    offset: str | None = None
    for pickup in content.route_pickups():
        clock, offset = _clock(pickup.departure_utc, pickup.timezone, offset)
        parts.append(f"{pickup.airport} {clock}")
    for stop in content.stops:
        if stop.arrival_utc is not None:
            clock, offset = _clock(stop.arrival_utc, stop.timezone, offset)
            parts.append(f"{stop.airport} {clock}")
        else:
            parts.append(stop.airport)
    text = " → ".join(parts)
    if with_date:
        first = content.route_pickups()[0]
        text = local_time_text(first.departure_utc, first.timezone).split(" ")[0] + " " + text
    return text


def leg_rows(content: ManifestContent) -> list[tuple[str, str, str, int, str]]:
    """Per leg of the route: ``(leg "1", "IAH → SAT", local departure or "–", people aboard,
    "international" / "domestic" / "")`` (the kind is blank where a country is not recorded)."""
    countries = [p.country for p in content.route_pickups()] + [s.country for s in content.stops]
    zones = [p.timezone for p in content.route_pickups()] + [s.timezone for s in content.stops]
    out = []
    for leg in content.legs():
        a, b = countries[leg.index], countries[leg.index + 1]
        kind = "" if not a or not b else ("international" if a != b else "domestic")
        leaves = local_time_text(leg.departure_utc, zones[leg.index]) if leg.departure_utc else "–"
        out.append(
            (
                str(leg.index + 1),
                f"{leg.origin} → {leg.destination}",
                leaves,
                len(content.rows_aboard(leg.index)),
                kind,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Story


def flight_block(
    content: ManifestContent,
    fonts: Fonts,
    st: Styles,
    *,
    title: str = "Passenger manifest — return charter flight",
    persons_label: str = "Persons",
) -> list[Flowable]:
    """Page 1's title and flight block (carrier, aircraft, revision, departure, stops)."""

    def p(text: str, style: ParagraphStyle = st.body) -> Paragraph:
        return Paragraph(text, style)

    def label(text: str) -> Paragraph:
        return Paragraph(escape(text), st.small)

    stops = "  →  ".join(f"{s.sequence}. {_markup(stop_label(s), fonts)}" for s in content.stops) or "–"
    if content.has_route:
        pickups = "  →  ".join(
            f"{p.sequence + 1}. <b>{_markup(p.airport, fonts)}</b> {_markup(p.airport_name, fonts)} "
            f"{escape(local_time_text(p.departure_utc, p.timezone))}"
            for p in content.pickups
        )
        stops = f"<b>Pickups</b> {pickups}<br/><b>Stops</b> {stops}"
    data: list[list[Any]] = [
        [
            label("Flight"),
            p(f"<b>{_markup(content.flight_code, fonts)}</b>"),
            label("Carrier"),
            p(_markup(content.carrier, fonts)),
            label("Aircraft"),
            p(_markup(content.aircraft, fonts)),
            label("Revision"),
            p(f"<b>{content.revision}</b> · {escape(content.status)}"),
        ],
        [
            label("Departure"),
            p(
                f"<b>{_markup(content.departure_airport, fonts)}</b> "
                f"{_markup(content.departure_airport_name, fonts)}"
            ),
            label("Local time"),
            p(f"<b>{escape(fmt_local(content.departure_utc, content.departure_timezone))}</b>"),
            label("UTC"),
            p(escape(_fmt_utc(content.departure_utc))),
            label(persons_label),
            p(f"<b>{content.person_count}</b>"),
        ],
        [label("Route" if content.has_route else "Stops"), p(stops), "", "", "", "", "", ""],
    ]
    widths = [52, 142, 52, 220, 40, 120, 44, 104]
    table = Table(data, colWidths=widths, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.regular, 8.5, 11),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("SPAN", (1, 2), (-1, 2)),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE),
                ("BACKGROUND", (0, 0), (0, -1), HEAD_BG),
                ("BACKGROUND", (2, 0), (2, 1), HEAD_BG),
                ("BACKGROUND", (4, 0), (4, 1), HEAD_BG),
                ("BACKGROUND", (6, 0), (6, 1), HEAD_BG),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return [Paragraph(escape(title), st.title), Spacer(1, 4), table, Spacer(1, 8)]


_WIDTH = {name: width for name, width in COLUMNS}


def nationality_cell(row: ManifestRow, st: _Styles) -> Any:
    """The confirmed nationality; the claimed one only as a small muted note when it differs."""
    if not row.claimed_nationality or row.claimed_nationality == row.nationality:
        return row.nationality
    muted = "#" + MUTED.hexval()[2:]
    note = f'<font size="5.5" color="{muted}">claimed {escape(row.claimed_nationality)}</font>'
    return Paragraph(f"{escape(row.nationality)}<br/>{note}", st.cell)


def document_lines(row: ManifestRow) -> list[str]:
    """Type, number and (where known) issuing country and issue date of the listed document."""
    lines = [DOCUMENT_LABELS.get(row.document_type, row.document_type), row.document_number]
    issued = " · ".join(
        part
        for part in (
            row.document_issuing_country,
            row.document_issued_on and f"issued {row.document_issued_on.isoformat()}",
        )
        if part
    )
    if issued:
        lines.append(issued)
    return lines


def _row_cells(index: int | str, row: ManifestRow, fonts: _Fonts, st: _Styles) -> list[Any]:
    verification = [row.verification_reference or "–"]
    if row.verified_on is not None:
        verification.append(row.verified_on.isoformat())
    return [
        str(index),
        _cell([row.case_number], _WIDTH["Case number"], fonts, st, bold=True),
        _cell([row.family_name], _WIDTH["Family name"], fonts, st, bold=True),
        _cell([row.given_names], _WIDTH["Given names"], fonts, st),
        _cell([row.native_name], _WIDTH["Native name"], fonts, st) if row.native_name else "",
        row.sex,
        _fmt_date(row.date_of_birth),
        nationality_cell(row, st),
        _cell(document_lines(row), _WIDTH["Document"], fonts, st),
        _fmt_date(row.document_expires),
        _cell(verification, _WIDTH["Verification"], fonts, st),
        row.risk_level,
        MEDICAL_LABELS.get(row.medical_need, row.medical_need),
        _cell([row.family_group], _WIDTH["Family group"], fonts, st) if row.family_group else "–",
    ]


def people_table(
    rows: Sequence[ManifestRow],
    fonts: Fonts,
    st: Styles,
    *,
    numbers: Sequence[str] | None = None,
    first_header: str = "No.",
    shade: Any = None,
) -> Table:
    """One row per person (the manifest's columns); ``numbers`` label the rows (default 1, 2, …),
    ``first_header`` heads that column and ``shade`` (a colour) tints the header and every other row."""
    labels = list(numbers) if numbers is not None else [str(i) for i in range(1, len(rows) + 1)]
    header = [Paragraph(escape(name), st.head) for name, _ in COLUMNS]
    header[0] = Paragraph(escape(first_header), st.head)
    data: list[list[Any]] = [header]
    data.extend(_row_cells(label, row, fonts, st) for label, row in zip(labels, rows, strict=True))
    table = Table(data, colWidths=[w for _, w in COLUMNS], repeatRows=1, hAlign="LEFT")
    style = grid_style(fonts, bold_columns=(1, 2), shade=shade)
    for i, row in enumerate(rows, start=1):
        if row.risk_level == "HIGH":
            style.append(("FONT", (11, i), (11, i), fonts.bold, CELL_SIZE, CELL_LEADING))
    table.setStyle(TableStyle(style))
    return table


@dataclass(frozen=True)
class Totals:
    """Per-stop or per-flight counts (persons, sex, risk, medical needs, family groups)."""

    persons: int
    sex: Counter[str]
    risk: Counter[str]
    medical: Counter[str]
    families: int

    @classmethod
    def of(cls, rows: Sequence[ManifestRow]) -> Totals:
        return cls(
            persons=len(rows),
            sex=Counter(r.sex for r in rows),
            risk=Counter(r.risk_level for r in rows),
            medical=Counter(r.medical_need for r in rows),
            families=len({r.family_group for r in rows if r.family_group}),
        )

    def cells(self) -> list[str]:
        return [
            str(self.persons),
            str(self.sex["M"]),
            str(self.sex["F"]),
            str(self.sex["X"]),
            str(self.risk["HIGH"]),
            str(self.risk["MEDIUM"]),
            str(self.risk["LOW"]),
            str(self.medical["MEDICAL_ESCORT"]),
            str(self.medical["WHEELCHAIR"]),
            str(self.families),
        ]


TOTAL_HEADERS = (
    "Persons",
    "Male",
    "Female",
    "Sex X",
    "Risk high",
    "Risk medium",
    "Risk low",
    "Medical escort",
    "Wheelchair",
    "Family groups",
)


def totals_table(rows: list[tuple[str, Totals]], fonts: _Fonts, st: _Styles, *, grand: bool) -> Table:
    data: list[list[Any]] = [[Paragraph("", st.head)] + [Paragraph(h, st.head) for h in TOTAL_HEADERS]]
    for label, totals in rows:
        data.append([Paragraph(_markup(label, fonts), st.cell), *totals.cells()])
    table = Table(data, colWidths=[200] + [57] * len(TOTAL_HEADERS), hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), fonts.regular, 7.5, 9),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("INNERGRID", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if grand:
        style += [
            ("FONT", (1, -1), (-1, -1), fonts.bold, 7.5, 9),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
        ]
    else:
        style.append(("FONT", (1, 1), (1, -1), fonts.bold, 7.5, 9))
    table.setStyle(TableStyle(style))
    return table


def _anchor_line(content: ManifestContent, st: _Styles) -> list[Any]:
    """The audit chain's head at signing (``planner.persistence.audit_anchors``), when signed."""
    if not content.audit_anchor or ":" not in content.audit_anchor:
        return []
    event_id, digest = content.audit_anchor.split(":", 1)
    return [
        Spacer(1, 4),
        Paragraph(escape(f"Audit anchor at signing: event {event_id} · {digest[:16]}"), st.small),
    ]


def _signature_blocks(content: ManifestContent, fonts: _Fonts, st: _Styles) -> Table:
    def block(step: str, needed: str, who: str | None, when: Any, held: str | None = None) -> list[Any]:
        """``step`` ("Approved by") with the role it needs while blank; once done, the name and the
        role the person held then (recorded at approval / signing), e.g. "Sofia Ruiz (supervisor)"."""
        name = _markup(who, fonts) if who else ""
        if who and held:
            name += escape(f" ({held})")
        title = step if who and held else f"{step} ({needed})"
        date_text = _fmt_utc(when)
        return [
            Paragraph(f"<b>{escape(title)}</b>", st.body),
            Paragraph(f"Name: {name}", st.body),
            Paragraph(f"Date: {escape(date_text)}", st.body),
            Paragraph("Signature:", st.body),
        ]

    blocks = [
        block("Prepared by", "officer", content.prepared_by, content.prepared_at),
        block("Approved by", "supervisor", content.approved_by, content.approved_at, content.approved_role),
        block("Signed by", "supervisor", content.signed_by, content.signed_at, content.signed_role),
    ]
    data = [[b[i] for b in blocks] for i in range(4)]
    width = (PAGE_SIZE[0] - 2 * MARGIN_X) / 3
    table = Table(data, colWidths=[width] * 3, rowHeights=[16, 18, 18, 34], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.regular, 8.5, 11),
                ("BOX", (0, 0), (0, -1), 0.6, RULE),
                ("BOX", (1, 0), (1, -1), 0.6, RULE),
                ("BOX", (2, 0), (2, -1), 0.6, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


RESERVES_TITLE = "RESERVES — may board only if a listed passenger is struck off"


def reserve_ranks(rows: Sequence[ManifestRow]) -> list[str]:
    """Rank labels of reserve rows in rank order: members of one family (consecutive rows with the
    same family group) share their family's rank."""
    labels: list[str] = []
    rank = 0
    previous: str | None = None
    for row in rows:
        if row.family_group is None or row.family_group != previous:
            rank += 1
        previous = row.family_group
        labels.append(str(rank))
    return labels


def _reserves_section(
    stop: StopSection, fonts: Fonts, st: Styles, section: list[str | None]
) -> list[Flowable]:
    """The stop's reserves after its passengers: a marked banner, then the ranked table."""
    count = len(stop.reserves)
    banner = Table(
        [
            [
                Paragraph(
                    f"<b>{escape(RESERVES_TITLE)}</b> — stop {stop.sequence} "
                    f"{_markup(stop.airport, fonts)}: {count} reserve{'s' if count != 1 else ''}, "
                    "in rank order (a family moves up together and shares its rank). "
                    "Reserves are not passengers and are not counted in the totals.",
                    ParagraphStyle("reserve_banner", parent=st.body, textColor=RESERVE_INK),
                )
            ]
        ],
        colWidths=[sum(w for _, w in COLUMNS)],
        hAlign="LEFT",
    )
    banner.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), RESERVE_BG),
                ("BOX", (0, 0), (-1, -1), 1.2, RESERVE_INK),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [
        Spacer(1, 8),
        CondPageBreak(35 * mm),
        _SectionMarker(section, f"Stop {stop.sequence}: reserves"),
        banner,
        Spacer(1, 3),
        people_table(
            stop.reserves,
            fonts,
            st,
            numbers=reserve_ranks(stop.reserves),
            first_header="Rank",
            shade=RESERVE_BG,
        ),
    ]


def _legs_section(content: ManifestContent, fonts: Fonts, st: Styles) -> list[Flowable]:
    """The route's legs: from → to, local departure, people aboard, international or domestic;
    then who boards at each pickup."""
    data: list[list[Any]] = [
        [Paragraph(h, st.head) for h in ("Leg", "From → to", "Departs (local)", "Aboard", "Kind")]
    ]
    data.extend(
        [leg, _markup(path, fonts), leaves, str(n), kind] for leg, path, leaves, n, kind in leg_rows(content)
    )
    table = Table(data, colWidths=[30, 120, 150, 50, 80], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.regular, 7.5, 9),
                ("ALIGN", (3, 1), (3, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.25, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    boarding = " · ".join(
        f"{p.airport} (pickup {p.sequence + 1}): {len(content.rows_of_pickup(p.sequence))}"
        for p in content.pickups
    )
    return [
        KeepTogether(
            [
                Paragraph("Route — persons aboard each leg", st.h2),
                table,
                Spacer(1, 3),
                Paragraph(escape(f"Boarding per pickup: {boarding}"), st.small),
            ]
        ),
        Spacer(1, 8),
    ]


def rows_per_pickup(content: ManifestContent, stop: StopSection, fonts: Fonts, st: Styles) -> list[Flowable]:
    """A stop's passengers, one table per pickup they board at (numbered on through the stop)."""
    out: list[Flowable] = []
    number = 0
    for pickup in content.pickups:
        rows = [r for r in stop.rows if r.pickup_sequence == pickup.sequence]
        if not rows:
            continue
        out.append(
            Paragraph(
                f"Boarding at <b>{_markup(pickup.airport, fonts)}</b> {_markup(pickup.airport_name, fonts)} "
                f"(pickup {pickup.sequence + 1}, departs "
                f"{escape(local_time_text(pickup.departure_utc, pickup.timezone))}) — "
                f"{len(rows)} person{'s' if len(rows) != 1 else ''}",
                st.small,
            )
        )
        numbers = [str(number + i) for i in range(1, len(rows) + 1)]
        number += len(rows)
        out.extend([people_table(rows, fonts, st, numbers=numbers), Spacer(1, 4)])
    return out


def _story(content: ManifestContent, fonts: _Fonts, st: _Styles, section: list[str | None]) -> list[Flowable]:
    """The flowables of the document; ``section[0]`` tracks the stop being laid out (for page headers)."""
    story: list[Flowable] = flight_block(content, fonts, st)
    if content.has_route:
        story.extend(_legs_section(content, fonts, st))
    per_stop: list[tuple[str, Totals]] = []
    for stop in content.stops:
        heading = Paragraph(
            f"Stop {stop.sequence}: {_markup(stop_label(stop), fonts)} — receiving country "
            f"{escape(stop.country)} — {len(stop.rows)} person{'s' if len(stop.rows) != 1 else ''}",
            st.h2,
        )
        totals = Totals.of(stop.rows)
        per_stop.append((f"Stop {stop.sequence}: {stop_label(stop)}", totals))
        story.append(CondPageBreak(70 * mm))
        story.append(_SectionMarker(section, f"Stop {stop.sequence}: {stop_label(stop)}"))
        story.append(heading)
        if stop.rows and content.has_route:
            story.extend(rows_per_pickup(content, stop, fonts, st))
        elif stop.rows:
            story.append(people_table(stop.rows, fonts, st))
        else:
            story.append(Paragraph("Nobody is manifested for this stop.", st.body))
        story.append(Spacer(1, 4))
        story.append(
            KeepTogether(
                [
                    Paragraph(f"Totals for stop {stop.sequence}", st.small),
                    totals_table([(stop_label(stop), totals)], fonts, st, grand=False),
                ]
            )
        )
        if stop.reserves:
            story.extend(_reserves_section(stop, fonts, st, section))
        story.append(_SectionMarker(section, None))
        story.append(Spacer(1, 10))
    all_rows = [row for stop in content.stops for row in stop.rows]
    flight_rows = [*per_stop, (f"Flight {content.flight_code} — total", Totals.of(all_rows))]
    story.append(
        KeepTogether(
            [
                Paragraph("Flight totals", st.h2),
                totals_table(flight_rows, fonts, st, grand=True),
                Spacer(1, 12),
                Paragraph("Approval and signature", st.h2),
                Paragraph(
                    "By signing, the officer and supervisor confirm that every person listed above has "
                    "been checked against the eligibility rules for the stop they are manifested to.",
                    st.small,
                ),
                Spacer(1, 4),
                _signature_blocks(content, fonts, st),
                *_anchor_line(content, st),
            ]
        )
    )
    return story


# ---------------------------------------------------------------------------------------------
# Entry point


def render_manifest_pdf(
    content: ManifestContent,
    out: str | Path | IO[bytes],
    *,
    font_dir: str | Path | None = None,
) -> None:
    """Write the manifest PDF for ``content`` to ``out`` (a path or a writable binary stream).

    The fonts come from ``font_dir`` (default ``resources/fonts``; see :data:`FONT_FILES`) and are
    embedded as subsets. The same content always produces the same bytes. Raises
    ``FileNotFoundError`` if a font is missing; writes nothing to a path in that case.
    """
    started = time.perf_counter()
    fonts = load_fonts(font_dir)
    st = make_styles(fonts)
    digest = content_sha256(content)
    status = content.status
    furniture = Furniture(
        fonts=fonts,
        sha256=digest,
        qr_payload=qr_payload(content),
        header_title=f"Manifest {content.flight_code}",
        header_right=(
            f"{content.carrier} · {content.departure_airport} "
            f"{local_time_text(content.departure_utc, content.departure_timezone)} · "
            f"revision {content.revision} · {status}"
            if not content.has_route
            else f"{content.carrier} · {route_text(content, with_date=True)} · revision {content.revision} · {status}"
        ),
        caption=f"Flight {content.flight_code} · revision {content.revision} · {status}",
        note=(
            "Check a printed page: scan the QR code or compare the SHA-256 with the manifest record "
            "(same value for draft, approved and signed copies of one revision)."
        ),
        watermark=status if status in (ManifestStatus.DRAFT, ManifestStatus.SUPERSEDED) else None,
        watermark_size=150 if status == ManifestStatus.DRAFT else 96,
    )
    size = build_document(
        _story(content, fonts, st, furniture.section),
        out,
        furniture,
        title=f"Manifest {content.flight_code} revision {content.revision}",
        author=content.prepared_by,
        content_file=content_attachment("manifest", digest, json.loads(content_to_json(content))),
    )
    log.info(
        "manifest %s rev %s: %d persons, %d reserves, %d bytes in %.3f s",
        content.flight_code,
        content.revision,
        content.person_count,
        content.reserve_count,
        size,
        time.perf_counter() - started,
    )


__all__ = [
    "COLUMNS",
    "FONT_FILES",
    "RESERVES_TITLE",
    "Totals",
    "display_text",
    "flight_block",
    "leg_rows",
    "people_table",
    "render_manifest_pdf",
    "reserve_ranks",
    "route_text",
    "rows_per_pickup",
    "stop_label",
    "totals_table",
]
