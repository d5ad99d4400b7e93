"""ETags per region: an edit changes the ETags of the tiles where it is seen, and leaves the others valid."""
import pytest
from sqlalchemy import create_engine, text

from gisapp.catalogue import CatalogueError, check_against_database, parse_layers
from gisapp.coverage import compute_grids
from gisapp.regions import tile_box
from tiling import tile_of

Z = 14


def etag(own_demo, layer: str, tile: tuple[int, int], role: str = "viewer") -> str:
    answer = own_demo.client.get(f"/tiles/{layer}/{Z}/{tile[0]}/{tile[1]}.pbf", headers=own_demo.headers(role))
    assert answer.status_code == 200
    return answer.headers["ETag"]


def far_apart(own_demo) -> tuple[tuple, tuple]:
    """Two cameras (code, tile) whose z14 tiles are at least three tiles apart."""
    with own_demo.connect() as conn:
        cameras = [(code, tile_of(lon, lat, Z)) for code, lon, lat in conn.execute(
            text("SELECT code, ST_X(geom), ST_Y(geom) FROM camera ORDER BY code"))]
    first = cameras[0]
    other = next(c for c in cameras if max(abs(c[1][0] - first[1][0]), abs(c[1][1] - first[1][1])) >= 3)
    return first, other


def test_an_edit_changes_the_tiles_where_it_is_seen_and_no_other(own_demo):
    (code, here), (_, there) = far_apart(own_demo)
    before = {(layer, tile): etag(own_demo, layer, tile) for layer in ("cameras", "camera_views", "alarms", "grids")
              for tile in (here, there)}
    with own_demo.connect() as conn:
        conn.execute(text("UPDATE camera SET name = name || '·' WHERE code = :c"), {"c": code})
    after = {key: etag(own_demo, *key) for key in before}
    assert after[("cameras", here)] != before[("cameras", here)]
    assert after[("camera_views", here)] != before[("camera_views", here)]
    assert after[("cameras", there)] == before[("cameras", there)]  # far away: still valid
    assert after[("camera_views", there)] == before[("camera_views", there)]
    # the alarms list their cameras, wherever those stand: their tiles follow every camera edit
    assert after[("alarms", there)] != before[("alarms", there)]
    assert after[("grids", here)] == before[("grids", here)]  # another layer's tables: untouched
    revalidated = own_demo.client.get(f"/tiles/cameras/{Z}/{there[0]}/{there[1]}.pbf", headers={
        **own_demo.headers("viewer"), "If-None-Match": before[("cameras", there)]})
    assert revalidated.status_code == 304


def test_a_move_changes_the_tiles_it_leaves_and_enters(own_demo):
    (code, here), (_, there) = far_apart(own_demo)
    x, y = there
    corner = tile_box(Z, x, y, 0)  # the far tile's box, without its margin
    middle = ((corner[0] + corner[2]) / 2, (corner[1] + corner[3]) / 2)
    before = {tile: etag(own_demo, "cameras", tile) for tile in (here, there, (x + 6, y + 6))}
    with own_demo.connect() as conn:
        conn.execute(text("UPDATE camera SET geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) WHERE code = :c"),
                     {"c": code, "lon": middle[0], "lat": middle[1]})
    after = {tile: etag(own_demo, "cameras", tile) for tile in before}
    assert after[here] != before[here] and after[there] != before[there]
    assert after[(x + 6, y + 6)] == before[(x + 6, y + 6)]


def test_coverage_recomputed_for_one_grid_changes_only_the_tiles_over_it(own_demo):
    with own_demo.connect() as conn:
        grid, lon, lat = conn.execute(text("SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                                           "FROM grid ORDER BY id LIMIT 1")).one()
        far = conn.execute(text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(g.geom) AS c FROM grid g, "
                                "grid h WHERE h.id = :id ORDER BY ST_Distance(g.geom, h.geom) DESC LIMIT 1) f"),
                           {"id": grid}).one()
    here, there = tile_of(lon, lat, Z), tile_of(*far, Z)
    before = {(layer, tile): etag(own_demo, layer, tile, "center") for layer in ("coverage_day", "gaps_day")
              for tile in (here, there)}
    engine = create_engine(own_demo.url)
    with engine.begin() as conn:
        compute_grids(conn, own_demo.app.config["GISAPP"], [grid])
    engine.dispose()
    after = {key: etag(own_demo, *key, "center") for key in before}
    for layer in ("coverage_day", "gaps_day"):
        assert after[(layer, here)] != before[(layer, here)]
        assert after[(layer, there)] == before[(layer, there)]


def test_changes_beyond_the_log_or_without_a_place_count_everywhere(own_demo):
    (code, here), (_, there) = far_apart(own_demo)
    first = etag(own_demo, "cameras", there)
    with own_demo.connect() as conn:  # more edits than the log keeps, all at one camera
        floor = 0
        for edits in range(1, 1000):
            conn.execute(text("UPDATE camera SET name = name WHERE code = :c"), {"c": code})
            floor, kept = conn.execute(text("SELECT v.floor, (SELECT count(*) FROM data_change c WHERE c.table_name = "
                                            "'camera') FROM data_version v WHERE v.table_name = 'camera'")).one()
            if floor:
                break
    assert 50 <= edits <= 101 and 0 < kept <= 50  # two versions an edit: the log reaches back 200, then half goes
    second = etag(own_demo, "cameras", there)
    assert second != first  # the oldest edits dropped from the log: they count as anywhere
    with own_demo.connect() as conn:
        conn.execute(text("UPDATE camera SET name = name WHERE code = :c"), {"c": code})
    assert etag(own_demo, "cameras", there) == second
    with own_demo.connect() as conn:
        conn.execute(text("UPDATE siting_plan SET name = name"))  # no place: the cameras name their plan
    assert etag(own_demo, "cameras", there) != second


@pytest.mark.parametrize("z, x, y", [(14, 13380, 6400), (3, 6, 3), (0, 0, 0), (18, 214088, 102405)])
def test_the_tile_box_is_postgis_tile_envelope_with_its_margin(engine, z, x, y):
    with engine.connect() as conn:
        expected = conn.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Transform("
                                     "ST_TileEnvelope(:z, :x, :y, margin => 0.015625), 4326) AS e) t"),
                                {"z": z, "x": x, "y": y}).one()
    assert tile_box(z, x, y, 64 / 4096) == pytest.approx(expected, abs=1e-9)


def test_regional_must_name_a_table_the_sql_reads_and_whose_changes_are_noted(tmp_path, engine):
    layer = tmp_path / "mine.toml"
    base = ('id = "mine"\ntitle = "x"\ngroup = "基础 base"\ngeometry = "point"\n'
            'properties = [{ name = "code", label = "x" }]\nroles = ["center"]\n')
    layer.write_text(base + 'sql = "SELECT c.code AS fid, c.code, c.geom FROM camera c"\nregional = ["grid"]\n')
    with pytest.raises(CatalogueError, match="regional must list tables the sql reads"):
        parse_layers(layer, {})
    layer.write_text(base + 'sql = "SELECT b.name AS fid, b.name AS code, b.geom FROM patrol_base b"\n'
                            'regional = ["patrol_base"]\n')
    with engine.connect() as conn, pytest.raises(CatalogueError, match="no note of where patrol_base changed"):
        check_against_database({"mine": parse_layers(layer, {})[0]}, conn, {})
