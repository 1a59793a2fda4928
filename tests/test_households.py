"""Households per community: area share for straddling estates, conservation, unassigned."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gis_planner.households import allocate_households, apportion

from .conftest import gdf, square, two_communities


def test_R1_straddling_estate_split_by_area_share_conserves_households():
    estates = gdf(
        [
            {"estate_id": "E1", "households": 2500, "geometry": square(100, 100)},  # in A
            {"estate_id": "E2", "households": 1001, "geometry": square(950, 100)},  # 50/50
            {
                "estate_id": "E3",
                "households": 400,
                "geometry": square(1970, 100),
            },  # 30 % B, 70 % out
            {"estate_id": "E4", "households": 77, "geometry": square(5000, 100)},  # nowhere
        ]
    )
    out = allocate_households(estates, two_communities())
    # E2: 500.5 each → largest remainder gives the extra household to A (first by order)
    assert out.community_households.tolist() == [2500 + 501, 500 + 400]
    assert out.unassigned_households == 77
    assert out.community_households.sum() + out.unassigned_households == 2500 + 1001 + 400 + 77
    assert out.estates["community_index"].tolist() == [0, 0, 1, -1]
    assert out.estates.loc[2, "outside_share"] == 0.7
    assert json.loads(out.estates.loc[1, "community_shares"]) == {"A": 0.5, "B": 0.5}
    assert json.loads(out.estates.loc[0, "community_shares"]) == {"A": 1.0}
    assert out.estates.loc[3, "community_shares"] is None


def test_R1_an_assigned_estate_goes_wholly_to_its_community():
    # a planning decision (a scenario's moved estate): E2 (straddling A/B) wholly to B, E1
    # (inside A) to B, E3 (in no community) to A; unknown ids are ignored
    estates = gdf(
        [
            {"estate_id": "E1", "households": 2500, "geometry": square(100, 100)},
            {"estate_id": "E2", "households": 1001, "geometry": square(950, 100)},
            {"estate_id": "E3", "households": 77, "geometry": square(5000, 100)},
        ]
    )
    moves = {"E1": "B", "E2": "B", "E3": "A", "E9": "A", "E1x": "Z"}
    out = allocate_households(estates, two_communities(), assignments=moves)
    assert out.community_households.tolist() == [77, 2500 + 1001]
    assert out.unassigned_households == 0
    assert out.estates["community_index"].tolist() == [1, 1, 0]
    assert json.loads(out.estates.loc[1, "community_shares"]) == {"B": 1.0}
    assert out.shares["share"].tolist() == [1.0, 1.0, 1.0]


def test_apportion_keeps_group_totals():
    parts = apportion(
        np.array([10, 3]), np.array([0, 0, 0, 1, 1]), np.array([1 / 3, 1 / 3, 1 / 3, 0.5, 0.5])
    )
    assert parts.tolist() == [4, 3, 3, 2, 1]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-200, 2100), st.floats(-200, 900), st.integers(0, 3000)),
        min_size=1,
        max_size=12,
    )
)
def test_households_are_conserved_property(rows):
    estates = gdf(
        [
            {"estate_id": f"E{i}", "households": h, "geometry": square(x, y, 150)}
            for i, (x, y, h) in enumerate(rows)
        ]
    )
    out = allocate_households(estates, two_communities())
    total = sum(h for _, _, h in rows)
    assert out.community_households.sum() + out.unassigned_households == total
    assert (out.shares["households"] >= 0).all()


def test_R1_household_units_reuse_the_allocations_parts_exactly():
    # estate E2 straddles A (0–1000 m) and B (1000–2000 m): 60 m in A, 40 m in B; its two
    # units are its parts, the same whether the allocation kept them or they are made again
    import dataclasses

    import shapely

    from gis_planner.households import household_units

    communities = two_communities()
    estates = gdf(
        [
            {"estate_id": "E1", "name": "一", "households": 100, "geometry": square(100, 100)},
            {"estate_id": "E2", "name": "二", "households": 50, "geometry": square(940, 100)},
        ]
    )
    allocation = allocate_households(estates, communities)
    assert allocation.pieces is not None
    kept = household_units(estates, communities, allocation)
    again = household_units(estates, communities, dataclasses.replace(allocation, pieces=None))
    assert kept["unit_id"].tolist() == ["E1", "E2", "E2"]
    assert kept["households"].tolist() == [100, 30, 20]  # 50 × 0.6 and 50 × 0.4
    assert [round(a) for a in kept.geometry.area] == [10000, 6000, 4000]
    assert (shapely.to_wkb(kept.geometry.values) == shapely.to_wkb(again.geometry.values)).all()
    # given wholly to B by decision, E2 is one unit: the whole estate, no part
    moved = allocate_households(estates, communities, assignments={"E2": "B"})
    units = household_units(estates, communities, moved)
    assert units["households"].tolist() == [100, 50]
    assert units.geometry.iloc[1].equals_exact(square(940, 100), 0)


def test_apportion_and_pair_order_match_the_plain_sorts():
    """R1 straddling split (largest remainder): the ranks found only within groups of
    several parts, and the pair order of one combined key, are those of the full
    ``np.lexsort`` (random groups, ties of remainders included)."""
    import numpy as np

    from gis_planner.households import apportion, pair_order

    rng = np.random.default_rng(7)
    groups = np.sort(rng.integers(0, 300, 1000))
    totals = rng.integers(0, 50, 300)
    weights = rng.choice([0.25, 0.5, 1 / 3, 0.1], len(groups))
    weights /= np.bincount(groups, weights=weights, minlength=300)[groups]
    quotas = totals[groups] * weights
    parts = np.floor(quotas + 1e-9).astype(np.int64)
    left = totals - np.bincount(groups, weights=parts, minlength=300).astype(np.int64)
    order = np.lexsort((np.arange(len(groups)), -(quotas - parts), groups))
    rank = np.empty(len(groups), dtype=np.int64)
    rank[order] = np.arange(len(groups)) - np.searchsorted(groups[order], groups[order])
    expected = parts + (rank < left[groups])
    assert apportion(totals, groups, weights).tolist() == expected.tolist()
    major, minor = rng.integers(0, 50, 2000), rng.integers(0, 40, 2000)
    assert pair_order(major, minor).tolist() == np.lexsort((minor, major)).tolist()
