"""The atlas's map themes, one function each, and the views they are drawn for.

A theme draws the run's layers (:class:`~gis_planner.render.atlas.source.AtlasSource`, working
CRS, metres)
into a map axes for one :class:`View` — the whole area, or one street (街道) — and returns its
legend entries with the count of each class in the view. Colours are the one-map's
(:mod:`gis_planner.render.onemap.style`), so the printed atlas and the browser map agree.

=====================  ==================================================================
:func:`premises`       R1: communities by premises status (meets / short / none), premises
:func:`enclosure`      R6: estates by open-to-enclosed status
:func:`boundaries`     R7: proposed communities by change, original boundaries dashed
:func:`sites`          R7: existing premises, set-cover and best-p sites, the reach area
=====================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba

from gis_planner.i18n import tr, value_label
from gis_planner.render.atlas.pages import INK, LegendEntry
from gis_planner.render.atlas.source import AtlasSource
from gis_planner.render.onemap.style import (
    CHANGE_COLOURS,
    COMMUNITY_COLOURS,
    ESTATE_COLOURS,
    NO_STATUS_COLOUR,
    PREMISES_COLOUR,
    SITE_COLOURS,
    STYLES,
)

#: display simplification (m): far below what a printed A3 page shows
SIMPLIFY_M = 1.0
#: fill opacity of coloured polygons (edges stay opaque)
FILL_ALPHA = {"communities": 0.55, "estates": 0.85, "proposed": 0.3, "reach": 0.25}
CONTEXT_FILL = "#f0f0f0"
CONTEXT_EDGE = "#bdbdbd"
HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


@dataclass(frozen=True)
class View:
    """What one map page shows: the whole area (``ids`` None) or the communities ``ids``."""

    name: str
    ids: frozenset[str] | None
    bounds: tuple[float, float, float, float]

    @property
    def whole(self) -> bool:
        return self.ids is None


def street_of(value: object) -> str | None:
    """The street of a community, None when missing (None, NaN, <NA>, blank).

    >>> street_of(" 武康街道 "), street_of(float("nan")), street_of("")
    ('武康街道', None, None)
    """
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def views(src: AtlasSource, *, name: str, no_street: str) -> list[View]:
    """The whole area, then one view per street in the order streets first appear in the
    communities layer; when some communities have a street and some do not, the latter get
    a view of their own (``no_street``), so every community is on a page of its street."""
    communities = src.communities
    ids = communities["community_id"].astype(str)
    values = communities["street"] if "street" in communities else [None] * len(communities)
    streets = pd.Series([street_of(v) for v in values], index=communities.index, dtype=object)
    layers = [communities]
    if src.estates is not None and len(src.estates):
        layers.append(src.estates)
    whole = View(name, None, _bounds(pd.concat([g.geometry for g in layers])))
    out = [whole]
    named = [s for s in dict.fromkeys(streets.tolist()) if s is not None]
    groups = [(street, streets == street) for street in named]
    if named and streets.isna().any():
        groups.append((no_street, streets.isna()))
    for label, mask in groups:
        out.append(View(label, frozenset(ids[mask]), _bounds(communities.geometry[mask])))
    return out


def _bounds(geometry: Iterable) -> tuple[float, float, float, float]:
    series = gpd.GeoSeries(list(geometry))
    minx, miny, maxx, maxy = (float(v) for v in series.total_bounds)
    return minx, miny, maxx, maxy


def _in_view(gdf: gpd.GeoDataFrame, view: View, column: str = "community_id") -> pd.Series:
    if view.ids is None:
        return pd.Series(True, index=gdf.index)
    if column not in gdf:
        return pd.Series(False, index=gdf.index)
    ids = view.ids
    return gdf[column].map(lambda v: street_of(v) in ids)


def _polygons(ax: Axes, gdf: gpd.GeoDataFrame, **style: object) -> None:
    if len(gdf) == 0:
        return
    shapes = gpd.GeoDataFrame(geometry=gdf.geometry.simplify(SIMPLIFY_M), crs=gdf.crs)
    shapes.plot(ax=ax, **style)


def _points(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Points of ``gdf`` (polygons by a point inside them), its columns kept."""
    out = gdf.copy()
    out.geometry = gdf.geometry.representative_point()
    return out


def _faded(colours: Iterable[str], alpha: float) -> list[tuple[float, float, float, float]]:
    return [to_rgba(c, alpha) for c in colours]


def _context(ax: Axes, src: AtlasSource, view: View, lang: str) -> list[LegendEntry]:
    """The communities around a street (grey) and the street's outline; nothing on the whole
    area's page. Returns their legend entries."""
    if view.whole:
        return []
    communities = src.communities
    inside = _in_view(communities, view)
    _polygons(ax, communities[~inside], color=CONTEXT_FILL, edgecolor=CONTEXT_EDGE, linewidth=0.5)
    outline = gpd.GeoSeries([communities[inside].union_all()], crs=communities.crs)
    outline.boundary.plot(ax=ax, color=INK, linewidth=2.0, zorder=8)
    return [
        LegendEntry(tr("atlas_street_boundary", lang), "line", INK, style={"linewidth": 2.0}),
        LegendEntry(tr("atlas_context_communities", lang), "patch", CONTEXT_FILL, CONTEXT_EDGE),
    ]


def _labels(ax: Axes, gdf: gpd.GeoDataFrame, column: str, *, size: float, colour: str = INK):
    """Names of ``gdf`` at a point inside each feature, with a white halo."""
    for point, text in zip(gdf.geometry.representative_point(), gdf[column], strict=True):
        if point is None or point.is_empty or street_of(text) is None:
            continue
        ax.text(
            point.x,
            point.y,
            str(text),
            ha="center",
            va="center",
            fontsize=size,
            color=colour,
            path_effects=HALO,
            zorder=12,
            clip_on=True,
        )


def _label_size(view: View) -> float:
    return 6.5 if view.whole else 8.5


def _counted(label: str, n: int, lang: str) -> str:
    return tr("atlas_legend_count", lang, label=label, n=n)


def _status_entries(
    values: pd.Series, colours: dict[str, str], *, lang: str, alpha: float, edge: str
) -> list[LegendEntry]:
    counts = values.map(lambda v: v if v in colours else None).value_counts(dropna=False)
    entries = [
        LegendEntry(
            _counted(str(value_label(key, lang)), int(counts.get(key, 0)), lang),
            "patch",
            to_rgba(colour, alpha),
            edge,
        )
        for key, colour in colours.items()
    ]
    missing = int(values.map(lambda v: v not in colours).sum())
    if missing:
        entries.append(
            LegendEntry(
                _counted(tr("atlas_no_status", lang), missing, lang),
                "patch",
                to_rgba(NO_STATUS_COLOUR, alpha),
                edge,
            )
        )
    return entries


def _premises_points(ax: Axes, src: AtlasSource, view: View, lang: str) -> list[LegendEntry]:
    """Premises of the view: those counted toward R1 filled, the others (planned, in a data
    year run) hollow."""
    premises = src.premises
    if premises is None or len(premises) == 0:
        return []
    shown = _points(premises[_in_view(premises, view)])
    if src.counted is None:
        counted = np.ones(len(shown), dtype=bool)
    else:
        counted = src.counted.reindex(shown.index, fill_value=True).to_numpy(dtype=bool)
    size = 16 if view.whole else 28
    if counted.any():
        shown[counted].plot(
            ax=ax,
            marker="o",
            markersize=size,
            color=PREMISES_COLOUR,
            edgecolor="white",
            linewidth=0.6,
            zorder=14,
        )
    if (~counted).any():
        shown[~counted].plot(
            ax=ax,
            marker="o",
            markersize=size,
            facecolor="white",
            edgecolor=PREMISES_COLOUR,
            linewidth=1.0,
            zorder=14,
        )
    entries = [
        LegendEntry(
            _counted(tr("atlas_premises_counted", lang), int(counted.sum()), lang),
            "marker",
            PREMISES_COLOUR,
            "white",
            style={"marker": "o", "markersize": 6},
        )
    ]
    if (~counted).any():
        entries.append(
            LegendEntry(
                _counted(tr("atlas_premises_not_counted", lang), int((~counted).sum()), lang),
                "marker",
                "white",
                PREMISES_COLOUR,
                style={"marker": "o", "markersize": 6},
            )
        )
    return entries


def premises(ax: Axes, src: AtlasSource, view: View, lang: str) -> list[LegendEntry]:
    """R1: the communities of ``view`` coloured by premises status, the premises on top."""
    context = _context(ax, src, view, lang)
    communities = src.communities
    inside = communities[_in_view(communities, view)]
    status = inside["premises_status"]
    colours = [COMMUNITY_COLOURS.get(s, NO_STATUS_COLOUR) for s in status]
    _polygons(
        ax, inside, color=_faded(colours, FILL_ALPHA["communities"]), edgecolor=INK, linewidth=0.8
    )
    _labels(ax, inside, "name", size=_label_size(view))
    entries = _status_entries(
        status, COMMUNITY_COLOURS, lang=lang, alpha=FILL_ALPHA["communities"], edge=INK
    )
    return entries + _premises_points(ax, src, view, lang) + context


def enclosure(ax: Axes, src: AtlasSource, view: View, lang: str) -> list[LegendEntry]:
    """R6: the estates of ``view`` coloured by open-to-enclosed status, over the communities'
    outlines (the whole area's page also shows estates in no community)."""
    context = _context(ax, src, view, lang)
    communities = src.communities
    inside = communities[_in_view(communities, view)]
    _polygons(ax, inside, color="white", edgecolor=INK, linewidth=0.9)
    entries: list[LegendEntry] = []
    estates = src.estates
    if estates is not None and len(estates):
        shown = estates[_in_view(estates, view)]
        status = shown["enclosure_status"]
        colours = [ESTATE_COLOURS.get(s, NO_STATUS_COLOUR) for s in status]
        _polygons(
            ax,
            shown,
            color=_faded(colours, FILL_ALPHA["estates"]),
            edgecolor="#525252",
            linewidth=0.3,
        )
        entries = _status_entries(
            status, ESTATE_COLOURS, lang=lang, alpha=FILL_ALPHA["estates"], edge="#525252"
        )
    _labels(ax, inside, "name", size=_label_size(view), colour="#000000")
    boundary = LegendEntry(tr("atlas_community_boundary", lang), "patch", "white", INK)
    return entries + [boundary] + context


def _first_change(value: object) -> str:
    text = street_of(value) or "unchanged"
    return text.split(",")[0].strip()


def _sources_in_view(proposed: gpd.GeoDataFrame, view: View) -> pd.Series:
    """Proposed communities made from (or keeping) a community of ``view``."""
    if view.ids is None:
        return pd.Series(True, index=proposed.index)
    ids = view.ids
    column = "source_ids" if "source_ids" in proposed else "community_id"

    def touches(value: object) -> bool:
        text = street_of(value) or ""
        return any(part.strip() in ids for part in text.split(","))

    return proposed[column].map(touches)


def boundaries(ax: Axes, src: AtlasSource, view: View, lang: str) -> list[LegendEntry]:
    """R7: the proposed communities of ``view`` coloured by their (first) change, the original
    boundaries dashed on top."""
    context = _context(ax, src, view, lang)
    proposed = src.proposed
    entries: list[LegendEntry] = []
    if proposed is not None and len(proposed):
        shown = proposed[_sources_in_view(proposed, view)]
        change = shown["change"].map(_first_change)
        colours = [CHANGE_COLOURS.get(c, NO_STATUS_COLOUR) for c in change]
        _polygons(
            ax,
            shown,
            color=_faded(colours, FILL_ALPHA["proposed"]),
            edgecolor=colours,
            linewidth=1.6,
        )
        _labels(ax, shown, "name", size=_label_size(view))
        counts = change.value_counts()
        entries = [
            LegendEntry(
                _counted(str(value_label(key, lang)), int(counts[key]), lang),
                "patch",
                to_rgba(colour, FILL_ALPHA["proposed"]),
                colour,
                style={"linewidth": 1.6},
            )
            for key, colour in CHANGE_COLOURS.items()
            if key in counts
        ]
    communities = src.communities
    original = communities[_in_view(communities, view)]
    _polygons(
        ax, original, facecolor="none", edgecolor=INK, linewidth=0.9, linestyle="--", zorder=9
    )
    dashed = LegendEntry(
        tr("atlas_original_boundary", lang),
        "line",
        INK,
        style={"linewidth": 0.9, "linestyle": "--"},
    )
    return entries + [dashed] + context


def _site_markers(ax: Axes, shown: gpd.GeoDataFrame, view: View) -> None:
    """Set-cover sites as purple squares, best-p sites as red dots inside them (the same
    site chosen by both shows both), each with its priority beside it."""
    size = 1.0 if view.whole else 1.4
    styles = {
        "lscp": {
            "marker": "s",
            "markersize": 60 * size,
            "facecolor": "none",
            "edgecolor": SITE_COLOURS["lscp"],
            "linewidth": 1.4,
        },
        "mclp": {
            "marker": "o",
            "markersize": 22 * size,
            "color": SITE_COLOURS["mclp"],
            "edgecolor": "white",
            "linewidth": 0.5,
        },
    }
    offsets = {"lscp": (-5, 0, "right"), "mclp": (5, 0, "left")}
    for model, style in styles.items():
        rows = shown[shown["model"] == model]
        if len(rows) == 0:
            continue
        rows.plot(ax=ax, zorder=15, **style)
        dx, dy, ha = offsets[model]
        for point, priority in zip(rows.geometry, rows["priority"], strict=True):
            ax.annotate(
                str(priority),
                (point.x, point.y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va="center",
                fontsize=6 * size,
                color=SITE_COLOURS[model],
                path_effects=HALO,
                zorder=16,
                annotation_clip=True,
            )


def sites(ax: Axes, src: AtlasSource, view: View, lang: str) -> list[LegendEntry]:
    """R7: the reach of the counted premises, the premises, and the new sites of both
    models (set cover ``lscp``, best p ``mclp``) with their priority."""
    context = _context(ax, src, view, lang)
    communities = src.communities
    inside = communities[_in_view(communities, view)]
    _polygons(ax, inside, color="#fafafa", edgecolor=INK, linewidth=0.8)
    entries: list[LegendEntry] = []
    reach_style = STYLES["reach"]
    if src.reach is not None and not src.reach.is_empty and src.walking_distance_m:
        area = src.reach if view.whole else src.reach.intersection(inside.union_all())
        reach = gpd.GeoSeries([area], crs=communities.crs)
        face = to_rgba(str(reach_style["fillColor"]), FILL_ALPHA["reach"])
        reach.simplify(SIMPLIFY_M).plot(
            ax=ax, color=face, edgecolor=str(reach_style["color"]), linewidth=0.6, zorder=3
        )
        distance = src.walking_distance_m
        entries.append(
            LegendEntry(
                tr("atlas_reach_area", lang, distance=distance),
                "patch",
                face,
                str(reach_style["color"]),
            )
        )
    _labels(ax, inside, "name", size=_label_size(view), colour="#000000")
    entries += _premises_points(ax, src, view, lang)
    chosen = src.sites
    if chosen is not None and len(chosen):
        shown = _points(chosen[_in_view(chosen, view)])
        _site_markers(ax, shown, view)
        marker = {
            "lscp": {"marker": "s", "markersize": 8, "markeredgewidth": 1.4},
            "mclp": {"marker": "o", "markersize": 6},
        }
        for model in ("lscp", "mclp"):
            n = int((shown["model"] == model).sum())
            label = tr("atlas_site_model", lang, model=value_label(model, lang))
            fill = "none" if model == "lscp" else SITE_COLOURS[model]
            entries.append(
                LegendEntry(
                    _counted(label, n, lang),
                    "marker",
                    fill,
                    SITE_COLOURS[model],
                    style=marker[model],
                )
            )
    boundary = LegendEntry(tr("atlas_community_boundary", lang), "patch", "#fafafa", INK)
    return entries + [boundary] + context


@dataclass(frozen=True)
class Theme:
    """A map theme: its title (a key of :data:`~gis_planner.i18n.MESSAGES`) and the
    function drawing it."""

    key: str
    title: str
    draw: Callable[[Axes, AtlasSource, View, str], list[LegendEntry]]


def themes(src: AtlasSource) -> list[Theme]:
    """The themes of ``src`` in print order: R1 always; R6 with an estates layer; the two
    R7 themes only when the run made layout proposals."""
    out = [Theme("premises", "atlas_theme_premises", premises)]
    if src.estates is not None:
        out.append(Theme("enclosure", "atlas_theme_enclosure", enclosure))
    if src.proposed is not None:
        out.append(Theme("boundaries", "atlas_theme_boundaries", boundaries))
    if src.sites is not None:
        out.append(Theme("sites", "atlas_theme_sites", sites))
    return out
