"""The data contract of a layers folder (DESIGN.md): layers, fields, Chinese aliases and values.

This module is data only: which layers exist, which fields they carry, of what type, which
Chinese names and values are accepted. ``layers`` validates against it and ``i18n`` labels
output columns from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

POLYGONAL = ("Polygon", "MultiPolygon")
LINEAR = ("LineString", "MultiLineString")
PUNCTUAL = ("Point", "MultiPoint")

# Chinese values of the enumerations (DESIGN.md), value -> canonical English value.
KIND = {"城市社区": "urban", "村改居社区": "village_to_residence", "村改居": "village_to_residence"}
ENCLOSURE = {
    "开放式": "open",
    "半封闭": "semi_open",
    "封闭式": "enclosed",
    "开放": "open",
    "封闭": "enclosed",
}
FACADE = {"完好": "good", "一般": "fair", "破损": "damaged", "破损严重": "damaged"}
CONDITION = {"好": "good", "一般": "fair", "差": "poor", "较差": "poor"}
FUNCTION = {
    "党群服务中心": "party_service_centre",
    "便民服务中心": "service_centre",
    "社区工作服务用房": "work_rooms",
    "养老服务用房": "elderly_care",
    "幸福邻里中心": "neighbourhood_centre",
    "儿童之家": "children_home",
    "卫生服务站": "health_station",
    "婴幼儿照护": "infant_care",
    "3岁以下婴幼儿照护服务设施": "infant_care",
    "其他": "other",
}
TENURE = {
    "新建": "new_build",
    "开发商代建": "developer_built",
    "配建": "developer_built",
    "改建": "renovated",
    "租赁": "leased",
    "购买": "purchased",
}
STATUS = {"现状": "existing", "规划": "planned"}
STANDARD = {"新建": "new", "改建": "renovated"}
BOOL = {
    "有": True,
    "是": True,
    "无": False,
    "否": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "1": True,
    "0": False,
    "y": True,
    "n": False,
}


@dataclass(frozen=True)
class Field:
    """One field of a layer.

    ``kind`` is one of ``text``, ``int`` (whole number), ``number``, ``share`` (0–1),
    ``year`` (not in the future), ``plan_year`` (may be in the future), ``bool`` or
    ``enum`` (then ``values`` maps Chinese values to the English ones, and ``choices``
    lists the English ones).
    """

    name: str
    kind: str
    alias_zh: tuple[str, ...] = ()
    required: bool = False
    choices: tuple[str, ...] = ()
    values: dict[str, str] = field(default_factory=dict)
    minimum: float | None = None
    exclusive_minimum: bool = False
    default: object = None
    # the key of the rules file's ``plausibility`` section giving this field's largest value
    plausible_max: str | None = None


@dataclass(frozen=True)
class LayerSpec:
    """A vector layer of the layers folder."""

    name: str
    alias_zh: str
    geometry: tuple[str, ...]
    fields: tuple[Field, ...]
    id_field: str | None = None
    required: bool = False

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _enum(name: str, aliases: tuple[str, ...], values: dict[str, str], **kw: object) -> Field:
    choices = tuple(dict.fromkeys(values.values()))
    return Field(name, "enum", aliases, choices=choices, values=values, **kw)  # type: ignore[arg-type]


FUNCTIONS = (
    "party_service_centre",
    "service_centre",
    "work_rooms",
    "elderly_care",
    "neighbourhood_centre",
    "children_home",
    "health_station",
    "infant_care",
    "other",
)

COMMUNITIES = LayerSpec(
    "communities",
    "社区边界",
    POLYGONAL,
    id_field="community_id",
    required=True,
    fields=(
        Field("community_id", "text", ("社区代码", "社区编码"), required=True),
        Field("name", "text", ("社区名称", "名称"), required=True),
        Field("street", "text", ("街道", "镇街道", "所属街道")),
        _enum("kind", ("社区类型",), KIND, default="urban"),
        Field(
            "population",
            "int",
            ("常住人口", "人口"),
            minimum=0,
            plausible_max="max_population_per_community",
        ),
        Field(
            "households", "int", ("户数",), minimum=0, plausible_max="max_households_per_community"
        ),
        _enum("standard", ("用房标准",), STANDARD),
    ),
)

ESTATES = LayerSpec(
    "estates",
    "小区",
    POLYGONAL,
    id_field="estate_id",
    fields=(
        Field("estate_id", "text", ("小区代码", "小区编码"), required=True),
        Field("name", "text", ("小区名称", "名称"), required=True),
        Field(
            "households",
            "int",
            ("户数",),
            required=True,
            minimum=0,
            plausible_max="max_households_per_estate",
        ),
        Field("built_year", "year", ("建成年份", "建成年代")),
        _enum("enclosure", ("封闭情况",), ENCLOSURE),
        Field("property_management", "bool", ("物业管理", "有无物业")),
        _enum("facade", ("外立面",), FACADE),
        _enum("condition", ("基础条件",), CONDITION),
        Field("survey_participation", "share", ("参与率",)),
        Field("survey_support", "share", ("支持率",)),
        Field("commercial_frontage", "share", ("沿街商铺占比", "商铺占比")),
    ),
)

PREMISES = LayerSpec(
    "premises",
    "社区用房",
    PUNCTUAL + POLYGONAL,
    id_field="premises_id",
    fields=(
        Field("premises_id", "text", ("用房编号",), required=True),
        Field("community_id", "text", ("社区代码", "社区编码")),
        Field("name", "text", ("名称", "用房名称")),
        Field(
            "function", "enum", ("功能", "用途"), required=True, choices=FUNCTIONS, values=FUNCTION
        ),
        Field(
            "floor_area_m2",
            "number",
            ("建筑面积", "面积"),
            required=True,
            minimum=0,
            exclusive_minimum=True,
            plausible_max="max_floor_area_m2",
        ),
        Field("floor", "int", ("楼层", "所在楼层")),
        _enum("tenure", ("建设方式", "取得方式"), TENURE, required=True),
        Field(
            "cost_yuan", "number", ("建设投入", "投入"), minimum=0, plausible_max="max_amount_yuan"
        ),
        Field(
            "annual_rent_yuan", "number", ("年租金",), minimum=0, plausible_max="max_amount_yuan"
        ),
        _enum("status", ("状态",), STATUS, default="existing"),
    ),
)

PLANNED_ROADS = LayerSpec(
    "planned_roads",
    "规划道路",
    LINEAR,
    id_field="road_id",
    fields=(
        Field("road_id", "text", ("道路编号",), required=True),
        Field("name", "text", ("道路名称", "名称")),
    ),
)

DEVELOPMENT_PARCELS = LayerSpec(
    "development_parcels",
    "出让地块",
    POLYGONAL,
    id_field="parcel_id",
    fields=(
        Field("parcel_id", "text", ("地块编号",), required=True),
        Field("name", "text", ("地块名称", "名称")),
        Field(
            "planned_households",
            "int",
            ("规划户数",),
            minimum=0,
            plausible_max="max_households_per_estate",
        ),
        Field(
            "residential_floor_area_m2",
            "number",
            ("住宅建筑面积",),
            minimum=0,
            plausible_max="max_residential_floor_area_m2",
        ),
        Field("delivery_year", "plan_year", ("交付年份",)),
    ),
)

CANDIDATE_SITES = LayerSpec(
    "candidate_sites",
    "备选点位",
    PUNCTUAL,
    id_field="site_id",
    fields=(
        Field("site_id", "text", ("点位编号",), required=True),
        Field("name", "text", ("名称",)),
        Field(
            "max_floor_area_m2",
            "number",
            ("最大建筑面积",),
            minimum=0,
            plausible_max="max_floor_area_m2",
        ),
    ),
)

COUNTY_OUTLINE = LayerSpec(
    "county_outline",
    "县界",
    POLYGONAL,
    fields=(Field("name", "text", ("名称",)),),
)

VECTOR_LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        COMMUNITIES,
        ESTATES,
        PREMISES,
        PLANNED_ROADS,
        DEVELOPMENT_PARCELS,
        CANDIDATE_SITES,
        COUNTY_OUTLINE,
    )
}
# layout plan revision (R7, 一(一)): a walking network and hard edges of proposed communities
PATHS = LayerSpec(
    "paths",
    "步行路网",
    LINEAR,
    id_field="path_id",
    fields=(Field("path_id", "text", ("路段编号",)), Field("name", "text", ("名称", "道路名称"))),
)

BARRIERS = LayerSpec(
    "barriers",
    "分隔要素",
    LINEAR + POLYGONAL,
    id_field="barrier_id",
    fields=(
        Field("barrier_id", "text", ("编号",)),
        Field("name", "text", ("名称",)),
        Field("kind", "text", ("类型",)),
    ),  # river, railway, expressway … (free text)
)

VECTOR_LAYERS.update({spec.name: spec for spec in (PATHS, BARRIERS)})

RASTER_LAYERS = ("population",)
# the folder's settings: which file is which layer, field renames, declared CRS, rules file
CONFIG_FILE = "planner.yaml"
VECTOR_EXTENSIONS = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".parquet")
RASTER_EXTENSIONS = (".tif", ".tiff")
HOUSEHOLDS_TABLE = "households"
TABLE_EXTENSIONS = (".csv", ".xlsx")
# the parts of a shapefile: the .shp needs .shx and .dbf beside it
SHAPEFILE_REQUIRED_PARTS = (".shx", ".dbf")
# every name a file of the layers folder may have, stem → layer (for "did you mean …?")
FILE_STEMS: dict[str, str] = {
    **{name: name for name in VECTOR_LAYERS},
    **{spec.alias_zh: name for name, spec in VECTOR_LAYERS.items()},
    HOUSEHOLDS_TABLE: HOUSEHOLDS_TABLE,
    "户数统计表": HOUSEHOLDS_TABLE,
    "population": "population",
    "人口": "population",
}
