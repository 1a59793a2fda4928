"""The overlays of a run: each layer's records, popup schema, style and labels.

:func:`layer_data` turns a run's :class:`~gis_planner.results.Results` into the layer specs
the page's script draws (``GP.layer`` in ``onemap.js``), in the order of
:data:`~.style.LAYER_ORDER`. A spec is a dict:

- ``name`` (layer control), ``kind`` (popup subtitle, search), ``type`` (``shape``,
  ``marker``, or ``derived``: drawn from another layer's features that carry ``flag``);
- ``features`` (:mod:`.records`), ``rows`` (:mod:`.popups`), ``tip`` (:func:`.popups.tips`);
- ``colours`` and ``labels`` by status key, ``style`` (:data:`.style.STYLES`), ``show``
  (False: off on opening), ``search`` (in the search box), ``pane`` (markers: Leaflet's marker
  pane; shapes: the one canvas of :data:`~.style.SHAPES_PANE`) and, for shapes, ``z``: the
  drawing order on that canvas (:data:`~.style.PANES`).

The map computes no analysis: every figure, status and reason is read from the results
(the reach too: ``results.reach``); the map only words and draws them. The reach, and whether
an estate is within it, are straight-line distances (R7, :func:`gis_planner.layout.scale.
reach_area`), so the map says "直线" (straight line) for them; only what follows a walking
network is called "步行" (walking, :mod:`.proposals`). The R7 proposal overlays are built by
:mod:`.proposals`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_planner.i18n import label, tr
from gis_planner.render.onemap.geometry import (
    REACH_SIMPLIFY_TOLERANCE_M,
    decode,
    encode,
    to_display,
)
from gis_planner.render.onemap.popups import (
    COMMUNITY_ROWS,
    ESTATE_ROWS,
    PARCEL_ROWS,
    PREMISES_ROWS,
    ROAD_ROWS,
    status_labels,
    tips,
)
from gis_planner.render.onemap.proposals import proposal_layers
from gis_planner.render.onemap.records import features
from gis_planner.render.onemap.style import (
    COMMUNITY_COLOURS,
    ESTATE_COLOURS,
    FUNCTION_ICONS,
    LAYER_ORDER,
    PANES,
    PREMISES_COLOUR,
    SHAPES_PANE,
    STYLES,
    marker_px,
)
from gis_planner.render.onemap.values import is_missing

if TYPE_CHECKING:
    from gis_planner.results import Results

#: A layer spec: see the module's docstring.
Layer = dict[str, Any]


def layer_data(results: Results, *, lang: str, shift: bool) -> dict[str, Layer]:
    """Every overlay's records, popup schema, style and labels, in display order.

    Parameters
    ----------
    results : Results
        A run; layers in EPSG:4549.
    lang : {"zh", "en"}
    shift : bool
        Display coordinates in GCJ-02 (the Amap basemap).

    Returns
    -------
    dict
        Layer specs by id (``communities``, ``estates``, ...), only the layers the run has,
        in :data:`LAYER_ORDER`; each with its Leaflet ``pane`` (and ``z``, shapes).
    """
    communities = results.communities
    names = communities.set_index("community_id")["name"] if "name" in communities else None
    distance = float(results.rules.layout.walking_distance_m)
    layers: dict[str, Layer] = {
        "communities": communities_layer(communities, distance=distance, lang=lang, shift=shift)
    }
    if results.reach is not None:
        layers["reach"] = reach_layer(
            results.reach, crs=communities.crs, distance=distance, lang=lang, shift=shift
        )
    if results.estates is not None and len(results.estates):
        layers.update(estate_layers(results.estates, distance=distance, lang=lang, shift=shift))
    data = results.data
    if data.development_parcels is not None and len(data.development_parcels):
        layers["parcels"] = parcels_layer(data.development_parcels, lang=lang, shift=shift)
    if data.planned_roads is not None and len(data.planned_roads):
        layers["roads"] = roads_layer(data.planned_roads, lang=lang, shift=shift)
    if results.premises is not None and len(results.premises):
        layers["premises"] = premises_layer(results.premises, names, lang=lang, shift=shift)
    if data.county_outline is not None and len(data.county_outline):
        layers["outline"] = outline_layer(data.county_outline, lang=lang, shift=shift)
    if results.layout is not None:
        layers.update(proposal_layers(results, results.layout, lang=lang, shift=shift, names=names))

    ordered = {k: layers[k] for k in LAYER_ORDER if k in layers}
    for key, layer in ordered.items():
        if layer["type"] == "marker":
            layer["pane"] = "markerPane"
        else:
            layer["pane"], layer["z"] = SHAPES_PANE[0], PANES[key]
    return ordered


def straight_line(key: str, distance: float, lang: str) -> str:
    """The map's text ``key`` for a straight-line ``distance`` (m): "300 米（直线）…"."""
    return tr(f"map_{key}", lang, distance=distance, how=tr("map_straight_line", lang))


def communities_layer(
    communities: gpd.GeoDataFrame, *, distance: float, lang: str, shift: bool
) -> Layer:
    """Communities coloured by premises status (R1), with the shortfall in the tooltip;
    ``distance`` (m) is the R7 walking distance, measured in a straight line."""
    records, schema = features(
        communities,
        COMMUNITY_ROWS,
        lang=lang,
        shift=shift,
        id_field="community_id",
        key_field="premises_status",
        labels={"households_covered": straight_line("households_covered", distance, lang)},
    )
    return {
        "name": tr("map_layer_communities", lang),
        "kind": tr("map_kind_community", lang),
        "type": "shape",
        "features": records,
        "rows": schema,
        "search": True,
        "colours": COMMUNITY_COLOURS,
        "labels": status_labels(COMMUNITY_COLOURS, lang),
        "style": STYLES["communities"],
        "tip": tips(
            schema,
            ("premises_status", "{v}"),
            ("shortfall_m2", tr("map_shortfall", lang, value="{v}")),
        ),
    }


def reach_layer(
    reach: shapely.Geometry, *, crs: Any, distance: float, lang: str, shift: bool
) -> Layer:
    """The area within the walking distance (straight line) of the counted premises (R7), as
    the pipeline computed it (``results.reach``, in ``crs``)."""
    display = to_display(
        gpd.GeoSeries([reach], crs=crs),
        shift=shift,
        simplify=True,
        tolerance_m=REACH_SIMPLIFY_TOLERANCE_M,
    )[0]
    return {
        "name": straight_line("reach_layer", distance, lang),
        "type": "shape",
        "features": [{"g": encode(display)}],
        "style": STYLES["reach"],
    }


def _with_unassigned(frame: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """``community_name`` of features in no community worded as unassigned."""
    frame["community_name"] = (
        frame["community_name"]
        .astype(object)
        .where(frame["community_name"].notna(), tr("map_unassigned", lang))
    )
    return frame


def _estate_flags(row: Any) -> dict[str, Any]:
    """``o``: beyond the walking distance of the premises (R7); ``m``: no property
    management (R8)."""
    flags = {}
    if "covered" in row and not is_missing(row["covered"]) and not bool(row["covered"]):
        flags["o"] = 1
    if (
        "no_property_management" in row
        and not is_missing(row["no_property_management"])
        and bool(row["no_property_management"])
    ):
        flags["m"] = 1
    return flags


def estate_layers(
    estates: gpd.GeoDataFrame, *, distance: float, lang: str, shift: bool
) -> dict[str, Layer]:
    """Estates by open-to-enclosed status (R6), and two layers drawn from their flags: the
    estates beyond the walking distance (R7) and those without property management (R8)."""
    frame = estates.copy()
    if "community_name" in frame:
        frame = _with_unassigned(frame, lang)
    records, schema = features(
        frame,
        ESTATE_ROWS,
        lang=lang,
        shift=shift,
        id_field="estate_id",
        key_field="enclosure_status",
        extra=_estate_flags,
        labels={"covered": straight_line("covered", distance, lang)},
    )
    layers: dict[str, Layer] = {
        "estates": {
            "name": tr("map_layer_estates", lang),
            "kind": tr("map_kind_estate", lang),
            "type": "shape",
            "features": records,
            "rows": schema,
            "search": True,
            "colours": ESTATE_COLOURS,
            "labels": status_labels(ESTATE_COLOURS, lang),
            "style": STYLES["estates"],
            "tip": tips(schema, ("enclosure_status", "{v}")),
        }
    }
    if any(r.get("o") for r in records):
        layers["outside"] = {
            "name": tr("map_layer_outside", lang, distance=distance),
            "type": "derived",
            "source": "estates",
            "flag": "o",
            "style": STYLES["outside"],
            "tip": tips(
                schema, ("nearest_premises_m", f"{label('nearest_premises_m', lang)} {{v}}")
            ),
        }
    if any(r.get("m") for r in records):
        layers["no_pm"] = {
            "name": tr("map_layer_no_pm", lang),
            "type": "derived",
            "source": "estates",
            "flag": "m",
            "style": STYLES["no_pm"],
            "show": False,
            "tip": tips(schema, ("no_property_management", label("no_property_management", lang))),
        }
    return layers


def parcels_layer(parcels: gpd.GeoDataFrame, *, lang: str, shift: bool) -> Layer:
    """The development parcels (R2), with their planned households."""
    records, schema = features(
        parcels, PARCEL_ROWS, lang=lang, shift=shift, id_field="parcel_id", key_field=None
    )
    return {
        "name": tr("map_layer_parcels", lang),
        "kind": tr("map_kind_parcel", lang),
        "type": "shape",
        "features": records,
        "rows": schema,
        "search": True,
        "style": STYLES["parcels"],
        "tip": tips(schema, ("planned_households", f"{label('planned_households', lang)} {{v}}")),
    }


def roads_layer(roads: gpd.GeoDataFrame, *, lang: str, shift: bool) -> Layer:
    """The planned roads (R6: a road through an estate)."""
    records, schema = features(
        roads, ROAD_ROWS, lang=lang, shift=shift, id_field="road_id", key_field=None
    )
    return {
        "name": tr("map_layer_roads", lang),
        "kind": tr("map_kind_road", lang),
        "type": "shape",
        "features": records,
        "rows": schema,
        "style": STYLES["roads"],
        "tip": tips(schema, ("road_id", "{v}")),
    }


def _premises_flags(row: Any) -> dict[str, Any]:
    """``z``: marker size (px) by floor area; ``pl``: planned."""
    flags: dict[str, Any] = {"z": marker_px(row.get("floor_area_m2"))}
    if row.get("status") == "planned":
        flags["pl"] = 1
    return flags


def premises_layer(
    premises: gpd.GeoDataFrame, names: pd.Series | None, *, lang: str, shift: bool
) -> Layer:
    """The premises as markers: one character per function, sized by floor area, planned
    ones dashed; ``names`` (community names by ``community_id``) for the popups."""
    frame = premises.copy()
    if names is not None and "community_id" in frame:
        frame["community_name"] = frame["community_id"].map(names).astype(object)
        frame = _with_unassigned(frame, lang)
    records, schema = features(
        frame,
        PREMISES_ROWS,
        lang=lang,
        shift=shift,
        id_field="premises_id",
        key_field="function",
        points=True,
        extra=_premises_flags,
    )
    return {
        "name": tr("map_layer_premises", lang),
        "kind": tr("map_kind_premises", lang),
        "type": "marker",
        "features": records,
        "rows": schema,
        "search": True,
        "icons": FUNCTION_ICONS,
        "colour": PREMISES_COLOUR,
        "tip": tips(schema, ("function", "{v}"), ("floor_area_m2", "{v} m²")),
    }


def outline_layer(outline: gpd.GeoDataFrame, *, lang: str, shift: bool) -> Layer:
    """The county outline (not clickable)."""
    geoms = to_display(outline.geometry, shift=shift, simplify=True)
    return {
        "name": tr("map_layer_outline", lang),
        "type": "shape",
        "features": [{"g": g} for g in map(encode, geoms) if g is not None],
        "style": STYLES["outline"],
    }


def planning_area_bounds(layers: dict[str, Layer]) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the communities (the planning area) as shown."""
    features = layers["communities"]["features"]
    geoms = [shapely.geometry.shape(decode(f["g"])) for f in features if f.get("g")]
    if not geoms:
        return None
    west, south, east, north = shapely.total_bounds(np.asarray(geoms, dtype=object))
    return [[float(south), float(west)], [float(north), float(east)]]
