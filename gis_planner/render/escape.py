"""Input text into documents: HTML, JSON inside ``<script>``, and CSV cells for spreadsheets.

Every text of a layer (names, ids, streets, the data note of ``planner.yaml``) is data and must
never become code where it is written. Three places could turn it into code:

- **Jinja2 templates.** folium/branca compile the output of an element's macros once more as a
  template (``branca.element.Element(...)``), so a name such as ``{{ 7*7 }}`` would be evaluated
  — and Jinja2 templates reach Python. The maps therefore insert data only *after* all templating
  (:mod:`gis_planner.render.onemap.slots`), and both helpers here also escape ``{`` and ``}``,
  so that no Jinja2 delimiter (``{{``, ``{%``, ``{#``) can survive in data even if it did meet a
  template.
- **HTML / script.** ``< > & " '`` are escaped for HTML; in JSON for a ``<script>`` block,
  ``< > &`` and ``/`` become ``\\uXXXX`` escapes that ``JSON.parse`` undoes.
- **Spreadsheets.** A CSV cell that starts with ``= + - @`` (or tab / carriage return) is a
  formula to Excel and LibreOffice; :func:`csv_cell` neutralises it as OWASP recommends.

Examples
--------
>>> html_text("{{ 7*7 }} <b>")
'&#123;&#123; 7*7 &#125;&#125; &lt;b&gt;'
>>> print(json_for_script({"name": "</script>{%"}))
{"name":"\\u003c\\/script\\u003e\\u007b%"}
>>> csv_cell("=1+2"), csv_cell("@SUM(A1)"), csv_cell(-12), csv_cell("幸福小区")
("'=1+2", "'@SUM(A1)", -12, '幸福小区')
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pandas as pd

#: characters that make a spreadsheet cell a formula (OWASP "CSV Injection")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_HTML_EXTRA = {ord("/"): "&#x2F;", ord("{"): "&#123;", ord("}"): "&#125;"}
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("/"): "\\/",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
# In compact JSON a structural "{" is always followed by '"' or "}", so a "{" followed by
# "{", "%" or "#" (a Jinja2 delimiter) can only stand inside a string, where \u007b is valid.
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def html_text(value: object) -> str:
    """``value`` as text for HTML: escaped, ``/`` (never a URL) and ``{ }`` (never Jinja2)."""
    return html.escape(str(value), quote=True).translate(_HTML_EXTRA)


def json_for_script(value: Any) -> str:
    """Compact JSON that is safe inside ``<script>`` and inert in a Jinja2 template.

    ``< > &`` and ``/`` become ``\\u003c``-style escapes (so no ``</script>`` and no URL can
    form), and a ``{`` opening a Jinja2 delimiter becomes ``\\u007b``: ``JSON.parse`` and
    JavaScript read back exactly the same text. NaN and infinities are refused.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _JINJA_OPEN.sub(r"\\u007b", text.translate(_SCRIPT_ESCAPES))


def js_string(value: object) -> str:
    """A JavaScript string literal of ``value`` (quotes included), safe in ``<script>``."""
    return json_for_script(str(value))


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: a leading ``'`` before formula starters.

    Numbers stay numbers (a negative number is no formula); only text is changed.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells (and column names) pass :func:`csv_cell`."""
    out = table.copy()
    for column in out.columns:
        if not (
            pd.api.types.is_numeric_dtype(out[column].dtype)
            or pd.api.types.is_bool_dtype(out[column].dtype)
        ):
            out[column] = out[column].map(csv_cell)
    out.columns = [csv_cell(str(c)) for c in out.columns]
    return out
