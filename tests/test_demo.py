"""The demo generator (tools/datagen): deterministic bytes, the committed demo, the designed rule
branches; gis_planner.datasets, which ships the demo."""

from __future__ import annotations

import ast
import csv
import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

from gis_planner.datasets import available, get_path
from tools.datagen.common import FIXED_TIMESTAMP
from tools.datagen.deqing import generate_demo
from tools.datagen.scale import generate_scale

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "layers" / "deqing_demo"
DATA = REPO / "gis_planner" / "data"
CRS = "EPSG:4549"
FILES = (
    "communities.gpkg",
    "estates.geojson",
    "premises.geojson",
    "planned_roads.geojson",
    "development_parcels.geojson",
    "county_outline.geojson",
    "population.tif",
    "README.md",
    "planner.yaml",
)
PREMISES_FIELDS = [
    "用房编号",
    "社区代码",
    "名称",
    "功能",
    "建筑面积",
    "楼层",
    "建设方式",
    "建设投入",
    "年租金",
    "状态",
]
FUNCTIONS_ZH = {
    "党群服务中心",
    "便民服务中心",
    "社区工作服务用房",
    "养老服务用房",
    "幸福邻里中心",
    "儿童之家",
    "卫生服务站",
    "婴幼儿照护",
    "其他",
}
TENURE = {
    "新建": "new_build",
    "开发商代建": "developer_built",
    "改建": "renovated",
    "租赁": "leased",
    "购买": "purchased",
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo generated twice, into two folders."""
    a = tmp_path_factory.mktemp("demo_a")
    b = tmp_path_factory.mktemp("demo_b")
    paths = generate_demo(a)
    assert {p.name for p in paths.values()} == set(FILES)
    generate_demo(b)
    return a, b


@pytest.fixture(scope="module")
def layers(generated: tuple[Path, Path]) -> dict[str, gpd.GeoDataFrame]:
    """The generated layers read back, every one in EPSG:4549."""
    folder = generated[0]
    out = {"communities": gpd.read_file(folder / "communities.gpkg")}
    for name in ("estates", "premises", "planned_roads", "development_parcels"):
        gdf = gpd.read_file(folder / f"{name}.geojson")
        assert gdf.crs.to_epsg() == 4326, name
        out[name] = gdf.to_crs(CRS)
    return out


@pytest.fixture(scope="module")
def shares(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Area share of every estate in every community it overlaps."""
    est, com = layers["estates"], layers["communities"]
    ei, ci = shapely.STRtree(com.geometry.values).query(est.geometry.values, predicate="intersects")
    inter = shapely.area(shapely.intersection(est.geometry.values[ei], com.geometry.values[ci]))
    df = pd.DataFrame({"e": ei, "c": ci, "share": inter / est.geometry.area.to_numpy()[ei]})
    return df[df["share"] > 1e-9]


@pytest.fixture(scope="module")
def community_households(layers, shares) -> pd.Series:
    est, com = layers["estates"], layers["communities"]
    hh = shares["share"] * est["households"].to_numpy()[shares["e"]]
    return (
        hh.groupby(shares["c"]).sum().reindex(range(len(com)), fill_value=0.0).set_axis(com["name"])
    )


# ----------------------------------------------------------------------------- bytes
def test_deterministic_and_equal_to_the_committed_demo(generated: tuple[Path, Path]) -> None:
    a, b = generated
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs between runs"
        assert (COMMITTED / name).is_file(), f"layers/deqing_demo/{name} is missing"
        assert (a / name).read_bytes() == (COMMITTED / name).read_bytes(), (
            f"layers/deqing_demo/{name} is stale: run `python -m tools.datagen.deqing`"
        )
    assert sorted(p.name for p in COMMITTED.iterdir()) == sorted(FILES)


def test_sizes(generated: tuple[Path, Path]) -> None:
    sizes = {name: (generated[0] / name).stat().st_size for name in FILES}
    assert all(size < 1_000_000 for size in sizes.values()), sizes
    assert sum(sizes.values()) < 3_000_000


def test_geopackage_timestamp_fixed(generated: tuple[Path, Path]) -> None:
    with sqlite3.connect(generated[0] / "communities.gpkg") as con:
        stamps = {row[0] for row in con.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {FIXED_TIMESTAMP}


def test_geojson_is_rfc7946(generated: tuple[Path, Path]) -> None:
    for name in ("estates", "premises", "planned_roads", "development_parcels", "county_outline"):
        doc = json.loads((generated[0] / f"{name}.geojson").read_text(encoding="utf-8"))
        assert "crs" not in doc
        coords = np.concatenate(
            [
                shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
                for f in doc["features"]
            ]
        )
        assert np.allclose(coords, coords.round(7), atol=1e-12, rtol=0)
        assert (coords[:, 0] > 119.0).all() and (coords[:, 0] < 121.0).all()
        assert (coords[:, 1] > 30.0).all() and (coords[:, 1] < 31.0).all()


def test_get_path_finds_the_committed_demo() -> None:
    assert available() == ["deqing_demo"]
    assert get_path() == get_path("deqing_demo") == COMMITTED.resolve()
    assert sorted(p.name for p in get_path().iterdir()) == sorted(FILES)


def test_get_path_of_an_unknown_dataset_lists_the_available_ones() -> None:
    with pytest.raises(ValueError, match="no dataset 'deqing' .*available: deqing_demo"):
        get_path("deqing")


def test_nothing_in_the_package_imports_the_generators() -> None:
    """tools/ is not packaged: gis_planner must run without it."""
    for path in (REPO / "gis_planner").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "tools" or n.startswith("tools.") for n in names), path


# ----------------------------------------------------------------------------- communities
def test_communities_are_the_real_ones(layers) -> None:
    com = layers["communities"]
    assert com.crs.to_epsg() == 4549
    with open(DATA / "deqing_central_communities_nbs2023.csv", encoding="utf-8") as fh:
        ref = {r["code"]: r["name"].removesuffix("居委会") for r in csv.DictReader(fh)}
    assert dict(zip(com["community_id"], com["name"], strict=True)) == ref
    streets = {"330521001": "武康街道", "330521002": "舞阳街道", "330521003": "阜溪街道"}
    assert [streets[c[:9]] for c in com["community_id"]] == list(com["street"])
    assert (com["kind"] == "village_to_residence").sum() == 1
    assert set(com["kind"]) == {"urban", "village_to_residence"}
    assert 2 <= com["population"].isna().sum() <= 3
    assert list(com["standard"].dropna()) == ["renovated"]


def test_communities_tile_without_gaps_or_overlaps(layers) -> None:
    geoms = layers["communities"].geometry.values
    assert set(shapely.get_type_id(geoms)) == {3}  # single polygons
    assert shapely.is_valid(geoms).all()
    city = shapely.union_all(geoms)
    assert abs(city.area - shapely.area(geoms).sum()) < 1.0
    assert city.geom_type == "Polygon" and not list(city.interiors)
    coords = shapely.get_coordinates(geoms)
    assert np.allclose(coords * 100, np.round(coords * 100), atol=1e-6, rtol=0)  # 0.01 m
    # around Wukang, 119.97 E 30.54 N
    centre = gpd.GeoSeries([city.centroid], crs=CRS).to_crs(4326).iloc[0]
    assert abs(centre.x - 119.97) < 0.03 and abs(centre.y - 30.54) < 0.03


# ----------------------------------------------------------------------------- estates
def test_estates_sizes_and_attributes(layers) -> None:
    est = layers["estates"]
    assert 300 <= len(est) <= 600
    assert est["estate_id"].is_unique and est["name"].is_unique
    area = est.geometry.area
    assert area.min() >= 5_000 * 0.999 and area.max() <= 100_000
    assert est["households"].between(100, 3000).all()
    assert 60_000 <= est["households"].sum() <= 75_000
    years = est["built_year"].dropna()
    assert years.between(1980, 2022).all() and 0 < est["built_year"].isna().sum() < 10
    assert set(est["enclosure"]) == {"open", "semi_open", "enclosed"}
    assert set(est["facade"].dropna()) == {"good", "fair", "damaged"}
    assert set(est["condition"].dropna()) == {"good", "fair", "poor"}
    for col in ("survey_participation", "survey_support", "commercial_frontage"):
        assert est[col].dropna().between(0, 1).all()
    assert est["survey_support"].isna().mean() > 0.8  # unknown for most
    geoms = est.geometry.values
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    assert (a == b).all(), "estates overlap"


def test_households_per_community_designed(community_households: pd.Series) -> None:
    hh = community_households
    assert (hh < 1500).sum() >= 2
    assert (hh > 4000).sum() >= 2
    middle = hh[(hh >= 1500) & (hh <= 4000)]
    assert len(middle) == len(hh) - (hh < 1500).sum() - (hh > 4000).sum()


def test_straddlers_and_the_one_unassigned_estate(layers, shares) -> None:
    est, com = layers["estates"], layers["communities"]
    n_comm = shares.groupby("e").size().reindex(range(len(est)), fill_value=0)
    unassigned = np.flatnonzero(n_comm.to_numpy() == 0)
    assert len(unassigned) == 1
    assert est["name"].iat[unassigned[0]] == "城郊待划入小区"
    city = shapely.union_all(com.geometry.values)
    others = est.drop(index=est.index[unassigned]).geometry
    assert shapely.within(others.values, city.buffer(0.05)).all()
    minor = shares.groupby("e")["share"].min()[n_comm[n_comm > 1].index]
    assert ((minor >= 0.2) & (minor <= 0.6)).sum() >= 5


def test_old_open_estates_cover_every_r6_case(layers) -> None:
    est = layers["estates"]
    op = est["enclosure"].isin(["open", "semi_open"])
    old_open = est[op & (est["built_year"] < 2000)]
    assert len(old_open) >= 60
    p, s = old_open["survey_participation"], old_open["survey_support"]
    passes = (p >= 2 / 3) & (s >= 0.75)
    assert passes.sum() >= 3
    assert ((p < 2 / 3) | (s < 0.75)).sum() >= 2
    assert (passes & (s == 0.75)).sum() >= 1
    assert s.isna().sum() >= 20
    assert (old_open["commercial_frontage"] > 0.3).sum() >= 2
    assert (old_open["facade"] == "damaged").sum() >= 2
    assert old_open["property_management"].eq(False).sum() >= 5
    post = est[op & (est["built_year"] >= 2000)]
    assert (post["condition"] == "poor").sum() >= 1 and (post["condition"] != "poor").sum() >= 1
    assert (est["enclosure"] == "enclosed").sum() >= 20


def test_planned_roads(layers) -> None:
    est, roads = layers["estates"], layers["planned_roads"]
    assert set(shapely.get_type_id(roads.geometry.values)) == {1}  # LineString
    assert roads["road_id"].is_unique and roads["name"].str.startswith("规划").all()
    eg = est.geometry.values
    ri, ei = shapely.STRtree(eg).query(roads.geometry.values, predicate="dwithin", distance=3.0)
    rg = roads.geometry.values[ri]
    inner = shapely.buffer(eg[ei], -5.0, join_style="mitre")
    crossing = shapely.length(shapely.intersection(rg, inner))
    inside = shapely.length(shapely.intersection(rg, eg[ei]))
    old_open = (
        est["enclosure"].isin(["open", "semi_open"]) & (est["built_year"] < 2000)
    ).to_numpy()
    assert ((crossing > 40.0) & old_open[ei]).sum() >= 2  # well over 20 m through the interior
    assert ((crossing == 0) & (inside == 0)).sum() >= 1  # along an edge, outside
    assert ((crossing == 0) & (inside > 20)).sum() >= 1  # along an edge, inside the 5 m band
    assert ((crossing == 0) & (inside >= 10) & (inside <= 15)).sum() >= 1  # a corner


# ----------------------------------------------------------------------------- premises
def test_premises_spreadsheet_fields_and_values(layers) -> None:
    pre = layers["premises"]
    assert [c for c in pre.columns if c != "geometry"] == PREMISES_FIELDS
    assert set(pre["功能"]) == FUNCTIONS_ZH
    assert set(pre["建设方式"]) == set(TENURE)
    assert set(pre["状态"]) == {"现状", "规划"}
    assert pre["用房编号"].is_unique
    sc = pre[(pre["功能"] == "便民服务中心") & (pre["状态"] == "现状")]
    assert (sc["楼层"] >= 2).sum() >= 1 and (sc["建筑面积"] < 100).sum() >= 1
    assert 1 <= pre["社区代码"].isna().sum() <= 5
    build = pre["建设方式"].isin(["新建", "改建"])
    assert pre.loc[build, "建设投入"].notna().all()
    assert pre.loc[pre["建设方式"] == "租赁", "年租金"].notna().all()
    assert pre.loc[~build & (pre["建设方式"] != "购买"), "建设投入"].isna().all()


def test_premises_inside_their_community(layers) -> None:
    pre, com = layers["premises"], layers["communities"]
    by_code = com.set_index("community_id").geometry
    coded = pre[pre["社区代码"].notna()]
    assert shapely.within(coded.geometry.values, by_code.loc[coded["社区代码"]].values).all()
    city = shapely.union_all(com.geometry.values)
    assert shapely.within(pre.geometry.values, city).all()


def test_premises_designed_against_r1_and_r3(layers, community_households) -> None:
    pre, com = layers["premises"], layers["communities"]
    pos = shapely.STRtree(com.geometry.values).query(pre.geometry.values, predicate="within")
    where = pd.Series(com["community_id"].to_numpy()[pos[1]], index=pos[0]).sort_index()
    pre = pre.assign(cid=pre["社区代码"].fillna(where), tenure=pre["建设方式"].map(TENURE))
    existing = pre[pre["状态"] == "现状"]
    hh = dict(zip(com["community_id"], community_households.to_numpy(), strict=True))
    status = {}
    for row in com.itertuples():
        mine = existing[existing["cid"] == row.community_id]
        if isinstance(row.standard, str):
            std = row.standard
        elif len(mine):
            largest = mine.loc[mine["建筑面积"].idxmax(), "tenure"]
            std = "new" if largest in ("new_build", "developer_built") else "renovated"
        else:
            std = "new"
        rate, minimum = (80, 1800) if std == "new" else (75, 1200)
        required = max(rate * hh[row.community_id] / 100, minimum)
        area = mine["建筑面积"].sum()
        status[row.community_id] = (
            "none" if not len(mine) else "meets" if area >= required else "short"
        )
        if len(mine):  # never within 2 % of the threshold: robust to reprojection
            assert abs(area / required - 1) > 0.02
    counts = pd.Series(status).value_counts()
    assert counts["meets"] >= 3 and counts["short"] >= 3 and counts["none"] >= 2
    costs = (
        existing[existing["tenure"].isin(["new_build", "renovated"])]
        .groupby("cid")["建设投入"]
        .sum()
    )
    kinds = com.set_index("community_id")["kind"]
    assert (costs[kinds.loc[costs.index] == "urban"] > 2_000_000).any()
    v2r = kinds[kinds == "village_to_residence"].index[0]
    assert ((existing["cid"] == v2r) & (existing["tenure"] == "renovated")).any()


# ----------------------------------------------------------------------------- others
def test_development_parcels(layers, shares) -> None:
    par, est, com = layers["development_parcels"], layers["estates"], layers["communities"]
    assert 6 <= len(par) <= 10
    assert par.geometry.area.between(20_000, 80_000).all()
    assert par["delivery_year"].between(2024, 2034).all()
    floor_only = par["planned_households"].isna()
    assert floor_only.sum() == 1 and par.loc[floor_only, "residential_floor_area_m2"].notna().all()
    assert (
        not shapely.STRtree(est.geometry.values)
        .query(par.geometry.values, predicate="intersects")
        .size
    )
    pi, ci = shapely.STRtree(com.geometry.values).query(par.geometry.values, predicate="intersects")
    share = shapely.area(shapely.intersection(par.geometry.values[pi], com.geometry.values[ci]))
    share = share / par.geometry.area.to_numpy()[pi]
    straddling = pd.Series(share).groupby(pi).apply(lambda s: (s > 0.1).sum() > 1)
    assert straddling.sum() == 1


def test_population_raster(generated: tuple[Path, Path], layers) -> None:
    with rasterio.open(generated[0] / "population.tif") as src:
        assert src.crs.to_epsg() == 4549
        assert src.res == (100.0, 100.0)
        assert src.dtypes[0] == "float32" and src.nodata == -9999.0
        assert src.compression.name.lower() == "deflate"
        assert "TIFFTAG_DATETIME" not in src.tags()
        grid = src.read(1)
    total = layers["estates"]["households"].sum() * 2.66
    assert grid[grid != -9999.0].sum() == pytest.approx(total, rel=0.01)
    assert (grid == -9999.0).any()


def test_county_outline_and_readme(generated: tuple[Path, Path]) -> None:
    outline = gpd.read_file(generated[0] / "county_outline.geojson")
    assert list(outline["name"]) == ["德清县"] and list(outline["adcode"]) == ["330521"]
    readme = (generated[0] / "README.md").read_text(encoding="utf-8")
    for text in (
        "SYNTHETIC",
        "**real**",
        "python -m tools.datagen.deqing",
        "Rule branches exercised",
        "城郊待划入小区",
        "R6",
        "candidate_exception",
    ):
        assert text in readme


# ----------------------------------------------------------------------------- scale data
def test_generate_scale_small(tmp_path: Path) -> None:
    paths = generate_scale(tmp_path / "a", n_communities=10, n_estates=200, n_premises=30)
    com = gpd.read_file(paths["communities"])
    est = gpd.read_file(paths["estates"])
    pre = gpd.read_file(paths["premises"])
    assert (len(com), len(est), len(pre)) == (10, 200, 30)
    assert {g.crs.to_epsg() for g in (com, est, pre)} == {4549}
    assert com["community_id"].is_unique and est["estate_id"].is_unique
    assert pre["premises_id"].is_unique
    geoms = com.geometry.values
    assert abs(shapely.union_all(geoms).area - shapely.area(geoms).sum()) < 1.0
    eg = est.geometry.values
    a, b = shapely.STRtree(eg).query(eg, predicate="intersects")
    assert (a == b).all()
    assert est.geometry.area.between(5_000, 100_000).all()
    assert est["households"].between(100, 3000).all()
    ei, _ = shapely.STRtree(geoms).query(eg, predicate="intersects")
    assert 1 <= (np.bincount(ei) > 1).sum() <= 20  # a few straddle
    assert shapely.within(pre.geometry.values, shapely.union_all(geoms)).all()
    assert set(pre["tenure"]) <= set(TENURE.values())
    again = generate_scale(tmp_path / "b", n_communities=10, n_estates=200, n_premises=30)
    for key, path in paths.items():
        assert path.read_bytes() == again[key].read_bytes()
