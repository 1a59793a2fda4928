"""The rules file: every number of RULES.md with its section; overrides; unknown keys."""

from __future__ import annotations

import pytest

from gis_planner.errors import RulesError
from gis_planner.rules import load_rules


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
    path.write_text("premises:\n  standards:\n    new: {per_100_households_m2: 85}\n",
                    encoding="utf-8")
    rules = load_rules(path)
    assert rules.premises.standards.new.per_100_households_m2 == 85
    assert rules.premises.standards.new.minimum_total_m2 == 1800  # untouched
    assert str(path) in rules.sources


def test_unknown_rule_key_is_an_error_listing_valid_keys(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("staffing:\n  capp: 13\nfunds:\n  bonus: 1\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(path)
    text = str(err.value)
    assert "unknown key 'staffing.capp'" in text and "cap" in text
    assert "unknown key 'funds.bonus'" in text  # every problem at once


def test_rule_value_of_wrong_type_is_an_error(rules):
    with pytest.raises(RulesError, match="staffing.cap"):
        rules.with_overrides({"staffing": {"cap": "twelve"}})
