"""Scenarios: edits that read like planning decisions, evaluated by hand; files on disk untouched.

Hand-made layers (tests/conftest.py): A (0–1000 m) and B (1000–2000 m), two 1 km squares.
E1 (2,500 households) lies in A, E2 (1,000) straddles A/B half and half, E3 (1,200) lies in
B; A has 1,500 m² new-build + 120 m² renovated premises (R1 standard *new*), B 600 m² leased
(*renovated*) and 200 m² planned. So now A = 3,000 households, B = 1,700.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from shapely.geometry import LineString
from typer.testing import CliRunner

from gis_planner.cli import app
from gis_planner.crs import WORKING_CRS
from gis_planner.errors import RulesError
from gis_planner.pipeline import PlanYearError
from gis_planner.scenario import (
    COMPARE_MEASURES,
    EDITS,
    FILE_KEYS,
    Scenario,
    ScenarioError,
    compare,
    dual_map,
    render_dual_map,
    write_dual_map,
)

from .conftest import (
    DEMO,
    REPO,
    X0,
    Y0,
    folder_hash,
    gdf,
    hand_made_premises,
    pt,
    square,
    two_communities,
    warned,
    write_layers,
)

DATA_YEAR = {"settings": {"data_year": 2024}}


def hand_made(folder: Path) -> Path:
    estates = gdf(
        [
            {
                "estate_id": "E1",
                "name": "一号小区",
                "households": 2500,
                "built_year": 1995,
                "geometry": square(100, 100),
            },
            {
                "estate_id": "E2",
                "name": "二号小区",
                "households": 1000,
                "built_year": 2005,
                "geometry": square(950, 100),
            },
            {
                "estate_id": "E3",
                "name": "三号小区",
                "households": 1200,
                "built_year": 1990,
                "geometry": square(1500, 500),
            },
        ]
    )
    premises = hand_made_premises(p4_community="B")
    return write_layers(folder, communities=two_communities(), estates=estates, premises=premises)


@pytest.fixture
def folder(tmp_path):
    return hand_made(tmp_path / "layers")


@pytest.fixture
def base(folder):
    return Scenario.load(folder).with_rules(DATA_YEAR)


def households(scenario: Scenario, year: int | None = None) -> dict[str, int]:
    c = scenario.evaluate(year).communities
    return dict(zip(c["community_id"], c["households"].astype(int), strict=True))


def row(scenario: Scenario, community_id: str, year: int | None = None) -> pd.Series:
    return scenario.evaluate(year).communities.set_index("community_id").loc[community_id]


# ------------------------------------------------------------------------ edits by hand


def test_edits_return_new_scenarios_and_leave_the_base_alone(base):
    plan = base.add_premises(
        "P9", community_id="A", function="elderly_care", floor_area_m2=780, status="existing"
    )
    assert plan is not base and len(plan.data.premises) == 5 and len(base.data.premises) == 4
    assert row(base, "A")["shortfall_m2"] == 780  # 2,400 − 1,620
    # R1: A 2,400 required, 1,620 + 780 = 2,400 → meets
    assert row(plan, "A")[["premises_area_m2", "shortfall_m2", "premises_status"]].tolist() == [
        2400,
        0,
        "meets",
    ]
    assert plan.edits[-1] == {
        "add_premises": {
            "premises_id": "P9",
            "function": "elderly_care",
            "floor_area_m2": 780.0,
            "tenure": "new_build",
            "community_id": "A",
            "status": "existing",
        }
    }


def test_added_premises_are_planned_by_default_and_count_in_plan_years(base):
    plan = base.add_premises("P9", community_id="A", function="党群服务中心", floor_area_m2=780)
    assert (
        plan.data.premises.set_index("premises_id").loc["P9", "function"] == "party_service_centre"
    )
    assert row(plan, "A")["premises_area_m2"] == 1620  # current check: planned not counted
    assert row(plan, "A", 2030)["premises_area_m2"] == 2400


def test_remove_and_resize_premises(base):
    # B: renovated standard, 1,700 households → max(75 × 17, 1,200) = 1,275 m²
    assert row(base, "B")[["required_area_m2", "premises_area_m2"]].tolist() == [1275, 600]
    bigger = base.resize_premises("P3", 1300)
    assert row(bigger, "B")[["premises_area_m2", "premises_status"]].tolist() == [1300, "meets"]
    gone = base.remove_premises("P3")
    # no existing premises left in B: status none, judged by the new standard (1,800 m²)
    assert row(gone, "B")[["premises_status", "standard", "required_area_m2"]].tolist() == [
        "none",
        "new",
        1800,
    ]


def test_move_estate_moves_all_its_households(base):
    assert households(base) == {"A": 3000, "B": 1700}  # E2 split half and half
    moved = base.move_estate("E2", to_community_id="B")
    assert households(moved) == {"A": 2500, "B": 2200}
    e2 = moved.evaluate().estates.set_index("estate_id").loc["E2"]
    assert e2["community_id"] == "B" and json.loads(e2["community_shares"]) == {"B": 1.0}
    assert "community_override" not in e2  # an input of the pipeline, not a column
    assert moved.data.estate_assignments == {"E2": "B"}
    assert base.data.estate_assignments == {}
    assert households(moved.move_estate("E1", "B")) == {"A": 0, "B": 4700}


def test_set_rule_changes_the_per_100_households_rate(base):
    higher = base.set_rule("premises.standards.new.per_100_households_m2", 85)
    # A: max(85 × 30, 1,800) = 2,550 m² instead of 2,400
    assert row(higher, "A")["required_area_m2"] == 2550
    assert row(base, "A")["required_area_m2"] == 2400
    assert higher.edits[-1] == {
        "set_rule": {"key": "premises.standards.new.per_100_households_m2", "value": 85}
    }
    with pytest.raises(RulesError) as err:
        base.set_rule("premises.standards.new.per_100", 85)
    assert "unknown key 'premises.standards.new.per_100'" in err.value.text("en")


def test_add_parcel_counts_from_its_delivery_year_and_gets_a_condition(base):
    plan = base.add_parcel(
        "D1", xy=[X0 + 500, Y0 + 500], planned_households=600, delivery_year=2030, name="新地块"
    )
    assert households(plan, 2025)["A"] == 3000
    assert households(plan, 2030)["A"] == 3600
    # R2: A after 3,600 → max(80 × 36, 1,800) = 2,880; existing + planned 1,620 → 1,260 m²
    table = plan.planning_conditions().set_index("parcel_id")
    assert table.loc["D1", ["community_id", "condition_area_m2"]].tolist() == ["A", 1260]
    parcel = plan.data.development_parcels.geometry.iloc[0]
    assert parcel.area == pytest.approx(100 * 100)  # a 100 m square around the centre
    assert base.data.development_parcels is None
    changed = plan.update_parcel("D1", planned_households=1000, delivery_year=2035)
    assert households(changed, 2030)["A"] == 3000 and households(changed, 2035)["A"] == 4000
    assert changed.remove_parcel("D1").data.development_parcels is None


def test_add_parcel_by_floor_area_and_lonlat(base):
    lonlat = gpd.GeoSeries([pt(1500, 500)], crs=WORKING_CRS).to_crs(4326).iloc[0]
    plan = base.add_parcel(
        "D2", lonlat=[lonlat.x, lonlat.y], residential_floor_area_m2=30_000, delivery_year=2026
    )
    assert households(plan, 2026)["B"] == 1700 + 300  # 30,000 m² ÷ 100 m²


def test_merge_communities(base):
    merged = base.merge_communities(["A", "B"], new_id="AB", name="甲乙社区")
    c = merged.evaluate().communities
    assert c["community_id"].tolist() == ["AB"] and c["name"].tolist() == ["甲乙社区"]
    ab = c.iloc[0]
    # 4,700 households; premises 1,620 + 600 = 2,220; largest is new-build → new:
    # max(80 × 47, 1,800) = 3,760 → short 1,540
    assert (ab["households"], ab["premises_area_m2"], ab["required_area_m2"]) == (4700, 2220, 3760)
    assert c.geometry.iloc[0].area == pytest.approx(2_000_000)
    # population: A 7,980 and B unknown → unknown: 4,700 × 2.66 = 12,502
    assert ab["population_used"] == 12_502
    assert warned(merged.evaluate().warnings, "scn_merge_kinds")  # kinds differ
    assert set(merged.data.premises["community_id"]) == {"AB"}


def test_split_community_by_a_line_and_by_estates(base):
    # a line from south to north at x = 500: A's west half is on its left
    line = LineString([(X0 + 500, Y0 - 100), (X0 + 500, Y0 + 1100)])
    split = base.split_community(
        "A",
        into=[{"community_id": "AW", "name": "甲西"}, {"community_id": "AE", "name": "甲东"}],
        line=line,
    )
    c = split.evaluate().communities.set_index("community_id")
    assert c.index.tolist() == ["AW", "AE", "B"]
    assert c.loc["AW"].geometry.area == pytest.approx(500_000)
    # E1 (west) 2,500 → AW; E2's half in A lies in the east part → AE 500
    assert c["households"].tolist() == [2500, 500, 1500 + 200]
    prem = split.data.premises.set_index("premises_id")
    assert prem.loc[["P1", "P2"], "community_id"].tolist() == ["AW", "AW"]
    assert split.edits[-1]["split_community"]["line"].startswith("LINESTRING")
    by_estates = base.split_community(
        "A",
        into=[
            {"community_id": "A", "name": "甲社区", "estates": ["E1"]},
            {"community_id": "A2", "name": "甲二社区", "estates": ["E2"]},
        ],
    )
    assert households(by_estates) == {"A": 2500, "A2": 500, "B": 1700}


def test_edits_never_change_the_layers_on_disk(folder, tmp_path):
    before = folder_hash(folder)
    base = Scenario.load(folder).with_rules(DATA_YEAR)
    plan = (
        base.add_parcel("D1", xy=[X0 + 500, Y0 + 500], planned_households=600, delivery_year=2030)
        .add_premises("P9", community_id="A", function="elderly_care", floor_area_m2=780)
        .remove_premises("P3")
        .resize_premises("P1", 1600)
        .move_estate("E2", "B")
        .set_rule("premises.standards.new.per_100_households_m2", 85)
        .merge_communities(["A", "B"], new_id="AB")
    )
    plan.evaluate(2035)
    plan.export(tmp_path / "out", map_html=False)
    compare([base, plan], year=2035)
    assert folder_hash(folder) == before
    assert households(base) == {"A": 3000, "B": 1700}


def test_edits_never_change_the_demo_on_disk(tmp_path):
    before = folder_hash(DEMO)
    base = Scenario.load(DEMO, year=2035)
    plan = base.move_estate("E0042", "330521001013").resize_premises("YF014", 1500)
    compare([base, plan])
    assert folder_hash(DEMO) == before


# ------------------------------------------------------------------------ bad input


def test_unknown_ids_list_what_exists(base):
    with pytest.raises(ScenarioError) as err:
        base.move_estate("E9", "B")
    assert err.value.code == "scn_unknown_estate"
    assert err.value.message.values["ids"] == "E1, E2, E3"
    assert "小区“E9”不存在；现有 3 个小区：E1, E2, E3" in str(err.value)
    with pytest.raises(ScenarioError) as err:
        base.move_estate("E1", "C")
    assert err.value.text("en").startswith(
        "community 'C' does not exist; the 2 communities are: A, B"
    )
    with pytest.raises(ScenarioError) as err:
        base.resize_premises("P7", 100)
    assert err.value.text("en").startswith(
        "premises 'P7' do not exist; the 4 premises are: P1, P2, P3, P4"
    )
    with pytest.raises(ScenarioError, match="P1, P2, P3, P4"):
        base.remove_premises("P7")
    with pytest.raises(ScenarioError, match="出让地块“D1”不存在；现有 0 个地块"):
        base.update_parcel("D1", delivery_year=2030)
    with pytest.raises(ScenarioError, match="A, B"):
        base.merge_communities(["A", "Z"])
    with pytest.raises(ScenarioError) as err:
        base.add_premises("P1", community_id="A", function="other", floor_area_m2=10)
    assert err.value.code == "scn_id_taken"
    with pytest.raises(ScenarioError) as err:
        base.add_premises("P9", community_id="A", function="gym", floor_area_m2=10)
    assert err.value.code == "bad_enum"  # the premises layer's own check and message
    assert "party_service_centre/党群服务中心" in err.value.text("en")


def test_plan_year_before_the_data_year_is_an_error(folder):
    base = Scenario.load(folder).with_rules(DATA_YEAR)
    with pytest.raises(PlanYearError) as err:
        base.evaluate(2020)
    assert err.value.code == "plan_year_before_data"
    with pytest.raises(PlanYearError, match="2020"):
        base.in_year(2020)
    with pytest.raises(PlanYearError) as err:
        Scenario.load(folder, year=2000)
    assert err.value.code == "plan_year_before_data"


def test_scenario_file_with_unknown_keys_lists_the_valid_ones(folder, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "x",
                "yaer": 2035,
                "edits": [
                    {"move_estates": {"estate_id": "E1", "to_community_id": "B"}},
                    {"move_estate": {"estate": "E1", "to_community_id": "B"}},
                    "remove_premises",
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        Scenario.from_file(path, base=folder)
    text = err.value.text("en")
    assert "5 problems" in text and len(err.value.problems) == 5
    assert f"unknown scenario key 'yaer'; valid keys: {', '.join(FILE_KEYS)}" in text
    assert f"unknown edit 'move_estates'; valid edits: {', '.join(EDITS)}" in text
    assert (
        "edits[2]: move_estate: unknown arguments estate; valid arguments: estate_id, "
        "to_community_id" in text
    )
    assert "edits[2]: move_estate: missing arguments estate_id" in text
    assert "edits[3]" in text
    with pytest.raises(ScenarioError, match="base"):
        Scenario.from_dict({"name": "no base"})
    with pytest.raises(ScenarioError) as err:
        Scenario.from_file(tmp_path / "missing.yaml")
    assert err.value.code == "scn_file_missing" and "not found" in err.value.text("en")


# ------------------------------------------------------------------------ files, results


def test_scenario_file_round_trip(folder, tmp_path):
    spec = {
        "name": "方案A",
        "base": str(folder),
        "year": 2030,
        "rules": {
            "settings": {"data_year": 2024},
            "premises": {"standards": {"new": {"per_100_households_m2": 85}}},
        },
        "edits": [
            {
                "add_parcel": {
                    "parcel_id": "D1",
                    "xy": [X0 + 500, Y0 + 500],
                    "planned_households": 600,
                    "delivery_year": 2030,
                }
            },
            {"move_estate": {"estate_id": "E2", "to_community_id": "B"}},
            {
                "add_premises": {
                    "premises_id": "P9",
                    "community_id": "A",
                    "function": "elderly_care",
                    "floor_area_m2": 300,
                }
            },
            {"set_rule": {"key": "staffing.cap", "value": 13}},
        ],
    }
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    first = Scenario.from_file(path)
    assert first.name == "方案A" and first.year == 2030
    # A in 2030: 2,500 (E2 moved) + 600 (D1) = 3,100 → max(85 × 31, 1,800) = 2,635 m²
    assert row(first, "A")[["households", "required_area_m2", "premises_area_m2"]].tolist() == [
        3100,
        2635,
        1620 + 300,
    ]
    (tmp_path / "sub").mkdir()
    written = first.to_file(tmp_path / "sub" / "again.yaml")
    assert yaml.safe_load(written.read_text(encoding="utf-8"))["base"] == "../layers"
    again = Scenario.from_file(written)
    assert again.to_dict()["edits"] == first.to_dict()["edits"]
    pd.testing.assert_frame_equal(
        again.evaluate().communities.drop(columns="geometry"),
        first.evaluate().communities.drop(columns="geometry"),
    )
    assert len(first.describe()) == len(first.edits) == 5


def test_compare_table_shape_and_totals(base):
    plan = base.named("方案").add_premises(
        "P9", community_id="A", function="other", floor_area_m2=780
    )
    merged = base.named("合并").merge_communities(["A", "B"], new_id="AB")
    table = compare([base, plan, merged], year=2030)
    names = [base.name, "方案", "合并"]
    assert table.columns.names == ["measure", "scenario"]
    assert table.columns.tolist() == [(m, n) for m in COMPARE_MEASURES for n in names]
    assert table.index.tolist() == [
        ("A", "甲社区"),
        ("B", "乙社区"),
        ("AB", "甲社区"),
        ("TOTAL", "total"),
    ]
    assert table.loc[("A", "甲社区"), ("shortfall_m2", base.name)] == 780
    assert table.loc[("A", "甲社区"), ("shortfall_m2", "方案")] == 0
    assert pd.isna(table.loc[("A", "甲社区"), ("households", "合并")])
    assert table.loc[("TOTAL", "total"), ("households", "合并")] == 4700
    # 2030: A 1,620 + 780 planned = 2,400 meets; B 600 + 200 planned < 1,275 short
    assert table.loc[("TOTAL", "total"), ("premises_status", "方案")] == "1/1/0"
    assert table.loc[("A", "甲社区"), ("staff_range", base.name)] == "9–10"
    # funds: A 100,000 + 7,980/100 × 1,500 + 100,000 co-building
    assert table.loc[("A", "甲社区"), ("funds_yuan_per_year", base.name)] == 319_700
    assert table.attrs["years"] == {base.name: 2030, "方案": 2030, "合并": 2030}
    zh = compare([base, plan], lang="zh", totals=False)
    assert zh.columns.levels[0].tolist()[:1] != ["households"]
    assert ("户数", "方案") in zh.columns and len(zh) == 2
    assert zh.loc[("B", "乙社区"), ("用房状态", "方案")] == "不足"


def test_export_writes_a_run_that_the_file_reproduces(base, tmp_path):
    plan = (
        base.named("导出")
        .in_year(2030)
        .add_parcel("D1", xy=[X0 + 500, Y0 + 500], planned_households=600, delivery_year=2030)
    )
    written = plan.export(tmp_path / "out", map_html=False)
    out = tmp_path / "out"
    for name in (
        "communities.geojson",
        "estates.geojson",
        "premises.geojson",
        "planning_conditions.csv",
        "report.xlsx",
        "scenario.yaml",
    ):
        assert (out / name).exists(), name
    assert written["scenario"] == out / "scenario.yaml"
    again = Scenario.from_file(out / "scenario.yaml")
    assert again.name == "导出" and again.year == 2030
    assert households(again) == households(plan) == {"A": 3600, "B": 1700}
    conditions = pd.read_csv(out / "planning_conditions.csv", encoding="utf-8-sig")
    assert conditions["condition_area_m2"].tolist() == [1260]


def test_exported_scenario_file_finds_its_layers_from_a_relative_base(
    folder, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    plan = Scenario.load("layers").with_rules(DATA_YEAR).move_estate("E2", "B")
    plan.export("runs/moved", year=2030, map_html=False)
    spec = yaml.safe_load(Path("runs/moved/scenario.yaml").read_text(encoding="utf-8"))
    assert spec["base"] == "../../layers" and spec["year"] == 2030
    monkeypatch.chdir(folder)  # read from anywhere
    again = Scenario.from_file(tmp_path / "runs" / "moved" / "scenario.yaml")
    assert households(again) == {"A": 2500, "B": 2200}


def test_cli_run_with_a_scenario_file_and_year(folder, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "命令行",
                "rules": {"settings": {"data_year": 2024}},
                "edits": [
                    {
                        "add_parcel": {
                            "parcel_id": "D1",
                            "xy": [X0 + 500, Y0 + 500],
                            "planned_households": 600,
                            "delivery_year": 2030,
                        }
                    }
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["run", str(folder), "--scenario", str(path), "--year", "2035", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    conditions = pd.read_csv(out / "planning_conditions.csv", encoding="utf-8-sig")
    assert conditions["condition_area_m2"].tolist() == [1260]
    c = gpd.read_file(out / "communities.geojson").set_index("community_id")
    assert c.loc["A", "households"] == 3600
    assert yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))["year"] == 2035
    early = CliRunner().invoke(
        app,
        [
            "run",
            str(folder),
            "--scenario",
            str(path),
            "--year",
            "2020",
            "--out",
            str(tmp_path / "o2"),
            "--lang",
            "en",
        ],
    )
    assert early.exit_code == 2 and "before the data year 2024" in early.output
    path.write_text(
        "name: x\nedits:\n  - move_estate: {estate_id: E9, to_community_id: A}\n", encoding="utf-8"
    )
    bad = CliRunner().invoke(
        app,
        [
            "run",
            str(folder),
            "--scenario",
            str(path),
            "--out",
            str(tmp_path / "o3"),
            "--lang",
            "en",
        ],
    )
    assert bad.exit_code == 1 and "estate 'E9' does not exist" in bad.output
    assert "E1, E2, E3" in bad.output


def test_cli_year_before_data_year_without_scenario_is_a_usage_error(folder, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("settings: {data_year: 2024}\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["run", str(folder), "--rules", str(rules), "--year", "2023", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2 and "2023" in result.output
    assert not (tmp_path / "o" / "communities.geojson").exists()


def test_dual_map_is_offline_and_shows_both_scenarios(base, tmp_path):
    plan = base.named("方案<b>").add_premises(
        "P9", community_id="A", function="other", floor_area_m2=780
    )
    dual = dual_map(base, plan, year=2030)
    page = render_dual_map(dual)
    # the name travels as JSON text (set with textContent), never as markup
    assert '"方案\\u003cb\\u003e' in page
    assert "方案<b>" not in page
    assert "cdn.jsdelivr" not in page and "L.Map.Sync" not in page
    path = write_dual_map(base, plan, tmp_path / "dual.html", year=2030, lang="en")
    assert path.stat().st_size > 100_000  # Leaflet inlined


def test_cli_runs_the_example_scenario_file_on_the_demo(tmp_path):
    out = tmp_path / "plan_a"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(DEMO),
            "--scenario",
            str(REPO / "notebooks" / "scenario_2035_plan_a.yaml"),
            "--out",
            str(out),
        ],
        terminal_width=200,
    )
    assert result.exit_code == 0, result.output
    c = gpd.read_file(out / "communities.geojson").set_index("community_id")
    # 千亩社区: 1,151 households, no premises; plan A builds 1,800 m² (planned, counted in 2035)
    assert c.loc["330521001013", ["premises_area_m2", "premises_status"]].tolist() == [
        1800,
        "meets",
    ]
    # R2 on the demo, 永兴社区: 3,318 households + P02 320 + P03 390 = 4,028 →
    # max(80 × 40.28, 1,800) = 3,222.4 m²; existing 1,941 + planned 620 (YF017) = 2,561 →
    # shortfall 661.4, shared 320 : 390 → 298.08 and 363.32 m²
    r2 = pd.read_csv(
        out / "planning_conditions.csv", encoding="utf-8-sig", dtype={"community_id": str}
    ).set_index("parcel_id")
    assert r2.loc["P02", "community_households_after"] == 4028
    assert r2.loc[["P02", "P03"], "condition_area_m2"].tolist() == pytest.approx(
        [661.4 * 320 / 710, 661.4 * 390 / 710], abs=0.01
    )
    # P04 gives 28,000 m² of floor area only: 280 households (÷ 100 m²)
    assert r2.loc["P04", "planned_households"] == 280
    assert r2.loc["P01", "community_id"] == "330521002002"  # 62 % in 塔山社区
    spec = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    assert spec["name"] == "2035 方案A 新建补缺" and len(spec["edits"]) == 4
