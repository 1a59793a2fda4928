"""The notebooks in notebooks/ run top to bottom on the embedded demo (nbclient).

The kernel is this interpreter (the project's virtualenv) through a kernel spec written to a
temporary JUPYTER_PATH, so the test needs no kernel installed by hand: `make test` on a fresh
clone works. Each cell may take 120 s; the notebooks run from the repository root and write
only under outputs/notebooks/.
"""

from __future__ import annotations

import json
import os
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import DEMO, REPO, folder_hash

NOTEBOOKS = REPO / "notebooks"
OUTPUTS = REPO / "outputs" / "notebooks"
KERNEL = "gis-planner-test"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernel spec running ipykernel in this interpreter, first on JUPYTER_PATH."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "gis_planner (tests)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(root), before) if p)
    yield KERNEL
    if before is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = before


def run_notebook(name: str, kernel_name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name=kernel_name, resources={"metadata": {"path": str(REPO)}}
    )
    client.execute()
    return nb


def test_notebooks_are_stored_with_their_outputs():
    """A planner opening a notebook (or its page on a code host) sees the results: every code
    cell was run in order without an error, the tables are in Chinese, the one-map is inline,
    and the file stays small (``make notebooks-refresh`` stores them anew)."""
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        assert path.stat().st_size < 2_000_000, path.name
        nb = nbformat.read(path, as_version=4)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), path.name
        outputs = [o for cell in code for o in cell.outputs]
        assert outputs and not [o for o in outputs if o.output_type == "error"], path.name
        html = " ".join(o.get("data", {}).get("text/html", "") for o in outputs)
        assert "社区代码" in html and "应配面积(m²)" in html, path.name
        assert "<iframe" in html, path.name  # the map, shown where it is made
        assert str(REPO) not in json.dumps(nbformat.writes(nb)), "no machine paths stored"


def test_01_current_check_runs_and_writes_only_under_outputs(kernel):
    layers = folder_hash(DEMO)
    stored = (NOTEBOOKS / "01_current_check.ipynb").read_bytes()
    nb = run_notebook("01_current_check.ipynb", kernel)
    out = OUTPUTS / "01_current_check" / "run"
    for name in (
        "communities.geojson",
        "planning_conditions.csv",
        "report.xlsx",
        "map.html",
        "scenario.yaml",
    ):
        assert (out / name).exists(), name
    text = json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
    assert "达标社区" in text and "P01" in text
    assert folder_hash(DEMO) == layers
    assert (NOTEBOOKS / "01_current_check.ipynb").read_bytes() == stored


def test_02_scenario_2035_runs_and_compares_two_plans(kernel):
    layers = folder_hash(DEMO)
    nb = run_notebook("02_scenario_2035.ipynb", kernel)
    out = OUTPUTS / "02_scenario_2035"
    for name in (
        "compare.xlsx",
        "dual_map.html",
        "plan_a.yaml",
        "plan_a/report.xlsx",
        "plan_a/planning_conditions.csv",
    ):
        assert (out / name).exists(), name
    text = json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
    assert "方案A 新建补缺" in text and "方案B 合并扩建" in text
    assert folder_hash(DEMO) == layers
