"""End to end on hand-made layers: every figure of the outputs worked out by hand (R1, R3–R7)."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from gis_planner.cli import app
from gis_planner.io.layers import load_layers
from gis_planner.pipeline import analyse

from .conftest import gdf, hand_made_premises, square, two_communities, warned, write_layers

COMMUNITY_FIELDS = [
    "households",
    "population_used",
    "standard",
    "required_area_m2",
    "premises_area_m2",
    "shortfall_m2",
    "premises_status",
    "service_centre_ok",
    "staff_min",
    "staff_max",
    "working_funds_yuan",
    "cobuild_funds_yuan",
    "subsidy_build_yuan",
    "subsidy_rent_yuan_per_year",
    "scale_status",
    "warnings",
]
ESTATE_FIELDS = [
    "community_id",
    "community_shares",
    "enclosure_status",
    "enclosure_reasons",
    "walls_included",
    "nearest_premises_m",
    "covered",
]
PREMISES_FIELDS = [
    "community_id",
    "subsidy_build_yuan",
    "subsidy_rent_yuan_per_year",
    "subsidy_note",
]


def hand_made(folder):
    estates = gdf(
        [
            {
                "estate_id": "E1",
                "name": "一号小区",
                "households": 2500,
                "built_year": 1995,
                "enclosure": "open",
                "geometry": square(100, 100),
            },
            {
                "estate_id": "E2",
                "name": "二号小区",
                "households": 1000,
                "built_year": 2005,
                "enclosure": "enclosed",
                "geometry": square(950, 100),
            },  # half in A, half in B
            {
                "estate_id": "E3",
                "name": "三号小区",
                "households": 1200,
                "built_year": 1990,
                "enclosure": "semi_open",
                "geometry": square(1500, 500),
            },
            {"estate_id": "E4", "name": "城外小区", "households": 77, "geometry": square(5000, 0)},
        ]
    )
    premises = hand_made_premises(p4_community=None)
    return write_layers(folder, communities=two_communities(), estates=estates, premises=premises)


def test_R1_R3_R4_R5_R7_figures_by_hand(tmp_path):
    results = analyse(load_layers(hand_made(tmp_path / "l")))
    c = results.communities.set_index("community_id")
    # households: A = 2,500 + 500 (half of E2); B = 500 + 1,200; E4 (77) unassigned
    assert c["households"].tolist() == [3000, 1700]
    assert results.summary["households_unassigned"] == 77
    assert results.summary["households_total"] == 3000 + 1700 + 77
    # R1 A: largest premises new-build → new: max(80 × 30, 1,800) = 2,400; 1,620 existing
    assert c.loc[
        "A", ["standard", "required_area_m2", "premises_area_m2", "shortfall_m2", "premises_status"]
    ].tolist() == ["new", 2400, 1620, 780, "short"]
    assert bool(c.loc["A", "service_centre_ok"])
    # R1 B: largest premises leased → renovated: max(75 × 17, 1,200) = 1,275; 600 existing
    assert c.loc["B", ["standard", "required_area_m2", "shortfall_m2"]].tolist() == [
        "renovated",
        1275,
        675,
    ]
    # R5: A 3,000 → 7 + floor(1000/400) = 9 … 7 + floor(1000/300) = 10; B 1,700 → 7
    assert c[["staff_min", "staff_max"]].values.tolist() == [[9, 10], [7, 7]]
    # R4: A 100,000 + 7,980/100 × 1,500 = 219,700; B 1,700 × 2.66 = 4,522 → 167,830
    assert c["population_used"].tolist() == [7980, 4522]
    assert c["working_funds_yuan"].tolist() == [219_700, 167_830]
    # R3: A 50 % × (2.4M + 0.3M) = 1.35M → cap 1M; B lease 150k/yr → cap 100k/yr
    assert c["subsidy_build_yuan"].tolist() == pytest.approx([1_000_000, 0])
    assert c["subsidy_rent_yuan_per_year"].tolist() == [0, 100_000]
    p = results.premises.set_index("premises_id")
    assert p.loc["P1", "subsidy_build_yuan"] == pytest.approx(1_000_000 * 1.2 / 1.35, abs=0.01)
    assert p.loc["P4", "community_id"] == "B"  # placed by location
    assert p.loc["P4", "subsidy_build_yuan"] == 0  # planned: no current subsidy
    assert c["scale_status"].tolist() == ["ok", "ok"]
    e = results.estates.set_index("estate_id")
    assert pd.isna(e.loc["E4", "community_id"])
    assert json.loads(e.loc["E2", "community_shares"]) == {"A": 0.5, "B": 0.5}
    # E1 centroid (150, 150) is 0 m from P1; E3 centroid (1550, 550) is 0 m from P3
    assert e.loc["E1", "nearest_premises_m"] == 0 and e.loc["E1", "covered"]
    assert e.loc["E2", "enclosure_status"] == "not_applicable"
    assert warned(results.warnings, "estates_unassigned", n=1, households=77, rows="E4")


def test_R1_plan_year_counts_planned_premises(tmp_path):
    data = load_layers(hand_made(tmp_path / "l"))
    now = analyse(data).communities.set_index("community_id")
    later = analyse(data, year=2035).communities.set_index("community_id")
    assert later.loc["B", "premises_area_m2"] == now.loc["B", "premises_area_m2"] + 200


def test_cli_run_writes_every_output_with_the_fields_of_design_md(tmp_path):
    folder = hand_made(tmp_path / "l")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("communities", "estates", "premises"):
        assert (out / f"{name}.geojson").exists()
    communities = gpd.read_file(out / "communities.geojson")
    assert communities.crs.to_epsg() == 4326
    assert set(COMMUNITY_FIELDS) <= set(communities.columns)
    assert set(ESTATE_FIELDS) <= set(gpd.read_file(out / "estates.geojson").columns)
    assert set(PREMISES_FIELDS) <= set(gpd.read_file(out / "premises.geojson").columns)
    assert (out / "report.xlsx").exists()
    assert "达标社区" in result.output and "1,455 m²" in result.output  # 780 + 675
    assert not list(out.glob(".staging-*"))


def test_cli_bad_input_exits_1_lists_problems_and_writes_nothing(tmp_path):
    folder = hand_made(tmp_path / "l")
    estates = gpd.read_file(folder / "estates.gpkg")
    estates.loc[0, "households"] = -5
    estates.loc[1, "estate_id"] = "E1"
    estates.to_file(folder / "estates.gpkg", engine="pyogrio")
    out = tmp_path / "out"
    out.mkdir()
    (out / "communities.geojson").write_text("previous run", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(folder), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 1
    assert "E1 (-5)" in result.output and "duplicates: E1" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["communities.geojson"]
    assert (out / "communities.geojson").read_text(encoding="utf-8") == "previous run"


def test_cli_check_and_usage_error(tmp_path):
    folder = hand_made(tmp_path / "l")
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 0 and "estates" in result.output
    assert CliRunner().invoke(app, ["run"]).exit_code == 2


def test_cli_basemap_amap_shifts_the_map_but_not_the_data(tmp_path):
    folder = hand_made(tmp_path / "l")
    osm, amap = tmp_path / "osm", tmp_path / "amap"
    assert CliRunner().invoke(app, ["run", str(folder), "--out", str(osm)]).exit_code == 0
    result = CliRunner().invoke(app, ["run", str(folder), "--out", str(amap), "--basemap", "amap"])
    assert result.exit_code == 0, result.output
    assert "autonavi" in (amap / "map.html").read_text(encoding="utf-8")
    assert (osm / "communities.geojson").read_bytes() == (amap / "communities.geojson").read_bytes()
    assert CliRunner().invoke(app, ["run", str(folder), "--basemap", "bing"]).exit_code == 2


def test_households_missing_with_a_population_raster_are_estimated_and_flagged(demo_copy):
    import geopandas as gpd

    estates = gpd.read_file(demo_copy / "estates.geojson")
    given = estates.loc[:9, "households"].sum()
    estates.loc[:9, "households"] = None
    estates.to_file(demo_copy / "estates.geojson", driver="GeoJSON")
    results = analyse(load_layers(demo_copy))
    e = results.estates
    assert e["households_estimated"].sum() == 10
    assert not e["households"].isna().any()
    # the demo's raster is households × 2.66 spread by area: the estimate comes back close
    assert abs(int(e.loc[:9, "households"].sum()) - int(given)) <= 0.02 * given


def test_cli_refuses_to_write_into_the_layers_folder(tmp_path):
    folder = hand_made(tmp_path / "l")
    before = sorted(p.name for p in folder.iterdir())
    result = CliRunner().invoke(app, ["run", str(folder), "--out", str(folder)])
    assert result.exit_code == 2
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_later_run_removes_outputs_it_did_not_write_again(tmp_path):
    folder = hand_made(tmp_path / "l")
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["run", str(folder), "--out", str(out)]).exit_code == 0
    assert (out / "proposed_sites.geojson").exists()
    result = CliRunner().invoke(app, ["run", str(folder), "--out", str(out), "--no-proposals"])
    assert result.exit_code == 0, result.output
    assert not (out / "proposed_sites.geojson").exists()
    assert (out / "communities.geojson").exists()


def test_R7_a_county_whose_estates_all_lie_outside_its_communities_runs_without_proposals(tmp_path):
    """Found by the generated counties (issue 10): `check` accepted the folder and `run`
    stopped with "no candidate sites" (exit 1). The run goes on, every household reported
    unassigned, and says why there are no proposals."""
    folder = write_layers(
        tmp_path / "layers",
        communities=two_communities(),
        estates=gdf(
            [
                {"estate_id": "E1", "name": "外一", "households": 120, "geometry": square(2500, 0)},
                {"estate_id": "E2", "name": "外二", "households": 80, "geometry": square(2700, 0)},
            ]
        ),
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(folder), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "no boundary or premises-site proposals" in result.output
    assert not (out / "proposed_communities.geojson").exists()
    communities = gpd.read_file(out / "communities.geojson")
    assert communities["households"].sum() == 0
    estates = gpd.read_file(out / "estates.geojson")
    assert estates["community_id"].isna().all() and estates["households"].sum() == 200


def test_centroid_xy_is_geos_centroid_to_the_bit():
    """R7 reach is measured from each estate's centroid: the numpy centroids of
    ``centroid_xy`` are GEOS's own floats (rings of either orientation and any length, far
    from the origin as in EPSG:4549), and holes, multipolygons, empty and missing
    geometries go to GEOS."""
    import numpy as np
    import shapely

    from gis_planner.layout.scale import centroid_xy

    rng = np.random.default_rng(12)
    polygons = []
    for k in range(2000):
        n = 3 + k % 9
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radius = rng.uniform(5, 200, n)
        x = 497_000 + rng.uniform(-3e4, 3e4) + radius * np.cos(angles)
        y = 3_380_000 + rng.uniform(-3e4, 3e4) + radius * np.sin(angles)
        ring = np.column_stack([x, y])
        polygons.append(shapely.Polygon(ring if k % 2 else ring[::-1]))
    box = shapely.box(497_000, 3_380_000, 497_100, 3_380_080)
    others = [
        box.difference(shapely.box(497_010, 3_380_010, 497_020, 3_380_020)),  # a hole
        shapely.MultiPolygon([box, shapely.box(497_200, 3_380_000, 497_250, 3_380_010)]),
        shapely.Polygon(),
        None,
        shapely.Polygon([(0, 0), (1, 1), (2, 2), (0, 0)]),  # no area: GEOS's line centroid
    ]
    geoms = np.array(polygons + others, dtype=object)
    expected = np.full((len(geoms), 2), np.nan)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    expected[present] = shapely.get_coordinates(shapely.centroid(geoms[present]))
    got = centroid_xy(geoms)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.isnan(got[-3:-1]).all()  # empty and missing: no point
