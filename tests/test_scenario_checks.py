"""Scenario edits are checked like input (issue 13.2) and are inputs of the pipeline.

Hand-made layers: A (0–1000 m) and B (1000–2000 m) share a 1 km side; C (5000–6000 m) lies
3 km east of B; D (−1000–0 m, below A) touches A only at A's south-west corner. E1 (2,500
households) lies in A, E2 (1,000) straddles A/B half and half, E3 (1,200) lies in B, E4 (300)
in C.
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from gis_planner import pipeline
from gis_planner.datasets import get_path
from gis_planner.render import dualmap
from gis_planner.scenario import Scenario, ScenarioError
from gis_planner.scenario.checks import ADJACENCY_TOLERANCE_M, CORNER_CONTACT_MAX_M

from .conftest import X0, Y0, codes, gdf, square, two_communities, warned, write_layers

DATA_YEAR = {"settings": {"data_year": 2024}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    communities = two_communities()
    more = gdf(
        [
            {"community_id": "C", "name": "丙社区", "geometry": square(5000, 0, 1000)},
            {"community_id": "D", "name": "丁社区", "geometry": square(-1000, -1000, 1000)},
        ]
    )
    communities = gdf(
        [*communities.to_dict("records"), *more.to_dict("records")]  # type: ignore[list-item]
    )
    estates = gdf(
        [
            {"estate_id": "E1", "name": "一号", "households": 2500, "geometry": square(100, 100)},
            {"estate_id": "E2", "name": "二号", "households": 1000, "geometry": square(950, 100)},
            {"estate_id": "E3", "name": "三号", "households": 1200, "geometry": square(1500, 500)},
            {"estate_id": "E4", "name": "四号", "households": 300, "geometry": square(5500, 500)},
        ]
    )
    return write_layers(
        tmp_path_factory.mktemp("checks") / "layers", communities=communities, estates=estates
    )


@pytest.fixture(scope="module")
def base(folder):
    return Scenario.load(folder).with_rules(DATA_YEAR)


def households(scenario: Scenario) -> dict[str, int]:
    c = scenario.evaluate().communities
    return dict(zip(c["community_id"], c["households"].astype(int), strict=True))


# ------------------------------------------------------------------------ inputs, not patches


def test_estate_assignments_are_an_input_of_the_pipeline(base):
    assert households(base)["A"] == 3000 and households(base)["B"] == 1700
    data = dataclasses.replace(base.data, estate_assignments={"E2": "B"})
    c = pipeline.run(data, proposals=False).communities.set_index("community_id")
    assert c.loc[["A", "B"], "households"].tolist() == [2500, 2200]
    # the same as the scenario edit, which sets exactly this input
    moved = base.move_estate("E2", "B")
    assert moved.data.estate_assignments == {"E2": "B"}
    assert households(moved) == {"A": 2500, "B": 2200, "C": 300, "D": 0}


def test_unknown_assignments_are_warned_and_ignored(base):
    data = dataclasses.replace(base.data, estate_assignments={"E9": "B", "E1": "Z"})
    results = pipeline.run(data, proposals=False)
    assert warned(results.warnings, "assignment_unknown", rows="E9 → B, E1 → Z")
    assert results.communities.set_index("community_id").loc["A", "households"] == 3000


def test_merged_and_split_communities_carry_the_assignments(base):
    moved = base.move_estate("E2", "B")
    merged = moved.merge_communities(["B", "A"], new_id="AB")
    assert merged.data.estate_assignments == {"E2": "AB"}
    assert households(merged)["AB"] == 4700
    split = moved.split_community(
        "B",
        into=[
            {"community_id": "B1", "estates": ["E2"]},
            {"community_id": "B2", "estates": ["E3"]},
        ],
    )
    assert split.data.estate_assignments["E2"] in {"B1", "B2"}
    assert sum(households(split).values()) == 5000


# ------------------------------------------------------------------------ merges, moves


def test_merging_communities_apart_is_refused_with_the_distance(base):
    with pytest.raises(ScenarioError) as err:
        base.merge_communities(["B", "C"])
    assert err.value.code == "scn_merge_apart"
    values = err.value.message.values
    assert values["distance_m"] == 3000 and values["n"] == 2
    assert "3,000 m apart" in err.value.text("en") and "allow_apart" in err.value.text("en")
    assert "相距 3,000 米" in err.value.text("zh")
    # three communities, C apart from the connected A + B
    with pytest.raises(ScenarioError) as err:
        base.merge_communities(["A", "B", "C"])
    assert err.value.message.values["groups"] == "A+B; C"


def test_an_enclave_is_merged_when_allowed_and_warned(base):
    merged = base.merge_communities(["B", "C"], allow_apart=True)
    assert warned(merged.notes, "scn_merge_apart", distance_m=3000.0)
    assert warned(merged.evaluate().warnings, "scn_merge_apart")
    assert merged.edits[-1]["merge_communities"]["allow_apart"] is True
    assert households(merged)["B"] == 1700 + 300


def test_merging_communities_that_touch_at_a_corner_is_warned(base):
    merged = base.merge_communities(["A", "D"])
    assert codes(merged.notes) == ["scn_merge_corner"]
    assert merged.notes[0].message.values["limit"] == CORNER_CONTACT_MAX_M
    assert "A/D" in merged.notes[0].text("en")
    # a shared side: nothing to say of the geometry (A and B differ in kind: that is noted)
    assert codes(base.merge_communities(["A", "B"]).notes) == ["scn_merge_kinds"]


def test_moving_an_estate_into_a_community_it_does_not_touch_is_warned(base):
    moved = base.move_estate("E4", "B")
    assert warned(moved.notes, "scn_move_apart", estate="E4", community="B", distance_m=3500.0)
    assert households(moved)["B"] == 1700 + 300  # warned, not refused
    assert base.move_estate("E2", "B").notes == ()  # E2 lies partly in B
    assert ADJACENCY_TOLERANCE_M < 10


def test_the_demo_plan_b_merge_of_communities_apart_is_refused():
    base = Scenario.load(get_path("deqing_demo"))
    with pytest.raises(ScenarioError) as err:
        base.merge_communities(["330521001012", "330521001013"])  # 千秋, 千亩
    assert err.value.code == "scn_merge_apart"
    assert err.value.message.values["distance_m"] == pytest.approx(2482.8, abs=0.1)


# ------------------------------------------------------------------------ plausibility


def test_edit_values_meet_the_layers_plausibility_limits_all_at_once(base):
    with pytest.raises(ScenarioError) as err:
        base.add_parcel(
            "D1", xy=[X0 + 500, Y0 + 500], planned_households=50_000, delivery_year=2300
        )
    assert sorted(err.value.codes) == ["bad_year", "implausible"]
    assert "plausibility.max_households_per_estate = 20,000" in err.value.text("en")
    with pytest.raises(ScenarioError) as err:
        base.add_parcel("D1", xy=[X0 + 500, Y0 + 500], planned_households=True)
    assert err.value.code == "not_integer"
    with pytest.raises(ScenarioError) as err:
        base.add_premises("P9", community_id="A", function="other", floor_area_m2=500_000)
    assert err.value.code == "implausible"
    with pytest.raises(ScenarioError) as err:
        base.add_premises("P9", community_id="A", function="other", floor_area_m2=0)
    assert err.value.code == "not_number"
    with pytest.raises(ScenarioError) as err:
        base.update_parcel("D1", delivery_year=2030)  # no parcel D1
    assert err.value.code == "scn_unknown_parcel"


def test_a_scenario_file_reports_every_problem_at_once(folder, tmp_path):
    path = tmp_path / "bad.yaml"
    spec = {
        "name": "坏方案",
        "rules": DATA_YEAR,
        "extra": 1,
        "edits": [
            {"move_estate": {"estate_id": "E9", "to_community_id": "B"}},
            {
                "add_parcel": {
                    "parcel_id": "D1",
                    "xy": [X0 + 500, Y0 + 500],
                    "planned_households": 50_000,
                }
            },
            {"merge_communities": {"community_ids": ["B", "C"]}},
            {"move_estate": {"estate_id": "E4", "to_community_id": "B"}},  # fine, warned
            {"set_rule": {"key": "premises.nonsense", "value": 1}},
        ],
    }
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        Scenario.from_file(path, base=folder, year=2020)
    problems = err.value.problems
    assert err.value.code == "scn_file_problems" and len(problems) == 6
    assert codes(problems) == ["scn_unknown_key", *["scn_in_edit"] * 4, "plan_year_before_data"]
    inner = [p.message.values["text"].code for p in problems[1:5]]
    assert inner == ["scn_unknown_estate", "implausible", "scn_merge_apart", "rules_unknown_key"]
    text = err.value.text("en")
    assert "6 problems" in text and "edits[1] move_estate" in text
    assert "edits[2] add_parcel: field 'planned_households' has values above" in text
    assert "edits[3] merge_communities" in text and "edits[5] set_rule" in text
    assert "edits[4]" not in text


# ------------------------------------------------------------------------ the dual map


def test_the_dual_map_renders_two_results(base):
    plan = base.named("方案").move_estate("E2", "B")
    dual = dualmap.dual_map(base.evaluate(), plan.evaluate(), lang="en")
    page = dualmap.render_dual_map(dual)
    assert "current" in page and "方案" in page
    assert "cdn.jsdelivr" not in page


def test_a_plan_year_past_the_layers_last_plan_year_is_refused(base, folder):
    with pytest.raises(ScenarioError) as err:
        base.in_year(2300)
    assert err.value.code == "scn_year_too_late"
    assert err.value.message.values == {"year": 2300, "latest": 2100}
    with pytest.raises(ScenarioError) as err:
        Scenario.from_dict({"name": "x", "year": 2300, "edits": []}, base=folder)
    assert codes(err.value.problems) == ["scn_year_too_late"]
