"""The R7 reach (reach area, each estate's nearest premises) runs beside the estates' tables
(:func:`gis_planner.concurrency.concurrently`): the results are those of running in turn."""

from __future__ import annotations

import dataclasses
import threading
import warnings

import geopandas as gpd
import pandas as pd
import pytest

from gis_planner import pipeline
from gis_planner.concurrency import concurrently
from gis_planner.io.layers import load_layers

from .conftest import DEMO

FRAMES = (
    "communities",
    "estates",
    "premises",
    "planning_conditions",
    "counted_premises",
    "enclosure_list",
    "enclosure_counts",
    "household_units",
)


def in_turn(here, beside):
    """What ``concurrently`` gives, without a thread: ``beside`` first, then ``here``."""
    second = beside()
    return here(), second


def as_plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.to_wkb() if isinstance(frame, gpd.GeoDataFrame) else frame


@pytest.fixture(scope="module")
def demo():
    return load_layers(DEMO)


@pytest.mark.parametrize("year", [None, 2030])
def test_r7_reach_beside_the_tables_gives_the_results_in_turn(demo, year, monkeypatch):
    beside = pipeline.analyse(demo, year=year)
    monkeypatch.setattr(pipeline, "concurrently", in_turn)
    alone = pipeline.analyse(demo, year=year)
    for name in FRAMES:
        pd.testing.assert_frame_equal(
            as_plain(getattr(beside, name)), as_plain(getattr(alone, name)), check_exact=True
        )
    assert beside.reach is not None and beside.reach.equals_exact(alone.reach, tolerance=0)
    assert beside.warnings == alone.warnings
    assert beside.summary == alone.summary
    assert list(beside.estates.columns) == list(alone.estates.columns)
    assert set(FRAMES) <= {f.name for f in dataclasses.fields(beside)}


def test_r7_reach_thread_leaves_the_warning_filters_alone(demo, monkeypatch):
    """``warnings.catch_warnings`` swaps the process's filters (Python < 3.14): only the
    main thread may enter it while the reach runs beside."""
    entered: list[str] = []
    enter = warnings.catch_warnings.__enter__

    def recording(self):
        entered.append(threading.current_thread().name)
        return enter(self)

    monkeypatch.setattr(warnings.catch_warnings, "__enter__", recording)
    pipeline.analyse(demo, year=2030)
    assert entered  # pandas enters it in the main thread
    assert set(entered) == {threading.main_thread().name}


def test_an_error_beside_is_raised_first():
    def here():
        raise ValueError("here")

    def beside():
        raise KeyError("beside")

    with pytest.raises(KeyError, match="beside"):
        concurrently(here, beside)
    assert concurrently(lambda: "here", lambda: "beside") == ("here", "beside")
