"""``planner.yaml``: the settings of a layers folder, read with bounds and checked key by key.

Every key is optional; an unknown key is an error listing the valid ones, and a value of the
wrong kind is reported (every one) and left out, so that the layers are still checked. The
rules file the folder names is loaded here too (:func:`rule_set`).
"""

from __future__ import annotations

import codecs
import math
from pathlib import Path
from typing import Any

import yaml

from gis_planner.errors import ProblemList, RulesError
from gis_planner.i18n import msg
from gis_planner.io import schema
from gis_planner.io.files import file_kind, inside, kind_message
from gis_planner.rules import RuleSet, YamlInputError, load_rules, read_yaml

CONFIG_FILE = schema.CONFIG_FILE
CONFIG_KEYS = ("layers", "rules", "household_size", "name", "data_note", "working_crs")
LAYER_CONFIG_KEYS = (
    "file",
    "layer",
    "crs",
    "encoding",
    "fields",
    "gcj02",
    "sheet",
    "transform",
    "accept_ballpark",
)
#: what ``layers:`` may name: the vector layers, the raster and the households table
CONFIG_LAYERS = (*schema.VECTOR_LAYERS, *schema.RASTER_LAYERS, schema.HOUSEHOLDS_TABLE)


def shown(value: object) -> str:
    """A value of planner.yaml as a message quotes it: its repr, cut at 60 characters.

    >>> shown("x" * 100)[-5:]
    'xxxx…'
    """
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def config_type(
    problems: ProblemList, key: str, value: object, expected: str, **values: object
) -> None:
    """Report ``key = value`` of planner.yaml as not of the kind the message ``expected``
    (a ``cfg_expect_*`` code, with ``values``) describes."""
    problems.error(
        CONFIG_FILE,
        msg("config_type", key=key, value=shown(value), expected=msg(expected, **values)),
    )


def is_text(value: object) -> bool:
    """Non-blank text."""
    return isinstance(value, str) and value.strip() != ""


def is_whole(value: object) -> bool:
    """A whole number (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _entry_value_ok(key: str, value: Any) -> tuple[bool, str]:
    """Whether one setting of a layer is of its kind, and the ``cfg_expect_*`` code saying
    what it should be (``transform`` and ``accept_ballpark`` are checked when used)."""
    if key == "file":
        return is_text(value), "cfg_expect_file"
    if key in ("layer", "sheet"):
        return is_text(value) or is_whole(value), "cfg_expect_layer_name"
    if key == "crs":
        return is_text(value) or is_whole(value), "cfg_expect_crs"
    if key == "encoding":
        try:
            return is_text(value) and codecs.lookup(value) is not None, "cfg_expect_encoding"
        except LookupError:
            return False, "cfg_expect_encoding"
    if key == "gcj02":
        return isinstance(value, bool), "cfg_expect_bool"
    if key == "fields":
        ok = isinstance(value, dict) and all(
            (is_text(k) or is_whole(k)) and is_text(v) for k, v in value.items()
        )
        return ok, "cfg_expect_fields"
    return True, ""


def check_entry(name: str, entry: dict[str, Any], problems: ProblemList) -> dict[str, Any]:
    """The settings of one layer with every value of the wrong kind reported and dropped."""
    checked: dict[str, Any] = {}
    for key, value in entry.items():
        where = f"layers.{name}.{key}"
        if key not in LAYER_CONFIG_KEYS:
            problems.error(
                CONFIG_FILE,
                msg("config_unknown_key", key=where, valid=", ".join(LAYER_CONFIG_KEYS)),
            )
            continue
        if value is None:
            continue
        ok, expected = _entry_value_ok(key, value)
        if not ok:
            config_type(problems, where, value, expected)
            continue
        if key == "fields":
            value = {str(k): v for k, v in value.items()}
        checked[key] = value
    return checked


def read_config(folder: Path, problems: ProblemList) -> dict[str, Any]:
    """``planner.yaml`` of ``folder`` (bounded YAML), every key checked for its kind; values
    of the wrong kind are reported (every one) and left out. ``{}`` without the file."""
    path = folder / CONFIG_FILE
    kind, _ = file_kind(path)
    if kind == "missing":
        return {}
    if kind != "file":
        problems.error(CONFIG_FILE, kind_message(kind, path))
        return {}
    try:
        config = read_yaml(path)
    except yaml.YAMLError as err:
        error = err.message if isinstance(err, YamlInputError) else str(err)
        problems.error(CONFIG_FILE, msg("config_bad", error=error))
        return {}
    if config is None:
        config = {}
    if not isinstance(config, dict):
        problems.error(CONFIG_FILE, msg("config_bad", error=msg("config_top_mapping")))
        return {}
    for key in config:
        if key not in CONFIG_KEYS:
            problems.error(
                CONFIG_FILE, msg("config_unknown_key", key=key, valid=", ".join(CONFIG_KEYS))
            )
    config["layers"] = _check_layers(config.get("layers"), problems)
    _check_settings(config, problems)
    return config


def _check_layers(layers: Any, problems: ProblemList) -> dict[str, dict[str, Any]]:
    """The ``layers:`` mapping, each entry checked (a bare file name is ``{file: …}``)."""
    if layers is None:
        return {}
    if not isinstance(layers, dict):
        config_type(problems, "layers", layers, "cfg_expect_layers")
        return {}
    checked: dict[str, dict[str, Any]] = {}
    for name, entry in layers.items():
        if name not in CONFIG_LAYERS:
            problems.error(
                CONFIG_FILE,
                msg("config_unknown_key", key=f"layers.{name}", valid=", ".join(CONFIG_LAYERS)),
            )
            continue
        if entry is None:
            continue
        if isinstance(entry, str):
            entry = {"file": entry}
        if not isinstance(entry, dict):
            config_type(problems, f"layers.{name}", entry, "cfg_expect_entry")
            continue
        checked[name] = check_entry(name, entry, problems)
    return checked


def _check_settings(config: dict[str, Any], problems: ProblemList) -> None:
    """``household_size``, ``rules``, ``name`` and ``data_note``: a value of the wrong kind
    is reported and removed from ``config``."""
    size = config.get("household_size")
    if size is not None and (
        isinstance(size, bool) or not isinstance(size, int | float) or not math.isfinite(size)
    ):
        config_type(problems, "household_size", size, "cfg_expect_number")
        config.pop("household_size")
    rules = config.get("rules")
    if rules is not None and not is_text(rules):
        config_type(problems, "rules", rules, "cfg_expect_rules")
        config.pop("rules")
    name = config.get("name")
    if name is not None and (isinstance(name, bool) or not isinstance(name, str | int | float)):
        config_type(problems, "name", name, "cfg_expect_name")
        config.pop("name")
    note = config.get("data_note")
    if note is not None and not (
        isinstance(note, str)
        or (
            isinstance(note, dict)
            and set(note) <= {"zh", "en"}
            and note
            and all(isinstance(v, str) for v in note.values())
        )
    ):
        config_type(problems, "data_note", note, "cfg_expect_note")
        config.pop("data_note")


def household_size(config: dict[str, Any], rules: RuleSet, problems: ProblemList) -> float:
    """Persons per household: planner.yaml's ``household_size``, else the rules' setting; a
    value of planner.yaml outside ``plausibility.min/max_household_size`` is reported."""
    size = float(config.get("household_size", rules.settings.household_size))
    plausibility = rules.plausibility.to_dict() if "plausibility" in rules else {}
    low, high = plausibility.get("min_household_size"), plausibility.get("max_household_size")
    if (
        "household_size" in config
        and low is not None
        and high is not None
        and not (low <= size <= high)
    ):
        config_type(
            problems,
            "household_size",
            config["household_size"],
            "cfg_expect_household_size",
            minimum=low,
            maximum=high,
        )
    return size


def data_note(config: dict[str, Any]) -> dict[str, str] | None:
    """planner.yaml's ``data_note`` by language (a plain text serves both)."""
    note = config.get("data_note")
    if isinstance(note, str):
        return {"zh": note, "en": note}
    return note


def rules_paths(folder: Path, config: dict[str, Any]) -> list[Path]:
    """The rules file planner.yaml names, when it lies inside the folder (a file read)."""
    value = config.get("rules")
    if not value:
        return []
    relative = Path(str(value))
    return [] if relative.is_absolute() or ".." in relative.parts else [folder / relative]


def rule_set(
    folder: Path,
    rules: RuleSet | str | Path | None,
    config: dict[str, Any],
    problems: ProblemList,
) -> RuleSet:
    """The rules to validate and analyse with: ``rules``, else the file named in planner.yaml,
    else the default. A rules problem is reported with the other problems (it never hides
    the layers' problems): the layers are then checked against the default rules."""
    if isinstance(rules, RuleSet):
        return rules
    source = None
    if rules is None and config.get("rules"):
        value = config["rules"]
        rules = inside(folder, value, "rules", problems)
        source = f"{CONFIG_FILE} (rules: {value})"
        if rules is None:
            return load_rules()
    if rules is None:
        return load_rules()
    try:
        return load_rules(rules)
    except RulesError as err:
        for problem in err.problems:
            problems.error(source or Path(rules).name, problem)
        return load_rules()
