"""The compact feature records the page's script draws, and the shared string table.

A layer's features travel to the page as short-keyed records (a county has thousands of
estates, so every byte counts):

=====  ===================================================================================
key    meaning
=====  ===================================================================================
``g``  GeoJSON geometry (display coordinates, :mod:`.geometry`); absent for markers
``c``  ``[lat, lon]`` of the feature's anchor: the marker, or where a search opens the popup
``k``  the colour key: a status (``premises_status``, ``enclosure_status``, ...) or function
``n``  the name (the popup title), worded when it is a message
``i``  the id (``community_id``, ``estate_id``, ...)
``v``  the popup values, in the order of the layer's schema (:mod:`.popups`)
=====  ===================================================================================

and layer-specific flags added by the layer (``o`` beyond the walking distance, ``m`` no
property management, ``z`` marker size in px, ``pl`` planned, ``p`` a site's priority).
Popup strings are then replaced by their index in one shared table
(:func:`intern_strings`), which ``onemap.js`` resolves back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from gis_planner.render.onemap.geometry import geojson, latlng, to_display
from gis_planner.render.onemap.popups import Row, popup_schema
from gis_planner.render.onemap.values import is_missing, word
from gis_planner.render.text import round_floats


def _anchors(frame: gpd.GeoDataFrame, *, shift: bool) -> np.ndarray:
    """A point inside each feature, for display: where its marker or popup goes."""
    points = gpd.GeoSeries(frame.geometry.representative_point(), crs=frame.crs)
    return to_display(points, shift=shift, simplify=False)


def features(
    frame: gpd.GeoDataFrame,
    rows: Sequence[Row],
    *,
    lang: str,
    shift: bool,
    id_field: str | None,
    key_field: str | None,
    points: bool = False,
    extra: Callable[[Any], dict[str, Any]] | None = None,
    labels: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Compact feature records ``{g, c, k, n, i, v, ...}`` of a layer, and its popup schema.

    Parameters
    ----------
    frame : GeoDataFrame
        The layer, in a projected CRS (EPSG:4549); it is not changed.
    rows : sequence of Row
        The popup rows (:mod:`.popups`).
    lang : {"zh", "en"}
    shift : bool
        Display coordinates in GCJ-02 (the Amap basemap).
    id_field, key_field : str or None
        The fields giving ``i`` and ``k``.
    points : bool
        Markers: only the anchor ``c``, no geometry ``g``.
    extra : callable, optional
        More keys of a record, from the feature's row (e.g. ``{"z": 18}``).
    labels : mapping, optional
        Popup labels by field worded by the layer (:func:`.popups.popup_schema`).

    Returns
    -------
    records : list of dict
        One per feature with a geometry (features without one are left out).
    schema : list of dict
        The popup schema the values ``v`` follow.
    """
    shown = round_floats(frame)  # the figures of the outputs, to the same decimals
    schema, getters = popup_schema(shown, rows, lang, labels=labels)
    anchors = _anchors(frame, shift=shift)
    if points:
        geoms = np.full(len(frame), None, dtype=object)
    else:
        geoms = to_display(frame.geometry, shift=shift, simplify=True)
    records: list[dict[str, Any]] = []
    for position, (_, row) in enumerate(shown.iterrows()):
        anchor = anchors[position]
        if anchor is None or shapely.is_empty(anchor):
            continue
        record: dict[str, Any] = {}
        if not points:
            geometry = geojson(geoms[position])
            if geometry is None:
                continue
            record["g"] = geometry
        record["c"] = latlng(anchor)
        if key_field and key_field in row and not is_missing(row[key_field]):
            record["k"] = str(row[key_field])
        name = "" if is_missing(row.get("name")) else word(row["name"], lang)
        if name != "":  # a proposed community's name is a message: "甲社区（拆分2）"
            record["n"] = name
        if id_field and not is_missing(row.get(id_field)):
            record["i"] = str(row[id_field])
        record["v"] = [get(row) for get in getters]
        if extra is not None:
            record.update(extra(row))
        records.append(record)
    return records, schema


def intern_strings(layers: dict[str, dict[str, Any]]) -> list[str]:
    """Replace every popup string by its index in one shared table (returned).

    Statuses, yes/no, community names and the reasons repeat across thousands of estates;
    sending each once keeps a county-sized page small. The page resolves them back.

    Examples
    --------
    >>> layers = {"a": {"features": [{"v": ["是", ["x", "是"], None]}, {"v": ["否"]}]}}
    >>> intern_strings(layers), layers["a"]["features"]
    (['是', 'x', '否'], [{'v': [0, [1, 0], None]}, {'v': [2]}])
    """
    table: list[str] = []
    index: dict[str, int] = {}

    def ref(text: str) -> int:
        position = index.get(text)
        if position is None:
            position = index[text] = len(table)
            table.append(text)
        return position

    for layer in layers.values():
        for feature in layer.get("features", []):
            values = feature.get("v")
            if values is None:
                continue
            feature["v"] = [
                None if v is None else [ref(x) for x in v] if isinstance(v, list) else ref(v)
                for v in values
            ]
    return table
