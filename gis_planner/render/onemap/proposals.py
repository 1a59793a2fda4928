"""The R7 layout proposals on the map (一(一)): all off on opening.

With ``results.layout`` (:func:`gis_planner.pipeline.propose_layout`): the proposed
communities (dashed outline coloured by ``change``; before/after households, staffing,
required area and the decision note), the new premises sites of the set cover (``lscp``) and
of the best p sites (``mclp``) as two layers of badges showing the priority, and the walking
paths and barriers the proposals used. Without ``layout`` the page has none of them.

Areas are shown in hectares (公顷) and the compactness with two decimals and what it measures;
a site is named by where it lies ("小区内 E0114", not its id ``E:E0114``); the sites' reach is
"步行" (walking) when the run has a walking network (``paths``), else "直线" (straight line).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from gis_planner.i18n import label, render, site_name, tr
from gis_planner.render.onemap.geometry import encode, line_parts, to_display
from gis_planner.render.onemap.popups import (
    BARRIER_ROWS,
    PROPOSED_ROWS,
    SITE_ROWS,
    status_labels,
    tips,
)
from gis_planner.render.onemap.records import features
from gis_planner.render.onemap.style import (
    CHANGE_COLOURS,
    CHANGE_STYLES,
    SITE_BADGE_PX,
    SITE_COLOURS,
    SITE_SIDES,
    STYLES,
)
from gis_planner.render.onemap.values import format_number, is_missing, word

if TYPE_CHECKING:
    from gis_planner.results import Results

Layer = dict[str, Any]


def proposal_layers(
    results: Results, layout: Any, *, lang: str, shift: bool, names: pd.Series | None
) -> dict[str, Layer]:
    """The R7 proposal overlays (all off on opening): proposed communities, the sites of both
    models, and the walking paths and barriers the proposals used.

    Parameters
    ----------
    results : Results
        The run (``results.data`` for the paths and barriers).
    layout : LayoutProposal
        ``results.layout``.
    lang : {"zh", "en"}
    shift : bool
        Display coordinates in GCJ-02 (the Amap basemap).
    names : Series, optional
        Community names by ``community_id``, for the sites' popups.

    Returns
    -------
    dict
        Layer specs (:mod:`.layers`) by id: ``proposed``, ``sites_lscp``, ``sites_mclp``,
        ``paths``, ``barriers`` — those the proposals have.
    """
    layers: dict[str, Layer] = {}
    boundaries = getattr(layout, "boundaries", None)
    proposed = getattr(boundaries, "communities", None)
    if proposed is not None and len(proposed):
        decisions = getattr(boundaries, "decisions", None)
        layers["proposed"] = proposed_layer(proposed, decisions, lang=lang, shift=shift)
    sites = getattr(getattr(layout, "siting", None), "sites", None)
    if sites is not None and len(sites):
        distance = float(results.rules.layout.walking_distance_m)
        how = tr("map_walking" if has_walking_network(results) else "map_straight_line", lang)
        in_reach = tr("map_households_in_reach", lang, distance=distance, how=how)
        layers.update(site_layers(sites, names, lang=lang, shift=shift, in_reach_label=in_reach))
    paths = getattr(results.data, "paths", None)
    if paths is not None and len(paths):
        lines = line_parts(to_display(paths.geometry, shift=shift, simplify=True))
        if lines is not None:
            layers["paths"] = {
                "name": tr("map_layer_paths", lang),
                "type": "shape",
                "features": [{"g": encode(lines)}],
                "style": STYLES["paths"],
                "show": False,
                "proposal": True,
            }
    barriers = getattr(results.data, "barriers", None)
    if barriers is not None and len(barriers):
        barrier = barriers_layer(barriers, lang=lang, shift=shift)
        if barrier is not None:
            layers["barriers"] = barrier
    return layers


def has_walking_network(results: Results) -> bool:
    """Whether the R7 siting walked along a network (a ``paths`` layer with lines) rather
    than measuring straight lines."""
    paths = getattr(results.data, "paths", None)
    return paths is not None and len(paths) > 0


def primary_change(value: object) -> str:
    """The colour key of a proposed community: its first change other than "unchanged".

    Examples
    --------
    >>> primary_change("unchanged, split"), primary_change("unchanged"), primary_change(None)
    ('split', 'unchanged', 'unchanged')
    """
    parts = [] if is_missing(value) else [p.strip() for p in str(value).split(",") if p.strip()]
    changed = [p for p in parts if p != "unchanged"]
    return changed[0] if changed else "unchanged"


def decision_notes(decisions: pd.DataFrame | None, lang: str) -> dict[str, list[str]]:
    """The decision notes each proposed community shows, by proposed ``community_id``.

    A decision concerns one original community out of range; it is shown in every proposed
    community it names in ``proposed_ids`` — as is in the community of the same code, and
    prefixed with the original community's name elsewhere (e.g. the community it merged into).
    A note is worded in ``lang`` (:func:`.values.word`): a message of the analyses, or a text.
    """
    notes: dict[str, list[str]] = {}
    if decisions is None or not len(decisions):
        return notes
    for _, row in decisions.iterrows():
        note = row.get("note")
        if is_missing(note) or word(note, lang) == "":
            continue
        text = word(note, lang)
        own = str(row["community_id"])
        proposed_ids = row.get("proposed_ids")
        proposed_ids = "" if is_missing(proposed_ids) else str(proposed_ids)
        ids = [s.strip() for s in proposed_ids.split(",") if s.strip()]
        name = "" if is_missing(row.get("name")) else word(row["name"], lang)
        name = name or own
        for target in ids or [own]:
            shown = (
                text if target == own else tr("map_decision_of", lang, name=name, id=own, note=text)
            )
            notes.setdefault(target, []).append(shown)
    return notes


def proposed_layer(
    proposed: gpd.GeoDataFrame, decisions: pd.DataFrame | None, *, lang: str, shift: bool
) -> Layer:
    """The proposed communities: outline coloured by the change (``no_proposal`` for an
    original community out of range that no proposal could fix), with the decision notes."""
    unresolved: set[str] = set()
    if decisions is not None and len(decisions) and "action" in decisions:
        unresolved = set(
            decisions.loc[decisions["action"] == "no_proposal", "community_id"].astype(str)
        )
    notes = decision_notes(decisions, lang)
    frame = proposed.copy()
    ids = frame["community_id"].astype(str)
    frame["decision_note"] = pd.Series([notes.get(i) for i in ids], index=frame.index, dtype=object)
    changes = frame.get("change", pd.Series(None, index=frame.index))
    frame["change_key"] = [
        "no_proposal" if i in unresolved else primary_change(c)
        for i, c in zip(ids, changes, strict=True)
    ]
    records, schema = features(
        frame,
        PROPOSED_ROWS,
        lang=lang,
        shift=shift,
        id_field="community_id",
        key_field="change_key",
        labels={"area_m2": tr("map_area_ha", lang), "compactness": tr("map_compactness", lang)},
    )
    return {
        "name": tr("map_layer_proposed", lang),
        "kind": tr("map_kind_proposed", lang),
        "type": "shape",
        "features": records,
        "rows": schema,
        "search": True,
        "colours": CHANGE_COLOURS,
        "labels": status_labels(CHANGE_COLOURS, lang),
        "stroke": True,
        "keyStyle": CHANGE_STYLES,
        "style": STYLES["proposed"],
        "show": False,
        "proposal": True,
        "tip": tips(
            schema,
            ("change", "{v}"),
            (
                "households_before",
                tr("map_households_change", lang, before="{v}", after="{w}"),
                "households",
            ),
        ),
    }


def _badge(row: Any) -> dict[str, Any]:
    """``p``: the site's priority on its badge; ``z``: the badge's width (px)."""
    priority = format_number(row.get("priority")) or ""
    return {"p": priority, "z": SITE_BADGE_PX["short" if len(priority) <= 2 else "long"]}


def site_label(site_id: object, source: object, lang: str) -> str:
    """A site named by where it lies: the id of its estate or parcel without the ``E:``/``P:``
    prefix, after the source in words.

    Examples
    --------
    >>> site_label("E:E0114", "estate", "zh"), site_label("P:D03", "development_parcel", "en")
    ('小区内 E0114', 'in development parcel D03')
    >>> site_label("S7", "candidate_sites", "zh"), site_label("X1", None, "zh")
    ('备选点位 S7', 'X1')
    """
    return str(render(site_name(None if is_missing(site_id) else site_id, source), lang))


def site_layers(
    sites: gpd.GeoDataFrame,
    names: pd.Series | None,
    *,
    lang: str,
    shift: bool,
    in_reach_label: str | None = None,
) -> dict[str, Layer]:
    """One layer of badges per siting model (``sites_lscp``, ``sites_mclp``), in priority
    order; ``names`` (community names by ``community_id``) for the popups; each site named by
    where it lies (:func:`site_label`); ``in_reach_label`` words ``households_in_reach``."""
    frame = sites.copy()
    if names is not None and "community_id" in frame:
        frame["community_name"] = frame["community_id"].map(names).astype(object)
    sources = frame["source"] if "source" in frame else pd.Series(None, index=frame.index)
    frame["site_label"] = [
        site_label(i, s, lang) for i, s in zip(frame["site_id"], sources, strict=True)
    ]
    labels = {"site_label": tr("map_site", lang)}
    if in_reach_label:
        labels["households_in_reach"] = in_reach_label
    layers: dict[str, Layer] = {}
    for model in SITE_COLOURS:
        chosen = frame[frame["model"] == model]
        if not len(chosen):
            continue
        chosen = chosen.sort_values("priority", kind="stable")
        records, schema = features(
            chosen,
            SITE_ROWS,
            lang=lang,
            shift=shift,
            id_field="site_label",
            key_field=None,
            points=True,
            extra=_badge,
            labels=labels,
        )
        layers[f"sites_{model}"] = {
            "name": tr(f"map_layer_sites_{model}", lang, n=len(chosen)),
            "kind": tr(f"map_kind_site_{model}", lang),
            "type": "marker",
            "features": records,
            "rows": schema,
            "badge": SITE_SIDES[model],
            "colour": SITE_COLOURS[model],
            "show": False,
            "proposal": True,
            "tip": tips(
                schema,
                ("priority", f"{label('priority', lang)} {{v}}"),
                ("households_newly_covered", tr("map_newly_covered", lang, v="{v}")),
            ),
        }
    return layers


def barriers_layer(barriers: gpd.GeoDataFrame, *, lang: str, shift: bool) -> Layer | None:
    """The barriers (hard edges: rivers, railways) the proposals kept communities apart by;
    None when none can be drawn."""
    frame = barriers.copy()
    if "kind" in frame and "barrier_kind" not in frame:
        frame = frame.rename(columns={"kind": "barrier_kind"})
    records, schema = features(
        frame, BARRIER_ROWS, lang=lang, shift=shift, id_field="barrier_id", key_field=None
    )
    if not records:
        return None
    return {
        "name": tr("map_layer_barriers", lang),
        "kind": tr("map_kind_barrier", lang),
        "type": "shape",
        "features": records,
        "rows": schema,
        "style": STYLES["barriers"],
        "show": False,
        "proposal": True,
        "tip": tips(schema, ("barrier_kind", "{v}")),
    }
