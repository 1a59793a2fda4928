"""Edits checked like input: values against the layers' schema and plausibility limits,
merges and moves against the geometry of the communities.

Every check returns :class:`~gis_planner.errors.Problem` with messages (codes), never words;
:class:`ScenarioError` carries them to whoever shows them (``err.text(lang)``).

Which edits are refused and which are warned — as a county planner would expect:

- a value a layer would refuse (a negative or implausible household count, a delivery year
  outside 1900–2100, an unknown function …) is **refused** with the layers' own message and
  limit (the rules file's ``plausibility`` section, :mod:`gis_planner.io.fields`);
- merging communities that do not touch — the merged community would be separate areas
  (e.g. 千亩 and 千秋 of the demo, 2,483 m apart) — is **refused**, with the distance; a
  deliberate enclave (飞地) is merged with ``allow_apart=True`` and then **warned**;
- merging communities that touch only at a corner (a shared boundary shorter than
  :data:`CORNER_CONTACT_MAX_M`) is **warned**;
- moving an estate into a community it does not touch is **warned**, with the distance.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from gis_planner.errors import PlannerError, Problem, ProblemList, Text, format_rows, wording
from gis_planner.i18n import msg
from gis_planner.io import schema
from gis_planner.io.fields import coerce
from gis_planner.rules import RuleSet

#: How many existing ids a message lists.
LIST_LIMIT = 25
#: Two polygons closer than this (metres) touch: digitised neighbours rarely share their
#: vertices exactly, and a gap or overlap below survey accuracy is no gap.
ADJACENCY_TOLERANCE_M = 1.0
#: Communities whose shared boundary is shorter than this (metres, within
#: :data:`ADJACENCY_TOLERANCE_M`) touch only at a corner: no street or path crosses from one
#: to the other, so a merge of them is warned.
CORNER_CONTACT_MAX_M = 20.0


class ScenarioError(PlannerError):
    """An edit or a scenario file that cannot be applied.

    ``message`` says what is wrong (for one problem) or heads the list; ``problems`` lists
    every problem found (:class:`~gis_planner.errors.Problem`, messages with codes);
    ``text(lang)`` words them all.
    """

    def __init__(self, message: Text | None = None, *, problems: Iterable[Problem] = ()):
        self.problems = list(problems)
        super().__init__(message if message is not None else "")

    @property
    def codes(self) -> list[str | None]:
        """The code of every problem (or of the message when there are none)."""
        return [p.code for p in self.problems] if self.problems else [self.code]

    def text(self, lang: str = "zh") -> str:
        lines = [wording(self.message, lang)] if self.message else []
        bullet = "- " if self.message else ""
        lines += [bullet + p.text(lang) for p in self.problems]
        return "\n".join(lines)


def ids_text(existing: Iterable[object], wanted: object = None) -> str:
    """``E0001, E0002, … (+343)`` plus the closest ids to ``wanted``.

    >>> ids_text(["E0001", "E0002", "F9"], "E0003")
    'E0001, E0002, F9 (≈ E0002, E0001)'
    """
    ids = [str(i) for i in existing]
    text = format_rows(ids, limit=LIST_LIMIT) or "—"
    if wanted is not None:
        close = difflib.get_close_matches(str(wanted), ids, n=3, cutoff=0.6)
        if close:
            text += f" (≈ {', '.join(close)})"
    return text


# --------------------------------------------------------------------------- values


def check_values(
    spec: schema.LayerSpec, values: Mapping[str, Any], *, rules: RuleSet
) -> tuple[dict[str, Any], list[Problem]]:
    """The ``values`` of one new or changed feature of layer ``spec`` read as the layers
    are read (:func:`gis_planner.io.fields.coerce`): kinds, enumerations (Chinese values
    accepted), ranges, years and the rules' ``plausibility`` limits.

    Returns the values as read (``None`` left out) and the problems, each named by the
    layer and the feature's id.
    """
    given = {
        f.name: values[f.name]
        for f in spec.fields
        if f.name in values and (values[f.name] is not None or f.required)
    }
    fields = tuple(f for f in spec.fields if f.name in given)
    frame = gpd.GeoDataFrame(pd.DataFrame([{f.name: given[f.name] for f in fields}]))
    rows = pd.Series([str(given.get(spec.id_field or "", "#1"))], index=frame.index)
    problems = ProblemList()
    plausibility = rules.plausibility.to_dict() if "plausibility" in rules else {}
    read = coerce(
        frame,
        dataclasses.replace(spec, fields=fields),
        rows,
        spec.name,
        problems,
        earliest_year=int(rules.enclosure.earliest_plausible_year),
        plausibility=plausibility,
    )
    out = {f.name: _plain(read[f.name].iloc[0]) for f in fields}
    return out, problems.errors


def _plain(value: Any) -> Any:
    """A pandas scalar as a Python one (missing: None)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


# --------------------------------------------------------------------------- geometry


def _contacts(
    geoms: Sequence[BaseGeometry],
) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], float]]:
    """Distance (m) and shared boundary length (m) of every pair of ``geoms``."""
    distance: dict[tuple[int, int], float] = {}
    shared: dict[tuple[int, int], float] = {}
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            distance[(i, j)] = float(shapely.distance(geoms[i], geoms[j]))
            near = shapely.buffer(geoms[j], ADJACENCY_TOLERANCE_M)
            shared[(i, j)] = float(shapely.length(shapely.intersection(geoms[i].boundary, near)))
    return distance, shared


def _components(n: int, edges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Connected components of the graph of ``n`` nodes and ``edges``, in node order."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in edges:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def check_merge(
    communities: gpd.GeoDataFrame, ids: Sequence[str], *, allow_apart: bool = False
) -> tuple[list[Problem], list[Problem]]:
    """Errors and warnings of merging communities ``ids`` (R7 一(一): a community is one
    territory).

    Communities are *adjacent* when closer than :data:`ADJACENCY_TOLERANCE_M`. When the
    merged ones do not form one connected group, each group is named with its distance to
    the nearest other (``scn_merge_apart``): an error, or a warning with ``allow_apart``.
    When they are connected only through contacts shorter than :data:`CORNER_CONTACT_MAX_M`,
    the corner contacts are warned (``scn_merge_corner``).
    """
    table = communities.set_index(communities["community_id"].astype(str))
    geoms = [table.geometry[c] for c in ids]
    distance, shared = _contacts(geoms)
    tol = ADJACENCY_TOLERANCE_M
    touching = [p for p, d in distance.items() if d <= tol]
    groups = _components(len(ids), touching)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    if len(groups) > 1:
        message = msg(
            "scn_merge_apart",
            ids=", ".join(ids),
            n=len(groups),
            groups="; ".join("+".join(ids[i] for i in g) for g in groups),
            distance_m=round(min(distance[p] for p in distance if p not in touching), 1),
        )
        (warnings if allow_apart else errors).append(Problem("communities", message))
        return errors, warnings
    strong = [p for p in touching if shared[p] >= CORNER_CONTACT_MAX_M]
    if len(_components(len(ids), strong)) > 1:
        corners = [p for p in touching if shared[p] < CORNER_CONTACT_MAX_M]
        pairs = ", ".join(f"{ids[i]}/{ids[j]} ({shared[(i, j)]:,.1f} m)" for i, j in corners)
        warnings.append(
            Problem(
                "communities",
                msg("scn_merge_corner", pairs=pairs, limit=CORNER_CONTACT_MAX_M),
            )
        )
    return errors, warnings


def check_move(
    communities: gpd.GeoDataFrame, estate: BaseGeometry, estate_id: str, community_id: str
) -> list[Problem]:
    """A warning when the estate does not touch the community it is moved to (farther than
    :data:`ADJACENCY_TOLERANCE_M`), with the distance."""
    table = communities.set_index(communities["community_id"].astype(str))
    gap = float(shapely.distance(estate, table.geometry[community_id]))
    if gap <= ADJACENCY_TOLERANCE_M:
        return []
    return [
        Problem(
            "estates",
            msg(
                "scn_move_apart",
                estate=estate_id,
                community=community_id,
                distance_m=round(gap, 1),
            ),
        )
    ]
