"""Exceptions and the problem list shared by loading and validation.

Every problem a planner can fix is collected first and raised once, so that one run shows
them all (osmnx ``_validate`` style). Exceptions subclass ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem found in the input.

    Attributes
    ----------
    source : str
        The file (and layer) it was found in, e.g. ``estates.geojson``.
    message : str
        What is wrong, with the rows and the fix, in the user's language.
    """

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class PlannerError(ValueError):
    """Base class of the planner's errors: the message is meant for a planner."""


class InputError(PlannerError):
    """The input layers, tables or settings cannot be used as they are.

    Carries every problem found (``problems``); ``str(err)`` lists them all.
    """

    def __init__(self, problems: Iterable[Problem], *, header: str | None = None):
        self.problems = list(problems)
        lines = [header] if header else []
        lines += [f"- {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class RulesError(PlannerError):
    """A rules file has unknown keys, values of the wrong type or out of range.

    ``source`` names the file (or the overrides) and ``problems`` lists every problem, so that
    a caller can report them beside the problems of the layers.
    """

    def __init__(self, message: str, *, source: str = "rules", problems: Iterable[str] = ()):
        super().__init__(message)
        self.source = source
        self.problems = list(problems) or [message]


@dataclass
class ProblemList:
    """Collects problems and warnings while a layers folder is read."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, source: str, message: str) -> None:
        self.errors.append(Problem(source, message))

    def warn(self, source: str, message: str) -> None:
        self.warnings.append(Problem(source, message))

    def raise_if_any(self, header: str | None = None) -> None:
        if self.errors:
            raise InputError(self.errors, header=header)


def format_rows(
    ids: Iterable[object], values: Iterable[object] | None = None, *, limit: int = 10
) -> str:
    """Format offending rows as ``E017 (-12), E230 ('约300')`` with at most ``limit`` shown."""
    ids = list(ids)
    if values is None:
        parts = [str(i) for i in ids[:limit]]
    else:
        parts = [f"{i} ({_show(v)})" for i, v in list(zip(ids, values, strict=False))[:limit]]
    more = len(ids) - limit
    text = ", ".join(parts)
    if more > 0:
        text += f" … (+{more})"
    return text


def _show(value: object) -> str:
    """A value as a planner reads it: numbers plain (also when stored as text), text quoted."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return repr(value)
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
