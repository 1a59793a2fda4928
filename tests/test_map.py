"""R9 one-map (数字社区一张图, 四(八)) — fast checks of the page, no browser.

Hand-made layers near Wukang (tests/conftest.py): communities A (3,000 households, short)
and B (1,000 households, none), three estates (one named with an HTML injection), three
premises, a planned road crossing estate E2, a development parcel and a county outline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import LineString

from gis_planner.i18n import label, render, tr, value_label
from gis_planner.io.layers import load_layers
from gis_planner.pipeline import analyse
from gis_planner.render import onemap as maps
from gis_planner.render.onemap import assets, basemaps, style, values
from gis_planner.render.onemap.geometry import decode
from gis_planner.render.onemap.records import unpack

from .conftest import gdf, pt, square, two_communities, write_layers

XSS_NAME = "<img src=x onerror=alert(1)>"
SCRIPT_NAME = "</script><script>window.__pwned=1</script>"
DATA_NOTE = "示意数据：社区边界与小区为合成数据 <b>not bold</b>"

LAYER_KEYS = (
    "communities",
    "estates",
    "premises",
    "reach",
    "outside",
    "no_pm",
    "roads",
    "parcels",
    "outline",
)
LAYER_TITLES = {
    "communities": ("map_layer_communities", {}),
    "estates": ("map_layer_estates", {}),
    "premises": ("map_layer_premises", {}),
    "reach": ("reach_layer", {"distance": 300}),
    "outside": ("map_layer_outside", {"distance": 300}),
    "no_pm": ("map_layer_no_pm", {}),
    "roads": ("map_layer_roads", {}),
    "parcels": ("map_layer_parcels", {}),
    "outline": ("map_layer_outline", {}),
}


def layer_title(key: str, lang: str) -> str:
    """The name of the layer ``key`` in the layer control; the reach is straight-line."""
    code, values = LAYER_TITLES[key]
    if key == "reach":
        return map_text(code, lang, how=map_text("straight_line", lang), **values)
    return tr(code, lang, **values)


def hand_made_estates(estate_name: str):
    """Estates E1 (open, damaged facade), E2 (named ``estate_name``), E3 (enclosed)."""
    return gdf(
        [
            {
                "estate_id": "E1",
                "name": "东苑小区",
                "households": 1800,
                "built_year": 1995,
                "enclosure": "open",
                "property_management": False,
                "facade": "damaged",
                "geometry": square(100, 100, 300),
            },
            {
                "estate_id": "E2",
                "name": estate_name,
                "households": 1200,
                "built_year": 2005,
                "enclosure": "semi_open",
                "condition": "poor",
                "survey_participation": 0.8,
                "survey_support": 0.9,
                "geometry": square(500, 500, 300),
            },
            {
                "estate_id": "E3",
                "name": "西苑",
                "households": 1000,
                "built_year": 1990,
                "enclosure": "enclosed",
                "geometry": square(1300, 300, 300),
            },
        ]
    )


def write_hand_made_layers(
    folder: Path, *, estate_name: str = XSS_NAME, data_note: str | None = DATA_NOTE
) -> Path:
    """The hand-made layers folder shared by the unit and browser tests of the map."""
    premises = gdf(
        [
            {
                "premises_id": "P1",
                "community_id": "A",
                "name": "甲社区党群服务中心",
                "function": "party_service_centre",
                "floor_area_m2": 1500.0,
                "tenure": "leased",
                "status": "existing",
                "floor": 1,
                "annual_rent_yuan": 120000.0,
                "geometry": pt(250, 250),
            },
            {
                "premises_id": "P2",
                "community_id": "A",
                "name": SCRIPT_NAME,
                "function": "service_centre",
                "floor_area_m2": 80.0,
                "tenure": "new_build",
                "status": "existing",
                "floor": 2,
                "cost_yuan": 500000.0,
                "geometry": pt(300, 250),
            },
            {
                "premises_id": "P3",
                "community_id": "B",
                "name": "乙社区养老服务用房",
                "function": "elderly_care",
                "floor_area_m2": 400.0,
                "tenure": "new_build",
                "status": "planned",
                "floor": 1,
                "geometry": pt(1500, 500),
            },
        ]
    )
    roads = gdf(
        [
            {
                "road_id": "R1",
                "name": "规划一路",
                "geometry": LineString([pt(0, 650).coords[0], pt(2000, 650).coords[0]]),
            }
        ]
    )
    parcels = gdf(
        [
            {
                "parcel_id": "D1",
                "name": "出让地块一",
                "planned_households": 800,
                "geometry": square(1500, 800, 150),
            }
        ]
    )
    outline = gdf([{"name": "县界", "geometry": square(-500, -500, 3000)}])
    write_layers(
        folder,
        communities=two_communities(),
        estates=hand_made_estates(estate_name),
        premises=premises,
        planned_roads=roads,
        development_parcels=parcels,
        county_outline=outline,
    )
    if data_note is not None:
        (folder / "planner.yaml").write_text(
            f"name: 手工测试图层\ndata_note: {json.dumps(data_note, ensure_ascii=False)}\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = write_hand_made_layers(tmp_path_factory.mktemp("map") / "layers")
    return analyse(load_layers(folder))


@pytest.fixture(scope="module")
def page_zh(results) -> str:
    return maps.render_map(maps.build_map(results))


def map_text(key: str, lang: str, /, **values: object) -> str:
    """The one-map's own text ``key`` (``map_{key}`` in :data:`gis_planner.i18n.MESSAGES`)."""
    return tr(f"map_{key}", lang, **values)


def page_data(page: str) -> dict:
    """The layers' JSON embedded in a rendered page: its features as records, their strings
    resolved, geometries decoded to GeoJSON (what the page's script draws)."""
    match = re.search(r'<script type="application/json" id="gp-data">(.*?)</script>', page, re.S)
    assert match, "no gp-data block in the page"
    data = json.loads(match.group(1))
    for layer_id, features in unpack(data).items():  # as onemap.js rebuilds them
        data["layers"][layer_id]["features"] = features
        del data["layers"][layer_id]["columns"]
    for layer in data["layers"].values():
        for feature in layer.get("features", []):
            if "g" in feature:
                feature["g"] = decode(feature["g"])
    return data


def unescaped(page: str) -> str:
    """The page with JS ``\\uXXXX`` escapes decoded (to look for texts in scripts)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


def field_values(page: str, layer_id: str, feature: dict) -> dict[str, object]:
    """A feature's popup values by field, as the page shows them (string table resolved)."""
    data = page_data(page)
    strings, layer = data["strings"], data["layers"][layer_id]

    def text(x: object) -> object:
        return strings[x] if isinstance(x, int) else x

    out: dict[str, object] = {}
    for row, value in zip(layer["rows"], feature["v"], strict=True):
        if value is None:
            out[row["f"] if isinstance(row["f"], str) else row["f"][0]] = None
        elif row["t"] == "range":  # one figure when both ends are equal ("12", not "12–12")
            low, high = value if len(value) == 2 else value * 2
            out[row["f"][0]], out[row["f"][1]] = text(low), text(high)
        elif row["t"] == "list":
            out[row["f"]] = [text(x) for x in value]
        else:
            out[row["f"]] = text(value)
    return out


# --------------------------------------------------------------------------- offline


def test_R9_page_requests_nothing_but_tiles(page_zh):
    urls = set(maps.external_urls(page_zh))
    tiles = {basemaps.OSM_URL}
    assert urls - tiles <= set(basemaps.LINK_ONLY_URLS)
    assert basemaps.OSM_URL in urls
    # no CDN resource and nothing loaded by src/href/url()/@import
    assert not re.search(r'<(script|img|iframe)[^>]+src=["\']?(https?:)?//', page_zh, re.I)
    assert not re.search(r'<link[^>]+href=["\']?(https?:)?//', page_zh, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page_zh, re.I)
    assert "@import" not in page_zh
    for cdn in (
        "cdn.jsdelivr",
        "cdnjs",
        "code.jquery",
        "bootstrapcdn",
        "fontawesome",
        "awesome-markers",
        "unpkg",
    ):
        assert cdn not in page_zh.lower()
    assert "Leaflet 1.9.4" in page_zh  # inlined, with its licence header
    assert "url(data:image/png;base64," in page_zh  # Leaflet's control images inlined
    assert "sourceMappingURL" not in page_zh


def test_R9_check_offline_raises_on_any_other_url():
    page = '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>'
    with pytest.raises(maps.MapResourceError, match="cdn.jsdelivr.net"):
        maps.check_offline(page, [basemaps.OSM_URL, *basemaps.LINK_ONLY_URLS])
    maps.check_offline(f'"{basemaps.OSM_URL}"', [basemaps.OSM_URL])


def test_R9_urls_in_input_text_never_look_like_resources(tmp_path):
    folder = write_hand_made_layers(
        tmp_path / "layers",
        estate_name="见 https://example.com/x.js",
        data_note="来源 http://example.org/note",
    )
    page = maps.render_map(maps.build_map(analyse(load_layers(folder))))  # does not raise
    assert "example.com" in page and "https://example.com" not in page


def test_R9_page_inlines_its_own_script_and_style_from_package_data(page_zh):
    """onemap.js and onemap.css are package data read with importlib.resources (so they work
    from a wheel, tests/test_packaging.py) and are inlined verbatim, as Leaflet is."""
    from importlib.resources import files

    package = files("gis_planner.render.onemap")
    for name, text in (("onemap.js", assets.page_script()), ("onemap.css", assets.page_style())):
        assert (package / name).read_text(encoding="utf-8") == text
        assert text.strip() and text in page_zh, name
    leaflet_js, leaflet_css = maps.leaflet_assets()
    assert leaflet_js in page_zh and leaflet_css in page_zh
    assert "GP.layer = function" in assets.page_script()
    assert ".gp-popup{" in assets.page_style()


def test_R9_an_asset_that_would_end_its_block_is_refused(monkeypatch, tmp_path):
    (tmp_path / "onemap.js").write_text("var a = '</script>';", encoding="utf-8")
    monkeypatch.setattr(assets, "OWN", tmp_path)
    assets.page_script.cache_clear()
    try:
        with pytest.raises(maps.MapResourceError, match="onemap.js contains '</script'"):
            assets.page_script()
    finally:
        monkeypatch.undo()
        assets.page_script.cache_clear()
    assert "</script" not in assets.page_script()


def test_R9_the_map_imports_no_analysis_and_no_private_name():
    """The map words and draws what the results hold: of the package it imports i18n, errors,
    crs, the results type, render.escape and render.text, and nothing private across its
    modules."""
    import ast

    folder = Path(maps.__file__).parent
    allowed = {
        "gis_planner.i18n",
        "gis_planner.errors",
        "gis_planner.crs",
        "gis_planner.results",
        "gis_planner.render.escape",
        "gis_planner.render.text",
    }
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "gis_planner":
                modules = [f"gis_planner.{alias.name}" for alias in node.names]
                names = []
            elif isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
                names = []
            else:
                continue
            for module in modules:
                if module.startswith("gis_planner."):
                    assert module in allowed or module.startswith("gis_planner.render.onemap"), (
                        f"{path.name} imports {module}"
                    )
                    assert not [n for n in names if n.startswith("_")], f"{path.name}: {names}"


# --------------------------------------------------------------------------- layers, labels


def layer_control(page: str) -> dict[str, list[str]]:
    """Names of the base layers and overlays in the page's L.control.layers call."""
    block = re.search(
        r"_layers = \{\s*base_layers : \{(.*?)\},\s*overlays :  \{(.*?)\},", page, re.S
    )
    assert block, "no layer control in the page"
    key = re.compile(r'("(?:[^"\\]|\\.)*")\s*:\s*\w+,')
    return {
        "base": [json.loads(k) for k in key.findall(block.group(1))],
        "overlays": [json.loads(k) for k in key.findall(block.group(2))],
    }


def test_R9_every_layer_is_in_the_layer_control(page_zh):
    data = page_data(page_zh)
    assert tuple(data["layers"]) == LAYER_KEYS
    control = layer_control(page_zh)
    expected = [layer_title(k, "zh") for k in LAYER_KEYS]
    assert control["overlays"] == expected
    assert "社区用房 300 米范围（直线）" in expected  # a straight-line reach, not "步行"
    assert [data["layers"][k]["name"] for k in LAYER_KEYS] == expected
    # no Tianditu key in this test: OSM and "none" only
    assert control["base"] == [tr("map_base_osm", "zh"), tr("map_base_none", "zh")]


def test_R9_labels_are_chinese_by_default_and_english_with_lang_en(results, page_zh):
    page_en = maps.render_map(maps.build_map(results, lang="en"))
    zh, en = page_data(page_zh), page_data(page_en)
    rows_zh = [r["l"] for r in zh["layers"]["communities"]["rows"]]
    rows_en = [r["l"] for r in en["layers"]["communities"]["rows"]]
    assert label("required_area_m2", "zh") in rows_zh
    assert label("required_area_m2", "en") in rows_en
    assert en["layers"]["communities"]["name"] == "Communities: premises status"
    assert en["layers"]["communities"]["labels"]["short"] == "short"
    assert zh["layers"]["communities"]["labels"]["short"] == "不足"
    assert "<title>数字社区一张图" in page_zh
    assert "<title>Digital community one-map" in page_en
    assert tr("map_search_placeholder", "en") in unescaped(page_en)
    assert tr("map_search_placeholder", "zh") in unescaped(page_zh)
    assert layer_control(page_en)["base"] == ["OpenStreetMap", "No basemap"]
    with pytest.raises(ValueError, match="language"):
        maps.build_map(results, lang="fr")


def test_R9_community_popup_figures_equal_the_outputs(results, page_zh, tmp_path):
    from gis_planner.render.runfolder import write_run

    written, _ = write_run(results, tmp_path / "run", map_html=False, atlas_pdf=False)
    geojson = json.loads(written["communities"].read_text(encoding="utf-8"))
    by_id = {f["properties"]["community_id"]: f["properties"] for f in geojson["features"]}
    layer = page_data(page_zh)["layers"]["communities"]
    numeric = (
        "households",
        "population_used",
        "required_area_m2",
        "premises_area_m2",
        "shortfall_m2",
        "staff_min",
        "staff_max",
        "working_funds_yuan",
        "cobuild_funds_yuan",
        "subsidy_build_yuan",
        "subsidy_rent_yuan_per_year",
        "estates_count",
        "households_covered",
    )
    for feature in layer["features"]:
        shown = field_values(page_zh, "communities", feature)
        props = by_id[feature["i"]]
        assert feature["n"] == props["name"]
        assert feature["k"] == props["premises_status"]
        for field in numeric:
            assert float(str(shown[field]).replace(",", "")) == pytest.approx(
                props[field], abs=1e-9
            ), field
        assert shown["premises_status"] == value_label(props["premises_status"], "zh")
    a = field_values(page_zh, "communities", layer["features"][0])
    # A: 3,000 households, leased 1,500 m² is the largest → renovated: max(75 × 30, 1200)
    assert (a["required_area_m2"], a["premises_area_m2"], a["shortfall_m2"]) == (
        "2,250",
        "1,580",
        "670",
    )
    assert (a["staff_min"], a["staff_max"]) == ("9", "10")  # 7 + ⌊1000/400⌋, 7 + ⌊1000/300⌋


def test_R9_estate_popup_lists_status_and_every_reason(results, page_zh):
    layer = page_data(page_zh)["layers"]["estates"]
    e1 = next(f for f in layer["features"] if f["i"] == "E1")
    values = field_values(page_zh, "estates", e1)
    reasons = results.estates.set_index("estate_id").loc["E1", "enclosure_reasons"]
    assert reasons and values["enclosure_reasons"] == render(list(reasons), "zh")  # worded
    assert values["enclosure_status"] == value_label("needs_survey", "zh")
    assert e1.get("m") == 1  # no property management (R8)
    e2 = next(f for f in layer["features"] if f["i"] == "E2")
    assert e2["k"] == "not_suitable" and e2.get("o") == 1  # beyond 300 m of premises
    assert field_values(page_zh, "estates", e2)["survey_support"] == "90%"


def test_R9_premises_markers_sized_by_floor_area_with_function_icons(page_zh):
    layer = page_data(page_zh)["layers"]["premises"]
    sizes = {f["i"]: f["z"] for f in layer["features"]}
    assert sizes["P1"] > sizes["P3"] > sizes["P2"]  # 1,500 > 400 > 80 m²
    assert {f["k"] for f in layer["features"]} <= set(style.FUNCTION_ICONS)
    assert layer["icons"]["party_service_centre"] == "党"
    assert next(f for f in layer["features"] if f["i"] == "P3").get("pl") == 1  # planned


def test_R9_reach_covers_counted_premises_only(results, page_zh):
    from shapely.geometry import Point, shape

    reach = shape(page_data(page_zh)["layers"]["reach"]["features"][0]["g"])
    p1 = results.premises.set_index("premises_id").to_crs("EPSG:4326").geometry
    assert reach.contains(Point(p1["P1"].x, p1["P1"].y))
    assert not reach.contains(Point(p1["P3"].x, p1["P3"].y))  # planned: not counted now


# --------------------------------------------------------------------------- escaping


def test_R9_input_text_is_escaped_everywhere(page_zh):
    assert XSS_NAME not in page_zh
    assert "<img src=x" not in page_zh
    assert SCRIPT_NAME not in page_zh
    assert "<script>window.__pwned" not in page_zh
    assert "<b>not bold</b>" not in page_zh
    assert "&lt;b&gt;not bold&lt;&#x2F;b&gt;" in page_zh  # the data note, as text
    data = page_data(page_zh)
    names = {f.get("n") for f in data["layers"]["estates"]["features"]}
    assert XSS_NAME in names  # the JSON gives back the exact name, shown with textContent
    assert SCRIPT_NAME in {f.get("n") for f in data["layers"]["premises"]["features"]}
    # the page's own script never hands input text to innerHTML
    script = assets.page_script()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_R9_messages_of_the_analyses_are_worded_in_the_page_language(results):
    """The analyses hand over codes (i18n.Message, Term, Listing, Problem), not sentences: the
    popups word them in the page's language, and still show plain sentences as they are."""
    import dataclasses

    from gis_planner.errors import Problem
    from gis_planner.i18n import Listing, Term, msg

    converted = msg("gcj02_converted")
    communities = results.communities.copy()
    communities["warnings"] = pd.Series(
        [[converted, Problem("communities", converted)], ["as is"]], index=communities.index
    )
    estates = results.estates.copy()
    estates["enclosure_reasons"] = pd.Series(
        [[converted, Listing.of([Term("open"), Term("enclosed")])]] * len(estates),
        index=estates.index,
    )
    premises = results.premises.copy()
    premises["subsidy_note"] = converted
    coded = dataclasses.replace(
        results, communities=communities, estates=estates, premises=premises
    )
    for lang in ("zh", "en"):
        page = maps.render_map(maps.build_map(coded, lang=lang))
        layers = page_data(page)["layers"]
        text = converted.text(lang)
        a, b = (field_values(page, "communities", f) for f in layers["communities"]["features"])
        assert a["warnings"] == [text, f"communities: {text}"]
        assert b["warnings"] == ["as is"]
        e1 = field_values(page, "estates", layers["estates"]["features"][0])
        listing = ("开放式、封闭式", "open, enclosed")[lang == "en"]
        assert e1["enclosure_reasons"] == [text, listing]
        p1 = field_values(page, "premises", layers["premises"]["features"][0])
        assert p1["subsidy_note"] == text
    assert converted.text("zh") != converted.text("en")


def test_R7_decision_notes_word_messages_and_name_the_original_community():
    from gis_planner.i18n import msg
    from gis_planner.render.onemap.proposals import decision_notes

    note = msg("gcj02_converted")
    decisions = pd.DataFrame(
        [
            {"community_id": "C1", "name": "甲社区", "proposed_ids": "C1, C2", "note": note},
            {"community_id": "C3", "name": None, "proposed_ids": None, "note": "合并"},
            {"community_id": "C4", "name": "丁", "proposed_ids": "C4", "note": None},
        ]
    )
    notes = decision_notes(decisions, "en")
    assert notes == {
        "C1": [note.text("en")],
        "C2": [tr("map_decision_of", "en", name="甲社区", id="C1", note=note.text("en"))],
        "C3": ["合并"],
    }
    assert decision_notes(None, "zh") == {}


def test_R9_data_note_and_summary_are_visible(results, page_zh):
    assert 'id="gp-data-note"' in page_zh
    assert "示意数据：社区边界与小区为合成数据" in page_zh
    legend = re.search(r'id="gp-data-legend".*?</div></details>', page_zh, re.S).group(0)
    assert tr("summary_shortfall", "zh") in legend and "2,470 m²" in legend  # 670 + 1,800
    for status in ("meets", "short", "none", "candidate", "needs_survey", "not_applicable"):
        assert value_label(status, "zh") in legend
    for colour in (*style.COMMUNITY_COLOURS.values(), *style.ESTATE_COLOURS.values()):
        assert colour in legend
    # the basemap note is for planners: OSM as the fallback, no environment variable
    assert map_text("base_osm_fallback", "zh") in legend
    assert "TIANDITU_KEY" not in page_zh and "环境变量" not in page_zh


def test_R9_no_note_without_a_data_note(tmp_path):
    folder = write_hand_made_layers(tmp_path / "layers", data_note=None)
    page = maps.render_map(maps.build_map(analyse(load_layers(folder))))
    assert 'id="gp-data-note"' not in page


# --------------------------------------------------------------------------- basemaps, CRS


def _first_vertex(page: str) -> tuple[float, float]:
    ring = page_data(page)["layers"]["communities"]["features"][0]["g"]["coordinates"][0]
    return tuple(ring[0])  # type: ignore[return-value]


def test_R9_amap_shifts_overlays_about_500_m_for_display_only(results, page_zh):
    before = results.communities.geometry.copy()
    page_amap = maps.render_map(maps.build_map(results, basemap="amap"))
    (lon0, lat0), (lon1, lat1) = _first_vertex(page_zh), _first_vertex(page_amap)
    _, _, shift_m = pyproj.Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    assert 300 < shift_m < 800
    assert results.communities.geometry.geom_equals(before).all()  # results not shifted
    urls = maps.external_urls(page_amap)
    assert basemaps.AMAP_URL in urls and basemaps.OSM_URL not in urls
    assert layer_control(page_amap)["base"] == [
        tr("map_base_amap", "zh"),
        tr("map_base_none", "zh"),
    ]
    assert tr("map_amap_shift", "zh") in page_amap


def test_R9_tianditu_needs_a_key(results, monkeypatch):
    monkeypatch.delenv(basemaps.TIANDITU_KEY_ENV, raising=False)
    with pytest.raises(ValueError, match="TIANDITU_KEY"):
        maps.build_map(results, basemap="tianditu")
    monkeypatch.setenv(basemaps.TIANDITU_KEY_ENV, "0123abcd")
    page = maps.render_map(maps.build_map(results))
    assert "tianditu.gov.cn/vec_w/wmts" in page and "tk=0123abcd" in page
    assert "cva_w" in page  # Chinese annotation
    assert "eva_w" in maps.render_map(maps.build_map(results, lang="en"))
    assert map_text("base_osm_fallback", "zh") not in page
    # CGCS2000 ≈ WGS84: same coordinates as on OSM
    assert (
        page_data(page)["layers"]
        == page_data(
            maps.render_map(maps.build_map(results, tianditu_key="0123abcd", basemap="tianditu"))
        )["layers"]
    )


def test_R9_basemap_choice_and_errors(results):
    page = maps.render_map(maps.build_map(results, basemap="none"))
    assert layer_control(page)["base"] == [tr("map_base_none", "zh"), tr("map_base_osm", "zh")]
    first = re.search(r"var (\w+) = L\.layerGroup\(\[\s*\]\);", page)
    assert first, "the empty base layer comes first"
    assert f"{first.group(1)}.addTo(" in page
    with pytest.raises(ValueError, match="osm, tianditu, amap, none"):
        maps.build_map(results, basemap="google")
    with pytest.raises(ValueError, match="letters and digits"):
        maps.build_map(results, tianditu_key='x"; alert(1); "')


def test_R9_size_and_coordinate_precision(page_zh):
    assert len(page_zh.encode("utf-8")) < 400_000  # Leaflet ≈ 150 kB + the page
    data_text = re.search(r'id="gp-data">(.*?)</script>', page_zh, re.S).group(1)
    coords = json.dumps([f["g"] for f in page_data(page_zh)["layers"]["estates"]["features"]])
    assert not re.search(r"\d+\.\d{7,}", coords)
    assert len(data_text) < 40_000


def test_R9_build_map_is_pure(results, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    columns = list(results.estates.columns)
    maps.build_map(results)
    assert list(tmp_path.iterdir()) == []
    assert list(results.estates.columns) == columns


def test_R9_write_run_writes_map_html(results, tmp_path):
    from gis_planner.render.runfolder import write_run

    written, _ = write_run(results, tmp_path / "run")
    page = written["map"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page_data(page)["layers"]["communities"]["features"]


def test_format_number_keeps_every_decimal_the_outputs_keep():
    assert values.format_number(2400.0) == "2,400"
    assert values.format_number(219700.5) == "219,700.5"
    assert values.format_number(0.1234) == "0.1234"
    assert values.format_number(np.int64(7)) == "7"
    assert values.format_number(float("nan")) is None


def test_R9_map_of_communities_and_polygon_premises_only(tmp_path):
    communities = two_communities()
    communities["households"] = [2500, 1500]
    premises = gdf(
        [
            {
                "premises_id": "P1",
                "community_id": "A",
                "function": "work_rooms",
                "floor_area_m2": 2000.0,
                "tenure": "new_build",
                "geometry": square(400, 400, 30),
            }
        ]
    )
    folder = write_layers(tmp_path / "layers", communities=communities, premises=premises)
    results = analyse(load_layers(folder))
    page = maps.render_map(maps.build_map(results))
    data = page_data(page)
    assert list(data["layers"]) == ["communities", "premises", "reach"]
    assert layer_control(page)["overlays"] == [data["layers"][k]["name"] for k in data["layers"]]
    marker = data["layers"]["premises"]["features"][0]
    assert "g" not in marker and len(marker["c"]) == 2  # a polygon premises: one marker
    a = field_values(page, "communities", data["layers"]["communities"]["features"][0])
    assert a["required_area_m2"] == "2,000"  # 2,500 households, new: max(80 × 25, 1,800)
    assert a["premises_status"] == value_label("meets", "zh")


def test_R9_layers_folder_name_is_escaped_in_title_and_legend(tmp_path):
    folder = write_hand_made_layers(tmp_path / "layers", data_note=None)
    (folder / "planner.yaml").write_text('name: "<script>alert(1)</script>县"\n', encoding="utf-8")
    page = maps.render_map(maps.build_map(analyse(load_layers(folder))))
    assert "<script>alert(1)" not in page
    assert "<title>数字社区一张图 — &lt;script&gt;alert(1)&lt;&#x2F;script&gt;县 — " in page


# --------------------------------------------------------------------------- R7 proposals

PROPOSAL_KEYS = ("proposed", "sites_lscp", "sites_mclp", "paths", "barriers")


def proposal_names(layout_summary: dict, lang: str = "zh") -> dict[str, str]:
    """The proposal layers' names in the layer control."""
    return {
        "proposed": tr("map_layer_proposed", lang),
        "sites_lscp": tr("map_layer_sites_lscp", lang, n=layout_summary["lscp_sites"]),
        "sites_mclp": tr("map_layer_sites_mclp", lang, n=layout_summary["mclp_sites"]),
        "paths": tr("map_layer_paths", lang),
        "barriers": tr("map_layer_barriers", lang),
    }


@pytest.fixture(scope="module")
def demo_layout():
    """The embedded demo with the R7 proposals (``propose_layout``), built here, not by the CLI,
    with the shift step off (``layout.shift_border_units``): the demo's communities out of
    range then are split and merged, which the popups below show (with it on, border estates
    move and nothing is split or merged)."""
    from dataclasses import replace

    from gis_planner.pipeline import propose_layout

    from .conftest import DEMO

    if not any(DEMO.glob("communities.*")):
        pytest.skip("the embedded demo (layers/deqing_demo) is not there")
    data = load_layers(DEMO)
    data = replace(data, rules=data.rules.with_overrides({"layout": {"shift_border_units": False}}))
    return propose_layout(analyse(data))


@pytest.fixture(scope="module")
def demo_layout_page(demo_layout) -> str:
    return maps.render_map(maps.build_map(demo_layout))


def _legend(page: str) -> str:
    return re.search(r'id="gp-data-legend".*?</table>', page, re.S).group(0)


def test_R7_proposal_layers_are_in_the_layer_control_and_off_on_opening(
    demo_layout, demo_layout_page
):
    page = demo_layout_page
    data = page_data(page)
    summary = demo_layout.layout.summary
    names = proposal_names(summary)
    present = [k for k in PROPOSAL_KEYS if k in data["layers"]]
    assert present == ["proposed", "sites_lscp", "sites_mclp"]  # no paths/barriers in the demo
    assert list(data["layers"])[-3:] == present  # after the run's own layers
    control = layer_control(page)["overlays"]
    assert control[-3:] == [names[k] for k in present]
    assert names["sites_lscp"] == f"集合覆盖选址（{summary['lscp_sites']} 处）"
    for key in present:
        assert data["layers"][key]["name"] == names[key]
        var = re.search(rf'var (\w+) = GP\.layer\("{key}"\);', page).group(1)
        assert f"{var}.addTo(" not in page, f"{key} should be off on opening"
    assert len(data["layers"]["proposed"]["features"]) == summary["proposed_communities"]
    assert len(data["layers"]["sites_lscp"]["features"]) == summary["lscp_sites"]
    assert len(data["layers"]["sites_mclp"]["features"]) == summary["mclp_sites"]
    # the legend's summary says what the proposals change
    legend = _legend(page)
    beyond = (
        f"{summary['households_beyond_walk_now']:,} → "
        f"{summary['households_beyond_walk_with_sites']:,}"
    )
    assert f"<th>{tr('map_summary_beyond', 'zh', distance=300)}</th><td>{beyond}</td>" in legend
    assert f"{summary['communities_out_of_range']} → {summary['proposed_communities']}" in legend
    for key, colour in style.CHANGE_COLOURS.items():
        if key != "no_proposal":
            assert colour in legend and value_label(key, "zh") in legend
    assert len(page.encode("utf-8")) < 5_000_000


def test_R7_split_community_popup_shows_before_and_after(demo_layout, demo_layout_page):
    proposed = demo_layout.layout.boundaries.communities
    decisions = demo_layout.layout.boundaries.decisions
    split = proposed[proposed["change"].str.contains("split") & (proposed["households_before"] > 0)]
    assert len(split), "the demo has a community out of range that is split"
    row = split.iloc[0]
    layer = page_data(demo_layout_page)["layers"]["proposed"]
    feature = next(f for f in layer["features"] if f["i"] == row["community_id"])
    shown = field_values(demo_layout_page, "proposed", feature)
    assert feature["k"] == "split" and feature["n"] == render(row["name"], "zh")
    assert int(shown["households_before"].replace(",", "")) == row["households_before"]
    assert int(shown["households"].replace(",", "")) == row["households"]
    assert row["households"] < row["households_before"]
    for field in ("staff_min_before", "staff_max_before", "staff_min", "staff_max"):
        assert int(shown[field]) == row[field], field
    for field in ("required_area_m2_before", "required_area_m2", "shortfall_m2"):
        assert float(shown[field].replace(",", "")) == pytest.approx(
            round(row[field], 4), abs=1e-9
        ), field
    assert shown["change"] == value_label("split", "zh")
    note = decisions.set_index("community_id").loc[row["community_id"], "note"]
    assert shown["decision_note"] == [render(note, "zh")]
    labels = {r["f"] if isinstance(r["f"], str) else r["f"][0]: r["l"] for r in layer["rows"]}
    assert labels["households_before"] == label("households_before", "zh")
    assert labels["households"] == label("households_after", "zh")
    assert labels["staff_min_before"] == label("staff_range_before", "zh")
    # the community another one merged into shows that one's decision, with its name
    merged = decisions[decisions["action"] == "merged"].iloc[0]
    target = next(f for f in layer["features"] if f["i"] == merged["proposed_ids"])
    notes = field_values(demo_layout_page, "proposed", target)["decision_note"]
    merged_note = render(merged["note"], "zh")
    assert f"{merged['name']}（{merged['community_id']}）：{merged_note}" in notes


def test_R7_proposal_names_and_notes_are_worded_in_english(demo_layout):
    """Names of split parts ("name (part 2)") and decision notes are messages of the
    analyses: the English page words them in English."""
    from gis_planner.i18n import Message

    page = maps.render_map(maps.build_map(demo_layout, lang="en"))
    layer = page_data(page)["layers"]["proposed"]
    boundaries = demo_layout.layout.boundaries
    named = boundaries.communities.set_index("community_id")["name"]
    parts = [i for i, name in named.items() if isinstance(name, Message)]
    assert parts, "the demo splits a community into named parts"
    for feature in layer["features"]:
        assert feature["n"] == render(named[feature["i"]], "en")
    assert any(" (part " in f["n"] for f in layer["features"])
    notes = boundaries.decisions.set_index("community_id")["note"]
    split = next(f for f in layer["features"] if f["k"] == "split" and f["i"] in notes.index)
    shown = field_values(page, "proposed", split)["decision_note"]
    assert shown[0] == render(notes[split["i"]], "en") and shown[0].startswith("split into")


def test_R7_site_markers_carry_priority_and_households_newly_covered(demo_layout, demo_layout_page):
    from gis_planner.render.onemap.proposals import site_label

    sites = demo_layout.layout.siting.sites
    data = page_data(demo_layout_page)
    for model in ("lscp", "mclp"):
        chosen = sites[sites["model"] == model].sort_values("priority")
        layer = data["layers"][f"sites_{model}"]
        assert layer["type"] == "marker" and layer["colour"] == style.SITE_COLOURS[model]
        assert [f["p"] for f in layer["features"]] == [str(p) for p in chosen["priority"]]
        # a site is named by where it lies ("小区内 E0114"), not by its id "E:E0114"
        labels = [
            site_label(i, s, "zh") for i, s in zip(chosen["site_id"], chosen["source"], strict=True)
        ]
        assert [f["i"] for f in layer["features"]] == labels
        assert not any(re.match(r"[A-Z]:", f["i"]) for f in layer["features"])
        for feature, (_, row) in zip(layer["features"], chosen.iterrows(), strict=True):
            shown = field_values(demo_layout_page, f"sites_{model}", feature)
            assert (
                int(shown["households_newly_covered"].replace(",", ""))
                == row["households_newly_covered"]
            )
        assert all("g" not in f and len(f["c"]) == 2 for f in layer["features"])


def test_R7_without_layout_the_map_has_no_proposal_layer(results, page_zh):
    assert getattr(results, "layout", None) is None
    data = page_data(page_zh)
    assert not set(PROPOSAL_KEYS) & set(data["layers"])
    text = unescaped(page_zh)
    names = proposal_names({"lscp_sites": 0, "mclp_sites": 0})
    for name in (
        *names.values(),
        tr("map_proposals", "zh"),
        tr("map_summary_proposed", "zh"),
        tr("map_summary_beyond", "zh", distance=300),
    ):
        assert name not in text
    assert "集合覆盖选址" not in text and 'gp-proposals"' not in page_zh
    assert layer_control(page_zh)["overlays"] == [data["layers"][k]["name"] for k in LAYER_KEYS]


def test_R7_paths_barriers_unresolved_and_escaped(results):
    """Hand-made paths and barriers: a river between A and B keeps B (too small) alone."""
    import dataclasses

    from shapely.geometry import box

    from gis_planner.pipeline import propose_layout

    def line(*xy):
        return LineString([pt(x, y).coords[0] for x, y in xy])

    paths = gdf(
        [
            {"path_id": f"W{i}", "geometry": g}
            for i, g in enumerate(
                [
                    line((0, 250), (2000, 250)),
                    line((0, 600), (2000, 600)),
                    line((250, 0), (250, 1000)),
                    line((650, 0), (650, 1000)),
                    line((1450, 0), (1450, 1000)),
                ]
            )
        ]
    )
    river = box(pt(990, 0).x, pt(990, 0).y, pt(1010, 1000).x, pt(1010, 1000).y)
    barriers = gdf(
        [
            {"barrier_id": "H1", "name": SCRIPT_NAME, "kind": "河流", "geometry": river},
            {
                "barrier_id": "H2",
                "name": "铁路",
                "kind": "铁路",
                "geometry": line((1000, -10), (1000, 1010)),
            },
        ]
    )
    data = dataclasses.replace(results.data, paths=paths, barriers=barriers)
    layout = propose_layout(dataclasses.replace(results, data=data))
    page = maps.render_map(maps.build_map(layout))
    layers = page_data(page)["layers"]
    assert [k for k in PROPOSAL_KEYS if k in layers] == list(PROPOSAL_KEYS)
    assert layer_control(page)["overlays"][-5:] == list(
        proposal_names(layout.layout.summary).values()
    )
    # the paths: one MultiLineString, not clickable; the barriers: polygon and line
    assert len(layers["paths"]["features"]) == 1
    assert layers["paths"]["features"][0]["g"]["type"] == "MultiLineString"
    assert len(layers["paths"]["features"][0]["g"]["coordinates"]) == 5
    assert [f["g"]["type"] for f in layers["barriers"]["features"]] == ["Polygon", "LineString"]
    river_row = field_values(page, "barriers", layers["barriers"]["features"][0])
    assert river_row == {"barrier_id": "H1", "barrier_kind": "河流"}
    # B (1,000 households) cannot merge across the river: no proposal, shown as such
    b = next(f for f in layers["proposed"]["features"] if f["i"] == "B")
    assert b["k"] == "no_proposal"
    assert field_values(page, "proposed", b)["decision_note"][0].startswith("未能提出方案")
    # names (a site named after estate E2, a barrier) stay text
    assert XSS_NAME in {f.get("n") for f in layers["sites_mclp"]["features"]}
    assert SCRIPT_NAME in {f.get("n") for f in layers["barriers"]["features"]}
    assert XSS_NAME not in page and SCRIPT_NAME not in page and "<img src=x" not in page
    # English
    page_en = maps.render_map(maps.build_map(layout, lang="en"))
    assert layer_control(page_en)["overlays"][-5:] == [
        "Proposed community boundaries",
        "Proposed sites: set cover (2)",
        "Proposed sites: best 2",
        "Walking paths",
        "Barriers (hard edges)",
    ]
    proposed_en = page_data(page_en)["layers"]["proposed"]
    assert proposed_en["labels"]["no_proposal"] == "no proposal"
    assert label("households_after", "en") in [r["l"] for r in proposed_en["rows"]]


# --------------------------------------------------------------------------- phone/desktop issue


def test_R9_tianditu_is_the_default_with_a_key_and_shows_the_approval_number(results, monkeypatch):
    """With a key, the map opens on Tianditu's map (imagery offered too), attributed with the
    map approval number (审图号) of the rules file's settings; a user rules file changes it."""
    import dataclasses

    monkeypatch.setenv(basemaps.TIANDITU_KEY_ENV, "0123abcd")
    page = maps.render_map(maps.build_map(results))
    assert layer_control(page)["base"] == [
        map_text("base_tianditu_vec", "zh"),
        map_text("base_tianditu_img", "zh"),
        tr("map_base_osm", "zh"),
        tr("map_base_none", "zh"),
    ]
    for layer in ("vec_w", "cva_w", "img_w", "cia_w"):
        assert f"tianditu.gov.cn/{layer}/wmts" in page, layer
    number = results.rules.settings["tianditu_approval_number"]
    assert number and f"审图号：{number}" in unescaped(page)
    assert map_text("base_not_configured", "zh") not in unescaped(page)
    rules = results.rules.with_overrides(
        {"settings": {"tianditu_approval_number": "GS(2099)0001号"}}, source="test"
    )
    data = dataclasses.replace(results.data, rules=rules)
    other = maps.render_map(maps.build_map(dataclasses.replace(results, data=data)))
    assert "审图号：GS(2099)0001号" in unescaped(other) and number not in unescaped(other)
    en = unescaped(maps.render_map(maps.build_map(results, lang="en")))
    assert f"map approval no. {number}" in en and "eva_w" in en


def test_R9_without_a_key_osm_says_so_and_the_how_to_goes_to_the_log(results, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="gis_planner.render.onemap.page"):
        page = unescaped(maps.render_map(maps.build_map(results, tianditu_key=None)))
    assert "</a> contributors · 未配置天地图" in page  # OSM's attribution, always in sight
    assert "TIANDITU_KEY" not in page
    assert any("TIANDITU_KEY" in r.getMessage() for r in caplog.records)


def test_R9_no_leaflet_flag_no_feet_and_compact_controls_in_the_script():
    script = assets.page_script()
    assert "setPrefix(false)" in script
    assert "imperial: false" in script and "metric: true" in script


def test_R9_scenario_name_and_plan_year_in_title_and_header(results):
    import dataclasses

    scenario = dataclasses.replace(results, scenario={"name": "方案A <b>"}, year=2035)
    page = maps.render_map(maps.build_map(scenario))
    title = "数字社区一张图 — 手工测试图层 — 方案：方案A &lt;b&gt; — 2035 年规划"
    assert f"<title>{title}</title>" in page
    assert f'<div class="gp-head">{title}</div>' in page
    en = maps.render_map(maps.build_map(scenario, lang="en"))
    assert "scenario: 方案A &lt;b&gt; — plan year 2035</title>" in en


def test_R9_a_fixed_staffing_is_one_figure(results):
    """A staff range whose ends are equal shows "12", not "12–12"."""
    import dataclasses

    communities = results.communities.copy()
    communities["staff_min"] = 12
    communities["staff_max"] = 12
    page = maps.render_map(maps.build_map(dataclasses.replace(results, communities=communities)))
    data = page_data(page)
    rows = data["layers"]["communities"]["rows"]
    index = next(i for i, r in enumerate(rows) if r["f"] == ["staff_min", "staff_max"])
    for feature in data["layers"]["communities"]["features"]:
        value = feature["v"][index]
        assert value == ["12"]


def test_R7_proposed_areas_in_hectares_compactness_explained(demo_layout, demo_layout_page):
    proposed = demo_layout.layout.boundaries.communities.set_index("community_id")
    layer = page_data(demo_layout_page)["layers"]["proposed"]
    labels = {r["f"]: r["l"] for r in layer["rows"] if isinstance(r["f"], str)}
    assert labels["area_m2"] == "面积（公顷）" and labels["compactness"] == "紧凑度（圆形=1）"
    feature = layer["features"][0]
    shown = field_values(demo_layout_page, "proposed", feature)
    area_ha = proposed.loc[feature["i"], "area_m2"] / 10_000
    assert float(shown["area_m2"].replace(",", "")) == pytest.approx(area_ha, abs=0.005)
    assert len(shown["compactness"].split(".")[1]) == 2
    assert map_text("compactness_note", "zh") in _legend(demo_layout_page)


def test_R7_site_reach_is_straight_line_without_paths(demo_layout, demo_layout_page):
    layer = page_data(demo_layout_page)["layers"]["sites_mclp"]
    labels = [r["l"] for r in layer["rows"]]
    assert "300 米（直线）内尚未覆盖户数" in labels
    assert not any("步行" in name for name in layer_control(demo_layout_page)["overlays"][:-3])
    assert "步行" not in unescaped(demo_layout_page).split('id="gp-data-legend"')[1][:20_000]
