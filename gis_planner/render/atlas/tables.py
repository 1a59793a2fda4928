"""The atlas's printable tables: the R1 premises check (社区用房核查) and the R6 candidate
list (开转封候选清单), worded as the report words them, paginated on A3 with the header repeated.

Column widths follow the longest cell (a column wider than :data:`MAX_COLUMN_MM` wraps), are
scaled to the content width, and rows are as high as their longest wrapped cell; a page takes
rows until the next one would not fit. Every row of a table is printed, none cut.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from gis_planner.i18n import label, tr
from gis_planner.render.atlas.pages import CONTENT_BOX, INK, line_mm, text_width_mm, wrap
from gis_planner.render.atlas.source import AtlasSource
from gis_planner.render.report import display_table

TABLE_PT = 7.5
CELL_PAD_MM = 1.2
ROW_PAD_MM = 0.9
#: a column wider than this wraps its text (mm)
MAX_COLUMN_MM = 110.0
HEADER_FILL = "#e0e0e0"
STRIPE_FILL = "#f5f5f5"
TOTAL_FILL = "#e8e8e8"
#: the R1 table's columns: output fields (``name`` shown as the community's name)
PREMISES_COLUMNS = (
    "street",
    "community_id",
    "community_name",
    "households",
    "standard",
    "required_area_m2",
    "premises_area_m2",
    "shortfall_m2",
    "premises_status",
)
#: the R1 table's figures (right-aligned, summed in the total row)
PREMISES_FIGURES = ("households", "required_area_m2", "premises_area_m2", "shortfall_m2")
#: figures printed without a thousands separator (years, ranks)
PLAIN_FIGURES = ("built_year", "enclosure_rank")


@dataclass(frozen=True)
class PrintTable:
    """A table as printed: headers, cell texts, which columns are figures (right-aligned),
    and whether the last row is a total."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    total_row: bool = False


def cell_text(value: object, *, thousands: bool = True) -> str:
    """A cell as printed: a whole number with thousands separators (``thousands``), other
    numbers with one decimal, missing values blank, text as it is.

    >>> cell_text(12345.0), cell_text(1983.0, thousands=False), cell_text(2.25), cell_text(None)
    ('12,345', '1983', '2.2', '')
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        number = float(value)
        if number.is_integer():
            return f"{int(number):,}" if thousands else str(int(number))
        return f"{number:,.1f}" if thousands else f"{number:.1f}"
    return str(value)


def premises_table(src: AtlasSource, *, lang: str = "zh") -> PrintTable:
    """R1 (社区用房核查): community, households, standard, required, existing and shortfall
    area (m²) and status, one row per community in the layer's order, then the total."""
    communities = src.communities.rename(columns={"name": "community_name"})
    shown = display_table(communities, list(PREMISES_COLUMNS), lang=lang)
    present = [c for c in PREMISES_COLUMNS if c in communities]
    numeric = [c in PREMISES_FIGURES for c in present]
    rows = [
        (
            str(n),
            *(
                cell_text(v) if is_figure else str(v or "")
                for v, is_figure in zip(row, numeric, strict=True)
            ),
        )
        for n, row in enumerate(shown.itertuples(index=False, name=None), start=1)
    ]
    total = [tr("atlas_table_total", lang)] + [
        cell_text(float(pd.to_numeric(communities[c], errors="coerce").sum())) if figure else ""
        for c, figure in zip(present, numeric, strict=True)
    ]
    return PrintTable(
        title=tr("atlas_table_premises", lang),
        headers=(tr("atlas_table_number", lang), *shown.columns),
        rows=(*rows, tuple(total)),
        numeric=(True, *numeric),
        total_row=True,
    )


def enclosure_table(src: AtlasSource, *, lang: str = "zh") -> PrintTable | None:
    """R6 (开转封候选清单): the candidates of :attr:`AtlasSource.candidates` (worded like the
    report's sheet, :func:`gis_planner.render.report.enclosure_sheet`), in rank order; None
    without an estates layer."""
    sheet = src.candidates
    if sheet is None:
        return None
    plain = {label(c, lang) for c in PLAIN_FIGURES} | {label("estate_id", lang)}
    numeric = tuple(
        pd.api.types.is_numeric_dtype(sheet[c].dtype) and c != label("estate_id", lang)
        for c in sheet.columns
    )
    rows = tuple(
        tuple(
            cell_text(v, thousands=column not in plain)
            for column, v in zip(sheet.columns, row, strict=True)
        )
        for row in sheet.itertuples(index=False, name=None)
    )
    return PrintTable(tr("atlas_table_enclosure", lang), tuple(sheet.columns), rows, numeric)


def column_widths(table: PrintTable, width_mm: float = CONTENT_BOX[2]) -> list[float]:
    """Widths (mm) of the columns of ``table`` filling ``width_mm``: each as wide as its
    longest cell or header, the widest cut down first when the sum is too wide."""
    natural = []
    for k, header in enumerate(table.headers):
        cells = [row[k] for row in table.rows]
        longest = max([text_width_mm(c, TABLE_PT) for c in cells] + [0.0])
        header_mm = min(text_width_mm(header, TABLE_PT), 24.0)
        natural.append(min(max(longest, header_mm), MAX_COLUMN_MM) + 2 * CELL_PAD_MM)
    widths = list(natural)
    while sum(widths) > width_mm + 0.01:
        widest = max(widths)
        others = [w for w in widths if w < widest]
        target = max(max(others, default=0.0), widest - (sum(widths) - width_mm))
        widths = [target if w == widest else w for w in widths]
    return [w * width_mm / sum(widths) for w in widths]


def _row_height(cells: Sequence[str], widths: Sequence[float]) -> float:
    lines = max(
        len(wrap(c, w - 2 * CELL_PAD_MM, TABLE_PT)) for c, w in zip(cells, widths, strict=True)
    )
    return lines * line_mm(TABLE_PT) + 2 * ROW_PAD_MM


def paginate(table: PrintTable, height_mm: float = CONTENT_BOX[3]) -> list[range]:
    """The rows of each page of ``table`` (the header repeated on every page takes its room);
    a table without rows has one page with its header."""
    widths = column_widths(table)
    room = height_mm - _row_height(table.headers, widths)
    pages: list[range] = []
    start, used = 0, 0.0
    for k, row in enumerate(table.rows):
        height = _row_height(row, widths)
        if used + height > room and k > start:
            pages.append(range(start, k))
            start, used = k, 0.0
        used += height
    pages.append(range(start, len(table.rows)))
    return pages


def draw_table(ax: Axes, table: PrintTable, rows: range) -> None:
    """The header and ``rows`` of ``table`` from the top of ``ax`` (an axes in millimetres
    over the content box)."""
    widths = column_widths(table)
    lefts = [sum(widths[:k]) for k in range(len(widths))]
    top = CONTENT_BOX[3]
    width = sum(widths)
    lines: list[tuple[tuple[str, ...], str | None]] = [(table.headers, HEADER_FILL)]
    for k in rows:
        last = table.total_row and k == len(table.rows) - 1
        lines.append((table.rows[k], TOTAL_FILL if last else (STRIPE_FILL if k % 2 else None)))
    for n, (cells, fill) in enumerate(lines):
        height = _row_height(cells, widths)
        if fill:
            ax.add_patch(Rectangle((0, top - height), width, height, facecolor=fill, lw=0))
        for k, (cell, left, w) in enumerate(zip(cells, lefts, widths, strict=True)):
            right_aligned = n > 0 and table.numeric[k]
            x = left + w - CELL_PAD_MM if right_aligned else left + CELL_PAD_MM
            text = "\n".join(wrap(cell, w - 2 * CELL_PAD_MM, TABLE_PT))
            ax.text(
                x,
                top - ROW_PAD_MM,
                text,
                ha="right" if right_aligned else "left",
                va="top",
                fontsize=TABLE_PT,
                linespacing=1.35,
            )
        top -= height
        ax.plot(
            [0, width], [top, top], color=INK if n == 0 else "#bdbdbd", lw=0.8 if n == 0 else 0.3
        )
    ax.plot([0, width], [CONTENT_BOX[3]] * 2, color=INK, lw=1.0)
    ax.plot([0, width], [top, top], color=INK, lw=1.0)
    for left in [*lefts[1:]]:
        ax.plot([left, left], [top, CONTENT_BOX[3]], color="#bdbdbd", lw=0.3)


def status_counts(src: AtlasSource, *, lang: str = "zh") -> list[str]:
    """The R6 candidates by conclusion (``label: n``), for the notes beside the list."""
    sheet = src.candidates
    status = label("enclosure_status", lang)
    if sheet is None or len(sheet) == 0 or status not in sheet:
        return []
    counts = sheet[status].value_counts(sort=False)
    return [f"{value}: {int(n)}" for value, n in counts.items()]
