"""R6 open-to-enclosed screening (开转封, 一(三)) and the R8 no-property-management flag (四(五)).

Estates are 100 m squares in EPSG:4549, placed 200 m apart along x near Deqing
(x0 = 497000 + 200·k, y0 = 3380000). With the default rules the estate is shrunk inward by
5 m before a planned road is measured, so a horizontal road at y0 + 50 that starts outside the
estate and ends at x0 + 5 + L lies L metres inside the shrunk square (x0 + 5 … x0 + 95).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, box

from gis_planner.enclosure import (
    STATUSES,
    enclosure_counts,
    enclosure_list,
    screen_enclosure,
)
from gis_planner.errors import PlannerError
from gis_planner.i18n import MESSAGES, Listing, Message, Term, msg
from gis_planner.render.report import enclosure_sheet, enclosure_summary_sheet
from gis_planner.rules import load_rules

X0, Y0 = 497000.0, 3380000.0
CRS = "EPSG:4549"

# A clean candidate: open, built 1995, survey 80 % / 80 %, frontage 10 %, managed, in C1.
BASE = {
    "name": "小区",
    "households": 200,
    "built_year": 1995,
    "enclosure": "open",
    "property_management": True,
    "facade": "good",
    "condition": "fair",
    "survey_participation": 0.8,
    "survey_support": 0.8,
    "commercial_frontage": 0.1,
    "community_id": "C1",
    "community_name": "春晖社区",
    "street": "武康街道",
}
DTYPES = {
    "households": "Int64",
    "built_year": "Int64",
    "property_management": "boolean",
    "survey_participation": "Float64",
    "survey_support": "Float64",
    "commercial_frontage": "Float64",
}


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def x_of(k: int) -> float:
    return X0 + 200.0 * k


def estates(*rows: dict, drop: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Estates E1, E2, … as 100 m squares; each row overrides BASE."""
    records = []
    for k, row in enumerate(rows):
        record = {"estate_id": f"E{k + 1}", **BASE, **row}
        records.append(record)
    df = pd.DataFrame(records)
    for col, dtype in DTYPES.items():
        df[col] = df[col].astype(dtype)
    df = df.drop(columns=list(drop))
    geoms = [box(x_of(k), Y0, x_of(k) + 100, Y0 + 100) for k in range(len(rows))]
    return gpd.GeoDataFrame(df, geometry=geoms, crs=CRS)


def roads(*lines, ids=None, names=None) -> gpd.GeoDataFrame:
    n = len(lines)
    return gpd.GeoDataFrame(
        {
            "road_id": ids or [f"R{i + 1}" for i in range(n)],
            "name": names or [f"规划R{i + 1}路" for i in range(n)],
        },
        geometry=list(lines),
        crs=CRS,
    )


def road_into(k: int, inside_m: float) -> LineString:
    """A road entering estate k from the west, ``inside_m`` metres inside the shrunk square."""
    return LineString([(x_of(k) - 10, Y0 + 50), (x_of(k) + 5 + inside_m, Y0 + 50)])


def road_through(k: int) -> LineString:
    """A road crossing estate k from west to east: 90 m inside the shrunk square."""
    return LineString([(x_of(k) - 10, Y0 + 50), (x_of(k) + 110, Y0 + 50)])


def one(result: pd.DataFrame, row: int = 0) -> pd.Series:
    return result.iloc[row]


def said(reasons: list[Message]) -> list[tuple]:
    """Each reason as (code, *its parameters in the order they were given)."""
    return [(m.code, *m.values.values()) for m in reasons]


# --------------------------------------------------------------------------- roads


def test_r6_road_along_edge_does_not_cross(rules):
    est = estates({})
    along = LineString([(x_of(0) - 10, Y0 + 2), (x_of(0) + 110, Y0 + 2)])  # 2 m inside the edge
    on_edge = LineString([(x_of(0), Y0 + 100), (x_of(0) + 100, Y0 + 100)])
    out = one(screen_enclosure(est, roads(along, on_edge), rules=rules))
    assert out.road_crossing_m == 0.0
    assert out.enclosure_status == "candidate"
    assert ("enc_no_road",) in said(out.enclosure_reasons)


def test_r6_road_15m_inside_shrunk_polygon_passes(rules):
    out = one(screen_enclosure(estates({}), roads(road_into(0, 15)), rules=rules))
    assert out.road_crossing_m == pytest.approx(15.0)
    assert out.enclosure_status == "candidate"
    assert ("enc_road_short", "规划R1路", "15", "20") in said(out.enclosure_reasons)


def test_r6_road_25m_inside_shrunk_polygon_is_not_suitable(rules):
    # the road is 35 m inside the original square but 25 m inside the square shrunk by 5 m
    out = one(screen_enclosure(estates({}), roads(road_into(0, 25)), rules=rules))
    assert out.road_crossing_m == pytest.approx(25.0)
    assert out.enclosure_status == "not_suitable"
    assert said(out.enclosure_reasons)[0] == ("enc_road_crossing", "规划R1路", "25", "20")


def test_r6_road_crossing_exactly_the_limit_passes(rules):
    out = one(screen_enclosure(estates({}), roads(road_into(0, 20)), rules=rules))
    assert out.road_crossing_m == pytest.approx(20.0)
    assert out.enclosure_status == "candidate"


def test_r6_road_pieces_sharing_a_road_id_add_up(rules):
    # two 12 m pieces of one road (R7): 24 m of the same road inside → crosses
    piece_a = LineString([(x_of(0) + 5, Y0 + 50), (x_of(0) + 17, Y0 + 50)])
    piece_b = LineString([(x_of(0) + 17, Y0 + 50), (x_of(0) + 29, Y0 + 50)])
    out = one(
        screen_enclosure(
            estates({}),
            roads(piece_a, piece_b, ids=["R7", "R7"], names=["规划R7路", "规划R7路"]),
            rules=rules,
        )
    )
    assert out.road_crossing_m == pytest.approx(24.0)
    assert out.enclosure_status == "not_suitable"
    # two different roads of 12 m each do not add up
    out = one(screen_enclosure(estates({}), roads(piece_a, piece_b), rules=rules))
    assert out.road_crossing_m == pytest.approx(12.0)
    assert out.enclosure_status == "candidate"


def test_r6_a_road_digitised_as_segments_is_measured_whole(rules):
    # 9 segments of 10 m along y = 50 through estate 0 (90 m inside the shrunk square): one
    # road whether the pieces share a road_id, only a name, or nothing but touching ends
    xs = [x_of(0) - 10 + 10 * i for i in range(12)]
    pieces = [LineString([(a, Y0 + 50), (a + 10, Y0 + 50)]) for a in xs]
    n = len(pieces)
    for ids, names in (([None] * n, ["规划一路"] * n), ([None] * n, [None] * n)):
        out = one(screen_enclosure(estates({}), roads(*pieces, ids=ids, names=names), rules=rules))
        assert out.road_crossing_m == pytest.approx(90.0)
        assert out.enclosure_status == "not_suitable"
        crossing = [r for r in said(out.enclosure_reasons) if r[0] == "enc_road_crossing"]
        assert len(crossing) == 1 and crossing[0][2] == "90"
    # the same road drawn twice counts once
    twice = roads(road_through(0), road_through(0), ids=["R1", "R1"], names=["一路", "一路"])
    assert one(screen_enclosure(estates({}), twice, rules=rules)).road_crossing_m == (
        pytest.approx(90.0)
    )


def test_r6_multilinestring_road_and_longest_of_several(rules):
    multi = MultiLineString(
        [
            [(x_of(0) - 10, Y0 + 30), (x_of(0) + 20, Y0 + 30)],  # 15 m
            [(x_of(0) - 10, Y0 + 60), (x_of(0) + 15, Y0 + 60)],
        ]
    )  # 10 m
    out = one(screen_enclosure(estates({}), roads(multi, road_into(0, 18)), rules=rules))
    assert out.road_crossing_m == pytest.approx(25.0)  # R1: 15 + 10 inside; R2: 18
    assert out.enclosure_status == "not_suitable"
    assert said(out.enclosure_reasons)[0][:3] == ("enc_road_crossing", "规划R1路", "25")
    assert ("enc_road_short", "规划R2路", "18", "20") in said(out.enclosure_reasons)


def test_r6_road_threshold_read_from_rules(rules):
    stricter = rules.with_overrides({"enclosure": {"road_crossing_min_length_m": 10}})
    out = one(screen_enclosure(estates({}), roads(road_into(0, 15)), rules=stricter))
    assert out.enclosure_status == "not_suitable"
    assert ("enc_road_crossing", "规划R1路", "15", "10") in said(out.enclosure_reasons)
    wider = rules.with_overrides({"enclosure": {"road_edge_tolerance_m": 10}})
    out = one(screen_enclosure(estates({}), roads(road_into(0, 25)), rules=wider))
    assert out.road_crossing_m == pytest.approx(20.0)  # x0+10 … x0+30


def test_r6_without_road_layer_the_crossing_is_not_checked(rules):
    out = one(screen_enclosure(estates({}), None, rules=rules))
    assert out.road_crossing_m == 0.0
    assert out.enclosure_status == "candidate"
    assert ("enc_no_roads_layer",) in said(out.enclosure_reasons)


def test_r6_road_crs_mismatch_raises(rules):
    wgs84 = roads(road_into(0, 25)).to_crs("EPSG:4326")
    with pytest.raises(PlannerError, match="EPSG:4326.*EPSG:4549"):
        screen_enclosure(estates({}), wgs84, rules=rules)


def test_r6_estates_in_geographic_crs_raise(rules):
    est, rd = estates({}).to_crs("EPSG:4490"), roads(road_into(0, 25)).to_crs("EPSG:4490")
    with pytest.raises(PlannerError, match="经纬度"):
        screen_enclosure(est, rd, rules=rules)


# --------------------------------------------------------------------------- survey


def test_r6_support_exactly_three_quarters_passes(rules):
    out = screen_enclosure(
        estates({"survey_support": 0.75}, {"survey_support": 0.7499}), rules=rules
    )
    assert one(out, 0).enclosure_status == "candidate"
    assert ("enc_support_ok", "75%", "75%") in said(one(out, 0).enclosure_reasons)
    assert one(out, 1).enclosure_status == "not_suitable"
    assert ("enc_support_low", "74.99%", "75.00%") in said(one(out, 1).enclosure_reasons)


def test_r6_participation_0_6667_passes_two_thirds(rules):
    out = screen_enclosure(
        estates({"survey_participation": 0.6667}, {"survey_participation": 0.5}), rules=rules
    )
    assert one(out, 0).enclosure_status == "candidate"
    assert ("enc_participation_ok", "67%", "67%") in said(one(out, 0).enclosure_reasons)
    assert one(out, 1).enclosure_status == "not_suitable"
    assert ("enc_participation_low", "50%", "67%") in said(one(out, 1).enclosure_reasons)


def test_r6_unknown_survey_is_needs_survey(rules):
    out = screen_enclosure(
        estates({"survey_support": None, "survey_participation": None}, {"survey_support": None}),
        rules=rules,
    )
    assert list(out.enclosure_status) == ["needs_survey", "needs_survey"]
    assert said(one(out, 0).enclosure_reasons)[:2] == [
        ("enc_no_survey",),
        ("enc_participation_unknown",),
    ]
    assert said(one(out, 1).enclosure_reasons)[0] == ("enc_support_unknown",)


def test_r6_unknown_survey_with_failing_road_is_not_suitable(rules):
    est = estates({"survey_support": None, "survey_participation": None})
    out = one(screen_enclosure(est, roads(road_through(0)), rules=rules))
    assert out.enclosure_status == "not_suitable"
    assert said(out.enclosure_reasons)[:3] == [
        ("enc_road_crossing", "规划R1路", "90", "20"),
        ("enc_no_survey",),
        ("enc_participation_unknown",),
    ]


def test_r6_reasons_list_every_finding(rules):
    est = estates({"survey_support": 0.6, "commercial_frontage": 0.42})
    out = one(screen_enclosure(est, roads(road_through(0)), rules=rules))
    assert out.enclosure_status == "not_suitable"
    assert said(out.enclosure_reasons) == [
        ("enc_road_crossing", "规划R1路", "90", "20"),
        ("enc_support_low", "60%", "75%"),
        ("enc_frontage_high", "42%", "30%"),
        ("enc_eligible", Term("open")),
        ("enc_participation_ok", "80%", "67%"),
        ("enc_built_before", 2000, 1995),
    ]


# --------------------------------------------------------------------------- enclosure, year


def test_r6_enclosed_is_not_applicable_even_with_a_road(rules):
    est = estates({"enclosure": "enclosed", "facade": "damaged"})
    out = one(screen_enclosure(est, roads(road_through(0)), rules=rules))
    assert out.enclosure_status == "not_applicable"
    assert said(out.enclosure_reasons) == [("enc_enclosed",)]
    assert out.road_crossing_m == pytest.approx(90.0)
    assert bool(out.walls_included) is True  # set from the facade anyway
    assert pd.isna(out.enclosure_rank)


def test_r6_semi_open_outside_a_narrower_scope_is_not_applicable(rules):
    only_open = rules.with_overrides({"enclosure": {"eligible_enclosure": ["open"]}})
    out = one(screen_enclosure(estates({"enclosure": "semi_open"}), rules=only_open))
    assert out.enclosure_status == "not_applicable"
    assert said(out.enclosure_reasons) == [
        ("enc_not_eligible", Term("semi_open"), Listing.of([Term("open")]))
    ]
    assert out.enclosure_reasons[0].text("zh") == "封闭情况为半封闭，不在开转封范围（开放式）内"


def test_r6_unknown_enclosure_needs_review(rules):
    out = one(screen_enclosure(estates({"enclosure": None}), rules=rules))
    assert out.enclosure_status == "needs_review"
    assert said(out.enclosure_reasons)[0] == ("enc_enclosure_unknown",)


def test_r6_post_2000_poor_condition_is_candidate_exception(rules):
    out = one(screen_enclosure(estates({"built_year": 2005, "condition": "poor"}), rules=rules))
    assert out.enclosure_status == "candidate_exception"
    assert ("enc_built_after_poor", 2000, 2005) in said(out.enclosure_reasons)
    assert out.enclosure_rank == 1


def test_r6_post_2000_good_condition_is_not_suitable(rules):
    out = screen_enclosure(
        estates({"built_year": 2000, "condition": "good"}, {"built_year": 2010, "condition": None}),
        rules=rules,
    )
    assert list(out.enclosure_status) == ["not_suitable", "not_suitable"]
    assert said(one(out, 0).enclosure_reasons)[0] == (
        "enc_built_after_not_poor",
        2000,
        2000,
        msg("enc_condition_good"),
    )
    assert said(one(out, 1).enclosure_reasons)[0] == (
        "enc_built_after_condition_unknown",
        2000,
        2010,
    )


def test_r6_unknown_built_year_needs_review(rules):
    out = one(screen_enclosure(estates({"built_year": None}), rules=rules))
    assert out.enclosure_status == "needs_review"
    assert said(out.enclosure_reasons)[0] == ("enc_year_unknown",)


def test_r6_commercial_frontage_042_needs_review(rules):
    out = screen_enclosure(
        estates(
            {"commercial_frontage": 0.42},
            {"commercial_frontage": 0.3},
            {"commercial_frontage": None},
        ),
        rules=rules,
    )
    assert list(out.enclosure_status) == ["needs_review", "candidate", "candidate"]
    assert said(one(out, 0).enclosure_reasons)[0] == ("enc_frontage_high", "42%", "30%")
    assert ("enc_frontage_ok", "30%", "30%") in said(one(out, 1).enclosure_reasons)
    assert ("enc_frontage_unknown",) in said(one(out, 2).enclosure_reasons)


def test_r6_precedence_of_statuses(rules):
    out = screen_enclosure(
        estates(
            # not_suitable beats needs_survey and needs_review
            {"survey_support": 0.5, "survey_participation": None, "built_year": None},
            # needs_survey beats needs_review and the exception
            {
                "survey_support": None,
                "commercial_frontage": 0.5,
                "built_year": 2008,
                "condition": "poor",
            },
            # needs_review beats the exception
            {"commercial_frontage": 0.5, "built_year": 2008, "condition": "poor"},
            # not_applicable beats everything
            {"enclosure": "enclosed", "survey_support": 0.1, "built_year": None},
        ),
        rules=rules,
    )
    assert list(out.enclosure_status) == [
        "not_suitable",
        "needs_survey",
        "needs_review",
        "not_applicable",
    ]
    assert ("enc_built_after_poor", 2000, 2008) in said(one(out, 2).enclosure_reasons)


# --------------------------------------------------------------------------- flags, gaps


def test_r6_damaged_facade_includes_the_walls(rules):
    out = screen_enclosure(
        estates({"facade": "damaged"}, {"facade": "fair"}, {"facade": None}), rules=rules
    )
    assert list(out.walls_included) == [True, False, False]
    assert ("enc_walls",) in said(one(out, 0).enclosure_reasons)
    assert ("enc_facade_unknown",) in said(one(out, 2).enclosure_reasons)


def test_r8_no_property_management_flag(rules):
    out = screen_enclosure(
        estates(
            {"property_management": False},
            {"property_management": None},
            {"property_management": True},
        ),
        rules=rules,
    )
    assert list(out.no_property_management) == [True, False, False]
    assert out.no_property_management.dtype == bool
    assert ("enc_no_pm",) in said(one(out, 0).enclosure_reasons)
    assert ("enc_pm_unknown",) in said(one(out, 1).enclosure_reasons)
    assert list(out.enclosure_status) == ["candidate"] * 3  # R8 is a flag, not a criterion


def test_r6_estate_in_no_community_is_still_screened(rules):
    est = estates({"community_id": None, "community_name": None, "street": None})
    out = one(screen_enclosure(est, rules=rules))
    assert out.enclosure_status == "candidate"
    assert said(out.enclosure_reasons)[-1] == ("enc_no_community",)


def test_r6_missing_columns_are_unknown(rules):
    est = estates({}, drop=("survey_support", "survey_participation"))
    assert one(screen_enclosure(est, rules=rules)).enclosure_status == "needs_survey"
    bare = estates({}, {}, drop=tuple(c for c in BASE if c != "name"))
    out = screen_enclosure(bare, roads(road_into(1, 25)), rules=rules)
    assert list(out.enclosure_status) == ["needs_survey", "not_suitable"]
    assert list(out.walls_included) == [False, False]
    assert [m.code for m in one(out, 0).enclosure_reasons] == [
        "enc_no_survey",
        "enc_participation_unknown",
        "enc_enclosure_unknown",
        "enc_year_unknown",
        "enc_frontage_unknown",
        "enc_no_road",
        "enc_facade_unknown",
        "enc_pm_unknown",
    ]


def test_r6_input_untouched_and_index_kept(rules):
    est = estates({}, {"built_year": None}).set_axis(["a", "b"])
    before = est.copy()
    out = screen_enclosure(est, roads(road_into(0, 25)), rules=rules)
    pd.testing.assert_frame_equal(est, before)
    assert list(out.index) == ["a", "b"]
    assert list(out.columns) == [
        "enclosure_status",
        "enclosure_reasons",
        "walls_included",
        "no_property_management",
        "road_crossing_m",
        "enclosure_rank",
    ]
    assert out.enclosure_rank.dtype == "Int64"
    assert out.road_crossing_m.dtype == float


# --------------------------------------------------------------------------- ranking, language


def test_r6_candidates_ranked_oldest_first_then_most_households(rules):
    est = estates(
        {"built_year": 1990, "households": 100},  # E1 → 3
        {"built_year": 1985, "households": 50},  # E2 → 1
        {"built_year": 1990, "households": 300},  # E3 → 2
        {"built_year": 2005, "condition": "poor", "households": 900},  # E4 → 5 (exception)
        {"built_year": 1990, "households": 100},  # E5 → 4 (tie: id)
        {"built_year": 1980, "survey_support": None},  # E6 → not ranked
    )
    out = screen_enclosure(est, rules=rules)
    assert out.enclosure_rank.tolist() == [3, 1, 2, 5, 4, pd.NA]


def test_r6_reasons_worded_in_chinese_and_english(rules):
    est = estates(
        {
            "survey_support": 0.6,
            "facade": "damaged",
            "property_management": False,
            "community_id": None,
        }
    )
    out = one(screen_enclosure(est, roads(road_through(0)), rules=rules))
    assert [m.text("zh") for m in out.enclosure_reasons[:4]] == [
        "规划道路 规划R1路 穿越小区内部 90 m，超过 20 m",
        "支持率 60% 低于 75%",
        "开放式小区",
        "参与率 80%，不低于 67%",
    ]
    assert [m.text("en") for m in out.enclosure_reasons] == [
        "planned road 规划R1路 crosses the interior for 90 m, more than 20 m",
        "support 60% below 75%",
        "open estate",
        "participation 80%, not below 67%",
        "built before 2000 (1995)",
        "commercial frontage 10%, not above 30%",
        "facade severely damaged: walls included in the renovation",
        "no property management",
        "lies in no community (unassigned)",
    ]


# --------------------------------------------------------------------------- table, summary


def screened_sample(rules):
    est = estates(
        {"name": "甲小区", "built_year": 1990, "households": 100, "facade": "damaged"},
        {"name": "乙小区", "built_year": 1985, "households": 50, "property_management": False},
        {"name": "丙小区", "survey_support": None, "households": 400},
        {
            "name": "丁小区",
            "commercial_frontage": 0.42,
            "community_id": "C2",
            "community_name": "永安社区",
        },
        {"name": "戊小区", "enclosure": "enclosed"},
        {
            "name": "己小区",
            "survey_support": 0.5,
            "community_id": None,
            "community_name": None,
            "street": None,
        },
        {
            "name": "庚小区",
            "built_year": 2006,
            "condition": "poor",
            "households": 700,
            "street": "阜溪街道",
            "community_id": "C3",
            "community_name": "阜溪社区",
        },
    )
    return est.join(screen_enclosure(est, rules=rules))


def test_r6_table_chinese_headers_and_order(rules):
    ranked = enclosure_list(screened_sample(rules))
    assert list(ranked["estate_id"]) == ["E2", "E1", "E7", "E3", "E4", "E6"]
    assert ranked["unassigned"].tolist() == [False] * 5 + [True]
    assert [m.code for m in ranked.iloc[0]["enclosure_reasons"]][:2] == [
        "enc_no_roads_layer",
        "enc_eligible",
    ]
    table = enclosure_sheet(ranked)
    assert list(table.columns) == [
        "排序",
        "小区名称",
        "小区代码",
        "社区名称",
        "街道",
        "建成年份",
        "户数",
        "开转封评估",
        "评估理由",
        "墙体一并改造",
        "无物业管理",
    ]
    assert list(table["小区名称"]) == ["乙小区", "甲小区", "庚小区", "丙小区", "丁小区", "己小区"]
    assert table["排序"].tolist() == [1, 2, 3, pd.NA, pd.NA, pd.NA]
    assert list(table["开转封评估"]) == [
        "可列入",
        "可列入",
        "可列入（基础条件较差的例外）",
        "需开展意愿调查",
        "需论证",
        "不宜开转封",
    ]
    first = table.iloc[0]
    assert first["无物业管理"] == "是" and first["墙体一并改造"] == "否"
    assert table.iloc[1]["墙体一并改造"] == "是"
    assert first["评估理由"] == (
        "未提供规划道路图层：未核查道路穿越；开放式小区；支持率 80%，不低于 75%；"
        "参与率 80%，不低于 67%；2000年以前建成（1985年）；沿街商铺占比 10%，未超过 30%；"
        "无物业管理"
    )
    assert table.iloc[-1]["社区名称"] == "未分配" and table.iloc[-1]["街道"] == "未分配"
    assert "geometry" not in table.columns


def test_r6_table_english_headers(rules):
    table = enclosure_sheet(enclosure_list(screened_sample(rules)), lang="en")
    assert list(table.columns)[:3] == ["Rank", "Estate", "Estate code"]
    assert table.iloc[0]["Enclosure status"] == "candidate"
    assert table.iloc[0]["No property management"] == "yes"
    assert "; " in table.iloc[0]["Reasons"]


def test_r6_table_needs_the_screening_columns():
    with pytest.raises(ValueError, match="screen_enclosure"):
        enclosure_list(pd.DataFrame({"estate_id": ["E1"]}))


def test_r6_summary_counts_per_street_and_community(rules):
    table = enclosure_counts(screened_sample(rules))
    assert table["level"].tolist()[-1] == "total"
    assert table["street"].tolist()[5] is None  # the unassigned group, worded when shown
    summary = enclosure_summary_sheet(table)
    assert list(summary.columns) == [
        "汇总层级",
        "街道",
        "社区名称",
        "小区数",
        "可列入小区数",
        "可列入小区户数",
        "需开展意愿调查小区数",
        "需论证小区数",
        "不宜开转封小区数",
        "已封闭小区数",
    ]
    rows = {(r["汇总层级"], r["街道"], r["社区名称"]): r for _, r in summary.iterrows()}
    order = [(r["汇总层级"], r["街道"], r["社区名称"]) for _, r in summary.iterrows()]
    assert order == [
        ("街道", "武康街道", ""),
        ("社区名称", "武康街道", "春晖社区"),
        ("社区名称", "武康街道", "永安社区"),
        ("街道", "阜溪街道", ""),
        ("社区名称", "阜溪街道", "阜溪社区"),
        ("街道", "未分配", ""),
        ("社区名称", "未分配", "未分配"),
        ("合计", "", ""),
    ]
    wk = rows[("街道", "武康街道", "")]
    counts = [
        "小区数",
        "可列入小区数",
        "可列入小区户数",
        "需开展意愿调查小区数",
        "需论证小区数",
        "不宜开转封小区数",
        "已封闭小区数",
    ]
    assert [wk[c] for c in counts] == [5, 2, 150, 1, 1, 0, 1]
    assert rows[("社区名称", "阜溪街道", "阜溪社区")]["可列入小区户数"] == 700
    assert rows[("社区名称", "未分配", "未分配")]["不宜开转封小区数"] == 1
    total = rows[("合计", "", "")]
    assert (total["小区数"], total["可列入小区数"], total["可列入小区户数"]) == (7, 3, 850)
    english = enclosure_summary_sheet(table, lang="en")
    assert english.iloc[-1]["Level"] == "Total"
    assert "Unassigned" in set(english["Street"])


# --------------------------------------------------------------------------- scale, properties


def test_r6_vectorised_crossing_matches_a_plain_loop(rules):
    rng = np.random.default_rng(6)
    n_side = 25
    i, j = np.meshgrid(np.arange(n_side), np.arange(n_side))
    x, y = X0 + i.ravel() * 120.0, Y0 + j.ravel() * 120.0
    geoms = shapely.box(x, y, x + 100, y + 100)
    est = gpd.GeoDataFrame(
        {"estate_id": [f"E{k}" for k in range(len(geoms))], "name": "x"}, geometry=geoms, crs=CRS
    )
    starts = rng.uniform(0, 3000, size=(40, 2))
    angles = rng.uniform(0, np.pi, 40)
    lines = [
        LineString([(X0 + sx, Y0 + sy), (X0 + sx + 800 * np.cos(a), Y0 + sy + 800 * np.sin(a))])
        for (sx, sy), a in zip(starts, angles, strict=True)
    ]
    rd = roads(*lines)
    out = screen_enclosure(est, rd, rules=rules)
    expected = [max(g.buffer(-5).intersection(line).length for line in lines) for g in geoms]
    np.testing.assert_allclose(out.road_crossing_m.to_numpy(), expected, atol=1e-6)
    assert (out.road_crossing_m > 20).any() and (out.road_crossing_m == 0).any()


SHARES = st.sampled_from([None, 0.5, 2 / 3, 0.6667, 0.75, 0.9])
ROW = st.fixed_dictionaries(
    {
        "enclosure": st.sampled_from([None, "open", "semi_open", "enclosed"]),
        "built_year": st.sampled_from([None, 1985, 1999, 2000, 2012]),
        "condition": st.sampled_from([None, "good", "fair", "poor"]),
        "survey_participation": SHARES,
        "survey_support": SHARES,
        "commercial_frontage": st.sampled_from([None, 0.1, 0.3, 0.42]),
        "facade": st.sampled_from([None, "good", "damaged"]),
        "property_management": st.sampled_from([None, True, False]),
        "households": st.sampled_from([None, 10, 500]),
        "community_id": st.sampled_from([None, "C1"]),
        "inside_m": st.sampled_from([None, 10.0, 20.0, 25.0]),
    }
)


def expected_status(row: dict) -> str:
    """R6 precedence written out plainly from RULES.md."""
    if row["enclosure"] == "enclosed":
        return "not_applicable"
    part, supp, year = row["survey_participation"], row["survey_support"], row["built_year"]
    post = year is not None and year >= 2000
    if (
        (row["inside_m"] or 0) > 20
        or (part is not None and part < 2 / 3 - 1e-9)
        or (supp is not None and supp < 0.75 - 1e-9)
        or (post and row["condition"] != "poor")
    ):
        return "not_suitable"
    if part is None or supp is None:
        return "needs_survey"
    if (row["commercial_frontage"] or 0) > 0.3 or year is None or row["enclosure"] is None:
        return "needs_review"
    return "candidate_exception" if post else "candidate"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=1, max_size=8))
def test_r6_property_every_estate_gets_exactly_one_valid_status(rows):
    rules = load_rules()
    est = estates(*[{k: v for k, v in r.items() if k != "inside_m"} for r in rows])
    lines = [road_into(k, r["inside_m"]) for k, r in enumerate(rows) if r["inside_m"] is not None]
    out = screen_enclosure(est, roads(*lines) if lines else None, rules=rules)
    assert len(out) == len(rows)
    assert set(out.enclosure_status) <= set(STATUSES)
    assert list(out.enclosure_status) == [expected_status(r) for r in rows]
    enclosed = np.array([r["enclosure"] == "enclosed" for r in rows])
    assert ((out.enclosure_status == "not_applicable").to_numpy() == enclosed).all()
    ranked = out.enclosure_status.isin(["candidate", "candidate_exception"])
    assert (out.enclosure_rank.notna() == ranked).all()
    assert sorted(out.enclosure_rank.dropna().tolist()) == list(range(1, int(ranked.sum()) + 1))
    assert all(
        r and all(isinstance(m, Message) and m.code in MESSAGES for m in r)
        for r in out.enclosure_reasons
    )
    assert list(out.walls_included) == [r["facade"] == "damaged" for r in rows]
    assert list(out.no_property_management) == [r["property_management"] is False for r in rows]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, min_size=2, max_size=8))
def test_r6_reasons_screened_together_are_each_estates_own(rows):
    """The findings are made once per distinct value and shared: each estate still gets
    exactly the reasons it gets when screened alone, in the same order."""
    rules = load_rules()
    est = estates(*[{k: v for k, v in r.items() if k != "inside_m"} for r in rows])
    lines = [road_into(k, r["inside_m"]) for k, r in enumerate(rows) if r["inside_m"] is not None]
    rd = roads(*lines) if lines else None
    together = screen_enclosure(est, rd, rules=rules)
    for k in range(len(rows)):
        alone = screen_enclosure(est.iloc[[k]], rd, rules=rules)
        assert together.enclosure_reasons.iloc[k] == alone.enclosure_reasons.iloc[0]
        assert together.enclosure_status.iloc[k] == alone.enclosure_status.iloc[0]


def test_r6_estates_differing_in_one_figure_differ_in_that_finding_only(rules):
    # three alike, the fourth with support 60 % (< 75 %: a hard failure, listed first), the
    # fifth with frontage -0.0: printed "-0%" as Python prints it, not merged with 0.0's "0%"
    est = estates(
        {"commercial_frontage": 0.0},
        {"commercial_frontage": 0.0},
        {"commercial_frontage": 0.0},
        {"commercial_frontage": 0.0, "survey_support": 0.6},
        {"commercial_frontage": -0.0},
    )
    out = screen_enclosure(est, rules=rules)
    first = said(out.enclosure_reasons.iloc[0])
    assert said(out.enclosure_reasons.iloc[1]) == first == said(out.enclosure_reasons.iloc[2])
    assert ("enc_frontage_ok", "0%", "30%") in first and ("enc_support_ok", "80%", "75%") in first
    fourth = said(out.enclosure_reasons.iloc[3])
    assert fourth[0] == ("enc_support_low", "60%", "75%")
    assert sorted(fourth[1:]) == sorted(f for f in first if f[0] != "enc_support_ok")
    assert ("enc_frontage_ok", "-0%", "30%") in said(out.enclosure_reasons.iloc[4])
    assert list(out.enclosure_status) == ["candidate"] * 3 + ["not_suitable", "candidate"]


@pytest.mark.parametrize("dtype", [object, "str", "string"])
def test_R6_texts_are_stripped_once_per_value_and_blank_is_missing(dtype):
    # the screening reads text columns through _texts: stripped (Arrow's Unicode whitespace,
    # as pandas' str.strip: the no-break space too), blank and missing as None, the same for
    # every repeated value
    from gis_planner.enclosure import _texts

    values = [" open", "open ", None, "", "  ", "semi_open", "\u3000封闭\u3000", " open", "x\u00a0"]
    frame = pd.DataFrame({"c": pd.Series(values, dtype=dtype)})
    shown = _texts(frame, "c")
    assert shown.dtype == object
    assert shown.tolist() == ["open", "open", None, None, None, "semi_open", "封闭", "open", "x"]
    assert _texts(frame.iloc[:0], "c").tolist() == [] and _texts(frame, "absent")[0] is None
