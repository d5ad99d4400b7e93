"""The three-net data model (SQLAlchemy + GeoAlchemy2). Storage is lon/lat, SRID 4326.

The schema itself is created only by the Alembic migrations; these classes map it. Every CHECK,
UNIQUE and FOREIGN KEY constraint has an explicit name and a human message in ``MESSAGES``, so a
database refusal can be reported as "field: problem" (see ``gisapp.db.errors``).
"""
from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (ARRAY, BigInteger, Boolean, CheckConstraint, Column, Computed, Date, DateTime, Float,
                        ForeignKey, Index, Integer, SmallInteger, String, Table, Text, Time,
                        UniqueConstraint, func, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gisapp import domain

SRID = 4326
# China's extent in lon/lat: every stored geometry must lie inside it.
CHINA_EXTENT = (73.4, 3.8, 135.1, 53.6)

# constraint name -> (field, message). Filled by the helpers below as the tables are declared.
MESSAGES: dict[str, tuple[str, str]] = {}


class Base(DeclarativeBase):
    pass


def _in(values: dict) -> str:
    return ", ".join(f"'{v}'" for v in values)


def check(table: str, field: str, name: str, sql: str, message: str) -> CheckConstraint:
    """A named CHECK constraint ``ck_<table>_<name>`` whose refusal reads ``field: message``."""
    full = f"ck_{table}_{name}"
    MESSAGES[full] = (field, message)
    return CheckConstraint(sql, name=full)


def enum_check(table: str, field: str, values: dict) -> CheckConstraint:
    """CHECK that ``field`` is one of the vocabulary's values."""
    return check(table, field, field, f"{field} IN ({_in(values)})",
                 f"must be one of {', '.join(values)}")


def geometry_checks(table: str, field: str = "geom") -> list[CheckConstraint]:
    """CHECKs that a geometry is valid, not empty, and inside China's extent."""
    x0, y0, x1, y1 = CHINA_EXTENT
    return [
        check(table, field, f"{field}_valid", f"ST_IsValid({field})",
              "invalid geometry (self-intersection, unclosed ring or too few points)"),
        check(table, field, f"{field}_not_empty", f"NOT ST_IsEmpty({field})", "empty geometry"),
        check(table, field, f"{field}_in_china",
              f"ST_IsEmpty({field}) OR ST_CoveredBy({field}, ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, {SRID}))",
              f"lies outside China (longitude {x0}–{x1}, latitude {y0}–{y1})"),
    ]


def nonblank(table: str, field: str, max_len: int) -> CheckConstraint:
    """CHECK that a text field is not blank and at most ``max_len`` characters."""
    return check(table, field, f"{field}_length",
                 f"length(btrim({field})) BETWEEN 1 AND {max_len}",
                 f"must not be empty and at most {max_len} characters")


def code_check(table: str, field: str = "code") -> CheckConstraint:
    return check(table, field, field, f"{field} ~ '^[0-9A-Za-z_.-]{{1,32}}$'",
                 "must be 1–32 letters, digits, '_', '.' or '-'")


def unique(table: str, field: str) -> UniqueConstraint:
    name = f"uq_{table}_{field}"
    MESSAGES[name] = (field, f"a {table.replace('_', ' ')} with this {field} already exists")
    return UniqueConstraint(field, name=name)


def fk(table: str, field: str, target: str, ondelete: str | None = None, **kw) -> ForeignKey:
    name = f"fk_{table}_{field}"
    MESSAGES[name] = (field, f"refers to a {target.split('.')[0].replace('_', ' ')} that does not exist"
                             " (or one still referred to)")
    return ForeignKey(target, name=name, ondelete=ondelete, **kw)


def phone_check(table: str, field: str) -> CheckConstraint:
    return check(table, field, field, f"{field} ~ '^[0-9+() -]{{5,20}}$'",
                 "must be a phone number: 5–20 digits, spaces, '+', '-', '(' or ')'")


def geometry_column(kind: str, nullable: bool = False, **kw):
    """A lon/lat geometry column; its GiST index is declared with ``gist`` (named as the migrations name it)."""
    return mapped_column(Geometry(kind, srid=SRID, spatial_index=False), nullable=nullable, **kw)


def gist(table: str, *columns: str) -> list[Index]:
    """GiST indexes ``ix_<table>_<column>`` on geometry columns."""
    return [Index(f"ix_{table}_{c}", c, postgresql_using="gist") for c in columns]


class AdminArea(Base):
    """County (县), township (乡镇/街道) or village (村/社区), with its statistical code."""
    __tablename__ = "admin_area"
    __table_args__ = (
        unique("admin_area", "code"),
        enum_check("admin_area", "level", domain.AREA_LEVELS),
        check("admin_area", "code", "code",
              "code ~ '^[0-9]+$' AND length(code) = CASE level WHEN 'county' THEN 6 "
              "WHEN 'township' THEN 9 ELSE 12 END",
              "must be the statistical division code: 6 digits for a county, 9 for a township, "
              "12 for a village"),
        nonblank("admin_area", "name", 100),
        *geometry_checks("admin_area"), *gist("admin_area", "geom"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(fk("admin_area", "parent_id", "admin_area.id"), index=True)
    geom = geometry_column("MULTIPOLYGON")


class Grid(Base):
    """A grid (网格) inside a village, with its population; grid workers via assignments."""
    __tablename__ = "grid"
    __table_args__ = (
        unique("grid", "code"), code_check("grid"), nonblank("grid", "name", 100),
        check("grid", "population", "population", "population >= 0", "must be 0 or more"),
        *geometry_checks("grid"), *gist("grid", "geom"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    village_id: Mapped[int] = mapped_column(fk("grid", "village_id", "admin_area.id"), index=True)
    population: Mapped[int | None] = mapped_column(Integer)
    geom = geometry_column("MULTIPOLYGON")


class PatrolTeam(Base):
    """A patrol team (巡防队) and its leader."""
    __tablename__ = "patrol_team"
    __table_args__ = (unique("patrol_team", "code"), code_check("patrol_team"),
                      nonblank("patrol_team", "name", 100))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    leader_id: Mapped[int | None] = mapped_column(
        fk("patrol_team", "leader_id", "person.id", ondelete="SET NULL", use_alter=True))


person_assignment = Table(
    "person_assignment", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, fk("person_assignment", "person_id", "person.id", "CASCADE"),
           nullable=False, index=True),
    Column("area_id", Integer, fk("person_assignment", "area_id", "admin_area.id", "CASCADE"), index=True),
    Column("grid_id", Integer, fk("person_assignment", "grid_id", "grid.id", "CASCADE"), index=True),
    check("person_assignment", "assignment", "one_target", "num_nonnulls(area_id, grid_id) = 1",
          "an assignment names exactly one village or one grid"),
)


class Person(Base):
    """Someone of the people net (人网): police, auxiliary, coordinator, grid worker, patroller."""
    __tablename__ = "person"
    __table_args__ = (
        unique("person", "code"), code_check("person"), nonblank("person", "name", 100),
        enum_check("person", "role", domain.PERSON_ROLES), phone_check("person", "phone"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(
        fk("person", "team_id", "patrol_team.id", ondelete="SET NULL"), index=True)


class PatrolBase(Base):
    """Where patrols start and end (派出所, 警务室, a team's 驻地), optionally a team's base."""
    __tablename__ = "patrol_base"
    __table_args__ = (
        unique("patrol_base", "code"), code_check("patrol_base"), nonblank("patrol_base", "name", 100),
        enum_check("patrol_base", "kind", domain.BASE_KINDS),
        *geometry_checks("patrol_base"), *gist("patrol_base", "geom"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(
        fk("patrol_base", "team_id", "patrol_team.id", ondelete="SET NULL"), index=True)
    geom = geometry_column("POINT")


class Camera(Base):
    """A sky-net (天网) camera: a point, its view (azimuth, field of view, range) and status."""
    __tablename__ = "camera"
    __table_args__ = (
        unique("camera", "code"), code_check("camera"), nonblank("camera", "name", 200),
        enum_check("camera", "kind", domain.CAMERA_KINDS),
        enum_check("camera", "status", domain.DEVICE_STATUSES),
        check("camera", "azimuth", "azimuth", "azimuth >= 0 AND azimuth < 360",
              "must be between 0 and 360 degrees, clockwise from north"),
        check("camera", "azimuth", "bullet_azimuth", "kind <> 'bullet' OR azimuth IS NOT NULL",
              "is required for a fixed bullet camera"),
        check("camera", "fov_deg", "fov_deg", "fov_deg >= 1 AND fov_deg <= 360",
              "must be between 1 and 360 degrees"),
        check("camera", "range_m", "range_m", "range_m > 0 AND range_m <= 3000",
              "must be more than 0 and at most 3000 metres"),
        check("camera", "height_m", "height_m", "height_m >= 0 AND height_m <= 300",
              "must be between 0 and 300 metres"),
        check("camera", "cost", "cost", "cost >= 0", "must not be negative"),
        *geometry_checks("camera"), *gist("camera", "geom", "view_geom"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    azimuth: Mapped[float | None] = mapped_column(Float)
    fov_deg: Mapped[float] = mapped_column(Float)
    range_m: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))
    owner: Mapped[str | None] = mapped_column(String(200))
    night_vision: Mapped[bool] = mapped_column(Boolean, server_default="false")
    installed_on: Mapped[dt.date | None] = mapped_column(Date)
    height_m: Mapped[float | None] = mapped_column(Float)
    cost: Mapped[float | None] = mapped_column(Float)
    geom = geometry_column("POINT")
    # The siting plan a planned camera belongs to (NULL for cameras not planned through one).
    plan_id: Mapped[int | None] = mapped_column(fk("camera", "plan_id", "siting_plan.id", "CASCADE"), index=True)
    # Generated by the database: camera_view(geom, azimuth, fov_deg, range_m).
    view_geom = mapped_column(Geometry("POLYGON", srid=SRID, spatial_index=False),
                              Computed("camera_view(geom, azimuth, fov_deg, range_m)"))


class CameraSite(Base):
    """A candidate site for a camera (立杆, a building corner, an existing pole): the kinds it takes, height, cost."""
    __tablename__ = "camera_site"
    __table_args__ = (
        unique("camera_site", "code"), code_check("camera_site"),
        check("camera_site", "name", "name_length", "name IS NULL OR length(btrim(name)) BETWEEN 1 AND 200",
              "must not be blank and at most 200 characters"),
        enum_check("camera_site", "mounts", domain.SITE_MOUNTS),
        check("camera_site", "height_m", "height_m", "height_m >= 0 AND height_m <= 300",
              "must be between 0 and 300 metres"),
        check("camera_site", "cost", "cost", "cost >= 0", "must not be negative"),
        *geometry_checks("camera_site"), *gist("camera_site", "geom"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(200))
    mounts: Mapped[str] = mapped_column(String(10), server_default="any")
    height_m: Mapped[float | None] = mapped_column(Float)
    cost: Mapped[float | None] = mapped_column(Float)
    geom = geometry_column("POINT")


class KeyPlace(Base):
    """A key place (重点部位) that must be watched: a school, a market, a village entrance …"""
    __tablename__ = "key_place"
    __table_args__ = (
        unique("key_place", "code"), code_check("key_place"), nonblank("key_place", "name", 200),
        enum_check("key_place", "kind", domain.KEY_PLACE_KINDS),
        *geometry_checks("key_place"), *gist("key_place", "geom"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    must_cover: Mapped[bool] = mapped_column(Boolean, server_default="false")
    geom = geometry_column("POINT")


class SitingPlan(Base):
    """A named set of planned cameras (their ``plan_id``), with the request that proposed it."""
    __tablename__ = "siting_plan"
    __table_args__ = (unique("siting_plan", "code"), code_check("siting_plan"), nonblank("siting_plan", "name", 200))
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(64))
    request = mapped_column(JSONB)
    # The versions of the coverage inputs plan_coverage was computed from (NULL: not yet).
    coverage_signature: Mapped[str | None] = mapped_column(Text)


alarm_camera = Table(
    "alarm_camera", Base.metadata,
    Column("alarm_id", Integer, fk("alarm_camera", "alarm_id", "alarm_point.id", "CASCADE"),
           primary_key=True),
    Column("camera_id", Integer, fk("alarm_camera", "camera_id", "camera.id", "CASCADE"),
           primary_key=True, index=True),
)


class AlarmPoint(Base):
    """A ground-net (地网) one-button alarm in an enterprise, linked to cameras."""
    __tablename__ = "alarm_point"
    __table_args__ = (
        unique("alarm_point", "code"), code_check("alarm_point"),
        nonblank("alarm_point", "enterprise", 200),
        enum_check("alarm_point", "status", domain.DEVICE_STATUSES),
        check("alarm_point", "response_radius_m", "response_radius_m",
              "response_radius_m > 0 AND response_radius_m <= 5000",
              "must be more than 0 and at most 5000 metres"),
        phone_check("alarm_point", "contact_phone"),
        *geometry_checks("alarm_point"), *geometry_checks("alarm_point", "premises"),
        *gist("alarm_point", "geom", "premises", "reach_geom"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    enterprise: Mapped[str] = mapped_column(String(200))
    response_radius_m: Mapped[float] = mapped_column(Float, server_default="200")
    status: Mapped[str] = mapped_column(String(10))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    geom = geometry_column("POINT")
    premises = geometry_column("MULTIPOLYGON", nullable=True)
    # Generated by the database: the premises, or the disc of the response radius.
    reach_geom = mapped_column(Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False),
                               Computed("alarm_reach(geom, premises, response_radius_m)"))


class PatrolRoute(Base):
    """A people-net (人网) patrol route: a line walked or driven in time windows on weekdays."""
    __tablename__ = "patrol_route"
    __table_args__ = (
        unique("patrol_route", "code"), code_check("patrol_route"),
        nonblank("patrol_route", "name", 100),
        enum_check("patrol_route", "mode", domain.PATROL_MODES),
        check("patrol_route", "sight_width_m", "sight_width_m",
              "sight_width_m > 0 AND sight_width_m <= 500",
              "must be more than 0 and at most 500 metres"),
        check("patrol_route", "weekdays", "weekdays",
              "cardinality(weekdays) > 0 AND weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]",
              "must be one or more of 1 (Monday) to 7 (Sunday)"),
        *geometry_checks("patrol_route"), *gist("patrol_route", "geom"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    team_id: Mapped[int] = mapped_column(fk("patrol_route", "team_id", "patrol_team.id"), index=True)
    mode: Mapped[str] = mapped_column(String(12))
    sight_width_m: Mapped[float | None] = mapped_column(Float)
    weekdays: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), server_default="{1,2,3,4,5,6,7}")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    geom = geometry_column("LINESTRING")


# A daily time window of a route; ``ends`` before ``starts`` crosses midnight.
patrol_window = Table(
    "patrol_window", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("route_id", Integer, fk("patrol_window", "route_id", "patrol_route.id", "CASCADE"), nullable=False,
           index=True),
    Column("starts", Time, nullable=False),
    Column("ends", Time, nullable=False),
    check("patrol_window", "time_windows", "not_empty", "starts <> ends",
          "a time window must not start and end at the same time"),
)


class Dispute(Base):
    """A dispute (矛盾纠纷): graded, followed through a closed loop; village and grid by location."""
    __tablename__ = "dispute"
    __table_args__ = (
        unique("dispute", "code"), code_check("dispute"),
        nonblank("dispute", "summary", 2000),
        check("dispute", "category", "category", "category ~ '^[a-z_]{1,30}$'",
              "must be a category name"),
        check("dispute", "parties", "parties", "length(parties) <= 500",
              "must be at most 500 characters"),
        phone_check("dispute", "parties_phone"),
        enum_check("dispute", "grade", domain.DISPUTE_GRADES),
        enum_check("dispute", "status", domain.DISPUTE_STATUSES),
        enum_check("dispute", "source", domain.DISPUTE_SOURCES),
        check("dispute", "due_at", "due_after_received", "due_at >= received_at",
              "must not be before received_at"),
        check("dispute", "closed_at", "closed_at",
              "(status = 'closed') = (closed_at IS NOT NULL) AND "
              "(closed_at IS NULL OR closed_at >= received_at)",
              "is required when, and only when, status is closed, and not before received_at"),
        *geometry_checks("dispute"), *gist("dispute", "geom"),
        Index("ix_dispute_received_at", "received_at"),
        Index("ix_dispute_open_due", "due_at", postgresql_where=text("status <> 'closed'")),
        enum_check("dispute", "level", domain.DISPUTE_LEVELS),
        check("dispute", "assignee", "assignee", "length(btrim(assignee)) BETWEEN 1 AND 200",
              "must not be empty and at most 200 characters"),
        check("dispute", "satisfaction", "satisfaction", "satisfaction BETWEEN 1 AND 5", "must be 1 to 5"),
        check("dispute", "revisited_at", "revisit",
              "(revisited_at IS NULL) = (satisfaction IS NULL) AND (revisited_at IS NULL OR status = 'closed')",
              "a return visit needs a satisfaction score and a closed dispute"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text)
    parties: Mapped[str | None] = mapped_column(Text)
    parties_phone: Mapped[str | None] = mapped_column(String(20))
    grade: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Filled by the database from the location (trigger dispute_assign_area).
    village_id: Mapped[int | None] = mapped_column(
        fk("dispute", "village_id", "admin_area.id", ondelete="SET NULL"), index=True)
    grid_id: Mapped[int | None] = mapped_column(fk("dispute", "grid_id", "grid.id", ondelete="SET NULL"), index=True)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    # The closed loop (migration 0005): escalation level, who it is routed to, the return visit.
    level: Mapped[str] = mapped_column(String(10), server_default="village")
    assignee: Mapped[str | None] = mapped_column(String(200))
    location_approx: Mapped[bool] = mapped_column(Boolean, server_default="false")
    revisited_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    created_by: Mapped[int | None] = mapped_column(fk("dispute", "created_by", "app_user.id", ondelete="SET NULL"))
    geom = geometry_column("POINT")


class Road(Base):
    """A road segment, for routing and for the area of concern."""
    __tablename__ = "road"
    __table_args__ = (enum_check("road", "road_class", domain.ROAD_CLASSES),
                      check("road", "name", "name", "length(name) <= 100",
                            "must be at most 100 characters"),
                      *geometry_checks("road"), *gist("road", "geom"))
    id: Mapped[int] = mapped_column(primary_key=True)
    road_class: Mapped[str] = mapped_column(String(12))
    name: Mapped[str | None] = mapped_column(String(100))
    geom = geometry_column("LINESTRING")


# The road network noded for routing (built by gisapp.patrol.network): vertices, and edges that
# are pieces of one road between two vertices, lengths in metres.
road_vertex = Table(
    "road_vertex", Base.metadata,
    Column("id", BigInteger, primary_key=True),
    Column("geom", Geometry("POINT", srid=SRID, spatial_index=False), nullable=False),
    *gist("road_vertex", "geom"),
)
road_edge = Table(
    "road_edge", Base.metadata,
    Column("id", BigInteger, primary_key=True),
    Column("road_id", Integer, fk("road_edge", "road_id", "road.id", "CASCADE"), nullable=False, index=True),
    Column("source", BigInteger, fk("road_edge", "source", "road_vertex.id", "CASCADE"), nullable=False, index=True),
    Column("target", BigInteger, fk("road_edge", "target", "road_vertex.id", "CASCADE"), nullable=False, index=True),
    Column("road_class", String(12), nullable=False),
    Column("length_m", Float, nullable=False),
    Column("geom", Geometry("LINESTRING", srid=SRID, spatial_index=False), nullable=False),
    CheckConstraint("length_m > 0", name="ck_road_edge_length_m"),
    *gist("road_edge", "geom"),
)
# When the network was built, from which versions of the roads and bases, with what snapping tolerance.
road_network = Table(
    "road_network", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("built_at", DateTime(timezone=True), nullable=False),
    Column("road_version", BigInteger, nullable=False),
    Column("base_version", BigInteger, nullable=False),
    Column("tolerance_m", Float, nullable=False),
    CheckConstraint("id = 1", name="ck_road_network_one_row"),
)


# Minutes by road from the nearest patrol active by day, by night, and from the nearest base, per
# vertex and per alarm point (kept current by gisapp.patrol.reach; see migration 0008).
reach_vertex = Table(
    "reach_vertex", Base.metadata,
    Column("vertex_id", BigInteger, fk("reach_vertex", "vertex_id", "road_vertex.id", "CASCADE"), primary_key=True),
    Column("source", Text, primary_key=True),
    Column("minutes", Float, nullable=False),
    CheckConstraint("source IN ('day', 'night', 'base')", name="ck_reach_vertex_source"),
)
reach_alarm = Table(
    "reach_alarm", Base.metadata,
    Column("alarm_id", Integer, fk("reach_alarm", "alarm_id", "alarm_point.id", "CASCADE"), primary_key=True),
    Column("period", Text, primary_key=True),
    Column("patrol_min", Float),
    Column("base_min", Float),
    CheckConstraint("period IN ('day', 'night')", name="ck_reach_alarm_period"),
)
# What the reach was computed from (versions and settings), so a stale one is known.
reach_state = Table(
    "reach_state", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("signature", Text, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="ck_reach_state_one_row"),
)


user_grid = Table(
    "user_grid", Base.metadata,
    Column("user_id", Integer, fk("user_grid", "user_id", "app_user.id", "CASCADE"), primary_key=True),
    Column("grid_id", Integer, fk("user_grid", "grid_id", "grid.id", "CASCADE"), primary_key=True, index=True),
)


class User(Base):
    """An account: a login, a password hash and a role (with a team or grids where it applies)."""
    __tablename__ = "app_user"
    __table_args__ = (
        unique("app_user", "login"),
        check("app_user", "login", "login", "login ~ '^[a-z0-9_.-]{2,64}$'",
              "must be 2–64 lower-case letters, digits, '_', '.' or '-'"),
        enum_check("app_user", "role", domain.USER_ROLES),
        check("app_user", "team", "leader_team", "role <> 'team_leader' OR team_id IS NOT NULL",
              "a team leader needs a team"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(12))
    team_id: Mapped[int | None] = mapped_column(fk("app_user", "team_id", "patrol_team.id"))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # Kept in every session cookie (gisapp.auth); raising it (sign-out, a new password, disabling)
    # ends every session signed in before.
    session_version: Mapped[int] = mapped_column(Integer, server_default="0")

    team = relationship(PatrolTeam)
    grids = relationship(Grid, secondary=user_grid)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored. ``public_id`` names it in the
    API and the CLI (listing, revoking); it says nothing of the secret."""
    __tablename__ = "api_token"
    __table_args__ = (unique("api_token", "token_hash"), unique("api_token", "public_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(fk("api_token", "user_id", "app_user.id", "CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    public_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    user = relationship(User)


class SignInThrottle(Base):
    """Sign-in attempts counted per login and per client address (gisapp.accounts): ``failures`` since
    ``window_start``, and the time a lockout lifts. Shared by every server process through the database."""
    __tablename__ = "sign_in_throttle"
    # Written by the server alone, never from input: its constraint needs no message for people.
    __table_args__ = (CheckConstraint("kind IN ('login', 'address')", name="ck_sign_in_throttle_kind"),)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# Statements that changed each table (bumped by triggers); ETags of tiles and items come from it.
data_version = Table(
    "data_version", Base.metadata,
    Column("table_name", Text, primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    # The last version whose change is known only as "somewhere" (see data_change), and when it was set.
    Column("floor", BigInteger, nullable=False, server_default="0"),
    Column("floor_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
# Where each changing statement of a table with a place changed it: the version it gave the table and the
# lon/lat box of the rows before and after (migration 0012); at most the last 200 versions of each table.
data_change = Table(
    "data_change", Base.metadata,
    Column("table_name", Text, primary_key=True),
    Column("version", BigInteger, primary_key=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    *(Column(name, Float(53), nullable=False) for name in ("west", "south", "east", "north")),
)


# Per-grid coverage results (see gisapp.coverage), one row per grid and period.
def coverage_columns() -> list[Column]:
    """The columns of a grid's coverage in one period (grid_coverage; plan_coverage has them too)."""
    return [
        Column("grid_id", Integer, ForeignKey("grid.id", ondelete="CASCADE"), primary_key=True),
        Column("period", Text, CheckConstraint("period IN ('day', 'night')", name="grid_coverage_period_check"),
               primary_key=True),
        *(Column(name, Float, nullable=False) for name in (
            "concern_m2", "camera_m2", "alarm_m2", "patrol_m2", "covered_m2", "covered_share", "gap_m2")),
        Column("gap_geom", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False)),
        *(Column(name, Integer, nullable=False) for name in (
            "cameras_reaching", "cameras_online", "disputes_in", "disputes_out", "alarms_in", "alarms_out")),
        Column("road_m_in", Float, nullable=False), Column("road_m_out", Float, nullable=False),
        Column("flagged", Boolean, nullable=False), Column("reasons", ARRAY(Text), nullable=False),
        Column("computed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


grid_coverage = Table("grid_coverage", Base.metadata, *coverage_columns(), *gist("grid_coverage", "gap_geom"))
# Each grid's coverage with a siting plan's cameras online, beside grid_coverage (never mixed into it).
plan_coverage = Table(
    "plan_coverage", Base.metadata,
    Column("plan_id", Integer, ForeignKey("siting_plan.id", ondelete="CASCADE"), primary_key=True),
    *coverage_columns(),
)

# Grids whose coverage inputs changed since it was last computed (filled by triggers).
coverage_dirty = Table("coverage_dirty", Base.metadata,
                       Column("grid_id", Integer, ForeignKey("grid.id", ondelete="CASCADE"), primary_key=True))

# Each grid's area of concern and road pieces in the projected CRS ``srid`` (see gisapp.coverage and
# migration 0011): made from the grid, the roads and the settings only; rows made with other settings
# are rebuilt, and triggers delete the rows of grids whose roads or geometry changed. Read by grid id
# only (no spatial index); the SRID is a setting, so the geometry columns have none of their own.
grid_concern = Table(
    "grid_concern", Base.metadata,
    Column("grid_id", Integer, ForeignKey("grid.id", name="fk_grid_concern_grid_id", ondelete="CASCADE"),
           primary_key=True),
    Column("srid", Integer, nullable=False),
    Column("road_buffer_m", Float, nullable=False),
    Column("near_roads", Boolean, nullable=False),  # made with roads (the grid near them), or without (the whole grid)
    Column("geom", Geometry(None, spatial_index=False), nullable=False),
    Column("area_m2", Float, nullable=False),
)
# Each road's piece inside a grid (its length not zero), measured with its grid's concern.
grid_road_piece = Table(
    "grid_road_piece", Base.metadata,
    Column("grid_id", Integer, ForeignKey("grid_concern.grid_id", name="fk_grid_road_piece_grid_id",
                                          ondelete="CASCADE"), primary_key=True),
    Column("road_id", Integer, primary_key=True),   # no foreign key: a road's change drops its grids' rows (trigger)
    Column("geom", Geometry(None, spatial_index=False), nullable=False),
)


# One step of a dispute's closed loop (受理 → 分流 → 办理 → 反馈 → 结单, 回访): append-only.
dispute_event = Table(
    "dispute_event", Base.metadata,
    Column("id", BigInteger, primary_key=True),
    Column("dispute_id", Integer, fk("dispute_event", "dispute_id", "dispute.id", "CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", Integer, fk("dispute_event", "actor_id", "app_user.id", "SET NULL")),
    Column("actor", String(64), nullable=False),
    Column("action", String(12), nullable=False),
    Column("from_status", String(10)),
    Column("to_status", String(10)),
    Column("level", String(10)),
    Column("grade", String(10)),
    Column("assignee", String(200)),
    Column("satisfaction", SmallInteger),
    Column("remark", Text),
    enum_check("dispute_event", "action", domain.DISPUTE_ACTIONS),
    check("dispute_event", "remark", "remark", "length(remark) <= 2000", "must be at most 2000 characters"),
    Index("ix_dispute_event_dispute_id", "dispute_id", "id"),
)

# One view of personal data (a dispute's parties): who, when, which feature, through what. Append-only.
audit_log = Table(
    "audit_log", Base.metadata,
    Column("id", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("user_id", Integer),  # kept when the account is removed
    Column("login", String(64), nullable=False),
    Column("action", String(30), nullable=False),
    Column("layer", String(64), nullable=False),
    Column("fid", String(64), nullable=False),
    Column("via", String(200), nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_fid", "layer", "fid"),
)
