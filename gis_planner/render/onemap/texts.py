"""The one-map's own texts: controls, basemap notes, title parts and popup labels.

The texts a planner reads on the map that no other renderer needs — the buttons of the phone
layout, the basemap note, the parts of the title, the straight-line/walking wording of the
reach and the popup labels that differ from the column headers of the outputs — in Chinese
and English, formatted like :func:`gis_planner.i18n.tr`. Texts shared with the other renderers
(layer names, field labels, enumeration values) stay in :mod:`gis_planner.i18n`.

Worded for planners, never for developers: no environment variable, setting or function name
appears here (``tests/test_map.py`` checks it).

Examples
--------
>>> text("base_osm_fallback", "zh")
'底图为 OpenStreetMap（未配置天地图）'
>>> text("reach_layer", "en", distance=300, how=text("straight_line", "en"))
'Within 300 m of premises (straight line)'
"""

from __future__ import annotations

from gis_planner.i18n import render

#: key → (Chinese, English); ``{name}`` placeholders are filled by :func:`text`.
TEXTS: dict[str, tuple[str, str]] = {
    # controls
    "layers_button": ("图层", "Layers"),
    "legend_button": ("图例", "Legend"),
    "close": ("关闭", "Close"),
    "layer_hidden": ("图层未显示，点击显示", "layer hidden: click to show"),
    # title: 数字社区一张图 — 德清县 — 方案：… — 2030 年规划
    "title_scenario": ("方案：{name}", "scenario: {name}"),
    "title_plan_year": ("{year} 年规划", "plan year {year}"),
    "title_data_year": ("{year} 年现状", "as of {year}"),
    # premises and site icons shrink as the map zooms out and hide at a county's scale
    "markers_zoom": (
        "缩小地图时图标随之变小，缩至全县范围时隐藏，放大即显示",
        "icons shrink as the map zooms out and hide at the scale of the whole county; zoom in "
        "to see them",
    ),
    # basemaps
    "base_tianditu_vec": ("天地图 矢量", "Tianditu map"),
    "base_tianditu_img": ("天地图 影像", "Tianditu imagery"),
    "base_osm_fallback": (
        "底图为 OpenStreetMap（未配置天地图）",
        "Basemap: OpenStreetMap (Tianditu not configured)",
    ),
    "base_not_configured": ("未配置天地图", "Tianditu not configured"),
    "tianditu_attribution": ("天地图", "Tianditu"),
    "approval_number": ("审图号：{number}", "map approval no. {number}"),
    # distances: the reach is a straight-line buffer; sites and the access raster follow the
    # walking network when the run has one (``paths``)
    "straight_line": ("直线", "straight line"),
    "walking": ("步行", "walking"),
    "reach_layer": (
        "社区用房 {distance:g} 米范围（{how}）",
        "Within {distance:g} m of premises ({how})",
    ),
    "covered": ("{distance:g} 米（{how}）内有用房", "Premises within {distance:g} m ({how})"),
    "households_covered": (
        "{distance:g} 米（{how}）内户数",
        "Households within {distance:g} m ({how})",
    ),
    "households_in_reach": (
        "{distance:g} 米（{how}）内尚未覆盖户数",
        "Uncovered households within {distance:g} m ({how})",
    ),
    # proposed communities and sites (R7)
    "area_ha": ("面积（公顷）", "Area (ha)"),
    "compactness": ("紧凑度（圆形=1）", "Compactness (circle = 1)"),
    "compactness_note": (
        "紧凑度 = 4π × 面积 ÷ 周长²：圆形为 1，边界越狭长曲折越接近 0",
        "compactness = 4π × area ÷ perimeter²: 1 for a circle, nearer 0 the longer and more "
        "ragged the boundary",
    ),
    "site": ("点位", "Site"),
    "site_estate": ("小区内 {id}", "in estate {id}"),
    "site_development_parcel": ("出让地块 {id}", "in development parcel {id}"),
    "site_candidate_sites": ("备选点位 {id}", "candidate site {id}"),
}


def text(key: str, lang: str, /, **values: object) -> str:
    """The map's text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``values``
    (messages among them are worded in ``lang`` first)."""
    zh, en = TEXTS[key]
    return (en if lang == "en" else zh).format(**{k: render(v, lang) for k, v in values.items()})
