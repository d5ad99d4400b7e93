"""Patrol bases and the routable road network

patrol_base holds the places patrols start from and return to: police stations (派出所), police
rooms (警务室) and the teams' own stations (驻地), each optionally a team's. road_vertex and
road_edge are the road network noded for routing (built by gisapp.patrol.network from the road
layer): an edge is a piece of one road between two vertices, with its length in metres;
road_network records when it was built, from which versions of the roads and bases and with what
snapping tolerance, so a stale network is known. The network is cut where a base meets its road. Edges go with their road (ON DELETE CASCADE).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _geometry(kind: str) -> geoalchemy2.types.Geometry:
    return geoalchemy2.types.Geometry(geometry_type=kind, srid=4326, spatial_index=False)


def upgrade() -> None:
    op.create_table(
        "patrol_base",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("patrol_team.id", name="fk_patrol_base_team_id",
                                                       ondelete="SET NULL")),
        sa.Column("geom", _geometry("POINT"), nullable=False),
        sa.UniqueConstraint("code", name="uq_patrol_base_code"),
        sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name="ck_patrol_base_code"),
        sa.CheckConstraint("length(btrim(name)) BETWEEN 1 AND 100", name="ck_patrol_base_name_length"),
        sa.CheckConstraint("kind IN ('police_station', 'police_room', 'team_station')", name="ck_patrol_base_kind"),
        sa.CheckConstraint("ST_IsValid(geom)", name="ck_patrol_base_geom_valid"),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name="ck_patrol_base_geom_not_empty"),
        sa.CheckConstraint("ST_IsEmpty(geom) OR ST_CoveredBy(geom, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))",
                           name="ck_patrol_base_geom_in_china"),
    )
    op.create_index("ix_patrol_base_geom", "patrol_base", ["geom"], postgresql_using="gist")
    op.create_index("ix_patrol_base_team_id", "patrol_base", ["team_id"])
    op.execute("CREATE TRIGGER patrol_base_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON patrol_base FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")

    op.create_table(
        "road_vertex",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("geom", _geometry("POINT"), nullable=False),
    )
    op.create_index("ix_road_vertex_geom", "road_vertex", ["geom"], postgresql_using="gist")
    op.create_table(
        "road_edge",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("road_id", sa.Integer, sa.ForeignKey("road.id", name="fk_road_edge_road_id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("source", sa.BigInteger, sa.ForeignKey("road_vertex.id", name="fk_road_edge_source",
                                                         ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.BigInteger, sa.ForeignKey("road_vertex.id", name="fk_road_edge_target",
                                                         ondelete="CASCADE"), nullable=False),
        sa.Column("road_class", sa.String(12), nullable=False),
        sa.Column("length_m", sa.Float, nullable=False),
        sa.Column("geom", _geometry("LINESTRING"), nullable=False),
        sa.CheckConstraint("length_m > 0", name="ck_road_edge_length_m"),
    )
    op.create_index("ix_road_edge_geom", "road_edge", ["geom"], postgresql_using="gist")
    for column in ("road_id", "source", "target"):
        op.create_index(f"ix_road_edge_{column}", "road_edge", [column])
    op.create_table(
        "road_network",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("road_version", sa.BigInteger, nullable=False),
        sa.Column("base_version", sa.BigInteger, nullable=False),
        sa.Column("tolerance_m", sa.Float, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_road_network_one_row"),
    )


def downgrade() -> None:
    op.drop_table("road_network")
    op.drop_table("road_edge")
    op.drop_table("road_vertex")
    op.execute("DROP TRIGGER IF EXISTS patrol_base_data_version ON patrol_base")
    op.drop_table("patrol_base")
