"""Loading and validation of a layers folder: every error path names file, field, rows, fix."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from gis_planner.errors import InputError
from gis_planner.io.layers import load_layers

from .conftest import X0, Y0, gdf, pt, square, two_communities, write_layers


def _estates(**extra):
    rows = [
        {"estate_id": "E1", "name": "一号小区", "households": 1200, "geometry": square(100, 100)},
        {"estate_id": "E2", "name": "二号小区", "households": 800, "geometry": square(1100, 100)},
    ]
    for row in rows:
        row.update(extra)
    return gdf(rows)


def test_loads_and_reprojects_to_working_crs(tmp_path):
    communities = two_communities().to_crs("EPSG:4326")
    folder = write_layers(tmp_path / "l", communities__geojson=communities, estates=_estates())
    data = load_layers(folder)
    assert data.communities.crs == "EPSG:4549" and data.estates.crs == "EPSG:4549"
    assert abs(data.communities.area.iloc[0] - 1_000_000) < 1  # 1 km² survives the round trip
    assert data.communities["kind"].tolist() == ["urban", "village_to_residence"]


def test_chinese_field_names_and_values_are_accepted(tmp_path):
    communities = two_communities().rename(
        columns={"community_id": "社区代码", "name": "社区名称", "kind": "社区类型"}
    )
    communities["社区类型"] = ["城市社区", "村改居社区"]
    estates = _estates().rename(
        columns={"estate_id": "小区代码", "name": "小区名称", "households": "户数"}
    )
    estates["封闭情况"] = ["开放式", "封闭式"]
    estates["物业管理"] = ["无", "有"]
    premises = gdf(
        [
            {
                "用房编号": "P1",
                "功能": "便民服务中心",
                "建筑面积": 120,
                "建设方式": "租赁",
                "状态": "现状",
                "geometry": pt(10, 10),
            }
        ]
    )
    folder = write_layers(
        tmp_path / "l", communities=communities, estates=estates, premises=premises
    )
    data = load_layers(folder)
    assert data.communities["kind"].tolist() == ["urban", "village_to_residence"]
    assert data.estates["enclosure"].tolist() == ["open", "enclosed"]
    assert data.estates["property_management"].tolist() == [False, True]
    assert data.premises.iloc[0][["function", "tenure", "status"]].tolist() == [
        "service_centre",
        "leased",
        "existing",
    ]


def test_no_crs_and_none_declared_is_an_error_naming_the_file(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities())
    estates = _estates()
    estates.crs = None
    estates.to_file(folder / "estates.shp", engine="pyogrio")
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert "estates.shp" in str(err.value) and "layers.estates.crs" in str(err.value)


def test_declared_crs_fills_a_missing_crs(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities())
    estates = _estates()
    estates.crs = None
    estates.to_file(folder / "estates.shp", engine="pyogrio")
    (folder / "planner.yaml").write_text(
        'layers:\n  estates: {crs: "EPSG:4549"}\n', encoding="utf-8"
    )
    assert load_layers(folder).estates.crs == "EPSG:4549"


def test_declared_crs_never_overrides_a_stated_one(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=_estates())
    (folder / "planner.yaml").write_text(
        'layers:\n  estates: {crs: "EPSG:4528"}\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match="EPSG:4549.*EPSG:4528"):
        load_layers(folder)


def test_metres_in_a_geojson_are_an_error(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities())
    estates = _estates()
    feature_collection = json.loads(estates.to_json())
    del feature_collection["crs"]  # metres, but no crs member: RFC 7946 reads lon/lat
    (folder / "estates.geojson").write_text(json.dumps(feature_collection), encoding="utf-8")
    with pytest.raises(InputError, match="estates.geojson.*RFC 7946"):
        load_layers(folder, lang="zh")


def test_missing_required_field_names_similar_fields(tmp_path):
    estates = _estates().rename(columns={"households": "household_count"})
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    with pytest.raises(InputError) as err:
        load_layers(folder, lang="en")
    text = str(err.value)
    assert "estates.gpkg" in text and "'households'" in text and "household_count" in text
    assert "planner.yaml" in text


def test_all_problems_of_a_layer_in_one_message(tmp_path):
    estates = gdf(
        [
            {
                "estate_id": "E1",
                "name": "a",
                "households": -12,
                "enclosure": "open",
                "geometry": square(0, 0),
            },
            {
                "estate_id": "E1",
                "name": "b",
                "households": "约300",
                "enclosure": "半开放",
                "geometry": square(200, 0),
            },
            {
                "estate_id": "E3",
                "name": "c",
                "households": 10,
                "enclosure": "open",
                "built_year": 2099,
                "geometry": square(400, 0),
            },
        ]
    )
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    with pytest.raises(InputError) as err:
        load_layers(folder, lang="en")
    text = str(err.value)
    assert "whole number >= 0" in text and "E1 (-12)" in text and "'约300'" in text
    assert "must be unique; duplicates: E1" in text
    assert "unknown values" in text and "半开放" in text and "open/开放式" in text
    assert "built_year" in text and "E3 (2099)" in text
    assert len(err.value.problems) == 4


def test_empty_required_layer_is_an_error_and_an_empty_optional_one_a_warning(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities())
    empty = gpd.GeoDataFrame(
        {"estate_id": [], "name": [], "households": []}, geometry=[], crs="EPSG:4549"
    )
    empty.to_file(folder / "estates.gpkg", engine="pyogrio")
    data = load_layers(folder, lang="en")
    assert data.estates is None
    assert any("estates.gpkg" in w.source and "empty" in w.message for w in data.warnings)
    empty = gpd.GeoDataFrame({"community_id": [], "name": []}, geometry=[], crs="EPSG:4549")
    empty.to_file(folder / "communities.gpkg", engine="pyogrio")
    with pytest.raises(InputError, match="communities.gpkg.*empty"):
        load_layers(folder, lang="en")


def test_invalid_geometry_is_repaired_with_a_warning(tmp_path):
    bowtie = Polygon([(497000, 3379000), (497100, 3379100), (497100, 3379000), (497000, 3379100)])
    estates = _estates()
    estates.loc[0, "geometry"] = bowtie
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    data = load_layers(folder, lang="en")
    assert data.estates.geometry.is_valid.all()
    assert any("make_valid" in w.message and "E1" in w.message for w in data.warnings)


def test_premises_with_unknown_community_id_is_an_error(tmp_path):
    premises = gdf(
        [
            {
                "premises_id": "P1",
                "community_id": "Z",
                "function": "other",
                "floor_area_m2": 10,
                "tenure": "leased",
                "geometry": pt(10, 10),
            }
        ]
    )
    folder = write_layers(tmp_path / "l", communities=two_communities(), premises=premises)
    with pytest.raises(InputError, match="P1 \\('Z'\\)"):
        load_layers(folder, lang="en")


def test_missing_communities_layer_is_an_error(tmp_path):
    folder = write_layers(tmp_path / "l", estates=_estates())
    with pytest.raises(InputError, match="communities"):
        load_layers(folder, lang="en")


def test_unknown_planner_yaml_key_lists_the_valid_ones(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities())
    (folder / "planner.yaml").write_text(
        "layerz: {}\nlayers:\n  estates: {fille: x}\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        load_layers(folder, lang="en")
    assert "'layerz'" in str(err.value) and "household_size" in str(err.value)
    assert "'layers.estates.fille'" in str(err.value)


def test_field_map_and_percent_shares(tmp_path):
    estates = _estates()
    estates["支持率(%)"] = [80, 60]
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    (folder / "planner.yaml").write_text(
        "layers:\n  estates:\n    fields: {支持率(%): survey_support}\n", encoding="utf-8"
    )
    data = load_layers(folder, lang="en")
    assert data.estates["survey_support"].tolist() == [0.8, 0.6]
    assert any("percentages" in w.message for w in data.warnings)


@pytest.mark.parametrize("with_cpg", [True, False])
def test_gbk_shapefile_with_or_without_cpg(tmp_path, with_cpg):
    folder = write_layers(tmp_path / "l", estates=_estates())
    communities = two_communities()
    communities.to_file(folder / "communities.shp", engine="pyogrio", encoding="GBK")
    if not with_cpg:
        (folder / "communities.cpg").unlink()
    data = load_layers(folder, lang="en")
    assert data.communities["name"].tolist() == ["甲社区", "乙社区"]
    assert any("GB18030" in w.message for w in data.warnings) is (not with_cpg)


def test_gcj02_declared_layer_is_converted_to_wgs84(tmp_path):
    from gis_planner.crs import geometries_wgs84_to_gcj02

    premises = gdf(
        [
            {
                "premises_id": "P1",
                "function": "other",
                "floor_area_m2": 10,
                "tenure": "leased",
                "geometry": pt(500, 500),
            }
        ]
    ).to_crs("EPSG:4326")
    shifted = premises.copy()
    shifted["geometry"] = geometries_wgs84_to_gcj02(premises.geometry.values)
    folder = write_layers(tmp_path / "l", communities=two_communities(), premises__geojson=shifted)
    (folder / "planner.yaml").write_text("layers:\n  premises: {gcj02: true}\n", encoding="utf-8")
    data = load_layers(folder)
    expected = pt(500, 500)
    assert data.premises.geometry.iloc[0].distance(expected) < 0.01  # back within 1 cm


def test_households_table_fills_counts_and_reports_unmatched_rows(tmp_path):
    estates = _estates()
    estates["households"] = [None, 800]
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    (folder / "households.csv").write_text(
        "小区代码,户数,统计日期\nE1,1234,2024-12-31\nE9,50,2024-12-31\n", encoding="utf-8"
    )
    data = load_layers(folder, lang="en")
    assert data.estates["households"].tolist() == [1234, 800]
    assert any(
        "1 row(s) of the households table match no estate: E9" in w.message for w in data.warnings
    )
    assert "households" in data.sources


def test_households_table_leaving_an_estate_without_count_is_an_error(tmp_path):
    estates = _estates()
    estates["households"] = [None, None]
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    (folder / "households.csv").write_text("estate_id,households\nE1,10\n", encoding="utf-8")
    with pytest.raises(InputError, match="without a household count: E2"):
        load_layers(folder, lang="en")


def test_population_raster_without_nodata_is_an_error(tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import Affine

    folder = write_layers(tmp_path / "l", communities=two_communities())
    profile = {
        "driver": "GTiff",
        "width": 3,
        "height": 3,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4549",
        "transform": Affine(100, 0, 497000, 0, -100, 3380000),
    }
    with rasterio.open(folder / "population.tif", "w", **profile) as dst:
        dst.write(np.ones((1, 3, 3), dtype="float32"))
    with pytest.raises(InputError, match="population.tif.*nodata"):
        load_layers(folder, lang="en")


def test_geojson_without_crs_member_takes_the_declared_crs(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities())
    feature_collection = json.loads(_estates().to_json())
    del feature_collection["crs"]  # metres, no crs member: exported by a tool that forgot it
    (folder / "estates.geojson").write_text(json.dumps(feature_collection), encoding="utf-8")
    (folder / "planner.yaml").write_text(
        'layers:\n  estates: {crs: "EPSG:4549"}\n', encoding="utf-8"
    )
    data = load_layers(folder)
    assert abs(data.estates.area.iloc[0] - 10_000) < 0.01


def test_messages_name_the_column_the_planner_has(tmp_path):
    premises = gdf(
        [
            {
                "用房编号": "P1",
                "功能": "图书室",
                "建筑面积": 10,
                "建设方式": "租赁",
                "geometry": pt(10, 10),
            }
        ]
    )
    folder = write_layers(tmp_path / "l", communities=two_communities(), premises=premises)
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert "function（功能）" in str(err.value) and "'图书室'" in str(err.value)


def test_R6_planned_roads_with_non_line_geometries_are_an_error_naming_the_rows(tmp_path):
    from shapely.geometry import LineString

    roads = gdf(
        [
            {"road_id": "R1", "geometry": LineString([(X0, Y0), (X0 + 500, Y0)])},
            {"road_id": "R2", "geometry": square(0, 0)},
            {"road_id": "R3", "geometry": pt(5, 5)},
        ]
    )
    folder = write_layers(tmp_path / "l", communities=two_communities(), planned_roads=roads)
    with pytest.raises(InputError) as err:
        load_layers(folder, lang="en")
    text = str(err.value)
    assert "planned_roads.gpkg" in text and "LineString/MultiLineString" in text
    assert "R2 ('Polygon')" in text and "R3 ('Point')" in text


def test_R6_build_year_before_1900_is_an_error(tmp_path):
    folder = write_layers(
        tmp_path / "l", communities=two_communities(), estates=_estates(built_year=1850)
    )
    with pytest.raises(InputError, match=r"built_year.*1900.*E1 \(1850\)"):
        load_layers(folder, lang="en")


def test_R6_survey_share_outside_0_1_and_not_a_percentage_is_an_error(tmp_path):
    folder = write_layers(
        tmp_path / "l", communities=two_communities(), estates=_estates(survey_support=-0.2)
    )
    with pytest.raises(InputError, match=r"survey_support.*share between 0 and 1.*E1 \(-0.2\)"):
        load_layers(folder, lang="en")


def test_share_column_mixing_fractions_and_percentages_is_an_error(tmp_path):
    estates = _estates()
    estates["survey_support"] = [0.8, 75]
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    with pytest.raises(InputError, match=r"mixes shares.*E1 \(0.8\)"):
        load_layers(folder, lang="en")


def test_households_table_with_two_rows_for_one_estate_is_an_error(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=_estates())
    (folder / "households.csv").write_text("estate_id,households\nE1,10\nE1,20\n", encoding="utf-8")
    with pytest.raises(InputError, match="several rows for one estate.*E1"):
        load_layers(folder, lang="en")


def test_overlapping_communities_are_reported(tmp_path):
    communities = two_communities()
    communities.loc[1, "geometry"] = square(900, 0, 1000)  # overlaps A by 100 m × 1,000 m
    folder = write_layers(tmp_path / "l", communities=communities)
    data = load_layers(folder, lang="en")
    assert any("overlap" in w.message and "A×B (100,000 m²)" in w.message for w in data.warnings)


def test_public_functions_refuse_layers_outside_the_working_crs():
    from gis_planner.households import allocate_households
    from gis_planner.layout.scale import nearest_premises
    from gis_planner.premises import assign_premises
    from gis_planner.rules import load_rules

    estates = _estates().to_crs("EPSG:4326")
    with pytest.raises(InputError, match="EPSG:4549"):
        allocate_households(estates, two_communities())
    premises = gdf([{"premises_id": "P1", "geometry": pt(10, 10)}]).to_crs("EPSG:4326")
    with pytest.raises(InputError, match="EPSG:4549"):
        assign_premises(premises, two_communities())
    with pytest.raises(InputError, match="EPSG:4549"):
        nearest_premises(_estates(), premises, rules=load_rules())
