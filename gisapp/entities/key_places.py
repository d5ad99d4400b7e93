"""重点部位 key places: schools, markets, clinics, village entrances, crossroads … some that must be covered."""
from __future__ import annotations

from gisapp import domain
from gisapp.entities.entity import CODE, Entity, Field, enum
from gisapp.models import KeyPlace

ENTITY = Entity(
    "key_places", KeyPlace, "重点部位 key places", "key place", "point",
    (CODE, Field("name", required=True, max_len=200, aliases=("名称",)),
     enum("kind", domain.KEY_PLACE_KINDS, aliases=("类型",)),
     Field("must_cover", "bool", default=False, aliases=("必须覆盖",),
           help="true when cameras must watch it (set covering plans for every such place)")),
    "SELECT code, name, kind, must_cover, geom FROM key_place ORDER BY code",
    counts=(("重点部位 key places", None),),
)
