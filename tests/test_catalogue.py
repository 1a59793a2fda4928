"""The field catalogue (data/fields.csv): one row per layer field, read by the schema, the
column headers and the bureau package."""

from __future__ import annotations

import pytest

from gis_planner import catalogue, i18n
from gis_planner.io import schema
from gis_planner.render.bureau.dictionary import field_dictionary

TYPES = {"text", "int", "number", "share", "year", "plan_year", "bool", "enum", "json"}


def test_every_row_is_complete_and_unique():
    seen = set()
    for e in catalogue.entries():
        assert (e.layer, e.field) not in seen, (e.layer, e.field)
        seen.add((e.layer, e.field))
        assert e.type in TYPES, (e.layer, e.field, e.type)
        if e.code:  # a bureau field says what it is in both languages
            assert e.name_zh and e.name_en and e.meaning_zh and e.meaning_en, (e.layer, e.field)
        if e.precision is not None:
            assert e.type in ("number", "share") and 0 <= e.precision <= 6


def test_bureau_codes_fit_a_shapefile_and_are_unique_per_layer():
    for layer in {e.layer for e in catalogue.entries()}:
        codes = [e.code for e in catalogue.layer_entries(layer) if e.code]
        assert len(codes) == len({c.upper() for c in codes}), layer
        assert all(len(c.encode("gbk")) <= 10 for c in codes), layer


def test_schema_takes_kinds_and_aliases_from_the_catalogue():
    for layer, spec in schema.VECTOR_LAYERS.items():
        for f in spec.fields:
            entry = catalogue.entry(layer, f.name)
            assert f.alias_zh == entry.aliases_zh
            assert f.kind == entry.type


def test_only_input_fields_have_aliases():
    for e in catalogue.entries():
        if e.aliases_zh:
            assert e.layer in schema.VECTOR_LAYERS, (e.layer, e.field)
            assert e.field in {f.name for f in schema.VECTOR_LAYERS[e.layer].fields}


def test_labels_of_fields_come_from_the_catalogue():
    assert i18n.LABELS["shortfall_m2"] == ("缺口面积(m²)", "Shortfall (m²)")
    assert i18n.label("name") == "名称"  # the first row labels a field shared by layers
    for field, pair in catalogue.labels().items():
        assert i18n.LABELS[field] == pair


def test_bureau_dictionary_is_the_catalogue():
    d = field_dictionary(lang="zh")
    rows = [e for e in catalogue.entries() if e.code]
    assert len(d) == len(rows)
    assert d["code"].tolist() == [e.code for e in rows]
    assert d["meaning"].tolist() == [e.meaning_zh for e in rows]


def test_columns_for_a_use():
    assert catalogue.columns("communities", use="bureau", lang="en")["shortfall_m2"] == "Shortfall"
    assert catalogue.columns("communities", use="report")["shortfall_m2"] == "缺口面积(m²)"
    assert "planned_households" not in catalogue.columns("development_parcels", use="bureau")
    with pytest.raises(ValueError):
        catalogue.columns("communities", use="map")
