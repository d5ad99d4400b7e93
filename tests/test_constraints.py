"""Each constraint refuses its bad value, and the refusal reads as 'field: problem'."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gisapp.db.errors import describe
from gisapp.models import MESSAGES

POINT = "ST_SetSRID(ST_MakePoint(114.5, 34.6), 4326)"
SQUARE = "ST_Multi(ST_MakeEnvelope(114.5, 34.6, 114.51, 34.61, 4326))"
BOWTIE = "ST_Multi(ST_GeomFromText('POLYGON((114.5 34.6, 114.51 34.61, 114.51 34.6, 114.5 34.61, 114.5 34.6))', 4326))"
LINE = "ST_MakeLine(ST_SetSRID(ST_MakePoint(114.5, 34.6), 4326), ST_SetSRID(ST_MakePoint(114.51, 34.6), 4326))"

BASE = {
    "admin_area": {"code": "'410299101001'", "name": "'一村'", "level": "'village'", "geom": SQUARE},
    "grid": {"code": "'G1'", "name": "'网格'", "village_id": "(SELECT id FROM admin_area LIMIT 1)",
             "population": "10", "geom": SQUARE},
    "camera": {"code": "'C1'", "name": "'cam'", "kind": "'bullet'", "azimuth": "90", "fov_deg": "60",
               "range_m": "80", "status": "'online'", "height_m": "6", "geom": POINT},
    "alarm_point": {"code": "'A1'", "enterprise": "'厂'", "status": "'online'", "response_radius_m": "200",
                    "contact_phone": "'13800000000'", "geom": POINT, "premises": SQUARE},
    "patrol_team": {"code": "'T1'", "name": "'队'"},
    "person": {"code": "'P1'", "name": "'人'", "role": "'patroller'", "phone": "'13800000000'"},
    "patrol_route": {"code": "'R1'", "name": "'线'", "team_id": "(SELECT id FROM patrol_team LIMIT 1)",
                     "mode": "'foot'", "sight_width_m": "20", "weekdays": "'{1,2}'", "geom": LINE},
    "dispute": {"code": "'D1'", "category": "'land'", "summary": "'争议'", "parties": "'甲、乙'",
                "parties_phone": "'13800000000'", "grade": "'ordinary'", "status": "'received'",
                "source": "'police'", "received_at": "'2026-01-01'", "due_at": "'2026-01-04'", "geom": POINT},
    "road": {"road_class": "'primary'", "name": "'路'", "geom": LINE},
    "patrol_base": {"code": "'B1'", "name": "'派出所'", "kind": "'police_station'", "geom": POINT},
    "dispute_event": {"dispute_id": "(SELECT id FROM dispute LIMIT 1)", "at": "now()", "actor": "'center'",
                      "action": "'status'", "remark": "'ok'"},
    "app_user": {"login": "'ann'", "password_hash": "'x'", "role": "'viewer'"},
    "camera_site": {"code": "'S1'", "name": "'立杆'", "mounts": "'any'", "height_m": "6", "cost": "8000", "geom": POINT},
    "key_place": {"code": "'K1'", "name": "'小学'", "kind": "'school'", "must_cover": "true", "geom": POINT},
    "siting_plan": {"code": "'P1'", "name": "'一期'"},
}

# constraint -> (table, {column: bad SQL value})
BAD = {
    "ck_admin_area_level": ("admin_area", {"level": "'city'"}),
    "ck_admin_area_code": ("admin_area", {"code": "'41029910100'"}),
    "ck_admin_area_name_length": ("admin_area", {"name": "'  '"}),
    "ck_admin_area_geom_valid": ("admin_area", {"geom": BOWTIE}),
    "ck_admin_area_geom_not_empty": ("admin_area", {"geom": "ST_GeomFromText('MULTIPOLYGON EMPTY', 4326)"}),
    "ck_admin_area_geom_in_china": ("admin_area", {"geom": "ST_Multi(ST_MakeEnvelope(2, 48, 3, 49, 4326))"}),
    "uq_admin_area_code": ("admin_area", {}),
    "ck_grid_code": ("grid", {"code": "'bad code!'"}),
    "ck_grid_population": ("grid", {"population": "-1"}),
    "fk_grid_village_id": ("grid", {"village_id": "999999"}),
    "ck_camera_kind": ("camera", {"kind": "'laser'"}),
    "ck_camera_status": ("camera", {"status": "'broken'"}),
    "ck_camera_azimuth": ("camera", {"azimuth": "360"}),
    "ck_camera_bullet_azimuth": ("camera", {"azimuth": "NULL"}),
    "ck_camera_fov_deg": ("camera", {"fov_deg": "0"}),
    "ck_camera_range_m": ("camera", {"range_m": "0"}),
    "ck_camera_height_m": ("camera", {"height_m": "-2"}),
    "ck_camera_geom_in_china": ("camera", {"geom": "ST_SetSRID(ST_MakePoint(34.6, 114.5), 4326)"}),
    "ck_alarm_point_response_radius_m": ("alarm_point", {"response_radius_m": "0"}),
    "ck_alarm_point_contact_phone": ("alarm_point", {"contact_phone": "'call me'"}),
    "ck_alarm_point_premises_valid": ("alarm_point", {"premises": BOWTIE}),
    "ck_person_role": ("person", {"role": "'mayor'"}),
    "ck_patrol_base_kind": ("patrol_base", {"kind": "'barracks'"}),
    "ck_patrol_base_code": ("patrol_base", {"code": "'B 1'"}),
    "ck_patrol_base_name_length": ("patrol_base", {"name": "''"}),
    "fk_patrol_base_team_id": ("patrol_base", {"team_id": "999999"}),
    "ck_person_phone": ("person", {"phone": "'12'"}),
    "ck_patrol_route_mode": ("patrol_route", {"mode": "'horse'"}),
    "ck_patrol_route_sight_width_m": ("patrol_route", {"sight_width_m": "0"}),
    "ck_patrol_route_weekdays": ("patrol_route", {"weekdays": "'{0,8}'"}),
    "ck_dispute_grade": ("dispute", {"grade": "'urgent'"}),
    "ck_dispute_status": ("dispute", {"status": "'lost'"}),
    "ck_dispute_source": ("dispute", {"source": "'rumour'"}),
    "ck_dispute_summary_length": ("dispute", {"summary": "''"}),
    "ck_dispute_due_after_received": ("dispute", {"due_at": "'2025-12-31'"}),
    "ck_dispute_closed_at": ("dispute", {"status": "'closed'"}),
    "ck_dispute_level": ("dispute", {"level": "'province'"}),
    "ck_dispute_assignee": ("dispute", {"assignee": "' '"}),
    "ck_dispute_satisfaction": ("dispute", {"status": "'closed'", "closed_at": "'2026-01-02'",
                                            "revisited_at": "'2026-01-03'", "satisfaction": "6"}),
    "ck_dispute_revisit": ("dispute", {"revisited_at": "'2026-01-03'", "satisfaction": "4"}),
    "ck_dispute_event_action": ("dispute_event", {"action": "'delete'"}),
    "ck_dispute_event_remark": ("dispute_event", {"remark": "repeat('x', 2001)"}),
    "ck_road_road_class": ("road", {"road_class": "'highway'"}),
    "ck_app_user_login": ("app_user", {"login": "'Ann Smith'"}),
    "ck_app_user_role": ("app_user", {"role": "'admin'"}),
    "ck_app_user_leader_team": ("app_user", {"role": "'team_leader'"}),
    "ck_camera_cost": ("camera", {"cost": "-1"}),
    "fk_camera_plan_id": ("camera", {"plan_id": "999999"}),
    "ck_camera_site_code": ("camera_site", {"code": "'S 1'"}),
    "ck_camera_site_name_length": ("camera_site", {"name": "'  '"}),
    "ck_camera_site_mounts": ("camera_site", {"mounts": "'tripod'"}),
    "ck_camera_site_height_m": ("camera_site", {"height_m": "301"}),
    "ck_camera_site_cost": ("camera_site", {"cost": "-5"}),
    "ck_key_place_code": ("key_place", {"code": "'K/1'"}),
    "ck_key_place_name_length": ("key_place", {"name": "''"}),
    "ck_key_place_kind": ("key_place", {"kind": "'casino'"}),
    "ck_siting_plan_code": ("siting_plan", {"code": "'P 1'"}),
    "ck_siting_plan_name_length": ("siting_plan", {"name": "' '"}),
}


def _insert(conn, table, overrides):
    row = {**BASE[table], **overrides}
    conn.execute(text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(row.values())})"))


@pytest.fixture
def parents(engine):
    with engine.begin() as conn:
        _insert(conn, "admin_area", {})
        _insert(conn, "patrol_team", {})
        _insert(conn, "dispute", {"code": "'D0'"})  # the dispute a history row belongs to


@pytest.mark.parametrize("constraint", sorted(BAD))
def test_constraint_refuses_bad_value(engine, parents, constraint):
    table, overrides = BAD[constraint]
    with engine.connect() as conn:
        if table not in ("admin_area", "patrol_team"):  # those the parents fixture inserted already
            _insert(conn, table, {})  # the valid base row is accepted ...
            conn.rollback()
        with pytest.raises(IntegrityError) as refused:  # ... the bad one is not
            _insert(conn, table, overrides)
    assert refused.value.orig.diag.constraint_name == constraint
    field, message = describe(refused.value)
    assert (field, message) == MESSAGES[constraint]
    assert field and message


def test_every_named_check_is_exercised():
    checks = {name for name in MESSAGES if name.startswith("ck_")}
    untested = {n for n in checks if n not in BAD}
    # geometry checks repeat per table; one table per kind of check is enough
    untested = {n for n in untested if not any(n.endswith(s) for s in ("_valid", "_not_empty", "_in_china"))}
    allowed = {"ck_grid_name_length", "ck_patrol_team_code", "ck_patrol_team_name_length", "ck_person_code",
               "ck_person_name_length", "ck_camera_code", "ck_camera_name_length", "ck_alarm_point_code",
               "ck_alarm_point_status", "ck_alarm_point_enterprise_length", "ck_patrol_route_code",
               "ck_patrol_route_name_length", "ck_dispute_code", "ck_dispute_category", "ck_dispute_parties",
               "ck_dispute_parties_phone", "ck_road_name", "ck_patrol_window_not_empty",
               "ck_person_assignment_one_target"}
    assert untested <= allowed, f"constraints without a test: {sorted(untested - allowed)}"
