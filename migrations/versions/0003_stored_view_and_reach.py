"""Stored, indexed view sectors of cameras and reach areas of alarms

camera.view_geom = camera_view(geom, azimuth, fov_deg, range_m) and alarm_point.reach_geom = the
premises, or the disc of the response radius, as generated columns with GiST indexes: tiles,
bbox queries and coverage then prune by index instead of computing every sector.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ALARM_REACH = """
CREATE FUNCTION alarm_reach(pt geometry, premises geometry, radius_m double precision)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(premises, ST_Multi(ST_Buffer(pt::geography, radius_m, 'quad_segs=8')::geometry))
$$;
"""


def upgrade() -> None:
    op.execute("ALTER TABLE camera ADD COLUMN view_geom geometry(Polygon, 4326) "
               "GENERATED ALWAYS AS (camera_view(geom, azimuth, fov_deg, range_m)) STORED")
    op.execute(ALARM_REACH)
    op.execute("ALTER TABLE alarm_point ADD COLUMN reach_geom geometry(MultiPolygon, 4326) "
               "GENERATED ALWAYS AS (alarm_reach(geom, premises, response_radius_m)) STORED")
    op.create_index("ix_camera_view_geom", "camera", ["view_geom"], postgresql_using="gist")
    op.create_index("ix_alarm_point_reach_geom", "alarm_point", ["reach_geom"], postgresql_using="gist")


def downgrade() -> None:
    op.drop_index("ix_alarm_point_reach_geom", "alarm_point")
    op.drop_index("ix_camera_view_geom", "camera")
    op.execute("ALTER TABLE alarm_point DROP COLUMN reach_geom")
    op.execute("DROP FUNCTION alarm_reach(geometry, geometry, double precision)")
    op.execute("ALTER TABLE camera DROP COLUMN view_geom")
