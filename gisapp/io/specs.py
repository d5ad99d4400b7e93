"""What each importable layer expects: its table, geometry and fields, and how it is exported.

A field's ``kind`` says how a column is parsed and checked (see ``gisapp.io.validate``):
text, int, float, bool, date, datetime, enum (one of ``values``; Chinese labels accepted too),
ref (a code of another layer, stored as its id), refs (comma-separated codes, stored in an
association table), windows (``08:00-12:00,20:00-02:00``), weekdays (``1,2,3`` with 1 = Monday).
Column names are matched case-insensitively, and ``aliases`` (Chinese names, OpenStreetMap tags)
are accepted in place of a field's name.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from gisapp import domain


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"
    required: bool = False
    max_len: int | None = None
    values: dict | None = None           # enum: stored value -> label
    synonyms: dict | None = None         # enum: other accepted spellings -> stored value
    minimum: float | None = None
    maximum: float | None = None
    ref: str | None = None               # ref/refs: the layer whose code is named
    values_setting: str | None = None    # enum: the configuration key that may replace ``values``
    aliases: tuple[str, ...] = ()
    default: object = None
    help: str = ""


@dataclass(frozen=True)
class LayerSpec:
    name: str
    table: str
    title: str
    geometry: str | None                 # "point", "polygon", "line" or None
    fields: tuple[Field, ...]
    export_sql: str
    has_code: bool = True
    ignored_on_import: tuple[str, ...] = field(default=())

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def labels_to_values(values: dict) -> dict:
    """Accept the Chinese part of each label ('一般' -> 'ordinary') as well as the value."""
    return {label.split(" ")[0]: value for value, label in values.items()}


def enum(name: str, values: dict, required: bool = True, synonyms: dict | None = None, **kw) -> Field:
    return Field(name, "enum", required, values=values,
                 synonyms={**labels_to_values(values), **(synonyms or {})}, **kw)


CODE = Field("code", required=True, max_len=32, aliases=("编码", "编号", "ref", "id_code"),
             help="unique code: letters, digits, '_', '.', '-' (a 20-digit GB/T 28181 ID fits)")
NAME = Field("name", required=True, max_len=100, aliases=("名称", "name:zh"))
PHONE = {"max_len": 20}


def _windows_sql(route: str) -> str:
    return (f"(SELECT string_agg(to_char(w.starts, 'HH24:MI') || '-' || to_char(w.ends, 'HH24:MI'), ',' "
            f"ORDER BY w.starts) FROM patrol_window w WHERE w.route_id = {route}.id)")


SPECS: dict[str, LayerSpec] = {spec.name: spec for spec in [
    LayerSpec(
        "areas", "admin_area", "行政区 administrative areas", "polygon",
        (Field("code", required=True, aliases=("编码", "区划代码"),
               help="statistical division code: 6 digits county, 9 township, 12 village"),
         NAME,
         enum("level", domain.AREA_LEVELS, synonyms={"县": "county", "乡镇": "township",
                                                      "街道": "township", "村": "village",
                                                      "社区": "village"}, aliases=("级别",)),
         Field("parent_code", "ref", ref="areas", aliases=("上级编码",),
               help="code of the county or township above (may be in the same file)")),
        "SELECT a.code, a.name, a.level, p.code AS parent_code, a.geom FROM admin_area a "
        "LEFT JOIN admin_area p ON p.id = a.parent_id "
        "ORDER BY array_position(ARRAY['county','township','village'], a.level::text), a.code"),
    LayerSpec(
        "grids", "grid", "网格 grids", "polygon",
        (CODE, NAME,
         Field("village_code", "ref", required=True, ref="villages", aliases=("村编码",)),
         Field("population", "int", minimum=0, aliases=("人口",))),
        "SELECT g.code, g.name, a.code AS village_code, g.population, g.geom FROM grid g "
        "JOIN admin_area a ON a.id = g.village_id ORDER BY g.code"),
    LayerSpec(
        "teams", "patrol_team", "巡防队 patrol teams", None, (CODE, NAME),
        "SELECT t.code, t.name FROM patrol_team t ORDER BY t.code"),
    LayerSpec(
        "people", "person", "人网 people", None,
        (CODE, NAME, enum("role", domain.PERSON_ROLES, aliases=("角色",)),
         Field("phone", max_len=20, aliases=("电话", "手机")),
         Field("team_code", "ref", ref="teams", aliases=("队伍",)),
         Field("leads_team", "bool", default=False, help="true for the leader of team_code"),
         Field("villages", "refs", ref="villages", help="codes of the villages assigned, comma-separated"),
         Field("grids", "refs", ref="grids", help="codes of the grids assigned, comma-separated")),
        "SELECT p.code, p.name, p.role, p.phone, t.code AS team_code, "
        "coalesce(t.leader_id = p.id, false) AS leads_team, "
        "(SELECT string_agg(a.code, ',' ORDER BY a.code) FROM person_assignment pa "
        " JOIN admin_area a ON a.id = pa.area_id WHERE pa.person_id = p.id) AS villages, "
        "(SELECT string_agg(g.code, ',' ORDER BY g.code) FROM person_assignment pa "
        " JOIN grid g ON g.id = pa.grid_id WHERE pa.person_id = p.id) AS grids "
        "FROM person p LEFT JOIN patrol_team t ON t.id = p.team_id ORDER BY p.code"),
    LayerSpec(
        "cameras", "camera", "天网 cameras", "point",
        (CODE, Field("name", required=True, max_len=200, aliases=("名称",)),
         enum("kind", domain.CAMERA_KINDS, aliases=("camera:type", "类型"),
              synonyms={"fixed": "bullet", "panning": "dome", "ptz": "dome", "枪机": "bullet",
                        "球机": "dome"}),
         Field("azimuth", "float", minimum=0, maximum=360, aliases=("camera:direction", "direction", "朝向"),
               help="degrees clockwise from north (or N, NE, E, ...); required for a bullet camera"),
         Field("fov_deg", "float", minimum=1, maximum=360, aliases=("fov", "视场角"),
               help="horizontal field of view in degrees; default 360 for domes, 60 for bullets"),
         Field("range_m", "float", required=True, minimum=0.1, maximum=3000, aliases=("range", "距离")),
         enum("status", domain.DEVICE_STATUSES, synonyms={"faulty": "faulty", "故障": "faulty"},
              aliases=("状态",)),
         Field("owner", max_len=200, aliases=("operator", "所属")),
         Field("night_vision", "bool", default=False, aliases=("夜视",)),
         Field("installed_on", "date", aliases=("安装日期",)),
         Field("height_m", "float", minimum=0, maximum=300, aliases=("height", "高度"))),
        "SELECT code, name, kind, azimuth, fov_deg, range_m, status, owner, night_vision, "
        "installed_on, height_m, geom FROM camera ORDER BY code"),
    LayerSpec(
        "alarms", "alarm_point", "地网 one-button alarms", "point",
        (CODE, Field("enterprise", required=True, max_len=200, aliases=("企业", "单位")),
         enum("status", domain.DEVICE_STATUSES, aliases=("状态",)),
         Field("response_radius_m", "float", minimum=1, maximum=5000, default=200.0, aliases=("响应半径",)),
         Field("contact_name", max_len=100, aliases=("联系人",)),
         Field("contact_phone", max_len=20, aliases=("联系电话",)),
         Field("cameras", "refs", ref="cameras", help="codes of the linked cameras, comma-separated"),
         Field("premises_wkt", "wkt", help="premises polygon as WKT in lon/lat (optional)")),
        "SELECT a.code, a.enterprise, a.status, a.response_radius_m, a.contact_name, a.contact_phone, "
        "(SELECT string_agg(c.code, ',' ORDER BY c.code) FROM alarm_camera ac "
        " JOIN camera c ON c.id = ac.camera_id WHERE ac.alarm_id = a.id) AS cameras, "
        "ST_AsText(a.premises) AS premises_wkt, a.geom FROM alarm_point a ORDER BY a.code"),
    LayerSpec(
        "routes", "patrol_route", "人网 patrol routes", "line",
        (CODE, NAME, Field("team_code", "ref", required=True, ref="teams", aliases=("队伍",)),
         enum("mode", domain.PATROL_MODES, aliases=("方式",),
              synonyms={"e-bike": "ebike", "motorbike": "motorcycle", "walk": "foot"}),
         Field("sight_width_m", "float", minimum=0.1, maximum=500,
               help="metres seen on each side; empty: the default for the mode"),
         Field("time_windows", "windows", aliases=("时段",),
               help="HH:MM-HH:MM, comma-separated; a window may cross midnight; empty: all day"),
         Field("weekdays", "weekdays", default=[1, 2, 3, 4, 5, 6, 7], help="1 (Monday) to 7, comma-separated"),
         Field("active", "bool", default=True)),
        "SELECT r.code, r.name, t.code AS team_code, r.mode, r.sight_width_m, "
        f"{_windows_sql('r')} AS time_windows, array_to_string(r.weekdays, ',') AS weekdays, "
        "r.active, r.geom FROM patrol_route r JOIN patrol_team t ON t.id = r.team_id ORDER BY r.code"),
    LayerSpec(
        "disputes", "dispute", "矛盾纠纷 disputes", "point",
        (CODE, enum("category", domain.DISPUTE_CATEGORIES, aliases=("类别",), values_setting="dispute_categories"),
         Field("summary", required=True, max_len=2000, aliases=("摘要", "内容")),
         Field("parties", max_len=500, aliases=("当事人",)),
         Field("parties_phone", max_len=20, aliases=("当事人电话",)),
         enum("grade", domain.DISPUTE_GRADES, aliases=("等级",)),
         enum("status", domain.DISPUTE_STATUSES, required=False, default="received", aliases=("状态",)),
         enum("source", domain.DISPUTE_SOURCES, required=False, default="other", aliases=("来源",),
              synonyms={"12345": "hotline"}),
         Field("received_at", "datetime", required=True, aliases=("受理时间",)),
         Field("due_at", "datetime", help="empty: received_at plus the grade's days from configuration"),
         Field("closed_at", "datetime", help="required when, and only when, status is closed")),
        "SELECT d.code, d.category, d.summary, d.parties, d.parties_phone, d.grade, d.status, d.source, "
        "d.received_at, d.due_at, d.closed_at, v.code AS village_code, g.code AS grid_code, d.geom "
        "FROM dispute d LEFT JOIN admin_area v ON v.id = d.village_id "
        "LEFT JOIN grid g ON g.id = d.grid_id ORDER BY d.code",
        ignored_on_import=("village_code", "grid_code")),
    LayerSpec(
        "roads", "road", "道路 roads", "line",
        (enum("road_class", domain.ROAD_CLASSES, aliases=("highway", "class", "等级"),
              synonyms={"unclassified": "tertiary", "motorway": "trunk", "living_street": "residential",
                        "footway": "path", "cycleway": "path"}),
         Field("name", max_len=100, aliases=("名称",))),
        "SELECT road_class, name, geom FROM road ORDER BY id", has_code=False),
]}

# The order in which layers depend on each other (an import names codes of earlier ones).
LOAD_ORDER = ["areas", "grids", "teams", "people", "cameras", "alarms", "routes", "disputes", "roads"]


def describe(spec: LayerSpec) -> str:
    """A listing of the columns a layer's file may have, for error messages and --help."""
    lines = [f"{spec.name}: {spec.title}"]
    if spec.geometry:
        lines.append(f"  geometry: {spec.geometry} (CSV: longitude/latitude columns"
                     f"{'' if spec.geometry == 'point' else ' or a wkt column'})")
    for f in spec.fields:
        kind = f"one of {', '.join(f.values)}" if f.values else f.kind
        extra = f"; also named {', '.join(f.aliases)}" if f.aliases else ""
        lines.append(f"  {f.name:18} {'required' if f.required else 'optional'}, {kind}"
                     f"{'; ' + f.help if f.help else ''}{extra}")
    return "\n".join(lines)
