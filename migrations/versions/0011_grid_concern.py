"""Each grid's area of concern and road pieces, kept in the projected CRS

The area of concern (the grid within coverage.road_buffer_m of a road, or the whole grid when there
are no roads) and the road pieces (each road cut by the grid) depend only on the grids, the roads
and two settings, never on cameras, alarms or patrols. grid_concern keeps them per grid, measured in
the projected CRS (``srid``) with the road buffer they were made with (and whether there were roads),
so the coverage statement reads them instead of building them for every recompute; grid_road_piece
holds the road pieces (one row per road meeting the grid, its length not zero).

gisapp.coverage builds a grid's row when it is missing or was made with other settings. Triggers
delete the rows that went stale: those of the grids near a road inserted, deleted or moved (the
footprint coverage_dirty uses, migration 0004), and of a grid whose geometry changed; a grid deleted
takes its row with it (ON DELETE CASCADE), and a row its pieces. TRUNCATE road drops every row and
marks every grid's coverage to recompute.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Statement-level, set-based: the grids near the roads of a transition table lose their concern.
NEAR_ROADS = """SELECT gr.id FROM ({roads}) f JOIN grid gr
    ON gr.geom && ST_Expand(f.geom, 0.0076) AND ST_Intersects(gr.geom, ST_Expand(f.geom, 0.0076))"""

FUNCTIONS = {
    # a road inserted or deleted: every row in the "changed" transition table
    "concern_stale_road": NEAR_ROADS.format(roads="SELECT geom FROM changed"),
    # a road updated: only where its geometry changed, near where it was and where it is
    "concern_stale_road_moved": NEAR_ROADS.format(roads=(
        "SELECT o.geom FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id "
        "WHERE n.id IS NULL OR o.geom IS DISTINCT FROM n.geom "
        "UNION ALL SELECT n.geom FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id "
        "WHERE o.id IS NULL OR o.geom IS DISTINCT FROM n.geom")),
    # a grid updated: its own row, when its geometry changed
    "concern_stale_grid_moved": ("SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
                                 "WHERE o.geom IS DISTINCT FROM n.geom"),
}

# Nothing to look for while no grid has its concern (a city being loaded: one statement a road).
FUNCTION = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM grid_concern) THEN
        DELETE FROM grid_concern WHERE grid_id IN ({grids});
    END IF;
    RETURN NULL;
END $$;
"""

BOTH = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
# Every road gone at once (TRUNCATE, which has no rows to look at): every grid's concern and coverage.
EVERY_GRID = """
CREATE FUNCTION concern_stale_every_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM grid_concern;
    INSERT INTO coverage_dirty (grid_id) SELECT id FROM grid ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
"""

TRIGGERS = [
    ("concern_road_insert", "INSERT", "road", "NEW TABLE AS changed", "concern_stale_road"),
    ("concern_road_delete", "DELETE", "road", "OLD TABLE AS changed", "concern_stale_road"),
    ("concern_road_update", "UPDATE", "road", BOTH, "concern_stale_road_moved"),
    ("concern_grid_update", "UPDATE", "grid", BOTH, "concern_stale_grid_moved"),
]


def upgrade() -> None:
    op.execute("""
        CREATE TABLE grid_concern (
            grid_id integer PRIMARY KEY CONSTRAINT fk_grid_concern_grid_id REFERENCES grid(id) ON DELETE CASCADE,
            srid integer NOT NULL,
            road_buffer_m double precision NOT NULL,
            near_roads boolean NOT NULL,
            geom geometry NOT NULL,
            area_m2 double precision NOT NULL)""")
    op.execute("""
        CREATE TABLE grid_road_piece (
            grid_id integer NOT NULL CONSTRAINT fk_grid_road_piece_grid_id REFERENCES grid_concern(grid_id)
                ON DELETE CASCADE,
            road_id integer NOT NULL,
            geom geometry NOT NULL,
            PRIMARY KEY (grid_id, road_id))""")
    for name, grids in FUNCTIONS.items():
        op.execute(FUNCTION.format(name=name, grids=grids))
    for trigger, event, table, referencing, function in TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {referencing} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    op.execute(EVERY_GRID)
    op.execute("CREATE TRIGGER concern_road_truncate AFTER TRUNCATE ON road "
               "FOR EACH STATEMENT EXECUTE FUNCTION concern_stale_every_grid()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS concern_road_truncate ON road")
    op.execute("DROP FUNCTION IF EXISTS concern_stale_every_grid()")
    for trigger, _, table, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP TABLE IF EXISTS grid_road_piece")
    op.execute("DROP TABLE IF EXISTS grid_concern")
