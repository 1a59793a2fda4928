"""Loading and validation of a layers folder: every error path names file, field, rows, fix."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from gis_planner.errors import InputError, Problem
from gis_planner.i18n import Message
from gis_planner.io import load_layers

from .conftest import X0, Y0, gdf, pt, square, two_communities, write_layers


def _problem(err: pytest.ExceptionInfo, code: str) -> Problem:
    """The one problem of ``code`` the error holds."""
    found = [p for p in err.value.problems if p.code == code]
    assert len(found) == 1, err.value.codes
    return found[0]


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
    problem = _problem(err, "no_crs")
    assert problem.source == "estates.shp" and problem.message.values["layer"] == "estates"


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
    with pytest.raises(InputError) as err:
        load_layers(folder)
    values = _problem(err, "crs_conflict").message.values
    assert (values["stated"], values["declared"]) == ("EPSG:4549", "EPSG:4528")


def test_metres_in_a_geojson_are_an_error(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities())
    estates = _estates()
    feature_collection = json.loads(estates.to_json())
    del feature_collection["crs"]  # metres, but no crs member: RFC 7946 reads lon/lat
    (folder / "estates.geojson").write_text(json.dumps(feature_collection), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert _problem(err, "out_of_range_geographic").source == "estates.geojson"


def test_missing_required_field_names_similar_fields(tmp_path):
    estates = _estates().rename(columns={"households": "household_count"})
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    with pytest.raises(InputError) as err:
        load_layers(folder)
    problem = _problem(err, "field_missing")
    values = problem.message.values
    assert problem.source == "estates.gpkg" and values["field"] == "households"
    assert (
        values["similar"].code == "similar"
        and "household_count" in values["similar"].values["names"]
    )
    assert values["layer"] == "estates"  # the fix: layers.estates.fields in planner.yaml


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
        load_layers(folder)
    households = _problem(err, "not_integer").message.values
    assert households["field"] == "households" and households["minimum"] == 0
    assert households["rows"] == "E1 (-12), E1 ('约300')"
    assert _problem(err, "duplicate_ids").message.values["rows"] == "E1"
    enclosure = _problem(err, "bad_enum").message.values
    assert enclosure["rows"] == "E1 ('半开放')" and "open/开放式" in enclosure["valid"]
    built = _problem(err, "bad_year").message.values
    assert built["field"] == "built_year" and built["rows"] == "E3 (2099)"
    assert len(err.value.problems) == 4


def test_empty_required_layer_is_an_error_and_an_empty_optional_one_a_warning(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities())
    empty = gpd.GeoDataFrame(
        {"estate_id": [], "name": [], "households": []}, geometry=[], crs="EPSG:4549"
    )
    empty.to_file(folder / "estates.gpkg", engine="pyogrio")
    data = load_layers(folder)
    assert data.estates is None
    assert any(w.source == "estates.gpkg" and w.code == "empty_layer_absent" for w in data.warnings)
    empty = gpd.GeoDataFrame({"community_id": [], "name": []}, geometry=[], crs="EPSG:4549")
    empty.to_file(folder / "communities.gpkg", engine="pyogrio")
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert _problem(err, "empty_layer").source == "communities.gpkg"


def test_invalid_geometry_is_repaired_with_a_warning(tmp_path):
    bowtie = Polygon([(497000, 3379000), (497100, 3379100), (497100, 3379000), (497000, 3379100)])
    estates = _estates()
    estates.loc[0, "geometry"] = bowtie
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    data = load_layers(folder)
    assert data.estates.geometry.is_valid.all()
    assert any(
        w.code == "invalid_geometry" and w.message.values["rows"] == "E1" for w in data.warnings
    )


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
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert _problem(err, "unknown_community").message.values["rows"] == "P1 ('Z')"


def test_missing_communities_layer_is_an_error(tmp_path):
    folder = write_layers(tmp_path / "l", estates=_estates())
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert _problem(err, "layer_missing").message.values["layer"] == "communities"


def test_unknown_planner_yaml_key_lists_the_valid_ones(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities())
    (folder / "planner.yaml").write_text(
        "layerz: {}\nlayers:\n  estates: {fille: x}\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    unknown = {
        p.message.values["key"]: p.message.values["valid"]
        for p in err.value.problems
        if p.code == "config_unknown_key"
    }
    assert set(unknown) == {"layerz", "layers.estates.fille"}
    assert "household_size" in unknown["layerz"] and "file" in unknown["layers.estates.fille"]


def test_field_map_and_percent_shares(tmp_path):
    estates = _estates()
    estates["支持率(%)"] = [80, 60]
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    (folder / "planner.yaml").write_text(
        "layers:\n  estates:\n    fields: {支持率(%): survey_support}\n", encoding="utf-8"
    )
    data = load_layers(folder)
    assert data.estates["survey_support"].tolist() == [0.8, 0.6]
    assert any(w.code == "percent_read" for w in data.warnings)


@pytest.mark.parametrize("with_cpg", [True, False])
def test_gbk_shapefile_with_or_without_cpg(tmp_path, with_cpg):
    folder = write_layers(tmp_path / "l", estates=_estates())
    communities = two_communities()
    communities.to_file(folder / "communities.shp", engine="pyogrio", encoding="GBK")
    if not with_cpg:
        (folder / "communities.cpg").unlink()
    data = load_layers(folder)
    assert data.communities["name"].tolist() == ["甲社区", "乙社区"]
    assert any(w.code == "encoding_guess" for w in data.warnings) is (not with_cpg)


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
    data = load_layers(folder)
    assert data.estates["households"].tolist() == [1234, 800]
    assert any(
        w.code == "table_unmatched" and w.message.values == {"n": 1, "rows": "E9"}
        for w in data.warnings
    )
    assert "households" in data.sources


def test_households_table_leaving_an_estate_without_count_is_an_error(tmp_path):
    estates = _estates()
    estates["households"] = [None, None]
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    (folder / "households.csv").write_text("estate_id,households\nE1,10\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert _problem(err, "table_missing_count").message.values["rows"] == "E2"


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
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert _problem(err, "raster_no_nodata").source == "population.tif"


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
    values = _problem(err, "bad_enum").message.values
    assert values["field"] == Message(
        "field_from_column", (("field", "function"), ("column", "功能"))
    )
    assert values["rows"] == "P1 ('图书室')"
    assert "function（功能）" in err.value.text(
        "zh"
    ) and "function (column 功能)" in err.value.text("en")


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
        load_layers(folder)
    problem = _problem(err, "wrong_geometry")
    assert problem.source == "planned_roads.gpkg"
    assert problem.message.values == {
        "expected": "LineString/MultiLineString",
        "rows": "R2 ('Polygon'), R3 ('Point')",
    }


def test_R6_build_year_before_1900_is_an_error(tmp_path):
    folder = write_layers(
        tmp_path / "l", communities=two_communities(), estates=_estates(built_year=1850)
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    values = _problem(err, "bad_year").message.values
    assert (values["field"], values["earliest"]) == ("built_year", 1900)
    assert values["rows"] == "E1 (1850), E2 (1850)"


def test_R6_survey_share_outside_0_1_and_not_a_percentage_is_an_error(tmp_path):
    folder = write_layers(
        tmp_path / "l", communities=two_communities(), estates=_estates(survey_support=-0.2)
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    values = _problem(err, "not_share").message.values
    assert values == {"field": "survey_support", "rows": "E1 (-0.2), E2 (-0.2)"}


def test_share_column_mixing_fractions_and_percentages_is_an_error(tmp_path):
    estates = _estates()
    estates["survey_support"] = [0.8, 75]
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=estates)
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert _problem(err, "mixed_share").message.values == {
        "field": "survey_support",
        "rows": "E1 (0.8)",
    }


def test_households_table_with_two_rows_for_one_estate_is_an_error(tmp_path):
    folder = write_layers(tmp_path / "l", communities=two_communities(), estates=_estates())
    (folder / "households.csv").write_text("estate_id,households\nE1,10\nE1,20\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert _problem(err, "table_duplicates").message.values["rows"] == "E1"


def test_overlapping_communities_are_reported(tmp_path):
    communities = two_communities()
    communities.loc[1, "geometry"] = square(900, 0, 1000)  # overlaps A by 100 m × 1,000 m
    folder = write_layers(tmp_path / "l", communities=communities)
    data = load_layers(folder)
    assert any(
        w.code == "communities_overlap" and w.message.values["rows"] == "A×B (100,000 m²)"
        for w in data.warnings
    )


def test_public_functions_refuse_layers_outside_the_working_crs():
    from gis_planner.households import allocate_households
    from gis_planner.layout.scale import nearest_premises
    from gis_planner.premises import assign_premises
    from gis_planner.rules import load_rules

    estates = _estates().to_crs("EPSG:4326")
    premises = gdf([{"premises_id": "P1", "geometry": pt(10, 10)}]).to_crs("EPSG:4326")
    for call in (
        lambda: allocate_households(estates, two_communities()),
        lambda: assign_premises(premises, two_communities()),
        lambda: nearest_premises(_estates(), premises, rules=load_rules()),
    ):
        with pytest.raises(InputError) as err:
            call()
        problem = _problem(err, "layout_crs")
        assert problem.message.values == {"crs": "EPSG:4326", "working": "EPSG:4549"}


# --- shapefile field names cut to 10 bytes, and unknown fields (new-user trial) ------------


def _gbk_shapefile(folder, name, frame):
    """``frame`` written as a GBK shapefile (GDAL cuts field names to 10 bytes)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Normalized/laundered field name": the cut under test
        frame.to_file(folder / f"{name}.shp", engine="pyogrio", encoding="GBK")


def _premises(**columns):
    rows = [{"premises_id": "P1", "geometry": pt(500, 500)}]
    frame = gdf(rows)
    for column, value in columns.items():
        frame[column] = [value]
    return frame


def test_gbk_shapefile_alias_cut_to_10_bytes_is_matched(tmp_path):
    import pyogrio

    folder = write_layers(tmp_path / "l", communities=two_communities())
    premises = _premises(所属社区编码="B", 功能="党群服务中心", 建筑面积=900.0, 建设方式="新建")
    _gbk_shapefile(folder, "premises", premises)
    assert "所属社区编" in pyogrio.read_info(folder / "premises.shp")["fields"]  # 12 → 10 bytes
    data = load_layers(folder)
    assert data.premises["community_id"].tolist() == ["B"]
    assert not [w.code for w in data.warnings if w.code == "field_unknown"]


def test_gbk_shapefile_english_name_cut_to_10_bytes_is_matched(tmp_path):
    estates = _estates(commercial_frontage=0.2, survey_participation=0.9)
    folder = write_layers(tmp_path / "l", communities=two_communities())
    _gbk_shapefile(folder, "estates", estates)
    data = load_layers(folder)
    assert data.estates["commercial_frontage"].tolist() == [0.2, 0.2]
    assert data.estates["survey_participation"].tolist() == [0.9, 0.9]


@pytest.mark.parametrize("column", ["户 数", "househods"])
def test_misspelt_optional_field_is_warned_with_the_closest_name(tmp_path, column):
    communities = two_communities()
    communities[column] = [1200, 800]
    folder = write_layers(tmp_path / "l", estates=_estates())
    _gbk_shapefile(folder, "communities", communities)
    data = load_layers(folder)
    unknown = [w for w in data.warnings if w.code == "field_unknown"]
    assert len(unknown) == 1
    assert unknown[0].message.values["column"] == column
    assert "households" in unknown[0].message.values["guess"]
    assert "未知字段" in unknown[0].message.text("zh")


def test_a_county_field_close_to_nothing_passes_unremarked(tmp_path):
    communities = two_communities()
    communities["OBJECTID"] = [1, 2]
    folder = write_layers(tmp_path / "l", estates=_estates())
    _gbk_shapefile(folder, "communities", communities)
    data = load_layers(folder)
    assert not [w for w in data.warnings if w.code == "field_unknown"]


def test_a_cut_name_two_fields_share_is_refused_naming_both():
    from gis_planner.errors import ProblemList
    from gis_planner.io import schema
    from gis_planner.io.fields import cut_names, rename_fields

    assert cut_names("所属社区编码")[0] == "所属社区编"
    spec = schema.LayerSpec(
        "things",
        "东西",
        schema.PUNCTUAL,
        fields=(
            schema.Field("code", "text", ("所属社区编码",)),
            schema.Field("number", "text", ("所属社区编号",)),
        ),
    )
    frame = gdf([{"所属社区编": "A", "geometry": pt(0, 0)}])
    problems = ProblemList()
    out = rename_fields(frame, spec, {}, "things.shp", problems)
    found = [p for p in problems.errors if p.code == "field_cut_ambiguous"]
    assert len(found) == 1
    assert found[0].message.values["fields"] == "code, number"
    assert "code" not in out.columns and "number" not in out.columns
