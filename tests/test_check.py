"""``gis-planner check`` gives exactly the warnings ``gis-planner run`` gives (issue 13.6):
the same list, in the same words, and the count it prints is the number of lines it printed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from gis_planner.cli import app

from .conftest import DEMO, REPO

runner = CliRunner()


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), terminal_width=400)
    assert result.exit_code == 0, result.output
    return result.output


def _warning_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("! ")]


def _check_count(output: str) -> int:
    found = re.search(r"(\d+) 条警告", output)
    assert found, output
    return int(found.group(1))


def _report_warnings(out: Path) -> list[str]:
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    rows = list(book["警告"].iter_rows(min_row=2, values_only=True))
    book.close()
    return [str(row[-1]) for row in rows if row and row[-1] is not None]


def _same_warnings(folder: Path, out: Path, *options: str) -> list[str]:
    checked = _invoke("check", str(folder), *options)
    ran = _invoke("run", str(folder), "--out", str(out), "--no-atlas", *options)
    listed = _warning_lines(checked)
    assert listed == _warning_lines(ran)
    assert _check_count(checked) == len(listed)
    # the report lists the same warnings (the CLI prefixes the layer)
    report = _report_warnings(out)
    assert len(report) == len(listed)
    assert all(line.endswith(text) for line, text in zip(listed, report, strict=True))
    return listed


def test_check_gives_the_warnings_of_run_on_the_demo(tmp_path):
    listed = _same_warnings(DEMO, tmp_path / "out")
    assert len(listed) == 5
    assert any("E0353" in line for line in listed)


def test_check_gives_the_warnings_of_run_without_premises(tmp_path):
    """No premises at all: the empty reach raster used to be a log line only, so `check`
    printed it and then counted one warning fewer than it had shown."""
    folder = tmp_path / "layers"
    folder.mkdir()
    for name in ("communities.gpkg", "estates.geojson", "planned_roads.geojson"):
        shutil.copy(DEMO / name, folder / name)
    listed = _same_warnings(folder, tmp_path / "out")
    assert any("premises:" in line and "距离栅格" in line for line in listed)
    assert "WARNING" not in _invoke("check", str(folder))


@pytest.mark.parametrize(
    "options",
    [
        ("--sites", "3"),
        ("--no-proposals",),
        ("--scenario", str(REPO / "notebooks" / "scenario_2035_plan_a.yaml")),
    ],
    ids=["sites", "no-proposals", "scenario"],
)
def test_check_takes_the_options_of_run(tmp_path, options):
    _same_warnings(DEMO, tmp_path / "out", *options)


def test_check_prints_input_text_verbatim(tmp_path):
    """A ``[`` in an input id is text, not console markup (it used to vanish in `check`)."""
    import geopandas as gpd

    folder = tmp_path / "layers"
    shutil.copytree(DEMO, folder)
    estates = gpd.read_file(folder / "estates.geojson")
    estates.loc[estates["estate_id"] == "E0353", "estate_id"] = "[bold]E0353"
    estates.to_file(folder / "estates.geojson", driver="GeoJSON")
    listed = _same_warnings(folder, tmp_path / "out", "--no-proposals")
    assert any("[bold]E0353" in line for line in listed)
