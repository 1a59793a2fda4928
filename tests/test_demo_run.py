"""End to end: the CLI on the embedded Deqing demo; figures in the outputs and the summary."""

from __future__ import annotations

import math

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from gis_planner.cli import app
from gis_planner.rules import load_rules

from .conftest import DEMO
from .test_analysis import COMMUNITY_FIELDS, ESTATE_FIELDS, PREMISES_FIELDS


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_out")
    result = CliRunner().invoke(app, ["demo", "--out", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_outputs_carry_every_field(demo_run):
    out, _ = demo_run
    communities = gpd.read_file(out / "communities.geojson")
    estates = gpd.read_file(out / "estates.geojson")
    premises = gpd.read_file(out / "premises.geojson")
    assert len(communities) == 22
    assert set(COMMUNITY_FIELDS) <= set(communities.columns)
    assert set(ESTATE_FIELDS) <= set(estates.columns)
    assert set(PREMISES_FIELDS) <= set(premises.columns)
    assert communities.crs.to_epsg() == 4326


def test_demo_households_are_conserved(demo_run):
    out, _ = demo_run
    communities = gpd.read_file(out / "communities.geojson")
    estates = gpd.read_file(out / "estates.geojson")
    unassigned = estates.loc[estates["community_id"].isna(), "households"].sum()
    assert unassigned > 0  # the demo's estate outside every community
    assert communities["households"].sum() + unassigned == estates["households"].sum()
    inputs = gpd.read_file(DEMO / "estates.geojson")
    assert len(estates) == len(inputs) and estates["households"].sum() == inputs["households"].sum()


def test_demo_R1_R5_R7_figures_follow_the_rules(demo_run):
    out, _ = demo_run
    rules = load_rules()
    c = gpd.read_file(out / "communities.geojson")
    for _, row in c.iterrows():
        s = rules.premises.standards[row["standard"]]
        required = max(s.per_100_households_m2 * row["households"] / 100, s.minimum_total_m2)
        assert row["required_area_m2"] == pytest.approx(required)
        assert row["shortfall_m2"] == pytest.approx(max(required - row["premises_area_m2"], 0))
        h = row["households"]
        extra = max(h - 2000, 0)
        assert row["staff_min"] == min(7 + (math.floor(extra / 400) if h > 2000 else 0), 12)
        assert row["staff_max"] == min(7 + (math.floor(extra / 300) if h > 2000 else 0), 12)
    assert set(c["premises_status"]) == {"meets", "short", "none"}
    assert set(c["scale_status"]) == {"too_small", "ok", "too_large"}
    assert set(c["standard"]) == {"new", "renovated"}


def test_demo_summary_matches_the_outputs(demo_run):
    out, output = demo_run
    c = gpd.read_file(out / "communities.geojson")
    meets = int((c["premises_status"] == "meets").sum())
    assert f"{meets} / 22" in output
    assert f"{c['shortfall_m2'].sum():,.0f} m²" in output
    estates = gpd.read_file(out / "estates.geojson")
    lost = estates[estates["community_id"].isna()]
    assert f"{len(lost)} / {len(estates)}" in output


def test_R6_demo_estates_carry_every_status_with_reasons(demo_run):
    out, _ = demo_run
    estates = gpd.read_file(out / "estates.geojson")
    assert set(estates["enclosure_status"]) == {
        "candidate",
        "candidate_exception",
        "needs_survey",
        "needs_review",
        "not_suitable",
        "not_applicable",
    }
    assert estates["enclosure_reasons"].str.len().gt(0).all()
    crossed = estates[estates["enclosure_reasons"].str.contains(r"穿越小区内部 \d+ m，超过")]
    assert (crossed["enclosure_status"] == "not_suitable").all() and len(crossed) > 0


def test_report_has_chinese_sheets_and_headers(demo_run):
    out, _ = demo_run
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    assert {
        "概要",
        "社区",
        "小区",
        "社区用房",
        "开转封清单",
        "开转封汇总",
        "未分配",
        "警告",
        "规则",
        "设置",
    } <= set(book.sheetnames)
    header = [cell.value for cell in next(book["社区"].iter_rows(max_row=1))]
    assert {"社区代码", "户数", "应配面积(m²)", "缺口面积(m²)", "人员配备下限"} <= set(header)
    enclosure = pd.read_excel(out / "report.xlsx", sheet_name="开转封清单")
    assert list(enclosure.columns[:3]) == ["排序", "小区名称", "小区代码"]
    rules_sheet = pd.read_excel(out / "report.xlsx", sheet_name="规则")
    assert "一(二)" in set(rules_sheet.iloc[:, 2])


def test_english_run(tmp_path):
    result = CliRunner().invoke(
        app, ["demo", "--out", str(tmp_path), "--lang", "en"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    assert "Communities meeting the standard" in result.output
    book = openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True)
    assert "Communities" in book.sheetnames


def test_R7_demo_proposals_for_every_community_out_of_range(demo_run):
    out, output = demo_run
    communities = gpd.read_file(out / "communities.geojson")
    out_of_range = set(communities.loc[communities["scale_status"] != "ok", "community_id"])
    assert len(out_of_range) == 4
    proposed = gpd.read_file(out / "proposed_communities.geojson")
    assert (proposed["scale_status"] == "ok").all()
    assert proposed["households"].between(1500, 4000).all()
    assert (proposed.geometry.geom_type == "Polygon").all()  # each one piece: contiguous
    moves = pd.read_csv(out / "boundary_moves.csv")
    assert out_of_range <= set(moves["from_community_id"].astype(str)) | set(
        moves["to_community_id"].astype(str)
    )
    # the proposals cover the original communities exactly once (exact in memory; in the file
    # every vertex is rounded to 1e-7° ≈ 1 cm, and where a new border meets an old one the two
    # sides round apart: a few m² over the county's 17 km², so the tolerance is relative)
    original = communities.to_crs(4549).union_all()
    tiled = proposed.to_crs(4549)
    assert abs(tiled.area.sum() - original.area) < 1e-6 * original.area
    sites = gpd.read_file(out / "proposed_sites.geojson")
    assert set(sites["model"]) == {"lscp", "mclp"}
    assert "全覆盖" in output and "最优" in output


def test_R7_accessibility_raster_is_50_m_in_the_working_crs(demo_run):
    import rasterio

    out, _ = demo_run
    with rasterio.open(out / "accessibility.tif") as src:
        assert src.crs.to_epsg() == 4549
        assert src.res == (50.0, 50.0)
        assert src.nodata is not None
        values = src.read(1, masked=True)
        assert values.min() >= 0 and values.count() > 0


def test_R7_report_has_the_proposal_sheets(demo_run):
    out, _ = demo_run
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    assert {"规模调整建议", "拟调整社区", "小区调整", "建议用房点位"} <= set(book.sheetnames)
