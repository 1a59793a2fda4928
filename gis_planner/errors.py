"""Exceptions and the problem list shared by loading, validation and the analyses.

Every problem a planner can fix is collected first and raised once, so that one run shows
them all (osmnx ``_validate`` style). Exceptions subclass ``ValueError``.

A problem or an error holds a :class:`~gis_planner.i18n.Message` — a code and its parameters
— and is worded only when shown: ``problem.text(lang)``, ``err.text(lang)``. ``str()`` gives
the Chinese text (for logs); what a planner reads goes through ``text(lang)``.

>>> from gis_planner.i18n import msg
>>> p = Problem("estates.gpkg", msg("duplicate_ids", field="estate_id", rows="E1"))
>>> p.code
'duplicate_ids'
>>> p.text("en")
"estates.gpkg: field 'estate_id' must be unique; duplicates: E1"
>>> InputError([p]).text("en")
"- estates.gpkg: field 'estate_id' must be unique; duplicates: E1"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gis_planner.i18n import Message, render

#: what a problem or an error says: a message of the catalogue (or, from outside the
#: catalogue, a text already worded — e.g. a library's own error)
Text = Message | str


def wording(text: Text, lang: str = "zh") -> str:
    """``text`` in ``lang``: a message worded, a plain string as it is."""
    return str(render(text, lang))


@dataclass(frozen=True)
class Problem:
    """One problem found in the input, or one warning of a run.

    Attributes
    ----------
    source : str
        The file (and layer) it was found in, e.g. ``estates.geojson``, or the layer.
    message : Message
        What is wrong, with the rows and the fix, as a code and its parameters.
    """

    source: str
    message: Text

    @property
    def code(self) -> str | None:
        """The code of the message (None for a text from outside the catalogue)."""
        return self.message.code if isinstance(self.message, Message) else None

    def text(self, lang: str = "zh") -> str:
        """``source: message`` worded in ``lang``."""
        return f"{self.source}: {wording(self.message, lang)}"

    def __str__(self) -> str:
        return self.text("zh")


class PlannerError(ValueError):
    """Base class of the planner's errors: the message is meant for a planner.

    ``message`` is a :class:`~gis_planner.i18n.Message` (or a worded text); ``text(lang)``
    words it.
    """

    def __init__(self, message: Text = ""):
        self.message = message
        super().__init__(message)

    @property
    def code(self) -> str | None:
        return self.message.code if isinstance(self.message, Message) else None

    def text(self, lang: str = "zh") -> str:
        return wording(self.message, lang)

    def __str__(self) -> str:
        return self.text("zh")


class InputError(PlannerError):
    """The input layers, tables or settings cannot be used as they are.

    Carries every problem found (``problems``); ``text(lang)`` lists them all.
    """

    def __init__(self, problems: Iterable[Problem], *, header: Text | None = None):
        self.problems = list(problems)
        self.header = header
        super().__init__(header or "")

    @property
    def codes(self) -> list[str | None]:
        """The code of every problem, in order."""
        return [p.code for p in self.problems]

    def text(self, lang: str = "zh") -> str:
        lines = [wording(self.header, lang)] if self.header else []
        lines += [f"- {p.text(lang)}" for p in self.problems]
        return "\n".join(lines)


class RulesError(PlannerError):
    """A rules file has unknown keys, values of the wrong type or out of range.

    ``source`` names the file (or the overrides) and ``problems`` lists every problem, so that
    a caller can report them beside the problems of the layers.
    """

    def __init__(self, message: Text, *, source: str = "rules", problems: Iterable[Text] = ()):
        super().__init__(message)
        self.source = source
        self.problems = list(problems) or [message]


@dataclass
class ProblemList:
    """Collects problems and warnings while a layers folder is read."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, source: str, message: Text) -> None:
        self.errors.append(Problem(source, message))

    def warn(self, source: str, message: Text) -> None:
        self.warnings.append(Problem(source, message))

    def raise_if_any(self, header: Text | None = None) -> None:
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
