"""Per-grid coverage results, and the grids waiting to be recomputed

grid_coverage holds, for each grid and period (day, night), the area of concern, the area covered
by each net and by their union, the gap polygons, the counts inside and outside coverage, and the
flag with its reasons. coverage_dirty lists the grids whose inputs changed: triggers on cameras,
alarms, routes, time windows, roads and grids add the grids a change touches, and the
application recomputes them right after (gisapp.coverage).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Statement-level triggers with transition tables: one set-based INSERT per statement, not per row.
# Each entry: (table, SQL giving the footprint of changed rows in a transition table called "changed").
FOOTPRINTS = {
    "camera": "SELECT view_geom AS g FROM changed",
    "alarm_point": "SELECT reach_geom AS g FROM changed",
    # A corridor reaches at most 500 m (the CHECK on sight_width_m) from its route.
    "patrol_route": "SELECT ST_Expand(geom, 0.0076) AS g FROM changed",
    "road": "SELECT ST_Expand(geom, 0.0076) AS g FROM changed",
    "grid": "SELECT geom AS g FROM changed",
}

MARK = """
CREATE FUNCTION coverage_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO coverage_dirty (grid_id)
    SELECT DISTINCT gr.id FROM ({footprint}) f JOIN grid gr ON gr.geom && f.g AND ST_Intersects(gr.geom, f.g)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
"""

WINDOWS = """
CREATE FUNCTION coverage_mark_patrol_window() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO coverage_dirty (grid_id)
    SELECT DISTINCT gr.id FROM changed w JOIN patrol_route r ON r.id = w.route_id
      JOIN grid gr ON gr.geom && ST_Expand(r.geom, 0.0076)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute("""
        CREATE TABLE grid_coverage (
            grid_id integer NOT NULL REFERENCES grid(id) ON DELETE CASCADE,
            period text NOT NULL CHECK (period IN ('day', 'night')),
            concern_m2 double precision NOT NULL,
            camera_m2 double precision NOT NULL,
            alarm_m2 double precision NOT NULL,
            patrol_m2 double precision NOT NULL,
            covered_m2 double precision NOT NULL,
            covered_share double precision NOT NULL,
            gap_m2 double precision NOT NULL,
            gap_geom geometry(MultiPolygon, 4326),
            cameras_reaching integer NOT NULL,
            cameras_online integer NOT NULL,
            disputes_in integer NOT NULL,
            disputes_out integer NOT NULL,
            alarms_in integer NOT NULL,
            alarms_out integer NOT NULL,
            road_m_in double precision NOT NULL,
            road_m_out double precision NOT NULL,
            flagged boolean NOT NULL,
            reasons text[] NOT NULL,
            computed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (grid_id, period))""")
    op.create_index("ix_grid_coverage_gap_geom", "grid_coverage", ["gap_geom"], postgresql_using="gist")
    op.execute("CREATE TABLE coverage_dirty (grid_id integer PRIMARY KEY REFERENCES grid(id) ON DELETE CASCADE)")
    for table, footprint in FOOTPRINTS.items():
        op.execute(MARK.format(table=table, footprint=footprint))
        for event, alias in (("INSERT", "NEW TABLE AS changed"), ("UPDATE", "NEW TABLE AS changed"),
                             ("DELETE", "OLD TABLE AS changed")):
            name = f"coverage_{table}_{event.lower()}"
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {alias} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION coverage_mark_{table}()")
        # an update may move a feature away: the grids it left need recomputing too
        op.execute(f"CREATE TRIGGER coverage_{table}_update_old AFTER UPDATE ON {table} "
                   f"REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION coverage_mark_{table}()")
    op.execute(WINDOWS)
    for event, alias in (("INSERT", "NEW TABLE AS changed"), ("DELETE", "OLD TABLE AS changed")):
        op.execute(f"CREATE TRIGGER coverage_patrol_window_{event.lower()} AFTER {event} ON patrol_window "
                   f"REFERENCING {alias} FOR EACH STATEMENT EXECUTE FUNCTION coverage_mark_patrol_window()")


def downgrade() -> None:
    for event in ("insert", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS coverage_patrol_window_{event} ON patrol_window")
    op.execute("DROP FUNCTION IF EXISTS coverage_mark_patrol_window()")
    for table in FOOTPRINTS:
        for event in ("insert", "update", "delete", "update_old"):
            op.execute(f"DROP TRIGGER IF EXISTS coverage_{table}_{event} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS coverage_mark_{table}()")
    op.execute("DROP TABLE IF EXISTS coverage_dirty")
    op.execute("DROP TABLE IF EXISTS grid_coverage")
