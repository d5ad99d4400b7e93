"""巡防基地 patrol bases: police stations, police rooms and teams' stations, where routes start and end."""
from __future__ import annotations

from gisapp import domain
from gisapp.entities.entity import CODE, NAME, Entity, Field, enum
from gisapp.models import PatrolBase

ENTITY = Entity(
    "bases", PatrolBase, "巡防基地 patrol bases", "patrol base", "point",
    (CODE, NAME,
     enum("kind", domain.BASE_KINDS, aliases=("类型",), synonyms={"驻地": "team_station"}),
     Field("team_code", "ref", ref="teams", aliases=("队伍",),
           help="the team based here: its routes start and end here by default")),
    "SELECT b.code, b.name, b.kind, t.code AS team_code, b.geom FROM patrol_base b "
    "LEFT JOIN patrol_team t ON t.id = b.team_id ORDER BY b.code",
)
