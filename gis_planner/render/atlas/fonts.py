"""The atlas's CJK font: found through matplotlib's font manager, embedded as TrueType.

Community and estate names are Chinese in either language of the atlas, so every page needs a
font with Chinese glyphs. :func:`find_cjk_font` looks for Noto Sans CJK (Debian's
``fonts-noto-cjk``: ``/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc``) first, then a
few other common Chinese fonts, and checks that the face really holds Chinese glyphs; with none
it raises :class:`CJKFontMissingError`, which names the fix — never a PDF of empty boxes.

Noto Sans CJK has PostScript (CFF) outlines in a font collection. matplotlib's PDF backend
embeds any font with ``pdf.fonttype: 42`` as a TrueType (``FontFile2``) font, which such a font
is not (matplotlib issue #20870: readers see a "mismatch between font type and embedded font
file" and some draw nothing). So :func:`embeddable_font` cuts the face down to the characters
the atlas prints (fontTools' subsetter) and converts the outlines to TrueType quadratic curves
(fontTools' cu2qu, within 1 font unit of 1,000 per em): a small, valid TrueType font that the
PDF embeds as "CID TrueType" (``pdffonts``: emb yes). Advance widths are kept, so text is laid
out exactly as with the original font.
"""

from __future__ import annotations

import io
import logging
import string
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable
from matplotlib import font_manager

from gis_planner.errors import PlannerError

log = logging.getLogger(__name__)

#: font families tried in order (matplotlib's names); Noto Sans CJK first (Debian
#: fonts-noto-cjk). Before matplotlib 3.10 a collection is listed by its first face only
#: (``Noto Sans CJK JP``): the Simplified Chinese face is then chosen inside the file.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Noto Sans CJK HK",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "SimHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
)
#: characters a face must have to print the atlas: common words of its titles and legends
PROBE = "社区用房达标街道图例年份北"
#: name suffixes of a collection's Simplified Chinese face, preferred over the others
SIMPLIFIED = (" SC", " CN", " GB")
#: always in the embedded font besides the printed text: what the scale bar writes at draw
#: time (figures, units) and the rest of printable ASCII
ALWAYS = string.printable.strip() + " µ²°·—（）：，。、"
#: largest distance (font units) of the quadratic outlines from the cubic ones
MAX_ERROR_UNITS = 1.0
#: fonts made (:func:`embeddable_font`) kept in memory: (file, face, characters) → bytes
CACHE_SIZE = 8
_MADE: dict[tuple[str, int, str], bytes] = {}


class CJKFontMissingError(PlannerError):
    """No font with Chinese glyphs was found: the atlas cannot be printed.

    ``code`` is ``atlas_cjk_font_missing``; :meth:`text` names the fix in ``lang``.
    """

    def __init__(self) -> None:
        super().__init__(self.text("zh"))

    @property
    def code(self) -> str | None:
        return "atlas_cjk_font_missing"

    def text(self, lang: str = "zh") -> str:
        families = ", ".join(CJK_FAMILIES[:1] + CJK_FAMILIES[5:])
        if lang == "en":
            return (
                "atlas.pdf: no font with Chinese glyphs was found (looked for "
                f"{families}); install Noto Sans CJK — on Debian/Ubuntu "
                "`apt-get install fonts-noto-cjk` — and run again (from Python, "
                "write_run(..., atlas_pdf=False) leaves the atlas out)"
            )
        return (
            f"atlas.pdf：未找到含中文字形的字体（查找了 {families}）；请安装 Noto Sans CJK"
            "（Debian/Ubuntu：apt-get install fonts-noto-cjk）后重新运行（在 Python 中可用 "
            "write_run(..., atlas_pdf=False) 不输出图集）"
        )


@dataclass(frozen=True)
class CJKFont:
    """A font face with Chinese glyphs: its file, its number in a collection, its name."""

    path: Path
    index: int
    family: str


def _weight(entry: font_manager.FontEntry) -> int:
    weight = entry.weight
    if isinstance(weight, str):
        return int(font_manager.weight_dict.get(weight, 400))
    return int(weight)


def _faces(path: Path) -> list[TTFont]:
    if path.suffix.lower() in (".ttc", ".otc"):
        return list(TTCollection(str(path), lazy=True).fonts)
    return [TTFont(str(path), lazy=True)]


def _chinese_face(path: Path) -> CJKFont | None:
    """The face of ``path`` that holds :data:`PROBE`, the Simplified Chinese one first."""
    try:
        faces = _faces(path)
    except Exception as err:  # noqa: BLE001 - a font file fontTools cannot read is skipped
        log.info("Skipped font %s: %s", path, err)
        return None
    named = [(i, str(face["name"].getDebugName(1) or "")) for i, face in enumerate(faces)]
    named.sort(key=lambda item: (not item[1].endswith(SIMPLIFIED), item[0]))
    for index, family in named:
        cmap = faces[index].getBestCmap() or {}
        if all(ord(char) in cmap for char in PROBE):
            return CJKFont(path=path, index=index, family=family)
    return None


def find_cjk_font(families: tuple[str, ...] = CJK_FAMILIES) -> CJKFont:
    """The first of ``families`` that matplotlib's font manager knows and that holds Chinese
    glyphs (the regular weight, upright).

    Raises
    ------
    CJKFontMissingError
        When none is found (the message names the fix: install ``fonts-noto-cjk``).
    """
    entries = [e for e in font_manager.fontManager.ttflist if e.style == "normal"]
    tried: set[str] = set()
    for family in families:
        matches = sorted(
            (e for e in entries if e.name == family),
            key=lambda e: (abs(_weight(e) - 400), e.fname),
        )
        for entry in matches:
            if entry.fname in tried:
                continue
            tried.add(entry.fname)
            font = _chinese_face(Path(entry.fname))
            if font is not None:
                log.info("Atlas font: %s (%s, face %d)", font.family, font.path, font.index)
                return font
    raise CJKFontMissingError()


def _to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines of ``font`` by TrueType ones (in place)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR_UNITS, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0  # no glyph names: the cmap maps characters
    font.sfntVersion = "\x00\x01\x00\x00"


def embeddable_font(font: CJKFont, text: str, path: str | Path) -> Path:
    """Write to ``path`` a TrueType font with the glyphs of ``text`` (and :data:`ALWAYS`)
    from ``font``: subset, converted from CFF when needed, without layout tables.

    The last few fonts made are kept in memory (:data:`CACHE_SIZE`), keyed by the face and
    the characters: atlases of the same words (a scenario's runs, a test suite) cut the font
    once.

    Returns
    -------
    Path
        ``path``, to give matplotlib as ``FontProperties(fname=path)``.
    """
    path = Path(path)
    characters = "".join(sorted(set(text + ALWAYS)))
    key = (str(font.path), font.index, characters)
    if key not in _MADE:
        _MADE[key] = _cut(font, characters)
        while len(_MADE) > CACHE_SIZE:
            _MADE.pop(next(iter(_MADE)))
    path.write_bytes(_MADE[key])
    return path


def _cut(font: CJKFont, characters: str) -> bytes:
    """The TrueType font of ``characters`` from ``font``, as bytes."""
    options = subset.Options()
    options.font_number = font.index
    options.layout_features = []
    options.notdef_outline = True
    options.recalc_bounds = True  # the new TrueType outlines need their boxes
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "FFTM"]
    loaded = subset.load_font(str(font.path), options, lazy=True)
    try:
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(text=characters)
        subsetter.subset(loaded)
        if "CFF " in loaded:
            _to_truetype(loaded)
        buffer = io.BytesIO()
        loaded.save(buffer)
    finally:
        loaded.close()
    return buffer.getvalue()
