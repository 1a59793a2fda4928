"""Proposed community boundaries (R7, 一(一)): split, merge, hard edges, the demo.

Hand-made communities in EPSG:4549 whose best proposal is known on paper: estates are 80 m
squares centred in 100 m grid cells, so each estate's cell is exactly its 100 m grid cell.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString

from gis_planner.errors import InputError
from gis_planner.io.layers import load_layers
from gis_planner.layout import boundaries as boundaries_mod
from gis_planner.layout import cells as cells_mod
from gis_planner.layout.boundaries import apply_boundaries, propose_boundaries
from gis_planner.layout.siting import apply_sites, propose_sites
from gis_planner.pipeline import analyse

from .conftest import DEMO, X0, Y0, gdf, pt, square, warned


def _grid_estates(community: str, households: list[list[int]], x0: float = 0.0, prefix: str = "E"):
    """Estates on a grid of 100 m cells (rows bottom-up), 80 m squares 10 m inside each."""
    rows = []
    for r, row in enumerate(households):
        for c, h in enumerate(row):
            rows.append(
                {
                    "estate_id": f"{prefix}{r}{c}",
                    "name": f"小区{prefix}{r}{c}",
                    "households": h,
                    "community_id": community,
                    "geometry": square(x0 + 100 * c + 10, 100 * r + 10, 80),
                }
            )
    return rows


def _tiles_exactly(proposed, communities) -> bool:
    original = shapely.union_all(communities.geometry.values)
    union = shapely.union_all(proposed.geometry.values)
    gap_or_extra = shapely.area(shapely.symmetric_difference(original, union))
    overlap = proposed.geometry.area.sum() - shapely.area(union)
    return gap_or_extra < 1e-3 and abs(overlap) < 1e-3


def test_R7_community_of_4500_households_in_a_line_splits_into_two_within_range(rules):
    # six estates in a row: 1000, 1000, 500 | 500, 1000, 500. Cuts in range: after the 2nd
    # (2000/2500), 3rd (2500/2000) or 4th (3000/1500); the most compact is the middle one.
    estates = gdf(_grid_estates("C", [[1000, 1000, 500, 500, 1000, 500]]))
    communities = gdf(
        [
            {
                "community_id": "C",
                "name": "长街社区",
                "geometry": shapely.box(X0, Y0, X0 + 600, Y0 + 100),
            }
        ]
    )
    out = propose_boundaries(estates, communities, rules=rules)
    proposed = out.communities.set_index("community_id")
    assert sorted(proposed.index) == ["C", "C-2"]
    assert proposed.loc["C", "households"] == 2500 and proposed.loc["C-2", "households"] == 2000
    assert proposed.loc["C", "households_before"] == 4500
    assert proposed["scale_status"].eq("ok").all() and proposed["contiguous"].all()
    assert out.moves["estate_id"].tolist() == ["E03", "E04", "E05"]
    assert out.moves["to_community_id"].unique().tolist() == ["C-2"]
    assert out.moves["from_households_after"].unique().tolist() == [2500]
    east = shapely.box(X0 + 300, Y0, X0 + 600, Y0 + 100)  # the cells of E03–E05
    assert shapely.area(shapely.symmetric_difference(proposed.loc["C-2", "geometry"], east)) < 1e-3
    # R5 and R1 before/after: 4,500 → 12 staff; 2,500 → 8; required 3,600 → 2,000 / 1,800
    assert proposed.loc["C", "staff_min_before"] == 12
    assert (proposed.loc["C", "staff_min"], proposed.loc["C", "staff_max"]) == (8, 8)
    assert proposed.loc["C", "required_area_m2_before"] == 3600.0
    assert proposed.loc["C", "required_area_m2"] == 2000.0
    assert proposed.loc["C-2", "required_area_m2"] == 1800.0
    assert out.decisions.loc[0, "action"] == "split"
    assert _tiles_exactly(out.communities, communities)


def test_R7_the_part_holding_the_premises_keeps_the_community_code(rules):
    estates = gdf(_grid_estates("C", [[1000, 1000, 500, 500, 1000, 500]]))
    communities = gdf(
        [
            {
                "community_id": "C",
                "name": "长街社区",
                "geometry": shapely.box(X0, Y0, X0 + 600, Y0 + 100),
            }
        ]
    )
    premises = gdf(
        [
            {
                "premises_id": "YF1",
                "floor_area_m2": 900.0,
                "tenure": "renovated",
                "geometry": pt(550, 50),
            }
        ]
    )
    out = propose_boundaries(estates, communities, rules=rules, premises=premises)
    proposed = out.communities.set_index("community_id")
    assert proposed.loc["C", "households"] == 2000  # the eastern part, with YF1
    assert proposed.loc["C", "premises_area_m2"] == 900.0
    assert proposed.loc["C", "standard"] == "renovated"  # R1 from its largest premises
    assert proposed.loc["C-2", "standard"] == "new"  # no premises: will have to build
    assert proposed.loc["C-2", "name"].text("zh") == "长街社区（拆分2）"


def test_R7_split_prefers_the_compact_block_then_a_barrier_forces_rows(rules):
    # 2 rows × 3 columns of 750 households (4,500). In range: 3+3 (2,250 each) or 4+2
    # (3,000/1,500). Moments of inertia (cell units): two rows 2+2 = 4, two L-shapes 2.67,
    # a 2×2 block and a 2-cell column 2 + 0.5 = 2.5 → the block and the column.
    estates = gdf(_grid_estates("C", [[750, 750, 750], [750, 750, 750]]))
    communities = gdf(
        [
            {
                "community_id": "C",
                "name": "方块社区",
                "geometry": shapely.box(X0, Y0, X0 + 300, Y0 + 200),
            }
        ]
    )
    out = propose_boundaries(estates, communities, rules=rules)
    sizes = sorted(out.communities["estates_count"].tolist())
    assert sizes == [2, 4]
    column = out.estates.groupby("proposed_community_id").size().idxmin()
    members = set(out.estates.index[out.estates["proposed_community_id"] == column])
    columns = {int(estates.loc[i, "estate_id"][2]) for i in members}
    assert len(columns) == 1 and columns <= {0, 2}  # an end column
    # a river between the rows, declared a hard edge: the only valid split is by rows
    river = gdf(
        [
            {
                "barrier_id": "R1",
                "kind": "river",
                "geometry": LineString([(X0 - 50, Y0 + 100), (X0 + 350, Y0 + 100)]),
            }
        ]
    )
    split = propose_boundaries(estates, communities, rules=rules, barriers=river)
    parts = split.estates.groupby("proposed_community_id").apply(
        lambda g: sorted({estates.loc[i, "estate_id"][1] for i in g.index})
    )
    assert sorted(parts.tolist()) == [["0"], ["1"]]
    assert split.communities["households"].tolist() == [2250, 2250]
    # the same river not declared a hard edge is ignored
    rules_no_edges = rules.with_overrides({"layout": {"hard_edges": []}})
    ignored = propose_boundaries(estates, communities, rules=rules_no_edges, barriers=river)
    assert sorted(ignored.communities["estates_count"].tolist()) == [2, 4]


def _three_communities(h_west: int, h_small: list[int], h_east: int):
    """West W (x 0–300), small T (x 300–400, estates stacked), east E (x 400–700)."""
    rows = []
    rows += _grid_estates("W", [[h_west // 3] * 3], prefix="W")
    rows += [
        {
            "estate_id": f"T{k}",
            "name": f"小区T{k}",
            "households": h,
            "community_id": "T",
            "geometry": square(310, 100 * k + 10, 80),
        }
        for k, h in enumerate(h_small)
    ]
    rows += _grid_estates("E", [[h_east // 3] * 3], x0=400, prefix="E")
    height = 100 * max(1, len(h_small))
    communities = gdf(
        [
            {
                "community_id": "W",
                "name": "西社区",
                "geometry": shapely.box(X0, Y0, X0 + 300, Y0 + height),
            },
            {
                "community_id": "T",
                "name": "小社区",
                "geometry": shapely.box(X0 + 300, Y0, X0 + 400, Y0 + height),
            },
            {
                "community_id": "E",
                "name": "东社区",
                "geometry": shapely.box(X0 + 400, Y0, X0 + 700, Y0 + height),
            },
        ]
    )
    return gdf(rows), communities


@pytest.fixture
def no_shift(rules):
    """The rules with the shift step off: the split / merge / share / redraw fallbacks."""
    return rules.with_overrides({"layout": {"shift_border_units": False}})


def test_R7_too_small_community_takes_a_border_estate_from_a_neighbour_with_households_to_spare(
    rules,
):
    # T (1,000) is 500 short. Border estates: W02 (800; W 2,400 → 1,600, T → 1,800) and E00
    # (1,200; E 3,600 → 2,400, T → 2,200): either closes the gap with one move, both cells are
    # 100 m from T's centre, so the one with fewer households moves: W02 — one unit, where
    # the merge into W moves T's one estate too but makes a community of 3,400
    estates, communities = _three_communities(2400, [1000], 3600)
    out = propose_boundaries(estates, communities, rules=rules)
    proposed = out.communities.set_index("community_id")
    assert sorted(proposed.index) == ["E", "T", "W"]
    assert proposed["households"].to_dict() == {"E": 3600, "T": 1800, "W": 1600}
    assert proposed["households"].sum() == 7000  # every household accounted for
    assert proposed["change"].to_dict() == {"E": "unchanged", "T": "rebalanced", "W": "rebalanced"}
    assert proposed["contiguous"].all() and proposed["scale_status"].eq("ok").all()
    assert proposed.loc["T", "geometry"].area == pytest.approx(200 * 100)  # T + W02's cell
    assert out.moves[["estate_id", "from_community_id", "to_community_id"]].values.tolist() == [
        ["W02", "W", "T"]
    ]
    decision = out.decisions.set_index("community_id").loc["T"]
    assert decision["action"] == "rebalanced" and decision["proposed_ids"] == "T"
    assert decision["note"].code == "decision_shifted"
    assert decision["note"].values == {"others": "W", "moved_in": 1, "moved_out": 0}
    assert _tiles_exactly(out.communities, communities)


def _street_and_north():
    """C: six estates in a row (1000, 1000, 500, 500, 1000, 500 = 4,500 households) in a
    600 × 100 m community; D to its north: two estates (1,000 each) in a 200 × 100 m
    community above C's first two."""
    estates = gdf(
        _grid_estates("C", [[1000, 1000, 500, 500, 1000, 500]])
        + [
            {**row, "geometry": shapely.affinity.translate(row["geometry"], 0, 100)}
            for row in _grid_estates("D", [[1000, 1000]], prefix="N")
        ]
    )
    north = shapely.Polygon(
        [(X0, Y0 + 100), (X0 + 200, Y0 + 100), (X0 + 200, Y0 + 200), (X0, Y0 + 200)]
    )
    communities = gdf(
        [
            {
                "community_id": "C",
                "name": "长街社区",
                "geometry": shapely.box(X0, Y0, X0 + 600, Y0 + 100),
            },
            {"community_id": "D", "name": "北街社区", "geometry": north},
        ]
    )
    return estates, communities


def test_R7_too_large_community_gives_a_border_estate_to_a_neighbour_with_room(rules):
    # C (4,500: 1000, 1000, 500, 500, 1000, 500 in a row) under D (2,000, above E00 and E01).
    # C's border estates with D: E00 and E01; without E01, E00 would be cut off from C, so
    # E00 (1,000) goes: C 3,500, D 3,000 — one unit moves, where a split moves three
    estates, communities = _street_and_north()
    out = propose_boundaries(estates, communities, rules=rules)
    proposed = out.communities.set_index("community_id")
    assert proposed["households"].to_dict() == {"C": 3500, "D": 3000}
    assert proposed["contiguous"].all() and proposed["scale_status"].eq("ok").all()
    assert proposed.loc["D", "geometry"].area == pytest.approx(200 * 100 + 100 * 100)
    assert out.moves[["estate_id", "from_community_id", "to_community_id"]].values.tolist() == [
        ["E00", "C", "D"]
    ]
    assert out.moves[["from_households_after", "to_households_after"]].values.tolist() == [
        [3500, 3000]
    ]
    decision = out.decisions.set_index("community_id").loc["C"]
    assert decision["action"] == "rebalanced"
    assert decision["note"].values == {"others": "D", "moved_in": 0, "moved_out": 1}
    assert _tiles_exactly(out.communities, communities)


def test_R7_when_no_neighbour_can_spare_an_estate_the_community_merges(rules):
    # T (1,000) needs 500 more. W (1,650: three estates of 550) would fall below 1,500 giving
    # any; E (3,600) lies across a river (a hard edge). So no shift: T merges into W (2,650)
    estates, communities = _three_communities(1650, [1000], 3600)
    river = gdf(
        [
            {
                "barrier_id": "R1",
                "kind": "river",
                "geometry": LineString([(X0 + 400, Y0 - 50), (X0 + 400, Y0 + 150)]),
            }
        ]
    )
    out = propose_boundaries(estates, communities, rules=rules, barriers=river)
    proposed = out.communities.set_index("community_id")
    assert proposed["households"].to_dict() == {"E": 3600, "W": 2650}
    assert proposed.loc["W", "change"] == "merged"
    assert out.decisions.loc[0, "action"] == "merged"
    assert out.moves["estate_id"].tolist() == ["T0"]
    # without the river T takes E00 (1,200) from E: 2,200 and 2,400
    shifted = propose_boundaries(estates, communities, rules=rules)
    assert shifted.communities.set_index("community_id")["households"].to_dict() == {
        "E": 2400,
        "T": 2200,
        "W": 1650,
    }


def test_R7_too_small_community_merges_with_the_neighbour_that_stays_in_range(no_shift):
    # (shifting off) T (1,000) can join W (2,400 → 3,400) but not E (3,600 → 4,600)
    estates, communities = _three_communities(2400, [1000], 3600)
    out = propose_boundaries(estates, communities, rules=no_shift)
    proposed = out.communities.set_index("community_id")
    assert sorted(proposed.index) == ["E", "W"]
    assert proposed.loc["W", "households"] == 3400
    assert proposed.loc["W", "households_before"] == 3400  # W 2,400 + T 1,000 merged into it
    assert proposed.loc["W", "scale_status_before"] == "ok"  # W's own 2,400
    assert proposed.loc["W", "change"] == "merged"
    assert proposed.loc["W", "source_ids"] == "T, W"
    assert proposed.loc["W", "geometry"].area == pytest.approx(400 * 100)
    assert proposed.loc["E", "change"] == "unchanged"
    decision = out.decisions.set_index("community_id").loc["T"]
    assert decision["action"] == "merged" and decision["proposed_ids"] == "W"
    assert decision["note"].code == "decision_merged"
    assert decision["note"].values == {"target": "W", "households": 3400}
    assert out.moves[["estate_id", "from_community_id", "to_community_id"]].values.tolist() == [
        ["T0", "T", "W"]
    ]
    assert _tiles_exactly(out.communities, communities)


def test_R7_too_small_community_no_neighbour_can_take_whole_is_shared_out(no_shift):
    # (shifting off) T (two estates of 500) between W (3,300) and E (3,300): a whole merge
    # gives 4,300 on either side, above 4,000; one estate to each gives 3,800 and 3,800.
    estates, communities = _three_communities(3300, [500, 500], 3300)
    out = propose_boundaries(estates, communities, rules=no_shift)
    proposed = out.communities.set_index("community_id")
    assert sorted(proposed.index) == ["E", "W"]
    assert proposed["households"].tolist() == [3800, 3800]
    assert out.decisions.loc[0, "action"] == "dissolved"
    assert proposed["change"].tolist() == ["enlarged", "enlarged"]
    assert proposed["contiguous"].all()
    assert _tiles_exactly(out.communities, communities)


def test_R7_too_small_community_at_the_edge_redraws_its_boundary_with_the_neighbour(no_shift):
    # (shifting off) N (3 estates: 1167, 1167, 1166) west of T (one estate of 1,000): merging
    # gives 4,500, and N cannot take T's only estate either. N + T in a line [1167, 1167, 1166,
    # 1000] splits within range only after the second estate: {N0, N1} 2,334 | {N2, T0} 2,166.
    # (With shifting on, T takes N02 from N: the same communities by the shift step.)
    rows = _grid_estates("N", [[1167, 1167, 1166]], prefix="N")
    rows.append(
        {
            "estate_id": "T0",
            "name": "小区T0",
            "households": 1000,
            "community_id": "T",
            "geometry": square(310, 10, 80),
        }
    )
    communities = gdf(
        [
            {
                "community_id": "N",
                "name": "北社区",
                "geometry": shapely.box(X0, Y0, X0 + 300, Y0 + 100),
            },
            {
                "community_id": "T",
                "name": "小社区",
                "geometry": shapely.box(X0 + 300, Y0, X0 + 400, Y0 + 100),
            },
        ]
    )
    out = propose_boundaries(gdf(rows), communities, rules=no_shift)
    proposed = out.communities.set_index("community_id")
    assert proposed.loc["N", "households"] == 2334 and proposed.loc["T", "households"] == 2166
    assert proposed["change"].tolist() == ["rebalanced", "rebalanced"]
    assert out.moves[["estate_id", "from_community_id", "to_community_id"]].values.tolist() == [
        ["N02", "N", "T"]
    ]
    assert out.decisions.loc[0, "action"] == "rebalanced"
    assert out.decisions.loc[0, "note"].code == "decision_rebalanced"
    assert out.decisions.loc[0, "note"].values == {"other": "N", "n": 1}
    assert _tiles_exactly(out.communities, communities)


def test_R7_estate_above_the_maximum_gets_no_proposal(rules):
    estates = gdf(_grid_estates("C", [[4200, 300]]))
    communities = gdf(
        [
            {
                "community_id": "C",
                "name": "大社区",
                "geometry": shapely.box(X0, Y0, X0 + 200, Y0 + 100),
            }
        ]
    )
    out = propose_boundaries(estates, communities, rules=rules)
    assert out.decisions.loc[0, "action"] == "no_proposal"
    note = out.decisions.loc[0, "note"]
    assert note.code == "decision_none"
    assert note.values["reason"].code == "reason_estate_too_large"
    assert note.values["reason"].values == {"estate": "E00", "households": 4200, "maximum": 4000}
    assert out.communities["change"].tolist() == ["unchanged"]
    assert warned(out.warnings, "boundary_unresolved", n=1, rows="C")


def test_R7_layers_in_another_crs_are_an_error(rules):
    estates = gdf(_grid_estates("C", [[1000]])).to_crs("EPSG:4326")
    communities = gdf([{"community_id": "C", "name": "甲", "geometry": square(0, 0, 100)}])
    with pytest.raises(InputError, match="EPSG:4549"):
        propose_boundaries(estates, communities, rules=rules)


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo_results():
    data = load_layers(DEMO)
    return data, analyse(data)


def test_R7_demo_gets_a_proposal_for_every_community_out_of_range(demo_results):
    data, results = demo_results
    rules = data.rules
    counted = results.counted_premises
    out = propose_boundaries(
        results.estates,
        results.communities,
        rules=rules,
        premises=counted,
        planned_roads=data.planned_roads,
    )
    out_of_range = set(
        results.communities.loc[results.communities["scale_status"] != "ok", "community_id"]
    )
    assert set(out.decisions["community_id"]) == out_of_range
    assert not out.decisions["action"].eq("no_proposal").any()
    proposed = out.communities
    assert proposed["scale_status"].eq("ok").all()
    low, high = rules.layout.households_min, rules.layout.households_max
    assert proposed["households"].between(low, high).all()
    assert proposed["contiguous"].all()
    changed = proposed[proposed["change"] != "unchanged"]
    assert not changed["divided"].any()
    assert all(g.geom_type == "Polygon" for g in proposed.geometry)
    assert _tiles_exactly(proposed, data.communities)
    # the shift step, worked out from the estates' households: 居仁 (5,253) gives E0015, E0017,
    # E0019 (389 + 453 + 374) to 群安 (2,574 → 3,790) and E0018 (279) to 春晖 (3,630 → 3,909),
    # keeping 3,758; 吉祥 (4,528) gives E0028 (528) to 祥和 (2,850 → 3,378), which gives E0077
    # and E0082 (185 + 204) to 千亩 (1,151 → 1,540), keeping 2,989; 三桥 (3,009) gives E0307
    # (257) to 板桥 (1,347 → 1,604), keeping 2,752 — 8 units move (31 by splits and merges)
    after = proposed.set_index("name")["households"]
    assert after[
        ["居仁社区", "群安社区", "春晖社区", "吉祥社区", "祥和社区", "千亩社区"]
    ].tolist() == [
        3758,
        3790,
        3909,
        4000,
        2989,
        1540,
    ]
    assert after[["三桥社区", "板桥社区"]].tolist() == [2752, 1604]
    assert sorted(out.moves["estate_id"]) == [
        "E0015",
        "E0017",
        "E0018",
        "E0019",
        "E0028",
        "E0077",
        "E0082",
        "E0307",
    ]
    assert out.decisions["action"].eq("rebalanced").all()
    # households are conserved (estates in communities, straddling ones by area share)
    inside = results.estates["community_id"].notna()
    assert proposed["households"].sum() == results.estates.loc[inside, "households"].sum()
    assert proposed["households"].sum() == results.communities["households"].sum()
    # evaluated as a scenario: every community in range
    scenario = analyse(apply_boundaries(data, out))
    assert scenario.communities["scale_status"].eq("ok").all()
    # siting on the demo: set cover reaches every coverable estate, best p within p
    sites = propose_sites(
        results.estates,
        counted,
        rules=rules,
        development_parcels=data.development_parcels,
        communities=data.communities,
    )
    assert sites.solves["lscp"].status == sites.solves["mclp"].status == "optimal"
    est = sites.estates
    assert (est["covered_lscp"] | ~est["coverable"]).all()
    assert sites.summary["mclp_sites"] <= rules.layout.new_sites_p
    assert sites.summary["mclp_households_covered"] == int(
        results.estates["households"][est["covered_mclp"]].sum()
    )
    assert np.isclose(
        sites.sites.loc[sites.sites["model"] == "mclp", "households_newly_covered"].sum(),
        sites.summary["mclp_households_newly_covered"],
    )
    # the best p sites evaluated as a scenario: planned premises, counted in a plan year
    with_sites = analyse(apply_sites(data, sites, communities=results.communities), year=2035)
    assert (
        with_sites.summary["households_covered"]
        >= sites.summary["mclp_households_covered"]
        > results.summary["households_covered"]
    )


def test_cells_union_falls_back_when_geos_rejects_the_coverage(monkeypatch):
    """A TopologyException on a province-size run must not stop the proposal."""
    import shapely
    from shapely.geometry import box

    calls = {"n": 0}
    real_union = shapely.union_all

    def refuse(*args, **kwargs):
        raise shapely.errors.GEOSException("TopologyException: side location conflict")

    def union_once_refused(geoms, **kwargs):
        calls["n"] += 1
        if "grid_size" not in kwargs:
            raise shapely.errors.GEOSException("TopologyException: side location conflict")
        return real_union(geoms, **kwargs)

    monkeypatch.setattr(shapely, "coverage_union_all", refuse)
    monkeypatch.setattr(shapely, "union_all", union_once_refused)
    cells = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)], dtype=object)
    merged = cells_mod.union_cells(cells)
    # exact, exact on repaired inputs, then on the 1 mm grid
    assert abs(merged.area - 2.0) < 1e-6 and calls["n"] == 3


def test_R7_a_piece_that_smoothing_parts_from_its_community_is_taken_unsmoothed(monkeypatch):
    """R7: every proposed community is contiguous. Community A (two 50 m × 100 m cells) gives
    its east cell to B beside it. A smoothing that pulls the piece 0.5 m off B would leave B in
    two parts (and A too): A's shares are then taken unsmoothed, and both are whole again."""
    from shapely.geometry import box

    from gis_planner.layout import boundaries

    a, b = box(0, 0, 100, 100), box(100, 0, 200, 100)
    units = boundaries._Units(
        unit=np.array([0, 1, 2]),
        community=np.array([0, 0, 1]),
        geometry=np.array([box(0, 0, 50, 100), box(50, 0, 100, 100), b], dtype=object),
        households=np.array([1, 1, 1]),
        area=np.array([5000.0, 5000.0, 10000.0]),
        xy=np.array([[25.0, 50.0], [75.0, 50.0], [150.0, 50.0]]),
        anchor=np.full(3, None, dtype=object),
        active=np.ones(3, bool),
    )
    label = np.array([0, 1, 1])  # the east cell of A goes to B
    by_community = [np.array([0, 1]), np.array([2])]
    serial = cells_mod.CommunityPool(1)

    def pulled_off(shares, tolerance_m):
        return {0: shares[0], 1: box(50, 0, 99.5, 100)}

    monkeypatch.setattr(cells_mod, "_smooth", pulled_off)
    labs, geoms = boundaries._polygons(
        np.array([a, b], dtype=object), units, label, by_community, 10.0, serial
    )
    assert labs == [0, 1]
    assert list(shapely.get_num_geometries(geoms)) == [1, 1]
    assert shapely.equals(geoms[0], box(0, 0, 50, 100))
    assert shapely.equals(geoms[1], box(50, 0, 200, 100))

    # a smoothing that parts nothing is kept: the new border moves 2 m west, A stays whole
    monkeypatch.setattr(cells_mod, "_smooth", lambda s, t: {0: s[0], 1: box(48, 0, 100, 100)})
    labs, geoms = boundaries._polygons(
        np.array([a, b], dtype=object), units, label, by_community, 10.0, serial
    )
    assert shapely.equals(geoms[0], box(0, 0, 48, 100))
    assert shapely.equals(geoms[1], box(48, 0, 200, 100))


def _through_gcj02(geoms) -> np.ndarray:
    """EPSG:4549 → WGS84 → GCJ-02 → (as load_layers does) WGS84 → EPSG:4549."""
    import geopandas as gpd

    from gis_planner import crs as crs_mod

    wgs = gpd.GeoSeries(list(geoms), crs="EPSG:4549").to_crs("EPSG:4326")
    back = crs_mod.geometries_gcj02_to_wgs84(crs_mod.geometries_wgs84_to_gcj02(wgs.values))
    return gpd.GeoSeries(back, crs="EPSG:4326").to_crs("EPSG:4549").values


def _t_junction_grid(pitch: float, nx: int, ny: int) -> tuple[shapely.Geometry, np.ndarray]:
    """A community of nx × ny cells of ``pitch`` m filled by estates sharing their edges; in
    odd rows every third estate spans two cells, so its corners sit on the middle of the
    edges of the estates below and above it (T-junctions)."""
    community = shapely.box(X0, Y0, X0 + nx * pitch, Y0 + ny * pitch)
    estates = []
    for j in range(ny):
        i = 0
        while i < nx:
            span = 2 if (j % 2 == 1 and i + 2 <= nx and i % 3 == 0) else 1
            estates.append(
                shapely.box(
                    X0 + i * pitch, Y0 + j * pitch, X0 + (i + span) * pitch, Y0 + (j + 1) * pitch
                )
            )
            i += span
    return community, np.array(estates, dtype=object)


def test_cells_of_a_regular_grid_with_gcj02_noise_complete(rules):
    """Issue 10: estates on a regular grid traced on Amap (GCJ-02) carry ~1e-9 m of noise
    from the conversion; GEOS then stopped in member_cells with "TopologyException: side
    location conflict" (this very case did, before robust overlays)."""

    exact_community, exact_estates = _t_junction_grid(150.0, 4, 2)
    community = _through_gcj02([exact_community])[0]
    estates = _through_gcj02(exact_estates)
    noise = np.abs(shapely.get_coordinates(estates) - shapely.get_coordinates(exact_estates))
    assert 0 < noise.max() < 1e-6  # the round trip moved the vertices by noise only
    cells = cells_mod.member_cells(community, estates, float(rules.layout.tessellation_spacing_m))
    assert shapely.is_valid(cells).all()
    assert abs(shapely.area(cells).sum() - community.area) < 1.0  # they tile the community
    union = shapely.union_all(cells)
    assert shapely.area(shapely.symmetric_difference(union, community)) < 1.0
    # the noise changes nothing that matters: the cells of the exact grid within 0.1 % (ties
    # between sample points equally near may fall the other way)
    exact = cells_mod.member_cells(
        exact_community, exact_estates, float(rules.layout.tessellation_spacing_m)
    )
    assert np.allclose(shapely.area(cells), shapely.area(exact), rtol=1e-3, atol=0)


def test_R7_split_of_a_gcj02_grid_county_completes_and_conserves_households(rules):
    exact_community, exact_estates = _t_junction_grid(150.0, 4, 2)
    estates = gdf(
        [
            {
                "estate_id": f"E{k}",
                "name": f"小区{k}",
                "households": 800,
                "community_id": "C",
                "geometry": g,
            }
            for k, g in enumerate(_through_gcj02(exact_estates))
        ]
    )
    communities = gdf(
        [
            {
                "community_id": "C",
                "name": "网格社区",
                "geometry": _through_gcj02([exact_community])[0],
            }
        ]
    )
    out = propose_boundaries(estates, communities, rules=rules)
    # 7 estates × 800 = 5,600 households > 4,000: split into two parts within range
    assert len(estates) == 7 and out.decisions.loc[0, "action"] == "split"
    assert out.communities["households"].sum() == 5600
    assert out.communities["scale_status"].eq("ok").all()
    assert _tiles_exactly(out.communities, communities)


def test_R7_community_in_range_beside_a_split_keeps_its_own_polygon(no_shift):
    # (shifting off: C would give its estate E00 to D instead, see the shift tests) C (six
    # estates in a row: 4,500 households) is split; D to its north (two estates, 2,000
    # households, in range) is a neighbour of C but changes nothing: its proposed polygon is
    # its own, vertex for vertex (no overlay redraws it)
    estates, communities = _street_and_north()
    north = communities.geometry.iloc[1]
    out = propose_boundaries(estates, communities, rules=no_shift)
    proposed = out.communities.set_index("community_id")
    assert sorted(proposed.index) == ["C", "C-2", "D"]
    assert proposed.loc["D", "change"] == "unchanged" and proposed.loc["D", "households"] == 2000
    assert shapely.equals_exact(proposed.loc["D", "geometry"], north, tolerance=0)
    assert _tiles_exactly(out.communities, communities)


def test_R7_shift_border_units_is_a_true_or_false_setting(rules):
    from gis_planner.errors import RulesError

    assert rules.layout.shift_border_units is True  # the rules file: on
    with pytest.raises(RulesError, match="shift_border_units"):
        rules.with_overrides({"layout": {"shift_border_units": 1}})


def _mirrored_pair() -> tuple[shapely.Geometry, np.ndarray]:
    """A 200 × 100 m community holding two 60 m square estates, mirror images of each other
    about its middle line x = X0 + 100: every sample point of the east estate is farther from
    any point west of that line than its mirror image in the west estate, so the cells are
    the two halves (10,000 m² each) and share the 100 m middle line."""
    community = shapely.box(X0, Y0, X0 + 200, Y0 + 100)
    estates = np.array(
        [
            shapely.box(X0 + 20, Y0 + 20, X0 + 80, Y0 + 80),
            shapely.box(X0 + 120, Y0 + 20, X0 + 180, Y0 + 80),
        ],
        dtype=object,
    )
    return community, estates


def test_R7_cells_and_their_shared_border_come_from_the_voronoi_ridges(rules):

    community, estates = _mirrored_pair()
    spacing = float(rules.layout.tessellation_spacing_m)
    cells, borders = cells_mod.cells_and_borders(community, estates, spacing)
    assert np.allclose(shapely.area(cells), [10_000.0, 10_000.0], atol=1e-6)
    west = shapely.box(X0, Y0, X0 + 100, Y0 + 100)
    assert shapely.area(shapely.symmetric_difference(cells[0], west)) < 1e-6
    assert borders is not None
    assert borders.a.tolist() == [0] and borders.b.tolist() == [1]
    assert borders.length.tolist() == pytest.approx([100.0], abs=1e-6)


def test_R7_cells_fall_back_to_geos_voronoi_when_qhull_fails(rules, monkeypatch):
    """The same cells from GEOS's Voronoi polygons when Qhull cannot triangulate; their
    borders are then left to the neighbour step (None)."""
    from scipy.spatial import QhullError

    def refuse(*args, **kwargs):
        raise QhullError("QH6154 initial simplex is flat")

    monkeypatch.setattr(cells_mod, "Delaunay", refuse)
    community, estates = _mirrored_pair()
    cells, borders = cells_mod.cells_and_borders(
        community, estates, float(rules.layout.tessellation_spacing_m)
    )
    assert borders is None
    assert np.allclose(shapely.area(cells), [10_000.0, 10_000.0], atol=1e-6)


def test_R7_borders_measured_on_the_ridges_change_no_neighbour(demo_results):
    """Neighbours (R7, ≥ neighbour_min_border_m of shared border) with the within-community
    borders read off the ridges are those measured with buffers alone, on the demo."""
    from gis_planner.layout import boundaries

    data, results = demo_results
    layout = data.rules.layout
    given = boundaries._given_units(results.estates, data.communities, results.household_units)
    every = np.ones(len(data.communities), bool)
    units = boundaries._build_units(
        given,
        data.communities,
        float(layout.tessellation_spacing_m),
        every,
        cells_mod.CommunityPool(1),
    )
    assert units.borders  # the Delaunay path ran
    hard = np.zeros(0, dtype=object)
    quick = boundaries._neighbours(units, hard, float(layout.neighbour_min_border_m))
    units.borders = {}
    measured = boundaries._neighbours(units, hard, float(layout.neighbour_min_border_m))
    assert [a.tolist() for a in quick] == [a.tolist() for a in measured]
    assert sum(len(a) for a in quick) > 0


def test_R7_cells_cut_in_worker_processes_equal_those_cut_here(demo_results, monkeypatch):
    """R7 cells: every demo community cut by a pool of 2 processes gives, byte for byte, the
    cells and borders cut in this process (each community is cut alone)."""
    data, results = demo_results
    given = boundaries_mod._given_units(results.estates, data.communities, results.household_units)
    rows = cells_mod.rows_by(given.community, len(data.communities))
    coms = [c for c, r in enumerate(rows) if len(r) > 1]
    assert len(coms) >= 16  # enough for two workers of one chunk each
    polygons = [data.communities.geometry.values[c] for c in coms]
    members = [given.geometry[rows[c]] for c in coms]
    spacing = float(data.rules.layout.tessellation_spacing_m)
    spacings = [spacing] * len(coms)
    here = cells_mod.CommunityPool(1).map(cells_mod.cells_and_borders, polygons, members, spacings)
    monkeypatch.setattr(cells_mod, "POOL_MIN_COMMUNITIES", 0)
    with cells_mod.CommunityPool(2) as pool:
        pooled = pool.map(cells_mod.cells_and_borders, polygons, members, spacings)
    assert len(pooled) == len(here) == len(coms)
    for (cells_a, borders_a), (cells_b, borders_b) in zip(here, pooled, strict=True):
        assert shapely.to_wkb(cells_a).tolist() == shapely.to_wkb(cells_b).tolist()
        assert (borders_a is None) == (borders_b is None)
        if borders_a is not None:
            assert borders_a.a.tolist() == borders_b.a.tolist()
            assert borders_a.b.tolist() == borders_b.b.tolist()
            assert borders_a.length.tolist() == borders_b.length.tolist()


def test_R7_cells_are_cut_here_when_worker_processes_fail(monkeypatch, caplog):
    """R7 cells: a pool whose processes die (no memory, a script without the main guard)
    costs time, not the proposal: the same cells are cut in this process, with a log line."""
    from concurrent.futures.process import BrokenProcessPool

    class Broken:
        def __init__(self, *args, **kwargs):
            pass

        def map(self, *args, **kwargs):
            raise BrokenProcessPool("a child process terminated abruptly")

        def shutdown(self):
            pass

    community, estates = _mirrored_pair()
    monkeypatch.setattr(cells_mod, "POOL_MIN_COMMUNITIES", 0)
    monkeypatch.setattr(cells_mod, "ProcessPoolExecutor", Broken)
    with cells_mod.CommunityPool(2) as pool:
        found = pool.map(
            cells_mod.cells_and_borders, *([x] * 16 for x in (community, estates, 10.0))
        )
        assert pool.workers == 1
    assert len(found) == 16
    assert all(np.allclose(shapely.area(cells), [10_000.0, 10_000.0]) for cells, _ in found)
    assert "worker processes failed" in caplog.text


def test_R7_separators_join_into_chains_only_where_exactly_two_meet():
    """The separators between cells go to polygonize as chains: joined end to end where
    exactly two meet (whichever way each runs), never through a point where three meet, and a
    closed ring of separators is one closed chain."""
    segments = np.array(
        [
            [[0, 0], [1, 0]],  # a run of three, the middle one drawn backwards
            [[2, 0], [1, 0]],
            [[2, 0], [3, 0]],
            [[3, 0], [4, 1]],  # three meet at (3, 0): the run ends there
            [[3, 0], [4, -1]],
            [[10, 0], [11, 0]],  # a closed triangle
            [[11, 0], [10, 1]],
            [[10, 1], [10, 0]],
        ],
        dtype=float,
    )
    xy, of_xy, chain = cells_mod._chains(segments)
    lines = shapely.linestrings(xy, indices=of_xy)
    assert len(lines) == 4
    assert chain[0] == chain[1] == chain[2]
    assert len({chain[0], chain[3], chain[4], chain[5]}) == 4
    assert chain[5] == chain[6] == chain[7]
    run = lines[chain[0]]
    assert shapely.get_num_coordinates(run) == 4 and run.length == pytest.approx(3.0)
    assert {tuple(shapely.get_coordinates(run)[k]) for k in (0, -1)} == {(0.0, 0.0), (3.0, 0.0)}
    ring = lines[chain[5]]
    assert ring.is_closed and shapely.get_num_coordinates(ring) == 4
    # together the chains are the separators, each once
    assert shapely.equals(
        shapely.union_all(lines), shapely.union_all(shapely.linestrings(segments))
    )
    assert sum(shapely.length(lines)) == pytest.approx(
        sum(shapely.length(shapely.linestrings(segments)))
    )


def test_R7_proposal_made_in_worker_processes_equals_the_one_made_here(rules, monkeypatch):
    """R7: with every community-by-community step (cells, splits, divided polygons) sent to a
    pool of 2 processes, the proposal is, byte for byte, the one made in this process."""
    rows, coms = [], []
    for k in range(6):  # six communities of 2 × 6 estates, 5,600 households: each splits
        x0 = 700.0 * k
        grid = [[400, 500, 400, 500, 400, 600], [600, 400, 500, 400, 500, 400]]
        rows += _grid_estates(f"C{k}", grid, x0=x0, prefix=f"K{k}")
        coms.append(
            {
                "community_id": f"C{k}",
                "name": f"社区{k}",
                "geometry": shapely.box(X0 + x0, Y0, X0 + x0 + 600, Y0 + 200),
            }
        )
    estates, communities = gdf(rows), gdf(coms)
    here = propose_boundaries(estates, communities, rules=rules, workers=1)
    monkeypatch.setattr(cells_mod, "POOL_MIN_COMMUNITIES", 0)
    pooled = propose_boundaries(estates, communities, rules=rules, workers=2)
    assert (here.decisions["action"] == "split").all() and len(here.decisions) == 6
    for a, b in ((here.communities, pooled.communities), (here.moves, pooled.moves)):
        assert a.drop(columns="geometry", errors="ignore").equals(
            b.drop(columns="geometry", errors="ignore")
        )
    geoms = here.communities.geometry.values, pooled.communities.geometry.values
    assert shapely.to_wkb(geoms[0]).tolist() == shapely.to_wkb(geoms[1]).tolist()


def test_R7_cells_of_an_estate_in_another_estates_courtyard(rules):
    """R7 cells: an estate standing in the courtyard of another (a hole of its outline) gets
    the part of the courtyard nearer to it; the only separators are then one closed ring."""
    community = shapely.box(X0, Y0, X0 + 300, Y0 + 300)
    courtyard = shapely.box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200)
    around = shapely.Polygon(
        shapely.box(X0 + 20, Y0 + 20, X0 + 280, Y0 + 280).exterior.coords,
        [courtyard.exterior.coords],
    )
    inner = shapely.box(X0 + 130, Y0 + 130, X0 + 170, Y0 + 170)
    cells, borders = cells_mod.cells_and_borders(
        community,
        np.array([around, inner], dtype=object),
        float(rules.layout.tessellation_spacing_m),
    )
    assert shapely.area(cells).sum() == pytest.approx(300 * 300)
    assert cells[1].contains(inner) and courtyard.contains(cells[1])
    assert cells[0].contains(around)
    assert borders is not None and (borders.a.tolist(), borders.b.tolist()) == ([0], [1])
    assert borders.length[0] == pytest.approx(cells[1].exterior.length)
