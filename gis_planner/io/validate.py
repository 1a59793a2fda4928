"""Checks of a layer's geometries and ids, and of the layers against each other.

Geometries: missing, NaN or infinite coordinates, of the wrong type, invalid (repaired with
``make_valid``, with a warning), with no area; ids: unique; a GeoJSON's NUL characters and
true/false in numeric fields, which GDAL would silently change. Across layers: a layer far
from the communities (a wrong CRS), communities overlapping, premises naming a community that
does not exist. Every problem is a :class:`~gis_planner.i18n.Message` with its rows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from gis_planner.errors import ProblemList, format_rows
from gis_planner.i18n import msg
from gis_planner.io import schema
from gis_planner.io.fields import CONTROL_CHARACTERS
from gis_planner.io.files import MB
from gis_planner.io.tables import label_rows

FAR_AWAY_KM = 50.0
OVERLAP_TOLERANCE_M2 = 1.0  # data quality, not policy: overlaps below this are digitising slivers


#: Invisible characters that change how a text is shown, not what it says: the bidirectional
#: embeddings, overrides and isolates (U+202A–202E, U+2066–2069, marks U+200E/F, U+061C) — a
#: name with U+202E shows reversed ("Trojan Source") — and the zero-width space, word joiner and
#: byte-order mark, which make two names that look the same differ.
FORMAT_CHARACTERS = re.compile("[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def check_text(
    frame: pd.DataFrame,
    rows: pd.Series,
    source: str,
    problems: ProblemList,
    *,
    max_chars: int | None = None,
    scan: set[str] | None = None,
) -> pd.DataFrame:
    """The text columns of ``frame`` without :data:`FORMAT_CHARACTERS` (a warning,
    ``format_chars``, naming field and rows); a text longer than ``max_chars``
    (``limits.max_text_chars``) is an error naming field, rows and length (``text_too_long``):
    the report, the Shapefile and the map would each cut it somewhere else. ``scan``: the only
    columns that may hold such characters (:func:`suspect_columns`); None: every column."""
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    copied = False
    for column in frame.columns:
        series = frame[column]
        if column == geometry or not (
            series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
        ):
            continue
        if series.dtype != object:  # a string column holds text or missing, nothing else
            is_str = series.notna().astype(bool)
        else:
            is_str = pd.Series([isinstance(v, str) for v in series.to_numpy()], index=series.index)
        if not is_str.any():
            continue
        text = series.where(is_str, "").astype(str)
        if scan is None or column in scan:
            hit = is_str & text.str.contains(FORMAT_CHARACTERS, regex=True)
        else:
            hit = pd.Series(False, index=series.index)
        if hit.any():
            if not copied:
                frame, copied = frame.copy(), True
            cleaned = series.astype(object).copy()
            cleaned[hit] = text[hit].str.replace(FORMAT_CHARACTERS, "", regex=True)
            frame[column] = cleaned
            problems.warn(
                source,
                msg("format_chars", field=column, rows=label_rows(list(rows[hit.to_numpy()]))),
            )
        if max_chars is not None:
            length = text.str.len()
            long = (length > max_chars).to_numpy()
            if long.any():
                over = label_rows(list(rows[long]), [int(n) for n in length[long]])
                problems.error(
                    source, msg("text_too_long", field=column, limit=max_chars, rows=over)
                )
    return frame


#: a control or a format character: one scan of a column finds either kind
_SUSPECT = re.compile(CONTROL_CHARACTERS.pattern[:-1] + FORMAT_CHARACTERS.pattern[1:])


def suspect_columns(frame: pd.DataFrame) -> set[str]:
    """The text columns that may hold :data:`~gis_planner.io.fields.CONTROL_CHARACTERS` or
    :data:`FORMAT_CHARACTERS`: every object column, and each string column in which one
    scan finds either kind — so that :func:`~gis_planner.io.fields.strip_control` and
    :func:`check_text` search only those, not every column twice.

    >>> suspect_columns(pd.DataFrame({"a": ["x", "y\u202e"], "b": ["x", "y"]}, dtype="string"))
    {'a'}
    """
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    out: set[str] = set()
    for column in frame.columns:
        series = frame[column]
        if column == geometry:
            continue
        if series.dtype == object:
            out.add(column)
        elif pd.api.types.is_string_dtype(series.dtype):
            found = _arrow_text_holds(series, _SUSPECT.pattern)
            if found is None:
                found = bool(series.str.contains(_SUSPECT.pattern, regex=True, na=False).any())
            if found:
                out.add(column)
    return out


def _arrow_text_holds(series: pd.Series, pattern: str) -> bool | None:
    """Whether some text of an Arrow string column holds a character of the character class
    ``pattern``; None when the column is not Arrow strings (the caller asks pandas).

    The bytes of each chunk's texts, one after the other, are searched as one text (a view
    of the chunk's data buffer, not a copy): one regular-expression search instead of one
    per row (at 100,000 rows some times faster). One character cannot match across two
    texts; a null's bytes, if a writer left any, can only make a column searched again
    later (a "suspect" one), never hide a character."""
    data = getattr(series.array, "_pa_array", None)
    if not isinstance(data, pa.ChunkedArray) or not (
        pa.types.is_string(data.type) or pa.types.is_large_string(data.type)
    ):
        return None
    width = np.int64 if pa.types.is_large_string(data.type) else np.int32
    for chunk in data.chunks:
        values = chunk.buffers()[2]
        if len(chunk) == 0 or values is None:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width)
        first, last = int(offsets[chunk.offset]), int(offsets[chunk.offset + len(chunk)])
        bounds = pa.py_buffer(np.array([first, last], dtype=width).tobytes())
        whole = pa.Array.from_buffers(data.type, 1, [None, bounds, values])
        try:
            if pc.match_substring_regex(whole, pattern)[0].as_py():
                return True
        except pa.ArrowInvalid:  # bytes that are no UTF-8 text: asked row by row
            return None
    return False


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of ``geom`` (``make_valid`` may add lines or points), as one geometry.

    >>> polygonal(shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.Point(5, 5)]))
    <POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))>
    """
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in schema.POLYGONAL]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def nonfinite(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Features with a NaN or infinite x or y (a geometry no CRS can place)."""
    geoms = gdf.geometry.values
    bad = np.zeros(len(gdf), dtype=bool)
    coords = shapely.get_coordinates(geoms)
    if len(coords) and not np.isfinite(coords).all():  # the rows only when some are bad
        coords, index = shapely.get_coordinates(geoms, return_index=True)
        bad[np.unique(index[~np.isfinite(coords).all(axis=1)])] = True
    return pd.Series(bad, index=gdf.index)


def check_area(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    rows: pd.Series,
    source: str,
    problems: ProblemList,
    plausibility: dict[str, Any],
) -> bool:
    """Whether no polygon (in metres) is below ``plausibility.min_polygon_area_m2`` (a
    zero-area estate cannot hold households); else the rows are reported (``zero_area``)."""
    limit = plausibility.get("min_polygon_area_m2")
    if spec.geometry != schema.POLYGONAL or limit is None:
        return True
    tiny = pd.Series(shapely.area(gdf.geometry.values) < limit, index=gdf.index)
    if tiny.any():
        problems.error(source, msg("zero_area", limit=limit, rows=format_rows(rows[tiny])))
        return False
    return True


def geojson_suspects(
    path: Path, spec: schema.LayerSpec, entry: dict[str, Any]
) -> dict[str, list[str]]:
    """What GDAL would silently change in a GeoJSON file: text holding NUL (\\u0000, cut
    short when read: key ``""``) and true/false in a numeric field (read as 1/0: key = the
    column). Column → rows; empty in the common case, found by one scan of the bytes."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return {}
    numeric = {
        f.name for f in spec.fields if f.kind in ("int", "number", "year", "plan_year", "share")
    }
    mapped = {str(k) for k, v in (entry.get("fields") or {}).items() if v in numeric}
    columns = sorted(
        {*numeric, *mapped, *(a for f in spec.fields if f.name in numeric for a in f.alias_zh)}
    )
    booleans = re.compile(
        b'"(' + b"|".join(re.escape(c.encode()) for c in columns) + rb')"\s*:\s*(?:true|false)\b'
    )
    found, previous = False, b""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MB), b""):
            window = previous[-256:] + block
            if b"\\u0000" in window or booleans.search(window):
                found = True
                break
            previous = block
    if not found:
        return {}
    try:
        features = json.loads(path.read_text(encoding="utf-8")).get("features") or []
    except (ValueError, UnicodeDecodeError, AttributeError):
        return {}
    ids = [spec.id_field, *(spec.field(spec.id_field).alias_zh if spec.id_field else ())]
    suspects: dict[str, list[str]] = {}
    for i, feature in enumerate(features):
        properties = (feature or {}).get("properties") or {}
        label = next((properties[k] for k in ids if k and properties.get(k)), None)
        label = str(label).replace("\x00", "") if label else f"#{i + 1}"
        if any(isinstance(v, str) and "\x00" in v for v in properties.values()):
            suspects.setdefault("", []).append(label)
        for column in columns:
            if isinstance(properties.get(column), bool):
                suspects.setdefault(column, []).append(label)
    return suspects


def report_suspects(suspects: dict[str, list[str]], source: str, problems: ProblemList) -> None:
    """Report :func:`geojson_suspects` (``bool_not_number``, ``nul_in_text``)."""
    for column, labels in suspects.items():
        if column:
            problems.error(source, msg("bool_not_number", field=column, rows=format_rows(labels)))
        else:
            problems.error(source, msg("nul_in_text", rows=format_rows(labels)))


def check_geometry(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    rows: pd.Series,
    source: str,
    problems: ProblemList,
    nonfinite: pd.Series | None = None,
) -> gpd.GeoDataFrame:
    """The layer with invalid geometries repaired (a warning, ``invalid_geometry``); rows
    with NaN coordinates (``nonfinite``), without geometry or of the wrong type are errors."""
    geom = gdf.geometry
    missing = geom.isna() | geom.is_empty
    if nonfinite is not None and nonfinite.any():
        problems.error(source, msg("nonfinite_coords", rows=format_rows(rows[nonfinite])))
        missing &= ~nonfinite
    if missing.any():
        problems.error(source, msg("null_geometry", rows=format_rows(rows[missing])))
    # compared by GEOS type id; the names (GeoSeries.geom_type: a text per row) only of
    # the rows reported
    allowed = [shapely.GeometryType[t.upper()].value for t in spec.geometry]
    wrong = ~missing & ~pd.Series(
        np.isin(shapely.get_type_id(geom.values), allowed), index=gdf.index
    )
    if nonfinite is not None:
        wrong &= ~nonfinite
    if wrong.any():
        problems.error(
            source,
            msg(
                "wrong_geometry",
                expected="/".join(spec.geometry),
                rows=format_rows(rows[wrong], geom[wrong].geom_type),
            ),
        )
    invalid = ~missing & ~wrong & ~geom.is_valid
    if nonfinite is not None:
        invalid &= ~nonfinite
    if invalid.any():
        repaired = shapely.make_valid(geom[invalid].values)
        if spec.geometry == schema.POLYGONAL:
            repaired = np.array([polygonal(g) for g in repaired], dtype=object)
        gdf = gdf.copy()
        gdf.loc[invalid, gdf.geometry.name] = repaired
        problems.warn(source, msg("invalid_geometry", rows=format_rows(rows[invalid])))
    return gdf


def check_ids(
    gdf: pd.DataFrame, spec: schema.LayerSpec, source: str, problems: ProblemList
) -> None:
    """Report ids of the layer's id field that are not unique (``duplicate_ids``)."""
    if not spec.id_field or spec.id_field not in gdf.columns:
        return
    ids = gdf[spec.id_field]
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        problems.error(
            source,
            msg(
                "duplicate_ids",
                field=spec.id_field,
                rows=format_rows(sorted(ids[dup].astype(str).unique())),
            ),
        )


def check_overlaps(communities: gpd.GeoDataFrame, source: str, problems: ProblemList) -> None:
    """Warn about communities that overlap by more than a digitising sliver
    (:data:`OVERLAP_TOLERANCE_M2`, ``communities_overlap``)."""
    geoms = communities.geometry.values
    if shapely.coverage_is_valid(geoms):  # a clean coverage (shared edges) cannot overlap;
        return  # 5× faster than the pairwise check below
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = left < right
    left, right = left[pair], right[pair]
    if not len(left):
        return
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    big = area > OVERLAP_TOLERANCE_M2
    if big.any():
        ids = communities["community_id"].astype(str).to_numpy()
        rows = [f"{ids[a]}×{ids[b]}" for a, b in zip(left[big], right[big], strict=True)]
        problems.warn(
            source,
            msg(
                "communities_overlap",
                tolerance=OVERLAP_TOLERANCE_M2,
                rows=", ".join(f"{r} ({a:,.0f} m²)" for r, a in zip(rows, area[big], strict=True)),
            ),
        )


def check_far_away(
    data: dict[str, gpd.GeoDataFrame], files: dict[str, str], problems: ProblemList
) -> None:
    """Report every layer lying more than :data:`FAR_AWAY_KM` from the communities (a wrong
    CRS, ``far_away``); ``files`` names each layer's file."""
    communities = data.get("communities")
    if communities is None:
        return
    reference = shapely.box(*communities.total_bounds)
    for name, gdf in data.items():
        if name in ("communities", "county_outline") or gdf is None:
            continue
        distance_km = shapely.box(*gdf.total_bounds).distance(reference) / 1000.0
        if distance_km > FAR_AWAY_KM:
            problems.error(files[name], msg("far_away", km=distance_km))


def check_premises_communities(
    communities: gpd.GeoDataFrame, premises: gpd.GeoDataFrame, source: str, problems: ProblemList
) -> None:
    """Report premises whose ``community_id`` is no community's (``unknown_community``)."""
    if "community_id" not in premises:
        return
    known = set(communities["community_id"].astype(str).tolist())
    given = premises["community_id"].notna()
    # as Python strings: pandas' Arrow isin makes an Arrow scalar of each of the thousands
    # of known ids, an object column looks them up in one hash table
    unknown = given & ~premises["community_id"].astype(str).astype(object).isin(known)
    if unknown.any():
        problems.error(
            source,
            msg(
                "unknown_community",
                rows=format_rows(
                    premises.loc[unknown, "premises_id"], premises.loc[unknown, "community_id"]
                ),
                valid=", ".join(sorted(known)[:5]),
            ),
        )
