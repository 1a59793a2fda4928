"""Texts meant for planners, in Chinese (default) and English.

Analyses and the reading of layers never word anything: what they find is a :class:`Message`,
a code of the catalogue with its parameters (``msg("estates_unassigned", n=1, rows="E7")``).
Only what shows or writes text — the command line, the map, the report, the exports — turns a
message into words, with :meth:`Message.text` (or :func:`render` for any value that may hold
messages) in the language the user asked for. ``tr(key, lang, **values)`` formats one entry
of the catalogue; ``label(field, lang)`` gives the column header of an output field and
``value_label(value, lang)`` the display label of an enumeration value. Code and identifiers
stay English.

>>> m = msg("estates_unassigned", n=1, households=186, rows="E0353")
>>> m.code
'estates_unassigned'
>>> m.text("en")
'estates in no community, reported as unassigned: 1 (186 households): E0353'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gis_planner import catalogue

LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # loading
    "folder_missing": ("图层文件夹不存在：{path}", "layers folder not found: {path}"),
    "layer_missing": (
        "缺少必需图层“{layer}”（{alias}）：请放入 {names} 之一，或在 planner.yaml 的 layers.{layer}.file 中指定文件",
        "required layer '{layer}' ({alias}) is missing: add one of {names}, or name the file in planner.yaml under layers.{layer}.file",
    ),
    "file_missing": (
        "planner.yaml 指定的文件不存在：{file}",
        "file named in planner.yaml not found: {file}",
    ),
    "ambiguous": (
        "图层“{layer}”有多个候选文件：{files}；请在 planner.yaml 中用 layers.{layer}.file 指定其一",
        "several files could be layer '{layer}': {files}; name one in planner.yaml under layers.{layer}.file",
    ),
    "unreadable": ("无法读取：{error}", "cannot be read: {error}"),
    "empty_layer": (
        "图层为空（0 个要素）；请检查文件或删除它",
        "the layer is empty (0 features); check the file or remove it",
    ),
    "no_crs": (
        '没有坐标参考系（CRS），也未声明；请在 planner.yaml 中写 layers.{layer}.crs（例如 "EPSG:4549" 或 "EPSG:4326"），或补上 .prj 文件',
        'has no coordinate reference system (CRS) and none is declared; add layers.{layer}.crs to planner.yaml (e.g. "EPSG:4549" or "EPSG:4326") or supply the .prj file',
    ),
    "crs_conflict": (
        "文件自带坐标系 {stated}，与 planner.yaml 声明的 {declared} 不一致；声明只用于没有坐标系的文件——请删除声明或修正文件",
        "the file states CRS {stated} but planner.yaml declares {declared}; a declaration is only for files without a CRS — remove it or fix the file",
    ),
    "bad_crs": (
        "无法识别 planner.yaml 中声明的坐标系 {crs}：{error}",
        "cannot understand the CRS {crs} declared in planner.yaml: {error}",
    ),
    "out_of_range_geographic": (
        "坐标超出经纬度范围（x {xmin:.0f}…{xmax:.0f}，y {ymin:.0f}…{ymax:.0f}），但文件声明为地理坐标系 {crs}：看起来是以米为单位的投影坐标。GeoJSON 按 RFC 7946 视为经纬度——请在 planner.yaml 中声明其坐标系（layers.<图层>.crs，例如 EPSG:4549），或用正确的坐标系重新导出",
        "coordinates outside longitude/latitude range (x {xmin:.0f}…{xmax:.0f}, y {ymin:.0f}…{ymax:.0f}) while the file states the geographic CRS {crs}: they look like projected metres. GeoJSON is read as lon/lat (RFC 7946) — declare its CRS in planner.yaml (layers.<layer>.crs, e.g. EPSG:4549) or re-export it in its real CRS",
    ),
    "out_of_area": (
        "坐标（{bounds}）不在坐标系 {crs} 的有效范围内；请检查声明的坐标系",
        "coordinates ({bounds}) lie outside the area of use of {crs}; check the declared CRS",
    ),
    "far_away": (
        "图层范围离社区边界图层 {km:.0f} km，像是坐标系声明错误（例如把 GCJ-02 或投影坐标当作 WGS84）；请检查坐标系",
        "the layer lies {km:.0f} km from the communities layer, which suggests a wrong CRS (e.g. GCJ-02 or projected coordinates read as WGS84); check its CRS",
    ),
    "gcj02_not_geographic": (
        "声明为 GCJ-02（gcj02: true），但坐标系是 {crs}：GCJ-02 坐标必须是经纬度",
        "declared GCJ-02 (gcj02: true) but its CRS is {crs}: GCJ-02 coordinates must be longitude/latitude",
    ),
    "gcj02_converted": (
        "已按声明将 GCJ-02（火星坐标）转换为 WGS84",
        "converted from GCJ-02 to WGS84 as declared",
    ),
    "encoding_guess": (
        "Shapefile 没有 .cpg 且文本不是 UTF-8，已按 GB18030（GBK 超集）读取；如有乱码请在 planner.yaml 中设置 layers.{layer}.encoding",
        "shapefile has no .cpg and its text is not UTF-8: read as GB18030 (a superset of GBK); set layers.{layer}.encoding in planner.yaml if names look wrong",
    ),
    "field_missing": (
        "缺少必需字段“{field}”（中文名：{aliases}）{similar}；请改名，或在 planner.yaml 的 layers.{layer}.fields 中映射",
        "required field '{field}' (Chinese: {aliases}) is missing{similar}; rename it or map it in planner.yaml under layers.{layer}.fields",
    ),
    "similar": ("，相近的字段有：{names}", "; similar fields present: {names}"),
    "field_map_missing": (
        "planner.yaml 的字段映射引用了不存在的字段：{names}；现有字段：{present}",
        "planner.yaml maps fields that do not exist: {names}; fields present: {present}",
    ),
    "duplicate_ids": (
        "字段“{field}”的值必须唯一；重复：{rows}",
        "field '{field}' must be unique; duplicates: {rows}",
    ),
    "required_empty": (
        "字段“{field}”不能为空；空值的行：{rows}",
        "field '{field}' must not be empty; empty in rows {rows}",
    ),
    "not_integer": (
        "字段“{field}”必须是 ≥ {minimum:g} 的整数；出错的行：{rows}；请修正数值或在 planner.yaml 中映射其他字段",
        "field '{field}' must be a whole number >= {minimum:g}; rows {rows}; fix the values or map another field in planner.yaml",
    ),
    "not_number": (
        "字段“{field}”必须是{cmp} {minimum:g} 的数值；出错的行：{rows}",
        "field '{field}' must be a number {cmp} {minimum:g}; rows {rows}",
    ),
    "not_share": (
        "字段“{field}”必须是 0–1 之间的比例（或 0–100 的百分数）；出错的行：{rows}",
        "field '{field}' must be a share between 0 and 1 (or a percentage 0–100); rows {rows}",
    ),
    "percent_read": (
        "字段“{field}”的值在 0–100 之间，按百分数读取（已除以 100）",
        "field '{field}' holds values up to 100: read as percentages (divided by 100)",
    ),
    "mixed_share": (
        "字段“{field}”同时有 0–1 的比例和大于 1 的百分数，无法判断含义；请统一为比例或百分数。小于 1 的行：{rows}",
        "field '{field}' mixes shares (0–1) and percentages (above 1), so neither can be trusted; use one or the other. Rows below 1: {rows}",
    ),
    "bad_year": (
        "字段“{field}”必须是 {earliest}–{latest} 之间的年份；出错的行：{rows}",
        "field '{field}' must be a year between {earliest} and {latest}; rows {rows}",
    ),
    "bad_bool": (
        "字段“{field}”必须是 有/无（是/否、true/false）；出错的行：{rows}",
        "field '{field}' must be yes/no (有/无, 是/否, true/false); rows {rows}",
    ),
    "bad_enum": (
        "字段“{field}”有未知取值；出错的行：{rows}；可用取值：{valid}",
        "field '{field}' has unknown values; rows {rows}; valid values: {valid}",
    ),
    "null_geometry": ("缺少几何图形的行：{rows}", "rows without geometry: {rows}"),
    "wrong_geometry": (
        "几何类型必须是 {expected}；出错的行：{rows}",
        "geometry must be {expected}; rows {rows}",
    ),
    "invalid_geometry": (
        "无效几何已用 make_valid 修复：{rows}",
        "invalid geometries repaired with make_valid: {rows}",
    ),
    "unknown_community": (
        "“社区代码”在社区边界图层中不存在：{rows}；现有社区代码示例：{valid}",
        "community_id not found in the communities layer: {rows}; existing ids include {valid}",
    ),
    "config_unknown_key": (
        "未知配置项“{key}”；可用的配置项：{valid}",
        "unknown key '{key}'; valid keys: {valid}",
    ),
    "config_bad": ("配置有误：{error}", "invalid settings: {error}"),
    "households_mismatch": (
        "社区户数字段与小区户数合计相差超过 {share:.0%}：{rows}",
        "communities' households field differs from the estates' sum by more than {share:.0%}: {rows}",
    ),
    "table_unmatched": (
        "户数统计表中有 {n} 行匹配不到小区：{rows}",
        "{n} row(s) of the households table match no estate: {rows}",
    ),
    "table_missing_count": (
        "以下小区没有户数：{rows}",
        "estates without a household count: {rows}",
    ),
    "table_columns": (
        "户数统计表需要“estate_id”（或“name”+“community_id”）和“households”列；现有列：{present}",
        "the households table needs 'estate_id' (or 'name' + 'community_id') and 'households'; columns present: {present}",
    ),
    "raster_no_crs": ("栅格没有坐标参考系；请补上坐标系", "the raster has no CRS; give it one"),
    "raster_no_nodata": (
        "栅格没有设置 nodata 值；请设置（例如 -9999）",
        "the raster has no nodata value; set one (e.g. -9999)",
    ),
    "check_ok": (
        "检查通过：{n} 个图层可以使用（{warnings} 条警告）",
        "check passed: {n} layers can be used ({warnings} warnings)",
    ),
    "out_is_input": (
        "输出文件夹 {out} 就是输入图层文件夹：结果会覆盖输入图层；请换一个 --out",
        "the output folder {out} is the layers folder: the outputs would overwrite the input layers; choose another --out",
    ),
    "communities_overlap": (
        "社区边界相互重叠（重叠面积超过 {tolerance:g} ㎡），重叠处的小区户数按面积分给两个社区：{rows}",
        "community boundaries overlap (by more than {tolerance:g} m²); estates in an overlap are split between both: {rows}",
    ),
    "table_bad_date": (
        "户数统计表“{field}”（统计日期）不是日期或晚于今天：{rows}；请写成 2024-12-31 这样的日期",
        "the households table's '{field}' (date of the count) is not a date, or lies after today: {rows}; write dates such as 2024-12-31",
    ),
    "table_ambiguous": (
        "户数统计表{row}（名称“{name}”、社区代码 {community}）对应多个同名小区：{estates}；"
        "无法判断是哪一个，请在表中增加“estate_id”（小区代码）列",
        "{row} of the households table (name '{name}', community_id {community}) matches several "
        "estates of that name: {estates}; which one is meant cannot be known: add an 'estate_id' "
        "column to the table",
    ),
    "table_duplicates": (
        "户数统计表中同一小区有多行，无法判断用哪一行；请合并或删除重复行：{rows}",
        "the households table has several rows for one estate, so which one counts cannot be known; merge or remove them: {rows}",
    ),
    "invalid_input_header": (
        "输入数据有 {n} 个问题，未写出任何结果：",
        "{n} problem(s) in the input; nothing was written:",
    ),
    # loading: parts of messages that used to be glued together (same wording as before)
    "source_text": ("{source}: {text}", "{source}: {text}"),
    "with_detail": ("{text} ({detail})", "{text} ({detail})"),
    "list_item": ("- {item}", "- {item}"),
    "row_value": ("{row}{value}", "{row}{value}"),
    "rows_more": ("{rows} … (+{more})", "{rows} … (+{more})"),
    "field_from_column": ("{field}（{column}）", "{field} (column {column})"),
    "config_top_mapping": ("顶层必须是键值映射（key: value）", "top level must be a mapping"),
    # planner.yaml, rules and scenario files (bounded YAML)
    "yaml_recursive": (
        "有别名引用自身（递归锚点）",
        "an alias refers to itself (recursive anchor)",
    ),
    "yaml_duplicate_keys": (
        "同一个键写了两次，其中一个值会被悄悄忽略：{keys}（括号内为行号）；每个键只保留一个",
        "a key is written twice, so one value would be ignored without a word: {keys} (line numbers "
        "in brackets); keep one of each",
    ),
    "yaml_deep": ("嵌套超过 {depth} 层", "nested more than {depth} levels deep"),
    "yaml_bomb": (
        "别名/锚点层层嵌套，展开后超过 {nodes:,} 个值（“billion laughs”文件）；请直接写出各项值",
        "expands to more than {nodes:,} values (aliases/anchors repeated inside each other, a 'billion laughs' file); write the values out",
    ),
    "yaml_large": (
        "超过 {mb} MB，设置文件不应这么大",
        "larger than {mb} MB, more than a settings file may have",
    ),
    "yaml_folder": ("是文件夹而不是 YAML 文件", "is a folder, not a YAML file"),
    "yaml_special": (
        "不是普通文件（如命名管道或设备），未打开",
        "is not a regular file (a FIFO or a device …) and was not opened",
    ),
    "yaml_not_utf8": (
        "不是 UTF-8 文本{hint}（第 {byte} 字节）；请另存为 UTF-8（例如记事本：另存为 → 编码 UTF-8）",
        "is not UTF-8 text{hint}: byte {byte}; save it as UTF-8 (e.g. in Notepad: Save as → Encoding UTF-8)",
    ),
    "yaml_gbk": ("（看起来是 GBK/GB18030 编码）", " (it looks like GBK/GB18030)"),
    "yaml_nul": ("含 NUL 字符，不是文本文件", "contains NUL characters: not a text file"),
    # rules files: constraints (rules.check_rules) and the merging of rules files
    "rules_invalid": ("{source}:\n{problems}", "{source}:\n{problems}"),
    "rules_not_found": ("找不到规则文件", "rules file not found"),
    "rules_not_yaml": ("不是有效的 YAML：{error}", "not valid YAML: {error}"),
    "rules_not_mapping": ("{key} 必须是规则的键值映射", "{key} must be a mapping of rules"),
    "rules_unknown_key": (
        "未知的键 {key!r}；此处可用的键：{valid}",
        "unknown key {key!r}; valid keys here: {valid}",
    ),
    "rules_needs_mapping": (
        "{key} 必须是含以下键的映射：{keys}",
        "{key} must be a mapping with keys {keys}",
    ),
    "rules_wrong_type": (
        "{key} = {value!r} 的类型必须与默认值 {default!r} 相同（{type}）",
        "{key} = {value!r} must be of the same kind as the default {default!r} ({type})",
    ),
    "rules_not_finite": (
        "{key} = {value!r} 必须是有限数值",
        "{key} = {value!r} must be a finite number",
    ),
    "rules_range": ("{key} = {value!r} {kind}", "{key} = {value!r} {kind}"),
    "rules_kind_positive": ("必须是大于 0 的数", "must be a number above 0"),
    "rules_kind_non_negative": ("必须是不小于 0 的数", "must be a number of 0 or more"),
    "rules_kind_share": ("必须是 0–1 之间的比例", "must be a share between 0 and 1"),
    "rules_kind_count": ("必须是不小于 0 的整数", "must be a whole number of 0 or more"),
    "rules_kind_count1": ("必须是不小于 1 的整数", "must be a whole number of 1 or more"),
    "rules_kind_year": ("必须是 1800–2100 之间的年份", "must be a year between 1800 and 2100"),
    "rules_kind_year_or_null": (
        "必须是 1800–2100 之间的年份或 null（当年）",
        "must be a year between 1800 and 2100, or null (the current year)",
    ),
    "rules_choice": (
        "{key} = {value!r}: 未知取值 {wrong!r}；可用取值：{valid}",
        "{key} = {value!r}: unknown value(s) {wrong!r}; valid: {valid}",
    ),
    "raster_too_large": (
        "人口栅格有 {width} × {height} = {cells:,} 个像元，超过 {key} = {limit:,}（在读取任何像元之前检查）；"
        "请先把栅格裁剪到本县范围，或在自己的规则文件中提高该上限",
        "the population raster has {width} × {height} = {cells:,} cells, more than {key} = "
        "{limit:,} (checked before any cell is read); clip the raster to the county first, or "
        "raise the limit in your own rules file",
    ),
    "access_too_many_cells": (
        "可达性栅格按 {cell_m} m 像元将有 {width} × {height} = {cells:,} 个像元，超过 "
        "limits.max_raster_cells = {limit:,}，未分配内存；请增大 layout.accessibility_cell_m，"
        "或提高 limits.max_raster_cells（约每像元 200 字节内存），或使用 --no-proposals",
        "the accessibility raster would have {width} × {height} = {cells:,} cells of {cell_m} m, "
        "more than limits.max_raster_cells = {limit:,}, so nothing was allocated; raise "
        "layout.accessibility_cell_m, or raise limits.max_raster_cells (about 200 bytes of "
        "memory a cell), or run with --no-proposals",
    ),
    "rules_order": (
        "{low} = {a!r}, {high} = {b!r}: 必须满足 {low} {cmp} {high}",
        "{low} = {a!r}, {high} = {b!r}: {low} must be {cmp} {high}",
    ),
    "rules_staffing_cap": (
        "staffing.cap = {cap!r} < staffing.full_time_workers + party_workers ({full!r} + {party!r}): 上限低于最低配备",
        "staffing.cap = {cap!r} < staffing.full_time_workers + party_workers ({full!r} + {party!r}): the cap is below the minimum staffing",
    ),
    # datum shifts (crs.to_cgcs2000): what was applied, then its accuracy and source
    "shift_with_accuracy": (
        "{shift}；{accuracy}{reference}",
        "{shift}; {accuracy}{reference}",
    ),
    # analyses
    "estates_unassigned": (
        "{n} 个小区（{households} 户）不在任何社区内，列为未分配：{rows}",
        "estates in no community, reported as unassigned: {n} ({households} households): {rows}",
    ),
    "estates_outside_part": (
        "小区有超过 {share:.0%} 的面积在所有社区之外（户数仍按面积比例分给重叠的社区）：{rows}",
        "estates with more than {share:.0%} of their area outside every community (households still go to the overlapping communities): {rows}",
    ),
    # partitioned runs (gis_planner.partition, run --workers/--scheduler)
    "partition_key_unknown": (
        "未知的分区方式“{key}”：可用 {valid}",
        "unknown partition key '{key}': use one of {valid}",
    ),
    "partition_county_missing": (
        "社区图层的“所属区县”字段有空值，无法按区县分区：{rows}",
        "communities without a county (field 'county'), cannot partition by county: {rows}",
    ),
    "partition_no_county_field": (
        "社区图层没有“所属区县”字段（{field}），无法按该字段分区",
        "the communities layer has no county field ({field}) to partition by",
    ),
    "partition_not_codes": (
        "社区代码不是 {digits} 位统计区划代码，无法取前 6 位作区县：{rows}",
        "community codes that are not {digits}-digit statistical codes (no county prefix): {rows}",
    ),
    "partition_estate_straddles": (
        "小区跨越两个区县的社区（与约定不符），无法按区县分区：{rows}",
        "estates overlapping communities of two counties (the contract excludes it), cannot partition: {rows}",
    ),
    "partition_no_dask": (
        "--workers/--scheduler 需要 dask.distributed：请安装 pip install 'gis-planner[parallel]'",
        "--workers/--scheduler need dask.distributed: pip install 'gis-planner[parallel]'",
    ),
    "partition_one": (
        "社区图层没有区县信息（“所属区县”字段或 12 位统计区划代码），整个文件夹作为一个分区运行",
        "no county information on the communities (a 'county' field or 12-digit statistical codes): the whole folder runs as one partition",
    ),
    "partition_counties": (
        "按区县分区：{n} 个分区，{how}",
        "partitioned by county: {n} partitions, {how}",
    ),
    "partition_in_process": ("在本进程内依次运行", "run one after another in this process"),
    "partition_cluster": ("在 {where} 上运行", "run on {where}"),
    "premises_unassigned": (
        "{n} 处社区用房不在任何社区内，列为未分配：{rows}",
        "premises in no community, reported as unassigned: {n}: {rows}",
    ),
    "premises_located": (
        "{n} 处社区用房未填社区代码，已按位置归入社区",
        "{n} premises without community_id were placed by location",
    ),
    "warn_service_centre_floor": (
        "便民服务中心 {name} 位于 {floor} 楼，原则上应设在 {required} 楼",
        "convenience service centre {name} is on floor {floor}; it should be on floor {required} (the ground floor)",
    ),
    "warn_service_centre_area": (
        "便民服务中心 {name} 面积 {area:g} ㎡，原则上不少于 {minimum:g} ㎡",
        "convenience service centre {name} has {area:g} m²; it should have at least {minimum:g} m²",
    ),
    "warn_no_service_centre": ("没有现状便民服务中心", "no existing convenience service centre"),
    "warn_purchase": (
        "购买的用房 {name} 一事一议，未计算补助",
        "purchased premises {name}: case by case (一事一议), no subsidy computed",
    ),
    "warn_households_field": (
        "社区户数字段 {given} 与小区合计 {summed} 相差 {diff:.0%}",
        "households field {given} differs from the estates' sum {summed} by {diff:.0%}",
    ),
    "note_developer_built": ("开发商代建，县财政不补助", "developer-built: no county subsidy"),
    "note_case_by_case": ("购买：一事一议，另行解决", "purchased: case by case (一事一议)"),
    "note_build": (
        "建设补助 {share:.0%}，社区上限 {cap:,.0f} 元，按比例分摊",
        "build subsidy {share:.0%}, community cap {cap:,.0f} yuan, shared pro rata",
    ),
    "note_rent": (
        "租金补助 {share:.0%}，社区每年上限 {cap:,.0f} 元，按比例分摊",
        "rent subsidy {share:.0%}, community cap {cap:,.0f} yuan a year, shared pro rata",
    ),
    "note_no_cost": (
        "未填建设投入或年租金，无法计算补助",
        "no cost or rent given: subsidy not computed",
    ),
    "note_not_counted": ("规划用房不计入现状补助", "planned premises: not in the current subsidy"),
    # summary
    "summary_title": ("社区用房核查结果", "Community premises check"),
    "summary_meets": ("达标社区", "Communities meeting the standard"),
    "summary_short": ("面积不足社区", "Communities short of area"),
    "summary_none": ("无用房社区", "Communities without premises"),
    "summary_shortfall": ("缺口面积合计", "Total shortfall"),
    "summary_households": ("户数合计（已分配 / 未分配）", "Households (assigned / unassigned)"),
    "summary_unassigned_estates": ("未分配小区", "Unassigned estates"),
    "summary_unassigned_premises": ("未分配社区用房", "Unassigned premises"),
    "summary_scale": ("规模：偏小 / 适中 / 偏大", "Scale: too small / ok / too large"),
    "summary_covered": (
        "{distance:g} 米（直线）范围内有社区用房的户数",
        "Households within {distance:g} m (straight line) of premises",
    ),
    "summary_outputs": ("结果已写入", "Outputs written to"),
    "summary_warnings": ("警告", "Warnings"),
    "summary_layout_scale": ("社区规模调整建议", "Community scale proposals"),
    "summary_layout_scale_value": (
        "{communities_out_of_range} 个社区超出户数范围 → 建议 {proposed_communities} 个社区（{proposed_in_range} 个在范围内），调整 {estates_moved} 个小区",
        "{communities_out_of_range} communities out of range → {proposed_communities} proposed ({proposed_in_range} in range), {estates_moved} estates move",
    ),
    "summary_layout_sites": ("新增用房建议点位", "New premises sites"),
    "summary_layout_sites_value": (
        "全覆盖 {lscp_sites} 处（+{lscp_households_newly_covered:,} 户）；最优 {mclp_sites} 处（+{mclp_households_newly_covered:,} 户）",
        "set cover {lscp_sites} sites (+{lscp_households_newly_covered:,} households); best {mclp_sites} sites (+{mclp_households_newly_covered:,})",
    ),
    "summary_layout_beyond": (
        "{distance:g} 米外的户数（栅格，现状 → 建议点位后）",
        "Households beyond {distance:g} m (raster, now → with sites)",
    ),
    "step_propose": ("规模调整与用房选址", "Layout proposals"),
    "step_read": ("读取图层", "Reading layers"),
    "step_analyse": ("分析", "Analysing"),
    "step_write": ("写出结果", "Writing outputs"),
    # enclosure (R6)
    "enc_enclosed": ("已封闭", "already enclosed"),
    "enc_not_eligible": (
        "封闭情况为{value}，不在开转封范围（{eligible}）内",
        "enclosure is {value}, outside the open-to-enclosed scope ({eligible})",
    ),
    "enc_eligible": ("{value}小区", "{value} estate"),
    "enc_enclosure_unknown": ("封闭情况不详", "enclosure unknown"),
    "enc_no_roads_layer": (
        "未提供规划道路图层：未核查道路穿越",
        "no planned-road layer: road crossings not checked",
    ),
    "enc_no_road": ("无规划道路穿越小区内部", "no planned road crosses the interior"),
    "enc_road_crossing": (
        "规划道路 {road} 穿越小区内部 {length} m，超过 {limit} m",
        "planned road {road} crosses the interior for {length} m, more than {limit} m",
    ),
    "enc_road_short": (
        "规划道路 {road} 进入小区内部 {length} m，未超过 {limit} m",
        "planned road {road} enters the interior for {length} m, not more than {limit} m",
    ),
    "enc_road_unnamed": ("（未命名）", "(unnamed)"),
    "enc_support_low": ("支持率 {value} 低于 {minimum}", "support {value} below {minimum}"),
    "enc_support_ok": ("支持率 {value}，不低于 {minimum}", "support {value}, not below {minimum}"),
    "enc_participation_low": (
        "参与率 {value} 低于 {minimum}",
        "participation {value} below {minimum}",
    ),
    "enc_participation_ok": (
        "参与率 {value}，不低于 {minimum}",
        "participation {value}, not below {minimum}",
    ),
    "enc_no_survey": ("未开展意愿调查：支持率不详", "no residents' survey: support unknown"),
    "enc_support_unknown": ("意愿调查结果不全：支持率不详", "survey incomplete: support unknown"),
    "enc_participation_unknown": ("参与率不详", "participation unknown"),
    "enc_built_before": ("{before}年以前建成（{year}年）", "built before {before} ({year})"),
    "enc_built_after_poor": (
        "{before}年以后建成（{year}年）且基础条件差：例外纳入",
        "built {before} or later ({year}) with poor basic conditions: included as an exception",
    ),
    "enc_built_after_not_poor": (
        "{before}年以后建成（{year}年），基础条件{condition}：不属于基础条件较差的例外",
        "built {before} or later ({year}) with {condition} basic conditions: not a poor-condition exception",
    ),
    "enc_built_after_condition_unknown": (
        "{before}年以后建成（{year}年），基础条件不详：不能按例外纳入",
        "built {before} or later ({year}) and basic conditions unknown: cannot be included as an exception",
    ),
    "enc_year_unknown": ("建成年份不详", "build year unknown"),
    "enc_frontage_high": (
        "沿街商铺占比 {value} 超过 {maximum}",
        "commercial frontage {value} above {maximum}",
    ),
    "enc_frontage_ok": (
        "沿街商铺占比 {value}，未超过 {maximum}",
        "commercial frontage {value}, not above {maximum}",
    ),
    "enc_frontage_unknown": (
        "沿街商铺占比不详：未核查商业环境",
        "commercial frontage unknown: commercial environment not checked",
    ),
    "enc_walls": (
        "外立面破损严重：墙体一并纳入改造",
        "facade severely damaged: walls included in the renovation",
    ),
    "enc_facade_unknown": ("外立面情况不详", "facade condition unknown"),
    "enc_no_pm": ("无物业管理", "no property management"),
    "enc_pm_unknown": ("物业管理情况不详", "property management unknown"),
    "enc_no_community": ("不在任何社区内（未分配）", "lies in no community (unassigned)"),
    "enc_condition_good": ("好", "good"),
    "enc_condition_fair": ("一般", "fair"),
    "enc_condition_poor": ("差", "poor"),
    "enc_crs_missing": (
        "图层“{layer}”没有坐标参考系：道路穿越长度以米计算，请先把图层转换到 {working}（load_layers 加载时自动完成）",
        "layer '{layer}' has no CRS: road crossings are measured in metres; bring the layers to {working} first (load_layers does it)",
    ),
    "enc_crs_mismatch": (
        "规划道路图层的坐标系 {roads} 与小区图层的坐标系 {estates} 不一致；请先把两者都转换到 {working}（load_layers 加载时自动完成）",
        "the planned roads' CRS {roads} differs from the estates' CRS {estates}; bring both to {working} first (load_layers does it)",
    ),
    "enc_crs_geographic": (
        "小区图层的坐标系 {crs} 是经纬度，无法按米计算道路穿越长度；请先转换到 {working}",
        "the estates' CRS {crs} is geographic: road crossings cannot be measured in metres; reproject to {working} first",
    ),
    # map
    # the one-map's own texts (gis_planner.render.onemap): controls, basemap notes, title
    # parts, popup labels; worded for planners (no environment variable or setting name)
    # controls
    "map_layers_button": ("图层", "Layers"),
    "map_legend_button": ("图例", "Legend"),
    "map_close": ("关闭", "Close"),
    "map_layer_hidden": ("图层未显示，点击显示", "layer hidden: click to show"),
    # title: 数字社区一张图 — 德清县 — 方案：… — 2030 年规划
    "map_title_scenario": ("方案：{name}", "scenario: {name}"),
    "map_title_plan_year": ("{year} 年规划", "plan year {year}"),
    "map_title_data_year": ("{year} 年现状", "as of {year}"),
    # premises and site icons shrink as the map zooms out and hide at a county's scale
    "map_markers_zoom": (
        "缩小地图时图标随之变小，缩至全县范围时隐藏，放大即显示",
        "icons shrink as the map zooms out and hide at the scale of the whole county; zoom in "
        "to see them",
    ),
    # basemaps
    "map_base_tianditu_vec": ("天地图 矢量", "Tianditu map"),
    "map_base_tianditu_img": ("天地图 影像", "Tianditu imagery"),
    "map_base_osm_fallback": (
        "底图为 OpenStreetMap（未配置天地图）",
        "Basemap: OpenStreetMap (Tianditu not configured)",
    ),
    "map_base_not_configured": ("未配置天地图", "Tianditu not configured"),
    "map_tianditu_attribution": ("天地图", "Tianditu"),
    "map_approval_number": ("审图号：{number}", "map approval no. {number}"),
    # distances: the reach is a straight-line buffer; sites and the access raster follow the
    # walking network when the run has one (``paths``)
    "map_straight_line": ("直线", "straight line"),
    "map_walking": ("步行", "walking"),
    "map_reach_layer": (
        "社区用房 {distance:g} 米范围（{how}）",
        "Within {distance:g} m of premises ({how})",
    ),
    "map_covered": ("{distance:g} 米（{how}）内有用房", "Premises within {distance:g} m ({how})"),
    "map_households_covered": (
        "{distance:g} 米（{how}）内户数",
        "Households within {distance:g} m ({how})",
    ),
    "map_households_in_reach": (
        "{distance:g} 米（{how}）内尚未覆盖户数",
        "Uncovered households within {distance:g} m ({how})",
    ),
    # proposed communities and sites (R7)
    "map_area_ha": ("面积（公顷）", "Area (ha)"),
    "map_compactness": ("紧凑度（圆形=1）", "Compactness (circle = 1)"),
    "map_compactness_note": (
        "紧凑度 = 4π × 面积 ÷ 周长²：圆形为 1，边界越狭长曲折越接近 0",
        "compactness = 4π × area ÷ perimeter²: 1 for a circle, nearer 0 the longer and more "
        "ragged the boundary",
    ),
    "map_site": ("点位", "Site"),
    "map_site_estate": ("小区内 {id}", "in estate {id}"),
    "map_site_development_parcel": ("出让地块 {id}", "in development parcel {id}"),
    "map_site_candidate_sites": ("备选点位 {id}", "candidate site {id}"),
    "map_title": ("数字社区一张图", "Digital community one-map"),
    "map_layer_communities": ("社区：用房达标情况", "Communities: premises status"),
    "map_layer_estates": ("小区：开转封评估", "Estates: open-to-enclosed status"),
    "map_layer_premises": ("社区用房", "Community premises"),
    "map_layer_reach": (
        "社区用房 {distance:g} 米步行范围",
        "{distance:g} m walking reach of premises",
    ),
    "map_layer_outside": (
        "{distance:g} 米范围外的小区",
        "Estates beyond {distance:g} m of premises",
    ),
    "map_layer_no_pm": ("无物业管理小区", "Estates without property management"),
    "map_layer_roads": ("规划道路", "Planned roads"),
    "map_layer_parcels": ("出让地块", "Development parcels"),
    "map_layer_outline": ("县界", "County outline"),
    "map_base_osm": ("OpenStreetMap 底图", "OpenStreetMap"),
    "map_base_tianditu": ("天地图底图", "Tianditu"),
    "map_base_amap": ("高德地图底图（GCJ-02）", "Amap / Gaode (GCJ-02)"),
    "map_base_none": ("无底图", "No basemap"),
    "map_kind_community": ("社区", "community"),
    "map_kind_estate": ("小区", "estate"),
    "map_kind_premises": ("社区用房", "premises"),
    "map_kind_parcel": ("出让地块", "development parcel"),
    "map_kind_road": ("规划道路", "planned road"),
    "map_search_placeholder": ("查找社区、小区或用房…", "Find a community, estate or premises…"),
    "map_search_none": ("未找到", "No match"),
    "map_legend": ("图例与汇总", "Legend and summary"),
    "map_shortfall": ("缺口 {value} m²", "short {value} m²"),
    "map_unassigned": ("未分配", "unassigned"),
    "map_planned": ("规划用房（虚线框）", "planned premises (dashed)"),
    "map_existing": ("现状用房", "existing premises"),
    "map_marker_size": ("圆圈大小按建筑面积：{sizes}", "circle size by floor area: {sizes}"),
    "map_reach_note": (
        "距计入面积的社区用房 {distance:g} 米（直线）以内",
        "within {distance:g} m (straight line) of the premises counted",
    ),
    "map_outside_note": (
        "黑色虚线框：小区{origin}距最近用房超过 {distance:g} 米",
        "black dashed outline: the estate's {origin} is more than {distance:g} m from the nearest premises",
    ),
    "map_origin_centroid": ("中心点", "centre"),
    "map_origin_edge": ("边界", "nearest edge"),
    "map_no_pm_note": (
        "棕色点线框：无物业管理（R8）",
        "brown dotted outline: no property management (R8)",
    ),
    "map_data_note": ("数据说明", "About the data"),
    "map_tianditu_no_key": (
        "未设置天地图密钥（环境变量 TIANDITU_KEY），未提供天地图底图",
        "no Tianditu key (environment variable TIANDITU_KEY): Tianditu basemap left out",
    ),
    "map_tianditu_needs_key": (
        "天地图底图需要密钥：请设置环境变量 TIANDITU_KEY，或传入 tianditu_key",
        "the Tianditu basemap needs a key: set the environment variable TIANDITU_KEY or pass tianditu_key",
    ),
    "map_amap_shift": (
        "高德底图：叠加图层已偏移为 GCJ-02 坐标显示；导出的数据未偏移",
        "Amap basemap: overlays are shifted to GCJ-02 for display; exported data is not shifted",
    ),
    "map_offline": (
        "断网时底图空白，其余图层照常显示",
        "offline, the basemap stays blank and every other layer still shows",
    ),
    "map_bad_basemap": (
        "未知底图“{basemap}”；可选：{valid}",
        "unknown basemap '{basemap}'; choose one of {valid}",
    ),
    "map_bad_lang": (
        "未知语言“{lang}”；可选：{valid}",
        "unknown language '{lang}'; choose one of {valid}",
    ),
    "map_summary_communities": ("社区数", "Communities"),
    "map_summary_status": ("达标 / 不足 / 无用房", "meets / short / none"),
    "map_summary_households": ("户数合计", "Households"),
    "map_summary_estates": ("小区数", "Estates"),
    "map_summary_premises": ("社区用房数", "Premises"),
    # bureau export
    "bureau_unknown_crs": (
        "未知坐标系“{crs}”；可用的坐标系：{valid}",
        "unknown CRS '{crs}'; valid CRSs: {valid}",
    ),
    "bureau_unknown_format": (
        "未知格式“{format}”；可用的格式：{valid}（可重复 --format 或用逗号分隔）",
        "unknown format '{format}'; valid formats: {valid} (repeat --format or separate them with commas)",
    ),
    "bureau_crs_4490": (
        "EPSG:4490 CGCS2000 经纬度（默认）",
        "EPSG:4490 CGCS2000 geographic (default)",
    ),
    "bureau_crs_gk3_cm": (
        "EPSG:{code} CGCS2000 3度带 中央经线{cm}°E（横坐标不带带号）",
        "EPSG:{code} CGCS2000 3-degree Gauss-Kruger CM {cm}E",
    ),
    "bureau_crs_gk3_prefixed": (
        "EPSG:{code} CGCS2000 3度带 第{zone}带（横坐标带带号）",
        "EPSG:{code} CGCS2000 3-degree Gauss-Kruger zone {zone} (zone-prefixed easting)",
    ),
    "bureau_crs_gk6_cm": (
        "EPSG:{code} CGCS2000 6度带 中央经线{cm}°E（横坐标不带带号）",
        "EPSG:{code} CGCS2000 6-degree Gauss-Kruger CM {cm}E",
    ),
    "bureau_crs_gk6_prefixed": (
        "EPSG:{code} CGCS2000 6度带 第{zone}带（横坐标带带号）",
        "EPSG:{code} CGCS2000 6-degree Gauss-Kruger zone {zone} (zone-prefixed easting)",
    ),
    "bureau_crs_zone": (
        "zone：本县所在的 CGCS2000 3度带（即运行的工作坐标系，德清为 EPSG:4549）",
        "zone: the county's own CGCS2000 3-degree zone (the run's working CRS; Deqing: EPSG:4549)",
    ),
    "bureau_crs_zone_prefixed": (
        "zone-prefixed：同一3度带，横坐标带带号（德清为 EPSG:4528）",
        "zone-prefixed: the same 3-degree zone with the zone number in the easting (Deqing: EPSG:4528)",
    ),
    "bureau_crs_any_gk": (
        "或明确给出其他 CGCS2000 高斯-克吕格投影代码：EPSG:4534–4554（3度带，如 4549 = 中央经线120°E）、"
        "EPSG:4513–4533（3度带带带号，如 4528 = 第40带）、EPSG:4491–4512（6度带）",
        "or any other CGCS2000 Gauss-Kruger code named explicitly: EPSG:4534–4554 (3-degree, e.g. "
        "4549 = CM 120E), EPSG:4513–4533 (3-degree, zone-prefixed, e.g. 4528 = zone 40), "
        "EPSG:4491–4512 (6-degree)",
    ),
    "bureau_zone_far": (
        "{crs} 的中央经线与数据（{west}°E–{east}°E）相差 {offset}°，超过 {limit}°：长度和面积的变形将超过"
        "千分之一，未导出。请用本县所在的带 --crs zone（{own}）或 --crs zone-prefixed（{own_prefixed}），"
        "或 --crs 4490（经纬度）",
        "{crs} is {offset}° of longitude from the data ({west}°E–{east}°E), more than {limit}°: lengths "
        "and areas would be stretched by more than 1/1000, so nothing was exported. Use the county's "
        "own zone, --crs zone ({own}) or --crs zone-prefixed ({own_prefixed}), or --crs 4490 (lon/lat)",
    ),
    "bureau_no_format": ("没有可以写出的格式：{skipped}", "no format can be written: {skipped}"),
    "bureau_not_writable": (
        "输出文件夹不可写：{path}（{error}）；请用 --out 指定其他文件夹，或修改该文件夹的权限",
        "the output folder is not writable: {path} ({error}); choose another with --out or fix its permissions",
    ),
    "bureau_flag_missing": (
        "请加上 --bureau：export 目前只导出报送县自然资源和规划局的数据包",
        "add --bureau: export writes only the package for the natural resources and planning bureau for now",
    ),
    "bureau_source_missing": (
        "找不到数据：{path} 既不是图层文件夹（communities.* 等），也不是运行结果文件夹（communities.geojson、estates.geojson、premises.geojson）",
        "no data found: {path} is neither a layers folder (communities.* …) nor a run folder (communities.geojson, estates.geojson, premises.geojson)",
    ),
    "bureau_gdb_unavailable": (
        "已跳过 FileGDB：当前安装的 GDAL {version} 不能写 FileGDB（需要 OpenFileGDB 驱动的写入支持，GDAL ≥ 3.6）",
        "FileGDB skipped: the installed GDAL {version} cannot write it (needs write support in the OpenFileGDB driver, GDAL >= 3.6)",
    ),
    "bureau_gdb_failed": (
        "已跳过 FileGDB：GDAL 写入失败：{error}",
        "FileGDB skipped: GDAL failed to write it: {error}",
    ),
    "bureau_gbk": (
        "Shapefile 无法用 GBK 保存图层 {layer} 中 {id} 的字段 {field}（{code}）的值“{value}”（字符 {chars}）：Shapefile 中该值留空，GeoJSON/GeoPackage/FileGDB 保留原值",
        "the Shapefile cannot hold in GBK the value '{value}' of field {field} ({code}) of {id} in layer {layer} (characters {chars}): left empty in the Shapefile, kept in GeoJSON/GeoPackage/FileGDB",
    ),
    "bureau_truncated": (
        "Shapefile 文本最长 {limit} 字节：图层 {layer} 字段 {field}（{code}）有 {n} 个值已截断并以“…”结尾：{rows}；GeoJSON/GeoPackage/FileGDB 保留全文",
        "Shapefile text holds at most {limit} bytes: {n} values of field {field} ({code}) in layer {layer} were cut and end with '…': {rows}; GeoJSON/GeoPackage/FileGDB keep the full text",
    ),
    "bureau_field_unlisted": (
        "图层 {layer} 的字段“{field}”不在字段字典中，Shapefile 中字段代码为 {code}",
        "field '{field}' of layer {layer} is not in the field dictionary; its Shapefile code is {code}",
    ),
    "bureau_field_unlisted_meaning": (
        "原样导出的字段（字段字典未收录）",
        "field exported as it was (not in the field dictionary)",
    ),
    "bureau_empty_layer": (
        "图层 {layer} 没有要素，未导出",
        "layer {layer} has no features and was not exported",
    ),
    "bureau_no_sites": (
        "本次结果没有建议点位（R7 用房选址）图层",
        "these results have no proposed sites layer (R7 premises siting)",
    ),
    "bureau_run_precision": (
        "从运行结果文件夹导出：坐标取自 RFC 7946 GeoJSON（7 位小数，约 1 厘米），数值已按运行结果四舍五入；需要更高精度请从图层文件夹导出",
        "exported from a run folder: coordinates come from RFC 7946 GeoJSON (7 decimals, about 1 cm) and figures are rounded as in the run; export from the layers folder for full precision",
    ),
    "bureau_run_no_report": (
        "运行结果文件夹中没有可读的 report.xlsx：规则版本和源图层校验值未知",
        "the run folder has no readable report.xlsx: the rules version and the source layers' checksums are unknown",
    ),
    "bureau_verify_header": (
        "导出包核验未通过（{n} 个问题），原有导出包保持不变：",
        "the export package failed its check ({n} problems); the previous package was left as it was:",
    ),
    "bureau_check_unreadable": ("无法读回：{error}", "cannot be read back: {error}"),
    "bureau_check_count": (
        "要素数为 {got}，应为 {expected}",
        "{got} features, expected {expected}",
    ),
    "bureau_check_ids": (
        "编号（{field}）与源数据不一致：{rows}",
        "ids ({field}) differ from the source: {rows}",
    ),
    "bureau_check_crs": ("坐标系为 {got}，应为 {expected}", "CRS is {got}, expected {expected}"),
    "bureau_check_columns": ("缺少字段：{fields}", "fields missing: {fields}"),
    "bureau_check_vertices": (
        "顶点数与源数据不同：{rows}",
        "vertex counts differ from the source: {rows}",
    ),
    "bureau_check_coords": (
        "{n} 个抽样坐标偏差超过 {tolerance_mm:g} 毫米（最大 {max_mm:.3f} 毫米）：{rows}",
        "{n} sampled coordinates are off by more than {tolerance_mm:g} mm (largest {max_mm:.3f} mm): {rows}",
    ),
    "bureau_check_text": (
        "字段 {field} 的文本与源数据不一致：{rows}",
        "text of field {field} differs from the source: {rows}",
    ),
    "bureau_check_numbers": (
        "字段 {field} 的数值与源数据不一致：{rows}",
        "values of field {field} differ from the source: {rows}",
    ),
    "bureau_check_dictionary": (
        "字段字典缺少图层 {layer} 的字段代码：{codes}",
        "the field dictionary lacks codes of layer {layer}: {codes}",
    ),
    "bureau_check_zip": (
        "压缩包内容与导出文件夹不一致：{names}",
        "the zip's contents differ from the package folder: {names}",
    ),
    "bureau_step_read": ("读取数据", "Reading data"),
    "bureau_step_write": ("写出", "Writing"),
    "bureau_step_verify": ("读回核验", "Reading back and checking"),
    "bureau_step_zip": ("打包", "Zipping"),
    "bureau_done": ("导出包已写入", "Package written to"),
    "bureau_counts_title": ("导出要素数", "Features exported"),
    "bureau_skipped": ("未写出 {format}：{reason}", "{format} not written: {reason}"),
    "bureau_layer": ("图层", "Layer"),
    "bureau_layer_communities": ("社区边界", "community boundaries"),
    "bureau_layer_estates": ("小区", "residential estates"),
    "bureau_layer_premises": ("社区用房", "community premises"),
    "bureau_layer_sites": ("建议点位", "proposed sites"),
    "bureau_readme_title": (
        "社区布局与社区用房规划成果数据包（报送县自然资源和规划局）",
        "Community layout and community premises planning: data package for the county natural resources and planning bureau",
    ),
    "bureau_readme_exported": (
        "导出时间：{when}（gis_planner {version}）",
        "Exported: {when} (gis_planner {version})",
    ),
    "bureau_readme_source": ("数据来源：{source}", "Source: {source}"),
    "bureau_readme_rules": (
        "规则文件：{files}（版本 {version}，SHA-256 {sha}）",
        "Rules: {files} (version {version}, SHA-256 {sha})",
    ),
    "bureau_readme_crs": ("坐标系：{crs}", "Coordinate reference system: {crs}"),
    "bureau_readme_layers": ("图层与要素数：", "Layers and feature counts:"),
    "bureau_readme_layer_line": (
        "  {file}（{name}）：{n} 个要素",
        "  {file} ({name}): {n} features",
    ),
    "bureau_readme_files": ("文件：", "Files:"),
    "bureau_readme_geojson": (
        "  geojson/<图层>.geojson        GeoJSON（UTF-8），文件内声明坐标系 {crs}",
        "  geojson/<layer>.geojson        GeoJSON (UTF-8) stating its CRS, {crs}",
    ),
    "bureau_readme_wgs84": (
        "  geojson/<图层>_wgs84.geojson  WGS84 经纬度（EPSG:4326，RFC 7946），供网页系统使用；CGCS2000 与 WGS84 按一致处理（相差厘米级）",
        "  geojson/<layer>_wgs84.geojson  WGS84 lon/lat (EPSG:4326, RFC 7946) for web systems; CGCS2000 is taken as WGS84 (they differ by centimetres)",
    ),
    "bureau_readme_shp": (
        "  shp/<图层>.shp                Shapefile，GBK 编码（附 .cpg）与空间索引（.qix），字段名为字段代码",
        "  shp/<layer>.shp                Shapefile, GBK text (with .cpg) and a spatial index (.qix), field names are the field codes",
    ),
    "bureau_readme_gpkg": (
        "  gpkg/bureau.gpkg              GeoPackage 1.2，每个图层一张表，字段别名为中文名称（gpkg_data_columns）",
        "  gpkg/bureau.gpkg               GeoPackage 1.2, one table per layer, field aliases from the field dictionary (gpkg_data_columns)",
    ),
    "bureau_readme_gdb": (
        "  gdb/bureau.gdb                文件地理数据库（FileGDB）",
        "  gdb/bureau.gdb                 File geodatabase (FileGDB)",
    ),
    "bureau_readme_dictionary": (
        "  field_dictionary.csv / .xlsx  字段字典：字段代码、英文字段名、中英文名称、类型、单位与说明",
        "  field_dictionary.csv / .xlsx   field dictionary: code, field, Chinese and English names, type, unit, meaning",
    ),
    "bureau_readme_metadata": (
        "  metadata.json                 导出信息、源数据及每个文件的 SHA-256 校验值",
        "  metadata.json                  what was exported, and the SHA-256 of the sources and of every file",
    ),
    "bureau_readme_values": (
        "枚举字段保存中文取值（如 达标、半封闭），英文代码保存在其后的代码字段（字段名加 _code，Shapefile 字段代码加 DM）；是否字段为“是/否”。",
        "Enumerated fields hold their labels (e.g. semi-open, needs survey), their codes are kept in the code field after them (the field name + _code, in the Shapefile the code + DM); yes/no fields hold yes or no.",
    ),
    "bureau_readme_verified": (
        "写出后已逐一读回核验：要素数、编号、坐标（抽样，误差不超过 1 毫米）与中文文本均与源数据一致。",
        "Every file was read back after writing: feature counts, ids, coordinates (sampled, within 1 mm) and Chinese text match the source.",
    ),
    "bureau_readme_gbk": (
        "Shapefile 中有 {n} 个值含 GBK 无法表示的字符，已留空（见 metadata.json），其他格式保留原值。",
        "{n} value(s) hold characters GBK cannot encode: left empty in the Shapefile (see metadata.json), kept in the other formats.",
    ),
    "bureau_readme_truncated": (
        "Shapefile 中有 {n} 个文本值超过 254 字节，已截断并以“…”结尾（见 metadata.json），其他格式保留全文。",
        "{n} text value(s) longer than 254 bytes were cut in the Shapefile and end with '…' (see metadata.json); the other formats keep the full text.",
    ),
    "bureau_readme_note": ("数据说明：{note}", "Note on the data: {note}"),
    "bureau_readme_notes": ("说明：", "Notes:"),
    "bureau_readme_axis": (
        "EPSG:4490 的 GeoJSON 与 WGS84 副本坐标顺序均为“经度, 纬度”。",
        "In the EPSG:4490 GeoJSON, as in the WGS84 copy, coordinates are in longitude, latitude order.",
    ),
    # scenario
    "plan_year_before_data": (
        "规划年份 {year} 早于数据年份 {data_year}：请用 {data_year} 年或以后的年份（数据年份见规则 settings.data_year，未设置时为当前年份）",
        "plan year {year} is before the data year {data_year}: use {data_year} or later (the data year is the rule settings.data_year; unset, the current year)",
    ),
    "rules_data_year": (
        "规则 settings.data_year = {value!r} 必须是年份（例如 2024），或 null 表示当前年份",
        "settings.data_year = {value!r} must be a year (e.g. 2024) or null for the current year",
    ),
    "plan_year_not_int": (
        "规划年份必须是整数年份（例如 2035，不早于数据年份 {data_year}），而不是 {year!r}",
        "the plan year must be a whole year (e.g. 2035, not before the data year {data_year}), not {year!r}",
    ),
    "assignment_unknown": (
        "小区归属调整（estate_assignments）指向不存在的小区或社区，已忽略，这些小区仍按面积分配：{rows}；现有社区：{valid}",
        "estate assignments (estate_assignments) naming no estate or no community were ignored, those estates are allocated by area: {rows}; communities: {valid}",
    ),
    "parcels_no_year": (
        "出让地块没有交付年份，未计入 {year} 年户数：{rows}",
        "development parcels without a delivery year are not counted in {year}: {rows}",
    ),
    "parcels_before_data_year": (
        "出让地块的交付年份早于数据年份 {data_year}，其户数可能已计入小区图层（仍已计入）：{rows}",
        "development parcels delivered before the data year {data_year} are counted, but their households may already be in the estates layer: {rows}",
    ),
    "parcels_outside": (
        "出让地块不在任何社区内，无法确定所属社区和规划条件：{rows}",
        "development parcels in no community: no community and no planning condition: {rows}",
    ),
    "parcels_no_households": (
        "出让地块既没有规划户数也没有住宅建筑面积，无法计算规划条件：{rows}",
        "development parcels with neither planned households nor residential floor area: no planning condition: {rows}",
    ),
    "r2_no_households": (
        "未填规划户数或住宅建筑面积",
        "no planned households or residential floor area",
    ),
    "r2_from_floor_area": (
        "按住宅建筑面积 {area:,.0f} ㎡ ÷ 户均 {average:g} ㎡ 计 {households:,} 户",
        "{households:,} households from {area:,.0f} m² of residential floor area ÷ {average:g} m² a dwelling",
    ),
    "r2_no_community": ("不在任何社区内", "in no community"),
    "r2_straddles": (
        "跨社区：{share:.0%} 面积在{community}，归入该社区",
        "straddles communities: {share:.0%} of its area in {community}, which it belongs to",
    ),
    "r2_rule": (
        "社区加上全部出让地块后 {after:,} 户，按{standard}应配 max({rate:g} ㎡/百户, {minimum:,.0f} ㎡) = {required:,.1f} ㎡，现状及规划用房 {have:,.1f} ㎡，缺口 {shortfall:,.1f} ㎡",
        "community with every parcel: {after:,} households; {standard} standard max({rate:g} m² per 100 households, {minimum:,.0f} m²) = {required:,.1f} m²; existing and planned premises {have:,.1f} m²; shortfall {shortfall:,.1f} m²",
    ),
    "r2_enough": (
        "现状及规划用房已满足，无需配建",
        "existing and planned premises suffice: nothing to build",
    ),
    "r2_shared": (
        "缺口由本社区 {n} 个地块按户数比例分摊，本地块占 {share:.1%}",
        "the shortfall is shared by the community's {n} parcels pro rata to households: this one {share:.1%}",
    ),
    "scn_default_name": ("现状", "current"),
    "scn_current": ("现状", "current"),
    "scn_total": ("合计", "total"),
    "scn_map_shortfall": ("缺口合计 {value:,.0f} m²", "total shortfall {value:,.0f} m²"),
    "scn_unknown_estate": (
        "小区“{id}”不存在；现有 {n} 个小区：{ids}",
        "estate '{id}' does not exist; the {n} estates are: {ids}",
    ),
    "scn_unknown_community": (
        "社区“{id}”不存在；现有 {n} 个社区：{ids}",
        "community '{id}' does not exist; the {n} communities are: {ids}",
    ),
    "scn_unknown_premises": (
        "社区用房“{id}”不存在；现有 {n} 处用房：{ids}",
        "premises '{id}' do not exist; the {n} premises are: {ids}",
    ),
    "scn_unknown_parcel": (
        "出让地块“{id}”不存在；现有 {n} 个地块：{ids}",
        "development parcel '{id}' does not exist; the {n} parcels are: {ids}",
    ),
    "scn_id_required": ("请给出{kind}", "give the {kind}"),
    "scn_id_taken": (
        "{kind}“{id}”已存在，请换一个；已用：{ids}",
        "{kind} '{id}' is taken: choose another; in use: {ids}",
    ),
    "scn_bad_geometry": ("{what} 的位置无效：{value}", "invalid location for {what}: {value}"),
    "scn_one_location": (
        "{what}：geometry、xy、lonlat 只能给一个",
        "{what}: give only one of geometry, xy, lonlat",
    ),
    "scn_location_needed": (
        "{what}：请给出位置（geometry、xy 或 lonlat）",
        "{what}: give its location (geometry, xy or lonlat)",
    ),
    "scn_premises_where": (
        "{what}：请给出 community_id 或位置（geometry、xy、lonlat）",
        "{what}: give a community_id or a location (geometry, xy, lonlat)",
    ),
    "scn_far_away": (
        "{what} 离社区范围 {km:.0f} km：坐标应为 EPSG:4549 米（xy）或 WGS84 经纬度（lonlat）",
        "{what} lies {km:.0f} km from the communities: xy is EPSG:4549 metres, lonlat is WGS84",
    ),
    "scn_outside": ("{what} 不在任何社区内", "{what} lies in no community"),
    "scn_households_needed": (
        "请给出 planned_households（规划户数）或 residential_floor_area_m2（住宅建筑面积）",
        "give planned_households or residential_floor_area_m2",
    ),
    "scn_households_or_area": (
        "planned_households 与 residential_floor_area_m2 只能给一个",
        "give planned_households or residential_floor_area_m2, not both",
    ),
    "scn_nothing_to_change": (
        "{what}：没有要修改的内容；可修改：{fields}",
        "{what}: nothing to change; give one of {fields}",
    ),
    "scn_merge_two": (
        "合并至少需要两个不同的社区；现有社区：{ids}",
        "merging needs at least two different communities; the communities are: {ids}",
    ),
    "scn_merge_kinds": (
        "合并的社区类型不同，{name}沿用第一个社区的类型（{kind}）",
        "the merged communities differ in kind: {name} keeps the first one's ({kind})",
    ),
    "scn_split_parts": (
        "拆分需要至少两个新社区，且社区代码互不相同",
        "a split needs at least two new communities with different ids",
    ),
    "scn_split_line_two": (
        "按分割线拆分时 into 必须正好两项（左侧、右侧），且不列小区",
        "a split by a line takes exactly two entries in into (left, right) and no estates",
    ),
    "scn_split_line_misses": (
        "分割线没有把社区 {id} 分成两部分：请让它完整穿过社区",
        "the line does not divide community {id} in two: make it cross the community",
    ),
    "scn_split_needs": (
        "按小区拆分时，into 的每一项都要列出小区（estates），且需要小区图层",
        "a split by estates needs an estates layer and a list of estates in every entry of into",
    ),
    "scn_split_twice": (
        "小区 {id} 被列入了两个新社区",
        "estate {id} is listed in two new communities",
    ),
    "scn_split_not_in": (
        "小区 {ids} 不在社区 {community} 内；该社区的小区：{estates}",
        "estates {ids} are not in community {community}; its estates are: {estates}",
    ),
    "scn_rules_mapping": (
        "规则修改必须是规则名（如 premises.standards.new.per_100_households_m2）或规则的嵌套映射",
        "rule changes must be a rule name (e.g. premises.standards.new.per_100_households_m2) or a nested mapping of rules",
    ),
    "scn_file_missing": ("情景文件不存在：{path}", "scenario file not found: {path}"),
    "scn_file_bad": (
        "情景文件 {path} 不是有效的 YAML：{error}",
        "scenario file {path} is not valid YAML: {error}",
    ),
    "scn_file_problems": (
        "{source}：情景有 {n} 个问题：",
        "{source}: {n} problems in the scenario:",
    ),
    "scn_unknown_key": (
        "未知的情景配置项“{key}”；可用的配置项：{valid}",
        "unknown scenario key '{key}'; valid keys: {valid}",
    ),
    "scn_edits_list": (
        "edits 必须是修改的列表；可用的修改：{valid}",
        "edits must be a list of edits; valid edits: {valid}",
    ),
    "scn_edit_shape": (
        "{where}：每项修改必须是只有一个键的映射（修改名: 参数），而不是 {edit!r}；可用的修改：{valid}",
        "{where}: each edit must be a mapping with one key (edit: arguments), not {edit!r}; valid edits: {valid}",
    ),
    "scn_unknown_edit": (
        "{where}：未知修改“{edit}”；可用的修改：{valid}",
        "{where}: unknown edit '{edit}'; valid edits: {valid}",
    ),
    "scn_edit_args_mapping": (
        "{where}：{edit} 的参数必须是映射；可用参数：{valid}",
        "{where}: the arguments of {edit} must be a mapping; valid arguments: {valid}",
    ),
    "scn_unknown_args": (
        "{edit}：未知参数 {args}；可用参数：{valid}",
        "{edit}: unknown arguments {args}; valid arguments: {valid}",
    ),
    "scn_missing_args": ("{edit}：缺少参数 {args}", "{edit}: missing arguments {args}"),
    "scn_no_base": (
        "{source}：没有图层文件夹：请在情景文件中写 base，或在命令行给出图层文件夹",
        "{source}: no layers folder: write base in the scenario file or give the layers folder",
    ),
    "scn_base_overridden": (
        "情景文件的 base（{file}）与给出的图层文件夹不同，已使用 {base}",
        "the scenario file's base ({file}) differs from the layers folder given: {base} used",
    ),
    "scn_compare_none": ("请至少给出一个情景", "give at least one scenario"),
    "scn_in_edit": ("{where} {edit}：{text}", "{where} {edit}: {text}"),
    "scn_year_not_int": (
        "year 必须是整数年份（例如 2035），而不是 {year!r}",
        "year must be a whole year (e.g. 2035), not {year!r}",
    ),
    "scn_year_too_late": (
        "规划年份 {year} 晚于图层允许的最后规划年份 {latest}，像是输入错误",
        "plan year {year} lies past the last plan year the layers allow, {latest}: a typing error?",
    ),
    "scn_top_mapping": ("顶层必须是键值映射（key: value）", "the top level must be a mapping"),
    "scn_merge_apart": (
        "社区 {ids} 互不相邻：合并后将是 {n} 块互不相连的辖区（{groups}），最近处相距 {distance_m:,.0f} 米；请合并相邻的社区，如确属飞地，请在该修改中写 allow_apart: true",
        "communities {ids} do not touch: the merged community would be {n} separate areas ({groups}), {distance_m:,.0f} m apart at the nearest; merge neighbouring communities, or give allow_apart: true for a deliberate enclave",
    ),
    "scn_merge_corner": (
        "合并的社区只在角点相接（共用边界短于 {limit:g} 米）：{pairs}；合并后的社区仅靠此处相连",
        "the merged communities touch only at a corner (a shared boundary under {limit:g} m): {pairs}; the merged community hangs together only there",
    ),
    "scn_move_apart": (
        "小区 {estate} 与社区 {community} 不相邻（相距 {distance_m:,.0f} 米），其户数仍全部计入该社区",
        "estate {estate} does not touch community {community} ({distance_m:,.0f} m away); all its households are counted there all the same",
    ),
    "scn_edit_add_parcel": ("新增出让地块", "add development parcel"),
    "scn_edit_update_parcel": ("修改出让地块", "change development parcel"),
    "scn_edit_remove_parcel": ("取消出让地块", "remove development parcel"),
    "scn_edit_add_premises": ("新增社区用房", "add premises"),
    "scn_edit_remove_premises": ("取消社区用房", "remove premises"),
    "scn_edit_resize_premises": ("调整用房面积", "resize premises"),
    "scn_edit_move_estate": ("小区调整社区", "move estate"),
    "scn_edit_merge_communities": ("合并社区", "merge communities"),
    "scn_edit_split_community": ("拆分社区", "split community"),
    "scn_edit_set_rule": ("修改规则", "change rule"),
    "scn_edit_with_rules": ("修改规则", "change rules"),
    "summary_plan_year": ("规划年份（数据年份）", "Plan year (data year)"),
    "summary_parcels": (
        "计入的出让地块 / 新增户数",
        "Development parcels counted / households added",
    ),
    "summary_conditions": (
        "出让地块规划条件配建面积合计",
        "Premises in the parcels' planning conditions",
    ),
    # layout revision (R7, 一(一)): boundary proposals, premises siting, rasters
    "layout_crs": (
        '图层坐标系为 {crs}，不是工作坐标系 {working}（CGCS2000 3 度带 EPSG:4534–4554 中图层经度所在的一带）；请用 load_layers 读入，或先 to_crs("{working}")',
        "the layer's CRS is {crs}, not the working CRS {working} (the CGCS2000 3-degree zone, EPSG:4534–4554, of the layer's longitude); read it with load_layers or reproject it with to_crs(\"{working}\") first",
    ),
    "paths_no_lines": (
        "步行路网图层没有线要素；请提供步行道路中心线（LineString）",
        "the paths layer holds no lines; give the walking paths as LineStrings",
    ),
    "paths_components": (
        "步行路网不连通：共 {n} 个连通部分，其中 {reachable} 个连到用房或备选点位（{components}；✗ 表示不可达）；{moved} 个小区已吸附到最近的可达路段",
        "the paths network is not connected: {n} components, {reachable} of them reach a premises or candidate site ({components}; ✗ = unreachable); {moved} estates were snapped to the nearest reachable path",
    ),
    "candidates_outside": (
        "{n} 个备选点位不在任何社区内，已剔除：{rows}",
        "{n} candidate sites lie in no community and were left out: {rows}",
    ),
    "no_candidates": (
        "没有可用的备选点位：请提供备选点位图层（candidate_sites），或提供出让地块/小区图层以生成备选点位",
        "no candidate sites: give a candidate_sites layer, or development parcels / estates to generate candidates from",
    ),
    "too_many_sites": (
        "要求新增 {p} 处用房点位，但只有 {n} 个备选点位；请减少点位数或增加备选点位",
        "{p} new sites were asked for but there are only {n} candidate sites; ask for fewer sites or add candidates",
    ),
    "estates_uncoverable": (
        "{n} 个小区（{households} 户）直线 {distance:.0f} m 内既无现有用房也无备选点位，任何选址都无法覆盖：{rows}",
        "{n} estates ({households} households) have neither a premises nor a candidate site within {distance:.0f} m in a straight line, so no choice of sites can cover them: {rows}",
    ),
    "estates_uncoverable_network": (
        "{n} 个小区（{households} 户）沿步行路网 {distance:.0f} m 内既无现有用房也无备选点位，任何选址都无法覆盖：{rows}",
        "{n} estates ({households} households) have neither a premises nor a candidate site within {distance:.0f} m along the paths, so no choice of sites can cover them: {rows}",
    ),
    "solver_not_optimal": (
        "{model} 模型在时限内未能证明最优（状态 {status}，剩余差距 {gap:.2%}）；可在规则 layout.solver_time_limit_s 中放宽时限",
        "the {model} model stopped before proving the optimum (status {status}, gap {gap:.2%}); raise layout.solver_time_limit_s in the rules",
    ),
    "split_name": ("{name}（拆分{k}）", "{name} (part {k})"),
    "decision_split": ("拆分为 {k} 部分，分属：{parts}", "split into {k} parts, now in {parts}"),
    "decision_merged": (
        "整体并入 {target}（合并后 {households} 户）",
        "merged whole into {target} ({households} households together)",
    ),
    "decision_dissolved": (
        "所辖小区分别划入相邻社区：{targets}",
        "its estates go to the neighbouring communities {targets}",
    ),
    "decision_rebalanced": (
        "与 {other} 重新划界：从其划入 {n} 个小区",
        "boundary with {other} redrawn: {n} estates move over from it",
    ),
    "decision_shifted": (
        "与 {others} 调整边界：划入 {moved_in} 个、划出 {moved_out} 个小区",
        "boundary adjusted with {others}: {moved_in} estates move in, {moved_out} out",
    ),
    "decision_none": ("未能提出方案：{reason}", "no proposal: {reason}"),
    "reason_estate_too_large": (
        "小区 {estate} 单独就有 {households} 户，超过上限 {maximum} 户",
        "estate {estate} alone holds {households} households, above the maximum of {maximum}",
    ),
    "reason_no_partition": (
        "找不到每部分都在 {minimum}–{maximum} 户且连片的划分（可检查分隔要素或小区户数）",
        "no contiguous split with every part within {minimum}–{maximum} households (check the hard edges and the estates' households)",
    ),
    "reason_no_neighbour": (
        "没有可并入或重新划界的相邻社区（合并后会超过 {maximum} 户，或被分隔要素隔开）",
        "no neighbouring community can take it or share a new boundary (a merge would exceed {maximum} households, or a hard edge is in the way)",
    ),
    "boundary_unresolved": (
        "{n} 个规模不在范围内的社区未能提出调整方案：{rows}",
        "{n} communities out of range got no proposal: {rows}",
    ),
    "boundary_estates_outside": (
        "{n} 个小区不属于任何社区，未参与社区范围调整：{rows}",
        "{n} estates belong to no community and take no part in the boundary proposal: {rows}",
    ),
    "raster_estimated": (
        "{n} 个小区没有户数，已由人口栅格估算（面积加权求和 ÷ 户均 {size} 人）：{rows}",
        "{n} estates had no household count: estimated from the population raster (area-weighted sum ÷ {size} persons per household): {rows}",
    ),
    "raster_no_estimate": (
        "{n} 个小区不在人口栅格的有效范围内，无法估算户数：{rows}",
        "{n} estates lie off the population raster's valid cells: households not estimated: {rows}",
    ),
    "raster_not_found": ("人口栅格文件不存在：{path}", "population raster not found: {path}"),
    "access_no_premises": (
        "没有现有或规划的用房：至用房的距离栅格（现状）全部为无数据",
        "no premises: the accessibility raster holds no distances",
    ),
    "solver_time_budget": (
        "{model} 模型在求解时限内未能证明最优（已用 {seconds:.0f} s；每次求解 layout.solver_time_limit_s = {per_solve:.0f} s，每次运行合计 layout.solver_total_time_limit_s = {total:.0f} s）：保留已找到的最好方案（不劣于贪心解），距最优至多差 {gap:.2%}；如需证明最优，可在规则中放宽这两个时限",
        "the {model} model stopped at the solver time limit before proving the optimum ({seconds:.0f} s used; {per_solve:.0f} s per solve, layout.solver_time_limit_s, and {total:.0f} s per run, layout.solver_total_time_limit_s): the best solution found is kept (never worse than the greedy one), at most {gap:.2%} from the optimum; raise these limits in the rules to prove it",
    ),
    # map: layout proposals
    "map_layer_proposed": ("拟调整社区边界", "Proposed community boundaries"),
    "map_layer_sites_lscp": ("集合覆盖选址（{n} 处）", "Proposed sites: set cover ({n})"),
    "map_layer_sites_mclp": ("最大覆盖选址（{n} 处）", "Proposed sites: best {n}"),
    "map_layer_paths": ("步行路网", "Walking paths"),
    "map_layer_barriers": ("分隔要素", "Barriers (hard edges)"),
    "map_kind_proposed": ("拟调整社区", "proposed community"),
    "map_kind_site_lscp": ("集合覆盖选址", "set-cover site"),
    "map_kind_site_mclp": ("最大覆盖选址", "best-p site"),
    "map_kind_barrier": ("分隔要素", "barrier"),
    "map_households_change": ("{before} → {after} 户", "{before} → {after} households"),
    "map_newly_covered": ("新增覆盖 {v} 户", "+{v} households"),
    "map_decision_of": ("{name}（{id}）：{note}", "{name} ({id}): {note}"),
    "map_proposals": ("布局调整建议（R7）", "Layout proposals (R7)"),
    "map_proposed_note": (
        "虚线框为建议边界，颜色表示调整方式；建议社区户数 {minimum:,}–{maximum:,}",
        "dashed outline: proposed boundary, coloured by the change; proposed communities hold {minimum:,}–{maximum:,} households",
    ),
    "map_sites_lscp_note": (
        "最少点位覆盖全部可覆盖小区，新增覆盖 {households} 户",
        "fewest sites reaching every estate that can be reached: +{households} households",
    ),
    "map_sites_mclp_note": (
        "{n} 处点位新增覆盖户数最多，新增覆盖 {households} 户",
        "the {n} sites newly covering the most households: +{households}",
    ),
    "map_sites_priority": (
        "点位数字为优先序（1 = 新增覆盖户数最多）",
        "the number is the priority (1 = newly covers the most households)",
    ),
    "map_summary_proposed": (
        "超出户数范围的社区 → 建议社区",
        "Communities out of range → proposed",
    ),
    "map_summary_sites": ("新增点位：集合覆盖 / 最大覆盖", "New sites: set cover / best p"),
    "map_summary_newly_covered": (
        "新增覆盖户数：集合覆盖 / 最大覆盖",
        "Households newly covered: set cover / best p",
    ),
    "map_summary_beyond": (
        "{distance:g} 米外户数：现状 → 建最大覆盖点位后",
        "Households beyond {distance:g} m: now → with the best-p sites",
    ),
    # --- data safety (outputs, CLI)
    "proposals_memory": (
        "为 {n:,} 个小区做布局调整建议约需 {need:.1f} GB 内存，本机可用 {available:.1f} GB；请加 --no-proposals 只做核算，或按街道拆分图层后分别运行",
        "layout proposals for {n:,} estates need about {need:.1f} GB of memory and {available:.1f} GB is available; add --no-proposals for the figures only, or split the layers by street and run each",
    ),
    "interrupted": (
        "已中断；之前的输出保持不变",
        "interrupted; the previous outputs are unchanged",
    ),
    "crash": (
        "很抱歉，gis-planner 遇到了内部错误（{error}），这是本工具的缺陷，不是您的数据的问题；之前的输出保持不变。详细信息已写入 {path}，请将该文件连同所用命令一并反馈",
        "sorry, gis-planner hit an internal error ({error}): a bug of this tool, not of your data; the previous outputs are unchanged. The details are in {path}; please report it with the command you ran",
    ),
    "out_not_folder": (
        "--out {out} 是一个文件，不是文件夹；请指定一个文件夹",
        "--out {out} is a file, not a folder; give a folder",
    ),
    "out_too_broad": (
        "--out {out} 是根目录或用户主目录，结果文件会与其他文件混在一起；请指定一个专用文件夹（例如 outputs）",
        "--out {out} is a root or home folder, where outputs would mix with other files; give a folder of its own (e.g. outputs)",
    ),
    "out_not_writable": (
        "无法写入输出文件夹 {out}（{error}）；请用 --out 指定其他文件夹，或修改该文件夹的权限",
        "cannot write to the output folder {out} ({error}); choose another --out or change its permissions",
    ),
    "out_disk_full": (
        "输出文件夹 {out} 所在磁盘只剩 {free:,.0f} MB，本次运行约需 {need:,.0f} MB；请清理磁盘或用 --out 指定其他磁盘上的文件夹",
        "the disk of the output folder {out} has {free:,.0f} MB free and this run needs about {need:,.0f} MB; free some space or choose an --out on another disk",
    ),
    "out_write_failed": (
        "写出结果到 {out} 失败（{error}），之前的输出保持不变；请检查磁盘空间和权限后重试",
        "writing the outputs to {out} failed ({error}); the previous outputs are unchanged; check disk space and permissions and try again",
    ),
    "year_too_late": (
        "--year {year} 晚于可接受的最晚规划年份 {latest}；请检查年份",
        "--year {year} is after the latest plan year accepted, {latest}; check the year",
    ),
    "bureau_foreign": (
        "{paths} 不是本工具写出的数据包，导出不会删除或覆盖它；请移走它，或用 --out 指定其他文件夹",
        "{paths} is not a package written by this tool, and export never deletes or replaces it; move it away or choose another --out",
    ),
    "out_busy": (
        "另一个 gis-planner 进程正在写入输出文件夹 {path}；请等它结束，或用 --out 指定其他文件夹",
        "another gis-planner process is writing to the output folder {path}; wait for it to finish or choose another --out",
    ),
    # --- datums and the working CRS (issue 10: legacy and local coordinate systems)
    "crs_zones_mixed": (
        "图层不在同一个投影带：{zones}；请把它们转换到同一个 CGCS2000 3 度带（用 load_layers 读入即可）",
        "the layers are in different zones: {zones}; reproject them to one CGCS2000 3-degree zone (load_layers does)",
    ),
    "datum_ballpark": (
        "坐标系 {crs}（大地基准 {datum}）到 CGCS2000 只有 PROJ 的“粗略（ballpark）”转换：精度未知，实际上不做基准转换，误差可达数十至上百米，因此拒绝读入。"
        "请在 planner.yaml 的 layers.{layer} 下给出主管部门公布的转换参数——七参数 transform: {{type: helmert7, tx, ty, tz（米）, rx, ry, rz（角秒）, s（ppm）, convention: coordinate_frame 或 position_vector}}，"
        '或平面四参数 transform: {{type: helmert4, dx, dy（米）, rotation_arcsec, scale_ppm, axes: north_east（x 为北坐标）或 east_north, target_crs: "EPSG:45xx"}}；'
        "或把 crs 写成带 +towgs84 的 PROJ 串或 WKT；如果确实是 CGCS2000，请用 EPSG 代码（例如 EPSG:4549）或注明基准的 WKT；如明知偏差仍要使用，写 accept_ballpark: true（所有成果都会注明）",
        "the CRS {crs} (datum {datum}) has only PROJ's 'ballpark' transformation to CGCS2000: accuracy unknown, in effect no datum shift at all, off by tens to hundreds of metres — so the layer is refused. "
        "Give the bureau's published transformation in planner.yaml under layers.{layer}: the 7 parameters transform: {{type: helmert7, tx, ty, tz (m), rx, ry, rz (arc seconds), s (ppm), convention: coordinate_frame or position_vector}}, "
        'or the plane 4 parameters transform: {{type: helmert4, dx, dy (m), rotation_arcsec, scale_ppm, axes: north_east (x = northing) or east_north, target_crs: "EPSG:45xx"}}; '
        "or a PROJ string or WKT with +towgs84 as its crs; if it really is CGCS2000, name it by EPSG code (e.g. EPSG:4549) or by a WKT naming the datum; to use it knowing the error, set accept_ballpark: true (every output will say so)",
    ),
    "datum_ballpark_accepted": (
        "未做基准转换：{text}；所有面积、距离和位置都带有这一误差",
        "no datum shift: {text}; every area, distance and position carries this error",
    ),
    "datum_shifted": ("已做基准转换：{text}", "datum shifted: {text}"),
    "shift_helmert7": (
        "{source} → {target}：七参数（布尔莎-沃尔夫，{convention}）tx={tx} ty={ty} tz={tz} 米，rx={rx} ry={ry} rz={rz} 角秒，s={s} ppm（planner.yaml）",
        "{source} → {target}: 7-parameter Helmert (Bursa–Wolf, {convention}) tx={tx} ty={ty} tz={tz} m, rx={rx} ry={ry} rz={rz} arcsec, s={s} ppm (planner.yaml)",
    ),
    "shift_helmert4": (
        "{source} → {target}：平面四参数（坐标轴 {axes}）dx={dx} dy={dy} 米，旋转 {rotation} 角秒，尺度 {scale} ppm（planner.yaml）",
        "{source} → {target}: plane 4-parameter ({axes}) dx={dx} dy={dy} m, rotation {rotation} arcsec, scale {scale} ppm (planner.yaml)",
    ),
    "shift_towgs84": (
        "{source} → WGS 84：坐标系中的 +towgs84={values}（{method}）",
        "{source} → WGS 84: +towgs84={values} of its CRS ({method})",
    ),
    "shift_proj": (
        "{source} → {target}：PROJ 转换“{name}”",
        "{source} → {target}: PROJ transformation '{name}'",
    ),
    "shift_gcj02": (
        "GCJ-02（火星坐标）→ WGS84（EPSG:4326）：按公开的 GCJ-02 加偏公式逆算（迭代至 < 1 mm），按 planner.yaml 的 gcj02: true",
        "GCJ-02 → WGS84 (EPSG:4326): the published GCJ-02 offset formula inverted (iterated to < 1 mm), as gcj02: true in planner.yaml asks",
    ),
    "shift_ballpark": (
        "{source} 按 accept_ballpark: true 以 PROJ 粗略转换（ballpark）读入，未做基准转换，精度未知（误差可达数十至上百米）",
        "{source} read with PROJ's ballpark transformation as accept_ballpark: true asks: no datum shift, accuracy unknown (off by tens to hundreds of metres)",
    ),
    "accuracy_stated": ("标称精度 {m} 米", "stated accuracy {m} m"),
    "accuracy_unstated": ("精度未说明{m}", "accuracy not stated{m}"),
    "transform_reference": ("；依据：{reference}", "; source: {reference}"),
    "transform_bad": (
        "layers.{layer}.transform 有误：{problem}",
        "layers.{layer}.transform: {problem}",
    ),
    "transform_not_mapping": (
        "应为一个映射，type 为 {types} 之一",
        "must be a mapping whose type is one of {types}",
    ),
    "transform_choice": (
        "{key} 为 {value}，应为 {valid} 之一",
        "{key} is {value}, expected one of {valid}",
    ),
    "transform_unknown": (
        "未知的键 {key}；可用的键：{valid}",
        "unknown key {key}; valid keys: {valid}",
    ),
    "transform_missing": ("缺少 {key}", "{key} is missing"),
    "transform_not_number": (
        "{key} 的值 {value} 不是有效的数（精度须 ≥ 0）",
        "{key} is {value}, not a valid number (an accuracy must be ≥ 0)",
    ),
    "transform_one_of": ("{a} 和 {b} 须给出且只给出其一", "give exactly one of {a} and {b}"),
    "transform_target": (
        "target_crs {crs} 应为 CGCS2000（或 WGS 84）的{kind}坐标系",
        "target_crs {crs} must be a CGCS2000 (or WGS 84) {kind} CRS",
    ),
    "transform_failed": (
        "按给出的转换参数无法转换坐标系 {crs} 中的坐标；请检查参数和坐标系",
        "the coordinates in {crs} cannot be transformed with the parameters given; check them and the CRS",
    ),
    "transform_and_towgs84": (
        "坐标系已带 +towgs84，planner.yaml 又给了 layers.{layer}.transform：请只保留其一",
        "the CRS carries +towgs84 and planner.yaml gives layers.{layer}.transform too: keep one of them",
    ),
    "transform_plane_geographic": (
        "平面四参数作用于投影坐标，但坐标系 {crs} 是经纬度；请在 layers.{layer}.crs 中给出其投影（例如城市独立坐标系的高斯投影定义）",
        "the plane 4 parameters apply to projected coordinates, but {crs} is geographic; give its projection in layers.{layer}.crs (e.g. the city system's transverse Mercator definition)",
    ),
    "encoding_not_applicable": (
        "planner.yaml 为 layers.{layer} 设置了 encoding: {encoding}，但{reason}；按 {encoding} 读取会使所有中文"
        "变成乱码，未读取。encoding 只用于 Shapefile（.dbf）；请删除该项",
        "planner.yaml sets encoding: {encoding} for layers.{layer}, but {reason}; reading it as "
        "{encoding} would garble every Chinese text, so it was not read. encoding applies to "
        "shapefiles (.dbf) only: remove it",
    ),
    "encoding_reason_geojson": (
        "该 GeoJSON 文件是有效的 UTF-8（RFC 7946 规定的编码）",
        "the GeoJSON file is valid UTF-8 (the encoding RFC 7946 requires)",
    ),
    "encoding_reason_utf8_format": (
        "{format} 格式的文本按其规范总是 UTF-8",
        "text in a {format} file is always UTF-8 by the format's specification",
    ),
    "transform_on_cgcs2000": (
        "layers.{layer} 给出了坐标转换参数（transform），但该图层的坐标系 {crs} 已是 CGCS2000/WGS84，"
        "再转换一次会把所有要素移位，未读取。请删除 transform；如果坐标其实是西安80、北京54或城市独立坐标系，"
        "而文件错标为 {crs}，请先改正文件的坐标系定义（.prj 等），再用 crs 和 transform 声明",
        "layers.{layer} gives a transformation (transform), but the layer's CRS {crs} is already "
        "CGCS2000/WGS84: shifting it again would move every feature, so it was not read. Remove "
        "transform; if the coordinates are really Xian 1980, Beijing 1954 or a city system that "
        "the file mislabels as {crs}, correct the file's CRS (.prj …) first, then declare them "
        "with crs and transform",
    ),
    "transform_with_gcj02": (
        "layers.{layer} 同时声明了 gcj02 和 transform：GCJ-02 只能由 WGS84 经纬度得来，请只保留其一",
        "layers.{layer} declares both gcj02 and transform: GCJ-02 comes from WGS84 lon/lat only; keep one of them",
    ),
    "accept_ballpark_bad": (
        "layers.{layer}.accept_ballpark 为 {value}，应为 true 或 false",
        "layers.{layer}.accept_ballpark is {value}, expected true or false",
    ),
    "working_crs_bad": (
        "working_crs 为 {value}，应为 auto 或 CGCS2000 3 度带之一（{valid}）",
        "working_crs is {value}, expected auto or one of the CGCS2000 3-degree zones ({valid})",
    ),
    "working_crs_outside": (
        "社区范围中心位于东经 {lon:.2f}°，不在 CGCS2000 3 度带（东经 73.5°–136.5°）内；请检查坐标系，或在 planner.yaml 中设置 working_crs",
        "the communities' extent is centred at {lon:.2f}°E, outside the CGCS2000 3-degree zones (73.5°E–136.5°E); check the CRS or set working_crs in planner.yaml",
    ),
    "raster_datum": (
        "人口栅格的坐标系 {crs} 不是 CGCS2000 或 WGS 84 基准：栅格重投影时不会做基准转换。请先用主管部门公布的参数把栅格转换到 CGCS2000（例如 gdalwarp -t_srs EPSG:4549，源坐标系写成带 +towgs84 的定义）",
        "the population raster's CRS {crs} is not on the CGCS2000 or WGS 84 datum, and warping it would not shift the datum; convert it to CGCS2000 with the bureau's parameters first (e.g. gdalwarp -t_srs EPSG:4549 with a source CRS carrying +towgs84)",
    ),
    "working_crs_far": (
        "planner.yaml 固定了 working_crs: {crs}，但社区位于东经 {lon:.2f}°（应为 {auto}）：长度误差约 {length:.3%}，面积误差约 {area:.3%}",
        "planner.yaml fixes working_crs: {crs}, but the communities lie at {lon:.2f}°E (zone {auto}): lengths are off by about {length:.3%}, areas by {area:.3%}",
    ),
    # --- hostile and careless input (issue 14: nothing silently lost, never a traceback)
    "config_type": ("{key} = {value}：{expected}", "{key} = {value}: {expected}"),
    "cfg_expect_layers": (
        "应为“图层名: 文件名或设置”的映射，例如 estates: 小区.gpkg",
        "must be a mapping of layer name → file name or settings, e.g. estates: 小区.gpkg",
    ),
    "cfg_expect_entry": (
        "应为文件名，或 file、layer、crs、encoding、fields、gcj02、sheet 等设置的映射",
        "must be a file name, or a mapping of settings (file, layer, crs, encoding, fields, gcj02, sheet)",
    ),
    "cfg_expect_file": (
        "应为文件名（文本），例如 小区.gpkg",
        "must be a file name (text), e.g. 小区.gpkg",
    ),
    "cfg_expect_layer_name": (
        "应为图层名（文本）或序号（整数）",
        "must be a layer name (text) or index (whole number)",
    ),
    "cfg_expect_crs": ('应为坐标系，例如 "EPSG:4549"', 'must be a CRS, e.g. "EPSG:4549"'),
    "cfg_expect_encoding": (
        "应为编码名称，例如 GBK 或 UTF-8",
        "must be the name of an encoding, e.g. GBK or UTF-8",
    ),
    "cfg_expect_fields": (
        "应为“文件中的字段名: 规范字段名”的映射，例如 {{户数: households}}",
        "must be a mapping of the file's field name → the contract's field name, e.g. {{户数: households}}",
    ),
    "cfg_expect_bool": ("应为 true 或 false", "must be true or false"),
    "cfg_expect_number": (
        "应为每户人数（数值，例如 2.66）",
        "must be the number of persons per household (e.g. 2.66)",
    ),
    "cfg_expect_household_size": (
        "每户人数应在 {minimum:g}–{maximum:g} 之间（合理范围见规则 plausibility.min_household_size / max_household_size）",
        "persons per household must lie between {minimum:g} and {maximum:g} (plausibility.min_household_size / max_household_size of the rules)",
    ),
    "cfg_expect_rules": (
        "应为图层文件夹内规则文件（YAML）的文件名",
        "must be the name of a rules file (YAML) in the layers folder",
    ),
    "cfg_expect_name": ("应为文本（规划区名称）", "must be text (the name of the planning area)"),
    "cfg_expect_note": (
        "应为文本，或含 zh、en 两项文本的映射",
        "must be text, or a mapping of zh and en texts",
    ),
    "config_outside": (
        "{key} = {file} 指向图层文件夹之外，已拒绝：只能引用文件夹 {folder} 内的文件；请把文件复制进来并写相对路径",
        "{key} = {file} leads out of the layers folder and was refused: only files inside {folder} can be named; copy the file in and give its path relative to the folder",
    ),
    "symlink_dangling": (
        "是指向不存在文件的符号链接（→ {target}）；请修复或删除该链接",
        "is a symbolic link that leads nowhere (→ {target}); fix or remove the link",
    ),
    "symlink_loop": (
        "是循环的符号链接（最终指向自身）；请修复或删除该链接",
        "is a symbolic link that loops (it leads back to itself); fix or remove the link",
    ),
    "not_regular": (
        "是{kind}而不是普通文件，未打开；请放入真正的数据文件",
        "is {kind}, not a regular file, and was not opened; put the real data file here",
    ),
    "kind_fifo": ("命名管道（FIFO）", "a named pipe (FIFO)"),
    "kind_char_device": ("字符设备", "a character device"),
    "kind_block_device": ("块设备", "a block device"),
    "kind_socket": ("套接字", "a socket"),
    "no_permission": ("没有读取权限", "no permission to read it"),
    "is_folder": (
        "是文件夹而不是文件；图层应为 GeoJSON、GeoPackage、Shapefile 等文件（FileGDB 文件夹须以 .gdb 结尾，并在 planner.yaml 的 layers.<图层>.file 中指定）",
        "is a folder, not a file; a layer is a GeoJSON, GeoPackage, Shapefile … file (a FileGDB folder must end in .gdb and be named in planner.yaml under layers.<layer>.file)",
    ),
    "empty_file": (
        "是空文件（0 字节）；请重新导出或删除该文件",
        "is an empty file (0 bytes); export it again or remove it",
    ),
    "not_a_layer_file": (
        "不是可读取的 {ext} 数据文件（文件可能损坏、被截断或实为其他格式）；请重新导出",
        "is not a readable {ext} data file (damaged, cut short, or of another format); export it again",
    ),
    "shapefile_part_missing": (
        "Shapefile 缺少组成文件 {part}（.shp 需要同名的 .shx 和 .dbf，.dbf 存放属性）；请把 Shapefile 的全部文件一起复制过来",
        "the shapefile's part {part} is missing (a .shp needs the .shx and the .dbf of the same name; the .dbf holds the attributes); copy every file of the shapefile",
    ),
    "file_too_large": (
        "文件大小 {size:,.0f} MB，超过上限 limits.max_file_mb = {limit:g} MB，未读取；如数据确实如此之大，请在规则文件中调高该上限",
        "is {size:,.0f} MB, above the limit limits.max_file_mb = {limit:g} MB, and was not read; raise the limit in a rules file if the data really is that large",
    ),
    "input_too_large": (
        "要读取的文件合计 {size:,.0f} MB，超过上限 limits.max_input_mb = {limit:g} MB，未读取任何图层；如确实如此，请在规则文件中调高该上限",
        "the files to read total {size:,.0f} MB, above limits.max_input_mb = {limit:g} MB; no layer was read (raise the limit in a rules file if that is right)",
    ),
    "too_many_features": (
        "有 {n:,} 个要素（行），超过上限 limits.max_features_per_layer = {limit:,}，未读取；如数据确实如此，请在规则文件中调高该上限",
        "has {n:,} features (rows), above limits.max_features_per_layer = {limit:,}, and was not read; raise the limit in a rules file if the data really is that large",
    ),
    "files_unused": (
        "以下文件与任何图层名都不匹配，未被读取：{files}。请改为图层名（{layers}），或在 planner.yaml 的 layers.<图层>.file 中指定",
        "files matching no layer were not read: {files}. Rename them to a layer name ({layers}) or name them in planner.yaml under layers.<layer>.file",
    ),
    "did_you_mean": ("是否应为 {layer}？", "did you mean {layer}?"),
    "file_unused_required": (
        "未被读取：与图层名不匹配，是否应为必需图层 {layer}？请改名为 {layer}.gpkg/.geojson/.shp，或在 planner.yaml 的 layers.{layer}.file 中指定",
        "not read: it matches no layer name; did you mean the required layer {layer}? Rename it to {layer}.gpkg/.geojson/.shp or name it in planner.yaml under layers.{layer}.file",
    ),
    "no_estates_layer": (
        "没有小区图层（estates）：户数只能取自社区图层的 households 字段，小区的结果（开转封 R6、300 米覆盖）为空{hint}",
        "no estates layer: households come only from the communities' households field, and the estate results (R6 open-to-enclosed, 300 m reach) are empty{hint}",
    ),
    "no_household_source": (
        "没有户数来源：小区图层{estates}，社区图层也没有 households（户数）字段；所有户数都将是 0，"
        "据此计算的用房面积、人员和经费都无意义。请提供小区图层（estates，含户数），或在社区图层填写"
        "户数（或在 planner.yaml 中映射该字段，如 fields: {{户数: households}}）{hint}",
        "no source of households: the estates layer is {estates} and the communities layer has no "
        "'households' field, so every count would be 0 and the premises, staffing and funds "
        "computed from it meaningless. Give an estates layer with households, or fill the "
        "communities' 'households' field (or map it in planner.yaml, e.g. fields: {{户数: "
        "households}}){hint}",
    ),
    "estates_absent": ("缺失", "missing"),
    "estates_empty": ("为空（没有要素）", "empty (no features)"),
    "community_households_blank": (
        "没有小区图层，户数取自社区图层的 households 字段，但以下社区未填写（不会按 0 计）：{rows}；"
        "请填写户数（确无住户填 0）",
        "without estates, households come from the communities' 'households' field, but these "
        "communities leave it blank (not taken as 0): {rows}; fill in the counts (0 where "
        "nobody lives)",
    ),
    "no_estates_hint": (
        "；文件 {files} 未被读取——是否应为 estates？",
        "; the file {files} was not read — did you mean estates?",
    ),
    "nonfinite_coords": (
        "坐标含 NaN 或无穷大（不是数值）的行：{rows}；请修复这些几何图形（问题不在坐标系）",
        "rows with NaN or infinite coordinates (not numbers): {rows}; fix these geometries (the CRS is not the problem)",
    ),
    "zero_area": (
        "面积小于 plausibility.min_polygon_area_m2 = {limit:g} ㎡（没有面积）的行：{rows}；请修正几何图形",
        "rows with an area below plausibility.min_polygon_area_m2 = {limit:g} m² (no area): {rows}; fix the geometries",
    ),
    "control_chars": (
        "字段“{field}”含控制字符（如 ESC、NUL），已删除：{rows}",
        "field '{field}' held control characters (ESC, NUL …), which were removed: {rows}",
    ),
    "format_chars": (
        "字段“{field}”含不可见的方向控制或零宽字符（如 U+202E，会使名称显示得与实际不同），已删除：{rows}",
        "field '{field}' held invisible direction or zero-width characters (U+202E …, which make a name show otherwise than it reads), which were removed: {rows}",
    ),
    "text_too_long": (
        "字段“{field}”的文本超过 limits.max_text_chars = {limit:,} 个字符（括号内为长度）：{rows}；"
        "报告、Shapefile 和地图会在不同位置截断它。请缩短文本，或在自己的规则文件中提高该上限",
        "field '{field}' holds text longer than limits.max_text_chars = {limit:,} characters (length in brackets): {rows}; the report, the Shapefile and the map would each cut it elsewhere. Shorten it, or raise the limit in your own rules file",
    ),
    "nul_in_text": (
        "文本中含 NUL 字符（\\u0000），读取时会被截断；请删除这些字符：{rows}",
        "text holds NUL characters (\\u0000), which cut the values short when read; remove them: {rows}",
    ),
    "field_cut_ambiguous": (
        "字段名“{column}”是被截短（Shapefile 字段名至多 10 字节）的名称，可能是以下字段中的任一个：{fields}，无法判断；请在 planner.yaml 的 layers.{layer}.fields 中指定",
        "field name '{column}' is a name cut short (a Shapefile field name holds 10 bytes) and could be any of the fields {fields}; say which in planner.yaml under layers.{layer}.fields",
    ),
    "field_unknown": (
        "未知字段“{column}”，是否指 {guess}？该字段未被使用；如是，请改名，或在 planner.yaml 的 layers.{layer}.fields 中映射",
        "unknown field '{column}': did you mean {guess}? It is not used; if so, rename it or map it in planner.yaml under layers.{layer}.fields",
    ),
    "field_conflict": (
        "字段“{field}”有多个候选列：{columns}，只能用其一（其余会被忽略）；请删除或改名多余的列，或在 planner.yaml 的 layers.{layer}.fields 中指定用哪一列",
        "several columns could be field '{field}': {columns}, and all but one would be ignored; remove or rename the others, or name the one to use in planner.yaml under layers.{layer}.fields",
    ),
    "implausible": (
        "字段“{field}”的值超过合理上限 plausibility.{key} = {limit:,g}：{rows}；请修正数值，如确实如此，请在规则文件中调高该上限",
        "field '{field}' has values above the plausibility limit plausibility.{key} = {limit:,g}: {rows}; fix the values, or raise the limit in a rules file if they are real",
    ),
    "number_too_large": (
        "字段“{field}”的值过大（超过 2^53，无法精确表示）：{rows}",
        "field '{field}' has values too large to be held exactly (above 2^53): {rows}",
    ),
    "table_row": ("第{n}行", "row {n}"),
    "bool_not_number": (
        "字段“{field}”的值是 true/false 而不是数（读取时会被当作 1/0）：{rows}；请填写数值",
        "field '{field}' holds true/false, not a number (it would be read as 1/0): {rows}; give the numbers",
    ),
    "table_blank_id": (
        "户数统计表中以下行没有小区代码（estate_id）：{rows}（表格行号）；请填写或删除这些行",
        "rows of the households table without estate_id: {rows} (spreadsheet row numbers); fill them in or remove the rows",
    ),
    "table_column_conflict": (
        "户数统计表中的列 {columns} 都表示“{field}”，只会用其一；请只保留一列",
        "the households table has several columns for '{field}': {columns}, and only one would be used; keep one",
    ),
    "table_not_utf8": (
        "户数统计表不是 UTF-8 编码（可能是 GBK）；请另存为 UTF-8，或在 planner.yaml 中写 layers.households.encoding: GBK",
        "the households table is not UTF-8 (GBK?); save it as UTF-8, or set layers.households.encoding: GBK in planner.yaml",
    ),
    # --- generated counties (issue 10: an empty optional layer, nullable values)
    "empty_layer_absent": (
        "图层为空（0 个要素），按未提供该图层处理：{layer}",
        "the layer is empty (0 features) and is treated as absent: {layer}",
    ),
    "layout_no_estates_inside": (
        "没有任何小区位于社区内：不提出社区范围调整和用房选址建议",
        "no estate lies in a community: no boundary or premises-site proposals",
    ),
    "no_candidates_no_sites": (
        "没有位于社区内的备选点位：不提出用房选址建议（可提供备选点位图层 candidate_sites）",
        "no candidate site lies in a community: no premises sites are proposed (a candidate_sites layer can give some)",
    ),
    # report.xlsx (render/report.py): headers, settings, layer names, page header and footer
    "report_item": ("项目", "Item"),
    "report_figure": ("数值", "Figure"),
    "report_setting": ("设置项", "Setting"),
    "report_setting_value": ("内容", "Value"),
    "report_setting_key": ("键（程序读取用）", "Key (read by the program)"),
    "report_feature_id": ("编号", "ID"),
    "report_col_covered": ("直线 {distance:g} 米覆盖", "Within {distance:g} m (straight line)"),
    "report_col_households_covered": (
        "直线 {distance:g} 米覆盖户数",
        "Households within {distance:g} m (straight line)",
    ),
    "report_share": ("{community} {share}", "{community} {share}"),
    "report_source_file": ("{layer}（{file}）", "{layer} ({file})"),
    "report_page_header": ("{title} — {name}", "{title} — {name}"),
    "report_page_footer": ("第 &P 页，共 &N 页", "Page &P of &N"),
    "report_sheet_in_csv": (
        "本表共 {rows:,} 行，超过 limits.report_max_sheet_rows = {limit:,} 行，已另存为同一文件夹中的 "
        "{file}（UTF-8，可用 Excel 打开；列与本表相同）",
        "this table has {rows:,} rows, more than limits.report_max_sheet_rows = {limit:,}: it is "
        "written as {file} in the same folder (UTF-8, opens in Excel; the same columns as this "
        "sheet)",
    ),
    "report_sheet_in_csv_excel": (
        "本表共 {rows:,} 行，超过 Excel 工作表的 {limit:,} 行上限，已另存为同一文件夹中的 "
        "{file}（UTF-8，列与本表相同）",
        "this table has {rows:,} rows, more than an Excel sheet holds ({limit:,}): it is written "
        "as {file} in the same folder (UTF-8; the same columns as this sheet)",
    ),
    "report_features": ("{n} 个要素", "{n} features"),
    "report_crs_auto": ("{crs} (自动：按社区经度选带)", "{crs} (auto)"),
    "report_crs_fixed": (
        "{crs} (planner.yaml 指定 working_crs)",
        "{crs} (planner.yaml working_crs)",
    ),
    "layer_name_communities": ("社区边界", "Community boundaries"),
    "layer_name_estates": ("小区", "Estates"),
    "layer_name_premises": ("社区用房", "Community premises"),
    "layer_name_planned_roads": ("规划道路", "Planned roads"),
    "layer_name_development_parcels": ("出让地块", "Development parcels"),
    "layer_name_candidate_sites": ("备选点位", "Candidate sites"),
    "layer_name_sites": ("建议用房点位", "Proposed sites"),
    "layer_name_paths": ("步行路网", "Walking paths"),
    "layer_name_barriers": ("分隔要素", "Barriers"),
    "layer_name_county_outline": ("县界", "County outline"),
    "layer_name_population": ("人口栅格", "Population raster"),
    "layer_name_households": ("户数统计表", "Households table"),
    "layer_name_scenario": ("情景", "Scenario"),
    "layer_name_planner": ("图层配置（planner.yaml）", "Layer configuration (planner.yaml)"),
    "layer_name_rules": ("规则文件", "Rules file"),
    "setting_gis_planner": ("程序版本（gis_planner）", "Program version (gis_planner)"),
    "setting_generated": ("生成时间", "Generated"),
    "setting_layers_folder": ("图层文件夹", "Layers folder"),
    "setting_rules_version": ("规则版本", "Rules version"),
    "setting_rules_files": ("规则文件", "Rules files"),
    "setting_rules_sha256": ("规则文件校验值（SHA-256）", "Rules checksum (SHA-256)"),
    "setting_working_crs": ("工作坐标系", "Working CRS"),
    "setting_output_crs": ("输出坐标系", "Output CRS"),
    "setting_plan_year": ("规划年份", "Plan year"),
    "setting_data_year": ("数据年份", "Data year"),
    "setting_household_size": ("户均人口（人/户）", "Household size (persons)"),
    "setting_lang": ("报告语言", "Report language"),
    "setting_scenario": ("情景名称", "Scenario"),
    "setting_scenario_edit": ("情景调整 {i}", "Scenario edit {i}"),
    "setting_data_note": ("数据说明", "Data note"),
    "setting_source": ("源图层：{layer}", "Source layer: {layer}"),
    "setting_source_transformation": ("坐标转换：{layer}", "Datum transformation: {layer}"),
    # the printed atlas (gis_planner.render.atlas): titles, title block, legends
    "atlas_title": ("社区布局规划图集", "Community layout plan atlas"),
    # themes (R1, R6, R7) and their views
    "atlas_theme_premises": ("社区用房达标情况图（R1）", "Community premises status (R1)"),
    "atlas_theme_enclosure": (
        "小区开转封评估图（R6）",
        "Open-to-enclosed screening of estates (R6)",
    ),
    "atlas_theme_boundaries": ("社区范围调整建议图（R7）", "Proposed community boundaries (R7)"),
    "atlas_theme_sites": (
        "社区用房选址建议及服务范围图（R7）",
        "Proposed premises sites and reach (R7)",
    ),
    "atlas_view_title": ("{theme} — {view}", "{theme} — {view}"),
    "atlas_view_no_street": ("未填街道的社区", "Communities without a street"),
    # printable tables
    "atlas_table_premises": ("社区用房核查表（R1）", "Community premises check (R1)"),
    "atlas_table_enclosure": ("开转封候选清单（R6）", "Open-to-enclosed candidates (R6)"),
    "atlas_table_continued": ("{title}（续）", "{title} (continued)"),
    "atlas_table_total": ("合计", "Total"),
    "atlas_table_number": ("序号", "No."),
    "atlas_table_summary": ("核查结果汇总", "Summary of the check"),
    "atlas_table_enclosure_note": (
        "可列入开转封的小区，按优先顺序排列，每个小区列出全部评估理由；其余开放式、半封闭小区"
        "（需开展意愿调查、需论证、不宜开转封）见 report.xlsx 的开转封清单（清单过长时为同一文件夹中"
        "的 CSV 文件，该表注明文件名）。",
        "The estates that may be enclosed, in order of priority, with every reason of each; the"
        " other open and semi-open estates (survey needed, review needed, not suitable) are in"
        " the open-to-enclosed list of report.xlsx (a CSV file in the same folder when the list"
        " is long; its sheet names the file).",
    ),
    "atlas_note_row": ("{key}：{value}", "{key}: {value}"),
    # title block (图签)
    "atlas_tb_title": ("图名", "Title"),
    "atlas_tb_area": ("规划范围", "Area"),
    "atlas_tb_plan_year": ("规划年份", "Plan year"),
    "atlas_tb_data_year": ("数据年份", "Data year"),
    "atlas_tb_scenario": ("情景", "Scenario"),
    "atlas_tb_crs": ("坐标系", "CRS"),
    "atlas_gk3_name": (
        "CGCS2000 / 3度带高斯-克吕格投影，中央经线 {meridian}°E",
        "CGCS2000 / 3-degree Gauss-Krüger, central meridian {meridian}°E",
    ),
    "atlas_tb_crs_value": ("{name}（{code}），单位：米", "{name} ({code}), metres"),
    "atlas_tb_data": ("数据说明", "About the data"),
    "atlas_tb_no_note": (
        "未提供（planner.yaml 的 data_note）",
        "none given (data_note of planner.yaml)",
    ),
    "atlas_tb_date": ("制图日期", "Drawn"),
    "atlas_tb_made_with": ("制图软件", "Made with"),
    "atlas_tb_scale": ("比例尺（A3）", "Scale (A3)"),
    "atlas_tb_page": ("页码", "Page"),
    "atlas_page_of": ("第 {n} 页 / 共 {total} 页", "page {n} of {total}"),
    "atlas_date": ("{year}年{month}月{day}日", "{year:04d}-{month:02d}-{day:02d}"),
    # legend
    "atlas_legend": ("图例", "Legend"),
    "atlas_north": ("北", "N"),
    "atlas_legend_count": ("{label}（{n}）", "{label} ({n})"),
    "atlas_community_boundary": ("社区边界", "Community boundary"),
    "atlas_street_boundary": ("本街道范围", "This street"),
    "atlas_context_communities": ("其他社区", "Other communities"),
    "atlas_premises_counted": ("计入核查的社区用房", "Premises counted"),
    "atlas_premises_not_counted": ("未计入的社区用房（规划）", "Premises not counted (planned)"),
    "atlas_no_status": ("无评估结论", "No status"),
    "atlas_original_boundary": ("原社区边界（虚线）", "Original boundary (dashed)"),
    "atlas_reach_area": (
        "社区用房 {distance:g} 米（直线）服务范围",
        "Within {distance:g} m (straight line) of premises",
    ),
    "atlas_site_model": ("{model}建议点位", "Site: {model}"),
}


def tr(key: str, lang: str = "zh", /, **values: object) -> str:
    """The message ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``values``.

    Values that are messages or terms (:class:`Message`, :class:`Term`, :class:`Listing`) are
    worded in the same language first.
    """
    zh, en = MESSAGES[key]
    text = en if lang == "en" else zh
    return text.format(**{k: render(v, lang) for k, v in values.items()})


@dataclass(frozen=True, slots=True)
class Message:
    """A text for planners as a code of the catalogue and its parameters, worded only when
    shown (:meth:`text`). Parameters may themselves be messages, :class:`Term` or
    :class:`Listing`."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def values(self) -> dict[str, Any]:
        """The parameters as a dict."""
        return dict(self.params)

    def text(self, lang: str = "zh") -> str:
        """The message worded in ``lang`` (``zh`` or ``en``)."""
        return tr(self.code, lang, **dict(self.params))

    def __str__(self) -> str:  # logs and debugging; what users read goes through text(lang)
        return self.text("zh")


def msg(code: str, /, **params: Any) -> Message:
    """The message ``code`` of the catalogue with ``params``.

    Raises ``KeyError`` for a code the catalogue does not hold, so that a misspelt code fails
    where the message is made, not where it is shown.
    """
    if code not in MESSAGES:
        raise KeyError(f"no message {code!r} in the catalogue (gis_planner.i18n.MESSAGES)")
    return Message(code, tuple(params.items()))


@dataclass(frozen=True, slots=True)
class Term:
    """A value worded by a label table when shown: an enumeration value (``kind="value"``,
    :func:`value_label`) or a field name (``kind="field"``, :func:`label`)."""

    value: Any
    kind: str = "value"

    def text(self, lang: str = "zh") -> str:
        if self.kind == "field":
            return label(str(self.value), lang)
        return str(value_label(self.value, lang))


#: separators of a list in running text, by kind and language
SEPARATORS = {
    "enum": {"zh": "、", "en": ", "},
    "list": {"zh": "；", "en": "; "},
    # the same in both languages: lists that were always joined so (rows, file names, lines)
    "comma": {"zh": ", ", "en": ", "},
    "semicolon": {"zh": "; ", "en": "; "},
    "lines": {"zh": "\n", "en": "\n"},
}


@dataclass(frozen=True, slots=True)
class Listing:
    """Items joined with the separator of their ``kind`` in the language shown
    (:data:`SEPARATORS`: ``enum`` 、/, and ``list`` ；/; — and ``comma``, ``semicolon``,
    ``lines``, the same in both languages)."""

    items: tuple[Any, ...]
    kind: str = "enum"

    @classmethod
    def of(cls, items: Iterable[Any], kind: str = "enum") -> Listing:
        return cls(tuple(items), kind)

    def text(self, lang: str = "zh") -> str:
        sep = SEPARATORS[self.kind]["en" if lang == "en" else "zh"]
        return sep.join(str(render(item, lang)) for item in self.items)


#: the prefix of a generated candidate site's id by its source (``E:E0114``: in estate E0114)
SITE_PREFIXES = {"estate": "E:", "development_parcel": "P:"}


def site_name(site_id: object, source: object) -> Any:
    """A premises site named by where it lies (R7 siting): the id of its estate or parcel
    without the ``E:``/``P:`` prefix, after the source in words; the id as it is for a source
    without words.

    >>> render(site_name("E:E0114", "estate"), "zh"), render(site_name("P:D03", "development_parcel"), "en")
    ('小区内 E0114', 'in development parcel D03')
    >>> render(site_name("S7", "candidate_sites"), "zh"), site_name("X1", None)
    ('备选点位 S7', 'X1')
    """
    shown = "" if site_id is None or site_id != site_id else str(site_id)  # None, NaN: ""
    code = f"map_site_{source}"
    if source is None or source != source or code not in MESSAGES:
        return shown
    return msg(code, id=shown.removeprefix(SITE_PREFIXES.get(str(source), "")))


def render(value: Any, lang: str = "zh") -> Any:
    """``value`` as shown in ``lang``: a :class:`Message`, :class:`Term` or :class:`Listing`
    worded, a list or tuple of them worded item by item; anything else unchanged.

    >>> render([msg("gcj02_converted"), "as is"], "en")
    ['converted from GCJ-02 to WGS84 as declared', 'as is']
    """
    if isinstance(value, (Message, Term, Listing)):
        return value.text(lang)
    if isinstance(value, list):
        return [render(v, lang) for v in value]
    if isinstance(value, tuple):
        return tuple(render(v, lang) for v in value)
    return value


# Output column headers (Chinese, English) for the report and the map: the fields of the layers
# come from the field catalogue (data/fields.csv, :func:`gis_planner.catalogue.labels`); the
# other headers (summaries, scenario and layout tables) are these.
LABELS: dict[str, tuple[str, str]] = {
    **catalogue.labels(),
    "area_ha": ("面积(公顷)", "Area (ha)"),
    "unassigned": ("未分配", "Unassigned"),
    "layer": ("图层", "Layer"),
    "message": ("内容", "Message"),
    "key": ("规则项", "Rule"),
    "value": ("取值", "Value"),
    "section": ("条款", "Section"),
    # enclosure (R6)
    "estate_name": ("小区名称", "Estate"),
    "summary_level": ("汇总层级", "Level"),
    "total": ("合计", "Total"),
    "enc_candidates": ("可列入小区数", "Candidates"),
    "enc_candidate_households": ("可列入小区户数", "Households in candidates"),
    "enc_needs_survey": ("需开展意愿调查小区数", "Needing a survey"),
    "enc_needs_review": ("需论证小区数", "Needing review"),
    "enc_not_suitable": ("不宜开转封小区数", "Not suitable"),
    "enc_not_applicable": ("已封闭小区数", "Already enclosed"),
    # map
    "staff_range": ("人员配备(人)", "Staffing (people)"),
    # scenario
    "households_current": ("现状户数", "Households (data year)"),
    "households_parcels": ("出让地块新增户数", "Households from parcels"),
    "community_households_after": ("加上地块后社区户数", "Community households after parcels"),
    "existing_and_planned_m2": ("现状及规划用房(m²)", "Existing and planned (m²)"),
    "community_shortfall_m2": ("社区缺口(m²)", "Community shortfall (m²)"),
    "condition_area_m2": ("规划条件配建面积(m²)", "Planning condition area (m²)"),
    "note": ("说明", "Note"),
    "community_override": ("调整后所属社区", "Community (moved)"),
    "funds_yuan_per_year": ("工作及共建经费(元/年)", "Working + co-building funds (yuan/yr)"),
    "plan_year": ("规划年份", "Plan year"),
    "data_year": ("数据年份", "Data year"),
    "scenario": ("情景", "Scenario"),
    "scenario_edits": ("情景修改", "Scenario edits"),
    # layout revision (R7, 一(一))
    "source_ids": ("原社区代码", "Source communities"),
    "change": ("调整方式", "Change"),
    "households_before": ("调整前户数", "Households before"),
    "scale_status_before": ("调整前规模", "Scale before"),
    "staff_min_before": ("调整前人员下限", "Staff min before"),
    "staff_max_before": ("调整前人员上限", "Staff max before"),
    "required_area_m2_before": ("调整前应配用房面积(m²)", "Required area before (m²)"),
    "area_m2": ("面积(m²)", "Area (m²)"),
    "compactness": ("紧凑度", "Compactness"),
    "contiguous": ("连片", "Contiguous"),
    "from_community_id": ("原社区代码", "From community"),
    "to_community_id": ("调入社区代码", "To community"),
    "to_name": ("调入社区名称", "To community name"),
    "from_households_before": ("原社区调整前户数", "From: households before"),
    "from_households_after": ("原社区调整后户数", "From: households after"),
    "to_households_before": ("调入社区调整前户数", "To: households before"),
    "to_households_after": ("调入社区调整后户数", "To: households after"),
    "action": ("处理方式", "Action"),
    "proposed_ids": ("建议社区代码", "Proposed communities"),
    "proposed_community_id": ("建议所属社区", "Proposed community"),
    "walk_to_premises_m": ("至现有用房步行距离(m)", "Walk to premises (m)"),
    "covered_existing": ("现有用房已覆盖", "Covered by existing premises"),
    "coverable": ("可被覆盖", "Coverable"),
    "covered_lscp": ("全覆盖方案后覆盖", "Covered (set cover)"),
    "covered_mclp": ("最大覆盖方案后覆盖", "Covered (best p sites)"),
    "site_lscp": ("全覆盖方案服务点位", "Site (set cover)"),
    "site_mclp": ("最大覆盖方案服务点位", "Site (best p sites)"),
    "chosen_lscp": ("入选全覆盖方案", "Chosen (set cover)"),
    "chosen_mclp": ("入选最大覆盖方案", "Chosen (best p sites)"),
    "households_estimated": ("户数为栅格估算", "Households estimated"),
    "raster_residents": ("栅格人口", "Residents (raster)"),
    "access_distance_m": ("至最近用房距离(m，栅格)", "Distance to premises (m, raster)"),
    # map: layout proposals
    "households_after": ("调整后户数", "Households after"),
    "scale_status_after": ("调整后规模", "Scale after"),
    "staff_range_before": ("调整前人员配备(人)", "Staffing before (people)"),
    "staff_range_after": ("调整后人员配备(人)", "Staffing after (people)"),
    "required_area_m2_after": ("调整后应配用房面积(m²)", "Required area after (m²)"),
    "decision_note": ("调整说明", "Decision"),
    "divided": ("被分隔要素分开", "Divided by hard edges"),
    "barrier_kind": ("类型", "Kind"),
}

# Chinese labels of enumeration values for reports and the map.
VALUE_LABELS: dict[str, tuple[str, str]] = {
    "meets": ("达标", "meets"),
    "short": ("不足", "short"),
    "none": ("无用房", "none"),
    "too_small": ("偏小", "too small"),
    "ok": ("适中", "ok"),
    "too_large": ("偏大", "too large"),
    "new": ("新建标准", "new"),
    "renovated": ("改建标准", "renovated"),
    "urban": ("城市社区", "urban"),
    "village_to_residence": ("村改居社区", "village to residence"),
    "open": ("开放式", "open"),
    "semi_open": ("半封闭", "semi-open"),
    "enclosed": ("封闭式", "enclosed"),
    "good": ("完好/好", "good"),
    "fair": ("一般", "fair"),
    "damaged": ("破损", "damaged"),
    "poor": ("差", "poor"),
    "party_service_centre": ("党群服务中心", "party-mass service centre"),
    "service_centre": ("便民服务中心", "convenience service centre"),
    "work_rooms": ("社区工作服务用房", "community work rooms"),
    "elderly_care": ("养老服务用房", "elderly care"),
    "neighbourhood_centre": ("幸福邻里中心", "neighbourhood centre"),
    "children_home": ("儿童之家", "children's home"),
    "health_station": ("卫生服务站", "health station"),
    "infant_care": ("婴幼儿照护", "infant care"),
    "other": ("其他", "other"),
    "new_build": ("新建", "new build"),
    "developer_built": ("开发商代建", "developer-built"),
    "leased": ("租赁", "leased"),
    "purchased": ("购买", "purchased"),
    "existing": ("现状", "existing"),
    "planned": ("规划", "planned"),
    "candidate": ("可列入", "candidate"),
    "candidate_exception": (
        "可列入（基础条件较差的例外）",
        "candidate (exception: poor condition)",
    ),
    "needs_survey": ("需开展意愿调查", "needs survey"),
    "needs_review": ("需论证", "needs review"),
    "not_suitable": ("不宜开转封", "not suitable"),
    "not_applicable": ("已封闭", "already enclosed"),
    "attribute": ("属性社区代码", "attribute"),
    "location": ("按位置", "location"),
    # enclosure (R6)
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # layout revision (R7, 一(一))
    "unchanged": ("不变", "unchanged"),
    "split": ("拆分", "split"),
    "merged": ("合并", "merged"),
    "enlarged": ("扩大", "enlarged"),
    "rebalanced": ("重新划界", "boundary redrawn"),
    "dissolved": ("撤并", "dissolved"),
    "no_proposal": ("未能提出方案", "no proposal"),
    "lscp": ("全覆盖（最少点位）", "set cover (fewest sites)"),
    "mclp": ("最大覆盖（p 个点位）", "maximal coverage (p sites)"),
    "candidate_sites": ("备选点位", "candidate site"),
    "development_parcel": ("出让地块", "development parcel"),
    "estate": ("小区内", "in an estate"),
}


def label(field: str, lang: str = "zh") -> str:
    """Column header of ``field`` in ``lang``; the field name itself when unknown."""
    pair = LABELS.get(field)
    if pair is None:
        return field
    return pair[1] if lang == "en" else pair[0]


def value_label(value: object, lang: str = "zh") -> object:
    """Display label of an enumeration value (or the value itself)."""
    if isinstance(value, str) and value in VALUE_LABELS:
        zh, en = VALUE_LABELS[value]
        return en if lang == "en" else zh
    return value
