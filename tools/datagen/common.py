"""What the demo and scale generators share: the working CRS, byte-stable GeoPackages, grids
and tessellations, the vocabulary of names and enumerations.

Every geometry is built in the working CRS EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM
120E, metres).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

WORK_CRS = "EPSG:4549"
"""CGCS2000 / 3-degree Gauss-Kruger CM 120E: every geometry is built in it."""

FIXED_TIMESTAMP = "2020-08-10T00:00:00.000Z"
"""Written as ``last_change`` into GeoPackages (``OGR_CURRENT_DATE``) so they are byte-stable."""

ESTATE_AREA_RANGE_M2 = (5_000.0, 100_000.0)
"""Area of a generated estate (m²): a small compound to a large high-rise estate."""

HOUSEHOLDS_RANGE = (100, 3000)
"""Households of a generated estate."""

# Chinese values of the enumerations (DESIGN.md), in the order of the English lists
FUNCTIONS_ZH = {
    "party_service_centre": "党群服务中心",
    "service_centre": "便民服务中心",
    "work_rooms": "社区工作服务用房",
    "elderly_care": "养老服务用房",
    "neighbourhood_centre": "幸福邻里中心",
    "children_home": "儿童之家",
    "health_station": "卫生服务站",
    "infant_care": "婴幼儿照护",
    "other": "其他",
}
TENURES_ZH = {
    "new_build": "新建",
    "developer_built": "开发商代建",
    "renovated": "改建",
    "leased": "租赁",
    "purchased": "购买",
}
STATUS_ZH = {"existing": "现状", "planned": "规划"}

# how a street office names each kind of premises (the 名称 column)
PREMISES_NAME = {
    "party_service_centre": "党群服务中心",
    "service_centre": "便民服务中心",
    "work_rooms": "社区工作服务用房",
    "elderly_care": "居家养老服务照料中心",
    "neighbourhood_centre": "幸福邻里中心",
    "children_home": "儿童之家",
    "health_station": "社区卫生服务站",
    "infant_care": "婴幼儿照护驿站",
    "other": "文化活动室",
}

NAME_WORDS = (
    "英溪 余英 武康 千秋 丰桥 永安 春晖 吉祥 凤凰 金桂 银杏 紫荆 丽景 锦绣 城南 城北 溪畔 云岫 "
    "莫干 阜溪 舞阳 塔山 玉屏 回龙 狮山 兴山 三桥 板桥 上柏 秋山 梧桐 香樟 翠竹 碧水 清溪 明珠 "
    "欣怡 康乐 和平 育英 群乐 双溪 北湖 南湖 湖滨 青山 阳光 龙山 桂花 枫林 荷花 华丰 兴隆 新华 "
    "东风 红旗 建设 工农 文化 体育 人民 光明 幸福 长安 太平 永丰 瑞祥 嘉和 恒安 盛世 金鹅 剑池"
).split()
"""Two-character words that estate, community and street names are made of."""


@contextmanager
def gdal_config(**options: str) -> Iterator[None]:
    """Set GDAL config options for the duration of a block, restoring the previous values."""
    previous = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def write_gpkg(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    """Write a GeoPackage whose bytes depend only on the data (fixed ``last_change``)."""
    path.unlink(missing_ok=True)
    with gdal_config(OGR_CURRENT_DATE=FIXED_TIMESTAMP):
        pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG")


def round_geoms(geoms: np.ndarray, grid_m: float = 0.01) -> np.ndarray:
    """Round every coordinate to a grid (for shapes far apart: no topology is at stake)."""
    digits = int(round(-math.log10(grid_m)))
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.round(xy, digits))


def voronoi_cells(seeds: np.ndarray, region: shapely.Geometry) -> np.ndarray:
    """Voronoi cells of the seeds clipped to a convex region, in the order of the seeds."""
    if len(seeds) == 1:
        return np.array([region], dtype=object)
    vor = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=region, ordered=True)
    return shapely.intersection(shapely.get_parts(vor), region)


def snap_cells(cells: np.ndarray, seeds: np.ndarray, *, grid_m: float) -> np.ndarray:
    """Snap a tessellation to a coordinate grid without opening gaps or overlaps.

    The cells' boundaries are noded and snap-rounded together (one overlay), polygonised
    again and matched back to their seeds, so neighbours share identical vertices.

    Parameters
    ----------
    cells : numpy.ndarray
        Polygons tiling a region (e.g. from :func:`voronoi_cells`).
    seeds : numpy.ndarray
        (n, 2) one point inside each cell, in the order of the cells.
    grid_m : float
        Grid size of the coordinates (m).

    Returns
    -------
    numpy.ndarray
        The snapped polygons, in the order of the seeds.
    """
    lines = shapely.union_all(shapely.boundary(cells), grid_size=grid_m)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.area(faces) > 0]
    seed_idx, face_idx = shapely.STRtree(faces).query(shapely.points(seeds), predicate="intersects")
    if (
        len(faces) != len(seeds)
        or len(np.unique(seed_idx)) != len(seeds)
        or len(np.unique(face_idx)) != len(seeds)
    ):
        raise RuntimeError("snapping the tessellation did not give one face per seed")
    out = np.empty(len(seeds), dtype=object)
    out[seed_idx] = faces[face_idx]
    return out
