"""Money and people that follow from the same figures: subsidies (R3), funds (R4), staff (R5).

- R3 一(二): county subsidy of premises: new build / renovation 50 % (urban) or 25 %
  (village-to-residence) of the actual cost, capped per community; lease 50 % of the rent,
  capped per community per year; purchase case by case; developer-built none.
- R4 二(一)(二): working funds 100,000 yuan + 1,500 yuan per 100 residents; co-building
  funds 100,000 yuan, per community per year.
- R5 三(一): 6 full-time workers + 1 party worker; above 2,000 households one more for
  every 300–400 further households; at most 12.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis_planner.households import apportion
from gis_planner.i18n import Message, msg
from gis_planner.rules import RuleSet


def staffing_range(
    households: pd.Series | np.ndarray | int, *, rules: RuleSet
) -> tuple[np.ndarray, np.ndarray]:
    """R5 allowed staff range (min, max) for communities of ``households`` households.

    min = base + floor((H − threshold) / 400), max = base + floor((H − threshold) / 300)
    for H above the threshold, both capped.

    Examples
    --------
    >>> from gis_planner.rules import load_rules
    >>> [int(v[0]) for v in staffing_range([4500], rules=load_rules())]
    [12, 12]
    >>> [int(v[0]) for v in staffing_range([2900], rules=load_rules())]
    [9, 10]
    """
    s = rules.staffing
    h = np.asarray(households, dtype=float)
    base = s.full_time_workers + s.party_workers
    cap = s.cap if s.cap_includes_party_worker else s.cap + s.party_workers
    extra = np.maximum(h - s.threshold_households, 0.0)
    above = h > s.threshold_households
    low = base + np.where(above, np.floor(extra / s.households_per_extra_slow), 0)
    high = base + np.where(above, np.floor(extra / s.households_per_extra_fast), 0)
    return np.minimum(low, cap).astype(int), np.minimum(high, cap).astype(int)


def population_used(
    communities: pd.DataFrame, households: pd.Series, *, household_size: float
) -> pd.Series:
    """Residents per community: the ``population`` field, else households × household size."""
    estimate = (households.astype(float) * household_size).round()
    if "population" in communities:
        given = pd.to_numeric(communities["population"], errors="coerce")
        return given.where(given.notna(), estimate).astype("int64")
    return estimate.astype("int64")


def operating_funds(population: pd.Series, *, rules: RuleSet) -> pd.DataFrame:
    """R4 yearly working funds and co-building funds (yuan) per community.

    Examples
    --------
    >>> from gis_planner.rules import load_rules
    >>> operating_funds(pd.Series([7980]), rules=load_rules()).iloc[0].tolist()
    [219700.0, 100000.0]
    """
    f = rules.funds
    hundreds = population.astype(float) / 100.0
    if f.working_rounding == "whole_hundreds":
        hundreds = np.floor(hundreds)
    working = f.working_base_yuan + hundreds * f.working_per_100_residents_yuan
    return pd.DataFrame(
        {
            "working_funds_yuan": np.round(working.astype(float), 2),
            "cobuild_funds_yuan": float(f.cobuild_yuan),
        },
        index=population.index,
    )


def premises_subsidies(
    premises: pd.DataFrame,
    community_kind: pd.Series,
    counted: pd.Series,
    *,
    rules: RuleSet,
) -> pd.DataFrame:
    """R3 subsidy of each premises, with the per-community caps shared pro rata.

    Parameters
    ----------
    premises : DataFrame
        With ``community_id``, ``tenure``, ``cost_yuan``, ``annual_rent_yuan``.
    community_kind : Series
        ``kind`` (urban / village_to_residence) indexed by community_id.
    counted : Series of bool
        Premises that count (existing, or planned in a plan year); the others get no subsidy.

    Returns
    -------
    DataFrame
        Indexed like ``premises``: ``subsidy_build_yuan`` (one-off),
        ``subsidy_rent_yuan_per_year`` and ``subsidy_note`` (a
        :class:`~gis_planner.i18n.Message`, or "" when there is nothing to say).
    """
    sub = rules.subsidies
    basis = premises["tenure"].map(dict(sub.tenure_basis))
    kind = premises["community_id"].map(community_kind).fillna("urban")
    share_build = kind.map({k: sub.by_kind[k].build_share for k in sub.by_kind}).astype(float)
    share_rent = kind.map({k: sub.by_kind[k].rent_share for k in sub.by_kind}).astype(float)
    nothing = pd.Series(np.nan, index=premises.index)
    # amounts arrive as nullable Float64 (<NA> for a blank): plain floats with NaN from here on,
    # so that no comparison or mask below can turn into an object array of <NA>
    cost = pd.Series(
        pd.to_numeric(premises.get("cost_yuan", nothing), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        ),
        index=premises.index,
    )
    rent = pd.Series(
        pd.to_numeric(premises.get("annual_rent_yuan", nothing), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        ),
        index=premises.index,
    )
    community = premises["community_id"]
    assigned = community.notna().to_numpy(dtype=bool)
    counted = pd.Series(
        pd.array(counted, dtype="boolean").fillna(False).to_numpy(dtype=bool), index=premises.index
    )
    eligible = counted & assigned
    raw_build = (share_build * cost).where(eligible & basis.eq("build"), 0.0).fillna(0.0)
    raw_rent = (share_rent * rent).where(eligible & basis.eq("rent"), 0.0).fillna(0.0)

    def capped(raw: pd.Series, cap_key: str) -> pd.Series:
        """Pro-rata shares of the community cap, in whole fen (0.01 yuan) adding up to it.

        Premises in no community have no cap to share (and no subsidy, see ``eligible``):
        their group total is NaN and never compares as over the cap.
        """
        amount = raw.to_numpy(dtype=float, na_value=np.nan)
        total = (
            pd.Series(amount, index=raw.index)
            .groupby(community.to_numpy(dtype=object))
            .transform("sum")
            .to_numpy(dtype=float, na_value=np.nan)
        )
        cap = kind.map({k: sub.by_kind[k][cap_key] for k in sub.by_kind}).to_numpy(
            dtype=float, na_value=np.nan
        )
        over = assigned & (total > cap) & (amount > 0)
        out = np.round(amount, 2)
        if over.any():
            communities = community.to_numpy(dtype=object)[over]
            codes, groups = np.unique(communities.astype(str), return_inverse=True)
            cap_fen = np.round(
                pd.Series(cap[over]).groupby(groups).first().to_numpy(dtype=float) * 100
            ).astype(np.int64)
            weights = amount[over] / total[over]
            out[over] = apportion(cap_fen, groups, weights) / 100.0
        return pd.Series(out, index=raw.index)

    build = capped(raw_build, "build_cap_yuan")
    rent_sub = capped(raw_rent, "rent_cap_yuan_per_year")
    # one note per (basis, kind, amount known) combination, picked per row (vectorised)
    has_amount = np.where(basis.eq("rent"), rent.notna(), cost.notna())
    templates: dict[tuple[str, str, bool], Message] = {}
    for k in sub.by_kind:
        rates = sub.by_kind[k]
        templates[("build", k, True)] = msg(
            "note_build", share=rates.build_share, cap=rates.build_cap_yuan
        )
        templates[("rent", k, True)] = msg(
            "note_rent", share=rates.rent_share, cap=rates.rent_cap_yuan_per_year
        )
        for b in ("build", "rent"):
            templates[(b, k, False)] = msg("note_no_cost")
    # the values as object arrays: iterating an Arrow-backed column is slower, one by one
    keys = zip(
        basis.fillna("").to_numpy(dtype=object),
        kind.to_numpy(dtype=object),
        has_amount,
        strict=True,
    )
    notes = pd.Series([templates.get(key, "") for key in keys], index=premises.index, dtype=object)
    notes[basis.eq("none")] = msg("note_developer_built")
    notes[basis.eq("case_by_case")] = msg("note_case_by_case")
    notes[~counted] = msg("note_not_counted")
    return pd.DataFrame(
        {
            "subsidy_build_yuan": build,
            "subsidy_rent_yuan_per_year": rent_sub,
            "subsidy_note": notes,
        },
        index=premises.index,
    )
