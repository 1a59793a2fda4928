"""Hostile and careless inputs (issue 14; issue 10 §7): every one is one clear message or an
accepted input with a warning — never a traceback, never silent acceptance.

Each case is its own small folder, built in the test from a tiny valid county, and is run
through the command line (``check`` and ``run``): a refused input exits 1 with a message naming
the file, key or field and rows, prints no traceback, and leaves the previous outputs untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon
from typer.testing import CliRunner

from gis_planner.cli import app
from gis_planner.io.layers import load_layers

from .conftest import (
    folder_hash,
    hand_made_premises,
    one_estate_each,
    two_communities,
    write_layers,
)

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN coordinates built here


def _county(folder: Path) -> Path:
    return write_layers(
        folder,
        communities=two_communities(),
        estates=one_estate_each(),
        premises=hand_made_premises(p4_community="B"),
    )


@pytest.fixture(scope="module")
def previous_outputs(tmp_path_factory) -> Path:
    """The outputs of a valid run, copied into each test's --out folder."""
    root = tmp_path_factory.mktemp("previous")
    out = root / "out"
    result = CliRunner().invoke(
        app,
        ["run", str(_county(root / "layers")), "--out", str(out), "--no-proposals", "--lang", "en"],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def county(tmp_path) -> Path:
    return _county(tmp_path / "layers")


@pytest.fixture
def out(tmp_path, previous_outputs) -> Path:
    target = tmp_path / "out"
    shutil.copytree(previous_outputs, target)
    return target


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """A FIFO read by mistake would block forever: fail the test instead."""

    def fail(*_):
        raise TimeoutError("the planner blocked (opened a FIFO?)")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"exception escaped: {result.exception!r}\n{result.output}")
    assert "Traceback" not in result.output, result.output
    assert "internal error" not in result.output, result.output
    return result.exit_code, result.output


def _refused(folder: Path, out: Path, *needles: str, commands=("check", "run")) -> str:
    """Both commands exit 1 naming every needle; the previous outputs stay as they were."""
    before = folder_hash(out)
    text = ""
    for command in commands:
        extra = ("--out", out, "--no-proposals") if command == "run" else ()
        code, text = _invoke(command, folder, "--lang", "en", *extra)
        assert code == 1, text
        for needle in needles:
            assert needle in text, f"{needle!r} not in:\n{text}"
        assert "<DRIVER>" not in text
    assert folder_hash(out) == before
    return text


def _accepted(folder: Path, *needles: str) -> str:
    code, text = _invoke("check", folder, "--lang", "en")
    assert code == 0, text
    for needle in needles:
        assert needle in text, f"{needle!r} not in:\n{text}"
    return text


def _geojson(
    folder: Path, name: str, frame: gpd.GeoDataFrame, edit: Callable[[dict], None] | None = None
) -> Path:
    """Replace layer ``name`` by a GeoJSON of ``frame`` (in its CRS), edited as JSON."""
    for old in folder.glob(f"{name}.*"):
        old.unlink()
    collection = json.loads(frame.to_json())
    if edit is not None:
        edit(collection)
    path = folder / f"{name}.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def _set_households(value: object) -> Callable[[dict], None]:
    def edit(collection: dict) -> None:
        collection["features"][0]["properties"]["households"] = value

    return edit


# --------------------------------------------------------------------------- nothing lost


@pytest.mark.parametrize("name", ["estate.gpkg", "estates_2024.gpkg", "小区数据.gpkg"])
def test_a_misnamed_estates_file_is_listed_with_the_layer_it_probably_meant(county, out, name):
    (county / "estates.gpkg").rename(county / name)
    # no estates and no communities.households: no source of households (trial D6)
    _refused(county, out, name, "did you mean estates?", "no source of households")
    communities = two_communities()
    communities["households"] = [1000, 900]
    write_layers(county, communities=communities)
    text = _accepted(county, name, "did you mean estates?", "no estates layer")
    assert "1,200" not in text
    before = folder_hash(out)
    code, text = _invoke("run", county, "--out", out, "--no-proposals", "--lang", "en")
    assert code == 0 and "no estates layer" in text  # the run says so in its warnings
    assert folder_hash(out) != before


@pytest.mark.parametrize("name", ["Estates.gpkg", "estates.GPKG", "ESTATES.GPKG"])
def test_a_layer_file_name_in_another_case_is_read(county, name):
    (county / "estates.gpkg").rename(county / name)
    text = _accepted(county, f"estates: {name} — 2")
    assert "no estates layer" not in text


def test_two_files_for_one_layer_differing_in_case_are_ambiguous(county, out):
    shutil.copy(county / "estates.gpkg", county / "Estates.gpkg")
    _refused(county, out, "estates.gpkg", "Estates.gpkg", "layers.estates.file")


def test_a_required_layer_under_a_near_name_is_an_error_with_the_hint(county, out):
    (county / "communities.gpkg").rename(county / "community.gpkg")
    _refused(county, out, "community.gpkg", "did you mean the required layer communities?")


def test_a_symlink_leading_nowhere_is_an_error(county, out):
    (county / "estates.gpkg").unlink()
    os.symlink(county / "gone.gpkg", county / "estates.gpkg")
    _refused(county, out, "estates.gpkg", "symbolic link that leads nowhere")


def test_a_symlink_loop_is_an_error(county, out):
    (county / "estates.gpkg").unlink()
    os.symlink("estates.gpkg", county / "estates.gpkg")
    _refused(county, out, "estates.gpkg", "loops")


def test_a_fifo_in_place_of_a_layer_is_refused_without_opening_it(county, out):
    (county / "estates.gpkg").unlink()
    os.mkfifo(county / "estates.geojson")
    started = time.perf_counter()
    _refused(county, out, "estates.geojson", "named pipe (FIFO)", "not opened")
    assert time.perf_counter() - started < 30


def test_a_fifo_as_planner_yaml_or_a_shapefile_part_is_refused(county, out):
    os.mkfifo(county / "planner.yaml")
    _refused(county, out, "planner.yaml", "named pipe (FIFO)")
    (county / "planner.yaml").unlink()
    one_estate_each().to_file(county / "roads_unused.shp")  # not a layer: never opened
    (county / "estates.gpkg").unlink()
    one_estate_each().to_file(county / "estates.shp")
    (county / "estates.dbf").unlink()
    os.mkfifo(county / "estates.dbf")
    _refused(county, out, "estates.shp", "estates.dbf", "named pipe (FIFO)")


def test_a_folder_in_place_of_a_layer_file_is_an_error(county, out):
    (county / "estates.gpkg").unlink()
    (county / "estates.geojson").mkdir()
    _refused(county, out, "estates.geojson", "is a folder, not a file")


def test_an_empty_file_says_so_in_words(county, out):
    (county / "estates.gpkg").unlink()
    (county / "estates.geojson").write_bytes(b"")
    _refused(county, out, "estates.geojson", "empty file (0 bytes)")


def test_a_damaged_file_says_so_in_words(county, out):
    (county / "estates.gpkg").write_bytes(b"this is no GeoPackage")
    _refused(county, out, "estates.gpkg", "not a readable .gpkg data file")


def test_a_shapefile_without_its_dbf_names_the_missing_part(county, out):
    (county / "estates.gpkg").unlink()
    one_estate_each().to_file(county / "estates.shp")
    (county / "estates.dbf").unlink()
    text = _refused(county, out, "estates.shp", "estates.dbf is missing")
    assert "field" not in text  # not reported as missing fields


def test_a_filegdb_named_in_planner_yaml_reads_and_is_hashed(county):
    gdb = county / "bureau.gdb"
    for name in ("communities", "estates"):
        frame = gpd.read_file(county / f"{name}.gpkg")
        frame.to_file(gdb, layer=name, driver="OpenFileGDB")
        (county / f"{name}.gpkg").unlink()
    (county / "planner.yaml").write_text(
        "layers:\n  communities: {file: bureau.gdb, layer: communities}\n"
        "  estates: {file: bureau.gdb, layer: estates}\n",
        encoding="utf-8",
    )
    _accepted(county, "communities: bureau.gdb — 2", "estates: bureau.gdb — 2")
    data = load_layers(county)
    assert len(data.sources["estates"].sha256) == 64


# --------------------------------------------------------------------------- planner.yaml


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("layers:\n  - estates.gpkg\n", ["layers = ['estates.gpkg']", "mapping of layer name"]),
        ("household_size: abc\n", ["household_size = 'abc'"]),
        ("household_size: 0\n", ["household_size = 0", "plausibility.min_household_size"]),
        ("household_size: -2.66\n", ["household_size = -2.66", "between 1 and 10"]),
        ("household_size: true\n", ["household_size = True"]),
        ("layers:\n  estates: {file: 123}\n", ["layers.estates.file = 123", "file name"]),
        ("layers:\n  estates: {fields: [a, b]}\n", ["layers.estates.fields = ['a', 'b']"]),
        ("layers:\n  estates: {encoding: klingon}\n", ["layers.estates.encoding = 'klingon'"]),
        ("layers:\n  estates: {gcj02: maybe}\n", ["layers.estates.gcj02 = 'maybe'"]),
        ("rules: .\n", ["planner.yaml (rules: .)", "is a folder"]),
        ("rules: [a]\n", ["rules = ['a']"]),
        ("name: {a: 1}\n", ["name = {'a': 1}", "must be text"]),
        ("data_note: [a, b]\n", ["data_note = ['a', 'b']"]),
        (
            "layers:\n  estates: ../../../../etc/passwd\n",
            ["layers.estates.file = ../../../../etc/passwd", "leads out of the layers folder"],
        ),
        (
            "layers:\n  estates: {file: /etc/passwd}\n",
            ["layers.estates.file = /etc/passwd", "leads out of the layers folder"],
        ),
        ("rules: ../../rules.yaml\n", ["rules = ../../rules.yaml", "leads out"]),
        ("layers: {estates: [1, 2]}\n", ["layers.estates = [1, 2]"]),
        (": : :\n", ["planner.yaml", "invalid settings"]),
    ],
)
def test_planner_yaml_of_the_wrong_shape_is_one_message(county, out, text, needles):
    (county / "planner.yaml").write_text(text, encoding="utf-8")
    _refused(county, out, "planner.yaml", *needles)


def _billion_laughs(last: str) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        text += f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]\n"
    return text + last


def test_a_billion_laughs_planner_yaml_is_refused_fast(county, out):
    text = _billion_laughs("name: *i\n")
    assert len(text.encode()) < 600
    (county / "planner.yaml").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    _refused(county, out, "planner.yaml", "billion laughs")
    assert time.perf_counter() - started < 20


def test_a_billion_laughs_rules_file_and_scenario_file_are_refused(county, out, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_billion_laughs("meta: {name: *i}\n"), encoding="utf-8")
    code, text = _invoke("check", county, "--rules", bomb, "--lang", "en")
    assert code == 1 and "bomb.yaml" in text and "billion laughs" in text
    bomb.write_text(_billion_laughs("name: *i\nedits: []\n"), encoding="utf-8")
    before = folder_hash(out)
    code, text = _invoke("run", county, "--scenario", bomb, "--out", out, "--lang", "en")
    assert code == 1 and "billion laughs" in text
    assert folder_hash(out) == before


def test_a_huge_planner_yaml_is_refused_before_it_is_read(county, out):
    with open(county / "planner.yaml", "wb") as handle:
        handle.write(b"name: x\n" + b"#" * (6 * 1024 * 1024))
    _refused(county, out, "planner.yaml", "larger than")


# --------------------------------------------------------------------------- rules file


def test_a_gbk_rules_file_says_it_is_not_utf8(county, out):
    (county / "rules_2024.yaml").write_bytes(
        "# 规则\nlayout: {households_min: 1000}\n".encode("gbk")
    )
    (county / "planner.yaml").write_text("rules: rules_2024.yaml\n", encoding="utf-8")
    _refused(county, out, "rules_2024.yaml", "not UTF-8", "GBK")


def test_rule_limits_out_of_range_are_named_with_the_layer_problems(county, out):
    (county / "rules.yaml").write_text(
        "layout: {households_min: 5000, walking_distance_m: -300}\n"
        "premises: {standards: {new: {minimum_total_m2: -1800}}}\n"
        "staffing: {households_per_extra_slow: 0, full_time_workers: -12}\n"
        "subsidies: {by_kind: {urban: {build_cap_yuan: -6200000}}}\n",
        encoding="utf-8",
    )
    (county / "planner.yaml").write_text("rules: rules.yaml\n", encoding="utf-8")
    estates = one_estate_each()
    estates.loc[0, "households"] = -5
    estates.to_file(county / "estates.gpkg")
    _refused(
        county,
        out,
        "layout.households_min = 5000, layout.households_max = 4000",
        "layout.walking_distance_m = -300",
        "premises.standards.new.minimum_total_m2 = -1800",
        "staffing.households_per_extra_slow = 0",
        "staffing.full_time_workers = -12",
        "subsidies.by_kind.urban.build_cap_yuan = -6200000",
        "estates.gpkg: field 'households' must be a whole number",
    )  # not hidden


def test_a_rules_file_given_with_rules_is_checked_too(county, out, tmp_path):
    rules = tmp_path / "r.yaml"
    rules.write_text("enclosure: {survey_support_min: 1.5}\n", encoding="utf-8")
    code, text = _invoke("check", county, "--rules", rules, "--lang", "en")
    assert code == 1 and "enclosure.survey_support_min = 1.5" in text and "r.yaml" in text


def test_a_limit_of_the_rules_file_stops_a_layer_before_it_is_read(county, out):
    (county / "rules.yaml").write_text("limits: {max_features_per_layer: 1}\n", encoding="utf-8")
    (county / "planner.yaml").write_text("rules: rules.yaml\n", encoding="utf-8")
    _refused(county, out, "communities.gpkg", "limits.max_features_per_layer = 1")
    (county / "rules.yaml").write_text("limits: {max_file_mb: 0.001}\n", encoding="utf-8")
    _refused(county, out, "estates.gpkg", "limits.max_file_mb")


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("value", "needles"),
    [
        (1e19, ["plausibility.max_households_per_estate = 20,000", "E1"]),
        (1e9, ["plausibility.max_households_per_estate", "E1 (1000000000)"]),
        ("inf", ["field 'households'", "E1 (inf)"]),
        (True, ["field 'households' holds true/false", "E1"]),
        ("约300", ["field 'households'", "E1 ('约300')"]),
    ],
)
def test_implausible_or_non_numeric_households_are_refused(county, out, value, needles):
    _geojson(county, "estates", one_estate_each(), _set_households(value))
    _refused(county, out, "estates.geojson", *needles)


def test_households_with_a_thousands_separator_are_read_without_a_library_warning(county):
    _geojson(county, "estates", one_estate_each(), _set_households("1,200"))
    text = _accepted(county, "estates: estates.geojson — 2")
    assert "UserWarning" not in text
    assert load_layers(county).estates["households"].tolist() == [1200, 800]


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_or_infinite_coordinates_name_the_rows_not_the_crs(county, out, bad):
    estates = one_estate_each()
    x0, y0, x1, y1 = estates.geometry[1].bounds
    estates.loc[1, "geometry"] = Polygon([(x0, y0), (bad, y0), (x1, y1), (x0, y1)])
    estates.to_file(county / "estates.gpkg")
    text = _refused(county, out, "estates.gpkg", "NaN or infinite coordinates", "E2")
    assert "projected metres" not in text and "geometry must be" not in text


def test_a_households_table_row_without_id_is_named_by_its_row(county, out):
    (county / "households.csv").write_text("estate_id,households\nE1,10\n,20\n", encoding="utf-8")
    _refused(county, out, "households.csv", "without estate_id: row 3")


def test_both_chinese_and_english_households_columns_are_an_error(county, out):
    estates = one_estate_each()
    estates["户数"] = [5, 6]
    estates.to_file(county / "estates.gpkg")
    _refused(county, out, "estates.gpkg", "'households': households, 户数", "layers.estates.fields")
    (county / "households.csv").write_text(
        "estate_id,户数,households\nE1,10,10\n", encoding="utf-8"
    )
    one_estate_each().to_file(county / "estates.gpkg")
    _refused(county, out, "households.csv", "'households': 户数, households")


def test_a_zero_area_estate_is_an_error(county, out):
    estates = one_estate_each()
    x0, y0, x1, _ = estates.geometry[0].bounds
    estates.loc[0, "geometry"] = Polygon([(x0, y0), (x1, y0), (x1 + 5, y0)])
    estates.to_file(county / "estates.gpkg")
    _refused(county, out, "estates.gpkg", "plausibility.min_polygon_area_m2", "E1")


def test_a_nul_in_a_name_is_refused_instead_of_cutting_it_short(county, out):
    def edit(collection: dict) -> None:
        collection["features"][1]["properties"]["name"] = "二号\u0000小区"

    _geojson(county, "estates", one_estate_each(), edit)
    _refused(county, out, "estates.geojson", "NUL", "E2")


def test_control_characters_are_removed_with_a_warning_naming_the_rows(county):
    estates = one_estate_each()
    estates.loc[0, "name"] = "一号\x1b[31m小区"
    estates.to_file(county / "estates.gpkg")
    _accepted(county, "field 'name' held control characters", ": E1")
    assert load_layers(county).estates["name"].tolist() == ["一号[31m小区", "二号小区"]


def test_numeric_community_codes_are_read_as_text(county):
    communities = two_communities()
    communities["community_id"] = [330521001001, 330521001002]
    communities.to_file(county / "communities.gpkg")
    premises = hand_made_premises(p4_community="B")
    premises["community_id"] = [330521001001.0, 330521001001.0, 330521001002.0, None]
    premises.to_file(county / "premises.gpkg")
    text = _accepted(county, "premises: premises.gpkg — 4")
    assert ".0" not in text
    data = load_layers(county)
    assert data.communities["community_id"].tolist() == ["330521001001", "330521001002"]
    assert data.premises["community_id"].tolist()[:3] == [
        "330521001001",
        "330521001001",
        "330521001002",
    ]


def test_an_empty_id_is_named_by_its_row_number(county, out):
    estates = one_estate_each()
    estates.loc[1, "estate_id"] = " "
    estates.to_file(county / "estates.gpkg")
    _refused(county, out, "estates.gpkg", "field 'estate_id' must not be empty", "empty in rows #2")


def test_an_encoding_on_a_geojson_is_applied_not_an_arrow_error(county):
    frame = one_estate_each()
    _geojson(county, "estates", frame)
    (county / "estates.geojson").write_bytes(
        (county / "estates.geojson").read_text(encoding="utf-8").encode("gbk")
    )
    (county / "planner.yaml").write_text("layers:\n  estates: {encoding: GBK}\n", encoding="utf-8")
    text = _accepted(county, "estates: estates.geojson — 2")
    assert "Arrow" not in text
    assert load_layers(county).estates["name"].tolist() == ["一号小区", "二号小区"]


def test_a_property_named_crs_is_not_a_crs_statement(county):
    """Metres without a crs member (declared EPSG:4549 in planner.yaml) and a property
    ``crs``: the property must not be taken for the file stating a CRS."""
    frame = one_estate_each()
    frame["crs"] = "EPSG:4326"

    def edit(collection: dict) -> None:
        collection.pop("crs", None)

    _geojson(county, "estates", frame, edit)
    (county / "planner.yaml").write_text(
        'layers:\n  estates: {crs: "EPSG:4549"}\n', encoding="utf-8"
    )
    _accepted(county, "estates: estates.geojson — 2")


def test_a_crs_member_after_the_features_of_a_large_file_is_found():
    from gis_planner.io.vector import states_crs

    features = [
        {
            "type": "Feature",
            "properties": {"name": "x" * 200, "crs": {"type": "x"}},
            "geometry": None,
        }
    ] * 8000  # beyond the first megabyte
    tail = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}}
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.geojson"
        path.write_text(
            json.dumps({"type": "FeatureCollection", "features": features, "crs": tail}),
            encoding="utf-8",
        )
        assert states_crs(path)
        path.write_text(
            json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
        )
        assert not states_crs(path)  # the features' own "crs" properties are not it


def test_a_geojson_cut_short_says_so_in_words(county, out):
    path = _geojson(county, "estates", one_estate_each())
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    _refused(county, out, "estates.geojson", "not a readable .geojson data file", "cut short")


def test_the_feature_limit_applies_to_a_geojson_before_it_is_read(county, out):
    _geojson(county, "estates", one_estate_each())
    (county / "rules.yaml").write_text("limits: {max_features_per_layer: 1}\n", encoding="utf-8")
    (county / "planner.yaml").write_text("rules: rules.yaml\n", encoding="utf-8")
    _refused(county, out, "estates.geojson: has 2 features", "limits.max_features_per_layer")


def test_numeric_estate_codes_in_a_households_spreadsheet_match_as_text(county):
    import pandas as pd

    estates = one_estate_each()
    estates["estate_id"] = ["330521001001", "330521001002"]
    estates.to_file(county / "estates.gpkg")
    pd.DataFrame({"小区代码": [330521001001, 330521001002], "户数": [10, 20]}).to_excel(
        county / "households.xlsx", index=False
    )
    text = _accepted(county, "households: households.xlsx — 2")
    assert "match no estate" not in text
    assert load_layers(county).estates["households"].tolist() == [10, 20]
