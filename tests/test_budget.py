"""R3 subsidies, R4 funds, R5 staffing — figures worked out by hand from RULES.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from gis_planner import budget
from gis_planner.rules import load_rules


def test_R5_staffing_range_by_hand(rules):
    households = [1200, 2000, 2300, 2900, 3400, 4000, 4500]
    low, high = budget.staffing_range(households, rules=rules)
    # 2300: 7 + floor(300/400)=7, 7 + floor(300/300)=8; 2900: 7+2=9, 7+3=10;
    # 3400: 7+3=10, 7+4=11; 4000: 7+5=12, 7+6=13→12; 4500: 13→12, 15→12
    assert low.tolist() == [7, 7, 7, 9, 10, 12, 12]
    assert high.tolist() == [7, 7, 8, 10, 11, 12, 12]


def test_R5_cap_excluding_party_worker_is_a_setting(rules):
    other = rules.with_overrides({"staffing": {"cap_includes_party_worker": False}})
    low, high = budget.staffing_range([4500], rules=other)
    assert (low[0], high[0]) == (13, 13)


@given(st.integers(min_value=0, max_value=50_000))
def test_R5_staffing_stays_within_7_and_12(households):
    low, high = budget.staffing_range([households], rules=load_rules())
    assert 7 <= low[0] <= high[0] <= 12


def test_R4_working_funds_pro_rata_and_cobuild(rules):
    funds = budget.operating_funds(pd.Series([7980, 0]), rules=rules)
    # 100,000 + 7980 / 100 × 1,500 = 219,700; co-building 100,000 each
    assert funds["working_funds_yuan"].tolist() == [219_700.0, 100_000.0]
    assert funds["cobuild_funds_yuan"].tolist() == [100_000.0, 100_000.0]


def test_R4_whole_hundreds_rounding_is_a_setting(rules):
    other = rules.with_overrides({"funds": {"working_rounding": "whole_hundreds"}})
    funds = budget.operating_funds(pd.Series([7980]), rules=other)
    assert funds["working_funds_yuan"].iloc[0] == 100_000 + 79 * 1500


def test_R4_population_falls_back_to_households_times_household_size():
    communities = pd.DataFrame({"population": [5000, None]})
    households = pd.Series([1000, 1000])
    used = budget.population_used(communities, households, household_size=2.66)
    assert used.tolist() == [5000, 2660]


def _premises(rows):
    return pd.DataFrame(
        rows, columns=["premises_id", "community_id", "tenure", "cost_yuan", "annual_rent_yuan"]
    )


def test_R3_subsidies_by_tenure_kind_and_capped_per_community(rules):
    premises = _premises(
        [
            ("P1", "A", "new_build", 2_400_000, None),  # urban: 1.2M raw } sum 2.0M > 1M cap
            ("P2", "A", "renovated", 1_600_000, None),  # urban: 0.8M raw } → 0.6M / 0.4M
            ("P3", "A", "leased", None, 300_000),  # urban rent: 150k → cap 100k a year
            ("P4", "B", "renovated", 1_000_000, None),  # village: 25 % → 250k (cap 500k)
            ("P5", "B", "developer_built", 5_000_000, None),  # no county subsidy
            ("P6", "B", "purchased", 3_000_000, None),  # case by case
            ("P7", None, "new_build", 1_000_000, None),  # unassigned: not computed
        ]
    )
    kind = pd.Series({"A": "urban", "B": "village_to_residence"})
    counted = pd.Series(True, index=premises.index)
    out = budget.premises_subsidies(premises, kind, counted, rules=rules)
    assert out["subsidy_build_yuan"].tolist() == [600_000, 400_000, 0, 250_000, 0, 0, 0]
    assert out["subsidy_rent_yuan_per_year"].tolist() == [0, 0, 100_000, 0, 0, 0, 0]
    assert out.loc[5, "subsidy_note"].code == "note_case_by_case"
    assert out.loc[4, "subsidy_note"].code == "note_developer_built"
    assert out.loc[0, "subsidy_note"].values == {"share": 0.5, "cap": 1_000_000}


def test_R3_village_to_residence_build_cap_500k(rules):
    premises = _premises([("P1", "B", "new_build", 2_400_000, None)])
    out = budget.premises_subsidies(
        premises, pd.Series({"B": "village_to_residence"}), pd.Series([True]), rules=rules
    )
    assert out["subsidy_build_yuan"].iloc[0] == 500_000  # 25 % = 600k, capped at 500k


def test_R3_planned_premises_get_no_current_subsidy(rules):
    premises = _premises([("P1", "A", "new_build", 1_000_000, None)])
    out = budget.premises_subsidies(
        premises, pd.Series({"A": "urban"}), pd.Series([False]), rules=rules
    )
    assert out["subsidy_build_yuan"].iloc[0] == 0
    assert out["subsidy_note"].iloc[0].code == "note_not_counted"
    assert np.isclose(out["subsidy_build_yuan"].sum(), 0)


def _nullable(premises: pd.DataFrame) -> pd.DataFrame:
    """The dtypes ``load_layers`` gives: Float64 amounts, text ids with missing values."""
    out = premises.copy()
    for column in ("cost_yuan", "annual_rent_yuan"):
        out[column] = pd.array(out[column], dtype="Float64")
    out["community_id"] = out["community_id"].astype("string")
    return out


def test_R3_cap_exceeded_beside_a_premises_in_no_community_nullable_amounts(rules):
    # issue 10: a premises outside every community + a community over the R3 cap, amounts
    # Float64 → group total <NA> for the unassigned row, `over` an object array (IndexError)
    premises = _nullable(
        _premises(
            [
                ("P1", "A", "new_build", 1_500_000, None),  # urban 50 %: 750k } 1.5M > 1M cap
                ("P2", "A", "renovated", 1_500_000, None),  # urban 50 %: 750k } → 500k + 500k
                ("P3", None, "new_build", 4_000_000, None),  # in no community: no subsidy
                ("P4", "A", "new_build", None, None),  # cost unknown (<NA>): 0, noted
                ("P5", "A", "leased", None, 260_000),  # rent 130k → capped at 100k a year
            ]
        )
    )
    kind = pd.Series({"A": "urban"})
    counted = pd.Series(pd.array([True, True, True, True, pd.NA], dtype="boolean"))
    out = budget.premises_subsidies(premises, kind, counted, rules=rules)
    assert out["subsidy_build_yuan"].tolist() == [500_000, 500_000, 0, 0, 0]
    # P5 counted <NA> (unknown) is not counted: no rent subsidy
    assert out["subsidy_rent_yuan_per_year"].tolist() == [0, 0, 0, 0, 0]
    assert out["subsidy_build_yuan"].dtype == float
    counted = pd.Series(True, index=premises.index)
    out = budget.premises_subsidies(premises, kind, counted, rules=rules)
    assert out["subsidy_rent_yuan_per_year"].tolist() == [0, 0, 0, 0, 100_000]
