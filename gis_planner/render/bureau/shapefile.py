"""What a GBK Shapefile can hold, and a layer made to fit it.

Chinese GIS desktops read Shapefile text as GBK: field names hold at most 10 bytes (5 Chinese
characters), text at most 254 bytes. :func:`shapefile_frame` renames the fields to the codes of
the field dictionary, leaves empty any text GBK cannot encode (reported, never written as
``?``) and cuts longer text at a character boundary, ending it with ``…`` (reported); the other
formats keep the full values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_planner.errors import Problem, format_rows
from gis_planner.i18n import tr

SHP_ENCODING = "GBK"
SHP_TEXT_BYTES = 254
SHP_FIELD_BYTES = 10
ELLIPSIS = "…"


def gbk_bytes(text: str) -> int | None:
    """Bytes of ``text`` in GBK, or ``None`` when GBK cannot encode it.

    Examples
    --------
    >>> gbk_bytes("社区代码"), gbk_bytes("😀")
    (8, None)
    """
    try:
        return len(text.encode(SHP_ENCODING))
    except UnicodeEncodeError:
        return None


def cut_gbk(text: str, limit: int) -> str:
    """``text`` cut at a character boundary so that it and ``…`` fit in ``limit`` GBK bytes.

    Examples
    --------
    >>> cut_gbk("幸福里小区", 8)
    '幸福里…'
    """
    budget = limit - len(ELLIPSIS.encode(SHP_ENCODING))
    kept, used = [], 0
    for char in text:
        size = len(char.encode(SHP_ENCODING))
        if used + size > budget:
            break
        kept.append(char)
        used += size
    return "".join(kept) + ELLIPSIS


@dataclass
class ShapefileFrame:
    """A layer as the Shapefile holds it (:func:`shapefile_frame`).

    Attributes
    ----------
    frame : GeoDataFrame
        Fields renamed to their codes, text GBK-safe and at most :data:`SHP_TEXT_BYTES`.
    problems : list of Problem
        One per value left empty, one per field with values cut.
    left_empty, cut : list of dict
        The records of ``metadata.json``: each value left empty (layer, id, field, code,
        value, characters) and each field with values cut (layer, field, code, ids).
    """

    frame: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    left_empty: list[dict[str, Any]] = field(default_factory=list)
    cut: list[dict[str, Any]] = field(default_factory=list)


def _left_empty(
    out: ShapefileFrame, layer: str, row_id: str, column: str, code: str, value: str, lang: str
) -> None:
    chars = "".join(dict.fromkeys(c for c in value if gbk_bytes(c) is None))
    out.left_empty.append(
        {
            "layer": layer,
            "id": row_id,
            "field": column,
            "code": code,
            "value": value,
            "characters": chars,
        }
    )
    out.problems.append(
        Problem(
            f"shp/{layer}.shp",
            tr(
                "bureau_gbk",
                lang,
                layer=layer,
                id=row_id,
                field=column,
                code=code,
                value=value,
                chars=" ".join(f"{c} U+{ord(c):04X}" for c in chars),
            ),
        )
    )


def _fit_column(
    out: ShapefileFrame, layer: str, ids: np.ndarray, column: str, code: str, lang: str
) -> None:
    """Make the text column ``code`` of ``out.frame`` fit GBK and 254 bytes, reporting."""
    values = out.frame[code].to_numpy(dtype=object).copy()
    cut_rows = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            continue
        size = gbk_bytes(value)
        if size is None:
            values[i] = None
            _left_empty(out, layer, ids[i], column, code, value, lang)
        elif size > SHP_TEXT_BYTES:
            values[i] = cut_gbk(value, SHP_TEXT_BYTES)
            cut_rows.append(i)
    if cut_rows:
        out.cut.append(
            {"layer": layer, "field": column, "code": code, "ids": [str(ids[i]) for i in cut_rows]}
        )
        out.problems.append(
            Problem(
                f"shp/{layer}.shp",
                tr(
                    "bureau_truncated",
                    lang,
                    limit=SHP_TEXT_BYTES,
                    layer=layer,
                    field=column,
                    code=code,
                    n=len(cut_rows),
                    rows=format_rows(ids[cut_rows]),
                ),
            )
        )
    out.frame[code] = pd.Series(values, index=out.frame.index, dtype=object)


def shapefile_frame(
    gdf: gpd.GeoDataFrame,
    *,
    layer: str,
    id_column: str,
    codes: Mapping[str, str],
    lang: str = "zh",
) -> ShapefileFrame:
    """The layer as the Shapefile holds it: fields renamed to codes, GBK-safe text ≤ 254 bytes.

    Parameters
    ----------
    gdf : GeoDataFrame
        A file-ready layer (:func:`~gis_planner.render.bureau.tables.bureau_tables`).
    layer, id_column : str
        The layer's name and id field (the rows a problem names).
    codes : mapping of str to str
        Field → Shapefile field name (the field dictionary's ``code``).
    lang : {"zh", "en"}
        Language of the problems.

    Returns
    -------
    ShapefileFrame
        The frame, the problems to report, the values left empty and cut.
    """
    out = ShapefileFrame(gdf.rename(columns=dict(codes)))
    ids = gdf[id_column].astype(str).to_numpy()
    for column, code in codes.items():
        if out.frame[code].dtype == object:
            _fit_column(out, layer, ids, column, code, lang)
    return out
