"""Packaging: environment.yml and ci/constraints-lowest.txt in step with pyproject.toml, the
wheel's contents (the demo layers in it, the generators not), the demo of an installed
package, the extras."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import typer
import yaml
from packaging.version import Version

from .conftest import DEMO, REPO


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
def test_wheel_holds_every_module_and_data_file_and_the_demo_and_no_tools_or_tests(tmp_path):
    """A plain `pip wheel .` of the sources (what a user installs): the modules, the data files
    (gis_planner/data, Leaflet), py.typed, and the demo layers as the data package
    gis_planner.datasets.deqing_demo (mapped from layers/deqing_demo, their one committed
    copy); no tools/ (the generators), no tests. Unpacked alone on sys.path — no repository,
    no site-packages — it finds the demo with get_path."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for folder in ("gis_planner", "tools", "tests", "layers/deqing_demo"):
        shutil.copytree(
            REPO / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
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
        archive.extractall(tmp_path / "installed")
    demo = {f"gis_planner/datasets/deqing_demo/{p.name}" for p in DEMO.iterdir()}
    expected = {
        p.relative_to(src).as_posix() for p in (src / "gis_planner").rglob("*") if p.is_file()
    }
    assert names == expected | demo
    assert "gis_planner/data/deqing_county_outline.geojson" in names
    assert "gis_planner/datasets/deqing_demo/planner.yaml" in names
    assert "gis_planner/py.typed" in names
    assert not any(n.startswith(("tests/", "layers/", "tools/")) for n in names)
    found = subprocess.run(
        [
            sys.executable,
            "-I",  # isolated: neither the working folder nor PYTHON* variables
            "-S",  # no site-packages, so no editable install of the checkout either
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from gis_planner.datasets import get_path; print(get_path())",
            str(tmp_path / "installed"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    folder = Path(found.stdout.strip())
    assert folder == tmp_path / "installed" / "gis_planner" / "datasets" / "deqing_demo"
    for path in DEMO.iterdir():
        assert (folder / path.name).read_bytes() == path.read_bytes(), path.name


def test_demo_command_uses_the_shipped_demo(monkeypatch):
    """`gis-planner demo` runs on gis_planner.datasets.get_path("deqing_demo"): the package's
    copy, or layers/deqing_demo of a checkout; nothing is generated at run time."""
    from gis_planner import cli, datasets

    assert cli.demo_layers() == datasets.get_path("deqing_demo") == DEMO.resolve()

    def missing(name="deqing_demo"):
        raise FileNotFoundError(f"the files of dataset {name!r} are missing")

    monkeypatch.setattr(datasets, "get_path", missing)
    with pytest.raises(typer.BadParameter, match="deqing_demo"):
        cli.demo_layers()


# ----------------------------------------------------------------------------- extras
def test_notebooks_extra_lets_geopandas_explore_an_output_layer():
    """`pip install gis-planner[notebooks]`: geopandas.explore() needs matplotlib (colours of a
    category) and mapclassify (classes of a figure); without them it raises ImportError."""
    import folium

    from .conftest import two_communities

    layer = two_communities().assign(households=[1200, 4100])
    assert isinstance(layer.explore(column="kind"), folium.Map)
    assert isinstance(layer.explore(column="households", scheme="EqualInterval", k=2), folium.Map)
