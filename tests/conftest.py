"""Shared fixtures: tiny hand-made layers in EPSG:4549 near Wukang, values worked out on paper."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from gis_planner.rules import load_rules

X0, Y0 = 497_000.0, 3_379_000.0  # EPSG:4549 metres, near Wukang (119.97 E, 30.54 N)
CRS = "EPSG:4549"
REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "layers" / "deqing_demo"


def square(x: float, y: float, size: float = 100.0):
    """A ``size`` m square whose lower-left corner is (x, y) metres from the origin."""
    return box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size)


def pt(x: float, y: float) -> Point:
    return Point(X0 + x, Y0 + y)


def gdf(rows: list[dict], crs: str | None = CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def two_communities() -> gpd.GeoDataFrame:
    """A (0–1000 m) and B (1000–2000 m): two 1 km squares side by side."""
    return gdf([
        {"community_id": "A", "name": "甲社区", "street": "武康街道", "kind": "urban",
         "population": 7980, "geometry": square(0, 0, 1000)},
        {"community_id": "B", "name": "乙社区", "street": "武康街道",
         "kind": "village_to_residence", "population": None, "geometry": square(1000, 0, 1000)},
    ])


def write_layers(folder: Path, **layers: gpd.GeoDataFrame) -> Path:
    """Write each layer as ``<name>.gpkg`` (or the name given with an extension)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in layers.items():
        filename = name.replace("__", ".")
        filename = filename if "." in filename else f"{filename}.gpkg"
        frame.to_file(folder / filename, engine="pyogrio")
    return folder


@pytest.fixture
def rules():
    return load_rules()


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A writable copy of the embedded demo layers."""
    target = tmp_path / "demo"
    shutil.copytree(DEMO, target)
    return target
