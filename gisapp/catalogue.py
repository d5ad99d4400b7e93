"""The layer catalogue: one TOML file per map layer under layers/, read once at start-up.

Each file declares a layer's id, title, group, geometry, the SQL that yields its features
(columns ``fid``, ``geom`` in EPSG:4326 and one per property), the properties shown and in what
order (with the vocabulary their values come from, for their labels), its style, the minimum zoom
at which it is drawn, which roles may see it, which properties only some roles may see
(``restricted``) and which are personal data (``personal``: only its roles see them, never in tiles,
every view audited), and whether (and by whom) it may be edited. The API, the tiles and the map
all read it: adding a layer is adding a file.

Two statements are bound into a layer's SQL when the file is read, so that each is written once:
``:may_see_personal`` is true when the viewer's role is one of ``personal.roles``, and a file with
``periods`` yields one layer per period (``<id>_<period>``), its SQL's ``:period`` being that period.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import text

from gisapp import domain
from gisapp.config import PERIODS, PROJECT_DIR
from gisapp.db.versions import noted_tables
from gisapp.entities import ENTITIES

LAYERS_DIR = PROJECT_DIR / "layers"
GEOMETRIES = ("point", "line", "polygon")
GROUPS = ("天网 Sky net", "地网 Ground net", "人网 People net", "矛盾纠纷 Disputes", "覆盖 Coverage", "基础 base")
# Groups whose layers are alternatives (a radio switch on the map): day or night coverage.
EXCLUSIVE_GROUPS = ("覆盖 Coverage",)
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
ALLOWED_KEYS = {"id", "title", "group", "geometry", "sql", "properties", "roles", "restricted", "min_zoom",
                "style", "editable", "editors", "show", "heat", "prefilter", "personal", "periods", "regional",
                "page"}
STYLE_KEYS = {"by", "colors", "color", "radius", "weight", "fill_opacity", "outline_by", "outline_colors",
              "shape", "radii", "weights", "dashes", "dash", "casing", "outline_weight", "outline_dash",
              "label", "label_zooms"}
# A point layer's symbol (static/map.js draws it on the tiles' canvas, the legend as SVG): the layers of the
# nets differ by shape, not only by colour (cameras squares, alarms triangles, disputes circles …).
SHAPES = ("circle", "square", "triangle", "diamond", "cross")
DASH = re.compile(r"^\d+(\.\d+)?( \d+(\.\d+)?)+$")


# Labels (Chinese first) of the values layer SQL computes: a route's shift, a grid's coverage band.
SHIFTS = {"day": "白天 day", "night": "夜间 night", "day_and_night": "昼夜 day and night", "all_day": "全天 all day",
          "other": "其他时段 other times"}
COVERAGE_BANDS = {"high": "达标 at target", "medium": "接近 near target", "low": "偏低 low"}
# How far by road a patrol of the period is: within the alarm limit (patrol.alarm_reach_min), twice or three times it.
REACH_BANDS = {"within": "报警时限内 within the alarm limit", "twice": "两倍时限内 within twice the limit",
               "thrice": "三倍时限内 within three times the limit"}
# Why a grid is flagged (gisapp/coverage/sql.py), listed comma-separated in the coverage layers.
COVERAGE_REASONS = {"gap": "有盲区 gap", "share_below_target": "覆盖率低于目标 share below target",
                    "no_camera": "无摄像机 no camera", "cameras_offline": "摄像机离线 cameras offline",
                    "no_patrol": "无巡逻 no patrol", "no_night_patrol": "无夜间巡逻 no night patrol",
                    "open_dispute_in_gap": "盲区内有未结纠纷 open dispute in a gap",
                    "alarm_beyond_patrol_reach": "报警点超出巡逻范围 alarm beyond patrol reach"}
# Vocabularies a property's values may come from (``values = "device_statuses"``): shown by their labels.
VOCABULARIES = {"device_statuses": domain.DEVICE_STATUSES, "camera_kinds": domain.CAMERA_KINDS,
                "patrol_modes": domain.PATROL_MODES, "area_levels": domain.AREA_LEVELS,
                "road_classes": domain.ROAD_CLASSES, "dispute_grades": domain.DISPUTE_GRADES,
                "dispute_statuses": domain.DISPUTE_STATUSES, "dispute_levels": domain.DISPUTE_LEVELS,
                "dispute_sources": domain.DISPUTE_SOURCES, "shifts": SHIFTS, "coverage_bands": COVERAGE_BANDS,
                "coverage_reasons": COVERAGE_REASONS, "reach_bands": REACH_BANDS,
                "site_mounts": domain.SITE_MOUNTS, "key_place_kinds": domain.KEY_PLACE_KINDS,
                "yes_no": domain.YES_NO, "weekdays": domain.WEEKDAYS,
                "satisfaction": {str(score): label for score, label in domain.SATISFACTION.items()},
                "alarm_area_bases": domain.ALARM_AREA_BASES, "map_label_kinds": domain.MAP_LABEL_KINDS,
                # configurable: load_catalogue takes the configured ones
                "dispute_categories": domain.DISPUTE_CATEGORIES}


class CatalogueError(ValueError):
    """A layer file is malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Property:
    name: str
    label: str
    # The labels of its values (Chinese first), when they come from a vocabulary.
    values: dict[str, str] | None = None

    def value_label(self, value) -> str:
        """What a person reads for ``value``: its label when the property has a vocabulary (a yes/no by its
        ``true``/``false`` label, each of a comma-separated list), else itself."""
        if not self.values:
            return value
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, str) and "," in value and value not in self.values:
            return "、".join(self.values.get(v, v) for v in re.split(r"\s*,\s*", value.strip()) if v)
        return self.values.get(str(value), value)


@dataclass(frozen=True)
class Layer:
    id: str
    title: str
    group: str
    geometry: str
    sql: str
    properties: tuple[Property, ...]
    roles: frozenset[str]
    restricted: dict[str, frozenset[str]] = field(default_factory=dict)
    min_zoom: int = 0
    style: dict = field(default_factory=dict)
    editable: str | None = None
    editors: frozenset[str] = frozenset()
    show: bool = True
    heat: bool = False
    # For geometry computed on the fly: an indexed column of the SQL and how far (metres) the
    # computed geometry can reach beyond it, so bbox and tile queries prune by index first.
    prefilter: tuple[str, float] | None = None
    # Personal data (a dispute's parties): never put in tiles, and every view of it is audited.
    personal: frozenset[str] = frozenset()
    # The file it was declared in (several layers share a file with periods), for messages.
    file: str = ""
    # Tables whose changes are seen only where their rows are (a feature stands within the boxes of the
    # rows it shows): a tile's ETag then follows their changes in the tile only (gisapp.regions).
    regional: frozenset[str] = frozenset()
    # A feature's own page, its popup's link: a path with {code} for the feature's code ("/disputes#{code}").
    page: str | None = None

    def visible_to(self, role: str) -> bool:
        return role in self.roles

    def properties_for(self, role: str) -> list[str]:
        """Names of the properties ``role`` may see, in catalogue order."""
        return [p.name for p in self.properties
                if p.name not in self.restricted or role in self.restricted[p.name]]

    def tile_properties_for(self, role: str) -> list[str]:
        """Names of the properties a tile carries for ``role``: never the personal ones."""
        return [name for name in self.properties_for(role) if name not in self.personal]

    def can_edit(self, role: str) -> bool:
        return self.editable is not None and role in self.editors

    @property
    def labels(self) -> bool:
        """Whether the layer gives names to write on the map (``style.label``) rather than shapes to draw."""
        return bool(self.style.get("label"))


def _fail(path: Path, problem: str):
    raise CatalogueError(f"layers/{path.name}: {problem}")


def _roles(path: Path, key: str, value) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        _fail(path, f"{key} must be a list of roles")
    unknown = sorted(set(value) - set(domain.USER_ROLES))
    if unknown:
        _fail(path, f"{key}: unknown role(s) {', '.join(unknown)}; roles are {', '.join(domain.USER_ROLES)}")
    return frozenset(value)


def _style(path: Path, style, names: set[str]) -> dict:
    if not isinstance(style, dict):
        _fail(path, "style must be a table")
    unknown = sorted(set(style) - STYLE_KEYS)
    if unknown:
        _fail(path, f"style: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(STYLE_KEYS))}")
    for key in ("by", "outline_by"):
        if key in style and style[key] not in names:
            _fail(path, f"style.{key}: {style[key]!r} is not one of the layer's properties")
    for key in ("colors", "outline_colors", "radii", "weights", "dashes", "label_zooms"):
        if key in style and not isinstance(style[key], dict):
            _fail(path, f"style.{key} must be a table of values")
    colours = (list(style.get("colors", {}).values()) + list(style.get("outline_colors", {}).values())
               + [style[k] for k in ("color", "casing") if k in style])
    bad = [c for c in colours if not isinstance(c, str) or not COLOUR.match(c)]
    if bad:
        _fail(path, f"style: colours must look like #1f77b4, not {bad[0]!r}")
    numbers = [style[k] for k in ("radius", "weight", "fill_opacity", "outline_weight") if k in style] + \
        list(style.get("radii", {}).values()) + list(style.get("weights", {}).values())
    if any(isinstance(n, bool) or not isinstance(n, (int, float)) or n < 0 for n in numbers):
        _fail(path, "style: radius, weight(s), radii, fill_opacity and outline_weight must be numbers, not negative")
    dashes = list(style.get("dashes", {}).values()) + [style[k] for k in ("dash", "outline_dash") if k in style]
    if any(not isinstance(d, str) or not DASH.match(d) for d in dashes):
        _fail(path, 'style: a dash is lengths in pixels, dash and gap: "6 4"')
    if "shape" in style and style["shape"] not in SHAPES:
        _fail(path, f"style.shape must be one of {', '.join(SHAPES)}")
    if "label" in style:
        if style["label"] not in names:
            _fail(path, f"style.label: {style['label']!r} is not one of the layer's properties")
        zooms = style.get("label_zooms", {})
        if not all(isinstance(z, list) and len(z) == 2 and all(isinstance(n, int) and 0 <= n <= 22 for n in z)
                   and z[0] <= z[1] for z in zooms.values()):
            _fail(path, "style.label_zooms must map each value of style.by to [from zoom, to zoom] (0 to 22)")
    return style


def _parameter(name: str) -> re.Pattern:
    """The bind parameter ``:name`` in SQL (not a ``::type`` cast)."""
    return re.compile(rf"(?<![:\w]):{name}\b")


def _bind(sql: str, values: dict[str, str]) -> str:
    """``sql`` with each ``:name`` of ``values`` replaced by its SQL text (text the catalogue built)."""
    for name, value in values.items():
        sql = _parameter(name).sub(lambda _: value, sql)
    return sql


def _personal(path: Path, data: dict, names: set[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The personal properties and the roles that may see them (``personal = { properties, roles }``)."""
    personal = data.get("personal", {"properties": [], "roles": []})
    if not (isinstance(personal, dict) and set(personal) == {"properties", "roles"}
            and isinstance(personal["properties"], list) and set(personal["properties"]) <= names):
        _fail(path, "personal must be { properties = [\"property\", ...], roles = [\"role\", ...] } "
                    "naming properties of this layer")
    if personal["properties"] and not _parameter("may_see_personal").search(data["sql"]):
        _fail(path, "sql must empty the personal properties unless :may_see_personal")
    return frozenset(personal["properties"]), _roles(path, "personal.roles", personal["roles"])


def _periods(path: Path, data: dict) -> dict[str, str]:
    """The layer's title by period for a file that yields one layer per period, else {}."""
    if "periods" not in data:
        return {}
    periods = data["periods"]
    if not (isinstance(periods, dict) and periods and set(periods) <= set(PERIODS)
            and all(isinstance(t, str) and t.strip() for t in periods.values())):
        _fail(path, f"periods must map periods ({', '.join(PERIODS)}) to layer titles")
    if not _parameter("period").search(data["sql"]):
        _fail(path, "sql must select the period's rows with :period")
    return periods


def parse_layers(path: Path, vocabularies: dict[str, dict[str, str]] = VOCABULARIES) -> list[Layer]:
    """Read and check one layer file: its layer, or one per period; raise CatalogueError naming the file
    and the problem. Property values are labelled from ``vocabularies``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        _fail(path, f"not valid TOML: {exc}")
    unknown = sorted(set(data) - ALLOWED_KEYS)
    if unknown:
        _fail(path, f"unknown key(s) {', '.join(unknown)}")
    # A file with periods titles each period's layer there instead.
    titled = () if "periods" in data else ("title",)
    if "periods" in data and "title" in data:
        _fail(path, "a file with periods gives each period's title there, not a title")
    for key in ("id", *titled, "group", "geometry", "sql", "properties", "roles"):
        if key not in data:
            _fail(path, f"missing key {key!r}")
    for key in ("id", *titled, "group", "geometry", "sql"):
        if not isinstance(data[key], str) or not data[key].strip():
            _fail(path, f"{key} must be a non-empty string")
    if data["id"] != path.stem or not IDENTIFIER.match(data["id"]):
        _fail(path, f"id {data['id']!r} must be the file's name ({path.stem!r}): lower-case letters, digits, '_'")
    if data["geometry"] not in GEOMETRIES:
        _fail(path, f"geometry must be one of {', '.join(GEOMETRIES)}")
    if data["group"] not in GROUPS:
        _fail(path, f"group must be one of {', '.join(GROUPS)}")
    props = data["properties"]
    if not isinstance(props, list) or not props or not all(
            isinstance(p, dict) and {"name", "label"} <= set(p) <= {"name", "label", "values"}
            and IDENTIFIER.match(str(p["name"])) for p in props):
        _fail(path, "properties must be a non-empty list of { name = \"column\", label = \"标签 Label\" } "
                    "(with values = \"vocabulary\" when the values have labels)")
    unknown = sorted({str(p["values"]) for p in props if "values" in p} - set(vocabularies))
    if unknown:
        _fail(path, f"properties: unknown vocabulary {unknown[0]!r}; vocabularies: {', '.join(vocabularies)}")
    names = {p["name"] for p in props}
    restricted = data.get("restricted", {})
    if not isinstance(restricted, dict) or not set(restricted) <= names:
        _fail(path, "restricted must map property names of this layer to lists of roles")
    personal, personal_roles = _personal(path, data, names)
    if personal & set(restricted):
        _fail(path, "a personal property's roles are personal.roles; do not list it under restricted too")
    min_zoom = data.get("min_zoom", 0)
    if not isinstance(min_zoom, int) or not 0 <= min_zoom <= 22:
        _fail(path, "min_zoom must be a whole number from 0 to 22")
    editable = data.get("editable")
    if editable is not None and editable not in ENTITIES:
        _fail(path, f"editable must name an importable layer ({', '.join(ENTITIES)})")
    prefilter = data.get("prefilter")
    if prefilter is not None:
        if not (isinstance(prefilter, dict) and set(prefilter) == {"column", "margin_m"}
                and IDENTIFIER.match(str(prefilter["column"])) and isinstance(prefilter["margin_m"], (int, float))
                and prefilter["margin_m"] >= 0):
            _fail(path, "prefilter must be { column = \"indexed_geometry_column\", margin_m = 500 }")
        prefilter = (prefilter["column"], float(prefilter["margin_m"]))
    regional = data.get("regional", [])
    if not (isinstance(regional, list) and all(isinstance(t, str) and IDENTIFIER.match(t)
                                               and re.search(rf"\b{t}\b", data["sql"]) for t in regional)):
        _fail(path, "regional must list tables the sql reads whose rows stand where their features are "
                    "(regional = [\"camera\"])")
    page = data.get("page")
    if page is not None and not (isinstance(page, str) and page.startswith("/") and "{code}" in page
                                 and "code" in names):
        _fail(path, "page must be a path with {code} (\"/disputes#{code}\"), for a layer with a code property")
    roles_sql = ", ".join(f"'{role}'" for role in sorted(personal_roles)) or "NULL"
    sql = _bind(data["sql"], {"may_see_personal": f"(CAST(:viewer_role AS text) IN ({roles_sql}))"})
    layer = Layer(
        id=data["id"], title=data.get("title", ""), group=data["group"], geometry=data["geometry"], sql=sql,
        properties=tuple(Property(p["name"], p["label"], vocabularies.get(p.get("values"))) for p in props),
        roles=_roles(path, "roles", data["roles"]),
        restricted={**{k: _roles(path, f"restricted.{k}", v) for k, v in restricted.items()},
                    **{name: personal_roles for name in personal}},
        min_zoom=min_zoom, style=_style(path, data.get("style", {}), names), editable=editable,
        editors=_roles(path, "editors", data.get("editors", [])), show=bool(data.get("show", True)),
        heat=bool(data.get("heat", False)), prefilter=prefilter, personal=personal, file=f"layers/{path.name}",
        regional=frozenset(regional), page=page)
    if layer.labels and layer.geometry != "point":
        _fail(path, "a layer of labels (style.label) gives points: geometry = \"point\"")
    periods = _periods(path, data)
    # The periods are alternatives (a radio switch): only the first may be shown at first.
    return [replace(layer, id=f"{layer.id}_{period}", title=title, sql=_bind(sql, {"period": f"'{period}'"}),
                    show=layer.show and n == 0)
            for n, (period, title) in enumerate(periods.items())] or [layer]


def load_catalogue(directory: Path = LAYERS_DIR, categories: dict[str, str] | None = None) -> dict[str, Layer]:
    """Every layer under ``directory``, in file-name order; dispute categories labelled from ``categories``
    (the configured ones) when given."""
    files = sorted(Path(directory).glob("*.toml"))
    if not files:
        raise CatalogueError(f"{directory}: no layer files (*.toml)")
    vocabularies = {**VOCABULARIES, **({"dispute_categories": categories} if categories else {})}
    return {layer.id: layer for path in files for layer in parse_layers(path, vocabularies)}


def check_against_database(catalogue: dict[str, Layer], conn, params: dict) -> None:
    """Run each layer's SQL with no rows wanted: it must yield fid, geom and every property; and each
    ``regional`` table must have its changes noted where they were."""
    noted = noted_tables(conn)
    for layer in catalogue.values():
        unnoted = ", ".join(sorted(layer.regional - noted))
        if unnoted:
            raise CatalogueError(f"{layer.file}: regional: no note of where {unnoted} changed "
                                 f"(tables noted: {', '.join(sorted(noted))})")
        try:
            result = conn.execute(text(f"SELECT * FROM ({layer.sql}) AS src LIMIT 0"), params)
        except Exception as exc:  # noqa: BLE001 - any failure is the file's problem
            conn.rollback()
            raise CatalogueError(f"{layer.file}: sql fails: {str(exc).splitlines()[0]}") from exc
        wanted = {"fid", "geom"} | {p.name for p in layer.properties} | ({layer.prefilter[0]} if layer.prefilter else set())
        if layer.labels:  # where a name is written along its feature, and how long that feature is
            wanted |= {"angle", "size_m"}
        missing = wanted - set(result.keys())
        if missing:
            raise CatalogueError(f"{layer.file}: sql yields no column(s) {', '.join(sorted(missing))}")
