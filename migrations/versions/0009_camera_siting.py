"""Camera siting: candidate sites, key places, plans and their what-if coverage

camera_site holds the places a camera can be mounted (立杆, building corners, existing poles): the
kinds it takes, the mount height and the cost. key_place holds the places that must be watched
(重点部位: schools, markets, clinics, village entrances, crossroads …), some marked "must be
covered". A siting_plan is a named set of planned cameras (camera.plan_id, status 'planned');
plan_coverage holds each grid's coverage with a plan's cameras online, beside grid_coverage and
never mixed into it; siting_plan.coverage_signature says which data it was computed from.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""
import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEY_PLACE_KINDS = ("school", "market", "hospital", "clinic", "village_entrance", "crossroads", "station",
                   "government", "other")


def _point_table(name: str, *columns: sa.Column, checks: tuple = ()) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        *columns,
        sa.Column("geom", geoalchemy2.types.Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
                  nullable=False),
        sa.UniqueConstraint("code", name=f"uq_{name}_code"),
        sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name=f"ck_{name}_code"),
        sa.CheckConstraint("ST_IsValid(geom)", name=f"ck_{name}_geom_valid"),
        sa.CheckConstraint("NOT ST_IsEmpty(geom)", name=f"ck_{name}_geom_not_empty"),
        sa.CheckConstraint("ST_IsEmpty(geom) OR ST_CoveredBy(geom, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))",
                           name=f"ck_{name}_geom_in_china"),
        *checks,
    )
    op.create_index(f"ix_{name}_geom", name, ["geom"], postgresql_using="gist")
    op.execute(f"CREATE TRIGGER {name}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               f"ON {name} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")


def upgrade() -> None:
    _point_table(
        "camera_site",
        sa.Column("name", sa.String(200)),
        sa.Column("mounts", sa.String(10), nullable=False, server_default="any"),
        sa.Column("height_m", sa.Float),
        sa.Column("cost", sa.Float),
        checks=(sa.CheckConstraint("mounts IN ('any', 'bullet', 'dome')", name="ck_camera_site_mounts"),
                sa.CheckConstraint("height_m >= 0 AND height_m <= 300", name="ck_camera_site_height_m"),
                sa.CheckConstraint("cost >= 0", name="ck_camera_site_cost"),
                sa.CheckConstraint("name IS NULL OR length(btrim(name)) BETWEEN 1 AND 200",
                                   name="ck_camera_site_name_length")))
    kinds = ", ".join(f"'{k}'" for k in KEY_PLACE_KINDS)
    _point_table(
        "key_place",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("must_cover", sa.Boolean, nullable=False, server_default="false"),
        checks=(sa.CheckConstraint(f"kind IN ({kinds})", name="ck_key_place_kind"),
                sa.CheckConstraint("length(btrim(name)) BETWEEN 1 AND 200", name="ck_key_place_name_length")))
    op.create_table(
        "siting_plan",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", sa.String(64)),
        sa.Column("request", sa.dialects.postgresql.JSONB),
        sa.Column("coverage_signature", sa.Text),
        sa.UniqueConstraint("code", name="uq_siting_plan_code"),
        sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name="ck_siting_plan_code"),
        sa.CheckConstraint("length(btrim(name)) BETWEEN 1 AND 200", name="ck_siting_plan_name_length"),
    )
    op.execute("CREATE TRIGGER siting_plan_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON siting_plan FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()")
    op.add_column("camera", sa.Column("plan_id", sa.Integer, sa.ForeignKey(
        "siting_plan.id", name="fk_camera_plan_id", ondelete="CASCADE")))
    op.create_index("ix_camera_plan_id", "camera", ["plan_id"])
    op.add_column("camera", sa.Column("cost", sa.Float))
    op.create_check_constraint("ck_camera_cost", "camera", "cost >= 0")
    # Each grid's coverage with a plan's cameras online: grid_coverage's columns, and the plan.
    op.execute("CREATE TABLE plan_coverage (plan_id integer NOT NULL REFERENCES siting_plan(id) ON DELETE CASCADE, "
               "LIKE grid_coverage INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute("ALTER TABLE plan_coverage ADD PRIMARY KEY (plan_id, grid_id, period), "
               "ADD FOREIGN KEY (grid_id) REFERENCES grid(id) ON DELETE CASCADE")


def downgrade() -> None:
    op.drop_table("plan_coverage")
    op.drop_index("ix_camera_plan_id", "camera")
    op.drop_column("camera", "plan_id")
    op.drop_column("camera", "cost")
    for table in ("siting_plan", "key_place", "camera_site"):
        op.drop_table(table)
