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
import hashlib
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from gis_planner.errors import RulesError

DEFAULT_RULES_FILE = "rules_deqing_2020.yaml"


class RuleSet(Mapping[str, Any]):
    """Read-only nested rules with attribute access (``rules.staffing.cap``)."""

    def __init__(self, data: Mapping[str, Any], *, path: tuple[str, ...] = (),
                 sources: tuple[str, ...] = ()):
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

    def with_overrides(self, overrides: Mapping[str, Any], *, source: str = "overrides"
                       ) -> RuleSet:
        """A new rule set with ``overrides`` merged in (validated against this one's keys)."""
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


def _merge(base: Mapping[str, Any], override: Mapping[str, Any], *, path: tuple[str, ...],
           source: str) -> dict[str, Any]:
    problems: list[str] = []
    merged = copy.deepcopy(dict(base))

    def walk(node: dict[str, Any], over: Mapping[str, Any], here: tuple[str, ...]) -> None:
        if not isinstance(over, Mapping):
            problems.append(f"{'.'.join(here)} must be a mapping of rules")
            return
        for key, value in over.items():
            name = ".".join((*here, str(key)))
            if key not in node:
                problems.append(
                    f"unknown key {name!r}; valid keys here: {', '.join(sorted(node))}"
                )
            elif isinstance(node[key], dict):
                if isinstance(value, Mapping):
                    walk(node[key], value, (*here, str(key)))
                else:
                    problems.append(f"{name} must be a mapping with keys {sorted(node[key])}")
            elif not _type_ok(node[key], value):
                problems.append(
                    f"{name} = {value!r} must be of the same kind as the default "
                    f"{node[key]!r} ({type(node[key]).__name__})"
                )
            else:
                node[key] = copy.deepcopy(value)

    walk(merged, override, path)
    if problems:
        raise RulesError(f"{source}:\n" + "\n".join(f"- {p}" for p in problems))
    return merged


def default_rules_text() -> str:
    """The text of the default rules file."""
    return resources.files("gis_planner").joinpath("data", DEFAULT_RULES_FILE).read_text(
        encoding="utf-8"
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
    """
    default = yaml.safe_load(default_rules_text())
    rules = RuleSet(default, sources=(DEFAULT_RULES_FILE,))
    if path is None:
        return rules
    path = Path(path)
    if not path.exists():
        raise RulesError(f"{path}: rules file not found")
    try:
        override = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise RulesError(f"{path}: not valid YAML: {err}") from err
    return rules.with_overrides(override, source=str(path))
