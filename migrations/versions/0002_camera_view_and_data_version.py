"""camera_view() sector function, and data_version counters for cache validation

camera_view(point, azimuth, fov, range) is a camera's view sector in lon/lat, built on the
spheroid (ST_Project): apex at the camera, centred on the azimuth (degrees clockwise from north),
as wide as the field of view and as deep as the range; a disc when fov is 360 or the azimuth is
unknown. data_version counts the statements that changed each table: tiles and API answers use it
for their ETag, so caches are never stale after the data changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TRACKED = ["admin_area", "grid", "camera", "alarm_point", "alarm_camera", "patrol_team", "patrol_route",
           "patrol_window", "person", "person_assignment", "dispute", "road"]

CAMERA_VIEW = """
CREATE FUNCTION camera_view(pt geometry, azimuth double precision, fov double precision,
                            range_m double precision)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN fov >= 360 OR azimuth IS NULL THEN ST_Buffer(pt::geography, range_m, 'quad_segs=16')::geometry
        ELSE ST_MakePolygon(ST_MakeLine(ARRAY[pt] || ARRAY(
                 SELECT ST_Project(pt::geography, range_m,
                                   radians(azimuth - fov / 2 + fov * i / k.n))::geometry
                 FROM (SELECT greatest(4, ceil(fov / 5))::int AS n) k, generate_series(0, k.n) AS i
                 ORDER BY i) || ARRAY[pt]))
    END
$$;
"""

BUMP = """
CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_version (table_name, version, changed_at) VALUES (TG_TABLE_NAME, 1, now())
    ON CONFLICT (table_name) DO UPDATE SET version = data_version.version + 1, changed_at = now();
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(CAMERA_VIEW)
    op.execute("CREATE TABLE data_version (table_name text PRIMARY KEY, version bigint NOT NULL, "
               "changed_at timestamptz NOT NULL)")
    op.execute(BUMP)
    for table in TRACKED:
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def downgrade() -> None:
    for table in TRACKED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_data_version()")
    op.execute("DROP TABLE IF EXISTS data_version")
    op.execute("DROP FUNCTION IF EXISTS camera_view(geometry, double precision, double precision, double precision)")
