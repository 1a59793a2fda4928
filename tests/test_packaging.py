"""Packaging: environment.yml and ci/constraints-lowest.txt in step with pyproject.toml, the
wheel's contents, the demo of an installed package, the extras."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import yaml
from packaging.version import Version

from .conftest import REPO


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for requirement in requirements:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(>=\s*[0-9.]+)?", requirement)
        if match:
            pins[match.group(1).lower()] = (match.group(2) or "").replace(" ", "")
    return pins


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = _pins(project["dependencies"] + extras["test"] + extras["bench"] + extras["notebooks"])
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = _pins([d for d in env["dependencies"] if isinstance(d, str)])
    assert wanted == {k: v for k, v in conda.items() if k in wanted}
    assert set(wanted) <= set(conda)
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert any(line.startswith("-e .") for line in pip_section)


# ----------------------------------------------------------------------------- lowest versions
CONSTRAINTS_LOWEST = REPO / "ci" / "constraints-lowest.txt"


def _lower_bounds(requirements: list[str]) -> dict[str, str]:
    return {name: pin.removeprefix(">=") for name, pin in _pins(requirements).items()}


def test_lowest_constraints_pin_every_direct_dependency_to_its_lower_bound():
    """`make test-lowest` runs on ci/constraints-lowest.txt: a raised bound must move it too."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = _lower_bounds(project["dependencies"] + extras["test"] + extras["notebooks"])
    pinned = {}
    for line in CONSTRAINTS_LOWEST.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([0-9][0-9a-z.]*)\s*(#.*)?$", line.strip())
        if match:
            pinned[match.group(1).lower()] = match.group(2)
    assert all(wanted.values()), f"a dependency without a lower bound: {wanted}"
    assert {name: Version(pinned.get(name, "0")) for name in wanted} == {
        name: Version(bound) for name, bound in wanted.items()
    }


# ----------------------------------------------------------------------------- the wheel
def test_wheel_holds_every_module_and_data_file_and_no_tests(tmp_path):
    """A plain `pip wheel .` of the sources (what a user installs): the modules, the data files
    the demo generator and the map read (gis_planner/data, Leaflet), py.typed; no tests."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(
        REPO / "gis_planner",
        src / "gis_planner",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        check=True,
        timeout=600,
    )
    (wheel,) = (tmp_path / "dist").glob("gis_planner-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = {n for n in archive.namelist() if not n.startswith("gis_planner-")}
    expected = {
        p.relative_to(src).as_posix() for p in (src / "gis_planner").rglob("*") if p.is_file()
    }
    assert names == expected
    assert "gis_planner/data/deqing_county_outline.geojson" in names
    assert "gis_planner/py.typed" in names
    assert not any(n.startswith(("tests/", "layers/")) for n in names)


def test_demo_without_a_layers_folder_is_generated_once_into_the_cache(tmp_path, monkeypatch):
    """Installed from a wheel there is no layers/deqing_demo: `gis-planner demo` makes it with
    the deterministic generator into the user's cache once, renamed into place whole."""
    from gis_planner import cli
    from gis_planner.datasets import generate as demo

    calls = []

    def fake_generate(folder, *, seed):
        calls.append(Path(folder))
        (Path(folder) / "planner.yaml").write_text(f"seed: {seed}\n", encoding="utf-8")

    monkeypatch.setattr(demo, "generate_demo", fake_generate)
    monkeypatch.setattr(cli, "DEMO_FOLDER", Path("no_such_layers") / "deqing_demo")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    folder = cli.demo_layers()
    assert folder.parent == tmp_path / "cache" / "gis_planner"
    assert folder.name.startswith("deqing_demo-")
    assert (folder / "planner.yaml").read_text(encoding="utf-8") == f"seed: {demo.DEFAULT_SEED}\n"
    assert len(calls) == 1 and calls[0].parent == folder.parent and calls[0] != folder
    assert cli.demo_layers() == folder and len(calls) == 1  # reused, not made again
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]  # no staging left
    # a cache that cannot be written: the temporary folder instead
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setattr(demo.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert demo.cached_demo().parent == tmp_path / "tmp" / "gis_planner"


# ----------------------------------------------------------------------------- extras
def test_notebooks_extra_lets_geopandas_explore_an_output_layer():
    """`pip install gis-planner[notebooks]`: geopandas.explore() needs matplotlib (colours of a
    category) and mapclassify (classes of a figure); without them it raises ImportError."""
    import folium

    from .conftest import two_communities

    layer = two_communities().assign(households=[1200, 4100])
    assert isinstance(layer.explore(column="kind"), folium.Map)
    assert isinstance(layer.explore(column="households", scheme="EqualInterval", k=2), folium.Map)
