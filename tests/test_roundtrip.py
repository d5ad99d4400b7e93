"""Export then import gives the same data back, in every format."""
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from gisapp.config import load_settings
from gisapp.demo import clear_all, load_demo
from gisapp.io.export import export_layer
from gisapp.io.load import ImportFailed, import_file
from gisapp.io.reader import read_layer_file
from gisapp.entities import ENTITIES, LOAD_ORDER


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg"])
def test_export_import_round_trip(engine, settings, tmp_path, suffix):
    load_demo(engine, settings, progress=False)
    first = {}
    for layer in LOAD_ORDER:
        path = tmp_path / f"{layer}{suffix if ENTITIES[layer].geometry else '.csv'}"
        export_layer(engine, layer, path)
        first[layer] = read_layer_file(path)
    with engine.begin() as conn:
        clear_all(conn)
    for layer in LOAD_ORDER:
        path = tmp_path / f"{layer}{suffix if ENTITIES[layer].geometry else '.csv'}"
        import_file(engine, layer, path, settings, progress=False)
    for layer in LOAD_ORDER:
        again = tmp_path / f"again-{layer}{suffix if ENTITIES[layer].geometry else '.csv'}"
        export_layer(engine, layer, again)
        try:
            pd.testing.assert_frame_equal(first[layer], read_layer_file(again), check_like=False)
        except AssertionError as error:
            raise AssertionError(f"{layer} ({suffix}) differs after export, import and export again: {error}") from None
    assert len(first["cameras"]) == 140 and len(first["disputes"]) == 200


# Every column of a dispute but its row id and what the database derives from its place (village, grid).
DISPUTE_ROW = """
SELECT d.code, d.category, d.summary, d.parties, d.parties_phone, d.grade, d.status, d.source, d.received_at,
       d.due_at, d.closed_at, d.level, d.assignee, d.revisited_at, d.satisfaction, d.version, d.location_approx,
       u.login AS created_by, ST_AsEWKT(d.geom) AS geom
FROM dispute d LEFT JOIN app_user u ON u.id = d.created_by ORDER BY d.code
"""


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg"])
def test_disputes_come_back_with_every_field(own_demo, tmp_path, suffix):
    """Level, assignee, the return visit, the version, an approximate place, who took it in, and times to
    the microsecond: an exported dispute comes back as it was (its history only a backup keeps)."""
    engine = create_engine(own_demo.url)
    settings = load_settings({"database_url": own_demo.url})
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "UPDATE dispute SET received_at = received_at + interval '0.123457 second', "
                "due_at = due_at + interval '0.654321 second', version = 7, level = 'county', assignee = '县司法局', "
                "location_approx = true, created_by = (SELECT id FROM app_user WHERE login = 'gridworker') "
                "WHERE code IN (SELECT code FROM dispute WHERE status <> 'closed' ORDER BY code LIMIT 3)"))
            conn.execute(text(
                "UPDATE dispute SET closed_at = closed_at + interval '0.000001 second', "
                "revisited_at = closed_at + interval '2 days 0.000042 second', satisfaction = 4, version = 9, "
                "level = 'township', assignee = '综治办', created_by = (SELECT id FROM app_user WHERE login = 'center') "
                "WHERE code IN (SELECT code FROM dispute WHERE status = 'closed' ORDER BY code LIMIT 3)"))
            before = [dict(row) for row in conn.execute(text(DISPUTE_ROW)).mappings()]
        assert sum(1 for row in before if row["satisfaction"]) == 3 and sum(row["location_approx"] for row in before) == 3
        path = tmp_path / f"disputes{suffix}"
        assert export_layer(engine, "disputes", path) == len(before)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM dispute"))  # and their history with them
        import_file(engine, "disputes", path, settings, progress=False)
        with engine.connect() as conn:
            after = [dict(row) for row in conn.execute(text(DISPUTE_ROW)).mappings()]
        changed = [(b, a) for b, a in zip(before, after) if a != b]
        assert len(after) == len(before) and not changed, changed[:2]
    finally:
        engine.dispose()


def test_a_dispute_naming_an_unknown_account_is_refused(own_demo, tmp_path):
    engine = create_engine(own_demo.url)
    try:
        path = tmp_path / "disputes.csv"
        export_layer(engine, "disputes", path)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.loc[0, "created_by"] = "nobody-here"
        frame.loc[1, "satisfaction"] = "4"   # a score without a return visit
        frame.loc[:1, "code"] = ["NEW-1", "NEW-2"]
        frame.iloc[:2].to_csv(path, index=False)
        with pytest.raises(ImportFailed) as refused:
            import_file(engine, "disputes", path, load_settings({"database_url": own_demo.url}), progress=False)
        message = str(refused.value)
        assert "row 1, created_by: no account with login 'nobody-here'" in message
        assert "row 2, satisfaction: a return visit has both revisited_at and satisfaction" in message
    finally:
        engine.dispose()
