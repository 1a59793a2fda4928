"""Data never runs as code, outputs are replaced as a whole, and CSV cells are never formulas.

Every text field of every layer of the demo, and the ``name`` and ``data_note`` of its
``planner.yaml``, is set to a hostile payload: Jinja2 templates (folium/branca compile macro
output a second time, so a name once ran shell commands), HTML and script. The run must exit 0,
run nothing (a sentinel file is never created), keep the map at its normal size, and show every
text verbatim in the map's data, the report and the bureau package.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from gis_planner.cli import app
from gis_planner.io import schema
from gis_planner.io.layers import load_layers
from gis_planner.render import atomic

from .conftest import DEMO, REPO, folder_hash

runner = CliRunner()

SENTINEL_NAME = "PWNED.txt"
PAYLOADS = {
    # runs a shell command if any template sees it
    "exec": "{{ cycler.__init__.__globals__.os.system('touch %(sentinel)s') }}",
    "math": "{{7*7}}",
    "loop": "{% for i in range(100000) %}xxxxxxxxxx{% endfor %}",
    "open": "幸福{{小区",
    "comment": "Block {# 3",
    # matplotlib's mathtext (the atlas): a malformed formula once stopped the run
    "mathtext": "$\\frac{a}{$ 小区 $x^2$",
    "script": "{{ '\\x3c/script\\x3e\\x3cimg src=x onerror=alert(1)\\x3e' }}</script><b>x",
}
#: the payloads also run through the atlas (matplotlib draws text; no template is involved, so
#: the other payloads, which only a template or HTML would act on, skip it to save suite time)
ATLAS_PAYLOADS = ("exec", "mathtext")


def _text_fields(layer: str) -> list[str]:
    return [f.name for f in schema.VECTOR_LAYERS[layer].fields if f.kind == "text"]


def hostile_folder(tmp_path: Path, payload: str) -> Path:
    """The demo, with ``payload`` appended to every text value and planner.yaml text."""
    data = load_layers(DEMO)
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, frame in data.vector_layers.items():
        frame = frame.copy()
        for column in dict.fromkeys([*_text_fields(name), "community_id"]):
            if column in frame:
                frame[column] = frame[column].map(lambda v: None if pd.isna(v) else f"{v}{payload}")
        keep = [
            c for c in frame.columns if c in {f.name for f in schema.VECTOR_LAYERS[name].fields}
        ]
        gpd.GeoDataFrame(frame[keep], geometry=frame.geometry, crs=frame.crs).to_file(
            folder / f"{name}.gpkg", engine="pyogrio"
        )
    (folder / "planner.yaml").write_text(
        yaml.safe_dump(
            {"name": f"县{payload}", "data_note": {"zh": f"说明{payload}", "en": f"note{payload}"}},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return folder


def _map_data(page: str) -> dict:
    """The map's data, its features as records (as the page's script rebuilds them)."""
    from gis_planner.render.onemap.records import unpack

    match = re.search(r'<script type="application/json" id="gp-data">(.*?)</script>', page, re.S)
    assert match, "the map's data block is missing"
    data = json.loads(match.group(1))
    for layer_id, features in unpack(data).items():
        data["layers"][layer_id]["features"] = features
    return data


@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_no_template_ever_sees_data(tmp_path: Path, kind: str) -> None:
    sentinel = tmp_path / SENTINEL_NAME
    payload = PAYLOADS[kind] % {"sentinel": sentinel} if kind == "exec" else PAYLOADS[kind]
    folder = hostile_folder(tmp_path, payload)
    out = tmp_path / "out"
    atlas = [] if kind in ATLAS_PAYLOADS else ["--no-atlas"]
    result = runner.invoke(app, ["run", str(folder), "--out", str(out), *atlas])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert not sentinel.exists(), "a name ran a shell command"
    assert (out / "atlas.pdf").is_file() == (kind in ATLAS_PAYLOADS)

    page = (out / "map.html").read_text(encoding="utf-8")
    assert len(page) < 2_000_000  # the demo's map is about 0.4 MB; a loop would make 1+ MB
    assert "<img src=x" not in page and "<b>x" not in page
    data = _map_data(page)
    estates = {f.get("n") for f in data["layers"]["estates"]["features"]}
    assert all(n.endswith(payload) for n in estates), sorted(estates)[:3]
    communities = {f.get("n") for f in data["layers"]["communities"]["features"]}
    assert all(n.endswith(payload) for n in communities)
    # the title and the data note are HTML-escaped text: the payload is there verbatim, and
    # nothing else in the title is what a template would make of it ({{7*7}} → 49; the
    # payload itself is left out of that search: the exec payload holds the temporary
    # folder's path, which may well contain 49)
    title = html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1))
    assert payload in title
    assert "49" not in title.replace(payload, "")

    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    cells = {
        str(c)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if isinstance(c, str)
    }
    assert any(c.endswith(payload) for c in cells)
    estates_out = gpd.read_file(out / "estates.geojson")
    assert estates_out["name"].str.endswith(payload).all()


def test_bureau_package_keeps_hostile_text_verbatim(tmp_path: Path) -> None:
    sentinel = tmp_path / SENTINEL_NAME
    payload = PAYLOADS["exec"] % {"sentinel": sentinel}
    folder = hostile_folder(tmp_path, payload)
    out = tmp_path / "out"
    assert (
        runner.invoke(app, ["run", str(folder), "--out", str(out), "--no-proposals"]).exit_code == 0
    )
    result = runner.invoke(
        app, ["export", str(out), "--bureau", "--format", "geojson", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert not sentinel.exists()
    estates = gpd.read_file(out / "bureau" / "geojson" / "estates.geojson")
    name_column = next(
        c for c in estates.columns if estates[c].astype(str).str.endswith(payload).any()
    )
    assert estates[name_column].str.endswith(payload).all()


def test_csv_cells_are_never_formulas(tmp_path: Path) -> None:
    """planning_conditions.csv (R2) and boundary_moves.csv are opened in Excel: a cell that
    starts with = + - @ would be a formula (OWASP CSV injection)."""
    data = load_layers(DEMO)
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, frame in data.vector_layers.items():
        frame = frame.copy()
        if name in ("development_parcels", "estates"):
            frame["name"] = "=cmd|' /C calc'!A0"
        if name == "communities":
            frame["name"] = [
                f'=HYPERLINK("http://x","{i}")' if i % 2 else f"@{i}" for i in range(len(frame))
            ]
        keep = [
            c for c in frame.columns if c in {f.name for f in schema.VECTOR_LAYERS[name].fields}
        ]
        gpd.GeoDataFrame(frame[keep], geometry=frame.geometry, crs=frame.crs).to_file(
            folder / f"{name}.gpkg", engine="pyogrio"
        )
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("planning_conditions.csv", "boundary_moves.csv"):
        table = pd.read_csv(out / name, encoding="utf-8-sig", dtype=str)
        assert len(table), name
        for column in table.columns:
            text = table[column].dropna()
            assert not text.str.match(r"[=+\-@\t\r]").any(), (name, column, text.head())
    conditions = pd.read_csv(out / "planning_conditions.csv", encoding="utf-8-sig", dtype=str)
    assert (conditions["name"] == "'=cmd|' /C calc'!A0").all()
    moves = pd.read_csv(out / "boundary_moves.csv", encoding="utf-8-sig", dtype=str)
    names = pd.concat([moves[c] for c in moves.columns if "name" in c]).dropna()
    assert names.str.startswith(("'=HYPERLINK", "'@")).any()


# --------------------------------------------------------------------------- atomic outputs


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.name: folder_hash(p) if p.is_dir() else p.read_bytes().hex()
        for p in sorted(folder.iterdir())
    }


def _old_and_new(tmp_path: Path) -> tuple[Path, Path, tuple[str, ...]]:
    """A folder holding an old set (a.txt, b/, stale.txt) and the planner's own file, and a
    staging folder with the new set (a.txt, b/, d.txt)."""
    folder = tmp_path / "out"
    (folder / "b").mkdir(parents=True)
    (folder / "a.txt").write_text("old a", encoding="utf-8")
    (folder / "b" / "x").write_text("old b", encoding="utf-8")
    (folder / "stale.txt").write_text("old only", encoding="utf-8")
    (folder / "mine.txt").write_text("not ours", encoding="utf-8")
    stage = folder / ".staging-test"
    (stage / "b").mkdir(parents=True)
    (stage / "a.txt").write_text("new a", encoding="utf-8")
    (stage / "b" / "x").write_text("new b", encoding="utf-8")
    (stage / "d.txt").write_text("new only", encoding="utf-8")
    return folder, stage, ("a.txt", "b", "d.txt", "stale.txt")


def _without_stage(snapshot: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in snapshot.items() if not k.startswith(".")}


def test_commit_replaces_the_set_and_touches_nothing_else(tmp_path: Path) -> None:
    folder, stage, owned = _old_and_new(tmp_path)
    atomic.commit(folder, stage, owned=owned)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "a.txt",
        "b",
        "d.txt",
        "mine.txt",
    ]
    assert (folder / "a.txt").read_text(encoding="utf-8") == "new a"
    assert (folder / "b" / "x").read_text(encoding="utf-8") == "new b"
    assert (folder / "mine.txt").read_text(encoding="utf-8") == "not ours"
    assert not (folder / atomic.JOURNAL).exists()


@pytest.mark.parametrize("fail_at", range(6))  # 3 old entries out, 3 new ones in
def test_a_failure_at_any_move_leaves_the_old_set(
    tmp_path: Path, monkeypatch, fail_at: int
) -> None:
    folder, stage, owned = _old_and_new(tmp_path)
    before = _without_stage(_snapshot(folder))
    original, calls = atomic._move, [0]

    def failing(source: Path, destination: Path) -> None:
        calls[0] += 1
        if calls[0] == fail_at + 1:  # this one move fails; the roll-back's moves work
            raise OSError(28, "No space left on device")
        original(source, destination)

    monkeypatch.setattr(atomic, "_move", failing)
    with pytest.raises(OSError):
        atomic.commit(folder, stage, owned=owned)
    assert _without_stage(_snapshot(folder)) == before
    assert not (folder / atomic.JOURNAL).exists()
    assert [p.name for p in folder.iterdir() if p.name.startswith(".backup")] == []


KILLER = """
import os, sys
from pathlib import Path
import gis_planner.render.atomic as atomic
original, calls, kill_at = atomic._move, [0], int(sys.argv[1])
def move(source, destination):
    if calls[0] == kill_at:
        os._exit(9)
    calls[0] += 1
    original(source, destination)
atomic._move = move
if sys.argv[2] == "commit":
    folder = Path(sys.argv[3])
    atomic.commit(folder, folder / ".staging-test", owned=sys.argv[4].split(","))
else:
    from gis_planner.cli import app
    app(sys.argv[2:])
"""


def _killed(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", KILLER, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=300,
    )


@pytest.mark.parametrize("kill_at", range(6))
def test_a_kill_at_any_move_is_rolled_back_by_the_next_command(
    tmp_path: Path, kill_at: int
) -> None:
    folder, stage, owned = _old_and_new(tmp_path)
    before = _without_stage(_snapshot(folder))
    done = _killed(str(kill_at), "commit", str(folder), ",".join(owned), cwd=tmp_path)
    assert done.returncode == 9, done.stderr[-2000:]
    assert (folder / atomic.JOURNAL).exists()
    with atomic.locked(folder):
        notes = atomic.recover(folder)
    assert "rolled back" in notes[0]
    assert _snapshot(folder) == before  # staging and backup removed too
    # recovering twice changes nothing
    assert atomic.recover(folder) == [] and _snapshot(folder) == before


def test_a_run_killed_mid_commit_is_rolled_back_and_the_next_run_completes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert (
        runner.invoke(
            app, ["run", "--no-atlas", str(DEMO), "--out", str(out), "--no-proposals"]
        ).exit_code
        == 0
    )
    (out / "my_notes.txt").write_text("the planner's own file", encoding="utf-8")
    before = _snapshot(out)
    done = _killed("10", "run", "--no-atlas", str(DEMO), "--out", str(out), cwd=tmp_path)
    assert done.returncode == 9, done.stderr[-2000:]
    assert (out / atomic.JOURNAL).exists()
    result = runner.invoke(app, ["run", "--no-atlas", str(DEMO), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert (out / "proposed_communities.geojson").exists()
    assert (out / "my_notes.txt").read_text(encoding="utf-8") == "the planner's own file"
    assert _snapshot(out) != before


def test_a_run_failing_mid_commit_leaves_the_previous_run(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    assert (
        runner.invoke(
            app, ["run", "--no-atlas", str(DEMO), "--out", str(out), "--no-proposals"]
        ).exit_code
        == 0
    )
    before = _snapshot(out)
    original, calls = atomic._move, [0]

    def failing(source: Path, destination: Path) -> None:
        calls[0] += 1
        if calls[0] == 11:
            raise OSError(28, "No space left on device")
        original(source, destination)

    monkeypatch.setattr(atomic, "_move", failing)
    result = runner.invoke(app, ["run", "--no-atlas", str(DEMO), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "No space left on device" in result.output
    assert _snapshot(out) == before


def test_leftover_staging_folders_are_removed_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".staging-abc123").mkdir(parents=True)
    (out / ".staging-abc123" / "map.html").write_text("half", encoding="utf-8")
    (out / ".backup-xyz").mkdir()
    assert (
        runner.invoke(
            app, ["run", "--no-atlas", str(DEMO), "--out", str(out), "--no-proposals"]
        ).exit_code
        == 0
    )
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_export_never_deletes_what_it_did_not_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "bureau").write_text("my own file called bureau", encoding="utf-8")
    result = runner.invoke(
        app, ["export", str(DEMO), "--bureau", "--format", "geojson", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "bureau" in result.output and "--out" in result.output
    assert (out / "bureau").read_text(encoding="utf-8") == "my own file called bureau"
    assert not (out / "bureau.zip").exists()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "out"
    assert (
        runner.invoke(
            app, ["export", str(DEMO), "--bureau", "--format", "geojson", "--out", str(out)]
        ).exit_code
        == 0
    )
    with zipfile.ZipFile(out / "bureau.zip") as archive:
        assert "bureau/metadata.json" in archive.namelist()
    return out


@pytest.mark.parametrize("fail_at", range(4))  # 2 old entries out, 2 new ones in
def test_a_failed_export_commit_leaves_the_old_package(
    exported: Path, monkeypatch, fail_at: int
) -> None:
    before = _snapshot(exported)
    original, calls = atomic._move, [0]

    def failing(source: Path, destination: Path) -> None:
        calls[0] += 1
        if calls[0] == fail_at + 1:
            raise OSError(5, "Input/output error")
        original(source, destination)

    monkeypatch.setattr(atomic, "_move", failing)
    result = runner.invoke(
        app, ["export", str(DEMO), "--bureau", "--format", "geojson", "--out", str(exported)]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert _snapshot(exported) == before


# --------------------------------------------------------------------------- the CLI


def test_out_that_is_a_file_or_root_is_refused_before_any_work(tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    for out in (str(a_file), "/"):
        result = runner.invoke(app, ["run", "--no-atlas", str(DEMO), "--out", out])
        assert result.exit_code == 2, result.output
        assert "--out" in result.output
    assert a_file.read_text(encoding="utf-8") == "x"


def test_a_plan_year_past_the_latest_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["run", "--no-atlas", str(DEMO), "--out", str(tmp_path), "--year", "99999"]
    )
    assert result.exit_code == 2
    assert "99999" in result.output and "2100" in result.output


def test_an_unexpected_error_prints_an_apology_and_a_log_not_a_stack(
    tmp_path: Path, monkeypatch
) -> None:
    import gis_planner.pipeline as analysis

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(analysis, "analyse", broken)
    result = runner.invoke(app, ["run", "--no-atlas", str(DEMO), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    log_path = Path(re.search(r"(\S+crash-\S+\.log)", result.output).group(1))
    assert "ZeroDivisionError: boom" in log_path.read_text(encoding="utf-8")
    assert not (tmp_path / "o" / "map.html").exists()


def test_proposals_that_would_exhaust_memory_are_refused_with_the_fix(
    tmp_path: Path, monkeypatch
) -> None:
    import gis_planner.cli as cli

    monkeypatch.setattr(cli, "_available_memory", lambda: 1_000_000)  # 1 MB free
    result = runner.invoke(app, ["run", "--no-atlas", str(DEMO), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert "--no-proposals" in result.output
    assert not (tmp_path / "o" / "map.html").exists()
    assert (
        runner.invoke(
            app, ["run", "--no-atlas", str(DEMO), "--out", str(tmp_path / "o"), "--no-proposals"]
        ).exit_code
        == 0
    )


def test_dual_map_runs_nothing_from_scenario_names_or_layer_text(tmp_path: Path) -> None:
    from gis_planner.scenario import Scenario, dual_map, render_dual_map

    sentinel = tmp_path / SENTINEL_NAME
    payload = PAYLOADS["exec"] % {"sentinel": sentinel}
    folder = hostile_folder(tmp_path, payload + "{{7*7}}")
    base = Scenario.load(folder).named(f"现状{payload}")
    plan = base.named("{{7*7}}{% for i in range(99999) %}x{% endfor %}")
    page = render_dual_map(dual_map(base, plan))
    assert not sentinel.exists()
    assert len(page) < 3_000_000
    assert "{{7*7}}" not in page  # braces reach the page only as escapes
    assert "\\u007b\\u007b7*7}}" in page or "&#123;&#123;7*7&#125;&#125;" in page
