"""Two independent steps at once: :func:`concurrently`.

The machine a county is planned on has a few cores, and GEOS (shapely) and scipy release
Python's GIL while they work: a step that is mostly theirs runs on another core while the
pandas steps go on. Used where that step is long enough to matter: the R7 reach beside
the estates' tables in :func:`gis_planner.pipeline.analyse`, and the two halves of the
"community contains estate" query of :func:`gis_planner.households.allocate_households`.
On a machine whose other cores are busy the thread gains nothing (and costs a little).

Not for the checks of :func:`gis_planner.io.load_layers`: pandas enters
``warnings.catch_warnings`` in most of its conversions, and so does ``shapely.is_valid``
(the longest GEOS step there), which no thread beside another may do (see
:func:`concurrently`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_A = TypeVar("_A")
_B = TypeVar("_B")


def concurrently(here: Callable[[], _A], beside: Callable[[], _B]) -> tuple[_A, _B]:
    """``(here(), beside())``, ``beside`` run in a thread of its own while ``here`` runs.

    ``beside`` should be mostly GEOS's or scipy's work (else the GIL lets only one step run
    at a time). Neither step may change what the other reads, nor prepare
    (``shapely.prepare``) a geometry the other uses: a prepared geometry keeps GEOS's
    indexes in the geometry object, which two threads must not build at once. ``beside``
    works on numpy arrays of its own: shapely before 2.2 marks an array read-only while it
    works on it, and two threads doing so to one array can leave it read-only. Nor may
    ``beside`` enter ``warnings.catch_warnings`` (pandas does, often): before Python 3.14
    it swaps the process's filters, and two threads swapping them can leave one behind.

    The results are those of running the two in turn; an error of ``beside`` is raised
    first, as when it ran first.

    >>> concurrently(lambda: 1 + 1, lambda: "two")
    (2, 'two')
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(beside)
        try:
            first = here()
        finally:
            second = later.result()
    return first, second
