"""Each grid's stored area of concern and road pieces (grid_concern, grid_road_piece): kept current.

Scenario (UTM 50N metres from an origin near 114.5E 34.6N): grids G1, G2, G3 are 200 m squares in a
row, G4 lies 1.5 km away. Road R1 runs east-west through G1 and G2, R2 north-south through G3, R3
through G4. The areas of concern are checked against shapely in the same CRS.
"""
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, box
from sqlalchemy import text

from gisapp.coverage import compute_grids, projected_srid, recompute, recompute_dirty

UTM = "EPSG:32650"
TO_LONLAT = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
TO_UTM = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
X0, Y0 = TO_UTM.transform(114.5, 34.6)
GRIDS = {"G1": box(0, 0, 200, 200), "G2": box(200, 0, 400, 200), "G3": box(400, 0, 600, 200),
         "G4": box(1500, 0, 1700, 200)}
ROADS = {"R1": LineString([(-50, 100), (350, 100)]), "R2": LineString([(500, -50), (500, 250)]),
         "R3": LineString([(1600, -50), (1600, 250)])}


ADD_GRID = ("INSERT INTO grid (code, name, village_id, geom) SELECT :c, :c, id, ST_Multi(ST_GeomFromText(:w, 4326)) "
            "FROM admin_area")
ADD_ROAD = "INSERT INTO road (road_class, name, geom) VALUES ('residential', :n, ST_GeomFromText(:w, 4326))"


def lonlat(geom):
    """Local metres (UTM minus the origin) -> lon/lat."""
    return shapely.transform(geom, lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0] + X0, xy[:, 1] + Y0)))


def local(geom):
    """lon/lat -> local metres."""
    return shapely.transform(geom, lambda xy: np.column_stack(TO_UTM.transform(xy[:, 0], xy[:, 1])) - [X0, Y0])


def add_village(conn, grids: list[str]) -> None:
    """The village holding every grid of the scenario, and the ``grids`` named."""
    conn.execute(text("INSERT INTO admin_area (code, name, level, geom) VALUES "
                      "('410299101001', '村', 'village', ST_Multi(ST_GeomFromText(:w, 4326)))"),
                 {"w": lonlat(box(-100, -100, 1800, 300)).wkt})
    for code in grids:
        conn.execute(text(ADD_GRID), {"c": code, "w": lonlat(GRIDS[code]).wkt})


@pytest.fixture
def town(engine, settings):
    settings["projected_crs"] = UTM
    with engine.begin() as conn:
        add_village(conn, list(GRIDS))
        for name, road in ROADS.items():
            conn.execute(text(ADD_ROAD), {"n": name, "w": lonlat(road).wkt})
    recompute(engine, settings)
    return settings


def concerns(engine) -> dict:
    """{grid code: (xmin of the row, srid, road buffer, near roads, area m², WKB of the concern, {road: piece m})}."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT g.code, c.xmin::text, c.srid, c.road_buffer_m, c.near_roads, c.area_m2, ST_AsBinary(c.geom), "
            "(SELECT coalesce(jsonb_object_agg(r.name, ST_Length(p.geom)), '{}') FROM grid_road_piece p "
            " JOIN road r ON r.id = p.road_id WHERE p.grid_id = c.grid_id) "
            "FROM grid_concern c JOIN grid g ON g.id = c.grid_id")).all()
    return {r[0]: r[1:] for r in rows}


def reference(roads: dict, buffer_m: float) -> dict:
    """Each grid's area of concern as shapely makes it from the roads as stored (lon/lat back to metres)."""
    zone = shapely.union_all([local(lonlat(r)).buffer(buffer_m, quad_segs=4) for r in roads.values()])
    return {code: local(lonlat(grid)).intersection(zone) for code, grid in GRIDS.items()}


def coverage(engine) -> dict:
    with engine.connect() as conn:
        return {(code, period): (m2, road) for code, period, m2, road in conn.execute(text(
            "SELECT g.code, gc.period, gc.concern_m2, gc.road_m_in + gc.road_m_out FROM grid_coverage gc "
            "JOIN grid g ON g.id = gc.grid_id"))}


def test_every_grid_has_its_concern_and_road_pieces(town, engine):
    stored = concerns(engine)
    expected = reference(ROADS, 30.0)
    assert set(stored) == set(GRIDS)
    for code, (_, srid, buffer_m, near_roads, area, wkb, pieces) in stored.items():
        assert (srid, buffer_m, near_roads) == (32650, 30.0, True)
        assert area == pytest.approx(shapely.from_wkb(wkb).area)
        assert area == pytest.approx(expected[code].area, rel=1e-6)
        mine = shapely.transform(shapely.from_wkb(wkb), lambda xy: xy - [X0, Y0])  # in local metres
        assert mine.symmetric_difference(expected[code]).area < 0.01
    assert {code: set(pieces) for code, *_, pieces in ((c, *v) for c, v in stored.items())} == {
        "G1": {"R1"}, "G2": {"R1"}, "G3": {"R2"}, "G4": {"R3"}}
    assert stored["G1"][-1]["R1"] == pytest.approx(200, rel=1e-4)
    assert stored["G2"][-1]["R1"] == pytest.approx(150, rel=1e-4)
    for (code, _), (concern_m2, road_m) in coverage(engine).items():  # the coverage read them
        assert concern_m2 == stored[code][4] and road_m == pytest.approx(sum(stored[code][-1].values()))


def test_a_road_moved_changes_the_concern_of_the_grids_it_crosses_and_their_coverage(town, engine):
    before, covered = concerns(engine), coverage(engine)
    moved = LineString([(-50, 150), (250, 150)])  # R1 now ends in G2 at 250, further north
    with engine.begin() as conn:
        conn.execute(text("UPDATE road SET geom = ST_GeomFromText(:w, 4326) WHERE name = 'R1'"),
                     {"w": lonlat(moved).wkt})
        gone = set(conn.execute(text(
            "SELECT code FROM grid WHERE id NOT IN (SELECT grid_id FROM grid_concern)")).scalars())
        assert {"G1", "G2"} <= gone and "G4" not in gone  # dropped where the road was or is near; not far away
        recompute_dirty(conn, town)
    after, recovered = concerns(engine), coverage(engine)
    expected = reference({**ROADS, "R1": moved}, 30.0)
    for code in ("G1", "G2"):
        assert after[code][4] != before[code][4] and after[code][4] == pytest.approx(expected[code].area, rel=1e-6)
        assert recovered[(code, "day")][0] == after[code][4] != covered[(code, "day")][0]
    assert after["G2"][-1]["R1"] == pytest.approx(50, rel=1e-4)
    assert after["G3"][4:6] == before["G3"][4:6]   # rebuilt or not, the same
    assert after["G4"] == before["G4"]             # far away: the row was not even rewritten (same xmin)


def test_renaming_a_road_or_a_grid_keeps_the_concern_moving_a_grid_rebuilds_it(town, engine):
    before = concerns(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE road SET name = 'R1 renamed' WHERE name = 'R1'"))
        conn.execute(text("UPDATE grid SET name = 'renamed' WHERE code = 'G1'"))
        recompute_dirty(conn, town)
    renamed = concerns(engine)
    assert {code: row[:6] for code, row in renamed.items()} == {code: row[:6] for code, row in before.items()}
    shifted = box(450, 0, 650, 200)  # G3 moved 50 m east: R2 (x = 500) now runs 50 m from its west edge
    with engine.begin() as conn:
        conn.execute(text("UPDATE grid SET geom = ST_Multi(ST_GeomFromText(:w, 4326)) WHERE code = 'G3'"),
                     {"w": lonlat(shifted).wkt})
        assert "G3" not in set(conn.execute(text(
            "SELECT g.code FROM grid_concern c JOIN grid g ON g.id = c.grid_id")).scalars())
        recompute_dirty(conn, town)
    moved = concerns(engine)
    zone = local(lonlat(ROADS["R2"])).buffer(30, quad_segs=4)
    assert moved["G3"][4] == pytest.approx(local(lonlat(shifted)).intersection(zone).area, rel=1e-6)
    assert moved["G1"][:6] == before["G1"][:6]


def test_changing_the_road_buffer_or_the_crs_rebuilds_every_concern(town, engine):
    town["coverage"]["road_buffer_m"] = 50.0
    recompute(engine, town)
    wider, expected = concerns(engine), reference(ROADS, 50.0)
    assert {row[2] for row in wider.values()} == {50.0}
    for code, row in wider.items():
        assert row[4] == pytest.approx(expected[code].area, rel=1e-6)
    assert {(code, period): m2 for (code, period), (m2, _) in coverage(engine).items()} == {
        (code, period): wider[code][4] for code in GRIDS for period in ("day", "night")}
    town["projected_crs"] = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
    with engine.begin() as conn:
        compute_grids(conn, town, list(conn.execute(text("SELECT id FROM grid WHERE code = 'G1'")).scalars()))
        assert projected_srid(conn, town) == 4547
    assert concerns(engine)["G1"][1] == 4547 and concerns(engine)["G2"][1] == 32650  # only the grid computed


def test_a_camera_edit_leaves_the_concern_alone_and_a_grid_deleted_takes_its_rows(town, engine):
    before = concerns(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO camera (code, name, kind, fov_deg, range_m, status, geom) VALUES "
                          "('C1', 'C1', 'dome', 360, 40, 'online', ST_GeomFromText(:w, 4326))"),
                     {"w": lonlat(shapely.Point(100, 100)).wkt})
        assert recompute_dirty(conn, town) > 0
    assert concerns(engine) == before  # the same rows, not rewritten
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM grid WHERE code = 'G2'"))
        left = conn.execute(text("SELECT count(*) FROM grid_road_piece p JOIN grid_concern c USING (grid_id) "
                                 "JOIN grid g ON g.id = c.grid_id WHERE g.code = 'G2'")).scalar()
        orphans = conn.execute(text("SELECT count(*) FROM grid_road_piece WHERE grid_id NOT IN "
                                    "(SELECT id FROM grid)")).scalar()
    assert "G2" not in concerns(engine) and left == 0 and orphans == 0


def test_the_first_road_makes_the_concern_of_every_grid_near_roads(engine, settings):
    settings["projected_crs"] = UTM
    with engine.begin() as conn:
        add_village(conn, ["G1", "G4"])
    recompute(engine, settings)
    whole = concerns(engine)
    assert {code: (row[3], round(row[4])) for code, row in whole.items()} == {"G1": (False, 40000),
                                                                                "G4": (False, 40000)}
    with engine.begin() as conn:
        conn.execute(text(ADD_ROAD), {"n": "R1", "w": lonlat(ROADS["R1"]).wkt})
    recompute(engine, settings)
    near = concerns(engine)
    assert near["G1"][3] and near["G1"][4] == pytest.approx(reference({"R1": ROADS["R1"]}, 30.0)["G1"].area, rel=1e-6)
    assert near["G4"][3] and near["G4"][4] == 0  # no road near it: nothing of concern


def test_every_road_truncated_drops_every_concern_and_marks_every_grid(town, engine):
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM coverage_dirty"))
        conn.execute(text("TRUNCATE road CASCADE"))
        dirty = conn.execute(text("SELECT count(*) FROM coverage_dirty")).scalar()
        assert recompute_dirty(conn, town) == dirty == len(GRIDS)
    assert {code: (row[3], round(row[4])) for code, row in concerns(engine).items()} == {
        code: (False, 40000) for code in GRIDS}  # no road left: each whole grid is of concern
    assert sorted((round(m2), road) for m2, road in coverage(engine).values()) == [(40000, 0)] * 2 * len(GRIDS)
