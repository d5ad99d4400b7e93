"""人网 patrol routes: a line walked or driven by a team, in daily time windows, on weekdays."""
from __future__ import annotations

from gisapp import domain
from gisapp.entities.entity import CODE, NAME, Entity, Field, Link, enum
from gisapp.models import PatrolRoute

WINDOWS_SQL = ("(SELECT string_agg(to_char(w.starts, 'HH24:MI') || '-' || to_char(w.ends, 'HH24:MI'), ',' "
               "ORDER BY w.starts) FROM patrol_window w WHERE w.route_id = r.id)")

ENTITY = Entity(
    "routes", PatrolRoute, "人网 patrol routes", "patrol route", "line",
    (CODE, NAME, Field("team_code", "ref", required=True, ref="teams", aliases=("队伍",)),
     enum("mode", domain.PATROL_MODES, aliases=("方式",),
          synonyms={"e-bike": "ebike", "motorbike": "motorcycle", "walk": "foot"}),
     Field("sight_width_m", "float", minimum=0.1, maximum=500,
           help="metres seen on each side; empty: the default for the mode"),
     Field("time_windows", "windows", aliases=("时段",), link=Link("patrol_window", "route_id"),
           help="HH:MM-HH:MM, comma-separated; a window may cross midnight; empty: all day"),
     Field("weekdays", "weekdays", default=[1, 2, 3, 4, 5, 6, 7], help="1 (Monday) to 7, comma-separated"),
     Field("active", "bool", default=True)),
    "SELECT r.code, r.name, t.code AS team_code, r.mode, r.sight_width_m, "
    f"{WINDOWS_SQL} AS time_windows, array_to_string(r.weekdays, ',') AS weekdays, "
    "r.active, r.geom FROM patrol_route r JOIN patrol_team t ON t.id = r.team_id ORDER BY r.code",
)
