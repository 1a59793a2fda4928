"""Scenario files (YAML): reading, checking and writing them.

A scenario file holds the content of :meth:`gis_planner.scenario.Scenario.to_dict`::

    name: 2035 方案A
    base: ../layers/deqing_demo        # optional; relative to this file
    year: 2035                         # optional plan year
    rules:                             # optional overrides of the rules file
      premises: {standards: {new: {per_100_households_m2: 85}}}
    edits:
      - add_parcel: {parcel_id: P09, xy: [497500, 3379500], planned_households: 600,
                     delivery_year: 2030}
      - add_premises: {premises_id: YF101, community_id: "330521001011",
                       function: party_service_centre, floor_area_m2: 2200}
      - move_estate: {estate_id: E0123, to_community_id: "330521001013"}
      - merge_communities: {community_ids: ["330521001012", "330521001013"],
                            allow_apart: true}
      - set_rule: {key: settings.data_year, value: 2026}

Each edit is a one-key mapping: the method name and its keyword arguments. Coordinates
(``xy``, ``geometry`` as WKT, ``line``) are in the working CRS EPSG:4549 (metres);
``lonlat`` / ``line_lonlat`` take WGS84 longitude/latitude. An unknown key, edit or
argument is an error that lists the valid ones. :func:`check_spec` finds every problem of
the file's shape at once; :meth:`~gis_planner.scenario.Scenario.from_dict` then applies
every edit and reports every edit that cannot be applied, also at once.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from gis_planner.errors import Problem
from gis_planner.i18n import msg
from gis_planner.io.fields import LATEST_PLAN_YEAR
from gis_planner.rules import YamlInputError, read_yaml
from gis_planner.scenario.checks import ScenarioError

#: The top-level keys of a scenario file.
FILE_KEYS = ("name", "description", "base", "year", "rules", "edits")

#: What the checks need of the edits: the edit's name → the method (its signature).
Edits = Mapping[str, Callable[..., Any]]


def read_spec(path: str | Path) -> dict[str, Any]:
    """The content of a scenario file, read with YAML's bounds (no alias bomb, no FIFO, size
    capped: :func:`gis_planner.rules.read_yaml`).

    Raises :class:`ScenarioError` (``scn_file_missing``, ``scn_file_bad``) when the file is
    missing, not YAML, or not a mapping.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(msg("scn_file_missing", path=path))
    try:
        spec = read_yaml(path) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        # the bounded reader's refusals are messages (worded in the language shown)
        error = err.message if isinstance(err, YamlInputError) else err
        raise ScenarioError(msg("scn_file_bad", path=path, error=error)) from err
    if not isinstance(spec, Mapping):
        raise ScenarioError(msg("scn_file_bad", path=path, error=msg("scn_top_mapping")))
    return dict(spec)


def edit_params(method: Callable[..., Any]) -> list[str]:
    """The arguments of an edit (its method's parameters but ``self``)."""
    return [p for p in inspect.signature(method).parameters if p != "self"]


def required_params(method: Callable[..., Any]) -> list[str]:
    """The arguments an edit cannot do without."""
    return [
        n
        for n, p in inspect.signature(method).parameters.items()
        if n != "self" and p.default is inspect.Parameter.empty
    ]


def check_edit(
    edit: Any, edits: Edits, *, where: str = "edits", source: str = "scenario"
) -> list[Problem]:
    """Every problem of one edit's shape: not a one-key mapping, an unknown edit, unknown or
    missing arguments (each listing the valid ones)."""
    valid = ", ".join(edits)
    if not isinstance(edit, Mapping) or len(edit) != 1:
        return [Problem(source, msg("scn_edit_shape", where=where, edit=edit, valid=valid))]
    ((kind, args),) = edit.items()
    if kind not in edits:
        return [Problem(source, msg("scn_unknown_edit", where=where, edit=kind, valid=valid))]
    params = edit_params(edits[kind])
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        return [
            Problem(
                source,
                msg("scn_edit_args_mapping", where=where, edit=kind, valid=", ".join(params)),
            )
        ]
    problems = []
    unknown = [str(a) for a in args if a not in params]
    if unknown:
        text = msg(
            "scn_unknown_args",
            edit=f"{where}: {kind}",
            args=", ".join(unknown),
            valid=", ".join(params),
        )
        problems.append(Problem(source, text))
    missing = [a for a in required_params(edits[kind]) if a not in args]
    if missing:
        text = msg("scn_missing_args", edit=f"{where}: {kind}", args=", ".join(missing))
        problems.append(Problem(source, text))
    return problems


def check_spec(spec: Mapping[str, Any], edits: Edits, *, source: str = "scenario") -> list[Problem]:
    """Every problem of a scenario file's shape: unknown keys, a year that is not a whole
    number or lies past the layers' last plan year (``LATEST_PLAN_YEAR``), rules that are
    not a mapping, and every edit's (:func:`check_edit`).

    >>> from gis_planner.scenario import Scenario
    >>> edits = {"move_estate": Scenario.move_estate}
    >>> spec = {"yaer": 2035, "year": 2300, "edits": [{"move_estate": {"estate": "E1"}}]}
    >>> [p.code for p in check_spec(spec, edits)]
    ['scn_unknown_key', 'scn_year_too_late', 'scn_unknown_args', 'scn_missing_args']
    >>> for part in check_spec(spec, edits)[2].text("en").split("; "):
    ...     print(part)
    scenario: edits[1]: move_estate: unknown arguments estate
    valid arguments: estate_id, to_community_id
    """
    problems = [
        Problem(source, msg("scn_unknown_key", key=key, valid=", ".join(FILE_KEYS)))
        for key in spec
        if key not in FILE_KEYS
    ]
    year = spec.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        problems.append(Problem(source, msg("scn_year_not_int", year=year)))
    elif year is not None and year > LATEST_PLAN_YEAR:
        problems.append(
            Problem(source, msg("scn_year_too_late", year=year, latest=LATEST_PLAN_YEAR))
        )
    if spec.get("rules") is not None and not isinstance(spec["rules"], Mapping):
        problems.append(Problem(source, msg("scn_rules_mapping")))
    listed = spec.get("edits") or []
    if not isinstance(listed, list):
        problems.append(Problem(source, msg("scn_edits_list", valid=", ".join(edits))))
        return problems
    for i, edit in enumerate(listed, start=1):
        problems.extend(check_edit(edit, edits, where=f"edits[{i}]", source=source))
    return problems


def dump_spec(spec: Mapping[str, Any]) -> str:
    """A scenario file's content as YAML text (UTF-8, Chinese kept readable)."""
    return yaml.safe_dump(
        dict(spec), allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
    )


def relpath(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` when they share a folder below the root, else
    ``ValueError`` (the caller then writes the absolute path)."""
    target, origin = Path(path).resolve(), Path(start).resolve()
    common = Path(os.path.commonpath([target, origin]))
    if common == Path(common.anchor):
        raise ValueError(f"{target} and {origin} share no folder")
    return os.path.relpath(target, origin)
