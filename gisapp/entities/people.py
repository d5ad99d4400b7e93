"""人网 people: police, auxiliary police, coordinators, grid workers and patrollers."""
from __future__ import annotations

from gisapp import domain
from gisapp.entities.entity import CODE, NAME, Entity, Field, Link, Mark, enum
from gisapp.models import Person


def check_leader_has_team(v) -> None:
    """Whoever leads a team names it."""
    v.fail((v.values["leads_team"] == True) & v.values["team_code"].isna(), "leads_team",  # noqa: E712
           "a team leader needs a team_code")


ENTITY = Entity(
    "people", Person, "人网 people", "person", None,
    (CODE, NAME, enum("role", domain.PERSON_ROLES, aliases=("角色",)),
     Field("phone", max_len=20, aliases=("电话", "手机")),
     Field("team_code", "ref", ref="teams", aliases=("队伍",)),
     Field("leads_team", "bool", default=False, help="true for the leader of team_code",
           mark=Mark("patrol_team", "leader_id", via="team_code")),
     Field("villages", "refs", ref="villages", help="codes of the villages assigned, comma-separated",
           link=Link("person_assignment", "person_id", "area_id")),
     Field("grids", "refs", ref="grids", help="codes of the grids assigned, comma-separated",
           link=Link("person_assignment", "person_id", "grid_id"))),
    "SELECT p.code, p.name, p.role, p.phone, t.code AS team_code, "
    "coalesce(t.leader_id = p.id, false) AS leads_team, "
    "(SELECT string_agg(a.code, ',' ORDER BY a.code) FROM person_assignment pa "
    " JOIN admin_area a ON a.id = pa.area_id WHERE pa.person_id = p.id) AS villages, "
    "(SELECT string_agg(g.code, ',' ORDER BY g.code) FROM person_assignment pa "
    " JOIN grid g ON g.id = pa.grid_id WHERE pa.person_id = p.id) AS grids "
    "FROM person p LEFT JOIN patrol_team t ON t.id = p.team_id ORDER BY p.code",
    rule=check_leader_has_team,
)
