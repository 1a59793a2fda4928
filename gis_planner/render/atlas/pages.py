"""The atlas page: A3 landscape, a frame, the title, the content, a legend panel and the title
block (图签), plus the north arrow and the scale bar of a map.

Every page has the same layout, in millimetres from the bottom left of the sheet:

=================  ==================================================================
frame              10 mm inside the sheet's edge
title (图名)        centred above the content
content            x 15–285, y 15–267: the map or the table
panel              right of the content, above the title block: the legend or notes
title block        bottom right, x 290–405, as high as its rows need
=================  ==================================================================

Text is wrapped by an estimate of its printed width (:func:`text_width_mm`: a Chinese
character is one em, any other about 0.6 em), so pages are laid out without drawing them
first and the same run always gives the same pages.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon, Rectangle
from matplotlib_scalebar.scalebar import ScaleBar

#: A3 landscape (ISO 216), millimetres
PAGE_MM = (420.0, 297.0)
MM_PER_INCH = 25.4
MM_PER_PT = MM_PER_INCH / 72.0
FRAME_MM = 10.0
#: the map or table: x, y, width, height (mm)
CONTENT_BOX = (15.0, 15.0, 270.0, 252.0)
#: the legend panel and the title block share this column (x, width in mm)
PANEL_X_MM, PANEL_W_MM = 290.0, 115.0
TITLE_Y_MM = 277.0
TITLE_PT = 18.0
BLOCK_PT = 7.5
#: line height as a multiple of the font size
LEADING = 1.35
#: the title block's label column (mm)
BLOCK_LABEL_MM = 20.0
#: em width of a character that is not wide (Latin letters, figures): an upper estimate
NARROW_EM = 0.6
INK = "#252525"

#: x, y, width, height in millimetres
Box = tuple[float, float, float, float]
#: a matplotlib colour: a name or hex code, or RGBA
Colour = str | tuple[float, float, float, float]


@dataclass(frozen=True)
class TitleBlock:
    """What the title block (图签) of every page says: (label, value) rows in print order.

    ``rows`` are the rows shared by every page (area, year, coordinates, data note, date, the
    software); a page adds its title first and its page number last.
    """

    rows: tuple[tuple[str, str], ...]
    title_label: str
    page_label: str
    page_text: Callable[[int, int], str]


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: a ``patch`` (fill and edge), a ``line`` or a ``marker``."""

    label: str
    kind: str = "patch"
    colour: Colour = "#ffffff"
    edge: Colour = INK
    style: dict[str, object] = field(default_factory=dict)


def text_width_mm(text: str, size_pt: float) -> float:
    """Printed width (mm) of ``text`` at ``size_pt``, estimated: wide (Chinese) characters
    one em, others :data:`NARROW_EM`.

    >>> round(text_width_mm("社区ab", 10.0), 2)
    11.29
    """
    em = size_pt * MM_PER_PT
    return sum(em if unicodedata.east_asian_width(c) in "WF" else NARROW_EM * em for c in str(text))


def _tokens(text: str) -> list[str]:
    """Words of Latin text, single wide characters and single spaces: where a line may break."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if char == " " or unicodedata.east_asian_width(char) in "WF":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


def wrap(text: object, width_mm: float, size_pt: float) -> list[str]:
    """``text`` broken into lines of at most ``width_mm`` at ``size_pt``: between Chinese
    characters, at spaces, or inside a word longer than a line. Line breaks in ``text`` are
    kept; an empty text is one empty line.

    >>> wrap("社区用房达标情况", 15.0, 10.0)
    ['社区用房', '达标情况']
    >>> wrap("premises status", 20.0, 10.0)
    ['premises', 'status']
    """
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for token in _tokens(paragraph):
            if text_width_mm(line + token, size_pt) <= width_mm or not line.strip():
                if not line.strip() and text_width_mm(token, size_pt) > width_mm:
                    for char in token:  # a word longer than a line
                        if line and text_width_mm(line + char, size_pt) > width_mm:
                            lines.append(line)
                            line = ""
                        line += char
                    continue
                line = "" if token == " " and not line else line + token
            else:
                lines.append(line.rstrip())
                line = "" if token == " " else token
        lines.append(line.rstrip())
    return lines


def line_mm(size_pt: float) -> float:
    """Height (mm) of one line of text at ``size_pt``."""
    return size_pt * MM_PER_PT * LEADING


def mm_axes(fig: Figure, box: Box, *, frame: bool = False) -> Axes:
    """An axes over ``box`` whose data units are millimetres from its bottom left, no ticks."""
    x, y, w, h = box
    width, height = PAGE_MM
    ax = fig.add_axes((x / width, y / height, w / width, h / height))
    ax.set_xlim(0, w)
    ax.set_ylim(0, h)
    ax.set_axis_off()
    if frame:
        ax.add_patch(Rectangle((0, 0), w, h, fill=False, lw=0.8, edgecolor=INK, clip_on=False))
    return ax


def new_page() -> tuple[Figure, Axes]:
    """An A3 landscape figure with its frame; returns it and an axes over the whole sheet in
    millimetres."""
    width, height = PAGE_MM
    fig = Figure(figsize=(width / MM_PER_INCH, height / MM_PER_INCH))
    sheet = mm_axes(fig, (0.0, 0.0, width, height))
    sheet.add_patch(
        Rectangle(
            (FRAME_MM, FRAME_MM),
            width - 2 * FRAME_MM,
            height - 2 * FRAME_MM,
            fill=False,
            lw=1.2,
            edgecolor=INK,
        )
    )
    return fig, sheet


def draw_title(sheet: Axes, title: str) -> None:
    """The page's title (图名), centred above the content."""
    left, right = CONTENT_BOX[0], PANEL_X_MM + PANEL_W_MM
    sheet.text((left + right) / 2, TITLE_Y_MM, title, ha="center", va="center", fontsize=TITLE_PT)


def draw_title_block(
    fig: Figure, block: TitleBlock, *, title: str, number: int, total: int, extra: Sequence = ()
) -> float:
    """Draw the title block at the bottom right; returns its top (mm from the sheet's bottom),
    so that the panel above it knows its room. ``extra`` rows (label, value) of the page come
    after the shared ones."""
    rows = [(block.title_label, title), *block.rows, *extra]
    rows.append((block.page_label, block.page_text(number, total)))
    value_mm = PANEL_W_MM - BLOCK_LABEL_MM - 3.0
    wrapped = [
        (wrap(label, BLOCK_LABEL_MM - 3.0, BLOCK_PT), wrap(value, value_mm, BLOCK_PT))
        for label, value in rows
    ]
    step = line_mm(BLOCK_PT)
    pad = 1.0
    height = sum(max(len(a), len(b)) * step + 2 * pad for a, b in wrapped)
    bottom = CONTENT_BOX[1]
    ax = mm_axes(fig, (PANEL_X_MM, bottom, PANEL_W_MM, height), frame=True)
    ax.plot([BLOCK_LABEL_MM] * 2, [0, height], color=INK, lw=0.5)
    top = height
    for label, lines in wrapped:
        row_h = max(len(label), len(lines)) * step + 2 * pad
        ax.text(1.5, top - pad, "\n".join(label), va="top", fontsize=BLOCK_PT, linespacing=LEADING)
        ax.text(
            BLOCK_LABEL_MM + 1.5,
            top - pad,
            "\n".join(lines),
            va="top",
            fontsize=BLOCK_PT,
            linespacing=LEADING,
        )
        top -= row_h
        if top > 0.01:
            ax.plot([0, PANEL_W_MM], [top, top], color=INK, lw=0.4)
    return bottom + height


def draw_legend(
    fig: Figure, entries: Sequence[LegendEntry], *, title: str, top_mm: float, bottom_mm: float
) -> None:
    """The legend in the panel between ``bottom_mm`` and ``top_mm``: a symbol and a label
    per entry, labels wrapped."""
    size = 9.0
    ax = mm_axes(fig, (PANEL_X_MM, bottom_mm, PANEL_W_MM, top_mm - bottom_mm))
    y = top_mm - bottom_mm
    ax.text(0, y, title, va="top", fontsize=11.0)
    y -= line_mm(11.0) + 2.5
    symbol_w, symbol_h, gap = 10.0, 4.5, 3.0
    step = line_mm(size)
    for entry in entries:
        lines = wrap(entry.label, PANEL_W_MM - symbol_w - gap, size)
        _symbol(ax, entry, (0.0, y - (step + symbol_h) / 2, symbol_w, symbol_h))
        text = "\n".join(lines)
        ax.text(symbol_w + gap, y, text, va="top", fontsize=size, linespacing=LEADING)
        y -= max(symbol_h, len(lines) * step) + 2.0


def _symbol(ax: Axes, entry: LegendEntry, box: Box) -> None:
    x, y, w, h = box
    style = dict(entry.style)
    if entry.kind == "line":
        ax.add_line(
            Line2D([x, x + w], [y + h / 2] * 2, color=entry.colour, **style)  # type: ignore[arg-type]
        )
    elif entry.kind == "marker":
        ax.add_line(
            Line2D(
                [x + w / 2],
                [y + h / 2],
                linestyle="none",
                markerfacecolor=entry.colour,
                markeredgecolor=entry.edge,
                **style,  # type: ignore[arg-type]
            )
        )
    else:
        ax.add_patch(
            Rectangle((x, y), w, h, facecolor=entry.colour, edgecolor=entry.edge, **style)  # type: ignore[arg-type]
        )


def draw_north_arrow(ax: Axes, *, label: str) -> None:
    """A north arrow at the top right of the map ``ax`` (grid north of the working CRS: a
    Gauss–Krüger zone's grid north is within 0.1° of true north near its central meridian)."""
    tip, base, half = (0.955, 0.965), 0.905, 0.012
    ax.add_patch(
        Polygon(
            [tip, (tip[0] - half, base), (tip[0], base + 0.012)],
            closed=True,
            transform=ax.transAxes,
            facecolor=INK,
            edgecolor=INK,
            lw=0.6,
            zorder=20,
        )
    )
    ax.add_patch(
        Polygon(
            [tip, (tip[0] + half, base), (tip[0], base + 0.012)],
            closed=True,
            transform=ax.transAxes,
            facecolor="white",
            edgecolor=INK,
            lw=0.6,
            zorder=20,
        )
    )
    ax.text(
        tip[0],
        base - 0.01,
        label,
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=10,
        zorder=20,
    )


def draw_scale_bar(ax: Axes) -> ScaleBar:
    """A metric scale bar (metres or kilometres, chosen by the extent) at the bottom left of
    the map ``ax``, whose data units are metres (the working CRS)."""
    bar = ScaleBar(
        1.0,
        units="m",
        dimension="si-length",
        location="lower left",
        length_fraction=0.22,
        width_fraction=0.008,
        box_alpha=0.85,
        border_pad=0.8,
        font_properties={"size": 9},
    )
    ax.add_artist(bar)
    return bar


def draw_notes(
    fig: Figure, lines: Sequence[str], *, title: str, top_mm: float, bottom_mm: float
) -> None:
    """Notes in the panel between ``bottom_mm`` and ``top_mm`` (beside a table): a title and
    paragraphs, wrapped; what does not fit ends in an ellipsis."""
    size = 8.5
    ax = mm_axes(fig, (PANEL_X_MM, bottom_mm, PANEL_W_MM, top_mm - bottom_mm))
    y = top_mm - bottom_mm
    ax.text(0, y, title, va="top", fontsize=11.0)
    y -= line_mm(11.0) + 2.5
    for line in lines:
        wrapped = wrap(line, PANEL_W_MM, size)
        needed = len(wrapped) * line_mm(size)
        if y - needed < 0:
            ax.text(0, y, "…", va="top", fontsize=size)
            break
        ax.text(0, y, "\n".join(wrapped), va="top", fontsize=size, linespacing=LEADING)
        y -= needed + 1.2
