"""The field catalogue: one row per field of each layer, read from ``data/fields.csv``.

Every word said about a field lives here once: its type, unit and decimals, its Chinese and
English names, its column header in reports and on the map, the Chinese column names accepted
on input (aliases), its code in the bureau's Shapefiles, and its meaning in both languages.
The data contract (:mod:`gis_planner.io.schema`), the column headers (:data:`gis_planner.i18n.
LABELS`) and the bureau package's field dictionary and Shapefile codes
(:mod:`gis_planner.render.bureau.dictionary`) all read it.

The lowest module of the package: it imports nothing of gis_planner, so that ``i18n`` can.

Columns of ``fields.csv``:

``layer``, ``field``
    The layer (``communities``, ``estates``, ``premises``, ``sites`` and the input layers) and
    the field's English name as GeoJSON, GeoPackage and FileGDB hold it.
``type``
    ``text``, ``int``, ``number``, ``share`` (0–1), ``year``, ``plan_year``, ``bool``, ``enum``
    or ``json``.
``unit``, ``precision``
    The unit as the bureau's dictionary prints it, and the decimals a number is written with
    in a Shapefile (empty: as it comes).
``name_zh``, ``name_en``
    The field's full name (the bureau dictionary's 字段名称).
``label_zh``, ``label_en``
    The column header in the report and on the map, with its unit; empty: the name.
``aliases_zh``
    Chinese column names accepted on input, separated by ``|``.
``code``
    The bureau's Shapefile field name (≤ 10 bytes); empty: not in the bureau package.
``meaning_zh``, ``meaning_en``
    What the field holds.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

CATALOGUE_FILE = "fields.csv"
COLUMNS = (
    "layer",
    "field",
    "type",
    "unit",
    "precision",
    "name_zh",
    "name_en",
    "label_zh",
    "label_en",
    "aliases_zh",
    "code",
    "meaning_zh",
    "meaning_en",
)
ALIAS_SEPARATOR = "|"
CODE_SUFFIX = "_code"  # the field keeping an enumeration's codes beside its words (bureau)
CODE_SUFFIX_ZH = "代码"
CODE_SUFFIX_SHP = "DM"  # 代码


@dataclass(frozen=True)
class FieldEntry:
    """One row of the catalogue (see the module's docstring for the columns)."""

    layer: str
    field: str
    type: str
    unit: str
    precision: int | None
    name_zh: str
    name_en: str
    label_zh: str
    label_en: str
    aliases_zh: tuple[str, ...]
    code: str
    meaning_zh: str
    meaning_en: str

    def name(self, lang: str = "zh") -> str:
        """The field's full name in ``lang``."""
        return self.name_en if lang == "en" else self.name_zh

    def label(self, lang: str = "zh") -> str:
        """The column header in ``lang``: the label, else the name."""
        if lang == "en":
            return self.label_en or self.name_en
        return self.label_zh or self.name_zh

    def meaning(self, lang: str = "zh") -> str:
        """What the field holds, in ``lang``."""
        return self.meaning_en if lang == "en" else self.meaning_zh


def _entry(row: dict[str, str]) -> FieldEntry:
    aliases = tuple(a for a in row["aliases_zh"].split(ALIAS_SEPARATOR) if a)
    precision = int(row["precision"]) if row["precision"] else None
    values = {k: row[k] for k in COLUMNS if k not in ("aliases_zh", "precision")}
    return FieldEntry(aliases_zh=aliases, precision=precision, **values)


def code_field(field: str) -> str:
    """The name of the field keeping the codes of the enumeration ``field`` in the bureau
    package, where ``field`` holds words (半封闭 for ``semi_open``).

    >>> code_field("enclosure")
    'enclosure_code'
    """
    return field + CODE_SUFFIX


def _code_entry(e: FieldEntry) -> FieldEntry:
    """The row of the code field of the enumeration ``e`` (derived, not in the file)."""
    return FieldEntry(
        layer=e.layer,
        field=code_field(e.field),
        type="text",
        unit="",
        precision=None,
        name_zh=e.name_zh + CODE_SUFFIX_ZH,
        name_en=f"{e.name_en} code",
        label_zh="",
        label_en="",
        aliases_zh=(),
        code=e.code + CODE_SUFFIX_SHP,
        meaning_zh=f"{e.name_zh}的代码：{e.meaning_zh}",
        meaning_en=f"Code of {e.name_en.lower()}: {e.meaning_en}",
    )


@functools.cache
def entries() -> tuple[FieldEntry, ...]:
    """Every row of the catalogue, in file order; after each enumeration of the bureau
    package, the row of its code field (:func:`code_field`, derived).

    Examples
    --------
    >>> e = entries()[0]
    >>> e.layer, e.field, e.code, e.aliases_zh
    ('communities', 'community_id', 'SQDM', ('社区代码', '社区编码'))
    """
    text = resources.files("gis_planner").joinpath("data", CATALOGUE_FILE).read_text("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"{CATALOGUE_FILE}: columns must be {', '.join(COLUMNS)}")
    rows: list[FieldEntry] = []
    for row in reader:
        rows.append(_entry(row))
        if rows[-1].type == "enum" and rows[-1].code:
            rows.append(_code_entry(rows[-1]))
    return tuple(rows)


@functools.cache
def _index() -> dict[tuple[str, str], FieldEntry]:
    return {(e.layer, e.field): e for e in entries()}


def entry(layer: str, field: str) -> FieldEntry:
    """The catalogue's row of ``field`` in ``layer``.

    Raises
    ------
    KeyError
        When the catalogue has no such row.

    Examples
    --------
    >>> entry("communities", "shortfall_m2").code
    'QKMJ'
    """
    return _index()[(layer, field)]


def layer_entries(layer: str) -> tuple[FieldEntry, ...]:
    """The rows of ``layer``, in file order."""
    return tuple(e for e in entries() if e.layer == layer)


def aliases(layer: str, field: str) -> tuple[str, ...]:
    """The Chinese column names accepted on input for ``field`` of ``layer``.

    Examples
    --------
    >>> aliases("estates", "households")
    ('户数',)
    """
    return entry(layer, field).aliases_zh


def labels() -> dict[str, tuple[str, str]]:
    """Column headers ``{field: (zh, en)}``: each field as its first row labels it.

    Examples
    --------
    >>> labels()["shortfall_m2"]
    ('缺口面积(m²)', 'Shortfall (m²)')
    """
    out: dict[str, tuple[str, str]] = {}
    for e in entries():
        if e.field not in out and e.label("zh"):
            out[e.field] = (e.label("zh"), e.label("en"))
    return out


def columns(layer: str, *, use: str = "report", lang: str = "zh") -> dict[str, str]:
    """``{field: header}`` of the fields of ``layer`` for a use, in catalogue order.

    Parameters
    ----------
    layer : str
        A layer of the catalogue.
    use : {"report", "bureau"}
        ``report``: the column headers of the report and the map (the label, with its unit);
        ``bureau``: the fields of the bureau package with their full names.
    lang : {"zh", "en"}
        Language of the headers.

    Examples
    --------
    >>> columns("premises", use="report")["floor_area_m2"]
    '建筑面积(m²)'
    >>> columns("premises", use="bureau")["floor_area_m2"]
    '建筑面积'
    """
    if use == "report":
        return {e.field: e.label(lang) for e in layer_entries(layer) if e.label(lang)}
    if use == "bureau":
        return {e.field: e.name(lang) for e in layer_entries(layer) if e.code}
    raise ValueError(f"use must be 'report' or 'bureau', not {use!r}")
