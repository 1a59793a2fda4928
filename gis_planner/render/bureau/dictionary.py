"""The field dictionary of the bureau package: code, names, unit and meaning of every field.

The hand-written dictionary ``gis_planner/data/bureau_fields.csv`` gives every field the
planner exports a Shapefile code (≤ 10 bytes, the pinyin initials of its Chinese name:
``SQDM`` 社区代码), Chinese and English names, a unit and a meaning in both languages. A field
it does not list (an input field of the county's own) gets a generated code and is reported.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Mapping
from importlib import resources

import geopandas as gpd
import pandas as pd

from gis_planner.errors import Problem
from gis_planner.i18n import tr
from gis_planner.render.bureau.shapefile import SHP_FIELD_BYTES, gbk_bytes

FIELDS_FILE = "bureau_fields.csv"
DICTIONARY_COLUMNS = ("layer", "code", "field", "name_zh", "name_en", "unit", "meaning")


@functools.cache
def _known_fields() -> pd.DataFrame:
    text = resources.files("gis_planner").joinpath("data", FIELDS_FILE).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


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


def _row(layer: str, field: str, entry: Mapping[str, str], meaning: str) -> dict[str, str]:
    return {
        "layer": layer,
        "code": entry["code"],
        "field": field,
        "name_zh": entry["name_zh"],
        "name_en": entry["name_en"],
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
            rows.append(_row(layer, column, entries.loc[column], meaning))
            continue
        code = _auto_code(str(column), taken)
        taken.add(code.upper())
        unlisted = {
            "code": code,
            "name_zh": column,
            "name_en": column,
            "unit": "",
            meaning: tr("bureau_field_unlisted_meaning", lang),
        }
        rows.append(_row(layer, column, unlisted, meaning))
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
        rows = [_row(e["layer"], e["field"], e, meaning) for _, e in _known_fields().iterrows()]
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
        row per column, in column order. Columns the hand-written dictionary
        (``gis_planner/data/bureau_fields.csv``) does not list get a generated code and are
        reported by :func:`~gis_planner.render.bureau.package.export_bureau`. Without
        ``tables``, the whole hand-written dictionary.
    lang : {"zh", "en"}
        Language of the ``meaning`` column.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``code`` (the Shapefile field name, ≤ 10 bytes, unique per layer,
        e.g. ``SQDM`` for 社区代码), ``field`` (the English name used in GeoJSON, GeoPackage
        and FileGDB), ``name_zh``, ``name_en``, ``unit`` and ``meaning``.

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
