"""Where data changed: a log of each statement's changed box, so an edit in one village leaves the
other places' tiles valid

data_change holds, for the tables whose rows have a place (cameras, alarms, disputes, grids, roads,
areas, routes, sites, key places, and the grids' coverage, noted by its writer), the version each
changing statement gave the table and the lon/lat box of the rows it changed (before and after).
data_version.floor is the last version whose change is known only as "somewhere": a TRUNCATE, rows
without geometry, or entries dropped from the log (it reaches back at most KEEP versions of a table;
the triggers count two versions a statement). A tile of a
layer that says its features stand where these rows are (``regional`` in its layer file) takes, for
each such table, the newest version of a change whose box meets the tile, or the floor.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

KEEP = 200  # versions the log reaches back, per table; the older changes count as everywhere (the floor)

# Each table with a place, and the geometry columns whose boxes say where a change of a row is seen.
PLACED = {"camera": ("geom", "view_geom"), "alarm_point": ("geom", "reach_geom"), "dispute": ("geom",),
          "grid": ("geom",), "admin_area": ("geom",), "road": ("geom",), "patrol_route": ("geom",),
          "camera_site": ("geom",), "key_place": ("geom",)}

NOTE = f"""
CREATE FUNCTION note_data_change(changed text, box box2d) RETURNS void LANGUAGE plpgsql AS $$
-- Count a change of the table ``changed``; where it was (``box``, lon/lat), or everywhere when NULL.
DECLARE
    counted bigint;
    dropped bigint;
BEGIN
    INSERT INTO data_version (table_name, version, changed_at) VALUES (changed, 1, now())
    ON CONFLICT (table_name) DO UPDATE SET version = data_version.version + 1, changed_at = now()
    RETURNING version INTO counted;
    IF box IS NULL THEN
        UPDATE data_version SET floor = counted, floor_at = now() WHERE table_name = changed;
        DELETE FROM data_change WHERE table_name = changed;
        RETURN;
    END IF;
    INSERT INTO data_change (table_name, version, changed_at, west, south, east, north)
    VALUES (changed, counted, now(), ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box));
    -- once the log reaches back KEEP versions, its older half goes (the floor then moves once in KEEP / 2)
    IF EXISTS (SELECT 1 FROM data_change WHERE table_name = changed AND version <= counted - {KEEP}) THEN
        WITH gone AS (DELETE FROM data_change WHERE table_name = changed AND version <= counted - {KEEP // 2}
                      RETURNING version)
        SELECT max(version) INTO dropped FROM gone;
        UPDATE data_version SET floor = greatest(floor, dropped), floor_at = now() WHERE table_name = changed;
    END IF;
END $$;
"""

# A statement trigger: its arguments name the geometry columns; the rows before (old_rows) and after
# (new_rows) the statement are its transition tables (one trigger per event: PostgreSQL allows them
# only on single-event triggers).
LOG = """
CREATE FUNCTION log_data_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parts text[] := '{}';
    found_rows boolean;
    box box2d;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM note_data_change(TG_TABLE_NAME, NULL);
        RETURN NULL;
    END IF;
    FOR i IN 0 .. TG_NARGS - 1 LOOP
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            parts := parts || format('SELECT %I AS g FROM new_rows', TG_ARGV[i]);
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            parts := parts || format('SELECT %I AS g FROM old_rows', TG_ARGV[i]);
        END IF;
    END LOOP;
    EXECUTE 'SELECT count(*) > 0, ST_Extent(g) FROM (' || array_to_string(parts, ' UNION ALL ') || ') AS changed'
        INTO found_rows, box;
    IF found_rows THEN  -- rows without geometry: changed everywhere
        PERFORM note_data_change(TG_TABLE_NAME, box);
    END IF;
    RETURN NULL;
END $$;
"""

EVENTS = {"insert": "REFERENCING NEW TABLE AS new_rows",
          "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
          "delete": "REFERENCING OLD TABLE AS old_rows", "truncate": ""}


def upgrade() -> None:
    op.execute("ALTER TABLE data_version ADD COLUMN floor bigint NOT NULL DEFAULT 0, "
               "ADD COLUMN floor_at timestamptz NOT NULL DEFAULT now()")
    op.execute("UPDATE data_version SET floor = version, floor_at = changed_at")  # before: changed everywhere
    op.execute("CREATE TABLE data_change (table_name text NOT NULL, version bigint NOT NULL, "
               "changed_at timestamptz NOT NULL, west float8 NOT NULL, south float8 NOT NULL, east float8 NOT NULL, "
               "north float8 NOT NULL, PRIMARY KEY (table_name, version))")
    op.execute(NOTE)
    op.execute(LOG)
    for table, columns in PLACED.items():
        arguments = ", ".join(f"'{c}'" for c in columns)
        for event, referencing in EVENTS.items():
            op.execute(f"CREATE TRIGGER {table}_data_where_{event} AFTER {event.upper()} ON {table} {referencing} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION log_data_change({arguments})")


def downgrade() -> None:
    for table in PLACED:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_data_where_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS log_data_change()")
    op.execute("DROP FUNCTION IF EXISTS note_data_change(text, box2d)")
    op.execute("DROP TABLE IF EXISTS data_change")
    op.execute("ALTER TABLE data_version DROP COLUMN floor, DROP COLUMN floor_at")
