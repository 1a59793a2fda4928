"""R1 premises area check and R7 scale — hand-made communities and premises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from gis_planner import premises
from gis_planner.layout import scale as layout
from gis_planner.rules import load_rules

from .conftest import X0, Y0, gdf, pt, square, two_communities


@pytest.mark.parametrize(
    ("households", "standard", "required"),
    [
        (3000, "new", 2400.0),  # max(80 × 30, 1800)
        (1500, "new", 1800.0),  # max(1200, 1800)
        (2500, "new", 2000.0),  # max(2000, 1800)
        (3000, "renovated", 2250.0),  # max(75 × 30, 1200)
        (1000, "renovated", 1200.0),  # max(750, 1200)
        (0, "new", 1800.0),
    ],
)
def test_R1_required_area_by_hand(rules, households, standard, required):
    assert premises.required_area_m2(households, standard, rules=rules) == required


@given(st.integers(0, 100_000), st.sampled_from(["new", "renovated"]))
def test_R1_required_area_never_below_the_minimum(households, standard):
    rules = load_rules()
    minimum = rules.premises.standards[standard].minimum_total_m2
    assert premises.required_area_m2(households, standard, rules=rules) >= minimum


def _premises(rows):
    frame = gdf(
        [
            {
                "premises_id": r[0],
                "community_id": r[1],
                "function": r[2],
                "floor_area_m2": r[3],
                "tenure": r[4],
                "status": r[5],
                "floor": r[6],
                "name": r[0],
                "geometry": pt(*r[7]),
            }
            for r in rows
        ]
    )
    return frame


def test_R1_status_standard_and_service_centre_warnings(rules):
    communities = two_communities()
    prem = _premises(
        [
            # A: 3,000 households; largest premises leased → renovated: max(2250, 1200) = 2250
            ("P1", "A", "party_service_centre", 1500.0, "leased", "existing", 1, (100, 100)),
            ("P2", "A", "service_centre", 80.0, "new_build", "existing", 2, (200, 100)),
            ("P3", "A", "elderly_care", 400.0, "new_build", "planned", 1, (300, 100)),
            # B: 1,000 households, no existing premises → new: 1,800, status none
            ("P4", "B", "party_service_centre", 900.0, "new_build", "planned", 1, (1500, 100)),
        ]
    )
    households = pd.Series([3000, 1000], index=communities.index)
    out = premises.check_premises(communities, prem, households, rules=rules)
    a, b = out.iloc[0], out.iloc[1]
    assert a["standard"] == "renovated" and a["required_area_m2"] == 2250
    assert a["premises_area_m2"] == 1580 and a["shortfall_m2"] == 670
    assert a["premises_status"] == "short"
    assert not a["service_centre_ok"]
    floor = [w for w in a["premises_warnings"] if w.code == "warn_service_centre_floor"]
    area = [w for w in a["premises_warnings"] if w.code == "warn_service_centre_area"]
    assert floor[0].values["floor"] == 2 and floor[0].values["required"] == 1
    assert area[0].values["area"] == 80
    assert floor[0].text("zh") == "便民服务中心 P2 位于 2 楼，原则上应设在 1 楼"
    assert b["standard"] == "new" and b["required_area_m2"] == 1800
    assert b["premises_status"] == "none" and b["shortfall_m2"] == 1800
    assert [w.code for w in b["premises_warnings"]] == ["warn_no_service_centre"]


def test_R1_planned_premises_count_only_in_a_plan_year(rules):
    communities = two_communities()
    prem = _premises(
        [
            ("P1", "A", "party_service_centre", 1900.0, "new_build", "existing", 1, (100, 100)),
            ("P2", "A", "service_centre", 600.0, "new_build", "planned", 1, (200, 100)),
        ]
    )
    households = pd.Series([3000, 0], index=communities.index)
    now = premises.check_premises(communities, prem, households, rules=rules)
    later = premises.check_premises(communities, prem, households, rules=rules, year=2035)
    assert now.iloc[0]["premises_status"] == "short"  # 1,900 < 2,400
    assert later.iloc[0]["premises_status"] == "meets"  # 2,500 ≥ 2,400
    assert later.iloc[0]["service_centre_ok"]


def test_R1_standard_override_from_the_communities_layer(rules):
    communities = two_communities()
    communities["standard"] = ["renovated", None]
    prem = _premises(
        [("P1", "A", "party_service_centre", 2300.0, "new_build", "existing", 1, (100, 100))]
    )
    out = premises.check_premises(communities, prem, pd.Series([3000, 0]), rules=rules)
    assert out.iloc[0]["standard"] == "renovated"  # despite the new-build premises
    assert out.iloc[0]["premises_status"] == "meets"  # 2,300 ≥ 2,250


def test_premises_without_community_id_are_placed_by_location():
    communities = two_communities()
    prem = _premises(
        [
            ("P1", None, "other", 10.0, "leased", "existing", 1, (1500, 500)),
            ("P2", "A", "other", 10.0, "leased", "existing", 1, (1500, 500)),  # attribute wins
            ("P3", None, "other", 10.0, "leased", "existing", 1, (5000, 500)),  # in no community
        ]
    )
    out = premises.assign_premises(prem, communities)
    assert out["community_id"].tolist() == ["B", "A", None]
    assert out["assigned_by"].tolist() == ["location", "attribute", None]


def test_R7_scale_status_at_the_bounds(rules):
    status = layout.scale_status(pd.Series([1499, 1500, 4000, 4001]), rules=rules)
    assert status.tolist() == ["too_small", "ok", "ok", "too_large"]


def test_R7_walking_distance_from_estate_centroid(rules):
    from .conftest import square

    estates = gdf(
        [
            {"estate_id": "E1", "geometry": square(0, 0)},  # centroid (50, 50)
            {"estate_id": "E2", "geometry": square(400, 0)},
        ]
    )  # centroid (450, 50)
    prem = gdf([{"premises_id": "P1", "geometry": pt(50, 350)}])
    out = layout.nearest_premises(estates, prem, rules=rules)
    assert out["nearest_premises_m"].tolist() == [300.0, 500.0]
    assert out["covered"].tolist() == [True, False]  # 300 m is within the 300 m setting


def test_R7_nearest_premises_by_kd_tree_matches_geos_ties_included(rules):
    from .conftest import square

    # centroids: E1 (50, 50) is 300 m from both P1 (50, 350) and P2 (50, -250), a tie that
    # goes to the premises GEOS's tree picks; E2 (450, 50) is √(400² + 300²) = 500 m from P1
    # and 400 m from P3 (450, 450), its nearest; E3 and P4 have no geometry
    estates = gdf(
        [
            {"estate_id": "E1", "geometry": square(0, 0)},
            {"estate_id": "E2", "geometry": square(400, 0)},
            {"estate_id": "E3", "geometry": None},
        ]
    )
    prem = gdf(
        [
            {"premises_id": "P1", "geometry": pt(50, 350)},
            {"premises_id": "P2", "geometry": pt(50, -250)},
            {"premises_id": "P3", "geometry": pt(450, 450)},
            {"premises_id": "P4", "geometry": None},
        ]
    )
    out = layout.nearest_premises(estates, prem, rules=rules)
    assert out["nearest_premises_m"].tolist()[:2] == [300.0, 400.0]
    assert np.isnan(out["nearest_premises_m"].iloc[2])
    assert out["covered"].tolist() == [True, False, False]
    origins = np.asarray(estates.geometry.values[:2].centroid)
    (_, geos), _ = shapely.STRtree(prem.geometry.values).query_nearest(
        origins, return_distance=True, all_matches=False
    )
    assert out["nearest_premises_id"].tolist()[:2] == prem["premises_id"].to_numpy()[geos].tolist()
    assert out["nearest_premises_id"].tolist()[1] == "P3" and pd.isna(out["nearest_premises_id"][2])


def test_R7_reach_area_unions_overlapping_buffers_and_keeps_far_ones_apart(rules):
    # 300 m setting: P1 and P2 are 400 m apart (their circles overlap), P3 lies 5 km away and
    # P4 exactly 600 m from P3 (the two 32-gons touch at one vertex); missing geometry skipped
    prem = gdf(
        [
            {"premises_id": "P1", "geometry": pt(0, 0)},
            {"premises_id": "P2", "geometry": pt(400, 0)},
            {"premises_id": "P3", "geometry": pt(5000, 0)},
            {"premises_id": "P4", "geometry": pt(5600, 0)},
            {"premises_id": "P5", "geometry": None},
        ]
    )
    reach = layout.reach_area(prem, rules=rules)
    buffers = shapely.buffer(np.asarray(prem.geometry.values[:4]), 300.0, quad_segs=8)
    assert reach.is_valid and reach.geom_type == "MultiPolygon"
    assert shapely.equals(reach, shapely.union_all(buffers))  # one union of all, as before
    circle = buffers[0].area  # a 32-gon of radius 300 m: ½·32·300²·sin(2π/32) = 280,930.1 m²
    assert round(circle, 1) == 280930.1
    # P1 ∪ P2 is less than two circles, P3 and P4 add two whole ones
    assert 3 * circle < reach.area < 4 * circle
    assert shapely.get_num_geometries(reach) == 3  # P1 ∪ P2, P3, P4 (touching, not merged)
    assert layout.reach_area(prem.iloc[[0]], rules=rules).equals_exact(buffers[0], 0)
    assert layout.reach_area(prem.iloc[[4]], rules=rules) is None


def test_R1_standard_follows_the_largest_existing_premises_in_a_plan_year_too(rules):
    communities = two_communities()
    prem = _premises(
        [
            ("P1", "A", "party_service_centre", 500.0, "renovated", "existing", 1, (100, 100)),
            ("P2", "A", "other", 2000.0, "new_build", "planned", 1, (200, 100)),
        ]
    )
    households = pd.Series([3000, 0], index=communities.index)
    later = premises.check_premises(communities, prem, households, rules=rules, year=2030)
    assert later.iloc[0]["standard"] == "renovated"  # not the planned new build
    assert later.iloc[0]["required_area_m2"] == 2250 and later.iloc[0]["premises_area_m2"] == 2500


def test_R1_check_with_pandas_string_ids_and_nullable_floor(rules):
    """pandas 3 reads text as the ``str`` dtype: Series.map over it inferred an Arrow
    list column for the warnings, which then refused a new list per row (found by the
    generated counties, issue 10). Nullable Int64 floors with <NA> are unknown floors."""
    communities = two_communities()
    communities["community_id"] = communities["community_id"].astype("string")
    prem = _premises(
        [
            ("P1", "A", "service_centre", 150.0, "new_build", "existing", 1, (100, 100)),
            ("P2", "B", "service_centre", 120.0, "new_build", "existing", 1, (1500, 100)),
        ]
    )
    prem["community_id"] = prem["community_id"].astype("string")
    prem["floor"] = pd.array([1, pd.NA], dtype="Int64")
    prem["floor_area_m2"] = pd.array([150.0, 120.0], dtype="Float64")
    households = pd.Series([3000, 1000], index=communities.index)
    out = premises.check_premises(communities, prem, households, rules=rules)
    assert out["service_centre_ok"].tolist() == [True, True]  # floor unknown: no warning
    assert out["premises_warnings"].dtype == object
    out.loc[0, "premises_warnings"] = ["a new list"]  # a column that takes lists
    # R1 new standard: 3,000 → 2,400 m² (150 m² existing); 1,000 → 1,800 m²
    assert out["required_area_m2"].tolist() == [2400.0, 1800.0]
    assert out["premises_status"].tolist() == ["short", "short"]


def test_R7_reach_buffers_are_geos_buffers_to_the_last_bit(rules):
    # the reach translates the buffer of the origin: for points anywhere in the county (and a
    # 3-D point or a polygon, which GEOS buffers itself) every vertex is the float GEOS makes
    from gis_planner.layout.scale import _point_buffers

    rng = np.random.default_rng(12)
    points = shapely.points(rng.uniform(400000, 600000, 500), rng.uniform(3.2e6, 3.5e6, 500))
    for distance in (300.0, 123.45, 1000.0):
        ours = _point_buffers(points, distance)
        geos = shapely.buffer(points, distance, quad_segs=8)
        assert (shapely.to_wkb(ours) == shapely.to_wkb(geos)).all()
        assert shapely.get_num_coordinates(ours[0]) == 33  # a closed 32-gon
    mixed = np.array([pt(0, 0), shapely.Point(X0, Y0, 5.0), square(0, 0)], dtype=object)
    assert (
        shapely.to_wkb(_point_buffers(mixed, 300.0))
        == shapely.to_wkb(shapely.buffer(mixed, 300.0, quad_segs=8))
    ).all()


def test_R7_reach_groups_unioned_in_one_call_give_each_group_alone():
    # groups of 1, 2, 3, 4, 5 and 9 overlapping squares, their members interleaved: the
    # padded table (groups of 2; 3–4; 5–8; 9–16 together) gives, group by group, the very
    # geometry of union_all of the group alone (a group of one: its square as it is)
    sizes = [1, 2, 3, 4, 5, 9]
    label = np.concatenate([np.full(n, k) for k, n in enumerate(sizes)])
    label = label[np.argsort(np.arange(len(label)) % 7, kind="stable")]  # interleave
    rank = np.zeros(len(label), dtype=int)
    for k in range(len(sizes)):
        rank[label == k] = np.arange(sizes[k])
    geoms = shapely.box(1000.0 * label + 10 * rank, 0, 1000.0 * label + 10 * rank + 15, 15)
    unions = layout._group_unions(geoms, label)
    for k, n in enumerate(sizes):
        members = geoms[label == k]
        alone = members[0] if n == 1 else shapely.union_all(members)
        assert shapely.to_wkb(unions[k]) == shapely.to_wkb(alone)
    assert unions[0] is geoms[label == 0][0]
