"""The rules file: every number of RULES.md with its section; overrides; unknown keys."""

from __future__ import annotations

import pytest

from gis_planner.errors import RulesError
from gis_planner.rules import load_rules


def _has(problems, code: str, **values) -> bool:
    """Whether one of ``problems`` (messages) is ``code`` with (at least) ``values``."""
    return any(
        p.code == code and all(p.values.get(k) == v for k, v in values.items()) for p in problems
    )


def test_default_rules_hold_the_numbers_of_rules_md(rules):
    assert rules.premises.standards.new.per_100_households_m2 == 80
    assert rules.premises.standards.new.minimum_total_m2 == 1800
    assert rules.premises.standards.renovated.per_100_households_m2 == 75
    assert rules.premises.standards.renovated.minimum_total_m2 == 1200
    assert rules.subsidies.by_kind.urban.build_cap_yuan == 1_000_000
    assert rules.subsidies.by_kind.village_to_residence.build_share == 0.25
    assert rules.funds.working_per_100_residents_yuan == 1500
    assert rules.staffing.cap == 12
    assert rules.layout.households_min == 1500 and rules.layout.households_max == 4000
    assert rules.enclosure.survey_support_min == 0.75


def test_every_rule_row_cites_its_section(rules):
    rows = rules.flat()
    policy = [r for r in rows if not r[0].startswith(("meta.", "settings."))]
    assert policy and all(section for _, _, section in policy)
    sections = {key.split(".")[0]: section for key, _, section in policy}
    assert sections["premises"] == "一(二)" and sections["staffing"] == "三(一)"


def test_user_rules_file_overrides_part_of_the_default(tmp_path):
    path = tmp_path / "rules_2024.yaml"
    path.write_text(
        "premises:\n  standards:\n    new: {per_100_households_m2: 85}\n", encoding="utf-8"
    )
    rules = load_rules(path)
    assert rules.premises.standards.new.per_100_households_m2 == 85
    assert rules.premises.standards.new.minimum_total_m2 == 1800  # untouched
    assert str(path) in rules.sources


def test_unknown_rule_key_is_an_error_listing_valid_keys(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("staffing:\n  capp: 13\nfunds:\n  bonus: 1\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(path)
    problems = err.value.problems
    assert _has(problems, "rules_unknown_key", key="staffing.capp")
    assert "cap" in problems[0].values["valid"].split(", ")
    assert _has(problems, "rules_unknown_key", key="funds.bonus")  # every problem at once
    assert err.value.code == "rules_invalid" and err.value.message.values["source"] == str(path)


def test_rule_value_of_wrong_type_is_an_error(rules):
    with pytest.raises(RulesError) as err:
        rules.with_overrides({"staffing": {"cap": "twelve"}})
    assert _has(err.value.problems, "rules_wrong_type", key="staffing.cap", value="twelve")


@pytest.mark.parametrize(
    ("overrides", "code", "values"),
    [
        (
            {"layout": {"households_min": 4500}},
            "rules_order",
            {"low": "layout.households_min", "high": "layout.households_max", "cmp": "<"},
        ),
        ({"layout": {"walking_distance_m": -300}}, "rules_range", {"value": -300}),
        ({"layout": {"walking_distance_m": 0}}, "rules_range", {"value": 0}),
        (
            {"premises": {"standards": {"new": {"minimum_total_m2": -1800}}}},
            "rules_range",
            {"key": "premises.standards.new.minimum_total_m2", "value": -1800},
        ),
        (
            {"staffing": {"households_per_extra_slow": 0}},
            "rules_range",
            {"key": "staffing.households_per_extra_slow", "value": 0},
        ),
        (
            {"staffing": {"households_per_extra_fast": 500}},
            "rules_order",
            {
                "low": "staffing.households_per_extra_fast",
                "high": "staffing.households_per_extra_slow",
                "cmp": "≤",
            },
        ),
        (
            {"staffing": {"full_time_workers": -12}},
            "rules_range",
            {"key": "staffing.full_time_workers", "value": -12},
        ),
        ({"staffing": {"cap": 6}}, "rules_staffing_cap", {"cap": 6}),
        ({"staffing": {"cap": 12.5}}, "rules_range", {"key": "staffing.cap", "value": 12.5}),
        (
            {"subsidies": {"by_kind": {"urban": {"build_cap_yuan": -6_200_000}}}},
            "rules_range",
            {"key": "subsidies.by_kind.urban.build_cap_yuan", "value": -6_200_000},
        ),
        (
            {"subsidies": {"by_kind": {"urban": {"build_share": 1.5}}}},
            "rules_range",
            {"key": "subsidies.by_kind.urban.build_share", "value": 1.5},
        ),
        (
            {"planning_conditions": {"average_dwelling_floor_area_m2": 0}},
            "rules_range",
            {"key": "planning_conditions.average_dwelling_floor_area_m2", "value": 0},
        ),
        (
            {"settings": {"household_size": float("inf")}},
            "rules_not_finite",
            {"key": "settings.household_size"},
        ),
        (
            {"settings": {"household_size": 20.0}},
            "rules_order",
            {"high": "plausibility.max_household_size"},
        ),
        ({"settings": {"data_year": 99999}}, "rules_range", {"key": "settings.data_year"}),
        (
            {"premises": {"tenure_standard": {"leased": "old"}}},
            "rules_choice",
            {"key": "premises.tenure_standard.leased", "wrong": ["old"]},
        ),
        (
            {"layout": {"hard_edges": ["rivers"]}},
            "rules_choice",
            {"key": "layout.hard_edges", "wrong": ["rivers"]},
        ),
        (
            {"plausibility": {"max_households_per_estate": -1}},
            "rules_range",
            {"key": "plausibility.max_households_per_estate", "value": -1},
        ),
    ],
)
def test_R1_R7_rule_values_breaking_the_formulas_are_errors_naming_the_key(
    rules, overrides, code, values
):
    with pytest.raises(RulesError) as err:
        rules.with_overrides(overrides)
    # listed one by one, for the layers' problem list
    assert _has(err.value.problems, code, **values), err.value.problems


def test_every_problem_of_a_rules_file_is_listed_at_once(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "layout: {walking_distance_m: -300, households_min: 5000}\n"
        "staffing: {full_time_workers: -12}\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesError) as err:
        load_rules(path)
    assert len(err.value.problems) == 3 and err.value.source == str(path)


def test_rules_messages_in_chinese_and_english(rules):
    with pytest.raises(RulesError) as err:
        rules.with_overrides({"layout": {"walking_distance_m": -300}})
    (problem,) = err.value.problems
    assert problem.code == "rules_range" and problem.values["kind"].code == "rules_kind_positive"
    assert "layout.walking_distance_m = -300 必须是大于 0 的数" in err.value.text("zh")
    assert "layout.walking_distance_m = -300 must be a number above 0" in err.value.text("en")


def test_the_default_rules_pass_their_own_constraints(rules):
    from gis_planner.rules import check_rules

    assert check_rules(rules.to_dict()) == []
    assert rules.plausibility.max_households_per_estate > 0  # plausibility, not policy
    assert "not policy" in rules.plausibility.section and "not policy" in rules.limits.section


def test_a_gbk_rules_file_is_an_error_saying_so(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes("# 德清\nstaffing: {cap: 12}\n".encode("gbk"))
    with pytest.raises(RulesError) as err:
        load_rules(path)
    (problem,) = err.value.problems
    assert problem.code == "yaml_not_utf8" and problem.values["hint"].code == "yaml_gbk"


def test_yaml_aliases_expanding_past_the_bound_are_refused_fast():
    import time

    import yaml

    from gis_planner.rules import YamlInputError, parse_yaml

    text = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        text += f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]\n"
    started = time.perf_counter()
    with pytest.raises(YamlInputError) as err:
        parse_yaml(text)
    assert err.value.code == "yaml_bomb" and "billion laughs" in err.value.text("en")
    assert time.perf_counter() - started < 1
    assert issubclass(YamlInputError, yaml.YAMLError)  # callers catching YAMLError see it
    with pytest.raises(YamlInputError) as err:
        parse_yaml("a: &a [*a]\n")
    assert err.value.code == "yaml_recursive"
    with pytest.raises(YamlInputError) as err:
        parse_yaml("a: " + "[" * 500 + "]" * 500 + "\n")
    assert err.value.code == "yaml_deep"
    # ordinary anchors and merge keys stay usable
    assert parse_yaml("base: &b {x: 1}\nother: {<<: *b, y: 2}\n")["other"] == {"x": 1, "y": 2}


def test_a_yaml_file_that_is_not_a_regular_file_is_refused_without_opening(tmp_path):
    import os

    from gis_planner.rules import YamlInputError, read_yaml

    os.mkfifo(tmp_path / "fifo.yaml")
    with pytest.raises(YamlInputError) as err:
        read_yaml(tmp_path / "fifo.yaml")
    assert err.value.code == "yaml_special"
    with pytest.raises(YamlInputError) as err:
        read_yaml(tmp_path)
    assert err.value.code == "yaml_folder"
