"""巡防队 patrol teams (their leader is set by the people layer)."""
from __future__ import annotations

from gisapp.entities.entity import CODE, NAME, Entity
from gisapp.models import PatrolTeam

ENTITY = Entity(
    "teams", PatrolTeam, "巡防队 patrol teams", "patrol team", None, (CODE, NAME),
    "SELECT t.code, t.name FROM patrol_team t ORDER BY t.code",
)
