"""Writing the package's layers in each format: GeoJSON, GBK Shapefile, GeoPackage, FileGDB.

:func:`write_format` writes every layer of one format into the package folder and returns
what each written layer must read back as (:class:`Written`, checked by
:mod:`gis_planner.render.bureau.verify`). The writers take layers in the working CRS and write
them in the package's CRS; Shapefile and FileGDB hold one geometry family per layer, so a layer
mixing points and polygons is written as ``<layer>_point`` and ``<layer>_polygon`` there.
"""

from __future__ import annotations

import contextlib
import sqlite3
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyproj

from gis_planner import catalogue
from gis_planner.crs import WEB_CRS
from gis_planner.errors import Problem
from gis_planner.i18n import tr
from gis_planner.render.bureau.options import BureauError
from gis_planner.render.bureau.shapefile import SHP_ENCODING, shapefile_frame
from gis_planner.render.bureau.tables import LAYERS

#: the package's name: the folder bureau/, bureau.zip, gpkg/bureau.gpkg, gdb/bureau.gdb
PACKAGE = "bureau"
GEOGRAPHIC_DECIMALS = 9  # 1e-9 degree ≈ 0.1 mm
PROJECTED_DECIMALS = 4  # 0.1 mm
_INT32 = (-(2**31), 2**31 - 1)
#: GeoPackage 1.2: GDAL 3.6 (and older readers) open it without "user_version … v1.4.0 …
#: may only be partially supported"
GPKG_VERSION = "1.2"
SHP_INTEGER_LIMIT = 10**9  # whole numbers below it fit the Shapefile's 9-digit integer field
_DBF_HEADER_BYTES, _DBF_FIELD_BYTES = 32, 32


@dataclass
class Written:
    """One layer of one written file, with what it must read back as.

    Attributes
    ----------
    fmt : str
        ``geojson``, ``geojson_wgs84``, ``shp``, ``gpkg`` or ``gdb``.
    layer : str
        The package layer (``communities`` …).
    path : Path
        The file (or FileGDB folder) written.
    dataset_layer : str or None
        The layer inside a GeoPackage or FileGDB.
    expected : GeoDataFrame
        Columns as written, geometry in the working CRS.
    crs : str
        The CRS written.
    id_column : str
        The id field as written (its code in a Shapefile).
    """

    fmt: str
    layer: str
    path: Path
    dataset_layer: str | None
    expected: gpd.GeoDataFrame
    crs: str
    id_column: str

    def label(self, root: Path) -> str:
        """``gpkg/bureau.gpkg (estates)``: the file within ``root`` and its layer."""
        name = self.path.relative_to(root).as_posix()
        return f"{name} ({self.dataset_layer})" if self.dataset_layer else name


@dataclass
class FormatOutput:
    """What :func:`write_format` wrote: the layers written, and for the Shapefile the values
    it could not hold (problems, and records for ``metadata.json``)."""

    written: list[Written] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    left_empty: list[dict[str, Any]] = field(default_factory=list)
    cut: list[dict[str, Any]] = field(default_factory=list)


def filegdb_support() -> tuple[bool, str]:
    """Whether the installed GDAL can write FileGDB (OpenFileGDB driver, GDAL ≥ 3.6), and
    its version."""
    mode = pyogrio.list_drivers(write=True).get("OpenFileGDB", "")
    version = pyogrio.__gdal_version_string__
    return ("w" in mode and pyogrio.__gdal_version__ >= (3, 6, 0)), version


def writable_formats(
    asked: tuple[str, ...], *, lang: str = "zh"
) -> tuple[list[str], dict[str, str]]:
    """The formats of ``asked`` that can be written, and the reason for each that cannot.

    Raises
    ------
    BureauError
        When none of them can be written.
    """
    skipped: dict[str, str] = {}
    if "gdb" in asked:
        can, version = filegdb_support()
        if not can:
            skipped["gdb"] = tr("bureau_gdb_unavailable", lang, version=version)
    fmts = [f for f in asked if f not in skipped]
    if not fmts:
        raise BureauError(tr("bureau_no_format", lang, skipped="; ".join(skipped.values())))
    return fmts, skipped


def _family(geom_type: str) -> str:
    if "Polygon" in geom_type:
        return "polygon"
    if "LineString" in geom_type:
        return "line"
    return "point"


def _parts(gdf: gpd.GeoDataFrame) -> list[tuple[str, gpd.GeoDataFrame]]:
    """The layer by geometry family, with the name suffix of each part (``""`` when one)."""
    families = np.array([_family(t) for t in gdf.geom_type])
    present = [f for f in ("polygon", "line", "point") if (families == f).any()]
    if len(present) <= 1:
        return [("", gdf.reset_index(drop=True))]
    return [(f"_{f}", gdf[families == f].reset_index(drop=True)) for f in present]


def _quiet_write(frame: gpd.GeoDataFrame, path: Path, **kwargs: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every value is checked on reading
        pyogrio.write_dataframe(frame, path, **kwargs)


def write_geojson(gdf: gpd.GeoDataFrame, path: Path, *, layer: str, crs: str) -> None:
    """GeoJSON in ``crs``, stating it (a ``crs`` member: not RFC 7946); 9 decimals in a
    geographic CRS, 4 in metres (0.1 mm)."""
    decimals = GEOGRAPHIC_DECIMALS if pyproj.CRS(crs).is_geographic else PROJECTED_DECIMALS
    _quiet_write(
        gdf.to_crs(crs),
        path,
        driver="GeoJSON",
        layer=layer,
        layer_options={
            "RFC7946": "NO",
            "WRITE_BBOX": "NO",
            "COORDINATE_PRECISION": str(decimals),
            "AUTODETECT_JSON_STRINGS": "NO",
        },
    )


def write_geojson_wgs84(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    """The RFC 7946 copy: WGS84 lon/lat, 9 decimals (0.1 mm) so the 1 mm check holds."""
    _quiet_write(
        gdf.to_crs(WEB_CRS),
        path,
        driver="GeoJSON",
        layer=layer,
        layer_options={
            "RFC7946": "YES",
            "WRITE_BBOX": "NO",
            "COORDINATE_PRECISION": str(GEOGRAPHIC_DECIMALS),
            "AUTODETECT_JSON_STRINGS": "NO",
        },
    )


def write_shapefile(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    crs: str,
    decimals: Mapping[str, int] | None = None,
) -> None:
    """A Shapefile in ``crs`` with GBK text (and a ``.cpg`` saying so) and a spatial index
    (``.qix``); the number fields of ``decimals`` (field name → decimals) written with those
    decimals (:func:`set_dbf_decimals`), without float noise."""
    _quiet_write(
        frame.to_crs(crs),
        path,
        driver="ESRI Shapefile",
        encoding=SHP_ENCODING,
        layer_options={"SPATIAL_INDEX": "YES"},
    )
    if decimals:
        set_dbf_decimals(path.with_suffix(".dbf"), decimals)


def dbf_fields(header: bytes) -> list[tuple[str, bytes, int, int, int]]:
    """(name, type, offset in the record, length, decimals) of each field of a dBASE file."""
    fields, offset = [], 1  # a record starts with its deletion flag
    for start in range(_DBF_HEADER_BYTES, len(header) - 1, _DBF_FIELD_BYTES):
        raw = header[start : start + _DBF_FIELD_BYTES]
        if raw[:1] == b"\r" or len(raw) < _DBF_FIELD_BYTES:
            break
        name = raw[:11].split(b"\0", 1)[0].decode(SHP_ENCODING, "replace")
        fields.append((name, raw[11:12], offset, raw[16], raw[17]))
        offset += raw[16]
    return fields


def set_dbf_decimals(path: Path, decimals: Mapping[str, int]) -> None:
    """Write the number fields ``decimals`` names with that many decimals, in place.

    GDAL writes every real number of a Shapefile with 15 decimals (4202.4 as
    ``4202.399999999999636``); this sets each named field's decimal count in the dBASE header
    and writes its values again with it, right-aligned in the same width. Empty values and
    values that would not fit are left as they are.
    """
    data = bytearray(path.read_bytes())
    header_bytes = int.from_bytes(data[8:10], "little")
    record_bytes = int.from_bytes(data[10:12], "little")
    records = int.from_bytes(data[4:8], "little")
    for index, (name, kind, offset, length, _) in enumerate(dbf_fields(bytes(data[:header_bytes]))):
        places = decimals.get(name)
        if places is None or kind not in (b"N", b"F") or not 0 < places < length - 2:
            continue
        data[_DBF_HEADER_BYTES + index * _DBF_FIELD_BYTES + 17] = places
        for row in range(records):
            start = header_bytes + row * record_bytes + offset
            text = bytes(data[start : start + length]).strip()
            try:
                value = float(text)
            except ValueError:
                continue  # empty (NULL)
            new = f"{value:{length}.{places}f}".encode("ascii")
            if len(new) == length:
                data[start : start + length] = new
    path.write_bytes(bytes(data))


def write_gpkg(
    gdf: gpd.GeoDataFrame,
    path: Path,
    *,
    layer: str,
    crs: str,
    alias: str | None = None,
    titles: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """The table ``layer`` of the GeoPackage ``path`` (version :data:`GPKG_VERSION`), in
    ``crs``, with the layer's ``alias`` (its ``gpkg_contents`` identifier); ``titles``
    (field → (title, description)) become the fields' aliases (:func:`set_gpkg_titles`)."""
    _quiet_write(
        gdf.to_crs(crs),
        path,
        driver="GPKG",
        layer=layer,
        dataset_options={"VERSION": GPKG_VERSION},
        layer_options={"IDENTIFIER": alias} if alias else None,
    )
    if titles:
        set_gpkg_titles(path, layer, titles)


def set_gpkg_titles(path: Path, layer: str, titles: Mapping[str, tuple[str, str]]) -> None:
    """Record each field's title and description (its Chinese name and meaning) in the
    GeoPackage schema extension, ``gpkg_data_columns``, which QGIS and ArcGIS show as the
    field's alias; GDAL reads the title as the field's alternative name."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
            "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, "
            "mime_type TEXT, constraint_name TEXT, "
            "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
            "CONSTRAINT gdc_tn UNIQUE (table_name, name))"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
            "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
            "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
        )
        known = db.execute(
            "SELECT 1 FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns' "
            "AND extension_name = 'gpkg_schema'"
        ).fetchone()
        if known is None:
            db.execute(
                "INSERT INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
                "'http://www.geopackage.org/spec121/#extension_schema', 'read-write')"
            )
        db.executemany(
            "INSERT OR REPLACE INTO gpkg_data_columns "
            "(table_name, column_name, name, title, description) VALUES (?, ?, ?, ?, ?)",
            [(layer, f, f, title, text) for f, (title, text) in titles.items()],
        )


def _gdb_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """64-bit integers as 32-bit where they fit: ArcGIS before Pro 3.2 reads no Integer64."""
    out = gdf.copy()
    for column in out.columns:
        series = out[column]
        if column == out.geometry.name or pd.api.types.is_bool_dtype(series.dtype):
            continue
        if pd.api.types.is_integer_dtype(series.dtype):
            low, high = series.min(), series.max()
            if pd.isna(low) or (_INT32[0] <= low and high <= _INT32[1]):
                out[column] = series.astype("Int32")
            else:
                out[column] = series.astype("Float64")
    return out


def _gdb_geometry_type(gdf: gpd.GeoDataFrame) -> str:
    """The feature class's geometry type: polygons and lines as multi-part (as FileGDB holds
    them), points as points unless some are multi-part."""
    types = set(gdf.geom_type.dropna())
    if types <= {"Point"}:
        return "Point"
    family = _family(next(iter(types)))
    return {"polygon": "MultiPolygon", "line": "MultiLineString"}.get(family, "MultiPoint")


def write_gdb(
    gdf: gpd.GeoDataFrame,
    path: Path,
    *,
    layer: str,
    crs: str,
    alias: str | None = None,
    titles: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """The feature class ``layer`` of the FileGDB ``path``, in ``crs`` (32-bit integers), with
    the layer's ``alias`` and its fields' aliases (``titles``: field → (alias, description)).

    The aliases go through Arrow field metadata (``GDAL:OGR:alternative_name``), which GDAL's
    OpenFileGDB writer stores as the field alias ArcGIS shows.
    """
    frame = _gdb_frame(gdf).to_crs(crs)
    table = pa.table(frame.to_arrow(index=False, geometry_encoding="WKB"))
    geometry = frame.geometry.name
    fields, columns = [], []
    for arrow_field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_null(arrow_field.type):  # a column with no value: text, as GDAL has it
            arrow_field, column = arrow_field.with_type(pa.string()), column.cast(pa.string())
        columns.append(column)
        title = (titles or {}).get(arrow_field.name)
        if title is not None and arrow_field.name != geometry:
            meta = dict(arrow_field.metadata or {})
            meta[b"GDAL:OGR:alternative_name"] = title[0].encode("utf-8")
            if title[1]:
                meta[b"GDAL:OGR:comment"] = title[1].encode("utf-8")
            arrow_field = arrow_field.with_metadata(meta)
        fields.append(arrow_field)
    table = pa.Table.from_arrays(columns, schema=pa.schema(fields, table.schema.metadata))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every value is checked on reading
        pyogrio.write_arrow(
            table,
            path,
            driver="OpenFileGDB",
            layer=layer,
            geometry_name=geometry,
            geometry_type=_gdb_geometry_type(frame),
            crs=crs,
            layer_options={"LAYER_ALIAS": alias} if alias else None,
        )


def _geojson(tables: Mapping[str, gpd.GeoDataFrame], folder: Path, crs: str) -> FormatOutput:
    out = FormatOutput()
    for layer, gdf in tables.items():
        path = folder / f"{layer}.geojson"
        write_geojson(gdf, path, layer=layer, crs=crs)
        out.written.append(Written("geojson", layer, path, None, gdf, crs, LAYERS[layer]))
        path = folder / f"{layer}_wgs84.geojson"
        write_geojson_wgs84(gdf, path, layer=layer)
        out.written.append(Written("geojson_wgs84", layer, path, None, gdf, WEB_CRS, LAYERS[layer]))
    return out


def _shapefiles(
    tables: Mapping[str, gpd.GeoDataFrame],
    folder: Path,
    crs: str,
    codes: Mapping[str, Mapping[str, str]],
    lang: str,
) -> FormatOutput:
    out = FormatOutput()
    for layer, gdf in tables.items():
        fitted = shapefile_frame(
            gdf, layer=layer, id_column=LAYERS[layer], codes=codes[layer], lang=lang
        )
        out.problems += fitted.problems
        out.left_empty += fitted.left_empty
        out.cut += fitted.cut
        decimals = _decimals(layer, codes[layer])
        for suffix, part in _parts(_narrow_integers(fitted.frame)):
            path = folder / f"{layer}{suffix}.shp"
            write_shapefile(part, path, crs=crs, decimals=decimals)
            id_code = codes[layer][LAYERS[layer]]
            out.written.append(Written("shp", layer, path, None, part, crs, id_code))
    return out


def _narrow_integers(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Whole-number columns whose values have at most 9 digits as 32-bit integers: GDAL writes
    them as N(9,0), which ArcGIS reads as Long (a wider N field reads as Double)."""
    out = gdf.copy()
    for column in out.columns:
        series = out[column]
        if column == out.geometry.name or pd.api.types.is_bool_dtype(series.dtype):
            continue
        if pd.api.types.is_integer_dtype(series.dtype):
            largest = series.abs().max()
            if pd.isna(largest) or largest < SHP_INTEGER_LIMIT:
                out[column] = series.astype("Int32")
    return out


def _decimals(layer: str, codes: Mapping[str, str]) -> dict[str, int]:
    """Shapefile field name → decimals, for the number fields of ``layer`` the catalogue
    gives a precision."""
    out = {}
    for field_name, code in codes.items():
        with contextlib.suppress(KeyError):
            precision = catalogue.entry(layer, field_name).precision
            if precision is not None:
                out[code] = precision
    return out


def _geopackage(
    tables: Mapping[str, gpd.GeoDataFrame],
    folder: Path,
    crs: str,
    titles: Mapping[str, Mapping[str, tuple[str, str]]],
    lang: str,
) -> FormatOutput:
    out, path = FormatOutput(), folder / f"{PACKAGE}.gpkg"
    for layer, gdf in tables.items():
        alias = tr(f"bureau_layer_{layer}", lang)
        write_gpkg(gdf, path, layer=layer, crs=crs, alias=alias, titles=titles.get(layer))
        out.written.append(Written("gpkg", layer, path, layer, gdf, crs, LAYERS[layer]))
    return out


def _filegdb(
    tables: Mapping[str, gpd.GeoDataFrame],
    folder: Path,
    crs: str,
    titles: Mapping[str, Mapping[str, tuple[str, str]]],
    lang: str,
) -> FormatOutput:
    out, path = FormatOutput(), folder / f"{PACKAGE}.gdb"
    for layer, gdf in tables.items():
        alias = tr(f"bureau_layer_{layer}", lang)
        for suffix, part in _parts(gdf):
            write_gdb(
                part, path, layer=layer + suffix, crs=crs, alias=alias, titles=titles.get(layer)
            )
            out.written.append(
                Written("gdb", layer, path, layer + suffix, part, crs, LAYERS[layer])
            )
    return out


def write_format(
    fmt: str,
    tables: Mapping[str, gpd.GeoDataFrame],
    root: Path,
    *,
    crs: str,
    codes: Mapping[str, Mapping[str, str]],
    titles: Mapping[str, Mapping[str, tuple[str, str]]] | None = None,
    lang: str = "zh",
) -> FormatOutput:
    """Write every layer of ``tables`` in the format ``fmt`` into ``root/<fmt>/``.

    Parameters
    ----------
    fmt : {"geojson", "shp", "gpkg", "gdb"}
        ``geojson`` writes ``<layer>.geojson`` in ``crs`` and ``<layer>_wgs84.geojson``
        (RFC 7946); ``shp`` ``<layer>.shp`` (GBK, fields named by their codes); ``gpkg``
        ``bureau.gpkg`` and ``gdb`` ``bureau.gdb``, one table per layer.
    tables : dict of str to GeoDataFrame
        File-ready layers in the working CRS (:mod:`gis_planner.render.bureau.tables`).
    root : Path
        The package folder; ``root/<fmt>`` must not exist yet.
    crs : str
        The package's CRS (:data:`~gis_planner.render.bureau.options.CRS_CHOICES`).
    codes : dict
        ``{layer: {field: code}}``: the Shapefile's field names (field dictionary).
    titles : dict, optional
        ``{layer: {field: (title, description)}}``: the GeoPackage's field aliases (the field
        dictionary's names and meanings in the package's language).
    lang : {"zh", "en"}
        Language of the problems.

    Returns
    -------
    FormatOutput
    """
    folder = root / fmt
    folder.mkdir()
    if fmt == "geojson":
        return _geojson(tables, folder, crs)
    if fmt == "shp":
        return _shapefiles(tables, folder, crs, codes, lang)
    if fmt == "gpkg":
        return _geopackage(tables, folder, crs, titles or {}, lang)
    if fmt == "gdb":
        return _filegdb(tables, folder, crs, titles or {}, lang)
    raise ValueError(f"unknown format {fmt!r}")
