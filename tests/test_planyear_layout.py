"""R7 proposals (一(一)) on the households of the run's year: estate pieces and plan-year parcels.

A hand-made county in EPSG:4549, one row 100 m high, worked out on paper:

- 甲 A (x 0–300): estates A0 (1,200) and A1 (1,200);
- 乙 B (x 300–700): estates B0 (1,100) and B1 (1,100), and the parcel P (x 610–690, 1,400
  households, delivered 2028);
- the estate S (1,000 households, x 250–350) straddles the border at x = 300: half its area in
  each, so R1 (一(二), area share) gives A 500 and B 500;
- one premises, YF1, at x 50 (in A).

Data year (2026 by the rules): A 1,200 + 1,200 + 500 = 2,900, B 500 + 1,100 + 1,100 = 2,700,
both within 1,500–4,000 (no proposal). Plan year 2030: B + 1,400 = 4,100, too large. Its one
border unit with A is S's piece (500): the shift step gives it to A, which has room (A 3,400,
B 3,600: one unit moves). With shifting off, B is split: its units lie in a line — S's piece
500 | B0 1,100 | B1 1,100 | P 1,400 — and the only cut in range is after B0: 1,600 | 2,500
(500 | 3,600 and 2,700 | 1,400 are not). Without premises, the part with more households keeps
the code (YF1 is in A): B = B1 + P = 2,500, B-2 = S's piece + B0 = 1,600.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pytest
import shapely

from gis_planner.io.layers import load_layers
from gis_planner.pipeline import run
from gis_planner.scenario import Scenario

from .conftest import DEMO, REPO, X0, Y0, gdf, write_layers


def _box(x0: float, x1: float, y0: float = 10.0, y1: float = 90.0) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    communities = gdf(
        [
            {"community_id": "A", "name": "甲社区", "geometry": _box(0, 300, 0, 100)},
            {"community_id": "B", "name": "乙社区", "geometry": _box(300, 700, 0, 100)},
        ]
    )
    estates = gdf(
        [
            {"estate_id": "A0", "name": "甲一", "households": 1200, "geometry": _box(10, 90)},
            {"estate_id": "A1", "name": "甲二", "households": 1200, "geometry": _box(110, 190)},
            {"estate_id": "S", "name": "跨界", "households": 1000, "geometry": _box(250, 350)},
            {"estate_id": "B0", "name": "乙一", "households": 1100, "geometry": _box(410, 490)},
            {"estate_id": "B1", "name": "乙二", "households": 1100, "geometry": _box(510, 590)},
        ]
    )
    parcels = gdf(
        [
            {
                "parcel_id": "P",
                "name": "新地块",
                "planned_households": 1400,
                "delivery_year": 2028,
                "geometry": _box(610, 690),
            }
        ]
    )
    premises = gdf(
        [
            {
                "premises_id": "YF1",
                "function": "party_service_centre",
                "floor_area_m2": 2000.0,
                "tenure": "new_build",
                "geometry": shapely.Point(X0 + 50, Y0 + 50),
            }
        ]
    )
    folder = write_layers(
        tmp_path_factory.mktemp("planyear"),
        communities=communities,
        estates=estates,
        development_parcels=parcels,
        premises=premises,
    )
    (folder / "rules.yaml").write_text("settings:\n  data_year: 2026\n", encoding="utf-8")
    (folder / "planner.yaml").write_text("rules: rules.yaml\n", encoding="utf-8")
    return load_layers(folder)


def test_R7_base_year_proposals_count_a_straddling_estate_by_area_share(county):
    results = run(county)
    households = results.communities.set_index("community_id")["households"]
    assert households.to_dict() == {"A": 2900, "B": 2700}  # R1: S split 500 / 500
    proposed = results.proposed_communities.set_index("community_id")
    assert proposed["households_before"].to_dict() == {"A": 2900, "B": 2700}
    assert proposed["households"].to_dict() == {"A": 2900, "B": 2700}
    assert proposed["change"].eq("unchanged").all()
    assert results.layout.summary["communities_out_of_range"] == 0
    assert len(results.layout.boundaries.moves) == 0
    units = results.household_units
    assert units.loc[units["unit_id"] == "S", "households"].tolist() == [500, 500]
    # S is counted once per community: an estate in each
    assert proposed["estates_count"].to_dict() == {"A": 3, "B": 3}


def test_R7_plan_year_gives_the_straddling_piece_back_when_the_parcel_takes_over_4000(county):
    results = run(county, plan_year=2030)
    proposed = results.proposed_communities.set_index("community_id")
    assert proposed["households_before"].to_dict() == {"A": 2900, "B": 4100}
    assert proposed["households"].to_dict() == {"A": 3400, "B": 3600}
    assert proposed["households"].sum() == 7000
    assert proposed["change"].eq("rebalanced").all() and proposed["contiguous"].all()
    moves = results.layout.boundaries.moves
    assert moves[["estate_id", "households", "from_community_id", "to_community_id"]].to_dict(
        "records"
    ) == [{"estate_id": "S", "households": 500, "from_community_id": "B", "to_community_id": "A"}]
    assert moves[["from_households_after", "to_households_after"]].values.tolist() == [[3600, 3400]]
    # S's two pieces are both in A now: A holds 3 estates, B 2 estates and the parcel
    assert proposed["estates_count"].to_dict() == {"A": 3, "B": 2}
    assert results.layout.boundaries.decisions["action"].tolist() == ["rebalanced"]


def test_R7_plan_year_splits_the_community_the_delivered_parcel_takes_over_4000(county):
    no_shift = county.rules.with_overrides({"layout": {"shift_border_units": False}})
    results = run(replace(county, rules=no_shift), plan_year=2030)
    communities = results.communities.set_index("community_id")
    assert communities["households"].to_dict() == {"A": 2900, "B": 4100}
    assert communities["scale_status"].to_dict() == {"A": "ok", "B": "too_large"}
    proposed = results.proposed_communities.set_index("community_id")
    assert proposed["households_before"].to_dict() == {"A": 2900, "B": 4100, "B-2": 0}
    assert proposed["households"].to_dict() == {"A": 2900, "B": 2500, "B-2": 1600}
    assert proposed["households"].sum() == communities["households"].sum() == 7000
    assert proposed.loc["B", "change"] == "split" and proposed.loc["A", "change"] == "unchanged"
    assert proposed["scale_status"].eq("ok").all()
    # B-2 takes S's piece in B (500) and B0; the parcel stays with B1 in B
    moves = results.layout.boundaries.moves
    assert moves[["estate_id", "households", "from_community_id", "to_community_id"]].to_dict(
        "records"
    ) == [
        {"estate_id": "S", "households": 500, "from_community_id": "B", "to_community_id": "B-2"},
        {"estate_id": "B0", "households": 1100, "from_community_id": "B", "to_community_id": "B-2"},
    ]
    assert moves["parcel_id"].isna().all()
    assert moves["from_households_before"].tolist() == [4100, 4100]
    assert moves["from_households_after"].tolist() == [2500, 2500]
    assert results.layout.boundaries.decisions["households"].tolist() == [4100]
    # the estates' table: S by its largest piece (a tie: the first community, A), still in A
    estates = results.layout.boundaries.estates.set_axis(results.estates["estate_id"])
    assert estates.loc["S"].tolist() == ["A", "A"]
    assert estates.loc["B0"].tolist() == ["B", "B-2"]


def test_R7_plan_year_siting_and_reach_count_the_delivered_parcel(county):
    results = run(county, plan_year=2030)
    siting = results.layout.siting
    # YF1 at x 50 reaches the centroids of A0 (0 m), A1 (100 m) and S (250 m): 3,400
    # households; B0 (400 m), B1 (500 m) and the parcel P (600 m) are beyond: 3,600
    assert siting.summary["households_total"] == 7000
    assert siting.summary["households_covered_existing"] == 3400
    assert siting.summary["households_uncovered"] == 3600
    assert siting.parcels.index.tolist() == [results.household_units.index[-1]]
    assert siting.parcels["covered_existing"].tolist() == [False]
    assert siting.parcels["covered_lscp"].tolist() == [True]
    assert results.layout.summary["households_beyond_walk_now"] == 3600
    base = run(county)
    assert base.layout.siting.summary["households_total"] == 5600
    assert base.layout.siting.summary["households_uncovered"] == 2200
    assert base.layout.summary["households_beyond_walk_now"] == 2200
    assert base.layout.siting.parcels is None


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def plan_a():
    plan = Scenario.from_file(REPO / "notebooks" / "scenario_2035_plan_a.yaml", base=DEMO)
    return run(plan.data, plan_year=plan.year)


def test_R7_demo_plan_a_proposals_hold_every_household_of_2035(plan_a):
    communities = plan_a.communities
    assert int(communities["households"].sum()) == 68_017  # 64,997 + 3,020 from the parcels
    assert plan_a.summary["households_parcels"] == 3_020
    proposed = plan_a.proposed_communities
    assert int(proposed["households"].sum()) == 68_017
    # households_before: each community's households of the same run (merged ones summed)
    kept = proposed.merge(
        communities[["community_id", "households"]], on="community_id", suffixes=("", "_r1")
    )
    merged = kept["change"].str.contains("merged")
    assert (kept.loc[~merged, "households_before"] == kept.loc[~merged, "households_r1"]).all()
    assert (kept.loc[merged, "households_before"] > kept.loc[merged, "households_r1"]).all()
    # the parcels' cells are part of the tiling: still exactly the original communities
    original = shapely.union_all(communities.geometry.values)
    union = shapely.union_all(proposed.geometry.values)
    assert shapely.area(shapely.symmetric_difference(original, union)) < 1e-3
    assert abs(proposed.geometry.area.sum() - shapely.area(union)) < 1e-3


def test_R7_demo_plan_a_yongxing_at_4028_households_is_split(plan_a):
    communities = plan_a.communities.set_index("name")
    yongxing = communities.loc["永兴社区"]
    assert (yongxing["households"], yongxing["scale_status"]) == (4028, "too_large")
    proposed = plan_a.proposed_communities.set_index("community_id")
    row = proposed.loc[yongxing["community_id"]]
    assert row["households_before"] == 4028
    assert row["change"] != "unchanged" and row["households"] != 3407
    assert plan_a.layout.summary["communities_out_of_range"] == 5
    assert (
        plan_a.layout.summary["proposed_in_range"] == plan_a.layout.summary["proposed_communities"]
    )


def test_R7_demo_year_2035_without_scenario_counts_the_same_households():
    results = run(load_layers(DEMO), plan_year=2035)
    assert int(results.proposed_communities["households"].sum()) == 68_017
    proposed = results.proposed_communities.set_index("name")
    assert proposed.loc["永兴社区", "households_before"] == 4028
    # 永兴 (4,028 with its parcels) gives the parcel P02 (320) to 板桥 (1,347): 3,708 and 1,667
    assert proposed.loc["永兴社区", "change"] == "rebalanced"
    assert proposed.loc["永兴社区", "households"] == 3708
    assert proposed.loc["板桥社区", "households"] == 1667
    moves = results.layout.boundaries.moves.set_index("parcel_id")
    assert moves.loc["P02", ["households", "to_households_after"]].tolist() == [320, 1667]


def test_R7_demo_base_run_households_before_equals_r1():
    results = run(load_layers(DEMO))
    r1 = results.communities.set_index("community_id")["households"]
    proposed = results.proposed_communities.set_index("community_id")
    kept = proposed[~proposed["change"].str.contains("merged") & proposed.index.isin(r1.index)]
    assert (kept["households_before"] == r1[kept.index]).all()
    assert int(proposed["households"].sum()) == int(r1.sum()) == 64_997
    assert isinstance(results.household_units, gpd.GeoDataFrame)
