"""The atlas (图集): the run's maps and tables as a printable PDF, ``atlas.pdf``.

A layout plan revision is delivered as maps plus text; :func:`write_atlas` prints a run's
:class:`~gis_planner.results.Results` — or a run folder read back with
:func:`gis_planner.io.runfolder.read_run`, which does not hold the R7 reach area (the area
within walking distance of the premises) — as A3 landscape pages, in Chinese (English with
``lang="en"``), offline (the layers themselves, drawn in the working CRS; no tiles):

- **Maps**, for each theme the whole area, then one page per street (街道, the ``street``
  field) in the order the streets first appear in the communities layer:
  (1) R1 premises status — communities coloured meets / short / none, the premises;
  (2) R6 open-to-enclosed status — estates coloured by status (with an estates layer);
  (3) R7 proposed boundaries — proposed communities by change, original boundaries dashed;
  (4) R7 proposed sites and reach — existing premises, set-cover and best-p sites, the area
  within the walking distance. Themes 3–4 only when the run made layout proposals.
  Communities without a street are on every whole-area page; when other communities do have
  a street, they also get a page of their own ("communities without a street"), so that each
  community is on a page at street scale. Without any street, the whole area is the only view.
- **Tables**: the R1 check (社区用房核查: community, households, standard, required,
  existing and shortfall area, status, with the total) and the R6 candidate list
  (开转封候选清单: the estates that may be enclosed, in rank order, worded as the report's
  sheet), paginated with the header repeated.
- **Every page** has a title block (图签: title, area, plan or data year, coordinate system,
  the data note of ``planner.yaml`` — the demo's says which layers are synthetic —, date
  drawn, software, page n of N); a map page also has a legend with the count of each class on
  the page, a metric scale bar (matplotlib-scalebar), a north arrow and its scale at A3.
- **Fonts**: a CJK font found through matplotlib's font manager (Noto Sans CJK of Debian's
  ``fonts-noto-cjk`` first), embedded as TrueType (``pdf.fonttype: 42``); with none,
  :class:`CJKFontMissingError` (a :class:`~gis_planner.errors.PlannerError`) names the fix and
  nothing is written — never a page of empty boxes.
- **Colours** are the one-map's (:mod:`gis_planner.render.onemap.style`): the atlas and the
  map agree.

==================  ==========================================================================
:mod:`.book`        the pages in order, drawn and written (:func:`write_atlas`)
:mod:`.source`      what is printed, from Results or a run folder (:func:`atlas_source`)
:mod:`.themes`      one function per map theme, and the views (whole area, streets)
:mod:`.tables`      the printable tables, their column widths and pagination
:mod:`.pages`       the page layout: frame, title, title block, legend, north arrow, scale bar
:mod:`.fonts`       finding the CJK font and embedding it as TrueType
==================  ==========================================================================
"""

from gis_planner.render.atlas.book import draw_pages, plan_atlas, write_atlas
from gis_planner.render.atlas.fonts import CJKFontMissingError, find_cjk_font
from gis_planner.render.atlas.source import AtlasSource, atlas_source
from gis_planner.render.atlas.tables import paginate

__all__ = [
    "AtlasSource",
    "CJKFontMissingError",
    "atlas_source",
    "draw_pages",
    "find_cjk_font",
    "paginate",
    "plan_atlas",
    "write_atlas",
]
