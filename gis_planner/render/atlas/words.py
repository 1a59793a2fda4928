"""The atlas's own texts, in Chinese and English: titles, the title block, legends.

Field names and enumeration values are worded by the shared tables
(:func:`gis_planner.i18n.label`, :func:`gis_planner.i18n.value_label`); what only the printed
atlas says is here, in the same (Chinese, English) form as the message catalogue.

>>> say("page_of", "en", n=3, total=22)
'page 3 of 22'
>>> say("theme_premises", "zh")
'社区用房达标情况图（R1）'
"""

from __future__ import annotations

#: key → (Chinese, English); ``{name}`` placeholders are filled by :func:`say`
TEXTS: dict[str, tuple[str, str]] = {
    "atlas_title": ("社区布局规划图集", "Community layout plan atlas"),
    # themes (R1, R6, R7) and their views
    "theme_premises": ("社区用房达标情况图（R1）", "Community premises status (R1)"),
    "theme_enclosure": ("小区开转封评估图（R6）", "Open-to-enclosed screening of estates (R6)"),
    "theme_boundaries": ("社区范围调整建议图（R7）", "Proposed community boundaries (R7)"),
    "theme_sites": (
        "社区用房选址建议及服务范围图（R7）",
        "Proposed premises sites and reach (R7)",
    ),
    "view_title": ("{theme} — {view}", "{theme} — {view}"),
    "view_no_street": ("未填街道的社区", "Communities without a street"),
    # printable tables
    "table_premises": ("社区用房核查表（R1）", "Community premises check (R1)"),
    "table_enclosure": ("开转封候选清单（R6）", "Open-to-enclosed candidates (R6)"),
    "table_continued": ("{title}（续）", "{title} (continued)"),
    "table_total": ("合计", "Total"),
    "table_number": ("序号", "No."),
    "table_summary": ("核查结果汇总", "Summary of the check"),
    "table_enclosure_note": (
        "可列入开转封的小区，按优先顺序排列，每个小区列出全部评估理由；其余开放式、半封闭小区"
        "（需开展意愿调查、需论证、不宜开转封）见 report.xlsx 的开转封清单。",
        "The estates that may be enclosed, in order of priority, with every reason of each; the"
        " other open and semi-open estates (survey needed, review needed, not suitable) are in"
        " the open-to-enclosed list of report.xlsx.",
    ),
    "note_row": ("{key}：{value}", "{key}: {value}"),
    # title block (图签)
    "tb_title": ("图名", "Title"),
    "tb_area": ("规划范围", "Area"),
    "tb_plan_year": ("规划年份", "Plan year"),
    "tb_data_year": ("数据年份", "Data year"),
    "tb_scenario": ("情景", "Scenario"),
    "tb_crs": ("坐标系", "CRS"),
    "gk3_name": (
        "CGCS2000 / 3度带高斯-克吕格投影，中央经线 {meridian}°E",
        "CGCS2000 / 3-degree Gauss-Krüger, central meridian {meridian}°E",
    ),
    "tb_crs_value": ("{name}（{code}），单位：米", "{name} ({code}), metres"),
    "tb_data": ("数据说明", "About the data"),
    "tb_no_note": ("未提供（planner.yaml 的 data_note）", "none given (data_note of planner.yaml)"),
    "tb_date": ("制图日期", "Drawn"),
    "tb_made_with": ("制图软件", "Made with"),
    "tb_scale": ("比例尺（A3）", "Scale (A3)"),
    "tb_page": ("页码", "Page"),
    "page_of": ("第 {n} 页 / 共 {total} 页", "page {n} of {total}"),
    "date": ("{year}年{month}月{day}日", "{iso}"),
    # legend
    "legend": ("图例", "Legend"),
    "north": ("北", "N"),
    "legend_count": ("{label}（{n}）", "{label} ({n})"),
    "community_boundary": ("社区边界", "Community boundary"),
    "street_boundary": ("本街道范围", "This street"),
    "context_communities": ("其他社区", "Other communities"),
    "premises_counted": ("计入核查的社区用房", "Premises counted"),
    "premises_not_counted": ("未计入的社区用房（规划）", "Premises not counted (planned)"),
    "no_status": ("无评估结论", "No status"),
    "original_boundary": ("原社区边界（虚线）", "Original boundary (dashed)"),
    "reach_area": (
        "社区用房 {distance:g} 米（直线）服务范围",
        "Within {distance:g} m (straight line) of premises",
    ),
    "site_model": ("{model}建议点位", "Site: {model}"),
}


def say(key: str, lang: str = "zh", /, **values: object) -> str:
    """The atlas text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``values``."""
    zh, en = TEXTS[key]
    return (en if lang == "en" else zh).format(**values)
