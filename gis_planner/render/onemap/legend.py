"""The legend and the data note: HTML built here, every text in it escaped.

The legend opens with the map's title — the layers' name, the scenario and the year shown
(:func:`map_title`) — and explains every colour of every layer with its count, the run's
summary figures and the page's notes (basemap, offline use, the data note again); the R7
proposals get a folded section of their own, unfolded by the page when a proposal layer is
switched on. The data note says what the data is (e.g. which layers are synthetic), from
``planner.yaml``; the page can close it (on a phone it opens folded to one line).

All text, ours and the input's (the layers folder's name, the data note), passes
:func:`gis_planner.render.escape.html_text`; the HTML reaches the page through a slot
(:mod:`.slots`), after all templating.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from gis_planner.i18n import tr, value_label
from gis_planner.render.escape import html_text
from gis_planner.render.onemap.style import (
    CHANGE_COLOURS,
    COMMUNITY_COLOURS,
    ESTATE_COLOURS,
    FUNCTION_ICONS,
    LEGEND_MARKER_AREAS_M2,
    SITE_COLOURS,
    SITE_SIDES,
    STYLES,
    marker_px,
)
from gis_planner.render.onemap.values import format_number, is_missing, word

if TYPE_CHECKING:
    from gis_planner.results import Results

Layers = dict[str, dict[str, Any]]
#: Summary rows of the legend: (label, figure); a row whose figure is None is left out.
SummaryRow = tuple[str, str | None]


def swatch(fill: str | None, stroke: str, *, dash: str | None = None, line: bool = False) -> str:
    """A legend swatch: a filled box with its outline, or a line (``line=True``).

    Examples
    --------
    >>> swatch(None, "#000", dash="y", line=True)
    '<i class="gp-sw" style="border-top:3px dashed #000;height:0;margin-top:7px"></i>'
    """
    if line:
        style = f"border-top:3px {'dashed' if dash else 'solid'} {stroke};height:0;margin-top:7px"
    else:
        border = f"2px {'dashed' if dash else 'solid'} {stroke}"
        style = f"background:{fill or 'transparent'};border:{border}"
    return f'<i class="gp-sw" style="{style}"></i>'


def _section(title: str | None, entries: list[str]) -> str:
    """A legend section: its title in bold (None: no title), then one row per entry."""
    head = (
        '<div class="gp-sec">'
        if title is None
        else f'<div class="gp-sec"><b>{html_text(title)}</b>'
    )
    return head + "".join(f'<div class="gp-row">{e}</div>' for e in entries) + "</div>"


def _status_entries(colours: dict[str, str], counts: pd.Series, lang: str) -> list[str]:
    """One entry per status: its colour, its name, how many features have it."""
    return [
        f"{swatch(c, '#252525')}{html_text(value_label(k, lang))} "
        f'<span class="gp-n">{int(counts.get(k, 0))}</span>'
        for k, c in colours.items()
    ]


def _reach_entries(results: Results, layers: Layers, *, lang: str, distance: float) -> list[str]:
    """The walking reach (R7), the estates beyond it, the estates without management (R8)."""
    entries = []
    if "reach" in layers:
        st = STYLES["reach"]
        entries.append(
            f"{swatch(st['fillColor'], st['color'])}"
            f"{html_text(tr('map_reach_note', lang, distance=distance))}"
        )
    if "outside" in layers:
        origin = tr(
            "map_origin_edge"
            if results.rules.layout.distance_from == "edge"
            else "map_origin_centroid",
            lang,
        )
        note = tr("map_outside_note", lang, distance=distance, origin=origin)
        entries.append(f"{swatch(None, STYLES['outside']['color'], dash='y')}{html_text(note)}")
    if "no_pm" in layers:
        entries.append(
            f"{swatch(None, STYLES['no_pm']['color'], dash='y')}"
            f"{html_text(tr('map_no_pm_note', lang))}"
        )
    return entries


def _premises_entries(lang: str) -> list[str]:
    """The premises' icons by function, existing and planned, marker sizes by floor area."""
    badges = "".join(
        f'<span class="gp-pin" title="{html_text(value_label(k, lang))}">{ch}</span>'
        f'<span class="gp-fn">{html_text(value_label(k, lang))}</span>'
        for k, ch in FUNCTION_ICONS.items()
    )
    sizes = " ".join(
        f'<span class="gp-pin gp-size" style="width:{marker_px(a)}px;height:'
        f'{marker_px(a)}px"></span>{a:,} m²'
        for a in LEGEND_MARKER_AREAS_M2
    )
    return [
        f'<div class="gp-fns">{badges}</div>',
        f'<span class="gp-pin"> </span>{html_text(tr("map_existing", lang))} '
        f'<span class="gp-pin gp-planned"> </span>{html_text(tr("map_planned", lang))}',
        html_text(tr("map_marker_size", lang, sizes="")) + sizes,
        html_text(tr("map_markers_zoom", lang)),
    ]


def _other_entries(layers: Layers) -> list[str]:
    """Planned roads, development parcels, the county outline."""
    entries = []
    if "roads" in layers:
        entries.append(
            f"{swatch(None, STYLES['roads']['color'], dash='y', line=True)}"
            f"{html_text(layers['roads']['name'])}"
        )
    if "parcels" in layers:
        st = STYLES["parcels"]
        entries.append(
            f"{swatch(st['fillColor'], st['color'])}{html_text(layers['parcels']['name'])}"
        )
    if "outline" in layers:
        entries.append(
            f"{swatch(None, STYLES['outline']['color'], dash='y', line=True)}"
            f"{html_text(layers['outline']['name'])}"
        )
    return entries


def _layer_sections(results: Results, layers: Layers, *, lang: str, distance: float) -> list[str]:
    """The legend's sections of the run's own layers, in the order of the layer control."""
    counts_c = results.communities["premises_status"].value_counts()
    sections = [
        _section(layers["communities"]["name"], _status_entries(COMMUNITY_COLOURS, counts_c, lang))
    ]
    if "estates" in layers:
        estates = results.estates
        counts_e = (
            estates["enclosure_status"].value_counts()
            if estates is not None and "enclosure_status" in estates
            else pd.Series(dtype=int)
        )
        sections.append(
            _section(layers["estates"]["name"], _status_entries(ESTATE_COLOURS, counts_e, lang))
        )
    reach = _reach_entries(results, layers, lang=lang, distance=distance)
    if reach:
        title = layers["reach"]["name"] if "reach" in layers else None
        sections.append(_section(title, reach))
    if "premises" in layers:
        sections.append(_section(layers["premises"]["name"], _premises_entries(lang)))
    others = _other_entries(layers)
    if others:
        sections.append(_section("", others))
    return sections


def _summary_rows(results: Results, *, lang: str, distance: float) -> list[SummaryRow]:
    """The run's summary figures: communities by status, shortfall, households, coverage."""
    summary = results.summary or {}
    statuses = ("meets", "short", "none")
    rows: list[SummaryRow] = [
        (tr("map_summary_communities", lang), format_number(summary.get("communities"))),
        (
            tr("map_summary_status", lang),
            " / ".join(format_number(summary.get(k, 0)) or "0" for k in statuses),
        ),
        (tr("summary_shortfall", lang), f"{format_number(summary.get('shortfall_m2', 0))} m²"),
        (tr("map_summary_households", lang), format_number(summary.get("households_total"))),
        (
            tr("summary_covered", lang, distance=distance),
            format_number(summary.get("households_covered")),
        ),
        (tr("map_summary_estates", lang), format_number(summary.get("estates"))),
        (tr("map_summary_premises", lang), format_number(summary.get("premises"))),
    ]
    if results.layout is not None:
        rows.extend(proposal_summary_rows(results.layout, lang=lang, distance=distance))
    rows.append((tr("summary_warnings", lang), format_number(summary.get("warnings"))))
    return rows


def map_title(results: Results, lang: str) -> str:
    """The map's title, not yet escaped: "数字社区一张图", the layers' name, the scenario
    (``results.scenario["name"]``) and the year shown — the plan year (``results.year``), else
    the year the data describe (``results.data_year``).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> run = NS(data=NS(name="德清县"), scenario={"name": "新建幸福里"}, year=2030, data_year=2025)
    >>> map_title(run, "zh")
    '数字社区一张图 — 德清县 — 方案：新建幸福里 — 2030 年规划'
    >>> map_title(NS(data=NS(name=None), scenario=None, year=None, data_year=2025), "en")
    'Digital community one-map — as of 2025'
    """
    parts = [tr("map_title", lang)]
    if results.data.name:
        parts.append(str(results.data.name))
    scenario = getattr(results, "scenario", None) or {}
    name = scenario.get("name")
    if not is_missing(name) and word(name, lang).strip():
        parts.append(tr("map_title_scenario", lang, name=word(name, lang).strip()))
    if getattr(results, "year", None) is not None:
        parts.append(tr("map_title_plan_year", lang, year=results.year))
    elif getattr(results, "data_year", None) is not None:
        parts.append(tr("map_title_data_year", lang, year=results.data_year))
    return " — ".join(parts)


def legend_html(results: Results, layers: Layers, *, lang: str, notes: list[str]) -> str:
    """The legend: the title, every colour of every layer, counts, the run's summary, the
    notes.

    Parameters
    ----------
    results : Results
        The run (summary figures, rules for the walking distance).
    layers : dict
        The layer specs of the page (:func:`.layers.layer_data`).
    lang : {"zh", "en"}
    notes : list of str
        Lines under the summary (basemap, offline use), not yet escaped.

    Returns
    -------
    str
        HTML, every text escaped; ends with ``</div></details>``.
    """
    distance = float(results.rules.layout.walking_distance_m)
    parts = [
        f'<div class="gp-head">{html_text(map_title(results, lang))}</div>',
        f"<details open><summary>{html_text(tr('map_legend', lang))}</summary>",
        '<div class="gp-legend-body">',
        *_layer_sections(results, layers, lang=lang, distance=distance),
    ]
    if results.layout is not None:
        parts.append(proposals_legend(results, layers, lang=lang))
    parts.append('<table class="gp-summary">')
    parts.extend(
        f"<tr><th>{html_text(k)}</th><td>{html_text(v)}</td></tr>"
        for k, v in _summary_rows(results, lang=lang, distance=distance)
        if v is not None
    )
    parts.append("</table>")
    parts.extend(f'<div class="gp-note-line">{html_text(n)}</div>' for n in notes)
    parts.append("</div></details>")
    return "".join(parts)


def site_badge(model: str, text: str = "1") -> str:
    """A proposed site's badge as the legend shows it, in the colour of ``model``."""
    colour = SITE_COLOURS[model]
    return (
        f'<span class="gp-badge gp-badge-{SITE_SIDES[model]} gp-inline" '
        f'style="background:{colour};--gp-c:{colour}">{html_text(text)}</span>'
    )


def _proposed_entries(results: Results, layer: dict[str, Any], *, lang: str) -> list[str]:
    """Proposed communities by change, with counts, and the household range they keep."""
    counts = pd.Series([f.get("k") for f in layer["features"]], dtype=object).value_counts()
    rules = results.rules.layout
    entries = [
        f"{swatch(None, colour, dash='y')}{html_text(value_label(key, lang))} "
        f'<span class="gp-n">{int(counts.get(key, 0))}</span>'
        for key, colour in CHANGE_COLOURS.items()
        if key != "no_proposal" or counts.get(key, 0)
    ]
    note = tr(
        "map_proposed_note",
        lang,
        minimum=int(rules.households_min),
        maximum=int(rules.households_max),
    )
    return [*entries, html_text(note)]


def _site_entries(summary: dict[str, Any], layers: Layers, *, lang: str) -> list[str]:
    """The sites of each model: badge, layer name, households newly covered."""
    entries = []
    for model in SITE_COLOURS:
        key = f"sites_{model}"
        if key not in layers:
            continue
        households = format_number(summary.get(f"{model}_households_newly_covered"))
        note = tr(
            f"map_sites_{model}_note",
            lang,
            n=len(layers[key]["features"]),
            households=households or "–",
        )
        entries.append(
            f"{site_badge(model)}{html_text(layers[key]['name'])}"
            f'<div class="gp-sub">{html_text(note)}</div>'
        )
    if entries:
        entries.append(html_text(tr("map_sites_priority", lang)))
    return entries


def proposals_legend(results: Results, layers: Layers, *, lang: str) -> str:
    """The R7 proposals' legend: folded until a proposal layer is switched on."""
    summary = getattr(results.layout, "summary", None) or {}
    parts = [
        f'<details class="gp-proposals"><summary>{html_text(tr("map_proposals", lang))}</summary>'
    ]
    if "proposed" in layers:
        entries = _proposed_entries(results, layers["proposed"], lang=lang)
        entries.append(html_text(tr("map_compactness_note", lang)))
        parts.append(_section(layers["proposed"]["name"], entries))
    sites = _site_entries(summary, layers, lang=lang)
    if sites:
        parts.append(_section(None, sites))
    others = []
    if "paths" in layers:
        others.append(
            f"{swatch(None, STYLES['paths']['color'], line=True)}"
            f"{html_text(layers['paths']['name'])}"
        )
    if "barriers" in layers:
        st = STYLES["barriers"]
        others.append(
            f"{swatch(st['fillColor'], st['color'])}{html_text(layers['barriers']['name'])}"
        )
    if others:
        parts.append(_section(None, others))
    # ends with </p></details>, not </div></details>: the legend's own end stays unique
    parts.append('<p class="gp-hint"></p></details>')
    return "".join(parts)


def proposal_summary_rows(layout: Any, *, lang: str, distance: float) -> list[SummaryRow]:
    """The legend summary's R7 rows: communities out of range, sites, households beyond."""
    s = getattr(layout, "summary", None) or {}

    def pair(a: str, b: str, sep: str) -> str | None:
        if s.get(a) is None or s.get(b) is None:
            return None
        return f"{format_number(s[a])}{sep}{format_number(s[b])}"

    return [
        (
            tr("map_summary_proposed", lang),
            pair("communities_out_of_range", "proposed_communities", " → "),
        ),
        (tr("map_summary_sites", lang), pair("lscp_sites", "mclp_sites", " / ")),
        (
            tr("map_summary_newly_covered", lang),
            pair("lscp_households_newly_covered", "mclp_households_newly_covered", " / "),
        ),
        (
            tr("map_summary_beyond", lang, distance=distance),
            pair("households_beyond_walk_now", "households_beyond_walk_with_sites", " → "),
        ),
    ]


def data_note(results: Results, lang: str) -> str | None:
    """The note on the data of ``planner.yaml`` (e.g. which layers are synthetic) in ``lang``
    (else Chinese, else the first one), not yet escaped; None when the run has none."""
    note = results.data.data_note
    if not note:
        return None
    return note.get(lang) or note.get("zh") or next(iter(note.values()), "") or None


def note_html(results: Results, lang: str) -> str | None:
    """The visible note on the data (:func:`data_note`), when the run has one: its head
    ("数据说明" and the layers' name) and its text, escaped. The page adds a close button and,
    on a phone, folds it to one line until tapped."""
    note = data_note(results, lang)
    if note is None:
        return None
    name = results.data.name
    shown = ("（{}）" if lang == "zh" else " ({})").format(name) if name else ""
    return (
        f'<div class="gp-note-body"><b class="gp-note-head">{html_text(tr("map_data_note", lang))}'
        f'<span class="gp-note-name">{html_text(shown)}</span></b> '
        f'<span class="gp-note-text">{html_text(note)}</span></div>'
    )
