"""Coordinate reference systems: the working CRS, CGCS2000 codes, and GCJ-02 ⇄ WGS84.

- Working CRS for lengths and areas: EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E).
- Web map: EPSG:4326. Bureau exports: EPSG:4490, 4549 or 4528.
- GCJ-02 ("Mars coordinates", used by Amap/Gaode, Tencent, DataV) has no EPSG code. It is
  converted here with the published obfuscation formula. Written by hand because no well-kept
  library does it: PROJ has no GCJ-02 definition, and the small PyPI packages that do
  (eviltransform, coord-convert) are unmaintained and not vectorised. The forward formula is
  exact; the inverse is solved by fixed-point iteration to < 1 mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis_planner.errors import InputError, Problem
from gis_planner.i18n import tr

WORKING_CRS = "EPSG:4549"
WEB_CRS = "EPSG:4326"
CGCS2000_GEOGRAPHIC = "EPSG:4490"
CGCS2000_ZONE_PREFIXED = "EPSG:4528"

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
             + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
             + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
             + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
             + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, d_lon), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 lon/lat (degrees) to GCJ-02. Points outside China are unchanged."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = _delta(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, *, iterations: int = 6
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (< 1 mm after 3 steps)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = lon.copy(), lat.copy()
    for _ in range(iterations):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon = w_lon - (g_lon - lon)
        w_lat = w_lat - (g_lat - lat)
    return w_lon, w_lat


def _transform_geoms(geoms: np.ndarray, func) -> np.ndarray:
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def geometries_gcj02_to_wgs84(geoms: np.ndarray | BaseGeometry) -> np.ndarray:
    """Convert shapely geometries from GCJ-02 to WGS84 lon/lat."""
    return _transform_geoms(np.asarray(geoms), gcj02_to_wgs84)


def geometries_wgs84_to_gcj02(geoms: np.ndarray | BaseGeometry) -> np.ndarray:
    """Shift shapely geometries from WGS84 lon/lat to GCJ-02 (for display on Amap tiles only)."""
    return _transform_geoms(np.asarray(geoms), wgs84_to_gcj02)


def check_working_crs(lang: str = "zh", **layers: Any) -> None:
    """Raise :class:`InputError` unless every given layer is in the working CRS (EPSG:4549).

    The layers of :class:`~gis_planner.layers.PlanningData` always are; this guards direct use
    of the API with layers read some other way.
    """
    problems = []
    for name, gdf in layers.items():
        if gdf is None:
            continue
        epsg = gdf.crs.to_epsg() if gdf.crs is not None else None
        if f"EPSG:{epsg}" != WORKING_CRS:
            problems.append(Problem(name, tr("layout_crs", lang, crs=gdf.crs.to_string()
                                             if gdf.crs is not None else "—",
                                             working=WORKING_CRS)))
    if problems:
        raise InputError(problems)
