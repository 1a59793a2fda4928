"""environment.yml stays in step with pyproject.toml (same packages, same lower bounds)."""

from __future__ import annotations

import re
import tomllib

import yaml

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
    wanted = _pins(project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = _pins([d for d in env["dependencies"] if isinstance(d, str)])
    assert wanted == {k: v for k, v in conda.items() if k in wanted}
    assert set(wanted) <= set(conda)
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert any(line.startswith("-e .") for line in pip_section)
