"""The rules file: every policy number of RULES.md R1–R8, with the section it comes from.

The default file ``gis_planner/data/rules_deqing_2020.yaml`` is the schema: a user rules file
(or a scenario edit) may override any key of it, and a key that the default does not have is an
error listing the valid keys. Values keep the type of the default (a number stays a number).

Code reads rules by name, e.g. ``rules.premises.standards.new.per_100_households_m2``.

Examples
--------
>>> rules = load_rules()
>>> rules.premises.standards.new.per_100_households_m2
80
>>> rules.with_overrides({"premises": {"standards": {"new": {"per_100_households_m2": 85}}}}
...                      ).premises.standards.new.per_100_households_m2
85
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import math
import os
import stat
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

import yaml

from gis_planner.errors import RulesError
from gis_planner.i18n import Listing, Message, msg

DEFAULT_RULES_FILE = "rules_deqing_2020.yaml"

# Bounds of every YAML file the planner reads (planner.yaml, rules and scenario files). They are
# not rules (the rules file itself is read under them): a settings file is a few kilobytes, so
# these only stop a hostile file ("billion laughs": a 500-byte file whose aliases expand to
# 10^9 nodes) before it costs memory.
YAML_MAX_BYTES = 5 * 1024 * 1024
YAML_MAX_NODES = 200_000  # nodes after expanding aliases and merge keys
YAML_MAX_DEPTH = 100


class YamlInputError(yaml.YAMLError):
    """A YAML file the planner refuses to read (too large, too many aliases, not UTF-8 …).

    ``message`` is a :class:`~gis_planner.i18n.Message` (codes ``yaml_*`` and ``unreadable``)
    and ``text(lang)`` words it; ``str()`` is the English text, as PyYAML's own errors are.

    >>> err = YamlInputError(msg("yaml_deep", depth=100))
    >>> err.code, str(err)
    ('yaml_deep', 'nested more than 100 levels deep')
    """

    def __init__(self, message: Message):
        self.message = message
        super().__init__(message.text("en"))

    @property
    def code(self) -> str:
        return self.message.code

    def text(self, lang: str = "zh") -> str:
        """The message worded in ``lang``."""
        return self.message.text(lang)

    def __str__(self) -> str:
        return self.message.text("en")


def _yaml_error(code: str, **values: Any) -> YamlInputError:
    return YamlInputError(msg(code, **values))


def _yaml_loader() -> type:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _expanded_size(root: yaml.Node) -> int:
    """Nodes of ``root`` with every alias expanded; raises past the bounds (memoised, no
    expansion is ever built)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _yaml_error("yaml_recursive")
        if depth > YAML_MAX_DEPTH:
            raise _yaml_error("yaml_deep", depth=YAML_MAX_DEPTH)
        total = 1
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            active.add(key)
            children = (
                node.value
                if isinstance(node, yaml.SequenceNode)
                else [n for pair in node.value for n in pair]
            )
            for child in children:
                total += size(child, depth + 1)
                if total > YAML_MAX_NODES:
                    break
            active.discard(key)
        sizes[key] = total
        if total > YAML_MAX_NODES:
            raise _yaml_error("yaml_bomb", nodes=YAML_MAX_NODES)
        return total

    size(root, 0)
    return sizes[id(root)]


def _duplicate_keys(root: yaml.Node) -> list[str]:
    """``key (lines 3, 9)`` for every key written twice in one mapping of ``root`` (a merge
    ``<<`` may be overridden, as YAML means; two written keys are a typo: YAML 1.2 forbids
    them and PyYAML silently keeps the last). Dotted paths name nested keys."""
    found: list[str] = []
    seen: set[int] = set()

    def walk(node: yaml.Node, path: str) -> None:
        if id(node) in seen:  # an alias: walked where its anchor is
            return
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for i, child in enumerate(node.value):
                walk(child, f"{path}[{i}]")
        elif isinstance(node, yaml.MappingNode):
            lines: dict[str, list[int]] = {}
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                if key.tag != "tag:yaml.org,2002:merge":
                    lines.setdefault(name, []).append(key.start_mark.line + 1)
                walk(value, f"{path}.{name}" if path else name)
            for name, at in lines.items():
                if len(at) > 1:
                    where = f"{path}.{name}" if path else name
                    found.append(f"{where} ({', '.join(map(str, at))})")

    walk(root, "")
    return found


def parse_yaml(text: str) -> Any:
    """YAML text as Python data, with safe tags only and alias expansion bounded.

    Raises :class:`YamlInputError` (a :class:`yaml.YAMLError`) for a text that would expand
    past :data:`YAML_MAX_NODES` values or :data:`YAML_MAX_DEPTH` levels, or that writes a key
    twice in one mapping (``yaml_duplicate_keys``: each key and its lines), and
    :class:`yaml.YAMLError` for invalid YAML.

    >>> parse_yaml("base: &b {x: 1}\\nother: {<<: *b, y: 2}")["other"]
    {'x': 1, 'y': 2}
    >>> try:
    ...     parse_yaml("rules: a.yaml\\nhousehold_size: 2.6\\nrules: b.yaml")
    ... except YamlInputError as err:
    ...     print(err.code, err.message.values["keys"])
    yaml_duplicate_keys rules (1, 3)
    >>> parse_yaml("a: &a [*a]")
    Traceback (most recent call last):
    ...
    gis_planner.rules.YamlInputError: an alias refers to itself (recursive anchor)
    """
    if len(text) > YAML_MAX_BYTES:
        raise _yaml_error("yaml_large", mb=YAML_MAX_BYTES // (1024 * 1024))
    loader = _yaml_loader()(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise _yaml_error("yaml_deep", depth=YAML_MAX_DEPTH) from None
        if node is None:
            return None
        _expanded_size(node)
        duplicates = _duplicate_keys(node)
        if duplicates:
            raise _yaml_error("yaml_duplicate_keys", keys="; ".join(duplicates[:10]))
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file with :func:`parse_yaml`'s bounds, refusing before any ``open`` what is
    not a regular file (a FIFO would block) or is larger than :data:`YAML_MAX_BYTES`.

    Raises :class:`YamlInputError` (a :class:`yaml.YAMLError`) with a message meant for a
    planner: not a file, too large, not UTF-8 (e.g. saved as GBK), too many aliases.
    """
    path = Path(path)
    try:
        info = os.stat(path)
    except OSError as err:
        raise _yaml_error("unreadable", error=str(err.strerror or err)) from None
    if not stat.S_ISREG(info.st_mode):
        raise _yaml_error("yaml_folder" if stat.S_ISDIR(info.st_mode) else "yaml_special")
    if info.st_size > YAML_MAX_BYTES:
        raise _yaml_error("yaml_large", mb=YAML_MAX_BYTES // (1024 * 1024))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        hint: Message | str = ""
        try:
            data.decode("gb18030")
            hint = msg("yaml_gbk")
        except UnicodeDecodeError:
            pass
        raise _yaml_error("yaml_not_utf8", hint=hint, byte=err.start) from None
    if "\x00" in text:
        raise _yaml_error("yaml_nul")
    return parse_yaml(text)


class RuleSet(Mapping[str, Any]):
    """Read-only nested rules with attribute access (``rules.staffing.cap``)."""

    def __init__(
        self, data: Mapping[str, Any], *, path: tuple[str, ...] = (), sources: tuple[str, ...] = ()
    ):
        self._data = dict(data)
        self._path = path
        self.sources = sources

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            value = self._data[name]
        except KeyError:
            where = ".".join(self._path) or "rules"
            raise AttributeError(
                f"{where} has no rule {name!r}; valid: {', '.join(sorted(self._data))}"
            ) from None
        if isinstance(value, Mapping):
            return RuleSet(value, path=(*self._path, name), sources=self.sources)
        return value

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"RuleSet({'.'.join(self._path) or 'rules'}: {sorted(self._data)})"

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the rules as plain dicts."""
        return copy.deepcopy(self._data)

    def with_overrides(self, overrides: Mapping[str, Any], *, source: str = "overrides") -> RuleSet:
        """A new rule set with ``overrides`` merged in (validated against this one's keys and
        the constraints of :func:`check_rules`).

        Raises :class:`~gis_planner.errors.RulesError` listing every problem as a message.
        """
        merged = _merge(self._data, overrides, path=self._path, source=source)
        return RuleSet(merged, path=self._path, sources=(*self.sources, source))

    def flat(self) -> list[tuple[str, Any, str]]:
        """``(key.path, value, section)`` rows, the section taken from the nearest ``section``."""
        rows: list[tuple[str, Any, str]] = []

        def walk(node: Mapping[str, Any], prefix: str, section: str) -> None:
            section = str(node.get("section", section))
            for key, value in node.items():
                if key == "section":
                    continue
                name = f"{prefix}.{key}" if prefix else key
                if isinstance(value, Mapping):
                    walk(value, name, section)
                else:
                    shown = ", ".join(map(str, value)) if isinstance(value, list) else value
                    rows.append((name, shown, section))

        walk(self._data, "", "")
        return rows

    @property
    def version(self) -> str:
        return str(self._data.get("meta", {}).get("version", ""))

    def checksum(self) -> str:
        """SHA-256 of the merged rules, to record which rules produced a result."""
        text = yaml.safe_dump(self._data, allow_unicode=True, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- constraints
# What every rules file (the default one merged with a user's) must satisfy, checked on load and
# on every override, so that a rule is never used with a value that breaks the arithmetic
# (a zero divisor, an inverted range) or cannot be meant (a negative area or subsidy). These are
# invariants of the formulas, not policy: policy numbers stay in the rules file.
# (fnmatch pattern over dotted keys, kind); kinds: positive (> 0, a divisor or a size),
# non_negative, share (0–1), count (whole ≥ 0), count1 (whole ≥ 1), year (whole 1800–2100),
# year_or_null.
RANGE_CONSTRAINTS: tuple[tuple[str, str], ...] = (
    ("premises.standards.*.per_100_households_m2", "positive"),
    ("premises.standards.*.minimum_total_m2", "non_negative"),
    ("premises.service_centre.minimum_floor_area_m2", "non_negative"),
    ("planning_conditions.average_dwelling_floor_area_m2", "positive"),
    ("subsidies.by_kind.*.build_share", "share"),
    ("subsidies.by_kind.*.rent_share", "share"),
    ("subsidies.by_kind.*.build_cap_yuan", "non_negative"),
    ("subsidies.by_kind.*.rent_cap_yuan_per_year", "non_negative"),
    ("funds.working_base_yuan", "non_negative"),
    ("funds.working_per_100_residents_yuan", "non_negative"),
    ("funds.cobuild_yuan", "non_negative"),
    ("staffing.full_time_workers", "count"),
    ("staffing.party_workers", "count"),
    ("staffing.threshold_households", "count"),
    ("staffing.households_per_extra_slow", "positive"),
    ("staffing.households_per_extra_fast", "positive"),
    ("staffing.cap", "count"),
    ("enclosure.road_edge_tolerance_m", "non_negative"),
    ("enclosure.road_crossing_min_length_m", "non_negative"),
    ("enclosure.survey_participation_min", "share"),
    ("enclosure.survey_support_min", "share"),
    ("enclosure.commercial_frontage_max", "share"),
    ("enclosure.built_year_before", "year"),
    ("enclosure.earliest_plausible_year", "year"),
    ("layout.households_min", "count"),
    ("layout.households_max", "positive"),
    ("layout.walking_distance_m", "positive"),
    ("layout.neighbour_min_border_m", "non_negative"),
    ("layout.tessellation_spacing_m", "positive"),
    ("layout.partition_restarts", "count1"),
    ("layout.new_sites_p", "count1"),
    ("layout.solver_time_limit_s", "positive"),
    ("layout.solver_total_time_limit_s", "non_negative"),
    ("layout.accessibility_cell_m", "positive"),
    ("settings.household_size", "positive"),
    ("settings.households_mismatch_warning_share", "share"),
    ("settings.outside_share_warning", "share"),
    ("settings.data_year", "year_or_null"),
    ("plausibility.*", "positive"),
    ("limits.*", "positive"),
)
# (smaller key, larger key, strict): the first must be below (or at most) the second
ORDER_CONSTRAINTS: tuple[tuple[str, str, bool], ...] = (
    ("layout.households_min", "layout.households_max", True),
    ("staffing.households_per_extra_fast", "staffing.households_per_extra_slow", False),
    ("enclosure.earliest_plausible_year", "enclosure.built_year_before", True),
    ("plausibility.min_household_size", "plausibility.max_household_size", True),
    ("plausibility.min_household_size", "settings.household_size", False),
    ("settings.household_size", "plausibility.max_household_size", False),
    ("limits.min_raster_cell_m", "layout.accessibility_cell_m", False),
)
_STANDARDS = ("new", "renovated")
PREMISES_FUNCTIONS = (  # the premises layer's `function` values (io.schema uses these)
    "party_service_centre",
    "service_centre",
    "work_rooms",
    "elderly_care",
    "neighbourhood_centre",
    "children_home",
    "health_station",
    "infant_care",
    "other",
)
# (pattern, valid values): a text value must be one of them, every item of a list too
CHOICE_CONSTRAINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("premises.tenure_standard.*", _STANDARDS),
    ("premises.standard_without_premises", _STANDARDS),
    ("planning_conditions.standard", _STANDARDS),
    ("premises.counted_functions", PREMISES_FUNCTIONS),
    ("premises.service_centre.function", PREMISES_FUNCTIONS),
    ("subsidies.tenure_basis.*", ("build", "rent", "case_by_case", "none")),
    ("enclosure.eligible_enclosure", ("open", "semi_open", "enclosed")),
    ("enclosure.exception_condition", ("good", "fair", "poor")),
    ("layout.hard_edges", ("barriers", "planned_roads")),
    ("layout.candidate_sources", ("development_parcels", "estates")),
    ("layout.population_split", ("estates_area", "cell_area")),
)


def _flat_values(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(_flat_values(value, name))
        elif key != "section":
            out[name] = value
    return out


def _kind_ok(kind: str, value: Any) -> bool:
    if kind == "year_or_null" and value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return False
    whole = float(value).is_integer()
    return {
        "positive": value > 0,
        "non_negative": value >= 0,
        "share": 0 <= value <= 1,
        "count": whole and value >= 0,
        "count1": whole and value >= 1,
        "year": whole and 1800 <= value <= 2100,
        "year_or_null": whole and 1800 <= value <= 2100,
    }[kind]


def check_rules(data: Mapping[str, Any]) -> list[Message]:
    """Every violation of the constraints above by the merged rules ``data``, each message
    naming the key (and, for a cross-field check, both keys) with its value.

    >>> check_rules(load_rules().to_dict())
    []
    >>> [m.code for m in check_rules({"layout": {"walking_distance_m": -300}})]
    ['rules_range']
    """
    values = _flat_values(data)
    problems: list[Message] = []
    failed: set[str] = set()
    for key, value in values.items():
        found = _value_problems(key, value)
        problems += found
        if found:
            failed.add(key)
    problems += _order_problems(values, failed)
    full, party, cap = (
        values.get(f"staffing.{k}") for k in ("full_time_workers", "party_workers", "cap")
    )
    if (
        _is_number(full)
        and _is_number(party)
        and _is_number(cap)
        and (
            (values.get("staffing.cap_includes_party_worker") and full + party > cap) or full > cap
        )
    ):
        problems.append(msg("rules_staffing_cap", cap=cap, full=full, party=party))
    return problems


def _value_problems(key: str, value: Any) -> list[Message]:
    """The problems of one rule by itself: not finite, out of its range, not a valid choice."""
    if isinstance(value, float) and not math.isfinite(value):
        return [msg("rules_not_finite", key=key, value=value)]
    problems = []
    for pattern, kind in RANGE_CONSTRAINTS:
        if fnmatch.fnmatchcase(key, pattern) and not _kind_ok(kind, value):
            problems.append(
                msg("rules_range", key=key, value=value, kind=msg(f"rules_kind_{kind}"))
            )
            break
    for pattern, choices in CHOICE_CONSTRAINTS:
        if not fnmatch.fnmatchcase(key, pattern):
            continue
        items = value if isinstance(value, list) else [value]
        wrong = [v for v in items if v not in choices]
        if wrong:
            problems.append(
                msg("rules_choice", key=key, value=value, wrong=wrong, valid=", ".join(choices))
            )
    return problems


def _is_number(value: object) -> TypeGuard[int | float]:
    """An int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _order_problems(values: Mapping[str, Any], failed: set[str]) -> list[Message]:
    """The problems of :data:`ORDER_CONSTRAINTS` among rules that are valid by themselves."""
    problems = []
    for low, high, strict in ORDER_CONSTRAINTS:
        a, b = values.get(low), values.get(high)
        if low in failed or high in failed:
            continue
        if not (_is_number(a) and _is_number(b) and math.isfinite(a) and math.isfinite(b)):
            continue
        if (a >= b) if strict else (a > b):
            cmp = "<" if strict else "≤"
            problems.append(msg("rules_order", low=low, high=high, a=a, b=b, cmp=cmp))
    return problems


def _type_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(default, list):
        return isinstance(value, list)
    if isinstance(default, str):
        return isinstance(value, str)
    return True


def _merge(
    base: Mapping[str, Any],
    override: Mapping[str, Any],
    *,
    path: tuple[str, ...],
    source: str,
) -> dict[str, Any]:
    problems: list[Message] = []
    merged = copy.deepcopy(dict(base))

    def walk(node: dict[str, Any], over: Mapping[str, Any], here: tuple[str, ...]) -> None:
        if not isinstance(over, Mapping):
            problems.append(msg("rules_not_mapping", key=".".join(here)))
            return
        for key, value in over.items():
            name = ".".join((*here, str(key)))
            if key not in node:
                problems.append(msg("rules_unknown_key", key=name, valid=", ".join(sorted(node))))
            elif isinstance(node[key], dict):
                if isinstance(value, Mapping):
                    walk(node[key], value, (*here, str(key)))
                else:
                    problems.append(msg("rules_needs_mapping", key=name, keys=sorted(node[key])))
            elif not _type_ok(node[key], value):
                problems.append(
                    msg(
                        "rules_wrong_type",
                        key=name,
                        value=value,
                        default=node[key],
                        type=type(node[key]).__name__,
                    )
                )
            else:
                node[key] = copy.deepcopy(value)

    walk(merged, override, path)
    if not problems and not path:
        problems = check_rules(merged)
    if problems:
        items = Listing.of([msg("list_item", item=p) for p in problems], kind="lines")
        raise RulesError(
            msg("rules_invalid", source=source, problems=items), source=source, problems=problems
        )
    return merged


def default_rules_text() -> str:
    """The text of the default rules file."""
    return (
        resources.files("gis_planner")
        .joinpath("data", DEFAULT_RULES_FILE)
        .read_text(encoding="utf-8")
    )


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load the default rules, overridden by the rules file at ``path`` if given.

    Parameters
    ----------
    path : path, optional
        A YAML file overriding any part of the default rules (R1–R8). Unknown keys raise
        :class:`RulesError` listing the valid ones.

    Returns
    -------
    RuleSet

    Raises
    ------
    RulesError
        With every problem (``problems``): unknown keys, values of the wrong type, values
        breaking a constraint (a zero divisor, ``households_min`` above ``households_max``,
        a negative area …), a file that is not UTF-8 YAML or is too large; each problem a
        :class:`~gis_planner.i18n.Message`.
    """
    default = parse_yaml(default_rules_text())
    rules = RuleSet(default, sources=(DEFAULT_RULES_FILE,))
    if path is None:
        return rules
    path = Path(path)
    if not path.exists():
        problem = msg("rules_not_found")
        raise RulesError(
            msg("source_text", source=str(path), text=problem),
            source=path.name,
            problems=[problem],
        )
    try:
        override = read_yaml(path)
    except yaml.YAMLError as err:
        problem = (
            err.message
            if isinstance(err, YamlInputError)
            else msg("rules_not_yaml", error=str(err))
        )
        raise RulesError(
            msg("source_text", source=str(path), text=problem),
            source=path.name,
            problems=[problem],
        ) from None
    if override is None:
        override = {}
    return rules.with_overrides(override, source=str(path))
