"""The migrations go up and down on an empty database."""
from sqlalchemy import create_engine, inspect, text

from conftest import drop_database, make_database
from gisapp.db import migrate
from gisapp.models import Base

GEOMETRY_COLUMNS = {("admin_area", "geom"), ("grid", "geom"), ("camera", "geom"), ("alarm_point", "geom"),
                    ("alarm_point", "premises"), ("patrol_route", "geom"), ("dispute", "geom"), ("road", "geom"),
                    ("camera", "view_geom"), ("alarm_point", "reach_geom")}


def _our_tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) & set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(server_url):
    url = make_database(server_url, "gisapp_migrations")
    try:
        assert migrate.current_revision(url) is None
        migrate.upgrade(url)
        assert migrate.current_revision(url) == migrate.head_revision()
        assert _our_tables(url) == set(Base.metadata.tables)

        engine = create_engine(url)
        with engine.connect() as conn:
            gist = set(conn.execute(text(
                "SELECT t.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am am ON am.oid = c.relam "
                "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) "
                "WHERE am.amname = 'gist'")).fetchall())
            srids = dict(((r[0], r[1]), r[2]) for r in conn.execute(text(
                "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns")))
        engine.dispose()
        assert GEOMETRY_COLUMNS <= gist, "every geometry column has a GiST index"
        assert {srids[c] for c in GEOMETRY_COLUMNS} == {4326}

        migrate.downgrade(url, "base")
        assert _our_tables(url) == set()
        assert migrate.current_revision(url) is None
        migrate.upgrade(url)
        assert _our_tables(url) == set(Base.metadata.tables)
    finally:
        drop_database(server_url, url)


def test_models_describe_the_migrated_schema(db_url):
    """Alembic's autogenerate finds nothing to do: gisapp.models and the migrations agree."""
    assert migrate.differences(db_url) == []


def test_a_drifted_model_is_found(db_url):
    """The comparison is real: a column whose type differs from the database is reported."""
    from sqlalchemy import BigInteger
    column = Base.metadata.tables["road"].c.id
    saved = column.type
    column.type = BigInteger()
    try:
        found = migrate.differences(db_url)
    finally:
        column.type = saved
    assert [d[0][0] for d in found] == ["modify_type"] and found[0][0][2:4] == ("road", "id")
