"""How the one-map looks: colours by status, line styles, premises icons, layer order, panes.

Colours are keyed by the values the analyses write (``premises_status``, ``enclosure_status``,
``change``, the siting ``model``), so the legend (:mod:`.legend`) and the page's script
(``onemap.js``, which reads them from the page's data) show the same colour for the same
status. Styles are Leaflet path options, passed to the page as they are.
"""

from __future__ import annotations

import math
from typing import Any

from gis_planner.render.onemap.values import is_missing

#: Communities by premises status (R1).
COMMUNITY_COLOURS = {"meets": "#31a354", "short": "#fe9929", "none": "#de2d26"}
#: Estates by open-to-enclosed status (R6).
ESTATE_COLOURS = {
    "candidate": "#08519c",
    "candidate_exception": "#6baed6",
    "needs_survey": "#807dba",
    "needs_review": "#dd3497",
    "not_suitable": "#525252",
    "not_applicable": "#d9d9d9",
}
#: Fill of a feature whose status has no colour (or that has no status).
NO_STATUS_COLOUR = "#969696"
PREMISES_COLOUR = "#00695c"
#: One character per premises function: the marker's icon.
FUNCTION_ICONS = {
    "party_service_centre": "党",
    "service_centre": "便",
    "work_rooms": "工",
    "elderly_care": "养",
    "neighbourhood_centre": "邻",
    "children_home": "儿",
    "health_station": "卫",
    "infant_care": "婴",
    "other": "他",
}
#: Marker diameter in px = clamp(base + factor × √floor area), so area reads as circle size.
MARKER_PX = {"base": 12.0, "per_sqrt_m2": 0.35, "min": 14, "max": 36}
#: The floor areas (m²) whose marker sizes the legend shows.
LEGEND_MARKER_AREAS_M2 = (100, 1000, 3000)

#: Leaflet path options of each overlay.
STYLES: dict[str, dict[str, Any]] = {
    "communities": {"color": "#252525", "weight": 1.5, "fillOpacity": 0.35, "opacity": 0.9},
    "estates": {"color": "#252525", "weight": 0.8, "fillOpacity": 0.7, "opacity": 0.8},
    "reach": {
        "color": "#1d91c0",
        "weight": 1,
        "fillColor": "#41b6c4",
        "fillOpacity": 0.15,
        "interactive": False,
    },
    "outside": {"color": "#000000", "weight": 2.5, "dashArray": "5 4", "fill": False},
    "no_pm": {
        "color": "#8c510a",
        "weight": 2.5,
        "dashArray": "1 5",
        "lineCap": "round",
        "fill": False,
    },
    "roads": {"color": "#d7301f", "weight": 3, "dashArray": "10 6", "opacity": 0.9},
    "parcels": {"color": "#b15928", "weight": 2, "fillColor": "#ffff99", "fillOpacity": 0.6},
    "outline": {
        "color": "#3f007d",
        "weight": 2,
        "dashArray": "12 4 2 4",
        "fill": False,
        "interactive": False,
    },
    # R7 layout proposals: the outline's colour is the change (CHANGE_COLOURS); the nearly
    # transparent fill only makes the whole community clickable
    "proposed": {"weight": 3, "opacity": 0.95, "dashArray": "8 5", "fillOpacity": 0.04},
    "paths": {"color": "#4d4d4d", "weight": 1.2, "opacity": 0.75, "interactive": False},
    "barriers": {
        "color": "#08306b",
        "weight": 4,
        "opacity": 0.85,
        "fillColor": "#4292c6",
        "fillOpacity": 0.3,
    },
}
#: Proposed communities (R7): outline colour by the (first) change, as in ``change``.
CHANGE_COLOURS = {
    "split": "#e7298a",
    "merged": "#2166ac",
    "enlarged": "#00a6ca",
    "rebalanced": "#d95f02",
    "unchanged": "#737373",
    "no_proposal": "#000000",  # out of range, and no proposal could be made
}
#: Unchanged communities are drawn thinner: the proposal is about the others.
CHANGE_STYLES = {"unchanged": {"weight": 1.5, "opacity": 0.8}}
#: Proposed sites (R7): badge colour by model; the badge shows the site's priority.
SITE_COLOURS = {"lscp": "#54278f", "mclp": "#c51b1b"}
#: The badge sits left (lscp) or right (mclp) of the site, its tip on it: both stay readable
#: where the two models choose the same site.
SITE_SIDES = {"lscp": "left", "mclp": "right"}
#: Badge width in px: a priority of up to two digits, and a longer one.
SITE_BADGE_PX = {"short": 22, "long": 30}
#: Order of the overlays in the layer control.
LAYER_ORDER = (
    "communities",
    "estates",
    "premises",
    "reach",
    "outside",
    "no_pm",
    "roads",
    "parcels",
    "outline",
    "proposed",
    "sites_lscp",
    "sites_mclp",
    "paths",
    "barriers",
)
#: The R7 proposal overlays: only with ``results.layout``, all off on opening.
PROPOSAL_LAYERS = ("proposed", "sites_lscp", "sites_mclp", "paths", "barriers")
#: The pane of every shape (polygons, lines): one canvas (Leaflet's canvas renderer), between
#: the tiles (200) and the markers (600). One canvas, not one per layer: a canvas takes every
#: click and hover over the map, so the canvas of an upper layer would hide the features of
#: the layers below it from the mouse; on one canvas Leaflet finds the topmost feature.
#: A canvas, not SVG: a city of 20,000 estates is some 40,000 shapes; as SVG elements, each with
#: its own event listeners, styling and laying them out took most of the page's load time
#: (profiled with ``benchmarks/bench_map.py``'s city).
SHAPES_PANE = ("gp-shapes", 400)
#: Stacking of the overlays: their drawing order on the canvas of :data:`SHAPES_PANE` (the
#: page's script keeps it when a layer is switched on again).
PANES = {
    "communities": 401,
    "reach": 402,
    "estates": 403,
    "parcels": 404,
    "outside": 405,
    "no_pm": 406,
    "roads": 407,
    "outline": 408,
    "paths": 409,
    "barriers": 410,
    "proposed": 411,
}


def marker_px(area_m2: object) -> int:
    """Diameter (px) of a premises marker of ``area_m2`` floor area (:data:`MARKER_PX`).

    Examples
    --------
    >>> marker_px(80), marker_px(1500), marker_px(None), marker_px(50_000)
    (15, 26, 14, 36)
    """
    area = 0.0 if is_missing(area_m2) else max(float(area_m2), 0.0)  # type: ignore[arg-type]
    size = MARKER_PX["base"] + MARKER_PX["per_sqrt_m2"] * math.sqrt(area)
    return int(round(min(max(size, MARKER_PX["min"]), MARKER_PX["max"])))
