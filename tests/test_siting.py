"""Premises siting (R7, 一(一)): set cover and maximal coverage, solved exactly; network distance.

Hand-made cases in EPSG:4549 with the optimum worked out on paper.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import sparse
from shapely.geometry import LineString

from gis_planner.errors import InputError
from gis_planner.layout.siting import (
    build_network,
    coverage_components,
    network_coverage,
    propose_sites,
    solve_lscp,
    solve_mclp,
)

from .conftest import X0, Y0, gdf, pt, square, warned


def _line_estates(households=(100, 200, 300, 400, 500), step=250.0):
    """Estates (20 m squares) centred at x = 0, 250, 500, 750, 1000 m on one line."""
    return gdf(
        [
            {
                "estate_id": f"E{k + 1}",
                "name": f"小区{k + 1}",
                "households": h,
                "geometry": square(k * step - 10, -10, 20),
            }
            for k, h in enumerate(households)
        ]
    )


def _two_sites():
    """S1 at x = 250 m (reaches E1–E3 within 300 m), S2 at x = 750 m (reaches E3–E5)."""
    return gdf(
        [
            {"site_id": "S1", "name": "一号点", "geometry": pt(250, 0)},
            {"site_id": "S2", "name": "二号点", "geometry": pt(750, 0)},
        ]
    )


def test_R7_line_of_estates_needs_both_sites_and_best_single_site_is_S2(rules):
    # on paper: S1 covers E1+E2+E3 = 600 households, S2 covers E3+E4+E5 = 1,200;
    # covering everyone needs both; the best single site is S2 (1,200 households).
    out = propose_sites(_line_estates(), None, rules=rules, candidate_sites=_two_sites(), p=1)
    lscp = out.sites[out.sites["model"] == "lscp"]
    mclp = out.sites[out.sites["model"] == "mclp"]
    assert sorted(lscp["site_id"]) == ["S1", "S2"]
    assert out.solves["lscp"].objective == 2 and out.solves["lscp"].status == "optimal"
    assert mclp["site_id"].tolist() == ["S2"]
    assert out.summary["mclp_households_newly_covered"] == 1200
    # priority order: S2 first (1,200), then S1 adds E1 + E2 (300): sums to everyone
    assert lscp.set_index("site_id")["priority"].to_dict() == {"S2": 1, "S1": 2}
    assert lscp.set_index("site_id")["households_newly_covered"].to_dict() == {
        "S2": 1200,
        "S1": 300,
    }
    assert lscp.set_index("site_id")["households_in_reach"].to_dict() == {"S1": 600, "S2": 1200}
    assert out.summary["lscp_households_newly_covered"] == 1500
    assert out.estates["site_lscp"].tolist() == ["S1", "S1", "S2", "S2", "S2"]
    assert out.estates["covered_mclp"].tolist() == [False, False, True, True, True]


def test_R7_existing_premises_are_fixed_and_pre_cover_estates(rules):
    # a premises at x = 0 reaches E1 (0 m) and E2 (250 m): only E3–E5 are left, S2 covers all
    premises = gdf([{"premises_id": "YF1", "geometry": pt(0, 0)}])
    out = propose_sites(_line_estates(), premises, rules=rules, candidate_sites=_two_sites(), p=1)
    assert out.sites.loc[out.sites["model"] == "lscp", "site_id"].tolist() == ["S2"]
    assert out.summary["households_covered_existing"] == 300
    assert out.summary["mclp_households_covered"] == 1500
    assert out.estates["covered_existing"].tolist() == [True, True, False, False, False]
    assert out.estates["walk_to_premises_m"].tolist()[:2] == [0.0, 250.0]


def test_R7_uncoverable_estate_is_reported_not_infeasible(rules):
    estates = _line_estates((100, 200, 300, 400, 500, 60), step=250.0)
    estates.loc[5, "geometry"] = square(1990, -10, 20)  # 1,250 m from S2
    out = propose_sites(estates, None, rules=rules, candidate_sites=_two_sites(), p=2)
    assert out.summary["estates_uncoverable"] == 1
    assert out.summary["households_uncoverable"] == 60
    assert out.solves["lscp"].objective == 2
    assert warned(out.warnings, "estates_uncoverable", n=1, households=60, rows="E6")
    assert not out.estates.loc[5, "coverable"]


def test_R7_more_sites_asked_than_candidates_is_an_error(rules):
    with pytest.raises(InputError) as err:
        propose_sites(_line_estates(), None, rules=rules, candidate_sites=_two_sites(), p=3)
    assert warned(err.value.problems, "too_many_sites", p=3, n=2)
    assert "只有 2 个备选点位" in err.value.text("zh")
    assert "3 new sites were asked for but there are only 2" in err.value.text("en")


def test_R7_candidates_in_no_community_are_dropped_with_a_warning(rules):
    communities = gdf([{"community_id": "A", "name": "甲", "geometry": square(-100, -100, 600)}])
    out = propose_sites(
        _line_estates(),
        None,
        rules=rules,
        candidate_sites=_two_sites(),
        communities=communities,
        p=1,
    )
    assert out.candidates["site_id"].tolist() == ["S1"]
    assert out.sites["community_id"].unique().tolist() == ["A"]
    assert warned(out.warnings, "candidates_outside", n=1)
    (dropped,) = [w for w in out.warnings if w.code == "candidates_outside"]
    assert dropped.text("zh").endswith("已剔除：S2")
    outside = gdf([{"community_id": "B", "name": "乙", "geometry": square(5000, 5000, 100)}])
    with pytest.raises(InputError, match="没有可用的备选点位"):
        propose_sites(
            _line_estates(),
            None,
            rules=rules,
            candidate_sites=_two_sites(),
            communities=outside,
            p=1,
        )


def test_R7_candidates_generated_from_parcels_and_estates(rules):
    parcels = gdf([{"parcel_id": "P1", "name": "地块一", "geometry": square(700, -50, 100)}])
    out = propose_sites(_line_estates(), None, rules=rules, development_parcels=parcels, p=1)
    assert out.candidates["site_id"].tolist()[:2] == ["P:P1", "E:E1"]
    assert set(out.candidates["source"]) == {"development_parcel", "estate"}
    # P1's centre (x = 750) reaches E3–E5: the best single site, as S2 above
    assert out.sites.loc[out.sites["model"] == "mclp", "households_newly_covered"].sum() == 1200


def test_R7_layer_in_another_crs_is_an_error(rules):
    estates = _line_estates().to_crs("EPSG:4326")
    with pytest.raises(InputError, match="EPSG:4549"):
        propose_sites(estates, None, rules=rules, candidate_sites=_two_sites(), p=1)


def test_solvers_match_brute_force_on_small_random_instances():
    rng = np.random.default_rng(3)
    for _ in range(25):
        m, n = int(rng.integers(3, 12)), int(rng.integers(2, 7))
        dense = (rng.random((m, n)) < 0.35).astype(int)
        dense[dense.sum(axis=1) == 0, rng.integers(0, n)] = 1
        weights = rng.integers(1, 100, m)
        cover = sparse.csr_array(dense)
        p = int(rng.integers(1, n + 1))
        best = max(
            weights[dense[:, list(c)].sum(axis=1) > 0].sum()
            for c in itertools.combinations(range(n), p)
        )
        assert solve_mclp(cover, weights, p)[1].objective == best
        fewest = min(
            k
            for k in range(1, n + 1)
            for c in itertools.combinations(range(n), k)
            if (dense[:, list(c)].sum(axis=1) > 0).all()
        )
        chosen, info = solve_lscp(cover)
        assert len(chosen) == fewest == info.objective
        assert (dense[:, chosen].sum(axis=1) > 0).all()


def test_set_cover_refuses_uncoverable_rows():
    with pytest.raises(ValueError, match="at least one site"):
        solve_lscp(sparse.csr_array(np.array([[1, 0], [0, 0]])))


# --------------------------------------------------------------------------- components, time


def _two_components():
    """Two coverage components, their sites interleaved (columns 0, 2, 4 | 1, 3, 5).

    A (rows 0–3, sites 0, 2, 4 in a line): rows {0}, {0, 2}, {2, 4}, {4} — two sites (0 and 4)
    are needed and enough. B (rows 4–6, sites 1, 3, 5 in a triangle): rows {1, 3}, {3, 5},
    {1, 5} — any two sites, never one. On paper the set cover is 2 + 2 = 4 sites.
    """
    rows = [[0], [0, 2], [2, 4], [4], [1, 3], [3, 5], [1, 5]]
    dense = np.zeros((len(rows), 6), dtype=int)
    for i, cols in enumerate(rows):
        dense[i, cols] = 1
    return dense


def test_R7_set_cover_of_two_disjoint_components_is_the_sum_of_each():
    dense = _two_components()
    n, row_label, col_label = coverage_components(sparse.csr_array(dense))
    assert n == 2
    assert len(set(row_label[:4])) == 1 and len(set(row_label[4:])) == 1
    assert row_label[0] != row_label[4] and col_label[0] != col_label[1]
    each = [
        solve_lscp(sparse.csr_array(dense[r][:, c]))[1].objective
        for r, c in ((slice(0, 4), [0, 2, 4]), (slice(4, 7), [1, 3, 5]))
    ]
    assert each == [2, 2]
    for decompose in (True, False):
        chosen, info = solve_lscp(sparse.csr_array(dense), decompose=decompose)
        assert info.objective == len(chosen) == 4 == sum(each)
        assert info.status == "optimal" and info.mip_gap == 0
        assert (dense[:, chosen].sum(axis=1) > 0).all()
        assert {0, 4} <= set(chosen.tolist())  # A's ends are forced


def test_R7_component_with_one_site_covering_it_takes_that_site():
    # a third component: rows 7 and 8 both within reach of site 6 only → site 6, 5 sites in all
    dense = np.zeros((9, 7), dtype=int)
    dense[:7, :6] = _two_components()
    dense[7:, 6] = 1
    chosen, info = solve_lscp(sparse.csr_array(dense))
    assert info.objective == 5 and 6 in chosen.tolist()


def test_R7_best_p_across_components_equals_brute_force_where_greedy_falls_short():
    # component A: six households' rows a–f of weight 10, sites {a,b}, {c,d}, {e,f}, {a,c,e};
    # component B: one row of weight 12, one site. p = 3.
    # greedy: {a,c,e} (+30), B (+12), one pair (+10) = 52, i.e. two sites in A and one in B;
    # the best two sites of A cover 40, so per-component allocation stays at 52;
    # on paper the optimum is the three pairs of A, 60 (B left out).
    dense = np.zeros((7, 5), dtype=int)
    for col, rows in enumerate(([0, 1], [2, 3], [4, 5], [0, 2, 4])):
        dense[rows, col] = 1
    dense[6, 4] = 1
    weights = np.array([10, 10, 10, 10, 10, 10, 12])
    brute = max(
        weights[dense[:, list(c)].sum(axis=1) > 0].sum()
        for c in itertools.combinations(range(5), 3)
    )
    assert brute == 60
    chosen, info = solve_mclp(sparse.csr_array(dense), weights, 3)
    assert info.objective == 60 and chosen.tolist() == [0, 1, 2]
    assert info.status == "optimal" and info.mip_gap == 0


def _greedy_trap():
    """Rows 1–6; sites O1 = {1,2,3}, O2 = {4,5,6}, G = {1,2,4,5}, T1 = {3}, T2 = {6}, and
    H = {2}, K = {5} (so that no two rows have the same sites and none are merged).

    On paper: the optimum is O1 + O2 (2 sites); greedy takes G first (4 rows), then one site
    for row 3 and one for row 6 — 3 sites.
    """
    dense = np.zeros((6, 7), dtype=int)
    sites = ([0, 1, 2], [3, 4, 5], [0, 1, 3, 4], [2], [5], [1], [4])
    for col, rows in enumerate(sites):
        dense[rows, col] = 1
    return dense


def test_R7_time_limit_hit_keeps_the_greedy_solution_and_reports_the_gap():
    dense = sparse.csr_array(_greedy_trap())
    assert solve_lscp(dense)[1].objective == 2  # with time: the optimum
    for decompose in (True, False):
        chosen, info = solve_lscp(dense, total_time_limit_s=0, decompose=decompose)
        assert info.status == "time_limit"
        assert info.objective == len(chosen) == 3  # greedy, still a cover
        assert (_greedy_trap()[:, chosen].sum(axis=1) > 0).all()
        # no site covers all six rows, so at least 2 are needed: gap (3 − 2) / 3
        assert info.mip_gap == pytest.approx(1 / 3)
    # best 1 site within no time: greedy's G (4 rows of weight 1), proven all the same by the
    # bound (the heaviest site, 4)
    chosen, info = solve_mclp(dense, np.ones(6), 1, total_time_limit_s=0)
    assert chosen.tolist() == [2] and info.objective == 4
    assert info.status == "optimal" and info.mip_gap == 0
    # best 2 sites: greedy G + T1 = 5 rows; bound the two heaviest sites 4 + 3 = 7 > 6 rows → 6
    chosen, info = solve_mclp(dense, np.ones(6), 2, total_time_limit_s=0)
    assert info.objective == 5 and info.mip_gap == pytest.approx(1 / 5)
    assert solve_mclp(dense, np.ones(6), 2)[1].objective == 6  # with time: O1 + O2


def test_R7_run_out_of_solver_time_warns_with_the_gap(rules):
    # seven estates 250 m apart (x = 0 … 1,500 m), sites at x = 250, 750 and 1,250 m, each
    # reaching three estates: the set cover needs all three (E1, E4 and E7 have one site each)
    # and greedy finds them, but with no solver time the only bound is 2 (no site reaches
    # every estate): gap (3 − 2) / 3, and the run warns.
    no_time = rules.with_overrides({"layout": {"solver_total_time_limit_s": 0}})
    sites = gdf(
        [
            {"site_id": f"S{k + 1}", "name": f"{k + 1}号点", "geometry": pt(x, 0)}
            for k, x in enumerate((250, 750, 1250))
        ]
    )
    estates = _line_estates(households=(100,) * 7)
    out = propose_sites(estates, None, rules=no_time, candidate_sites=sites, p=1)
    info = out.solves["lscp"]
    assert info.status == "time_limit" and info.objective == 3
    assert info.mip_gap == pytest.approx(1 / 3)
    assert sorted(out.sites.loc[out.sites["model"] == "lscp", "site_id"]) == ["S1", "S2", "S3"]
    assert warned(out.warnings, "solver_time_budget", model="lscp")
    # the best single site is proven by its bound (no site reaches more than 300 households)
    assert out.solves["mclp"].status == "optimal"
    assert not warned(out.warnings, "solver_time_budget", model="mclp")
    with_time = propose_sites(estates, None, rules=rules, candidate_sites=sites, p=1)
    assert with_time.solves["lscp"].status == "optimal" and not with_time.warnings


# --------------------------------------------------------------------------- network


def _river_paths():
    """A footpath around a river: (0,0) → (0,200) → (200,200) → (200,0), 600 m end to end."""
    line = LineString([(X0, Y0), (X0, Y0 + 200), (X0 + 200, Y0 + 200), (X0 + 200, Y0)])
    return gdf([{"path_id": "F1", "geometry": line}])


def test_R7_network_distance_differs_from_straight_line(rules):
    estates = gdf(
        [{"estate_id": "E1", "name": "河西", "households": 500, "geometry": square(-10, -10, 20)}]
    )
    sites = gdf([{"site_id": "S1", "geometry": pt(200, 0)}])
    straight = propose_sites(estates, None, rules=rules, candidate_sites=sites, p=1)
    assert straight.summary["mclp_households_newly_covered"] == 500  # 200 m as the crow flies
    walked = propose_sites(
        estates, None, rules=rules, candidate_sites=sites, p=1, paths=_river_paths()
    )
    assert walked.summary["distance"] == "network"
    assert walked.summary["mclp_households_newly_covered"] == 0  # 600 m on foot
    assert walked.summary["estates_uncoverable"] == 1
    assert warned(walked.warnings, "estates_uncoverable_network", n=1)  # not "straight line"
    net = build_network(_river_paths())
    result = network_coverage(net, np.array([[X0, Y0]]), np.array([[X0 + 200, Y0]]), distance_m=700)
    assert result.distance_m.tolist() == pytest.approx([600.0])
    # a bridge across the river makes it 200 m
    paths = gdf(
        [
            *_river_paths().to_dict("records"),
            {"path_id": "B1", "geometry": LineString([(X0, Y0), (X0 + 200, Y0)])},
        ]
    )
    bridged = propose_sites(estates, None, rules=rules, candidate_sites=sites, p=1, paths=paths)
    assert bridged.summary["mclp_households_newly_covered"] == 500


def test_R7_network_distance_is_measured_along_the_segment_and_legs():
    net = build_network(_river_paths())
    # origin 30 m off the path's middle; site on the path's far end: 30 + 100 + 200 + 0
    result = network_coverage(
        net, np.array([[X0 + 100 + 0.0, Y0 + 230]]), np.array([[X0 + 200, Y0]]), distance_m=1000
    )
    assert result.distance_m.tolist() == pytest.approx([330.0])
    assert result.origin_leg_m.tolist() == pytest.approx([30.0])


def test_R7_disconnected_paths_are_reported_and_estates_snap_to_a_reachable_piece(rules):
    near_isolated = gdf(
        [{"estate_id": "E1", "name": "孤岛旁", "households": 300, "geometry": square(190, 590, 20)}]
    )
    sites = gdf([{"site_id": "S1", "geometry": pt(200, 250)}])
    paths = gdf(
        [
            *_river_paths().to_dict("records"),
            {"path_id": "X", "geometry": LineString([(X0 + 150, Y0 + 600), (X0 + 250, Y0 + 600)])},
        ]
    )
    out = propose_sites(near_isolated, None, rules=rules, candidate_sites=sites, p=1, paths=paths)
    assert len(out.network) == 2
    assert out.network["reachable"].tolist().count(True) == 1
    assert warned(out.warnings, "paths_components", n=2, reachable=1, moved=1)
    # snapped to the reachable path at (200, 200): 400 m leg + 50 m along + 0: beyond 300 m
    assert out.summary["estates_uncoverable"] == 1


def test_R7_paths_layer_without_lines_is_an_error(rules):
    paths = gdf([{"path_id": "P", "geometry": square(0, 0, 50)}])
    with pytest.raises(InputError, match="步行路网图层没有线要素"):
        propose_sites(
            _line_estates(), None, rules=rules, candidate_sites=_two_sites(), p=1, paths=paths
        )


def test_R7_two_premises_snapped_to_one_node_walk_the_shorter_leg_not_both():
    """One straight path along y = 0. Two premises 50 m north and 50 m south of x = 100 snap
    to the same network node; an estate on the path at x = 180 walks 50 m (the leg of
    either) + 80 m along = 130 m. scipy adds duplicate sparse entries, which made the edge
    from the virtual source 50 + 50 = 100 m and the walk 180 m."""
    from gis_planner.layout.siting import network_distance_to_nearest

    paths = gdf([{"path_id": "W1", "geometry": LineString([(X0, Y0), (X0 + 1000, Y0)])}])
    net = build_network(paths)
    premises = np.array([[X0 + 100, Y0 + 50], [X0 + 100, Y0 - 50]])
    estate = np.array([[X0 + 180, Y0]])
    assert network_distance_to_nearest(net, premises, estate)[0] == pytest.approx(130.0)
    # legs 30 m and 70 m at one node: the walk is the shorter leg + 80 m = 110 m
    premises = np.array([[X0 + 100, Y0 + 30], [X0 + 100, Y0 - 70]])
    assert network_distance_to_nearest(net, premises, estate)[0] == pytest.approx(110.0)


def test_duplicate_edges_keep_the_shortest_weight():
    from gis_planner.layout.siting import shortest_edges

    graph = shortest_edges(
        np.array([0, 0, 1, 0]), np.array([1, 1, 2, 2]), np.array([80.0, 50.0, 20.0, 500.0]), 3
    )
    assert graph[0, 1] == 50.0 and graph[1, 2] == 20.0 and graph[0, 2] == 500.0
    assert graph.nnz == 3


def test_R7_no_candidate_inside_a_community_proposes_no_sites_with_a_warning(rules):
    """Found by the generated counties (issue 10): an estate over a hole of its community
    (a park) has its candidate point in the hole, outside every community; with no other
    candidate the run stopped (exit 1) on a folder `check` accepts. Now: no sites, said why;
    asking for sites explicitly (--sites) is still refused."""
    import shapely

    community = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000).difference(
        shapely.box(X0 + 400, Y0 + 400, X0 + 600, Y0 + 600)
    )
    communities = gdf([{"community_id": "A", "name": "甲", "geometry": community}])
    estates = gdf(
        [{"estate_id": "E1", "name": "园边", "households": 300, "geometry": square(390, 390, 220)}]
    )
    out = propose_sites(estates, None, rules=rules, communities=communities)
    assert len(out.sites) == 0 and out.summary["mclp_sites"] == 0
    assert warned(out.warnings, "no_candidates_no_sites")
    assert out.estates["site_mclp"].isna().all()
    with pytest.raises(InputError):
        propose_sites(estates, None, rules=rules, communities=communities, p=1)


def test_R7_a_generated_candidate_in_no_community_is_named_by_its_estate(rules):
    """A candidate made from an estate (id ``E:<estate_id>``) is named in words in the warning,
    in either language, never by its internal id."""
    communities = gdf([{"community_id": "A", "name": "甲", "geometry": square(-100, -100, 600)}])
    # the community reaches x = 500 m: the estates at 750 and 1,000 m lie outside it
    out = propose_sites(_line_estates(), None, rules=rules, communities=communities, p=1)
    (dropped,) = [w for w in out.warnings if w.code == "candidates_outside"]
    assert dropped.text("zh").endswith("2 个备选点位不在任何社区内，已剔除：小区内 E4, 小区内 E5")
    assert dropped.text("en").endswith("left out: in estate E4, in estate E5")
