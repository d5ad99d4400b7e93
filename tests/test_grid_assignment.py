"""A dispute's village and grid come from its location; a shared border goes to one grid."""
from sqlalchemy import text

VILLAGE = "ST_Multi(ST_MakeEnvelope(114.50, 34.60, 114.52, 34.61, 4326))"


def _setup(conn):
    conn.execute(text(f"INSERT INTO admin_area (code, name, level, geom) VALUES ('410299101001', '一村', 'village', {VILLAGE})"))
    for code, x0, x1 in (("G-B", 114.50, 114.51), ("G-A", 114.51, 114.52)):
        conn.execute(text(
            "INSERT INTO grid (code, name, village_id, geom) SELECT :code, :code, id, "
            "ST_Multi(ST_MakeEnvelope(:x0, 34.60, :x1, 34.605, 4326)) FROM admin_area"), {"code": code, "x0": x0, "x1": x1})


def _dispute(conn, code, x, y):
    conn.execute(text(
        "INSERT INTO dispute (code, category, summary, grade, status, source, received_at, due_at, geom) "
        "VALUES (:code, 'land', '争议', 'ordinary', 'received', 'police', now(), now(), "
        "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"), {"code": code, "x": x, "y": y})
    return conn.execute(text(
        "SELECT g.code, v.code FROM dispute d LEFT JOIN grid g ON g.id = d.grid_id "
        "LEFT JOIN admin_area v ON v.id = d.village_id WHERE d.code = :code"), {"code": code}).one()


def test_point_on_shared_border_goes_to_smallest_grid_code(engine):
    with engine.begin() as conn:
        _setup(conn)
        assert _dispute(conn, "D1", 114.51, 34.602) == ("G-A", "410299101001")  # on the border
        assert _dispute(conn, "D2", 114.505, 34.602) == ("G-B", "410299101001")  # inside G-B
        assert _dispute(conn, "D3", 114.515, 34.602) == ("G-A", "410299101001")  # inside G-A
        assert _dispute(conn, "D4", 114.51, 34.605) == ("G-A", "410299101001")   # corner of both
        assert _dispute(conn, "D5", 114.51, 34.608) == (None, "410299101001")    # village, no grid
        assert _dispute(conn, "D6", 114.60, 34.608) == (None, None)              # outside everything


def test_grid_changes_reassign_disputes(engine):
    with engine.begin() as conn:
        _setup(conn)
        _dispute(conn, "D1", 114.505, 34.602)
        conn.execute(text("DELETE FROM grid WHERE code = 'G-B'"))
        assert conn.scalar(text("SELECT grid_id FROM dispute")) is None
        conn.execute(text("UPDATE grid SET geom = ST_Multi(ST_MakeEnvelope(114.50, 34.60, 114.52, 34.605, 4326))"))
        assert conn.scalar(text("SELECT g.code FROM dispute d JOIN grid g ON g.id = d.grid_id")) == "G-A"
