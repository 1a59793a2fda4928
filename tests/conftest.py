"""Shared fixtures: tiny hand-made layers in EPSG:4549 near Wukang, values worked out on paper."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import settings
from shapely.geometry import Point, box

from gis_planner.rules import load_rules

# Tests never assert timings (benchmarks/ measure speed): hypothesis' per-example deadline
# (200 ms) made a property test flaky on a loaded CI machine, so no example has one.
settings.register_profile("gis_planner", deadline=None)
settings.load_profile("gis_planner")

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
    return gdf(
        [
            {
                "community_id": "A",
                "name": "甲社区",
                "street": "武康街道",
                "kind": "urban",
                "population": 7980,
                "geometry": square(0, 0, 1000),
            },
            {
                "community_id": "B",
                "name": "乙社区",
                "street": "武康街道",
                "kind": "village_to_residence",
                "population": None,
                "geometry": square(1000, 0, 1000),
            },
        ]
    )


def one_estate_each() -> gpd.GeoDataFrame:
    """E1 (1,200 households) in A and E2 (800) in B of :func:`two_communities`."""
    return gdf(
        [
            {
                "estate_id": "E1",
                "name": "一号小区",
                "households": 1200,
                "geometry": square(100, 100),
            },
            {
                "estate_id": "E2",
                "name": "二号小区",
                "households": 800,
                "geometry": square(1100, 100),
            },
        ]
    )


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


def folder_hash(folder: Path) -> str:
    """One sha256 over the names and bytes of every file below ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def hand_made_premises(*, p4_community: str | None = None) -> gpd.GeoDataFrame:
    """P1 (1,500 m² new build) and P2 (120 m² service centre) in A, P3 (600 m² leased) in B,
    P4 (200 m² planned) in B by location."""
    return gdf(
        [
            {
                "premises_id": "P1",
                "community_id": "A",
                "function": "party_service_centre",
                "floor_area_m2": 1500,
                "tenure": "new_build",
                "cost_yuan": 2_400_000,
                "floor": 1,
                "geometry": pt(150, 150),
            },
            {
                "premises_id": "P2",
                "community_id": "A",
                "function": "service_centre",
                "floor_area_m2": 120,
                "tenure": "renovated",
                "cost_yuan": 300_000,
                "floor": 1,
                "geometry": pt(160, 150),
            },
            {
                "premises_id": "P3",
                "community_id": "B",
                "function": "elderly_care",
                "floor_area_m2": 600,
                "tenure": "leased",
                "annual_rent_yuan": 300_000,
                "geometry": pt(1550, 550),
            },
            {
                "premises_id": "P4",
                "community_id": p4_community,
                "function": "other",
                "floor_area_m2": 200,
                "tenure": "new_build",
                "status": "planned",
                "geometry": pt(1800, 800),
            },
        ]
    )


def warned(problems, code: str, **values) -> bool:
    """Whether ``problems`` (warnings or an error's problems) hold a message ``code`` whose
    parameters include ``values`` (compared as text)."""
    return any(
        p.code == code and all(str(p.message.values.get(k)) == str(v) for k, v in values.items())
        for p in problems
    )


def codes(problems) -> list:
    """The code of every problem or warning, in order."""
    return [p.code for p in problems]
