"""What-if scenarios for the 2017–2035 layout plan revision (R7 一(一), R1/R2 一(二)): the
edit engine.

A :class:`Scenario` wraps the validated layers of a planning area (a
:class:`~gis_planner.io.layers.PlanningData`) and the rules. Every edit — a development parcel,
premises built, resized or given up, an estate moved to the neighbouring community,
communities merged or split, a rule changed — returns a *new* scenario with new input layers
and one more line in its edit log; nothing is ever written back to the layers folder, and no
result is ever patched: an edit changes the *inputs* (a layer, the rules, or the estates'
assignments :attr:`~gis_planner.io.layers.PlanningData.estate_assignments`) and
:meth:`Scenario.evaluate` runs :func:`gis_planner.pipeline.run` on them.

Edits are checked like input (:mod:`gis_planner.scenario.checks`): every problem is a
:class:`~gis_planner.errors.Problem` with a message (a code), raised as a
:class:`ScenarioError` and worded only when shown (``err.text("en")``); warnings of the edits
go into the run's warnings. Scenario files: :mod:`gis_planner.scenario.fileformat`;
comparisons and the dual map: :mod:`gis_planner.scenario.compare`.

Examples
--------
>>> from gis_planner.datasets import get_path
>>> base = Scenario.load(get_path("deqing_demo"), year=2035)
>>> plan = base.named("新丰社区新建用房").add_premises(
...     "YF101", community_id="330521001011", function="党群服务中心", floor_area_m2=2200)
>>> plan.edits[-1]["add_premises"]["function"]
'party_service_centre'
>>> plan.describe("en")[0][:60]
'add premises: premises_id=YF101, function=party_service_cent'
>>> try:
...     base.move_estate("E9999", "330521001011")
... except ScenarioError as err:
...     print(err.code, "|", err.text("en").split(";")[0])
scn_unknown_estate | estate 'E9999' does not exist
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gis_planner.crs import WORKING_CRS
from gis_planner.errors import PlannerError, Problem, RulesError
from gis_planner.i18n import Term, msg, tr
from gis_planner.io import schema
from gis_planner.io.fields import LATEST_PLAN_YEAR
from gis_planner.io.layers import PlanningData, load_layers
from gis_planner.pipeline import PlanYearError, check_plan_year, run
from gis_planner.results import Results
from gis_planner.rules import RuleSet
from gis_planner.scenario import fileformat
from gis_planner.scenario.checks import (
    ScenarioError,
    check_merge,
    check_move,
    check_values,
    ids_text,
)

__all__ = ["DEFAULT_NAME", "EDITS", "Scenario", "ScenarioError", "display_name"]

log = logging.getLogger(__name__)

#: The edits a scenario file may list (each one a method of :class:`Scenario`).
EDITS = (
    "add_parcel",
    "update_parcel",
    "remove_parcel",
    "add_premises",
    "remove_premises",
    "resize_premises",
    "move_estate",
    "merge_communities",
    "split_community",
    "set_rule",
    "with_rules",
)
#: Side of a square parcel placed by its centre (``xy``/``lonlat``), metres.
DEFAULT_PARCEL_SIZE_M = 100.0
#: A location farther than this from the communities is a coordinate mix-up (metres).
FAR_AWAY_M = 50_000.0
#: The name of a scenario of the layers as they are, with no name and no plan year. A name is
#: data (written into the scenario file and the report, like a community's name), so it is in
#: the county's language; :func:`display_name` shows it in another one.
DEFAULT_NAME = "现状"


def display_name(name: str, lang: str = "zh") -> str:
    """A scenario's name as shown in ``lang``: :data:`DEFAULT_NAME` worded
    (``scn_default_name``), any other name as it is.

    >>> display_name(DEFAULT_NAME, "en"), display_name("方案A", "en")
    ('current', '方案A')
    """
    return tr("scn_default_name", lang) if name == DEFAULT_NAME else name


# --------------------------------------------------------------------------- helpers


def _plain(value: Any) -> Any:
    """``value`` as YAML-friendly plain data (numpy scalars, tuples, geometries)."""
    if isinstance(value, BaseGeometry):
        return shapely.to_wkt(value, rounding_precision=3)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def _to_working(geom: BaseGeometry, crs: str, working: Any = WORKING_CRS) -> BaseGeometry:
    """``geom`` from ``crs`` into the layers' working CRS ``working``."""
    transformer = pyproj.Transformer.from_crs(crs, working, always_xy=True)
    return shapely.transform(
        geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def _nested(key: str, value: Any) -> dict[str, Any]:
    """``"a.b.c", 1`` → ``{"a": {"b": {"c": 1}}}``."""
    out: Any = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def _refuse(problems: list[Problem]) -> None:
    """Raise a :class:`ScenarioError` with ``problems`` (one: as its message)."""
    if len(problems) == 1:
        raise ScenarioError(problems[0].message)
    if problems:
        raise ScenarioError(problems=problems)


def _in_edit(where: str, kind: str, err: PlannerError, source: str) -> list[Problem]:
    """The problems of an edit of a scenario file that could not be applied, each named by
    the edit (``edits[3] add_parcel: …``)."""
    found: list[Any] = getattr(err, "problems", None) or [err.message]
    out = []
    for item in found:
        text = (
            msg("source_text", source=item.source, text=item.message)
            if isinstance(item, Problem)
            else item
        )
        out.append(Problem(source, msg("scn_in_edit", where=where, edit=kind, text=text)))
    return out


# --------------------------------------------------------------------------- the scenario


@dataclass(frozen=True, eq=False)
class Scenario:
    """A planning area with edits, immutable: every edit returns a new scenario.

    Attributes
    ----------
    data : PlanningData
        The layers (EPSG:4549), rules and estate assignments of this scenario — the inputs
        of :func:`gis_planner.pipeline.run`. Treat them as read-only: edits make new layers
        and leave every other scenario — and the files on disk — untouched. The warnings of
        the edits are among ``data.warnings``.
    name : str
        Shown in :func:`~gis_planner.scenario.compare`, on the maps and in the report.
    year : int or None
        Default plan year of :meth:`evaluate` (``None``: the current check).
    edits : tuple of dict
        The edit log, in scenario-file form (``{"add_parcel": {...}}``).
    base : Path or None
        The layers folder the scenario was loaded from.
    notes : tuple of Problem
        The warnings of the edits (also in ``data.warnings``).
    """

    data: PlanningData
    name: str = DEFAULT_NAME
    year: int | None = None
    edits: tuple[dict[str, Any], ...] = ()
    base: Path | None = None
    description: str | None = None
    notes: tuple[Problem, ...] = ()
    _cache: dict[int | None, Results] = field(default_factory=dict, compare=False, repr=False)

    # ---------------------------------------------------------------- loading, saving

    @classmethod
    def load(
        cls,
        folder: str | Path,
        *,
        rules: RuleSet | str | Path | None = None,
        name: str | None = None,
        year: int | None = None,
    ) -> Scenario:
        """Load a layers folder (:func:`gis_planner.io.layers.load_layers`) as a scenario.

        Parameters
        ----------
        folder : path
            The layers folder (DESIGN.md). It is only read.
        rules : RuleSet or path, optional
            Rules, or a rules file overriding the default; else the folder's own.
        name : str, optional
            Default: :data:`DEFAULT_NAME` (现状), or ``"<year>"`` with a year.
        year : int, optional
            Default plan year of :meth:`evaluate`; checked against the data year.
        """
        data = load_layers(folder, rules=rules)
        if year is not None:
            check_plan_year(year, rules=data.rules)
        if name is None:
            name = DEFAULT_NAME if year is None else str(year)
        return cls(data=data, name=name, year=year, base=Path(folder))

    @classmethod
    def from_dict(
        cls,
        spec: Mapping[str, Any],
        *,
        base: str | Path | None = None,
        rules: RuleSet | str | Path | None = None,
        year: int | None = None,
        source: str = "scenario",
        relative_to: Path | None = None,
    ) -> Scenario:
        """A scenario from the content of a scenario file (:mod:`.fileformat`).

        ``base``/``year`` given here win over the file's (a warning notes a different base).
        Every problem of the file is reported at once: its shape
        (:func:`~gis_planner.scenario.fileformat.check_spec`), then every edit that cannot be
        applied (the others are applied, so that their problems show too) and a plan year
        before the data year.

        Raises
        ------
        ScenarioError
            With every problem (``err.problems``).
        """
        edits = _edit_methods()
        problems = fileformat.check_spec(spec, edits, source=source)
        folder, notes = _base_folder(spec, base, source, relative_to)
        listed: list[Any] = spec["edits"] if isinstance(spec.get("edits"), list) else []
        scenario = cls.load(folder, rules=rules, name=str(spec.get("name") or source))
        scenario = dataclasses.replace(scenario, description=spec.get("description"), _cache={})
        scenario = scenario._noted(notes)
        steps: list[tuple[str, Any]] = []
        if isinstance(spec.get("rules"), Mapping) and spec["rules"]:
            steps.append(("rules", {"with_rules": {"overrides": spec["rules"]}}))
        for i, edit in enumerate(listed, start=1):
            if not fileformat.check_edit(edit, edits):
                steps.append((f"edits[{i}]", edit))
        for where, edit in steps:
            ((kind, args),) = edit.items()
            try:
                scenario = getattr(scenario, kind)(**dict(args or {}))
            except (ScenarioError, RulesError) as err:
                problems.extend(_in_edit(where, kind, err, source))
        plan_year = year if year is not None else spec.get("year")
        if problems:
            if isinstance(plan_year, int) and not isinstance(plan_year, bool):
                try:
                    check_plan_year(plan_year, rules=scenario.data.rules)
                except PlanYearError as err:
                    problems.append(Problem(source, err.message))
            header = msg("scn_file_problems", source=source, n=len(problems))
            raise ScenarioError(header, problems=problems)
        if plan_year is not None:
            scenario = scenario.in_year(int(plan_year))
        return scenario

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        base: str | Path | None = None,
        rules: RuleSet | str | Path | None = None,
        year: int | None = None,
    ) -> Scenario:
        """Read a scenario file (YAML, :mod:`.fileformat`) and apply its edits.

        Parameters
        ----------
        path : path
            The scenario file. Its ``base`` is relative to the file's folder.
        base : path, optional
            The layers folder; wins over the file's ``base`` (required when it has none).
        rules : RuleSet or path, optional
            Rules file under the file's ``rules`` overrides.
        year : int, optional
            Plan year; wins over the file's ``year``.

        Raises
        ------
        ScenarioError
            Every problem of the file at once: unknown keys, edits or arguments (with the
            valid ones), ids that do not exist, values a layer would refuse, edits the
            geometry refuses; a plan year before the data year.
        """
        path = Path(path)
        spec = fileformat.read_spec(path)
        return cls.from_dict(
            spec, base=base, rules=rules, year=year, source=path.name, relative_to=path.parent
        )

    def to_dict(self) -> dict[str, Any]:
        """The scenario as the content of a scenario file (reproduces it with ``base``)."""
        spec: dict[str, Any] = {"name": self.name}
        if self.description:
            spec["description"] = self.description
        if self.base is not None:
            spec["base"] = str(self.base)
        if self.year is not None:
            spec["year"] = int(self.year)
        spec["edits"] = [copy.deepcopy(e) for e in self.edits]
        return spec

    def to_yaml(self, *, relative_to: str | Path | None = None) -> str:
        """:meth:`to_dict` as YAML text (UTF-8, Chinese kept readable).

        ``relative_to``: the folder the file will be written to; ``base`` is then written
        relative to it, as :meth:`from_file` reads it.
        """
        spec = self.to_dict()
        if self.base is not None and relative_to is not None:
            try:
                spec["base"] = fileformat.relpath(self.base, Path(relative_to))
            except ValueError:  # another drive
                spec["base"] = str(self.base.resolve())
        return fileformat.dump_spec(spec)

    def to_file(self, path: str | Path) -> Path:
        """Write the scenario file (``base`` relative to the file's folder)."""
        path = Path(path)
        path.write_text(self.to_yaml(relative_to=path.parent), encoding="utf-8")
        return path

    # ---------------------------------------------------------------- naming, year

    def named(self, name: str) -> Scenario:
        """The same scenario under another name (for :func:`compare` and the maps)."""
        return dataclasses.replace(self, name=str(name), _cache={})

    def in_year(self, year: int | None) -> Scenario:
        """The same scenario evaluated by default for plan ``year`` (None: current check):
        not before the data year, not past the layers' last plan year."""
        if year is not None:
            check_plan_year(year, rules=self.data.rules)
            if year > LATEST_PLAN_YEAR:
                raise ScenarioError(msg("scn_year_too_late", year=year, latest=LATEST_PLAN_YEAR))
        return dataclasses.replace(self, year=year, _cache={})

    # ---------------------------------------------------------------- ids

    @property
    def community_ids(self) -> list[str]:
        return self.data.communities["community_id"].astype(str).tolist()

    @property
    def estate_ids(self) -> list[str]:
        e = self.data.estates
        return [] if e is None else e["estate_id"].astype(str).tolist()

    @property
    def premises_ids(self) -> list[str]:
        p = self.data.premises
        return [] if p is None else p["premises_id"].astype(str).tolist()

    @property
    def parcel_ids(self) -> list[str]:
        p = self.data.development_parcels
        return [] if p is None else p["parcel_id"].astype(str).tolist()

    def _need(self, kind: str, value: object, existing: list[str]) -> str:
        if str(value) not in existing:
            raise ScenarioError(
                msg(f"scn_unknown_{kind}", id=value, n=len(existing), ids=ids_text(existing, value))
            )
        return str(value)

    def _new_id(self, kind: str, value: object, existing: list[str]) -> str:
        what = Term(f"{kind}_id", kind="field")
        if value is None or str(value).strip() == "":
            raise ScenarioError(msg("scn_id_required", kind=what))
        if str(value) in existing:
            raise ScenarioError(msg("scn_id_taken", id=value, kind=what, ids=ids_text(existing)))
        return str(value)

    # ---------------------------------------------------------------- the edit machinery

    def _noted(self, notes: Iterable[Problem]) -> Scenario:
        """This scenario with more warnings (in :attr:`notes` and the layers' warnings)."""
        notes = list(notes)
        if not notes:
            return self
        data = dataclasses.replace(self.data, warnings=[*self.data.warnings, *notes])
        return dataclasses.replace(self, data=data, notes=(*self.notes, *notes), _cache={})

    def _with(
        self, edit: dict[str, Any], *, notes: Iterable[Problem] = (), **inputs: Any
    ) -> Scenario:
        """A new scenario with new ``inputs`` (layers, rules, assignments — fields of
        :class:`PlanningData`), ``edit`` logged and ``notes`` warned."""
        data = dataclasses.replace(self.data, **inputs)
        record = {
            k: _plain({a: v for a, v in args.items() if v is not None}) for k, args in edit.items()
        }
        log.info("Scenario %s: %s", self.name, record)
        changed = dataclasses.replace(self, data=data, edits=(*self.edits, record), _cache={})
        return changed._noted(notes)

    def apply(self, edit: Mapping[str, Any]) -> Scenario:
        """Apply one edit in scenario-file form, e.g. ``{"move_estate": {...}}``."""
        _refuse(fileformat.check_edit(edit, _edit_methods()))
        ((kind, args),) = edit.items()
        return getattr(self, kind)(**dict(args or {}))

    def _location(
        self,
        geometry: Any,
        xy: Sequence[float] | None,
        lonlat: Sequence[float] | None,
        *,
        what: str,
        polygon_size_m: float | None,
    ) -> BaseGeometry | None:
        given = [g for g in (geometry, xy, lonlat) if g is not None]
        if len(given) > 1:
            raise ScenarioError(msg("scn_one_location", what=what))
        if not given:
            return None
        if geometry is not None:
            geom = shapely.from_wkt(geometry) if isinstance(geometry, str) else geometry
            if not isinstance(geom, BaseGeometry) or geom.is_empty:
                raise ScenarioError(msg("scn_bad_geometry", what=what, value=geometry))
        else:
            point = xy if xy is not None else lonlat
            try:
                x, y = (float(v) for v in point)  # type: ignore[union-attr]
            except (TypeError, ValueError):
                raise ScenarioError(msg("scn_bad_geometry", what=what, value=point)) from None
            geom = shapely.Point(x, y)
            if lonlat is not None:
                geom = _to_working(geom, "EPSG:4326", self.data.communities.crs)
            if polygon_size_m is not None:
                half = float(polygon_size_m) / 2.0
                geom = shapely.box(geom.x - half, geom.y - half, geom.x + half, geom.y + half)
        far = shapely.distance(geom, shapely.box(*self.data.communities.total_bounds))
        if far > FAR_AWAY_M:
            raise ScenarioError(msg("scn_far_away", what=what, km=far / 1000))
        return geom

    def _checked(self, spec: schema.LayerSpec, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` read as layer ``spec`` reads them; every problem refused at once."""
        read, problems = check_values(spec, values, rules=self.data.rules)
        _refuse(problems)
        return read

    # ---------------------------------------------------------------- development parcels

    def add_parcel(
        self,
        parcel_id: str,
        *,
        planned_households: int | None = None,
        residential_floor_area_m2: float | None = None,
        delivery_year: int | None = None,
        name: str | None = None,
        geometry: BaseGeometry | str | None = None,
        xy: Sequence[float] | None = None,
        lonlat: Sequence[float] | None = None,
        size_m: float | None = None,
    ) -> Scenario:
        """Add a development parcel (出让地块) — it adds households from ``delivery_year`` on
        and gets an R2 planning condition.

        Parameters
        ----------
        parcel_id : str
            New, unique.
        planned_households : int, optional
            Or ``residential_floor_area_m2`` (÷ ``rules.planning_conditions.
            average_dwelling_floor_area_m2``); both within the rules' ``plausibility``.
        delivery_year : int, optional
            The plan years from which its households count (none: never, with a warning).
        geometry : Polygon or WKT, optional
            In EPSG:4549. Or ``xy`` (EPSG:4549 metres) / ``lonlat`` (WGS84) of its centre:
            a square of ``size_m`` (default 100 m) side. Its community is the one holding
            most of its area.
        """
        pid = self._new_id("parcel", parcel_id, self.parcel_ids)
        self._households_or_area(planned_households, residential_floor_area_m2, required=True)
        self._checked(
            schema.DEVELOPMENT_PARCELS,
            {
                "parcel_id": pid,
                "planned_households": planned_households,
                "residential_floor_area_m2": residential_floor_area_m2,
                "delivery_year": delivery_year,
            },
        )
        geom = self._location(
            geometry, xy, lonlat, what=pid, polygon_size_m=size_m or DEFAULT_PARCEL_SIZE_M
        )
        if geom is None:
            raise ScenarioError(msg("scn_location_needed", what=pid))
        if geom.geom_type not in schema.POLYGONAL:
            raise ScenarioError(msg("scn_bad_geometry", what=pid, value=geom.geom_type))
        row = {
            "parcel_id": pid,
            "name": name or pid,
            "planned_households": planned_households,
            "residential_floor_area_m2": residential_floor_area_m2,
            "delivery_year": delivery_year,
        }
        parcels = self._append(self.data.development_parcels, row, geom)
        record = {
            **row,
            "name": name,
            "geometry": geometry,
            "xy": xy,
            "lonlat": lonlat,
            "size_m": size_m,
        }
        return self._with(
            {"add_parcel": record},
            notes=self._outside_note(geom, pid),
            development_parcels=parcels,
        )

    def update_parcel(
        self,
        parcel_id: str,
        *,
        planned_households: int | None = None,
        residential_floor_area_m2: float | None = None,
        delivery_year: int | None = None,
        name: str | None = None,
    ) -> Scenario:
        """Change a parcel's households (or floor area), delivery year or name.

        Setting ``planned_households`` replaces a floor area, and the other way round.
        """
        pid = self._need("parcel", parcel_id, self.parcel_ids)
        changes = {
            "planned_households": planned_households,
            "residential_floor_area_m2": residential_floor_area_m2,
            "delivery_year": delivery_year,
            "name": name,
        }
        if all(v is None for v in changes.values()):
            raise ScenarioError(msg("scn_nothing_to_change", what=pid, fields=", ".join(changes)))
        self._households_or_area(planned_households, residential_floor_area_m2, required=False)
        self._checked(schema.DEVELOPMENT_PARCELS, {"parcel_id": pid, **changes})
        assert self.data.development_parcels is not None  # _need found the parcel
        parcels = self.data.development_parcels.copy()
        at = parcels.index[parcels["parcel_id"].astype(str) == pid][0]
        for column in ("planned_households", "residential_floor_area_m2"):
            if column not in parcels:
                parcels[column] = np.nan
        if planned_households is not None:
            parcels["planned_households"] = parcels["planned_households"].astype(float)
            parcels.loc[at, "planned_households"] = float(planned_households)
            parcels.loc[at, "residential_floor_area_m2"] = np.nan
        if residential_floor_area_m2 is not None:
            parcels["residential_floor_area_m2"] = parcels["residential_floor_area_m2"].astype(
                float
            )
            parcels.loc[at, "residential_floor_area_m2"] = float(residential_floor_area_m2)
            if planned_households is None:
                parcels.loc[at, "planned_households"] = np.nan
        if delivery_year is not None:
            if "delivery_year" not in parcels:
                parcels["delivery_year"] = pd.NA
            parcels["delivery_year"] = pd.to_numeric(
                parcels["delivery_year"], errors="coerce"
            ).astype("Int64")
            parcels.loc[at, "delivery_year"] = int(delivery_year)
        if name is not None:
            parcels["name"] = parcels["name"].astype(object)
            parcels.loc[at, "name"] = name
        return self._with(
            {"update_parcel": {"parcel_id": pid, **changes}}, development_parcels=parcels
        )

    def remove_parcel(self, parcel_id: str) -> Scenario:
        """Take a development parcel out (e.g. the land is not put up for sale)."""
        pid = self._need("parcel", parcel_id, self.parcel_ids)
        return self._without("development_parcels", "parcel_id", pid, edit="remove_parcel")

    def _without(self, layer: str, id_field: str, value: str, *, edit: str) -> Scenario:
        """This scenario without the feature ``id_field == value`` of ``layer``."""
        frame = getattr(self.data, layer)
        assert frame is not None
        frame = frame[frame[id_field].astype(str) != value].reset_index(drop=True)
        inputs: dict[str, Any] = {layer: frame if len(frame) else None}
        return self._with({edit: {id_field: value}}, **inputs)

    @staticmethod
    def _households_or_area(households: Any, floor_area: Any, *, required: bool) -> None:
        """A parcel's households come from a count or a floor area: one of them."""
        if households is not None and floor_area is not None:
            raise ScenarioError(msg("scn_households_or_area"))
        if required and households is None and floor_area is None:
            raise ScenarioError(msg("scn_households_needed"))

    def _append(
        self, frame: gpd.GeoDataFrame | None, row: dict[str, Any], geom: BaseGeometry
    ) -> gpd.GeoDataFrame:
        new = gpd.GeoDataFrame([row], geometry=[geom], crs=self.data.communities.crs)
        if frame is None or len(frame) == 0:
            return new
        geometry = frame.geometry.name
        new = new.rename_geometry(geometry) if geometry != "geometry" else new
        out = pd.concat([frame, new], ignore_index=True)
        return gpd.GeoDataFrame(out, geometry=geometry, crs=frame.crs)

    def _outside_note(self, geom: BaseGeometry, what: str) -> list[Problem]:
        if self.data.communities.intersects(geom).any():
            return []
        return [Problem("scenario", msg("scn_outside", what=what))]

    # ---------------------------------------------------------------- premises

    def add_premises(
        self,
        premises_id: str,
        *,
        function: str,
        floor_area_m2: float,
        tenure: str = "new_build",
        community_id: str | None = None,
        status: str = "planned",
        name: str | None = None,
        floor: int | None = None,
        cost_yuan: float | None = None,
        annual_rent_yuan: float | None = None,
        geometry: BaseGeometry | str | None = None,
        xy: Sequence[float] | None = None,
        lonlat: Sequence[float] | None = None,
    ) -> Scenario:
        """Add premises (社区用房), by default *planned* (counted in plan years only).

        Parameters
        ----------
        premises_id : str
            New, unique.
        function, tenure, status : str
            As in the premises layer; the Chinese values (党群服务中心, 新建, 规划 …) work too.
        floor_area_m2 : float
            > 0, within ``plausibility.max_floor_area_m2`` (as are the costs).
        community_id : str, optional
            The community it serves; else the one it lies in.
        geometry / xy / lonlat : optional
            Its location (EPSG:4549 geometry or WKT, EPSG:4549 ``xy``, or WGS84 ``lonlat``);
            without one, it is placed at a point inside ``community_id``.
        """
        pid = self._new_id("premises", premises_id, self.premises_ids)
        read = self._checked(
            schema.PREMISES,
            {
                "premises_id": pid,
                "function": function,
                "floor_area_m2": floor_area_m2,
                "tenure": tenure,
                "status": status,
                "floor": floor,
                "cost_yuan": cost_yuan,
                "annual_rent_yuan": annual_rent_yuan,
            },
        )
        cid = (
            self._need("community", community_id, self.community_ids)
            if community_id is not None
            else None
        )
        geom = self._location(geometry, xy, lonlat, what=pid, polygon_size_m=None)
        if geom is None:
            if cid is None:
                raise ScenarioError(msg("scn_premises_where", what=pid))
            c = self.data.communities
            geom = c.geometry[c["community_id"].astype(str) == cid].iloc[0].representative_point()
        if geom.geom_type not in (*schema.PUNCTUAL, *schema.POLYGONAL):
            raise ScenarioError(msg("scn_bad_geometry", what=pid, value=geom.geom_type))
        area = float(read["floor_area_m2"])
        row = {
            "premises_id": pid,
            "community_id": cid,
            "name": name or pid,
            "function": read["function"],
            "floor_area_m2": area,
            "floor": floor,
            "tenure": read["tenure"],
            "cost_yuan": cost_yuan,
            "annual_rent_yuan": annual_rent_yuan,
            "status": read["status"],
        }
        prem = self._append(self.data.premises, row, geom)
        for column in ("community_id", "name", "function", "tenure", "status"):
            prem[column] = prem[column].astype(object).where(prem[column].notna(), None)
        record = {
            "premises_id": pid,
            "function": read["function"],
            "floor_area_m2": area,
            "tenure": read["tenure"],
            "community_id": cid,
            "status": read["status"],
            "name": name,
            "floor": floor,
            "cost_yuan": cost_yuan,
            "annual_rent_yuan": annual_rent_yuan,
            "geometry": geometry,
            "xy": xy,
            "lonlat": lonlat,
        }
        notes = [] if cid is not None else self._outside_note(geom, pid)
        return self._with({"add_premises": record}, notes=notes, premises=prem)

    def remove_premises(self, premises_id: str) -> Scenario:
        """Give premises up (e.g. a lease that ends)."""
        pid = self._need("premises", premises_id, self.premises_ids)
        return self._without("premises", "premises_id", pid, edit="remove_premises")

    def resize_premises(self, premises_id: str, floor_area_m2: float) -> Scenario:
        """Change the floor area of premises (an extension, a partial handover)."""
        pid = self._need("premises", premises_id, self.premises_ids)
        read = self._checked(schema.PREMISES, {"premises_id": pid, "floor_area_m2": floor_area_m2})
        area = float(read["floor_area_m2"])
        assert self.data.premises is not None
        prem = self.data.premises.copy()
        prem["floor_area_m2"] = prem["floor_area_m2"].astype(float)
        prem.loc[prem["premises_id"].astype(str) == pid, "floor_area_m2"] = area
        return self._with(
            {"resize_premises": {"premises_id": pid, "floor_area_m2": area}}, premises=prem
        )

    # ---------------------------------------------------------------- estates, communities

    def move_estate(self, estate_id: str, to_community_id: str) -> Scenario:
        """Move a whole estate — all its households — to another community.

        A planning decision, and an input of the pipeline: the estate is given to the
        community in :attr:`~gis_planner.io.layers.PlanningData.estate_assignments`, and
        :func:`gis_planner.households.allocate_households` gives it wholly to that community
        instead of splitting it by area. Moving it into a community it does not touch is
        warned, with the distance (:func:`~gis_planner.scenario.checks.check_move`).
        """
        eid = self._need("estate", estate_id, self.estate_ids)
        cid = self._need("community", to_community_id, self.community_ids)
        estates = self.data.estates
        assert estates is not None
        geom = estates.geometry[estates["estate_id"].astype(str) == eid].iloc[0]
        notes = check_move(self.data.communities, geom, eid, cid)
        assignments = {**self.data.estate_assignments, eid: cid}
        return self._with(
            {"move_estate": {"estate_id": eid, "to_community_id": cid}},
            notes=notes,
            estate_assignments=assignments,
        )

    def merge_communities(
        self,
        community_ids: Sequence[str],
        *,
        new_id: str | None = None,
        name: str | None = None,
        allow_apart: bool = False,
    ) -> Scenario:
        """Merge two or more communities into one (their areas, estates and premises).

        Parameters
        ----------
        community_ids : list of str
            At least two existing communities that touch one another
            (:func:`~gis_planner.scenario.checks.check_merge`).
        new_id : str, optional
            The merged community's id (default: the first of ``community_ids``); it may not
            be the id of another community.
        name : str, optional
            Default: the first community's name.
        allow_apart : bool
            Merge communities that do not touch (an enclave, 飞地) — refused otherwise —
            with a warning giving the distance.

        The merged community keeps the first one's street and kind (a warning when the
        kinds differ), the sum of the populations when every one is known (else none: the
        household size applies), and the common premises standard override if they share
        one. Touching only at a corner is warned.
        """
        ids = [self._need("community", c, self.community_ids) for c in community_ids]
        if len(set(ids)) < 2:
            raise ScenarioError(msg("scn_merge_two", ids=ids_text(self.community_ids)))
        new = str(new_id) if new_id is not None else ids[0]
        others = [c for c in self.community_ids if c not in ids]
        if new in others:
            kind = Term("community_id", kind="field")
            raise ScenarioError(msg("scn_id_taken", id=new, kind=kind, ids=ids_text(others)))
        errors, notes = check_merge(self.data.communities, ids, allow_apart=bool(allow_apart))
        _refuse(errors)
        c = self.data.communities
        mine = c[c["community_id"].astype(str).isin(ids)]
        first = mine[mine["community_id"].astype(str) == ids[0]].iloc[0]
        row = first.copy()
        row["community_id"] = new
        row["name"] = name or first["name"]
        row[c.geometry.name] = shapely.union_all(mine.geometry.values)
        for column, combine in (
            ("population", "sum"),
            ("households", "sum"),
            ("standard", "same"),
            ("kind", "same"),
        ):
            if column not in c:
                continue
            values = mine[column]
            if combine == "sum":
                row[column] = pd.to_numeric(values).sum() if values.notna().all() else None
            elif values.nunique(dropna=False) > 1 and column == "kind":
                note = msg("scn_merge_kinds", kind=Term(first["kind"]), name=row["name"])
                notes.append(Problem("scenario", note))
            elif values.nunique(dropna=False) > 1:
                row[column] = None
        position = c.index[c["community_id"].astype(str) == ids[0]][0]
        keep = c[~c["community_id"].astype(str).isin(ids) | (c.index == position)].copy()
        for column in c.columns:
            if column != c.geometry.name and keep[column].dtype != object:
                keep[column] = keep[column].astype(object)
        keep.loc[position] = row
        communities = self._clean_communities(keep.reset_index(drop=True), c)
        record = {
            "community_ids": ids,
            "new_id": new_id,
            "name": name,
            "allow_apart": True if allow_apart else None,
        }
        return self._with(
            {"merge_communities": record},
            notes=notes,
            communities=communities,
            **self._remapped(dict.fromkeys(ids, new)),
        )

    def split_community(
        self,
        community_id: str,
        *,
        into: Sequence[Mapping[str, Any]],
        line: BaseGeometry | str | Sequence[Sequence[float]] | None = None,
        line_lonlat: Sequence[Sequence[float]] | None = None,
    ) -> Scenario:
        """Split a community in two or more, by groups of estates or by a line.

        Parameters
        ----------
        community_id : str
        into : list of mappings
            The new communities: ``{"community_id": …, "name": …}`` each (one of them may
            keep the old id). **By estates**: each also lists ``"estates": [ids]``; the
            community's area is divided between the groups (each point goes to the group
            of the nearest listed estate) and a listed estate cut by the new boundary goes
            wholly to its group (an estate assignment). **By a line**: exactly two entries —
            the first gets the part on the left of the line (walking from its first to its
            last point), the second the part on the right.
        line : LineString, WKT or list of [x, y], optional
            In EPSG:4549; or ``line_lonlat`` in WGS84. It must cross the community.

        Premises of the old community go to the part they lie in (else the nearest);
        population and the households field are dropped (unknown for the parts: households
        × household size applies).
        """
        old = self._need("community", community_id, self.community_ids)
        parts = [dict(p) for p in into]
        new_ids = self._split_ids(old, parts)
        c = self.data.communities
        at = c.index[c["community_id"].astype(str) == old][0]
        polygon = c.geometry[at]
        by_line = line is not None or line_lonlat is not None
        assigned: dict[str, str] = {}
        if by_line:
            if any("estates" in p for p in parts) or len(parts) != 2:
                raise ScenarioError(msg("scn_split_line_two"))
            cut = self._line(line, line_lonlat)
            pieces = self._split_by_line(polygon, cut, old)
        else:
            pieces, assigned = self._split_by_estates(polygon, old, parts)
        rows: list[pd.Series] = []
        for p, piece in zip(parts, pieces, strict=True):
            row = c.loc[at].copy()
            row["community_id"] = str(p["community_id"])
            row["name"] = p.get("name") or f"{c.loc[at, 'name']}{len(rows) + 1}"
            row[c.geometry.name] = piece
            for column in ("population", "households"):
                if column in c:
                    row[column] = None
            rows.append(row)
        before = c.loc[: at - 1] if at > 0 else c.iloc[0:0]
        after = c.loc[at + 1 :]
        new_rows = gpd.GeoDataFrame(rows, geometry=c.geometry.name, crs=c.crs)
        communities = pd.concat(
            [before.astype(object), new_rows.astype(object), after.astype(object)],
            ignore_index=True,
        )
        communities = self._clean_communities(
            gpd.GeoDataFrame(communities, geometry=c.geometry.name, crs=c.crs), c
        )
        inputs = self._split_remap(old, communities, new_ids, assigned)
        record: dict[str, Any] = {
            "community_id": old,
            "into": [{k: v for k, v in p.items() if v is not None} for p in parts],
        }
        if by_line:
            record["line"] = line
            record["line_lonlat"] = line_lonlat
        return self._with({"split_community": record}, communities=communities, **inputs)

    def _split_ids(self, old: str, parts: list[dict[str, Any]]) -> list[str]:
        """The new communities' ids of a split, checked (every problem at once)."""
        problems = []
        for p in parts:
            unknown = sorted(set(p) - {"community_id", "name", "estates"})
            if unknown:
                text = msg(
                    "scn_unknown_args",
                    edit="split_community.into",
                    args=", ".join(unknown),
                    valid="community_id, name, estates",
                )
                problems.append(Problem("scenario", text))
        new_ids = [str(p.get("community_id") or "") for p in parts]
        others = [c for c in self.community_ids if c != old]
        kind = Term("community_id", kind="field")
        for nid in new_ids:
            if not nid:
                problems.append(Problem("scenario", msg("scn_id_required", kind=kind)))
            elif nid in others:
                taken = msg("scn_id_taken", id=nid, kind=kind, ids=ids_text(others))
                problems.append(Problem("scenario", taken))
        if len(set(new_ids)) != len(new_ids) or len(parts) < 2:
            problems.append(Problem("scenario", msg("scn_split_parts")))
        _refuse(problems)
        return new_ids

    def _line(self, line: Any, line_lonlat: Any) -> BaseGeometry:
        if line is not None and line_lonlat is not None:
            raise ScenarioError(msg("scn_one_location", what="line"))
        value = line if line is not None else line_lonlat
        try:
            if isinstance(value, str):
                geom = shapely.from_wkt(value)
            elif isinstance(value, BaseGeometry):
                geom = value
            else:
                geom = shapely.LineString([tuple(map(float, xy)) for xy in value])
        except Exception:  # noqa: BLE001 - reported with the value
            raise ScenarioError(msg("scn_bad_geometry", what="line", value=value)) from None
        if geom.geom_type != "LineString" or geom.is_empty:
            raise ScenarioError(msg("scn_bad_geometry", what="line", value=geom.geom_type))
        return (
            _to_working(geom, "EPSG:4326", self.data.communities.crs)
            if line_lonlat is not None
            else geom
        )

    def _split_by_line(
        self, polygon: BaseGeometry, line: BaseGeometry, old: str
    ) -> list[BaseGeometry]:
        from shapely.ops import split

        pieces = list(split(polygon, line).geoms)
        sides: dict[int, list[BaseGeometry]] = {1: [], -1: []}
        for piece in pieces:
            point = piece.representative_point()
            d = line.project(point)
            a = line.interpolate(max(d - 0.5, 0.0))
            b = line.interpolate(min(d + 0.5, line.length))
            near = line.interpolate(d)
            cross = (b.x - a.x) * (point.y - near.y) - (b.y - a.y) * (point.x - near.x)
            sides[1 if cross > 0 else -1].append(piece)
        if not sides[1] or not sides[-1]:
            raise ScenarioError(msg("scn_split_line_misses", id=old))
        return [shapely.union_all(sides[1]), shapely.union_all(sides[-1])]

    def _split_groups(self, parts: list[dict[str, Any]]) -> dict[str, str]:
        """``estate_id`` → new community id of a split by estates."""
        if self.data.estates is None:
            raise ScenarioError(msg("scn_split_needs"))
        ids = self.estate_ids
        listed: dict[str, str] = {}
        for p in parts:
            group = p.get("estates") or []
            if not group:
                raise ScenarioError(msg("scn_split_needs"))
            for e in group:
                eid = self._need("estate", e, ids)
                if eid in listed:
                    raise ScenarioError(msg("scn_split_twice", id=eid))
                listed[eid] = str(p["community_id"])
        return listed

    def _split_by_estates(
        self, polygon: BaseGeometry, old: str, parts: list[dict[str, Any]]
    ) -> tuple[list[BaseGeometry], dict[str, str]]:
        listed = self._split_groups(parts)
        estates = self.data.estates
        assert estates is not None
        table = estates.set_index(estates["estate_id"].astype(str))
        inside = [e for e in listed if table.geometry[e].intersects(polygon)]
        outside = [e for e in listed if e not in inside]
        if outside:
            mine = [
                e for e, g in zip(table.index, table.geometry, strict=True) if g.intersects(polygon)
            ]
            raise ScenarioError(
                msg(
                    "scn_split_not_in",
                    ids=", ".join(outside),
                    community=old,
                    estates=ids_text(mine),
                )
            )
        seeds = [table.geometry[e].intersection(polygon).representative_point() for e in listed]
        groups = list(listed.values())
        cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=polygon)
        by_group: dict[str, list[BaseGeometry]] = {str(p["community_id"]): [] for p in parts}
        for cell in cells.geoms:
            hit = [i for i, s in enumerate(seeds) if cell.covers(s)]
            if hit:
                by_group[groups[hit[0]]].append(cell)
        pieces = [
            shapely.intersection(shapely.union_all(by_group[str(p["community_id"])]), polygon)
            for p in parts
        ]
        pieces = [shapely.make_valid(p) for p in pieces]
        assigned = {}
        for e, target in listed.items():
            geom = table.geometry[e]
            for p, piece in zip(parts, pieces, strict=True):
                if (
                    str(p["community_id"]) != target
                    and shapely.area(shapely.intersection(geom, piece)) > 1.0
                ):
                    assigned[e] = target
        return pieces, assigned

    def _clean_communities(
        self, communities: gpd.GeoDataFrame, like: gpd.GeoDataFrame
    ) -> gpd.GeoDataFrame:
        """Restore the column types of ``like`` after rows were replaced."""
        out = gpd.GeoDataFrame(communities, geometry=like.geometry.name, crs=like.crs)
        for column in like.columns:
            if column == like.geometry.name:
                continue
            if pd.api.types.is_numeric_dtype(like[column]):
                out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
            else:
                out[column] = out[column].astype(object).where(out[column].notna(), None)
        return out

    def _remapped(self, remap: dict[str, str]) -> dict[str, Any]:
        """Premises and estate assignments pointing at merged communities, renamed."""
        inputs: dict[str, Any] = {}
        prem = self.data.premises
        if prem is not None and "community_id" in prem:
            prem = prem.copy()
            prem["community_id"] = (
                prem["community_id"]
                .map(lambda v: remap.get(str(v), v) if v is not None and not pd.isna(v) else None)
                .astype(object)
            )
            inputs["premises"] = prem
        if self.data.estate_assignments:
            inputs["estate_assignments"] = {
                e: remap.get(c, c) for e, c in self.data.estate_assignments.items()
            }
        return inputs

    def _split_remap(
        self, old: str, communities: gpd.GeoDataFrame, new_ids: list[str], assigned: dict[str, str]
    ) -> dict[str, Any]:
        """Premises and estate assignments of a split community: to the part they lie in;
        the estates of a split by estates cut by the new boundary: to their group."""
        parts = communities[communities["community_id"].astype(str).isin(new_ids)]

        def part_of(geom: BaseGeometry) -> str:
            point = geom.representative_point()
            hits = parts[parts.geometry.covers(point)]
            if len(hits):
                return str(hits["community_id"].iloc[0])
            return str(parts["community_id"].iloc[int(np.argmin(parts.distance(point)))])

        inputs: dict[str, Any] = {}
        prem = self.data.premises
        if prem is not None and "community_id" in prem:
            prem = prem.copy()
            mine = prem["community_id"].astype(str) == old
            prem["community_id"] = prem["community_id"].astype(object)
            for i in prem.index[mine]:
                prem.at[i, "community_id"] = part_of(prem.geometry[i])
            inputs["premises"] = prem
        estates = self.data.estates
        if estates is not None and (self.data.estate_assignments or assigned):
            where = dict(zip(estates["estate_id"].astype(str), estates.geometry, strict=True))
            assignments = {
                e: part_of(where[e]) if c == old and e in where else c
                for e, c in self.data.estate_assignments.items()
            }
            inputs["estate_assignments"] = {**assignments, **assigned}
        return inputs

    # ---------------------------------------------------------------- rules

    def with_rules(self, overrides: Mapping[str, Any]) -> Scenario:
        """Override any rules (validated against the rules file's keys, e.g.
        ``{"premises": {"standards": {"new": {"per_100_households_m2": 85}}}}``)."""
        if not isinstance(overrides, Mapping):
            raise ScenarioError(msg("scn_rules_mapping"))
        rules = self.data.rules.with_overrides(overrides, source=f"scenario {self.name}")
        size = self.data.household_size
        if "household_size" in (overrides.get("settings") or {}):
            size = float(rules.settings.household_size)
        if self.year is not None:
            check_plan_year(self.year, rules=rules)
        return self._with(
            {"with_rules": {"overrides": copy.deepcopy(dict(overrides))}},
            rules=rules,
            household_size=size,
        )

    def set_rule(self, key: str, value: Any) -> Scenario:
        """Change one rule by its dotted name, e.g.
        ``set_rule("premises.standards.new.per_100_households_m2", 85)``."""
        if not isinstance(key, str) or not key:
            raise ScenarioError(msg("scn_rules_mapping"))
        scenario = self.with_rules(_nested(key, value))
        record = {"set_rule": {"key": key, "value": _plain(value)}}
        return dataclasses.replace(scenario, edits=(*self.edits, record))

    # ---------------------------------------------------------------- results

    def evaluate(self, year: int | None = None) -> Results:
        """Run every analysis (:func:`gis_planner.pipeline.run`, without the layout
        proposals) on the scenario's inputs for a plan year.

        Parameters
        ----------
        year : int, optional
            Plan year (default: the scenario's ``year``; None for both: the current check).
            Parcels delivered by then add their households; planned premises count.

        Returns
        -------
        Results
            Cached per year; ``results.scenario`` holds :meth:`to_dict`, and the warnings
            of the edits are among the warnings.

        Examples
        --------
        >>> from gis_planner.datasets import get_path
        >>> base = Scenario.load(get_path("deqing_demo"), year=2035)
        >>> plan = base.add_premises("YF101", community_id="330521001013",
        ...                          function="党群服务中心", floor_area_m2=1800)
        >>> c = plan.evaluate().communities.set_index("community_id")
        >>> row = c.loc["330521001013"]
        >>> float(row["premises_area_m2"]), row["premises_status"]
        (1800.0, 'meets')
        """
        year = self.year if year is None else year
        if year not in self._cache:
            self._cache[year] = run(
                self.data,
                plan_year=year,
                proposals=False,
                scenario={**self.to_dict(), "year": year},
            )
        return self._cache[year]

    def planning_conditions(self) -> pd.DataFrame:
        """R2: the premises area each development parcel's land sale conditions must hold."""
        return self.evaluate().planning_conditions

    def describe(self, lang: str = "zh") -> list[str]:
        """The edit log in words (``lang``), one line per edit."""
        lines = []
        for edit in self.edits:
            ((kind, args),) = edit.items()
            text = ", ".join(f"{k}={v}" for k, v in args.items())
            lines.append(f"{tr('scn_edit_' + kind, lang)}: {text}")
        return lines

    def export(
        self,
        out_dir: str | Path,
        *,
        year: int | None = None,
        lang: str = "zh",
        map_html: bool = True,
        atlas_pdf: bool = True,
    ) -> dict[str, Path]:
        """Write the scenario's results like a run (:func:`gis_planner.render.runfolder.write_run`,
        worded in ``lang``; ``map_html`` and ``atlas_pdf`` as there), plus ``scenario.yaml``
        that reproduces it. Returns the paths written."""
        from gis_planner.render.runfolder import write_run

        scenario = self if year is None else self.in_year(year)
        results = scenario.evaluate()
        text = scenario.to_yaml(relative_to=out_dir)
        written, _ = write_run(
            results,
            out_dir,
            lang=lang,
            map_html=map_html,
            atlas_pdf=atlas_pdf,
            extra_files={"scenario.yaml": text},
        )
        return written

    def __repr__(self) -> str:
        return (
            f"Scenario({self.name!r}, year={self.year}, base={self.base}, {len(self.edits)} edits)"
        )


def _edit_methods() -> dict[str, Any]:
    """The edits a scenario file may list, by name: their methods (for the file checks)."""
    return {kind: getattr(Scenario, kind) for kind in EDITS}


def _base_folder(
    spec: Mapping[str, Any], base: str | Path | None, source: str, relative_to: Path | None
) -> tuple[Path, list[Problem]]:
    """The layers folder of a scenario file: ``base`` given, else the file's (relative to
    the file's folder); a note when both are given and differ."""
    notes: list[Problem] = []
    folder = Path(base) if base is not None else None
    if spec.get("base") is not None:
        from_file = Path(str(spec["base"]))
        if relative_to is not None and not from_file.is_absolute():
            from_file = relative_to / from_file
        if folder is None:
            folder = from_file
        elif from_file.resolve() != folder.resolve():
            notes.append(Problem(source, msg("scn_base_overridden", file=from_file, base=folder)))
    if folder is None:
        raise ScenarioError(msg("scn_no_base", source=source))
    return folder, notes
