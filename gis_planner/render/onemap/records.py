"""The compact feature records the page's script draws, and the shared string table.

A layer's features travel to the page as short-keyed records (a county has thousands of
estates, so every byte counts):

=====  ===================================================================================
key    meaning
=====  ===================================================================================
``g``  geometry, delta-encoded integers (:func:`.geometry.encode`); absent for markers
``c``  ``[lat, lon]`` of the feature's anchor: the marker, or where a search opens the popup
``k``  the colour key: a status (``premises_status``, ``enclosure_status``, ...) or function
``n``  the name (the popup title), worded when it is a message
``i``  the id (``community_id``, ``estate_id``, ...)
``v``  the popup values, in the order of the layer's schema (:mod:`.popups`)
=====  ===================================================================================

and layer-specific flags added by the layer (``o`` beyond the walking distance, ``m`` no
property management, ``z`` marker size in px, ``pl`` planned, ``p`` a site's priority).
For the page they are then packed into columns, repeated strings replaced by their index in
one shared table (:func:`pack`), which ``onemap.js`` unpacks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from gis_planner.render.onemap.geometry import encode, latlng, to_display
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
            geometry = encode(geoms[position])
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


def _strings(layers: dict[str, dict[str, Any]]) -> list[str]:
    """The shared string table: every popup string and colour key that occurs more than once,
    the most frequent first (ties: first seen), so that the most used get the shortest
    indices. A string seen once stays in its record (an index would not be shorter)."""
    counts: Counter[str] = Counter()
    for layer in layers.values():
        for feature in layer.get("features", []):
            if "k" in feature:
                counts[feature["k"]] += 1
            for value in feature.get("v") or ():
                if isinstance(value, list):
                    counts.update(value)
                elif value is not None:
                    counts[value] += 1
    return [text for text, n in counts.most_common() if n > 1]


def _id_row(rows: list[dict[str, Any]], features: list[dict[str, Any]]) -> int | None:
    """The popup row that shows every feature's id ``i`` (None: no such row)."""
    if not features:
        return None
    for position, row in enumerate(rows):
        if row["t"] == "text" and all(f.get("i") == f["v"][position] for f in features):
            return position
    return None


def _first_vertex(geometry: dict[str, Any] | None) -> list[int] | None:
    """``[lat, lon]`` (integers) of an encoded geometry's first vertex; None if not encoded."""
    if not geometry or not ("p" in geometry or "l" in geometry):
        return None
    first = geometry["p"][0][0] if "p" in geometry else geometry["l"][0]
    return first[:2]


def pack(layers: dict[str, dict[str, Any]], scale: int) -> list[str]:
    """Pack every layer's ``features`` into ``columns`` for the page; returns the string table.

    A city of 20,000 estates sends 20,000 records, so the page gets them as small as they go
    without changing what is shown (each step measured on that city:
    ``benchmarks/bench_map.py``):

    - **columns**: ``{"g": [...], "c": [...], ...}``, one list per key, ``None`` where a
      feature has no such key (the keys are not repeated in every record);
    - **strings**: popup strings and colour keys ``k`` that occur more than once are replaced by
      their index in one shared table (:func:`_strings`), the most frequent first;
    - **ids**: ``i`` is left out when a popup row shows the same id (the layer's ``idRow``);
    - **anchors**: ``c`` of a shape becomes ``d``, its offset in 1/``scale`` degree from the
      geometry's first vertex (:func:`.geometry.encode`).

    ``onemap.js`` (``unpack``) and :func:`unpack` rebuild the records.

    Examples
    --------
    >>> a = {"g": {"l": [[30000000, 120000000, 1, 1]]}, "c": [30.000001, 120.0], "k": "x",
    ...      "i": "A", "v": ["A"]}
    >>> b = {"c": [30.5, 120.5], "k": "x", "i": "B", "v": ["B"], "o": 1}
    >>> layers = {"a": {"rows": [{"l": "id", "t": "text", "f": "id"}], "features": [a, b]}}
    >>> pack(layers, 10**6), layers["a"]["idRow"]
    (['x'], 0)
    >>> columns = layers["a"]["columns"]
    >>> columns["k"], columns["d"], columns["c"], columns["o"]
    ([0, 0], [[1, 0], None], [None, [30.5, 120.5]], [None, 1])
    >>> unpack({"layers": layers, "strings": ["x"], "scale": 10**6})["a"] == [a, b]
    True
    """
    table = _strings(layers)
    index = {text: position for position, text in enumerate(table)}

    def ref(text: str) -> int | str:
        return index.get(text, text)

    for layer in layers.values():
        features = layer.pop("features", None)
        if features is None:
            continue
        id_row = _id_row(layer.get("rows") or [], features)
        if id_row is not None:
            layer["idRow"] = id_row
        records = []
        for feature in features:
            record = dict(feature)
            if id_row is not None:
                record.pop("i", None)
            if "k" in record:
                record["k"] = ref(record["k"])
            if record.get("v") is not None:
                record["v"] = [
                    None if v is None else [ref(x) for x in v] if isinstance(v, list) else ref(v)
                    for v in record["v"]
                ]
            first = _first_vertex(record.get("g"))
            if first is not None and "c" in record:
                lat, lon = record.pop("c")
                record["d"] = [round(lat * scale) - first[0], round(lon * scale) - first[1]]
            records.append(record)
        keys = list(dict.fromkeys(key for record in records for key in record))
        layer["columns"] = {key: [record.get(key) for record in records] for key in keys}
    return table


def unpack(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The records of each layer of the page's data (:func:`pack`), strings resolved: what
    ``onemap.js`` rebuilds, for tests and checks."""
    table, scale = data["strings"], data["scale"]

    def text(x: int | str) -> str:
        return table[x] if isinstance(x, int) else x

    out: dict[str, list[dict[str, Any]]] = {}
    for layer_id, layer in data["layers"].items():
        columns = layer.get("columns")
        if columns is None:
            continue
        count = len(next(iter(columns.values()), []))
        records = []
        for position in range(count):
            record = {k: col[position] for k, col in columns.items() if col[position] is not None}
            if "k" in record:
                record["k"] = text(record["k"])
            if "v" in record:
                record["v"] = [
                    None if v is None else [text(x) for x in v] if isinstance(v, list) else text(v)
                    for v in record["v"]
                ]
            if "d" in record:
                first = _first_vertex(record["g"])
                assert first is not None
                offset = record.pop("d")
                record["c"] = [(first[0] + offset[0]) / scale, (first[1] + offset[1]) / scale]
            if "idRow" in layer and record["v"][layer["idRow"]] is not None:
                record["i"] = record["v"][layer["idRow"]]
            records.append(dict(sorted(record.items(), key=lambda kv: _ORDER.get(kv[0], 99))))
        out[layer_id] = records
    return out


#: The order of the keys of a record (as :func:`features` makes them).
_ORDER = {"g": 0, "c": 1, "k": 2, "n": 3, "i": 4, "v": 5}
