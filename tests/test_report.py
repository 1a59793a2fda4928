"""report.xlsx prints (issue 13.5/13.4): page setup on every sheet, the R6 list one estate per
row with its reasons wrapped, number formats, Chinese settings keys and warning sources; the
settings are read back from new and old reports alike."""

from __future__ import annotations

import dataclasses

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from gis_planner.io.layers import load_layers
from gis_planner.io.runfolder import read_run, read_settings
from gis_planner.pipeline import run
from gis_planner.render.report import (
    layer_name,
    number_format,
    setting_label,
    shares_text,
    write_report,
    write_table_csv,
)

from .conftest import DEMO

A4, A3 = 9, 8


@pytest.fixture(scope="module")
def results():
    return run(load_layers(DEMO))


@pytest.fixture(scope="module")
def book(results, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.xlsx"
    write_report(results, path)
    return openpyxl.load_workbook(path)


def _header(sheet) -> list:
    return [c.value for c in sheet[1]]


def _column(sheet, title: str) -> str:
    return get_column_letter(_header(sheet).index(title) + 1)


def test_every_sheet_prints_landscape_one_page_wide_with_titles_and_page_numbers(book):
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert int(setup.paperSize) in (A4, A3), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0, sheet.title
        assert sheet.print_title_rows == "$1:$1", sheet.title  # the header row on every page
        assert sheet.print_options.gridLines, sheet.title
        assert sheet.oddHeader.right.text == "&A"  # the sheet name
        assert "德清县" in sheet.oddHeader.left.text
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
        assert sheet.freeze_panes == "A2"


def test_wide_tables_print_on_a3_and_the_summary_on_one_a4_page(book):
    assert int(book["社区"].page_setup.paperSize) == A3  # 22 columns
    summary = book["概要"]
    assert int(summary.page_setup.paperSize) == A4
    assert summary.max_column == 2 and _header(summary) == ["项目", "数值"]
    widths = [summary.column_dimensions[c].width for c in "AB"]
    assert sum(widths) < 150  # labels and values side by side on one landscape page
    assert widths[1] <= 92  # a long value (the R6 counts) wraps instead of widening the page


def test_r6_list_prints_one_estate_per_row_with_wrapped_reasons(book, results):
    sheet = book["开转封清单"]
    assert int(sheet.page_setup.paperSize) == A4
    assert sheet.max_row - 1 == len(results.enclosure_list)  # one row per estate
    reasons = _column(sheet, "评估理由")
    assert sheet[f"{reasons}2"].alignment.wrap_text
    assert sheet.column_dimensions[reasons].width <= 62
    widths = [sheet.column_dimensions[get_column_letter(j)].width for j in range(1, 12)]
    assert sum(widths) < 220  # A4 landscape, one page wide at a readable scale
    assert sheet.auto_filter.ref == f"A1:K{sheet.max_row}"
    # each row as tall as its wrapped reasons (LibreOffice fits no heights when it opens it):
    # a reason of two lines' width or more gets a row of at least two lines
    width = sheet.column_dimensions[reasons].width
    for row in range(2, sheet.max_row + 1):
        text = sheet[f"{reasons}{row}"].value or ""
        shown = sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
        if shown > 2 * width:
            assert (sheet.row_dimensions[row].height or 0) >= 2 * 15, row


def test_numbers_have_thousands_separators_areas_one_decimal_shares_as_percent(book):
    communities = book["社区"]
    formats = {
        h: communities.cell(row=2, column=j + 1).number_format
        for j, h in enumerate(_header(communities))
    }
    assert formats["户数"] == "#,##0"
    assert formats["应配面积(m²)"] == "#,##0.0"
    assert formats["工作经费(元/年)"] == "#,##0"
    assert formats["租金补助(元/年)"] == "#,##0"  # money, not a year
    estates = book["小区"]
    formats = {
        h: estates.cell(row=2, column=j + 1).number_format for j, h in enumerate(_header(estates))
    }
    assert formats["沿街商铺占比"] == "0%"
    assert formats["建成年份"] == "0"  # 1987, not 1,987
    assert formats["最近社区用房距离(m)"] == "#,##0"


def test_number_formats_by_field():
    assert number_format("survey_support", [0.8]) == "0%"
    assert number_format("required_area_m2_before", [1.5]) == "#,##0.0"
    assert number_format("subsidy_build_yuan", [100000.0]) == "#,##0"
    assert number_format("delivery_year", [2030.0]) == "0"
    assert number_format("compactness", [0.71]) == "#,##0.00"
    assert number_format("name", ["甲", None]) is None


def test_r7_reach_is_called_straight_line_not_walking(book):
    for name in ("社区", "小区"):
        header = " ".join(str(h) for h in _header(book[name]))
        assert "步行" not in header
    assert "直线 300 米覆盖户数" in _header(book["社区"])
    assert "直线 300 米覆盖" in _header(book["小区"])


def test_community_shares_read_as_percentages(book):
    assert shares_text('{"A01": 0.6, "A02": 0.4}') == "A01 60%；A02 40%"
    assert shares_text({"A01": 0.955, "A02": 0.045}, lang="en") == "A01 96%; A02 4.5%"
    assert shares_text(None) is None
    estates = book["小区"]
    shares = _column(estates, "所属社区比例")
    values = [c.value for c in estates[shares][1:] if c.value]
    assert values and all("{" not in v and v.endswith("%") for v in values)


def test_settings_are_worded_in_chinese_with_the_machine_key_kept(book, tmp_path, results):
    rows = list(book["设置"].iter_rows(values_only=True))
    assert rows[0] == ("设置项", "内容", "键（程序读取用）")
    labels = {r[2]: r[0] for r in rows[1:]}
    assert labels["generated"] == "生成时间"
    assert labels["layers_folder"] == "图层文件夹"
    assert labels["rules_version"] == "规则版本"
    assert labels["source.estates"] == "源图层：小区"
    assert not any(str(r[0]).isascii() for r in rows[1:] if r[2] != "gis_planner")
    # read back: the run folder reader takes the machine keys
    write_report(results, tmp_path / "report.xlsx")
    settings = read_settings(tmp_path)
    assert settings["rules_version"] == "deqing-2020.1"
    assert settings["source.estates"].endswith(results.data.sources["estates"].sha256)
    back = read_run(tmp_path)
    assert back.working_crs == "EPSG:4549" and back.lang == "zh"
    assert {s.layer for s in back.sources} >= {"communities", "estates", "premises"}


def test_settings_of_an_old_report_are_still_read(tmp_path):
    old = openpyxl.Workbook()
    sheet = old.active
    sheet.title = "设置"
    for row in (
        ("规则项", "取值"),
        ("rules_version", "deqing-2020.1"),
        ("working_crs", "EPSG:4549 (auto)"),
        ("lang", "zh"),
    ):
        sheet.append(row)
    old.save(tmp_path / "report.xlsx")
    assert read_settings(tmp_path) == {
        "rules_version": "deqing-2020.1",
        "working_crs": "EPSG:4549 (auto)",
        "lang": "zh",
    }
    assert read_run(tmp_path).working_crs == "EPSG:4549"


def test_warning_sources_are_layer_names(book):
    sources = {r[0] for r in book["警告"].iter_rows(min_row=2, values_only=True)}
    assert sources == {"社区用房", "小区", "备选点位"}
    assert layer_name("estates.gpkg") == "小区（estates.gpkg）"
    assert layer_name("estates", lang="en") == "Estates"
    assert layer_name("odd.txt") == "odd.txt"
    assert setting_label("source.communities.transformation") == "坐标转换：社区边界"
    assert setting_label("scenario_edit.2", lang="en") == "Scenario edit 2"
    assert setting_label("something_new") == "something_new"


def test_english_report_is_worded_in_english(results, tmp_path):
    write_report(results, tmp_path / "report.xlsx", lang="en")
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    settings = list(book["Settings"].iter_rows(values_only=True))
    assert settings[0] == ("Setting", "Value", "Key (read by the program)")
    assert book["Summary"].oddFooter.center.text == "Page &P of &N"
    assert "Within 300 m (straight line)" in _header(book["Estates"])
    assert read_settings(tmp_path)["lang"] == "en"


# ---------------------------------------------------------------- long tables beside the workbook


def _limited(results, rows: int):
    """``results`` whose rules put a table of more than ``rows`` rows in a CSV."""
    rules = results.rules.with_overrides({"limits": {"report_max_sheet_rows": rows}})
    return dataclasses.replace(results, data=dataclasses.replace(results.data, rules=rules))


def test_a_table_longer_than_the_limit_is_a_csv_beside_the_workbook(results, book, tmp_path):
    estates = len(results.estates)
    communities = len(results.communities)
    assert communities <= 100 < estates  # the demo: 22 communities, 450 estates
    write_report(_limited(results, 100), tmp_path / "report.xlsx")
    raw = (tmp_path / "report_estates.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())  # UTF-8 with a byte-order mark, for Excel
    table = pd.read_csv(tmp_path / "report_estates.csv", encoding="utf-8-sig", dtype=str)
    # every estate, with the columns of the estates sheet of a whole report
    assert len(table) == estates
    assert list(table.columns) == _header(book["小区"])
    assert set(table["小区代码"]) == set(results.estates["estate_id"])
    first = results.estates.iloc[0]
    row = table.set_index("小区代码").loc[first["estate_id"]]
    assert row["户数"] == str(int(first["households"]))  # whole numbers without ".0"
    assert row["开转封评估"] == book["小区"][f"{_column(book['小区'], '开转封评估')}2"].value
    # the sheet is still there and says where the table is; short tables stay sheets
    limited = openpyxl.load_workbook(tmp_path / "report.xlsx")
    note = [r for r in limited["小区"].iter_rows(values_only=True)]
    assert len(note) == 2 and "report_estates.csv" in note[1][0]
    assert f"{estates:,}" in note[1][0] and "limits.report_max_sheet_rows = 100" in note[1][0]
    assert limited["社区"].max_row == communities + 1
    assert not (tmp_path / "report_communities.csv").exists()
    # a report whose tables all fit removes the CSV of the earlier one
    write_report(results, tmp_path / "report.xlsx")
    assert not (tmp_path / "report_estates.csv").exists()
    assert openpyxl.load_workbook(tmp_path / "report.xlsx")["小区"].max_row == estates + 1


def test_the_table_csv_rounds_as_the_sheet_shows_and_runs_no_formula(tmp_path):
    table = pd.DataFrame(
        {
            "名称": ["=1+2", "幸福小区", None, "-3"],
            "户数": [120.0, 80.0, np.nan, 5.0],
            "缺口面积(m²)": [12.34, 0.0, 1.26, np.nan],
            "参与率": [0.7312, 0.5, np.nan, 1.0],
        }
    )
    table.attrs["fields"] = ["name", "households", "shortfall_m2", "survey_participation"]
    write_table_csv(table, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()
    # text quoted, a leading = or - after a ', households whole, m² one decimal, shares as 0–1
    assert text == [
        '"名称","户数","缺口面积(m²)","参与率"',
        '"\'=1+2",120,12.3,0.7312',
        '"幸福小区",80,0,0.5',
        ",,1.3,",
        '"\'-3",5,,1',
    ]


def test_no_setting_means_only_excels_row_limit(results):
    from gis_planner.render.report import EXCEL_MAX_ROWS, sheet_row_limit

    assert sheet_row_limit(results) == (2000, "rules")  # limits.report_max_sheet_rows
    assert sheet_row_limit(_limited(results, 5_000_000)) == (EXCEL_MAX_ROWS - 1, "excel")


def test_a_run_owns_the_table_csvs(results, tmp_path):
    from gis_planner.render.runfolder import write_run

    written, _ = write_run(_limited(results, 100), tmp_path, map_html=False, atlas_pdf=False)
    assert written["report_estates"] == tmp_path / "report_estates.csv"
    assert (tmp_path / "report_estates.csv").exists()
    written, _ = write_run(results, tmp_path, map_html=False, atlas_pdf=False)
    assert "report_estates" not in written and not (tmp_path / "report_estates.csv").exists()
