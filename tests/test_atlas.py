"""The printable atlas (atlas.pdf, issue 13.4): A3 landscape pages of R1, R6 and R7 for the
county and each street, the R1 table and the R6 candidate list, a CJK font embedded.

The PDF is checked with poppler's tools (pdfinfo, pdffonts, pdftotext, pdftoppm); without
them, or without a CJK font, those tests skip and say what to install.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest
from typer.testing import CliRunner

from gis_planner import pipeline
from gis_planner.cli import app
from gis_planner.io.layers import load_layers
from gis_planner.io.runfolder import read_run
from gis_planner.render.atlas import CJKFontMissingError, find_cjk_font, paginate, plan_atlas
from gis_planner.render.atlas.source import atlas_source
from gis_planner.render.atlas.tables import PrintTable, enclosure_table, premises_table
from gis_planner.render.atlas.themes import street_of
from gis_planner.render.runfolder import write_run

from .conftest import DEMO, two_communities, write_layers

POPPLER = ("pdfinfo", "pdffonts", "pdftotext", "pdftoppm")
needs_poppler = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER),
    reason="poppler-utils is not installed (pdfinfo, pdffonts, pdftotext, pdftoppm): "
    "apt-get install poppler-utils",
)


def _has_cjk_font() -> bool:
    try:
        find_cjk_font()
    except CJKFontMissingError:
        return False
    return True


needs_cjk_font = pytest.mark.skipif(
    not _has_cjk_font(),
    reason="no CJK font for the atlas: apt-get install fonts-noto-cjk",
)
#: A3 landscape in PDF points (420 x 297 mm)
A3_LANDSCAPE = "1190.55 x 841.89 pts"
#: the demo's map themes: R1, R6, R7 boundaries, R7 sites
DEMO_THEMES = (
    "社区用房达标情况图",
    "小区开转封评估图",
    "社区范围调整建议图",
    "社区用房选址建议及服务范围图",
)


def _tool(*args: str | Path) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=True)
    return done.stdout


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def demo_results():
    return pipeline.run(load_layers(DEMO))


@pytest.fixture(scope="module")
def demo_atlas(demo_results, tmp_path_factory) -> Path:
    """The demo's run folder, written with the atlas (the map left out: not needed here)."""
    if not _has_cjk_font():
        pytest.skip("no CJK font for the atlas: apt-get install fonts-noto-cjk")
    out = tmp_path_factory.mktemp("atlas") / "run"
    written, timings = write_run(demo_results, out, map_html=False)
    assert written["atlas"] == out / "atlas.pdf"
    assert timings["atlas.pdf"] > 0
    return out


def _demo_streets() -> list[str]:
    communities = load_layers(DEMO).communities
    return [s for s in dict.fromkeys(communities["street"].map(street_of)) if s is not None]


@needs_poppler
def test_R1_R6_R7_atlas_is_A3_landscape_one_page_per_street_and_theme(demo_atlas, demo_results):
    info = _tool("pdfinfo", demo_atlas / "atlas.pdf")
    sizes = {line.split(":", 1)[1].strip() for line in info.splitlines() if "size" in line}
    assert any(size.startswith(A3_LANDSCAPE) for size in sizes), info
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    streets = _demo_streets()
    assert len(streets) == 3  # the demo: 武康街道, 舞阳街道, 阜溪街道
    src = atlas_source(demo_results)
    tables = len(paginate(premises_table(src))) + len(paginate(enclosure_table(src)))
    assert tables == 2  # 22 communities, 14 candidates: one page each
    assert pages == len(DEMO_THEMES) * (1 + len(streets)) + tables


@needs_poppler
def test_R1_atlas_embeds_a_noto_cjk_font(demo_atlas):
    fonts = _tool("pdffonts", demo_atlas / "atlas.pdf").splitlines()[2:]
    cjk = [line for line in fonts if "NotoSansCJK" in line.split()[0]]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded
    assert not [line for line in fonts if "Type 3" in line]  # TrueType, not bitmaps


@needs_poppler
def test_R1_R6_R7_chinese_titles_streets_tables_and_the_synthetic_data_note(
    demo_atlas, demo_results
):
    text = _tool("pdftotext", "-layout", demo_atlas / "atlas.pdf", "-")
    for title in DEMO_THEMES:
        assert f"{title}（R" in text
    for street in _demo_streets():
        assert f"— {street}" in text
    for words in ("社区用房核查表（R1）", "开转封候选清单（R6）", "图例", "图名", "数据年份"):
        assert words in text
    assert "坐标系" in text and "EPSG:4549" in text
    note = demo_results.data.data_note["zh"]
    assert "合成数据" in note
    assert _flat(note) in _flat(text)  # the synthetic-data note of planner.yaml
    assert "km" in text or " m" in text  # the scale bar's unit


@needs_poppler
def test_R1_atlas_page_renders_as_a_map(demo_atlas, tmp_path):
    """One page to PNG at 50 dpi: an A3 image with colour on it, not an empty sheet."""
    _tool(
        "pdftoppm",
        "-r",
        "50",
        "-f",
        "1",
        "-l",
        "1",
        "-png",
        demo_atlas / "atlas.pdf",
        tmp_path / "page",
    )
    (png,) = tmp_path.glob("page*.png")
    import matplotlib.image

    image = matplotlib.image.imread(png)
    assert image.shape[1] == pytest.approx(420 / 25.4 * 50, abs=2)  # width in pixels
    rgb = image[..., :3]
    coloured = (rgb.max(axis=2) - rgb.min(axis=2)) > 0.15
    assert coloured.mean() > 0.05  # the communities coloured by R1 status


@needs_poppler
@needs_cjk_font
def test_R1_R6_atlas_in_english_without_R7_proposals(tmp_path):
    results = pipeline.run(load_layers(DEMO), proposals=False)
    written, _ = write_run(results, tmp_path / "run", lang="en", map_html=False)
    text = _tool("pdftotext", written["atlas"], "-")
    assert "Community premises status (R1)" in text
    assert "Open-to-enclosed screening of estates (R6)" in text
    assert "(R7)" not in text.replace("Premises", "")  # no R7 page without proposals
    assert _flat(results.data.data_note["en"]) in _flat(text)
    info = _tool("pdfinfo", written["atlas"])
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    src = atlas_source(results, lang="en")
    tables = len(paginate(premises_table(src, lang="en"))) + len(
        paginate(enclosure_table(src, lang="en"))
    )
    assert pages == 2 * (1 + len(_demo_streets())) + tables


def test_R1_without_streets_the_county_page_is_the_only_view(tmp_path):
    communities = two_communities().drop(columns="street")
    results = pipeline.run(load_layers(write_layers(tmp_path / "layers", communities=communities)))
    pages = plan_atlas(atlas_source(results))
    maps = [p for p in pages if p.theme is not None]
    assert [p.view.whole for p in maps] == [True]  # R1 only: no estates, no proposals
    assert [p.table.title for p in pages if p.table is not None] == ["社区用房核查表（R1）"]


@needs_poppler
@needs_cjk_font
def test_R1_names_with_dollar_signs_print_verbatim_not_as_mathtext(tmp_path):
    """matplotlib parses ``$…$`` as mathtext: a name such as ``居仁$\\frac{a}{$`` once
    stopped the run at the atlas (a traceback on valid input)."""
    from gis_planner.render.atlas import write_atlas

    communities = two_communities()
    communities.loc[0, "name"] = "居仁$\\frac{a}{$社区"
    communities.loc[1, "street"] = "$x^2$街道"
    results = pipeline.run(load_layers(write_layers(tmp_path / "layers", communities=communities)))
    path = write_atlas(results, tmp_path / "atlas.pdf")
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "$x^2$街道" in text


def test_R1_communities_without_a_street_get_a_page_of_their_own(tmp_path):
    communities = two_communities()
    communities.loc[1, "street"] = None
    results = pipeline.run(load_layers(write_layers(tmp_path / "layers", communities=communities)))
    views = [p.view for p in plan_atlas(atlas_source(results)) if p.view is not None]
    assert [(v.name, v.ids) for v in views[1:]] == [
        ("武康街道", frozenset({"A"})),
        ("未填街道的社区", frozenset({"B"})),
    ]


def test_R6_long_table_is_paginated_every_row_once_header_on_each_page():
    rows = tuple((str(n), f"小区{n}", "理由 " * (n % 7 + 1)) for n in range(1, 201))
    table = PrintTable(
        "开转封候选清单（R6）", ("序号", "小区名称", "评估理由"), rows, (True, False, False)
    )
    pages = paginate(table)
    assert len(pages) > 1
    assert [k for page in pages for k in page] == list(range(200))


def test_R1_missing_cjk_font_is_a_planner_error_naming_the_package():
    with pytest.raises(CJKFontMissingError) as caught:
        find_cjk_font(("No Such Font",))
    assert "fonts-noto-cjk" in caught.value.text("zh")
    assert "fonts-noto-cjk" in caught.value.text("en")
    assert caught.value.code == "atlas_cjk_font_missing"


@needs_poppler
def test_R1_R6_R7_cli_atlas_reads_a_run_folder_back(demo_atlas, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(demo_atlas, run)
    (run / "atlas.pdf").unlink()
    result = CliRunner().invoke(app, ["atlas", str(run)])
    assert result.exit_code == 0, result.output
    text = _tool("pdftotext", run / "atlas.pdf", "-")
    assert "社区用房选址建议及服务范围图（R7）" in text  # the proposed sites are read back
    assert "社区范围调整建议图" in text  # and so are the proposed boundaries
    assert "开转封候选清单（R6）" in text
    folder = read_run(run)
    assert len(folder.layers["communities"]) == 22
    proposed = folder.layers["proposed"]
    assert len(proposed) == len(gpd.read_file(run / "proposed_communities.geojson"))
    # every household of the proposal is read back (R7: proposed communities tile the area)
    assert proposed["households"].sum() == folder.layers["communities"]["households"].sum()


def test_R1_without_a_cjk_font_write_run_stops_and_writes_nothing(tmp_path, monkeypatch):
    from gis_planner.render.atlas import book

    def missing() -> None:
        raise CJKFontMissingError()

    monkeypatch.setattr(book.fonts, "find_cjk_font", missing)
    results = pipeline.run(
        load_layers(write_layers(tmp_path / "layers", communities=two_communities())),
        proposals=False,
    )
    out = tmp_path / "run"
    with pytest.raises(CJKFontMissingError, match="fonts-noto-cjk"):
        write_run(results, out, map_html=False)
    assert not [p for p in out.iterdir() if not p.name.startswith(".")]


def test_R1_cli_atlas_refuses_to_write_into_the_layers_folder(demo_copy):
    result = CliRunner().invoke(app, ["atlas", str(demo_copy), "--out", str(demo_copy)])
    assert result.exit_code == 2
    assert not (demo_copy / "atlas.pdf").exists()
