"""Data reaches the page only after all templating: the slots of a page.

folium/branca compile each element's macro output a second time as a Jinja2 template
(``branca.element.Element``), so a name such as ``{{ 7*7 }}`` printed by a macro would be
evaluated — and Jinja2 templates reach Python. So a macro prints only code we wrote: every
piece of data (the layers' JSON, the legend, the data note, the title) and the inlined assets
go into a :class:`Slots` and the macro prints an opaque token instead. Once the page is
rendered, :meth:`Slots.fill` swaps every token, exactly once, for its text. The texts are
escaped before they are added (:mod:`gis_planner.render.escape`): ``html_text`` for HTML,
``json_for_script`` for the JSON, so that no ``{{``, ``{%`` or ``{#`` survives in them
either. ``tests/test_data_safety.py`` holds this with hostile names in every layer.

Examples
--------
>>> slots = Slots()
>>> token = slots.add("{{ 7*7 }}")
>>> "{{" in token
False
>>> slots.fill(f"<p>{token}</p>")
'<p>{{ 7*7 }}</p>'
"""

from __future__ import annotations

import re
import secrets

from gis_planner.render.onemap.offline import MapResourceError


class Slots:
    """Texts put into the page only after all templating, so that Jinja2 never sees data.

    The tokens hold a random nonce, so that no input text can guess one; :meth:`fill`
    raises :class:`MapResourceError` if the rendered page lost or repeated a token.
    """

    def __init__(self) -> None:
        self._nonce = secrets.token_hex(8)
        self._texts: dict[str, str] = {}
        self._pattern = re.compile(f"gpslot{self._nonce}n[0-9]+x")

    def add(self, text: str) -> str:
        """A new token that :meth:`fill` will replace by ``text``."""
        token = f"gpslot{self._nonce}n{len(self._texts)}x"
        self._texts[token] = text
        return token

    def fill(self, page: str) -> str:
        """``page`` with every token replaced by its text (each token must occur once)."""
        found = self._pattern.findall(page)
        if sorted(found) != sorted(self._texts):
            raise MapResourceError("the page lost or repeated a data slot while rendering")
        return self._pattern.sub(lambda match: self._texts[match.group(0)], page)
