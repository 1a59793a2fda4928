"""The design of the Deqing demo: what each of the 22 real communities is made to exercise.

The demo is designed, not sampled: every community is given a household target (or a share of
the estates' capacity), an existing premises area as a ratio of its R1 requirement, and the
premises that make it up (function, tenure, floor, cost), so that every branch of the rules
R1-R8 occurs at least once; ``layers/deqing_demo/README.md`` lists them, computed by the
planner from the generated files. The ratios are relative to the requirement of the rules
file (``gis_planner.rules.load_rules``); no rule number is copied here.

Also here: the real reference data the demo is built on (NBS 2023 community codes and names,
the 2020 census household size, read from ``gis_planner/data``) and the layers in memory.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

import gis_planner

DATA_DIR = Path(gis_planner.__file__).resolve().parent / "data"
"""The package's data files: the reference data of Deqing and its county outline."""

DEFAULT_SEED = 20200810
"""Seed of the embedded demo: the date of the Deqing opinions (2020-08-10)."""

# ----------------------------------------------------------------------------- layout
WUKANG_LONLAT = (119.97, 30.54)
ROTATION_DEG = 16.0  # the street grid is rotated this much anticlockwise from east
ENVELOPE_SEMI_AXES_M = (2650.0, 2050.0)
BLOCK_SIDE_M = (145.0, 230.0)
TOTAL_ASSIGNED_HOUSEHOLDS = 65_000
PARCEL_AREA_RANGE_M2 = (20_000.0, 80_000.0)
N_STRADDLERS = 7
UNASSIGNED_ESTATE_NAME = "城郊待划入小区"
OLD_SUFFIXES = ("新村", "小区", "公寓", "宿舍区", "住宅区")
NEW_SUFFIXES = ("花园", "苑", "家园", "华庭", "名苑", "府", "公馆", "雅苑", "庭院", "湾")


# ----------------------------------------------------------------------------- the design
@dataclass(frozen=True)
class PremisesDesign:
    """One designed premises of a community (English values; translated when written)."""

    function: str
    tenure: str
    weight: float = 0.0  # share of the community's existing floor area
    floor: int = 1
    area_m2: float | None = None  # a fixed floor area instead of a share
    status: str = "existing"
    unit_yuan: float | None = None  # cost (or yearly rent) per m2 fixed by the design
    coded: bool = True  # False: 社区代码 left empty, the premises is located by position


@dataclass(frozen=True)
class CommunityDesign:
    """What the demo makes of one real community."""

    target_households: float | None  # None: proportional to its estates' capacity
    premises_ratio: float | None  # existing area / R1 required area; None: no premises
    premises: tuple[PremisesDesign, ...] = ()
    kind: str = "urban"
    population_known: bool = True
    standard: str | None = None


_P = PremisesDesign
# fmt: off
DESIGN: dict[str, CommunityDesign] = {
    # 武康街道 — ordered from the centre of town outwards
    "330521001001": CommunityDesign(5300, 1.12, (  # 居仁: too large; build costs above the cap
        _P("party_service_centre", "new_build", 0.50),
        _P("service_centre", "new_build", 0.10),
        _P("elderly_care", "new_build", 0.18, floor=2),
        _P("neighbourhood_centre", "leased", 0.14, unit_yuan=330.0),  # rent above the cap
        _P("health_station", "purchased", 0.08, coded=False),
    )),
    "330521001002": CommunityDesign(4480, 0.72, (  # 吉祥: too large, short
        _P("party_service_centre", "developer_built", 0.55),
        _P("service_centre", "developer_built", 0.12, floor=2),  # not on the ground floor
        _P("children_home", "renovated", 0.15),
        _P("work_rooms", "leased", 0.18, floor=2),
    )),
    "330521001003": CommunityDesign(3600, 1.03, (  # 春晖: standard overridden to renovated
        _P("party_service_centre", "new_build", 0.55),
        _P("service_centre", "renovated", 0.12),
        _P("infant_care", "new_build", 0.13),
        _P("elderly_care", "renovated", 0.20),
    ), standard="renovated"),
    "330521001004": CommunityDesign(None, 0.78, (  # 永兴: renovated, short, under the cap
        _P("party_service_centre", "renovated", 0.50, unit_yuan=820.0),
        _P("service_centre", "renovated", 0.12, unit_yuan=760.0),
        _P("work_rooms", "renovated", 0.38, floor=2, unit_yuan=640.0),
    )),
    "330521001005": CommunityDesign(None, 1.15, (  # 祥和: leased, meets
        _P("party_service_centre", "leased", 0.50),
        _P("service_centre", "leased", 0.12),
        _P("elderly_care", "renovated", 0.20),
        _P("children_home", "leased", 0.18, floor=2),
    )),
    "330521001006": CommunityDesign(None, 1.20, (  # 群安: new, meets
        _P("party_service_centre", "new_build", 0.50),
        _P("service_centre", "new_build", 0.12),
        _P("health_station", "renovated", 0.15),
        _P("neighbourhood_centre", "leased", 0.23),
    )),
    "330521001007": CommunityDesign(None, 0.60, (  # 振兴: purchased, short
        _P("party_service_centre", "purchased", 0.55, floor=2),
        _P("service_centre", "purchased", 0.15),
        _P("children_home", "renovated", 0.15, coded=False),
        _P("work_rooms", "leased", 0.15),
    )),
    "330521001008": CommunityDesign(None, 1.10, (  # 英溪: developer-built, meets
        _P("party_service_centre", "developer_built", 0.55),
        _P("service_centre", "developer_built", 0.12),
        _P("infant_care", "new_build", 0.13),
        _P("elderly_care", "leased", 0.20),
    )),
    "330521001009": CommunityDesign(None, 1.18, (  # 丰桥: a service centre under 100 m2
        _P("party_service_centre", "renovated", 0.60),
        _P("service_centre", "renovated", area_m2=85.0),
        _P("work_rooms", "renovated", 0.20),
        _P("children_home", "purchased", 0.20),
    )),
    "330521001010": CommunityDesign(None, 0.66, (  # 五龙: new, short; population unknown
        _P("party_service_centre", "new_build", 0.60),
        _P("service_centre", "new_build", 0.15),
        _P("elderly_care", "renovated", 0.25),
    ), population_known=False),
    "330521001011": CommunityDesign(None, None, (  # 新丰: no premises yet, planned ones
        _P("party_service_centre", "new_build", area_m2=1650.0, status="planned"),
        _P("service_centre", "new_build", area_m2=260.0, status="planned"),
    )),
    "330521001012": CommunityDesign(None, 0.70, (  # 千秋: leased, short, rent under the cap
        _P("party_service_centre", "leased", 0.60, unit_yuan=150.0),
        _P("service_centre", "leased", 0.15, unit_yuan=170.0),
        _P("other", "renovated", 0.25),
    )),
    "330521001013": CommunityDesign(1160, None),  # 千亩: too small, no premises at all
    # 舞阳街道
    "330521002001": CommunityDesign(None, 0.75, (  # 舞阳: new, short, a planned extension
        _P("party_service_centre", "new_build", 0.55),
        _P("service_centre", "new_build", 0.15),
        _P("health_station", "leased", 0.30),
        _P("elderly_care", "new_build", area_m2=680.0, status="planned"),
    )),
    "330521002002": CommunityDesign(None, 1.09, (  # 塔山: renovated, meets
        _P("party_service_centre", "renovated", 0.50),
        _P("service_centre", "renovated", 0.12),
        _P("other", "purchased", 0.18),
        _P("neighbourhood_centre", "renovated", 0.20),
    )),
    "330521002003": CommunityDesign(None, 1.10, (  # 上柏: village-to-residence, renovated
        _P("party_service_centre", "renovated", 0.60, unit_yuan=1150.0),
        _P("service_centre", "renovated", 0.15, unit_yuan=900.0),
        _P("elderly_care", "leased", 0.25),
    ), kind="village_to_residence"),
    "330521002004": CommunityDesign(None, 0.70, (  # 回龙: developer-built, short
        _P("party_service_centre", "developer_built", 0.60),
        _P("service_centre", "developer_built", 0.15),
        _P("infant_care", "renovated", 0.25),
    )),
    "330521002005": CommunityDesign(None, 1.14, (  # 玉屏: leased, meets; population unknown
        _P("party_service_centre", "leased", 0.55),
        _P("service_centre", "leased", 0.15),
        _P("children_home", "leased", 0.30),
    ), population_known=False),
    # 阜溪街道
    "330521003001": CommunityDesign(None, 1.10, (  # 三桥: new, meets
        _P("party_service_centre", "new_build", 0.50),
        _P("service_centre", "new_build", 0.12),
        _P("elderly_care", "new_build", 0.20, coded=False),
        _P("work_rooms", "purchased", 0.18),
    )),
    "330521003002": CommunityDesign(None, 0.80, (  # 狮山: renovated, short
        _P("party_service_centre", "renovated", 0.55),
        _P("service_centre", "renovated", 0.15),
        _P("health_station", "renovated", 0.30),
    )),
    "330521003003": CommunityDesign(None, 1.20, (  # 兴山: purchased, meets; population unknown
        _P("party_service_centre", "purchased", 0.50),
        _P("service_centre", "purchased", 0.12),
        _P("neighbourhood_centre", "leased", 0.20),
        _P("infant_care", "renovated", 0.18),
    ), population_known=False),
    "330521003004": CommunityDesign(1340, 0.70, (  # 板桥: too small, short
        _P("party_service_centre", "renovated", 0.70),
        _P("service_centre", "renovated", 0.30),
    )),
}
# fmt: on
# a planned premises delivered with the first parcel of the community holding two parcels
PARCEL_PREMISES = _P("neighbourhood_centre", "developer_built", area_m2=620.0, status="planned")
UNIT_YUAN = {  # cost per m2 (rent per m2 and year for leased) when the design fixes none
    "new_build": (2900.0, 3700.0),
    "renovated": (600.0, 1300.0),
    "leased": (140.0, 300.0),
    "purchased": (6500.0, 8500.0),
}


# ----------------------------------------------------------------------------- reference data
def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class RefCommunity:
    """A real community: its NBS 2023 code, name (without 居委会) and street."""

    code: str
    name: str
    street_code: str
    street: str


def reference_communities() -> list[RefCommunity]:
    """The 22 real central-city communities (NBS 2023), sorted by code."""
    streets = {row["code"]: row["name"] for row in _read_csv("deqing_streets_nbs2023.csv")}
    out = [
        RefCommunity(
            code=row["code"],
            name=row["name"].removesuffix("居委会"),
            street_code=row["streetCode"],
            street=streets[row["streetCode"]],
        )
        for row in _read_csv("deqing_central_communities_nbs2023.csv")
    ]
    return sorted(out, key=lambda c: c.code)


def household_size() -> float:
    """Average household size of the 2020 census (persons per household)."""
    for row in _read_csv("deqing_census2020_county.csv"):
        if row["figure"] == "average_household_size_2020":
            return float(row["value"])
    raise RuntimeError("deqing_census2020_county.csv has no average_household_size_2020")


# ----------------------------------------------------------------------------- the result
@dataclass
class DemoLayers:
    """The demo layers in memory, in EPSG:4549 (English field names and values)."""

    communities: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame
    premises: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    parcels: gpd.GeoDataFrame
    population: np.ndarray  # float32 rows x cols, nodata -9999
    population_transform: Any
    household_size: float
    notes: dict[str, Any] = field(default_factory=dict)  # the designed features, by role
