"""The data contract of a layers folder (DESIGN.md): layers, fields, Chinese aliases and values.

This module is data only: which layers exist, which fields they carry and how they are checked,
which Chinese values are accepted. Each field's kind and Chinese names (aliases) come from the
field catalogue (:mod:`gis_planner.catalogue`, ``data/fields.csv``). ``layers`` validates
against it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gis_planner import catalogue
from gis_planner.rules import PREMISES_FUNCTIONS

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


def _field(layer: str, name: str, **kw: Any) -> Field:
    """The field ``name`` of ``layer``: its kind and Chinese aliases from the field catalogue
    (``data/fields.csv``), its checks from ``kw``."""
    entry = catalogue.entry(layer, name)
    return Field(name, entry.type, entry.aliases_zh, **kw)


def _enum(layer: str, name: str, values: dict[str, str], **kw: Any) -> Field:
    """An enumeration field: ``values`` maps Chinese values to the English ones (its choices)."""
    choices = tuple(dict.fromkeys(values.values()))
    return _field(layer, name, choices=choices, values=values, **kw)


FUNCTIONS = PREMISES_FUNCTIONS  # one list: the rules file's choices are checked against it too

COMMUNITIES = LayerSpec(
    "communities",
    "社区边界",
    POLYGONAL,
    id_field="community_id",
    required=True,
    fields=(
        _field("communities", "community_id", required=True),
        _field("communities", "name", required=True),
        _field(
            "communities",
            "street",
        ),
        _field("communities", "county"),  # the partition key of run --workers
        _enum("communities", "kind", KIND, default="urban"),
        _field(
            "communities",
            "population",
            minimum=0,
            plausible_max="max_population_per_community",
        ),
        _field(
            "communities", "households", minimum=0, plausible_max="max_households_per_community"
        ),
        _enum("communities", "standard", STANDARD),
    ),
)

ESTATES = LayerSpec(
    "estates",
    "小区",
    POLYGONAL,
    id_field="estate_id",
    fields=(
        _field("estates", "estate_id", required=True),
        _field("estates", "name", required=True),
        _field(
            "estates",
            "households",
            required=True,
            minimum=0,
            plausible_max="max_households_per_estate",
        ),
        _field(
            "estates",
            "built_year",
        ),
        _enum("estates", "enclosure", ENCLOSURE),
        _field(
            "estates",
            "property_management",
        ),
        _enum("estates", "facade", FACADE),
        _enum("estates", "condition", CONDITION),
        _field(
            "estates",
            "survey_participation",
        ),
        _field(
            "estates",
            "survey_support",
        ),
        _field(
            "estates",
            "commercial_frontage",
        ),
    ),
)

PREMISES = LayerSpec(
    "premises",
    "社区用房",
    PUNCTUAL + POLYGONAL,
    id_field="premises_id",
    fields=(
        _field("premises", "premises_id", required=True),
        _field(
            "premises",
            "community_id",
        ),
        _field(
            "premises",
            "name",
        ),
        _field("premises", "function", required=True, choices=FUNCTIONS, values=FUNCTION),
        _field(
            "premises",
            "floor_area_m2",
            required=True,
            minimum=0,
            exclusive_minimum=True,
            plausible_max="max_floor_area_m2",
        ),
        _field(
            "premises",
            "floor",
        ),
        _enum("premises", "tenure", TENURE, required=True),
        _field("premises", "cost_yuan", minimum=0, plausible_max="max_amount_yuan"),
        _field("premises", "annual_rent_yuan", minimum=0, plausible_max="max_amount_yuan"),
        _enum("premises", "status", STATUS, default="existing"),
    ),
)

PLANNED_ROADS = LayerSpec(
    "planned_roads",
    "规划道路",
    LINEAR,
    id_field="road_id",
    fields=(
        _field("planned_roads", "road_id", required=True),
        _field(
            "planned_roads",
            "name",
        ),
    ),
)

DEVELOPMENT_PARCELS = LayerSpec(
    "development_parcels",
    "出让地块",
    POLYGONAL,
    id_field="parcel_id",
    fields=(
        _field("development_parcels", "parcel_id", required=True),
        _field(
            "development_parcels",
            "name",
        ),
        _field(
            "development_parcels",
            "planned_households",
            minimum=0,
            plausible_max="max_households_per_estate",
        ),
        _field(
            "development_parcels",
            "residential_floor_area_m2",
            minimum=0,
            plausible_max="max_residential_floor_area_m2",
        ),
        _field(
            "development_parcels",
            "delivery_year",
        ),
    ),
)

CANDIDATE_SITES = LayerSpec(
    "candidate_sites",
    "备选点位",
    PUNCTUAL,
    id_field="site_id",
    fields=(
        _field("candidate_sites", "site_id", required=True),
        _field(
            "candidate_sites",
            "name",
        ),
        _field(
            "candidate_sites",
            "max_floor_area_m2",
            minimum=0,
            plausible_max="max_floor_area_m2",
        ),
    ),
)

COUNTY_OUTLINE = LayerSpec(
    "county_outline",
    "县界",
    POLYGONAL,
    fields=(
        _field(
            "county_outline",
            "name",
        ),
    ),
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
    fields=(
        _field(
            "paths",
            "path_id",
        ),
        _field(
            "paths",
            "name",
        ),
    ),
)

BARRIERS = LayerSpec(
    "barriers",
    "分隔要素",
    LINEAR + POLYGONAL,
    id_field="barrier_id",
    fields=(
        _field(
            "barriers",
            "barrier_id",
        ),
        _field(
            "barriers",
            "name",
        ),
        _field(
            "barriers",
            "kind",
        ),
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
