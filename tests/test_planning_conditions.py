"""R2 planning conditions (一(二)) and plan-year results, worked out by hand.

Three 1 km squares side by side in EPSG:4549:

- A (0–1000 m): 3,000 households, 2,000 m² existing new-build premises (R1 standard *new*);
  parcels P1 (600 households, 2030) and P2 (400, 2034).
- B (1000–2000 m): 1,000 households, 1,000 m² existing leased (R1 standard *renovated*) and
  500 m² planned; parcel P3 straddles A/B with 70 % of its area in B and gives 20,000 m² of
  residential floor area (÷ 100 m² = 200 households, 2026).
- C (2000–3000 m): 1,500 households, 2,500 m² existing; parcel P5 (100 households, 2026).
- P6 lies in no community.
"""

from __future__ import annotations

import csv

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from gis_planner.io.layers import load_layers
from gis_planner.pipeline import PlanYearError, analyse, data_year
from gis_planner.premises import PLANNING_CONDITION_COLUMNS, planning_conditions
from gis_planner.render.runfolder import write_run
from gis_planner.rules import load_rules

from .conftest import X0, Y0, gdf, pt, square, warned, write_layers

DATA_YEAR = {"settings": {"data_year": 2024}}


def communities() -> gpd.GeoDataFrame:
    return gdf(
        [
            {
                "community_id": "A",
                "name": "甲社区",
                "kind": "urban",
                "population": 7980,
                "geometry": square(0, 0, 1000),
            },
            {
                "community_id": "B",
                "name": "乙社区",
                "kind": "urban",
                "population": None,
                "geometry": square(1000, 0, 1000),
            },
            {
                "community_id": "C",
                "name": "丙社区",
                "kind": "urban",
                "population": None,
                "geometry": square(2000, 0, 1000),
            },
        ]
    )


def layers(folder):
    estates = gdf(
        [
            {
                "estate_id": "EA",
                "name": "甲小区",
                "households": 3000,
                "geometry": square(100, 100, 200),
            },
            {
                "estate_id": "EB",
                "name": "乙小区",
                "households": 1000,
                "geometry": square(1100, 100, 200),
            },
            {
                "estate_id": "EC",
                "name": "丙小区",
                "households": 1500,
                "geometry": square(2100, 100, 200),
            },
        ]
    )
    premises = gdf(
        [
            {
                "premises_id": "YA",
                "community_id": "A",
                "function": "party_service_centre",
                "floor_area_m2": 2000,
                "tenure": "new_build",
                "geometry": pt(150, 150),
            },
            {
                "premises_id": "YB",
                "community_id": "B",
                "function": "service_centre",
                "floor_area_m2": 1000,
                "tenure": "leased",
                "floor": 1,
                "geometry": pt(1150, 150),
            },
            {
                "premises_id": "YB2",
                "community_id": "B",
                "function": "elderly_care",
                "floor_area_m2": 500,
                "tenure": "new_build",
                "status": "planned",
                "geometry": pt(1160, 160),
            },
            {
                "premises_id": "YC",
                "community_id": "C",
                "function": "party_service_centre",
                "floor_area_m2": 2500,
                "tenure": "new_build",
                "geometry": pt(2150, 150),
            },
        ]
    )
    parcels = gdf(
        [
            {
                "parcel_id": "P1",
                "name": "一号地块",
                "planned_households": 600,
                "residential_floor_area_m2": None,
                "delivery_year": 2030,
                "geometry": square(500, 500, 100),
            },
            {
                "parcel_id": "P2",
                "name": "二号地块",
                "planned_households": 400,
                "residential_floor_area_m2": None,
                "delivery_year": 2034,
                "geometry": square(700, 500, 100),
            },
            # 30 m in A, 70 m in B
            {
                "parcel_id": "P3",
                "name": "三号地块",
                "planned_households": None,
                "residential_floor_area_m2": 20_000,
                "delivery_year": 2026,
                "geometry": box(X0 + 970, Y0 + 700, X0 + 1070, Y0 + 800),
            },
            {
                "parcel_id": "P5",
                "name": "五号地块",
                "planned_households": 100,
                "residential_floor_area_m2": None,
                "delivery_year": 2026,
                "geometry": square(2500, 500, 100),
            },
            {
                "parcel_id": "P6",
                "name": "城外地块",
                "planned_households": 50,
                "residential_floor_area_m2": None,
                "delivery_year": 2026,
                "geometry": square(5000, 0, 100),
            },
        ]
    )
    return write_layers(
        folder,
        communities=communities(),
        estates=estates,
        premises=premises,
        development_parcels=parcels,
    )


@pytest.fixture
def data(tmp_path):
    rules = load_rules().with_overrides(DATA_YEAR)
    return load_layers(layers(tmp_path / "l"), rules=rules)


def test_R2_pro_rata_straddling_floor_area_and_never_below_zero(data):
    table = analyse(data).planning_conditions.set_index("parcel_id")
    assert list(table.reset_index().columns) == PLANNING_CONDITION_COLUMNS
    # A: 3,000 + 600 + 400 = 4,000 → new: max(80 × 40, 1,800) = 3,200; 2,000 existing
    #    → shortfall 1,200, shared 600 : 400 → 720 and 480 m²
    a = table.loc[["P1", "P2"]]
    assert a["community_id"].tolist() == ["A", "A"]
    assert a["community_households_after"].tolist() == [4000, 4000]
    assert a["required_area_m2"].tolist() == [3200, 3200]
    assert a["existing_and_planned_m2"].tolist() == [2000, 2000]
    assert a["community_shortfall_m2"].tolist() == [1200, 1200]
    assert a["condition_area_m2"].tolist() == [720, 480]
    # P3 straddles A (30 %) and B (70 %): belongs to B. 20,000 m² ÷ 100 m² = 200 households.
    # B: 1,000 + 200 = 1,200 → new standard (not B's renovated one): max(960, 1,800) = 1,800;
    #    existing 1,000 + planned 500 = 1,500 → 300 m²
    p3 = table.loc["P3"]
    assert (p3["community_id"], p3["planned_households"]) == ("B", 200)
    assert (p3["community_households_after"], p3["required_area_m2"]) == (1200, 1800)
    assert (p3["existing_and_planned_m2"], p3["condition_area_m2"]) == (1500, 300)
    straddles = [m for m in p3["note"].items if m.code == "r2_straddles"][0]
    assert straddles.values == {"share": pytest.approx(0.7), "community": "乙社区"}
    assert "70% 面积在乙社区" in p3["note"].text("zh")
    # C: 1,500 + 100 = 1,600 → max(1,280, 1,800) = 1,800 ≤ 2,500: nothing, never below zero
    assert table.loc["P5", ["community_shortfall_m2", "condition_area_m2"]].tolist() == [0, 0]
    assert "r2_enough" in [m.code for m in table.loc["P5", "note"].items]
    # P6 lies in no community: no condition, said in the note and the warnings
    assert pd.isna(table.loc["P6", "community_id"])
    assert pd.isna(table.loc["P6", "condition_area_m2"])
    assert [m.code for m in table.loc["P6", "note"].items] == ["r2_no_community"]


def test_R2_conditions_ignore_the_plan_year(data):
    now = analyse(data).planning_conditions
    later = analyse(data, year=2035).planning_conditions
    pd.testing.assert_frame_equal(now, later)


def test_R2_function_on_a_community_layer_without_premises(rules):
    comm = gdf(
        [{"community_id": "A", "name": "甲", "households": 3000, "geometry": square(0, 0, 1000)}]
    )
    parcels = gdf(
        [
            {
                "parcel_id": "P1",
                "name": "一",
                "planned_households": 600,
                "delivery_year": 2030,
                "geometry": square(100, 100, 100),
            }
        ]
    )
    table = planning_conditions(comm, parcels, None, rules=rules)
    # 3,600 → max(80 × 36, 1,800) = 2,880 m², nothing existing: the whole requirement
    assert table["condition_area_m2"].tolist() == [2880]
    rule = [m for m in table.loc[0, "note"].items if m.code == "r2_rule"][0]
    assert rule.values["required"] == 2880 and rule.values["standard"].value == "new"
    assert "2,880.0" in table.loc[0, "note"].text("en")
    assert "new standard" in table.loc[0, "note"].text("en")
    assert (
        planning_conditions(comm, None, None, rules=rules).columns.tolist()
        == PLANNING_CONDITION_COLUMNS
    )


def test_plan_year_counts_parcels_delivered_by_then(data):
    by_year = {
        y: analyse(data, year=y).communities.set_index("community_id") for y in (2025, 2030, 2035)
    }
    # P1 (2030) counts in 2030 and 2035, not in 2025; P2 (2034) only in 2035
    assert [by_year[y].loc["A", "households"] for y in (2025, 2030, 2035)] == [3000, 3600, 4000]
    assert [by_year[y].loc["A", "households_parcels"] for y in (2025, 2030, 2035)] == [0, 600, 1000]
    assert by_year[2035].loc["A", "households_current"] == 3000
    # A in 2035: 4,000 households → max(80 × 40, 1,800) = 3,200 m²; 2,000 → short 1,200
    a = by_year[2035].loc["A"]
    assert (a["required_area_m2"], a["shortfall_m2"]) == (3200, 1200)
    assert by_year[2025].loc["A", "required_area_m2"] == 2400  # 3,000 × 0.8
    # population (given 7,980) + 1,000 × 2.66 = 10,640 → funds 100,000 + 106.4 × 1,500
    assert a["population_used"] == 10_640
    assert a["working_funds_yuan"] == pytest.approx(259_600)
    # R5: 4,000 households → 7 + 5 = 12 … 7 + 6 = 13, capped at 12
    assert (a["staff_min"], a["staff_max"]) == (12, 12)
    # B: P3 (200 households from floor area, 2026) counts from 2026; planned 500 m² counts
    b = by_year[2025].loc["B"]
    assert (b["households"], b["premises_area_m2"]) == (1000, 1500)
    assert by_year[2030].loc["B", "households"] == 1200
    results = analyse(data, year=2030)
    assert results.summary["plan_year"] == 2030 and results.summary["data_year"] == 2024
    # P1 600 + P3 200 + P5 100 (P6 lies in no community)
    assert results.summary["households_parcels"] == 900


def test_current_check_has_no_parcel_households(data):
    c = analyse(data).communities.set_index("community_id")
    assert c.loc["A", "households"] == 3000
    assert "households_parcels" not in c.columns


def test_plan_year_before_the_data_year_is_an_error(data):
    with pytest.raises(PlanYearError) as err:
        analyse(data, year=2020)
    assert err.value.code == "plan_year_before_data"
    assert err.value.text("en").startswith("plan year 2020 is before the data year 2024")


def test_data_year_defaults_to_the_current_year(rules):
    import datetime

    assert data_year(rules) == datetime.date.today().year
    assert data_year(rules.with_overrides(DATA_YEAR)) == 2024
    with pytest.raises(ValueError, match="settings.data_year"):
        data_year(rules.with_overrides({"settings": {"data_year": "2024"}}))


def test_parcel_without_delivery_year_is_not_counted_and_warned(tmp_path):
    folder = layers(tmp_path / "l")
    parcels = gpd.read_file(folder / "development_parcels.gpkg")
    parcels.loc[parcels["parcel_id"] == "P1", "delivery_year"] = None
    parcels.to_file(folder / "development_parcels.gpkg", engine="pyogrio")
    data = load_layers(folder, rules=load_rules().with_overrides(DATA_YEAR))
    results = analyse(data, year=2035)
    assert results.communities.set_index("community_id").loc["A", "households"] == 3400
    assert warned(results.warnings, "parcels_no_year", year=2035, rows="P1")


def test_run_writes_planning_conditions_csv_and_report_sheet(data, tmp_path):
    out = tmp_path / "out"
    written, _ = write_run(analyse(data, year=2035), out, map_html=False, atlas_pdf=False)
    path = written["planning_conditions"]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == PLANNING_CONDITION_COLUMNS
    by_id = {r["parcel_id"]: r for r in rows}
    assert float(by_id["P1"]["condition_area_m2"]) == 720
    assert by_id["P1"]["name"] == "一号地块"
    assert by_id["P6"]["condition_area_m2"] == ""
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    sheet = book["规划条件"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[0] == "地块编号" and "规划条件配建面积(m²)" in header
    assert len(list(sheet.iter_rows())) == 1 + 5
    summary = {r[0].value: r[1].value for r in book["概要"].iter_rows()}
    assert summary["规划年份（数据年份）"] == "2035 (2024)"


def test_every_run_writes_planning_conditions_csv_even_without_parcels(tmp_path):
    folder = write_layers(tmp_path / "l", communities=communities())
    written, _ = write_run(
        analyse(load_layers(folder)), tmp_path / "out", map_html=False, atlas_pdf=False
    )
    text = written["planning_conditions"].read_text(encoding="utf-8-sig")
    assert text.strip() == ",".join(PLANNING_CONDITION_COLUMNS)
