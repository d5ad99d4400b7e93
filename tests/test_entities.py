"""Each entity's one description agrees with the schema, and what follows from it is right."""
import dataclasses

import pytest
from sqlalchemy import text

from gisapp.entities import ENTITIES, LOAD_ORDER, REFERABLE, dependencies, load_order
from gisapp.models import Base

SCALAR_KINDS = ("text", "int", "float", "bool", "date", "datetime", "enum", "weekdays")


def test_load_order_puts_every_layer_after_what_it_names():
    assert LOAD_ORDER == ["areas", "grids", "teams", "people", "bases", "cameras", "alarms", "routes", "disputes", "roads",
                          "sites", "key_places"]
    for position, name in enumerate(LOAD_ORDER):
        assert dependencies(ENTITIES[name]) <= set(LOAD_ORDER[:position]), name
    # disputes name no other layer, but the database places them in villages and grids
    assert dependencies(ENTITIES["disputes"]) == {"areas", "grids"}


def test_a_circle_of_layers_is_refused(monkeypatch):
    grids = ENTITIES["grids"]
    circular = dataclasses.replace(grids, after=("people",))
    monkeypatch.setitem(ENTITIES, "grids", circular)
    with pytest.raises(ValueError, match="circle: grids, people"):
        load_order()


@pytest.mark.parametrize("name", list(ENTITIES))
def test_every_field_is_stored_somewhere(name):
    """A description names only columns and tables the models have."""
    entity = ENTITIES[name]
    table = Base.metadata.tables[entity.table]
    for f in entity.fields:
        if f.kind in SCALAR_KINDS and f.mark is None:
            assert f.name in table.c, f"{name}.{f.name}: no column {entity.table}.{f.name}"
        elif f.kind == "ref":
            assert f.ref in REFERABLE, f"{name}.{f.name}: {f.ref} is no layer"
            assert f.name.removesuffix("_code") + "_id" in table.c
        elif f.kind in ("refs", "windows"):
            link = Base.metadata.tables[f.link.table]
            assert f.link.owner in link.c and (f.link.target is None or f.link.target in link.c)
        elif f.kind == "wkt":
            assert f.column in table.c
        if f.mark is not None:
            assert f.mark.column in Base.metadata.tables[f.mark.table].c and f.mark.via in {g.name for g in entity.fields}


def test_every_entity_table_bumps_its_data_version(engine):
    """Tiles and items are cached by data_version: a new entity's migration must install its trigger."""
    with engine.connect() as conn:
        triggered = set(conn.scalars(text(
            "SELECT event_object_table FROM information_schema.triggers "
            "WHERE action_statement LIKE '%bump_data_version%'")))
    stored = {e.table for e in ENTITIES.values()} | {link.table for e in ENTITIES.values() for link in e.links()}
    assert stored <= triggered, f"no data_version trigger on {sorted(stored - triggered)}"

