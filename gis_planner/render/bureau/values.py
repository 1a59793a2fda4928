"""The package's layers in the bureau's language: values worded, codes kept, numbers tidy.

The analyses speak codes (``semi_open``, ``needs_survey``, ``meets``, ``True``); the bureau
reads Chinese. :func:`in_bureau_language` writes every enumeration as its Chinese value
(半封闭, 需开展意愿调查, 达标 — the English label with ``lang="en"``) and keeps the code in a
code field beside it (``enclosure_code``: :func:`gis_planner.catalogue.code_field`), writes
yes/no fields one way (是/否, or yes/no), whole-number fields (years, counts) as integers,
numbers rounded to their field's decimals and a community's area shares as plain text, never
JSON. The field catalogue (:mod:`gis_planner.catalogue`) says which field is which.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_planner import catalogue
from gis_planner.i18n import value_label
from gis_planner.io import schema

INTEGER_TYPES = ("int", "year", "plan_year")
NUMBER_TYPES = ("number", "share")
YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}
SHARE_SEPARATOR = {"zh": "；", "en": "; "}


def _input_words(layer: str, field: str) -> dict[str, str]:
    """English value → its Chinese value as the layers folder accepts it (the first listed),
    for an input enumeration; empty for a computed one."""
    spec = schema.VECTOR_LAYERS.get(layer)
    if spec is None:
        return {}
    try:
        values = spec.field(field).values
    except KeyError:
        return {}
    words: dict[str, str] = {}
    for zh, en in values.items():
        words.setdefault(en, zh)
    return words


def enum_word(layer: str, field: str, value: Any, lang: str = "zh") -> Any:
    """The word for the code ``value`` of an enumeration field, in ``lang``.

    Input enumerations take the Chinese value the layers folder accepts (so the package reads
    back as input); computed ones their report label.

    Examples
    --------
    >>> enum_word("estates", "enclosure", "semi_open")
    '半封闭'
    >>> enum_word("estates", "condition", "good"), enum_word("estates", "facade", "good")
    ('好', '完好')
    >>> enum_word("communities", "premises_status", "meets")
    '达标'
    """
    if not isinstance(value, str):
        return value
    if lang != "en":
        word = _input_words(layer, field).get(value)
        if word is not None:
            return word
    return value_label(value, lang)


def _yes_no(series: pd.Series, lang: str) -> pd.Series:
    yes, no = YES_NO["en" if lang == "en" else "zh"]
    values = [
        None
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
        else (yes if bool(v) else no)
        for v in series.astype(object)
    ]
    return pd.Series(values, index=series.index, dtype=object)


def _whole(series: pd.Series) -> pd.Series:
    """Integers (nullable) when every value is a whole number; else the series as it is."""
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        return series
    values = series.astype("Float64")
    present = values.dropna()
    if len(present) and not (present == present.round()).all():
        return series
    return values.round().astype("Int64")


def _rounded(series: pd.Series, precision: int | None) -> pd.Series:
    if precision is None or pd.api.types.is_bool_dtype(series.dtype):
        return series
    if not pd.api.types.is_numeric_dtype(series.dtype):
        return series
    return series.astype("Float64").round(precision)


def _shares(value: Any, lang: str) -> Any:
    """``{"A": 0.625, "B": 0.375}`` as ``A=0.625；B=0.375``."""
    if isinstance(value, str) and value.startswith("{"):
        import json

        try:
            value = json.loads(value)
        except ValueError:
            return value
    if not isinstance(value, dict):
        return value
    parts = [f"{k}={round(float(v), 6):g}" for k, v in value.items()]
    return SHARE_SEPARATOR["en" if lang == "en" else "zh"].join(parts)


def in_bureau_language(gdf: gpd.GeoDataFrame, layer: str, *, lang: str = "zh") -> gpd.GeoDataFrame:
    """The layer as the bureau reads it (see the module's docstring).

    Parameters
    ----------
    gdf : GeoDataFrame
        A file-ready layer of the package (:mod:`gis_planner.render.bureau.tables`).
    layer : str
        Its name (``communities`` …), which finds its fields in the catalogue.
    lang : {"zh", "en"}
        The package's language.

    Returns
    -------
    GeoDataFrame
        A new frame: each enumeration worded, with ``<field>_code`` after it; yes/no fields as
        是/否; integers and rounded numbers; columns the catalogue does not know unchanged.
    """
    data: dict[str, pd.Series] = {}
    for column in gdf.columns:
        if column == gdf.geometry.name:
            continue
        series = gdf[column]
        try:
            entry = catalogue.entry(layer, str(column))
        except KeyError:
            data[column] = series
            continue
        if entry.type == "enum":
            words = [enum_word(layer, entry.field, v, lang) for v in series.astype(object)]
            data[column] = pd.Series(words, index=series.index, dtype=object)
            data[catalogue.code_field(entry.field)] = series.astype(object)
        elif entry.type == "bool":
            data[column] = _yes_no(series, lang)
        elif entry.type in INTEGER_TYPES:
            data[column] = _whole(series)
        elif entry.type in NUMBER_TYPES:
            data[column] = _rounded(series, entry.precision)
        elif entry.type == "json":
            shares = [_shares(v, lang) for v in series.astype(object)]
            data[column] = pd.Series(shares, index=series.index, dtype=object)
        else:
            data[column] = series
    return gpd.GeoDataFrame(data, geometry=gdf.geometry.values, crs=gdf.crs, index=gdf.index)
