"""The atlas as a book: which pages, in which order, each drawn and written to one PDF."""

from __future__ import annotations

import datetime as _dt
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib_scalebar.scalebar import ScaleBar

from gis_planner import __version__
from gis_planner.crs import gk3_central_meridian
from gis_planner.i18n import tr
from gis_planner.io.runfolder import RunFolder
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
from gis_planner.render.atlas.source import AtlasSource, atlas_source
from gis_planner.render.atlas.tables import (
    PrintTable,
    draw_table,
    enclosure_table,
    paginate,
    premises_table,
    status_counts,
)
from gis_planner.render.atlas.themes import Theme, View, themes, views
from gis_planner.results import Results

log = logging.getLogger(__name__)

#: pdf.fonttype of the atlas (set only while it is drawn): fonts embedded as TrueType
FONTTYPE = 42
#: gap (mm) between the panel and the title block below it
PANEL_GAP_MM = 5.0


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


def plan_atlas(src: AtlasSource, *, lang: str = "zh") -> list[Page]:
    """The pages of the atlas of ``src`` in print order: for each theme
    (:func:`~gis_planner.render.atlas.themes.themes`) the whole area then each street
    (:func:`~gis_planner.render.atlas.themes.views`), then the R1 table and the R6 list."""
    shown = views(src, name=src.name, no_street=tr("atlas_view_no_street", lang))
    pages = [
        Page(tr("atlas_view_title", lang, theme=tr(t.title, lang), view=v.name), theme=t, view=v)
        for t in themes(src)
        for v in shown
    ]
    summary = tuple(tr("atlas_note_row", lang, key=key, value=value) for key, value in src.summary)
    tables = [(premises_table(src, lang=lang), summary, tr("atlas_table_summary", lang))]
    enclosure = enclosure_table(src, lang=lang)
    if enclosure is not None:
        notes = (tr("atlas_table_enclosure_note", lang), *status_counts(src, lang=lang))
        tables.append((enclosure, notes, enclosure.title))
    for table, notes, notes_title in tables:
        for n, rows in enumerate(paginate(table)):
            title = table.title if n == 0 else tr("atlas_table_continued", lang, title=table.title)
            pages.append(Page(title, table=table, rows=rows, notes=notes, notes_title=notes_title))
    return pages


def _crs_text(src: AtlasSource, lang: str) -> str:
    meridian = gk3_central_meridian(src.working_crs)
    if meridian is not None:
        name = tr("atlas_gk3_name", lang, meridian=meridian)
    else:
        name = str(src.communities.crs.name)
    return tr("atlas_tb_crs_value", lang, name=name, code=src.working_crs)


def title_block(src: AtlasSource, *, lang: str, date: _dt.date) -> TitleBlock:
    """The rows every page's title block shows: area, year, scenario, coordinates, the data
    note of ``planner.yaml``, the date drawn and the software."""
    rows = [(tr("atlas_tb_area", lang), src.name), (tr(src.year_key, lang), str(src.year or "—"))]
    if src.scenario:
        rows.append((tr("atlas_tb_scenario", lang), src.scenario))
    rows += [
        (tr("atlas_tb_crs", lang), _crs_text(src, lang)),
        (tr("atlas_tb_data", lang), src.data_note or tr("atlas_tb_no_note", lang)),
        (
            tr("atlas_tb_date", lang),
            tr(
                "atlas_date",
                lang,
                year=date.year,
                month=date.month,
                day=date.day,
            ),
        ),
        (tr("atlas_tb_made_with", lang), f"gis_planner {__version__}"),
    ]
    return TitleBlock(
        rows=tuple(rows),
        title_label=tr("atlas_tb_title", lang),
        page_label=tr("atlas_tb_page", lang),
        page_text=lambda n, total: tr("atlas_page_of", lang, n=n, total=total),
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


def _map_page(
    src: AtlasSource, page: Page, block: TitleBlock, *, number: int, total: int, lang: str
) -> Figure:
    assert page.theme is not None and page.view is not None
    fig, sheet = new_page()
    draw_title(sheet, page.title)
    ax = mm_axes(fig, CONTENT_BOX)
    entries = page.theme.draw(ax, src, page.view, lang)
    x0, x1, y0, y1 = _map_limits(page.view)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_axis_on()
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    draw_north_arrow(ax, label=tr("atlas_north", lang))
    draw_scale_bar(ax)
    scale = round((x1 - x0) / (CONTENT_BOX[2] / 1000.0), -2)
    extra = [(tr("atlas_tb_scale", lang), f"1:{scale:,.0f}")]
    top = draw_title_block(fig, block, title=page.title, number=number, total=total, extra=extra)
    draw_legend(
        fig,
        entries,
        title=tr("atlas_legend", lang),
        top_mm=CONTENT_BOX[1] + CONTENT_BOX[3],
        bottom_mm=top + PANEL_GAP_MM,
    )
    return fig


def _table_page(page: Page, block: TitleBlock, *, number: int, total: int) -> Figure:
    assert page.table is not None and page.rows is not None
    fig, sheet = new_page()
    draw_title(sheet, page.title)
    draw_table(mm_axes(fig, CONTENT_BOX), page.table, page.rows)
    top = draw_title_block(fig, block, title=page.title, number=number, total=total)
    draw_notes(
        fig,
        page.notes,
        title=page.notes_title,
        top_mm=CONTENT_BOX[1] + CONTENT_BOX[3],
        bottom_mm=top + PANEL_GAP_MM,
    )
    return fig


def draw_pages(
    source: Results | RunFolder, *, lang: str = "zh", date: _dt.date | None = None
) -> list[Figure]:
    """Every page of the atlas as a matplotlib figure (A3 landscape), in print order.

    Texts are drawn as they are: names from the layers never go through matplotlib's
    mathtext or TeX (``$…$`` in a name would otherwise be parsed, and a malformed one would
    stop the run)."""
    with matplotlib.rc_context(DATA_TEXT_RC):
        return _draw_pages(source, lang=lang, date=date)


#: every text of the atlas is plain text: ``$`` in a community name is a dollar sign
DATA_TEXT_RC: dict[Any, Any] = {"text.parse_math": False, "text.usetex": False}


def _draw_pages(source: Results | RunFolder, *, lang: str, date: _dt.date | None) -> list[Figure]:
    src = atlas_source(source, lang=lang)
    pages = plan_atlas(src, lang=lang)
    block = title_block(src, lang=lang, date=date or _dt.date.today())
    figures = []
    for number, page in enumerate(pages, start=1):
        if page.table is not None:
            figures.append(_table_page(page, block, number=number, total=len(pages)))
        else:
            figures.append(_map_page(src, page, block, number=number, total=len(pages), lang=lang))
    return figures


def _texts(fig: Figure) -> list[Text]:
    """The texts of ``fig``: its own and those of its axes (the axes' titles and labels are
    not used). Not ``findobj``, which makes every axis build its ticks."""
    return [*fig.texts, *(t for ax in fig.axes for t in ax.texts)]


def _embed_font(figures: list[Figure], font: fonts.CJKFont, folder: Path) -> None:
    """Give every text of ``figures`` the atlas font: the CJK face cut to the characters the
    pages print, as TrueType (:func:`~gis_planner.render.atlas.fonts.embeddable_font`)."""
    texts = [t for fig in figures for t in _texts(fig)]
    printed = "".join(t.get_text() for t in texts)
    path = fonts.embeddable_font(font, printed, folder / "atlas-cjk.ttf")
    for text in texts:
        text.get_fontproperties().set_file(str(path))
    for fig in figures:
        for ax in fig.axes:
            for bar in ax.artists:
                if isinstance(bar, ScaleBar):
                    bar.font_properties = {"fname": str(path), "size": 9}


def write_atlas(
    source: Results | RunFolder,
    path: str | Path,
    *,
    lang: str = "zh",
    date: _dt.date | None = None,
) -> Path:
    """Write the atlas of ``source`` to ``path`` (PDF, A3 landscape).

    See :mod:`gis_planner.render.atlas`. ``source`` is a run's results, or a run folder read
    back with :func:`gis_planner.io.runfolder.read_run` (without the R7 reach area, which a
    run folder does not hold). ``date`` is the date printed in the
    title blocks (default today); the PDF carries no other time stamp, so the same run on the
    same date writes the same bytes.

    Raises
    ------
    CJKFontMissingError
        No font with Chinese glyphs (install ``fonts-noto-cjk``): nothing is written.
    """
    path = Path(path)
    font = fonts.find_cjk_font()
    with matplotlib.rc_context(
        {
            "pdf.fonttype": FONTTYPE,
            "ps.fonttype": FONTTYPE,
            "axes.unicode_minus": False,
            **DATA_TEXT_RC,
        }
    ):
        figures = draw_pages(source, lang=lang, date=date)
        metadata = {
            "Title": tr("atlas_title", lang),
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
