"""Patrol reach by the road network

reach_vertex holds, for each vertex of the road network, the minutes by road from the nearest
patrol active by day, by night, and from the nearest patrol base (at the response mode), up to a
limit; reach_alarm the same for each alarm point (its nearest vertex), per period; reach_state
the signature of what they were computed from (versions of routes, windows, roads, bases and
alarms, and the settings), so a stale reach is known. The coverage flag
``alarm_beyond_patrol_reach`` reads reach_alarm (gisapp.patrol.reach keeps it current).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reach_vertex",
        sa.Column("vertex_id", sa.BigInteger, sa.ForeignKey("road_vertex.id", name="fk_reach_vertex_vertex_id",
                                                            ondelete="CASCADE"), primary_key=True),
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("minutes", sa.Float, nullable=False),
        sa.CheckConstraint("source IN ('day', 'night', 'base')", name="ck_reach_vertex_source"),
    )
    op.create_table(
        "reach_alarm",
        sa.Column("alarm_id", sa.Integer, sa.ForeignKey("alarm_point.id", name="fk_reach_alarm_alarm_id",
                                                        ondelete="CASCADE"), primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("patrol_min", sa.Float),
        sa.Column("base_min", sa.Float),
        sa.CheckConstraint("period IN ('day', 'night')", name="ck_reach_alarm_period"),
    )
    op.create_table(
        "reach_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_reach_state_one_row"),
    )
    for table in ("reach_vertex", "reach_alarm"):
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def downgrade() -> None:
    for table in ("reach_state", "reach_alarm", "reach_vertex"):
        op.drop_table(table)
