"""The field dictionary of the bureau package: code, names, unit and meaning of every field.

The field catalogue (:mod:`gis_planner.catalogue`, ``gis_planner/data/fields.csv``) gives every
field the planner exports a Shapefile code (≤ 10 bytes, the pinyin initials of its Chinese name:
``SQDM`` 社区代码), Chinese and English names, a unit and a meaning in both languages. A field
it does not list (an input field of the county's own) gets a generated code and is reported.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from gis_planner import catalogue
from gis_planner.errors import Problem
from gis_planner.i18n import tr
from gis_planner.render.bureau.shapefile import SHP_FIELD_BYTES, gbk_bytes

KNOWN_COLUMNS = (
    "layer",
    "field",
    "code",
    "name_zh",
    "name_en",
    "type",
    "precision",
    "unit",
    "meaning_zh",
    "meaning_en",
)
DICTIONARY_COLUMNS = ("layer", "code", "field", "name_zh", "name_en", "type", "unit", "meaning")
#: the dictionary's column headers in the package's language (字段代码/字段名称/类型/单位/说明)
DICTIONARY_HEADERS = {
    "zh": ("图层", "字段代码", "字段", "字段名称", "英文名称", "类型", "单位", "说明"),
    "en": DICTIONARY_COLUMNS,
}
#: the type a field is written as, by its catalogue type: (zh, en)
TYPE_WORDS = {
    "text": ("文本", "Text"),
    "integer": ("整数", "Integer"),
    "real": ("数值", "Real"),
}
_WRITTEN_TYPE = {"int": "integer", "year": "integer", "plan_year": "integer"}
_WRITTEN_TYPE.update({"number": "real", "share": "real"})


@functools.cache
def _known_fields() -> pd.DataFrame:
    """The catalogue's fields that have a bureau code, in catalogue order."""
    rows = [[getattr(e, c) for c in KNOWN_COLUMNS] for e in catalogue.entries() if e.code]
    return pd.DataFrame(rows, columns=list(KNOWN_COLUMNS), dtype=object)


def _auto_code(name: str, taken: set[str]) -> str:
    """A Shapefile field name for a field the dictionary does not list (≤ 10 bytes, unique)."""
    if name.isascii():
        base = (
            name.upper()
            if len(name) <= SHP_FIELD_BYTES
            else "".join(part[:1] for part in name.split("_") if part).upper()
        )
    else:
        base = ""
        for char in name:
            size = gbk_bytes(base + char)
            if size is None or size > SHP_FIELD_BYTES:
                break
            base += char
    base = base[:SHP_FIELD_BYTES] or "ZD"
    code, i = base, 1
    while code.upper() in taken:
        suffix = f"{i:02d}"
        stem = base
        while (gbk_bytes(stem + suffix) or 99) > SHP_FIELD_BYTES:
            stem = stem[:-1]
        code, i = stem + suffix, i + 1
    return code


def type_word(kind: str, precision: int | None, lang: str = "zh") -> str:
    """How a field of catalogue type ``kind`` is written, in ``lang``: 文本, 整数, or 数值
    with its decimals.

    Examples
    --------
    >>> type_word("number", 2), type_word("year", None, "en"), type_word("enum", None)
    ('数值（2 位小数）', 'Integer', '文本')
    """
    zh, en = TYPE_WORDS[_WRITTEN_TYPE.get(kind, "text")]
    word = en if lang == "en" else zh
    if precision is not None and _WRITTEN_TYPE.get(kind) == "real":
        word += f" ({precision} decimals)" if lang == "en" else f"（{precision} 位小数）"
    return word


def _dtype_kind(series: pd.Series) -> str:
    """The catalogue type of a column the catalogue does not list, from its values."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "int"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "number"
    return "text"


def _row(
    layer: str, field: str, entry: Mapping[str, Any], meaning: str, lang: str
) -> dict[str, str]:
    return {
        "layer": layer,
        "code": entry["code"],
        "field": field,
        "name_zh": entry["name_zh"],
        "name_en": entry["name_en"],
        "type": type_word(entry["type"], entry["precision"], lang),
        "unit": entry["unit"],
        "meaning": entry[meaning],
    }


def _layer_rows(
    layer: str, gdf: gpd.GeoDataFrame, meaning: str, lang: str
) -> tuple[list[dict[str, str]], list[Problem]]:
    """One row per column of ``gdf``; a generated code (and a problem) for an unlisted one."""
    known = _known_fields()
    entries = known[known["layer"] == layer].set_index("field")
    taken = {c.upper() for c in entries["code"]}
    rows: list[dict[str, str]] = []
    problems: list[Problem] = []
    for column in gdf.columns:
        if column == gdf.geometry.name:
            continue
        if column in entries.index:
            rows.append(_row(layer, column, entries.loc[column], meaning, lang))
            continue
        code = _auto_code(str(column), taken)
        taken.add(code.upper())
        unlisted = {
            "code": code,
            "name_zh": column,
            "name_en": column,
            "type": _dtype_kind(gdf[column]),
            "precision": None,
            "unit": "",
            meaning: tr("bureau_field_unlisted_meaning", lang),
        }
        rows.append(_row(layer, column, unlisted, meaning, lang))
        problems.append(
            Problem(layer, tr("bureau_field_unlisted", lang, layer=layer, field=column, code=code))
        )
    return rows, problems


def dictionary_with_problems(
    tables: Mapping[str, gpd.GeoDataFrame] | None, *, lang: str = "zh"
) -> tuple[pd.DataFrame, list[Problem]]:
    """:func:`field_dictionary`, and a problem for each field the dictionary does not list."""
    meaning = "meaning_en" if lang == "en" else "meaning_zh"
    rows: list[dict[str, str]] = []
    problems: list[Problem] = []
    if tables is None:
        known = _known_fields().iterrows()
        rows = [_row(e["layer"], e["field"], e, meaning, lang) for _, e in known]
    else:
        for layer, gdf in tables.items():
            layer_rows, layer_problems = _layer_rows(layer, gdf, meaning, lang)
            rows += layer_rows
            problems += layer_problems
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)), problems


def field_dictionary(
    tables: Mapping[str, gpd.GeoDataFrame] | None = None, *, lang: str = "zh"
) -> pd.DataFrame:
    """The field dictionary of the package: one row per exported field of each layer.

    Parameters
    ----------
    tables : dict of str to GeoDataFrame, optional
        The package's layers (:func:`~gis_planner.render.bureau.tables.bureau_tables`): one
        row per column, in column order. Columns the field catalogue
        (``gis_planner/data/fields.csv``) does not list get a generated code and are
        reported by :func:`~gis_planner.render.bureau.package.export_bureau`. Without
        ``tables``, every field of the catalogue with a bureau code.
    lang : {"zh", "en"}
        Language of the ``meaning`` column.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``code`` (the Shapefile field name, ≤ 10 bytes, unique per layer,
        e.g. ``SQDM`` for 社区代码), ``field`` (the English name used in GeoJSON, GeoPackage
        and FileGDB), ``name_zh``, ``name_en``, ``type`` (文本, 整数, 数值 with its decimals),
        ``unit`` and ``meaning``; :func:`dictionary_file` gives them headers in the package's
        language.

    Examples
    --------
    >>> d = field_dictionary()
    >>> d.loc[(d.layer == "communities") & (d.field == "shortfall_m2"), ["code", "name_zh"]
    ...       ].values.tolist()
    [['QKMJ', '缺口面积']]
    """
    return dictionary_with_problems(tables, lang=lang)[0]


def field_codes(dictionary: pd.DataFrame, layers: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{layer: {field: code}}`` of ``layers`` from a field dictionary (the Shapefile names).

    Examples
    --------
    >>> field_codes(field_dictionary(), ["sites"])["sites"]["proposal_id"]
    'JYBH'
    """
    return {
        layer: dict(
            zip(
                dictionary.loc[dictionary["layer"] == layer, "field"],
                dictionary.loc[dictionary["layer"] == layer, "code"],
                strict=True,
            )
        )
        for layer in layers
    }


def dictionary_file(dictionary: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """The dictionary as ``field_dictionary.csv``/``.xlsx`` hold it: headers in ``lang``
    (:data:`DICTIONARY_HEADERS`: 图层, 字段代码, 字段, 字段名称, 英文名称, 类型, 单位, 说明).

    Examples
    --------
    >>> list(dictionary_file(field_dictionary()).columns)[:2]
    ['图层', '字段代码']
    """
    headers = DICTIONARY_HEADERS["en" if lang == "en" else "zh"]
    return dictionary.rename(columns=dict(zip(DICTIONARY_COLUMNS, headers, strict=True)))


def field_titles(
    dictionary: pd.DataFrame, layers: Iterable[str], *, lang: str = "zh"
) -> dict[str, dict[str, tuple[str, str]]]:
    """``{layer: {field: (name, meaning)}}`` of ``layers`` in ``lang``: the fields' aliases
    in a GeoPackage (``gpkg_data_columns`` title and description).

    Examples
    --------
    >>> field_titles(field_dictionary(), ["communities"])["communities"]["shortfall_m2"][0]
    '缺口面积'
    """
    name = "name_en" if lang == "en" else "name_zh"
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for layer in layers:
        rows = dictionary[dictionary["layer"] == layer]
        out[layer] = {
            f: (n, m) for f, n, m in zip(rows["field"], rows[name], rows["meaning"], strict=True)
        }
    return out
