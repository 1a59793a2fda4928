"""Defects found by a new-user trial (D3–D8 and minors): each case is a small folder built here.

Each test failed before its fix: a silent wrong result (a county projected into a zone 32° away,
a table row matched to the first of two estates, a run on made-up zeros, mojibake, a datum shift
applied twice) or a crash (MemoryError) became a clear message naming file, key, rows and fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from gis_planner.cli import app
from gis_planner.errors import InputError
from gis_planner.io.layers import load_layers
from gis_planner.pipeline import run
from gis_planner.render.bureau import BureauError, export_bureau

from .conftest import (
    codes,
    gdf,
    hand_made_premises,
    one_estate_each,
    square,
    two_communities,
    write_layers,
)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _county(folder: Path, **extra: gpd.GeoDataFrame) -> Path:
    layers = {
        "communities": two_communities(),
        "estates": one_estate_each(),
        "premises": hand_made_premises(p4_community="B"),
    }
    layers.update(extra)
    return write_layers(folder, **{k: v for k, v in layers.items() if v is not None})


def _invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception escaped: {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


# --------------------------------------------------------------------------- D3 bureau zone

#: a county near Urumqi (87.6E, 43.8N), in its own zone EPSG:4538 (CM 87E)
URUMQI_X0, URUMQI_Y0 = 548_000.0, 4_850_000.0


def _urumqi(folder: Path) -> Path:
    def shift(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        moved = frame.translate(URUMQI_X0 - 497_000.0, URUMQI_Y0 - 3_379_000.0)
        return frame.set_geometry(moved).set_crs("EPSG:4538", allow_override=True)

    return _county(
        folder,
        communities=shift(two_communities()),
        estates=shift(one_estate_each()),
        premises=shift(hand_made_premises(p4_community="B")),
    )


@pytest.fixture(scope="module")
def urumqi_results(tmp_path_factory):
    folder = _urumqi(tmp_path_factory.mktemp("urumqi") / "layers")
    return run(load_layers(folder), proposals=False)


def test_d3_bureau_zone_is_the_countys_own(urumqi_results, tmp_path):
    assert urumqi_results.data.working_crs == "EPSG:4538"
    report = export_bureau(urumqi_results, tmp_path, crs="zone", formats="gpkg", lang="en")
    assert report.crs == "EPSG:4538"
    back = gpd.read_file(tmp_path / "bureau" / "gpkg" / "bureau.gpkg", layer="communities")
    assert back.crs.to_epsg() == 4538
    assert sorted(back.area.round(0)) == [1_000_000.0, 1_000_000.0]  # not stretched
    meta = json.loads((tmp_path / "bureau" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["crs"]["code"] == "EPSG:4538"
    readme = (tmp_path / "bureau" / "README.txt").read_text(encoding="utf-8")
    assert "EPSG:4538 CGCS2000 3-degree Gauss-Kruger CM 87E" in readme
    prefixed = export_bureau(urumqi_results, tmp_path, crs="zone-prefixed", formats="gpkg")
    assert prefixed.crs == "EPSG:4517"  # zone 29, the zone number in the easting


def test_d3_bureau_other_zone_codes_explicitly(urumqi_results, tmp_path):
    report = export_bureau(urumqi_results, tmp_path, crs="EPSG:4539", formats="gpkg")  # CM 90E
    assert report.crs == "EPSG:4539"  # the neighbouring zone, 2.4° away: accepted
    report = export_bureau(urumqi_results, tmp_path, crs=4504, formats="gpkg")  # 6°, CM 87E
    assert report.crs == "EPSG:4504"


@pytest.mark.parametrize("crs", [4549, 4528, 4537])
def test_d3_bureau_zone_far_from_the_data_is_refused(urumqi_results, tmp_path, crs):
    with pytest.raises(BureauError) as err:
        export_bureau(urumqi_results, tmp_path, crs=crs, formats="gpkg", lang="en")
    assert err.value.code == "bureau_zone_far"
    text = err.value.text("en")
    assert f"EPSG:{crs}" in text and "EPSG:4538" in text and "--crs zone" in text
    assert not (tmp_path / "bureau").exists()


def test_d3_cli_refuses_a_far_zone_and_exports_the_own_one(tmp_path):
    folder = _urumqi(tmp_path / "layers")
    code, text = _invoke(
        "export", folder, "--bureau", "--crs", "4549", "--format", "gpkg", "--out",
        tmp_path / "out", "--lang", "en",
    )  # fmt: skip
    assert code == 1 and "EPSG:4549" in text and "EPSG:4538" in text, text
    code, text = _invoke("export", folder, "--bureau", "--crs", "3857", "--lang", "en")
    assert code == 2 and "zone" in text, text


# --------------------------------------------------------------------------- D4 households table


def test_d4_table_name_matching_two_estates_is_an_error_naming_the_rows(tmp_path):
    estates = one_estate_each()
    extra = {"estate_id": "E3", "name": "一号小区", "households": 300, "geometry": square(500, 500)}
    estates = gdf([*estates.to_dict("records"), extra])
    folder = _county(tmp_path / "layers", estates=estates)
    (folder / "households.csv").write_text(
        "name,community_id,households\n二号小区,B,900\n一号小区,A,1400\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert codes(err.value.problems) == ["table_ambiguous"]
    text = err.value.problems[0].text("en")
    assert "row 3" in text and "E1" in text and "E3" in text and "estate_id" in text
    code, text = _invoke("check", folder, "--lang", "en")
    assert code == 1 and "households.csv" in text and "row 3" in text, text
    # with estate ids the table is unambiguous
    (folder / "households.csv").write_text(
        "estate_id,households\nE1,1400\nE3,350\n", encoding="utf-8"
    )
    data = load_layers(folder)
    assert data.estates.set_index("estate_id")["households"].to_dict() == {
        "E1": 1400,
        "E2": 800,
        "E3": 350,
    }


# --------------------------------------------------------------------------- D6 no households


def test_d6_no_household_source_is_refused_by_check_and_run(tmp_path):
    folder = _county(tmp_path / "layers", estates=None)
    (folder / "estates.gpkg").unlink(missing_ok=True)
    with pytest.raises(InputError) as err:
        load_layers(folder, require_households=True)
    assert codes(err.value.problems) == ["no_household_source"]
    # through the API, a folder of communities alone loads, with the word in its warnings
    assert "no_household_source" in codes(load_layers(folder).warnings)
    for command in ("check", "run"):
        extra = ("--out", tmp_path / "out", "--no-proposals") if command == "run" else ()
        code, text = _invoke(command, folder, "--lang", "en", *extra)
        assert code == 1, text
        assert "communities.gpkg" in text and "no source of households" in text, text
    assert not (tmp_path / "out" / "communities.geojson").exists()


def test_d6_empty_estates_layer_and_blank_community_counts(tmp_path):
    folder = _county(tmp_path / "layers", estates=one_estate_each().iloc[0:0])
    with pytest.raises(InputError) as err:
        load_layers(folder, require_households=True)
    assert err.value.problems[0].text("en").count("empty (no features)") == 1
    communities = two_communities()
    communities["households"] = [1500, None]
    folder = _county(tmp_path / "layers2", communities=communities, estates=None)
    with pytest.raises(InputError) as err:
        load_layers(folder, require_households=True)
    assert codes(err.value.problems) == ["community_households_blank"]
    assert "B" in err.value.problems[0].text("en")
    communities["households"] = [1500, 0]
    folder = _county(tmp_path / "layers3", communities=communities, estates=None)
    data = load_layers(folder, require_households=True)
    assert data.estates is None and list(data.communities["households"]) == [1500, 0]


# --------------------------------------------------------------------------- D6 duplicate keys


def test_d6_duplicate_key_in_planner_yaml_is_an_error_naming_key_and_lines(tmp_path):
    folder = _county(tmp_path / "layers")
    (folder / "planner.yaml").write_text(
        "household_size: 2.5\nlayers:\n  estates: {file: estates.gpkg}\n"
        "  estates: {file: other.gpkg}\nhousehold_size: 3.1\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert codes(err.value.problems) == ["config_bad"]
    text = err.value.problems[0].text("en")
    assert "household_size (1, 5)" in text and "layers.estates (3, 4)" in text, text
    code, text = _invoke("check", folder, "--lang", "en")
    assert code == 1 and "planner.yaml" in text and "written twice" in text, text


def test_d6_duplicate_key_in_rules_and_scenario_files(tmp_path):
    from gis_planner.errors import RulesError
    from gis_planner.rules import load_rules
    from gis_planner.scenario import Scenario, ScenarioError

    rules = tmp_path / "rules.yaml"
    rules.write_text("layout:\n  households_min: 1000\n  households_min: 2000\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(rules)
    assert "layout.households_min (2, 3)" in err.value.text("en")
    folder = _county(tmp_path / "layers")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("name: a\nyear: 2030\nname: b\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"name \(1, 3\)"):
        Scenario.from_file(scenario, base=folder)


# --------------------------------------------------------------------------- D7 encoding, datum


def _yaml(folder: Path, text: str) -> None:
    (folder / "planner.yaml").write_text(text, encoding="utf-8")


def test_d7_encoding_for_a_geopackage_or_utf8_geojson_is_refused(tmp_path):
    folder = _county(tmp_path / "layers")
    _yaml(folder, "layers:\n  estates: {file: estates.gpkg, encoding: GBK}\n")
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert codes(err.value.problems) == ["encoding_not_applicable"]
    text = err.value.problems[0].text("en")
    assert "estates.gpkg" in text and ".gpkg" in text and "shapefiles" in text, text
    # a UTF-8 GeoJSON: refused; the same names written in GBK: the encoding is applied
    (folder / "estates.gpkg").unlink()
    utf8 = one_estate_each().to_crs(4326).to_json(ensure_ascii=False)
    (folder / "estates.geojson").write_text(utf8, encoding="utf-8")
    _yaml(folder, "layers:\n  estates: {file: estates.geojson, encoding: GBK}\n")
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert codes(err.value.problems) == ["encoding_not_applicable"]
    assert "RFC 7946" in err.value.problems[0].text("en")
    (folder / "estates.geojson").write_bytes(utf8.encode("gbk"))
    data = load_layers(folder)
    assert sorted(data.estates["name"]) == ["一号小区", "二号小区"]
    _yaml(folder, "layers:\n  estates: {file: estates.geojson, encoding: utf-8}\n")
    (folder / "estates.geojson").write_text(utf8, encoding="utf-8")
    assert sorted(load_layers(folder).estates["name"]) == ["一号小区", "二号小区"]


def test_d7_transform_for_a_layer_already_in_cgcs2000_is_refused(tmp_path):
    folder = _county(tmp_path / "layers")
    _yaml(
        folder,
        "layers:\n  estates:\n    file: estates.gpkg\n"
        "    transform: {type: helmert7, tx: -12.3, ty: 98.1, tz: 56.7, rx: 0.41, ry: -1.2,"
        " rz: 2.3, s: 1.8, convention: coordinate_frame}\n",
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert codes(err.value.problems) == ["transform_on_cgcs2000"]
    text = err.value.problems[0].text("en")
    assert "estates.gpkg" in text and "EPSG:4549" in text and "Remove" in text, text
    code, text = _invoke("check", folder, "--lang", "en")
    assert code == 1 and "already" in text, text


# --------------------------------------------------------------------------- D8 raster sizes


def test_d8_a_tiny_accessibility_cell_is_refused_with_the_rules(tmp_path):
    from gis_planner.errors import RulesError
    from gis_planner.rules import load_rules

    rules = tmp_path / "rules.yaml"
    rules.write_text("layout: {accessibility_cell_m: 0.01}\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(rules)
    text = err.value.text("en")
    assert "limits.min_raster_cell_m" in text and "layout.accessibility_cell_m" in text, text
    folder = _county(tmp_path / "layers")
    code, text = _invoke("run", folder, "--rules", rules, "--out", tmp_path / "out", "--lang", "en")
    assert code == 1 and "layout.accessibility_cell_m = 0.01" in text, text


def test_d8_a_grid_over_the_cell_limit_is_refused_before_allocating(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "layout: {accessibility_cell_m: 1}\nlimits: {max_raster_cells: 100000}\n",
        encoding="utf-8",
    )
    folder = _county(tmp_path / "layers")
    with pytest.raises(InputError) as err:
        run(load_layers(folder, rules=rules))
    assert codes(err.value.problems) == ["access_too_many_cells"]
    text = err.value.problems[0].text("en")
    assert "2000 × 1000 = 2,000,000 cells of 1 m" in text and "100,000" in text, text
    code, text = _invoke("run", folder, "--rules", rules, "--out", tmp_path / "out", "--lang", "en")
    assert code == 1 and "limits.max_raster_cells" in text, text
    assert not (tmp_path / "out" / "communities.geojson").exists()


def test_d8_population_raster_dimensions_limited_before_reading(tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import Affine

    from .conftest import X0, Y0

    folder = _county(tmp_path / "layers")
    profile = {
        "driver": "GTiff",
        "width": 200,
        "height": 100,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4549",
        "transform": Affine(10, 0, X0, 0, -10, Y0 + 1000),
        "nodata": -1,
    }
    with rasterio.open(folder / "population.tif", "w", **profile) as dst:
        dst.write(np.ones((1, 100, 200), dtype="float32"))
    rules = tmp_path / "rules.yaml"
    rules.write_text("limits: {max_population_raster_cells: 10000}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_layers(folder, rules=rules)
    assert codes(err.value.problems) == ["raster_too_large"]
    text = err.value.problems[0].text("en")
    assert "population.tif" in text and "200 × 100 = 20,000" in text, text
    assert load_layers(folder).population_raster is not None  # within the default limit


# --------------------------------------------------------------------------- minors


def test_nan_in_a_rings_closing_vertex_names_the_layer_and_row(tmp_path):
    folder = _county(tmp_path / "layers")
    (folder / "estates.gpkg").unlink()
    collection = json.loads(one_estate_each().to_json())
    ring = collection["features"][1]["geometry"]["coordinates"][0]
    ring[0][0] = ring[-1][0] = "NANX"
    text = json.dumps(collection).replace('"NANX"', "NaN")
    crs = '"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}}, '
    (folder / "estates.geojson").write_text(text.replace("{", "{" + crs, 1), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert codes(err.value.problems) == ["nonfinite_coords"]
    text = err.value.problems[0].text("en")
    assert text.startswith("estates.geojson") and "E2" in text and "E1" not in text, text
    assert "LinearRing" not in text


def test_gcj02_conversion_is_recorded_with_the_datum_shifts(tmp_path):
    from gis_planner.crs import geometries_wgs84_to_gcj02
    from gis_planner.pipeline import analyse
    from gis_planner.render.report import settings_rows

    premises = hand_made_premises(p4_community="B").to_crs("EPSG:4326")
    premises["geometry"] = geometries_wgs84_to_gcj02(premises.geometry.values)
    folder = _county(tmp_path / "layers", premises=None, premises__geojson=premises)
    (folder / "premises.gpkg").unlink(missing_ok=True)
    _yaml(folder, "layers:\n  premises: {file: premises.geojson, gcj02: true}\n")
    data = load_layers(folder)
    assert data.sources["premises"].datum_shift.method == "gcj02"
    results = analyse(data)
    settings = dict(settings_rows(results, lang="en").to_numpy())
    assert "GCJ-02 → WGS84" in settings["source.premises.transformation"]
    assert "source.estates.transformation" not in settings
    report = export_bureau(results, tmp_path / "out", formats="geojson", lang="zh")
    meta = json.loads((report.folder / "metadata.json").read_text(encoding="utf-8"))
    (layer,) = [s for s in meta["source_layers"] if s["layer"] == "premises"]
    assert "GCJ-02（火星坐标）→ WGS84" in layer["transformation"]


def test_bidi_and_zero_width_characters_are_stripped_with_a_warning_naming_rows(tmp_path):
    estates = one_estate_each()
    estates.loc[1, "name"] = "abc\u202edef\u200b"
    folder = _county(tmp_path / "layers", estates=estates)
    (folder / "households.csv").write_text(
        "estate_id,households,name\nE1,1300,一号\u2067小区\n", encoding="utf-8"
    )
    data = load_layers(folder)
    assert data.estates.set_index("estate_id").loc["E2", "name"] == "abcdef"
    found = [w for w in data.warnings if w.code == "format_chars"]
    assert [w.source for w in found] == ["estates.gpkg", "households.csv"]
    assert "E2" in found[0].text("en") and "row 2" in found[1].text("en")


def test_a_name_over_the_text_limit_is_refused_naming_field_row_and_length(tmp_path):
    estates = one_estate_each()
    estates.loc[0, "name"] = "长" * 2_000_000
    folder = _county(tmp_path / "layers", estates=estates)
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert codes(err.value.problems) == ["text_too_long"]
    text = err.value.problems[0].text("en")
    assert "'name'" in text and "E1 (2000000)" in text and "max_text_chars = 1,000" in text
    rules = tmp_path / "rules.yaml"
    rules.write_text("limits: {max_text_chars: 3000000}\n", encoding="utf-8")
    assert len(load_layers(folder, rules=rules).estates.loc[0, "name"]) == 2_000_000


def test_households_table_as_of_must_be_a_date_not_after_today(tmp_path):
    folder = _county(tmp_path / "layers")
    (folder / "households.csv").write_text(
        "estate_id,households,as_of\nE1,1300,2024年6月30日\nE2,900,soon\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert codes(err.value.problems) == ["table_bad_date"]
    assert "E2 ('soon')" in err.value.problems[0].text("en")
    (folder / "households.csv").write_text(
        "estate_id,households,as_of\nE1,1300,2024-06-30\nE2,900,2999-01-01\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="2999-01-01"):
        load_layers(folder)
    (folder / "households.csv").write_text(
        "estate_id,households,as_of\nE1,1300,2024/6/30\nE2,900,\n", encoding="utf-8"
    )
    assert load_layers(folder).estates["households"].tolist() == [1300, 900]
