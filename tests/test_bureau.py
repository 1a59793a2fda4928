"""Bureau export package (issue 5): every CRS and format written, read back with pyogrio and
geopandas, and checked; GBK Shapefiles; atomic replacement; bad input.

The package is a renderer: it receives a run's results or a run folder read back
(:func:`gis_planner.io.runfolder.read_run`). The embedded demo is run once per module
(``demo_results``); the odd cases (a value GBK cannot encode, text over 254 bytes, a polygon
among point premises, a field the dictionary does not list, a data note) use hand-made layers
run once (``odd_results``) and exported once (``odd_package``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import yaml
from typer.testing import CliRunner

from gis_planner import pipeline
from gis_planner.cli import app
from gis_planner.i18n import msg
from gis_planner.io.layers import load_layers
from gis_planner.io.runfolder import is_run_folder, read_run
from gis_planner.render import atomic
from gis_planner.render.bureau import (
    CRS_CHOICES,
    LAYERS,
    BureauError,
    BureauOptionError,
    BureauReport,
    BureauVerificationError,
    bureau_tables,
    export_bureau,
    field_dictionary,
    filegdb_support,
    parse_crs,
    parse_formats,
)
from gis_planner.render.bureau import formats as bureau_formats
from gis_planner.render.runfolder import write_run

from .conftest import DEMO, gdf, pt, square, two_communities, write_layers

HAS_DEMO = any(DEMO.glob("communities.*"))
CAN_GDB = filegdb_support()[0]
EMOJI_NAME = "乙社区😀"  # U+1F600: not in GBK
RARE_NAME = "𠀀小区"  # U+20000: in GB18030, not in GBK
LONG_NAME = "幸福里" * 50 + "小区"  # 152 characters, 304 bytes in GBK


def _layers_folder(folder: Path) -> Path:
    """Hand-made layers with every odd case of the Shapefile, and a data note."""
    communities = two_communities()
    communities.loc[1, "name"] = EMOJI_NAME
    communities["备注"] = ["试点", None]  # not in the field dictionary
    estates = gdf(
        [
            {
                "estate_id": "E1",
                "name": RARE_NAME,
                "households": 2500,
                "built_year": 1995,
                "enclosure": "open",
                "geometry": square(100, 100),
            },
            {
                "estate_id": "E2",
                "name": LONG_NAME,
                "households": 1200,
                "built_year": 1990,
                "enclosure": "semi_open",
                "geometry": square(1500, 500),
            },
        ]
    )
    premises = gdf(
        [
            {
                "premises_id": "P1",
                "community_id": "A",
                "name": "甲社区党群服务中心",
                "function": "party_service_centre",
                "floor_area_m2": 1500,
                "tenure": "new_build",
                "cost_yuan": 2_400_000,
                "floor": 1,
                "geometry": pt(150, 150),
            },
            {
                "premises_id": "P2",
                "community_id": "B",
                "name": "乙社区养老用房",
                "function": "elderly_care",
                "floor_area_m2": 600,
                "tenure": "leased",
                "annual_rent_yuan": 300_000,
                "geometry": square(1550, 550, 20),
            },
        ]
    )
    write_layers(folder, communities=communities, estates=estates, premises=premises)
    (folder / "planner.yaml").write_text(
        yaml.safe_dump(
            {"data_note": {"zh": "示例数据，纯属虚构", "en": "made-up example data"}},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def odd_layers(tmp_path_factory) -> Path:
    return _layers_folder(tmp_path_factory.mktemp("odd") / "layers")


@pytest.fixture(scope="module")
def odd_results(odd_layers):
    """The odd layers run as ``gis-planner export LAYERS_DIR`` runs them."""
    return pipeline.run(load_layers(odd_layers))


@pytest.fixture(scope="module")
def odd_package(odd_results, tmp_path_factory) -> BureauReport:
    return export_bureau(odd_results, tmp_path_factory.mktemp("odd_out"), lang="zh")


@pytest.fixture(scope="module")
def demo_results(tmp_path_factory):
    """The embedded demo run once (hand-made layers until the demo exists)."""
    if HAS_DEMO:
        return pipeline.run(load_layers(DEMO))
    folder = _layers_folder(tmp_path_factory.mktemp("demo") / "layers")
    return pipeline.run(load_layers(folder), proposals=False)


def _read(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    return gpd.read_file(path, layer=layer, engine="pyogrio")


def _hausdorff_m(read_back: gpd.GeoDataFrame, source: gpd.GeoDataFrame) -> float:
    """Largest vertex distance in metres between two layers, compared in EPSG:4549."""
    back = read_back.to_crs("EPSG:4549").geometry.values
    return float(shapely.hausdorff_distance(back, source.geometry.values).max())


def _listing(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- dictionary


def test_field_dictionary_codes_are_short_unique_pinyin_initials():
    d = field_dictionary()
    assert list(d.columns) == [
        "layer",
        "code",
        "field",
        "name_zh",
        "name_en",
        "type",
        "unit",
        "meaning",
    ]
    assert all(len(c.encode("gbk")) <= 10 and c.isascii() and c.isupper() for c in d["code"])
    assert not d.duplicated(["layer", "code"]).any()
    assert not d.duplicated(["layer", "field"]).any()
    for lang in ("zh", "en"):
        full = field_dictionary(lang=lang)
        assert (full[["name_zh", "name_en", "meaning"]] != "").all().all()
    codes = d.set_index(["layer", "field"])["code"]
    assert codes["communities", "community_id"] == "SQDM"
    assert codes["communities", "name"] == "SQMC"
    assert codes["communities", "households"] == "HS"
    assert codes["communities", "required_area_m2"] == "YPMJ"
    assert codes["communities", "premises_area_m2"] == "XYMJ"
    assert codes["communities", "shortfall_m2"] == "QKMJ"


def test_field_dictionary_covers_every_field_the_demo_exports(demo_results):
    tables = bureau_tables(demo_results)
    d = field_dictionary(tables, lang="en")
    for layer, table in tables.items():
        fields = [c for c in table.columns if c != "geometry"]
        assert d.loc[d["layer"] == layer, "field"].tolist() == fields
    unlisted = d[d["meaning"] == "field exported as it was (not in the field dictionary)"]
    assert unlisted.empty, (
        f"add these fields (with a code) to gis_planner/data/fields.csv: "
        f"{unlisted[['layer', 'field']].values.tolist()}"
    )


# --------------------------------------------------------------------------- demo, each CRS


@pytest.mark.parametrize("crs", CRS_CHOICES)
def test_demo_in_each_crs_reads_back_in_every_format(demo_results, tmp_path, crs):
    report = export_bureau(demo_results, tmp_path, crs=crs.split(":")[1], lang="zh")
    root = tmp_path / "bureau"
    assert report.folder == root and report.zip_path == tmp_path / "bureau.zip"
    sources = {
        "communities": demo_results.communities,
        "estates": demo_results.estates,
        "premises": demo_results.premises,
    }
    codes = field_dictionary(bureau_tables(demo_results)).set_index(["layer", "field"])["code"]
    meta = json.loads((root / "metadata.json").read_text(encoding="utf-8"))
    assert meta["crs"]["code"] == crs
    assert meta["rules"]["version"] == demo_results.rules.version
    assert meta["rules"]["sha256"] == demo_results.rules.checksum()
    assert {s["layer"] for s in meta["source_layers"]} == set(demo_results.data.sources)
    assert meta["data_note"] == demo_results.data.data_note
    for layer, source in sources.items():
        id_field = LAYERS[layer]
        ids, names = source[id_field].astype(str).tolist(), source["name"].tolist()
        files = {
            "geojson": (root / "geojson" / f"{layer}.geojson", None),
            "geojson_wgs84": (root / "geojson" / f"{layer}_wgs84.geojson", None),
            "shp": (root / "shp" / f"{layer}.shp", None),
            "gpkg": (root / "gpkg" / "bureau.gpkg", layer),
        }
        if CAN_GDB:
            files["gdb"] = (root / "gdb" / "bureau.gdb", layer)
        for fmt, (path, dataset_layer) in files.items():
            back = _read(path, dataset_layer)
            expected_crs = "EPSG:4326" if fmt == "geojson_wgs84" else crs
            assert back.crs.equals(expected_crs), (fmt, back.crs)
            id_col, name_col = (
                (codes[layer, id_field], codes[layer, "name"])
                if fmt == "shp"
                else (id_field, "name")
            )
            assert len(back) == len(source) == meta["layers"][layer]["counts"][fmt]
            assert back[id_col].astype(str).tolist() == ids, fmt
            assert [None if pd.isna(v) else v for v in back[name_col]] == names, fmt
            assert _hausdorff_m(back, source) <= 0.001, fmt
    # GeoJSON states its CRS; the web copy is RFC 7946 (no crs member)
    doc = json.loads((root / "geojson" / "communities.geojson").read_text(encoding="utf-8"))
    assert doc["crs"]["properties"]["name"].endswith(crs.split(":")[1])
    web = json.loads((root / "geojson" / "communities_wgs84.geojson").read_text(encoding="utf-8"))
    assert "crs" not in web
    # the Shapefile's text is GBK and says so
    assert (root / "shp" / "communities.cpg").read_text() == "GBK"
    dbf = (root / "shp" / "communities.dbf").read_bytes()
    assert str(demo_results.communities["name"].iloc[0]).encode("gbk") in dbf
    assert all(
        len(f.encode("gbk")) <= 10
        for f in pyogrio.read_info(root / "shp" / "estates.shp")["fields"]
    )
    # the field dictionary lists every Shapefile field
    d = pd.read_csv(
        root / "field_dictionary.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    for layer in sources:
        fields = pyogrio.read_info(root / "shp" / f"{layer}.shp")["fields"]
        assert set(fields) <= set(d.loc[d["图层"] == layer, "字段代码"])
    assert pd.read_excel(root / "field_dictionary.xlsx", dtype=str).fillna("").equals(d)
    # the zip holds exactly the folder
    with zipfile.ZipFile(tmp_path / "bureau.zip") as z:
        assert z.testzip() is None
        assert z.namelist() == sorted(f"bureau/{name}" for name in _listing(root))
    assert meta["verification"]["largest_error_m"] <= 0.001
    assert {f["path"] for f in meta["files"]} == set(_listing(root)) - {"metadata.json"}
    if not CAN_GDB:
        assert "gdb" in report.skipped and not (root / "gdb").exists()


def test_format_selection_repeated_and_comma_separated(demo_results, tmp_path):
    report = export_bureau(demo_results, tmp_path, formats=["shp,GPKG"], crs="EPSG:4549")
    assert report.formats == ("shp", "gpkg")
    assert sorted(p.name for p in (tmp_path / "bureau").iterdir() if p.is_dir()) == ["gpkg", "shp"]
    assert report.metadata["formats"]["written"] == ["shp", "gpkg"]
    assert parse_formats(["geojson", "gdb,shp"]) == ("geojson", "shp", "gdb")
    assert parse_formats(None) == parse_formats([]) == ("geojson", "shp", "gpkg", "gdb")


def test_gdb_skipped_with_a_note_when_gdal_cannot_write_it(odd_results, tmp_path, monkeypatch):
    monkeypatch.setattr(bureau_formats, "filegdb_support", lambda: (False, "3.5.3"))
    report = export_bureau(odd_results, tmp_path, formats="geojson,gdb", lang="en")
    assert report.formats == ("geojson",)
    assert "3.5.3" in report.skipped["gdb"] and "FileGDB" in report.skipped["gdb"]
    assert report.metadata["formats"]["skipped"] == report.skipped
    assert "FileGDB" in (tmp_path / "bureau" / "README.txt").read_text(encoding="utf-8-sig")
    with pytest.raises(BureauError, match="no format can be written"):
        export_bureau(odd_results, tmp_path / "other", formats="gdb", lang="en")


def test_gdb_write_failure_is_skipped_with_a_note(odd_results, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no FileGDB today")

    monkeypatch.setattr(bureau_formats, "write_gdb", broken)
    report = export_bureau(odd_results, tmp_path, formats=["gpkg", "gdb"], lang="en")
    assert report.formats == ("gpkg",)
    assert "no FileGDB today" in report.skipped["gdb"]
    assert not (tmp_path / "bureau" / "gdb").exists()


# --------------------------------------------------------------------------- odd cases


def test_value_outside_gbk_is_left_empty_in_shapefile_and_reported(odd_package):
    root = odd_package.folder
    shp = _read(root / "shp" / "communities.shp").set_index("SQDM")
    assert shp.loc["A", "SQMC"] == "甲社区"
    assert pd.isna(shp.loc["B", "SQMC"])  # not '乙社区?'
    estates = _read(root / "shp" / "estates.shp").set_index("XQDM")
    assert pd.isna(estates.loc["E1", "XQMC"])
    left_empty = odd_package.metadata["shapefile"]["values_left_empty"]
    assert {(v["layer"], v["id"], v["field"], v["value"]) for v in left_empty} == {
        ("communities", "B", "name", EMOJI_NAME),
        ("estates", "E1", "name", RARE_NAME),
        ("estates", "E2", "community_name", EMOJI_NAME),
    }
    assert any("U+1F600" in str(w) and "B" in str(w) for w in odd_package.warnings)
    # every other format keeps the full value
    for path, layer in (
        (root / "geojson" / "communities.geojson", None),
        (root / "geojson" / "communities_wgs84.geojson", None),
        (root / "gpkg" / "bureau.gpkg", "communities"),
    ):
        assert _read(path, layer)["name"].tolist() == ["甲社区", EMOJI_NAME]
    assert _read(root / "gpkg" / "bureau.gpkg", "estates")["name"].tolist() == [
        RARE_NAME,
        LONG_NAME,
    ]
    if CAN_GDB:
        assert _read(root / "gdb" / "bureau.gdb", "communities")["name"].tolist() == [
            "甲社区",
            EMOJI_NAME,
        ]


def test_text_over_254_bytes_is_cut_at_a_character_and_reported(odd_package):
    root = odd_package.folder
    value = _read(root / "shp" / "estates.shp").set_index("XQDM").loc["E2", "XQMC"]
    assert value.endswith("…") and LONG_NAME.startswith(value[:-1])
    assert 250 <= len(value.encode("gbk")) <= 254
    cut = odd_package.metadata["shapefile"]["values_cut"]
    assert cut == [{"layer": "estates", "field": "name", "code": "XQMC", "ids": ["E2"]}]
    assert _read(root / "geojson" / "estates.geojson")["name"].tolist()[1] == LONG_NAME


def test_mixed_point_and_polygon_premises_split_where_formats_need_it(odd_package):
    root = odd_package.folder
    assert _read(root / "shp" / "premises_point.shp")["YFBH"].tolist() == ["P1"]
    assert _read(root / "shp" / "premises_polygon.shp")["YFBH"].tolist() == ["P2"]
    assert _read(root / "gpkg" / "bureau.gpkg", "premises")["premises_id"].tolist() == ["P1", "P2"]
    assert odd_package.counts["premises"]["shp"] == 2
    if CAN_GDB:
        layers = {name for name, _ in pyogrio.list_layers(root / "gdb" / "bureau.gdb")}
        assert {"premises_point", "premises_polygon"} <= layers


def test_field_missing_from_the_dictionary_gets_a_code_and_a_warning(odd_package):
    d = pd.read_csv(
        odd_package.folder / "field_dictionary.csv",
        encoding="utf-8-sig",
        dtype=str,
        keep_default_na=False,
    )
    row = d[(d["图层"] == "communities") & (d["字段"] == "备注")].iloc[0]
    assert row["字段代码"] == "备注" and row["字段名称"] == "备注"
    shp = _read(odd_package.folder / "shp" / "communities.shp")
    assert shp["备注"].tolist()[0] == "试点"
    assert any("备注" in str(w) for w in odd_package.warnings)


def test_data_note_and_sources_in_metadata_and_readme(odd_package, odd_layers):
    meta = odd_package.metadata
    assert meta["data_note"] == {"zh": "示例数据，纯属虚构", "en": "made-up example data"}
    readme = (odd_package.folder / "README.txt").read_text(encoding="utf-8-sig")
    assert "示例数据，纯属虚构" in readme and "EPSG:4490" in readme
    assert meta["source"]["kind"] == "layers"
    communities = next(s for s in meta["source_layers"] if s["layer"] == "communities")
    assert communities["file"] == "communities.gpkg"
    import hashlib

    assert (
        communities["sha256"]
        == hashlib.sha256((odd_layers / "communities.gpkg").read_bytes()).hexdigest()
    )
    assert meta["rules"]["files"] == ["rules_deqing_2020.yaml"]
    assert meta["layers"]["premises"]["counts"] == {
        "geojson": 2,
        "geojson_wgs84": 2,
        "shp": 2,
        "gpkg": 2,
        **({"gdb": 2} if CAN_GDB else {}),
    }


# --------------------------------------------------------------------------- never half-written


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_interrupted_export_leaves_the_previous_package_intact(
    odd_results, tmp_path, monkeypatch, failure
):
    export_bureau(odd_results, tmp_path, formats="geojson,gpkg")
    before = _listing(tmp_path / "bureau")
    zip_before = (tmp_path / "bureau.zip").read_bytes()

    def crash(*args, **kwargs):
        raise failure

    monkeypatch.setattr(bureau_formats, "write_gpkg", crash)
    with pytest.raises(type(failure)):
        export_bureau(odd_results, tmp_path, formats="geojson,gpkg,shp", crs=4549)
    assert _listing(tmp_path / "bureau") == before
    assert (tmp_path / "bureau.zip").read_bytes() == zip_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bureau", "bureau.zip"]


def test_a_file_that_reads_back_wrong_is_an_error_and_nothing_is_replaced(
    odd_results, tmp_path, monkeypatch
):
    export_bureau(odd_results, tmp_path, formats="shp")
    before = _listing(tmp_path / "bureau")
    write = bureau_formats.write_shapefile

    def shifted(frame, path, *, crs, decimals=None):  # 2 mm east, and one feature lost
        moved = frame.set_geometry(frame.geometry.translate(xoff=0.002))
        write(moved.iloc[:-1] if "estates" in path.name else moved, path, crs=crs)

    monkeypatch.setattr(bureau_formats, "write_shapefile", shifted)
    with pytest.raises(BureauVerificationError) as err:
        export_bureau(odd_results, tmp_path, formats="shp", crs=4549, lang="en")
    message = str(err.value)
    assert "previous package was left as it was" in message
    assert "shp/estates.shp: 1 features, expected 2" in message
    assert "shp/communities.shp" in message and "mm" in message
    assert _listing(tmp_path / "bureau") == before


# --------------------------------------------------------------------------- run folder


def test_export_from_a_run_folder(demo_results, tmp_path):
    run = tmp_path / "run"
    write_run(demo_results, run, map_html=False, atlas_pdf=False)
    assert is_run_folder(run)
    report = export_bureau(read_run(run), run, formats="geojson,shp", crs=4528, lang="en")
    meta = report.metadata
    assert meta["source"]["kind"] == "run"
    assert meta["rules"]["version"] == demo_results.rules.version
    assert meta["rules"]["sha256"] == demo_results.rules.checksum()
    assert {f["file"] for f in meta["source"]["files"]} == {
        "communities.geojson",
        "estates.geojson",
        "premises.geojson",
        "proposed_sites.geojson",
    }
    back = _read(run / "bureau" / "shp" / "communities.shp")
    assert back["SQMC"].tolist() == demo_results.communities["name"].tolist()
    assert back["QKMJ"].tolist() == pytest.approx(
        demo_results.communities["shortfall_m2"].round(4).tolist()
    )
    # the run's GeoJSON holds 7 decimals (≈ 1 cm): the package keeps them within 2 cm
    assert _hausdorff_m(back, demo_results.communities) < 0.02
    assert any("RFC 7946" in str(w) for w in report.warnings)


def test_a_layers_folder_with_communities_geojson_is_not_a_run_folder(tmp_path):
    folder = write_layers(
        tmp_path / "l", communities__geojson=two_communities().to_crs("EPSG:4326")
    )
    assert not is_run_folder(folder)


def test_read_run_gives_the_layers_and_the_provenance_of_the_report(odd_results, tmp_path):
    run = tmp_path / "run"
    write_run(odd_results, run, map_html=False, atlas_pdf=False)
    back = read_run(run)
    assert {"communities", "estates", "premises"} <= set(back.layers)
    assert back.layers["communities"]["community_id"].tolist() == ["A", "B"]
    for f in back.files:
        assert f.sha256 == hashlib.sha256((run / f.file).read_bytes()).hexdigest()
        assert f.features == len(back.layers[f.layer])
    assert back.rules_version == odd_results.rules.version
    assert back.rules_sha256 == odd_results.rules.checksum()
    assert back.rules_files == ("rules_deqing_2020.yaml",)
    assert back.working_crs == "EPSG:4549"
    assert back.data_note == "示例数据，纯属虚构" and back.lang == "zh"
    communities = next(s for s in back.sources if s.layer == "communities")
    assert communities.file == "communities.gpkg"
    assert communities.sha256 == odd_results.data.sources["communities"].sha256
    # without its report, a run folder still exports; the provenance is unknown and said so
    (run / "report.xlsx").unlink()
    bare = read_run(run)
    assert bare.settings is None and bare.rules_version is None and bare.sources == ()
    report = export_bureau(bare, tmp_path / "out", formats="geojson", lang="en")
    assert report.metadata["rules"] == {"version": None, "sha256": None, "files": []}
    assert any("report.xlsx" in w.text("en") for w in report.warnings)


def test_read_run_keeps_a_datum_shift_with_its_source_layer(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Settings"
    for row in (
        ("key", "value"),
        ("source.communities", "c.shp; EPSG:2385; 2 features; sha256 abc123"),
        ("source.communities.transformation", "7-parameter Helmert, accuracy not stated"),
    ):
        sheet.append(row)
    book.save(tmp_path / "report.xlsx")
    back = read_run(tmp_path)
    assert back.layers == {} and back.lang is None
    (layer,) = back.sources
    assert (layer.layer, layer.file, layer.crs, layer.sha256) == (
        "communities",
        "c.shp",
        "EPSG:2385",
        "abc123",
    )
    assert layer.transformation == "7-parameter Helmert, accuracy not stated"
    with pytest.raises(BureauError, match="no data found"):
        export_bureau(back, tmp_path / "out", lang="en")


def test_values_that_are_messages_are_worded_in_the_package_language(odd_results, tmp_path):
    communities = odd_results.communities.copy()
    communities["warnings"] = [[msg("warn_no_service_centre"), "as it is"], []]
    premises = odd_results.premises.copy()
    premises["subsidy_note"] = [msg("note_developer_built"), None]
    results = dataclasses.replace(odd_results, communities=communities, premises=premises)
    for lang, sep in (("en", "; "), ("zh", "；")):
        root = export_bureau(results, tmp_path / lang, formats="geojson,shp", lang=lang).folder
        back = _read(root / "geojson" / "communities.geojson")
        assert back["warnings"].tolist()[0] == sep.join(
            [msg("warn_no_service_centre").text(lang), "as it is"]
        )
        notes = _read(root / "shp" / "premises_point.shp")["BZSM"].tolist()
        assert notes == [msg("note_developer_built").text(lang)]


def test_a_folder_is_not_rendered_directly(odd_layers, tmp_path):
    with pytest.raises(TypeError, match="read_run"):
        export_bureau(odd_layers, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_bureau_package_never_loads_or_analyses():
    code = (
        "import sys, gis_planner.render.bureau; "
        "print('\\n'.join(m for m in sys.modules if m.startswith('gis_planner')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    forbidden = ("pipeline", "io.layers", "layout", "households", "premises", "budget", "enclosure")
    assert not {m for m in loaded for f in forbidden if m.startswith(f"gis_planner.{f}")}


# --------------------------------------------------------------------------- bad input


def test_unknown_crs_lists_the_valid_ones():
    with pytest.raises(BureauOptionError, match="4490.*4549.*4528"):
        parse_crs("3857", lang="en")
    with pytest.raises(BureauOptionError, match="未知坐标系“EPSG:4326”"):
        parse_crs("EPSG:4326")
    assert [parse_crs(c) for c in (4490, "4549", " epsg:4528")] == list(CRS_CHOICES)


def test_unknown_format_lists_the_valid_ones(tmp_path):
    with pytest.raises(BureauOptionError, match="unknown format 'kml'.*geojson, shp, gpkg, gdb"):
        parse_formats("shp,kml", lang="en")
    with pytest.raises(BureauOptionError):
        export_bureau(tmp_path, tmp_path / "out", formats=["dxf"])
    assert not (tmp_path / "out").exists()


def test_cli_usage_errors_exit_2_with_the_valid_values(odd_layers, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "export",
            str(odd_layers),
            "--bureau",
            "--crs",
            "3857",
            "--out",
            str(tmp_path),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 2
    assert "unknown CRS '3857'" in result.output and "EPSG:4528" in result.output
    result = runner.invoke(
        app, ["export", str(odd_layers), "--bureau", "--format", "kml", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "未知格式“kml”" in result.output
    result = runner.invoke(app, ["export", str(odd_layers), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--bureau" in result.output
    assert not (tmp_path / "bureau").exists()


def test_output_folder_that_is_a_file_is_not_writable(odd_layers, odd_results, tmp_path):
    blocker = tmp_path / "occupied"
    blocker.write_text("a file, not a folder")
    with pytest.raises(BureauError, match="not writable.*occupied"):
        export_bureau(odd_results, blocker / "out", lang="en")
    result = CliRunner().invoke(
        app, ["export", str(odd_layers), "--bureau", "--out", str(blocker / "out")]
    )
    assert result.exit_code == 1
    assert "无法写入输出文件夹" in result.output and "--out" in result.output


def test_read_only_output_folder_is_not_writable(odd_results, tmp_path):
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: permissions do not stop writes")
        with pytest.raises(BureauError, match="read_only"):
            export_bureau(odd_results, folder, lang="en")
    finally:
        folder.chmod(0o700)


# --------------------------------------------------------------------------- command line


def test_cli_exports_the_demo_and_lists_what_it_wrote(tmp_path):
    source = DEMO if HAS_DEMO else _layers_folder(tmp_path / "layers")
    result = CliRunner().invoke(
        app,
        [
            "export",
            str(source),
            "--bureau",
            "--crs",
            "4549",
            "--format",
            "geojson",
            "--format",
            "shp",
            "--out",
            str(tmp_path / "out"),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Features exported — EPSG:4549" in result.output
    assert "bureau.zip" in result.output
    root = tmp_path / "out" / "bureau"
    assert (root / "shp" / "communities.shp").exists()
    assert not (root / "gpkg").exists()
    readme = (root / "README.txt").read_text(encoding="utf-8-sig")
    assert "EPSG:4549" in readme and "Exported:" in readme
    assert all(name.isascii() for name in _listing(root))


def test_gdb_written_when_gdal_can(odd_package):
    if not CAN_GDB:
        pytest.skip(f"GDAL {pyogrio.__gdal_version_string__} cannot write FileGDB")
    assert "gdb" in odd_package.formats
    back = _read(odd_package.folder / "gdb" / "bureau.gdb", "estates")
    assert back.crs.equals("EPSG:4490")
    assert back["households"].tolist() == [2500, 1200]
    assert np.allclose(
        back.to_crs("EPSG:4549").geometry.centroid.x,
        [square(100, 100).centroid.x, square(1500, 500).centroid.x],
    )


def test_proposed_sites_of_both_models_are_exported_with_unique_ids(demo_results, tmp_path):
    report = export_bureau(demo_results, tmp_path, formats="shp,gpkg", lang="zh")
    sites = _read(tmp_path / "bureau" / "shp" / "sites.shp")
    expected = demo_results.sites
    assert len(sites) == len(expected) and sites["JYBH"].is_unique
    assert set(sites["XZMXDM"]) == {"lscp", "mclp"}  # the codes, beside the words
    assert set(sites["XZMX"]) == {"全覆盖（最少点位）", "最大覆盖（p 个点位）"}
    mclp = sites[sites["XZMXDM"] == "mclp"]
    assert mclp["XZFGHS"].sum() == demo_results.layout.summary["mclp_households_newly_covered"]
    assert report.counts["sites"]["gpkg"] == len(expected)


def test_cli_exports_a_run_folder_whose_last_write_was_interrupted(odd_results, tmp_path):
    run = tmp_path / "run"
    write_run(odd_results, run, map_html=False, atlas_pdf=False)
    before = (run / "communities.geojson").read_bytes()
    # a commit killed after it moved the old communities.geojson into its backup folder
    (run / ".backup-test").mkdir()
    (run / "communities.geojson").rename(run / ".backup-test" / "communities.geojson")
    journal = {"stage": ".staging-test", "backup": ".backup-test", "old": ["communities.geojson"]}
    (run / atomic.JOURNAL).write_text(json.dumps({**journal, "new": []}), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["export", str(run), "--bureau", "--format", "geojson", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert (run / "communities.geojson").read_bytes() == before
    assert not (run / atomic.JOURNAL).exists() and not (run / ".backup-test").exists()
    meta = json.loads((tmp_path / "o" / "bureau" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["source"]["kind"] == "run"


def test_cli_refuses_a_foreign_package_before_reading_anything(tmp_path):
    layers = tmp_path / "no_layers"  # loading it would fail: the refusal comes first
    layers.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "bureau.zip").write_text("the planner's own zip", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["export", str(layers), "--bureau", "--out", str(out), "--lang", "en"]
    )
    assert result.exit_code == 1
    assert "not a package written by this tool" in result.output
    assert (out / "bureau.zip").read_text(encoding="utf-8") == "the planner's own zip"


# --------------------------------------------------------------------------- bureau's language


def _formats_of(root: Path, layer: str) -> dict[str, gpd.GeoDataFrame]:
    codes = field_dictionary().set_index(["layer", "field"])["code"]
    shp = _read(root / "shp" / f"{layer}.shp")
    named = shp.rename(columns={c: f for (lay, f), c in codes.items() if lay == layer})
    frames = {
        "geojson": _read(root / "geojson" / f"{layer}.geojson", None),
        "shp": named,
        "gpkg": _read(root / "gpkg" / "bureau.gpkg", layer),
    }
    if CAN_GDB:
        frames["gdb"] = _read(root / "gdb" / "bureau.gdb", layer)
    return frames


def test_values_are_chinese_with_codes_kept_in_every_format(odd_package):
    root = odd_package.folder
    for fmt, estates in _formats_of(root, "estates").items():
        row = estates.set_index("estate_id").loc["E2"]
        assert row["enclosure"] == "半封闭" and row["enclosure_code"] == "semi_open", fmt
        assert row["covered"] in ("是", "否"), fmt
        assert row["no_property_management"] in ("是", "否", None), fmt
        assert not str(row["community_shares"]).startswith("{"), fmt  # no JSON in a field
    for fmt, communities in _formats_of(root, "communities").items():
        assert set(communities["premises_status"]) <= {"达标", "不足", "无用房"}, fmt
        assert set(communities["premises_status_code"]) <= {"meets", "short", "none"}, fmt
        assert set(communities["service_centre_ok"]) <= {"是", "否"}, fmt


def test_years_and_counts_are_integers_and_numbers_have_their_decimals(odd_package):
    root = odd_package.folder
    info = pyogrio.read_info(root / "shp" / "estates.shp")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["JCNF"] == "int32" and types["HS"] == "int32"  # built_year, households: N(9,0)
    info = pyogrio.read_info(root / "gpkg" / "bureau.gpkg", layer="communities")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["staff_min"] == "int64" and types["service_centre_ok"] == "object"
    # the Shapefile's reals carry their catalogue decimals, not 15 digits of float noise
    dbf = (root / "shp" / "communities.dbf").read_bytes()
    assert b"9999999" not in dbf and b"0000001" not in dbf
    fields = {name: places for name, _, _, _, places in bureau_formats.dbf_fields(dbf[:2000])}
    assert fields["YPMJ"] == 2 and fields["GZJF"] == 2


def test_set_dbf_decimals_rewrites_values_in_place(tmp_path):
    frame = gdf(
        [
            {"area": 4202.4, "n": 3, "geometry": pt(0, 0)},
            {"area": None, "n": 4, "geometry": pt(1, 1)},
        ]
    )
    path = tmp_path / "t.shp"
    bureau_formats.write_shapefile(frame, path, crs="EPSG:4549", decimals={"area": 2})
    raw = path.with_suffix(".dbf").read_bytes()
    assert b"4202.40" in raw and b"4202.399" not in raw
    back = _read(path)
    assert back["area"].iloc[0] == 4202.4 and pd.isna(back["area"].iloc[1])
    assert path.with_suffix(".qix").exists()  # the spatial index


def test_shapefiles_have_a_spatial_index(odd_package):
    for shp in (odd_package.folder / "shp").glob("*.shp"):
        assert shp.with_suffix(".qix").exists(), shp.name


def test_geopackage_is_version_1_2_with_chinese_field_aliases(odd_package):
    import sqlite3
    import warnings

    path = odd_package.folder / "gpkg" / "bureau.gpkg"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (10200,)
        title = db.execute(
            "SELECT title, description FROM gpkg_data_columns "
            "WHERE table_name = 'communities' AND column_name = 'shortfall_m2'"
        ).fetchone()
        extension = db.execute(
            "SELECT scope FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns'"
        ).fetchone()
    assert title[0] == "缺口面积" and title[1]
    assert extension == ("read-write",)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # GDAL says nothing on opening it
        pyogrio.read_dataframe(path, layer="communities")


def test_field_dictionary_headers_in_the_package_language(odd_results, tmp_path):
    export_bureau(odd_results, tmp_path / "en", formats="geojson", lang="en")
    en = pd.read_csv(tmp_path / "en" / "bureau" / "field_dictionary.csv", encoding="utf-8-sig")
    assert list(en.columns) == [
        "layer",
        "code",
        "field",
        "name_zh",
        "name_en",
        "type",
        "unit",
        "meaning",
    ]
    back = _read(tmp_path / "en" / "bureau" / "geojson" / "estates.geojson", None)
    assert set(back["enclosure"]) == {"open", "semi-open"}
    assert set(back["enclosure_code"]) == {"open", "semi_open"}
    assert set(back["covered"]) <= {"yes", "no"}


def test_field_dictionary_in_chinese(odd_package):
    d = pd.read_csv(odd_package.folder / "field_dictionary.csv", encoding="utf-8-sig", dtype=str)
    assert list(d.columns)[:2] == ["图层", "字段代码"]
    assert {"字段名称", "类型", "单位", "说明"} <= set(d.columns)
    row = d[(d["图层"] == "communities") & (d["字段代码"] == "YPMJ")].iloc[0]
    assert row["类型"] == "数值（2 位小数）" and row["字段名称"] == "应配面积"
    row = d[(d["图层"] == "estates") & (d["字段代码"] == "FBQKDM")].iloc[0]
    assert row["字段"] == "enclosure_code" and row["字段名称"] == "封闭情况代码"


@pytest.mark.skipif(not CAN_GDB, reason="GDAL cannot write FileGDB")
def test_filegdb_has_chinese_layer_and_field_aliases(odd_package):
    path = odd_package.folder / "gdb" / "bureau.gdb"
    assert "gdb" in odd_package.formats
    info = pyogrio.read_info(path, layer="estates")
    assert info["layer_metadata"]["ALIAS_NAME"] == "小区"
    _, table = pyogrio.read_arrow(path, layer="estates", max_features=1)
    alias = table.schema.field("enclosure").metadata[b"GDAL:OGR:alternative_name"]
    assert alias.decode("utf-8") == "封闭情况"


def test_geopackage_layers_are_named_in_chinese(odd_package):
    import sqlite3

    with sqlite3.connect(odd_package.folder / "gpkg" / "bureau.gpkg") as db:
        names = dict(db.execute("SELECT table_name, identifier FROM gpkg_contents").fetchall())
    assert names["communities"] == "社区边界" and names["estates"] == "小区"
