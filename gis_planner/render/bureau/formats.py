"""Writing the package's layers in each format: GeoJSON, GBK Shapefile, GeoPackage, FileGDB.

:func:`write_format` writes every layer of one format into the package folder and returns
what each written layer must read back as (:class:`Written`, checked by
:mod:`gis_planner.render.bureau.verify`). The writers take layers in the working CRS and write
them in the package's CRS; Shapefile and FileGDB hold one geometry family per layer, so a layer
mixing points and polygons is written as ``<layer>_point`` and ``<layer>_polygon`` there.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj

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


def write_shapefile(frame: gpd.GeoDataFrame, path: Path, *, crs: str) -> None:
    """A Shapefile in ``crs`` with GBK text (and a ``.cpg`` saying so)."""
    _quiet_write(frame.to_crs(crs), path, driver="ESRI Shapefile", encoding=SHP_ENCODING)


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path, *, layer: str, crs: str) -> None:
    """The table ``layer`` of the GeoPackage ``path``, in ``crs``."""
    _quiet_write(gdf.to_crs(crs), path, driver="GPKG", layer=layer)


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


def write_gdb(gdf: gpd.GeoDataFrame, path: Path, *, layer: str, crs: str) -> None:
    """The feature class ``layer`` of the FileGDB ``path``, in ``crs`` (32-bit integers)."""
    _quiet_write(_gdb_frame(gdf).to_crs(crs), path, driver="OpenFileGDB", layer=layer)


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
        for suffix, part in _parts(fitted.frame):
            path = folder / f"{layer}{suffix}.shp"
            write_shapefile(part, path, crs=crs)
            id_code = codes[layer][LAYERS[layer]]
            out.written.append(Written("shp", layer, path, None, part, crs, id_code))
    return out


def _geopackage(tables: Mapping[str, gpd.GeoDataFrame], folder: Path, crs: str) -> FormatOutput:
    out, path = FormatOutput(), folder / f"{PACKAGE}.gpkg"
    for layer, gdf in tables.items():
        write_gpkg(gdf, path, layer=layer, crs=crs)
        out.written.append(Written("gpkg", layer, path, layer, gdf, crs, LAYERS[layer]))
    return out


def _filegdb(tables: Mapping[str, gpd.GeoDataFrame], folder: Path, crs: str) -> FormatOutput:
    out, path = FormatOutput(), folder / f"{PACKAGE}.gdb"
    for layer, gdf in tables.items():
        for suffix, part in _parts(gdf):
            write_gdb(part, path, layer=layer + suffix, crs=crs)
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
        return _geopackage(tables, folder, crs)
    if fmt == "gdb":
        return _filegdb(tables, folder, crs)
    raise ValueError(f"unknown format {fmt!r}")
