"""The atlas as a book: which pages, in which order, each drawn and written to one PDF."""

from __future__ import annotations

import datetime as _dt
import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib_scalebar.scalebar import ScaleBar

from gis_planner import __version__
from gis_planner.render.atlas import fonts
from gis_planner.render.atlas.pages import (
    CONTENT_BOX,
    TitleBlock,
    draw_legend,
    draw_north_arrow,
    draw_notes,
    draw_scale_bar,
    draw_title,
    draw_title_block,
    mm_axes,
    new_page,
)
from gis_planner.render.atlas.tables import (
    PrintTable,
    draw_table,
    enclosure_table,
    paginate,
    premises_table,
    status_counts,
)
from gis_planner.render.atlas.themes import Theme, View, themes, views
from gis_planner.render.atlas.words import say
from gis_planner.render.report import summary_rows
from gis_planner.results import Results

log = logging.getLogger(__name__)

#: matplotlib settings of the atlas (set only while it is drawn): fonts embedded as TrueType
RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "axes.unicode_minus": False}
#: gap (mm) between the panel and the title block below it
PANEL_GAP_MM = 5.0
#: the EPSG codes of the CGCS2000 3-degree Gauss-Krüger zones with their central meridian
GK3_FIRST_CODE, GK3_LAST_CODE, GK3_FIRST_CM = 4534, 4554, 75


@dataclass(frozen=True)
class Page:
    """One planned page: a map (``theme`` and ``view``) or a table page (``table``, ``rows``)."""

    title: str
    theme: Theme | None = None
    view: View | None = None
    table: PrintTable | None = None
    rows: range | None = None
    notes: tuple[str, ...] = ()
    notes_title: str = ""


def plan_atlas(results: Results, *, lang: str = "zh") -> list[Page]:
    """The pages of the atlas of ``results`` in print order: for each theme
    (:func:`~gis_planner.render.atlas.themes.themes`) the whole area then each street
    (:func:`~gis_planner.render.atlas.themes.views`), then the R1 table and the R6 list."""
    area = results.data.name or say("atlas_title", lang)
    shown = views(results, name=area, no_street=say("view_no_street", lang))
    pages = [
        Page(say("view_title", lang, theme=say(t.title, lang), view=v.name), theme=t, view=v)
        for t in themes(results)
        for v in shown
    ]
    summary = tuple(f"{key}：{value}" if lang == "zh" else f"{key}: {value}"
                    for key, value in summary_rows(results, lang=lang))
    tables = [(premises_table(results, lang=lang), summary, say("table_summary", lang))]
    enclosure = enclosure_table(results, lang=lang)
    if enclosure is not None:
        notes = (say("table_enclosure_note", lang), *status_counts(results, lang=lang))
        tables.append((enclosure, notes, enclosure.title))
    for table, notes, notes_title in tables:
        for n, rows in enumerate(paginate(table)):
            title = table.title if n == 0 else say("table_continued", lang, title=table.title)
            pages.append(Page(title, table=table, rows=rows, notes=notes, notes_title=notes_title))
    return pages


def _crs_text(results: Results, lang: str) -> str:
    code = results.data.working_crs
    match = re.fullmatch(r"EPSG:(\d+)", code)
    if match and GK3_FIRST_CODE <= int(match.group(1)) <= GK3_LAST_CODE:
        meridian = GK3_FIRST_CM + 3 * (int(match.group(1)) - GK3_FIRST_CODE)
        name = (
            f"CGCS2000 / 3度带高斯-克吕格投影，中央经线 {meridian}°E"
            if lang == "zh"
            else f"CGCS2000 / 3-degree Gauss-Krüger, central meridian {meridian}°E"
        )
    else:
        name = str(results.communities.crs.name)
    return say("tb_crs_value", lang, name=name, code=code)


def title_block(results: Results, *, lang: str, date: _dt.date) -> TitleBlock:
    """The rows every page's title block shows: area, year, scenario, coordinates, the data
    note of ``planner.yaml``, the date drawn and the software."""
    data = results.data
    note = data.data_note or {}
    note_text = note.get(lang) or note.get("zh") or next(iter(note.values()), "")
    year_key = "tb_plan_year" if results.year is not None else "tb_data_year"
    year = results.year if results.year is not None else results.data_year
    rows = [(say("tb_area", lang), data.name or str(data.folder or "")), (say(year_key, lang),
                                                                          str(year))]
    if results.scenario:
        rows.append((say("tb_scenario", lang), str(results.scenario.get("name", ""))))
    rows += [
        (say("tb_crs", lang), _crs_text(results, lang)),
        (say("tb_data", lang), " ".join(str(note_text).split()) or say("tb_no_note", lang)),
        (
            say("tb_date", lang),
            say("date", lang, year=date.year, month=date.month, day=date.day,
                iso=date.isoformat()),
        ),
        (say("tb_made_with", lang), f"gis_planner {__version__}"),
    ]
    return TitleBlock(
        rows=tuple(rows),
        title_label=say("tb_title", lang),
        page_label=say("tb_page", lang),
        page_text=lambda n, total: say("page_of", lang, n=n, total=total),
    )


def _map_limits(view: View) -> tuple[float, float, float, float]:
    """The view's bounds with a margin, widened to the content box's shape (equal scales)."""
    minx, miny, maxx, maxy = view.bounds
    width, height = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    width, height = width * 1.06, height * 1.06
    box_ratio = CONTENT_BOX[2] / CONTENT_BOX[3]
    if width / height < box_ratio:
        width = height * box_ratio
    else:
        height = width / box_ratio
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def _map_page(results: Results, page: Page, block: TitleBlock, *, number: int, total: int,
              lang: str) -> Figure:
    assert page.theme is not None and page.view is not None
    fig, sheet = new_page()
    draw_title(sheet, page.title)
    ax = mm_axes(fig, CONTENT_BOX)
    entries = page.theme.draw(ax, results, page.view, lang)
    x0, x1, y0, y1 = _map_limits(page.view)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_axis_on()
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    draw_north_arrow(ax, label=say("north", lang))
    draw_scale_bar(ax)
    scale = round((x1 - x0) / (CONTENT_BOX[2] / 1000.0), -2)
    extra = [(say("tb_scale", lang), f"1:{scale:,.0f}")]
    top = draw_title_block(fig, block, title=page.title, number=number, total=total, extra=extra)
    draw_legend(fig, entries, title=say("legend", lang), top_mm=CONTENT_BOX[1] + CONTENT_BOX[3],
                bottom_mm=top + PANEL_GAP_MM)
    return fig


def _table_page(page: Page, block: TitleBlock, *, number: int, total: int) -> Figure:
    assert page.table is not None and page.rows is not None
    fig, sheet = new_page()
    draw_title(sheet, page.title)
    draw_table(mm_axes(fig, CONTENT_BOX), page.table, page.rows)
    top = draw_title_block(fig, block, title=page.title, number=number, total=total)
    draw_notes(fig, page.notes, title=page.notes_title, top_mm=CONTENT_BOX[1] + CONTENT_BOX[3],
               bottom_mm=top + PANEL_GAP_MM)
    return fig


def draw_pages(results: Results, *, lang: str = "zh", date: _dt.date | None = None) -> list[Figure]:
    """Every page of the atlas as a matplotlib figure (A3 landscape), in print order."""
    pages = plan_atlas(results, lang=lang)
    block = title_block(results, lang=lang, date=date or _dt.date.today())
    figures = []
    for number, page in enumerate(pages, start=1):
        if page.table is not None:
            figures.append(_table_page(page, block, number=number, total=len(pages)))
        else:
            figures.append(
                _map_page(results, page, block, number=number, total=len(pages), lang=lang)
            )
    return figures


def _embed_font(figures: list[Figure], font: fonts.CJKFont, folder: Path) -> None:
    """Give every text of ``figures`` the atlas font: the CJK face cut to the characters the
    pages print, as TrueType (:func:`~gis_planner.render.atlas.fonts.embeddable_font`)."""
    texts = [t for fig in figures for t in fig.findobj(Text)]
    printed = "".join(t.get_text() for t in texts)
    path = fonts.embeddable_font(font, printed, folder / "atlas-cjk.ttf")
    for text in texts:
        text.get_fontproperties().set_file(str(path))
    for fig in figures:
        for bar in fig.findobj(ScaleBar):
            bar.font_properties = {"fname": str(path), "size": 9}


def write_atlas(
    results: Results, path: str | Path, *, lang: str = "zh", date: _dt.date | None = None
) -> Path:
    """Write the atlas of ``results`` to ``path`` (PDF, A3 landscape).

    See :mod:`gis_planner.render.atlas`. ``date`` is the date printed in the title blocks
    (default today); the PDF carries no other time stamp, so the same run on the same date
    writes the same bytes.

    Raises
    ------
    CJKFontMissingError
        No font with Chinese glyphs (install ``fonts-noto-cjk``): nothing is written.
    """
    path = Path(path)
    font = fonts.find_cjk_font()
    with matplotlib.rc_context(RC):
        figures = draw_pages(results, lang=lang, date=date)
        metadata = {
            "Title": f"{say('atlas_title', lang)} — {results.data.name}",
            "Creator": f"gis_planner {__version__}",
            "CreationDate": None,
        }
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
            _embed_font(figures, font, Path(folder))
            with PdfPages(path, metadata=metadata) as pdf:
                for fig in figures:
                    pdf.savefig(fig)
    log.info("Wrote the atlas (%d pages, %s) to %s", len(figures), lang, path)
    return path
