"""网格 grids: the cells of a village, each with its grid workers."""
from __future__ import annotations

from gisapp.entities.entity import CODE, NAME, Entity, Field
from gisapp.models import Grid

ENTITY = Entity(
    "grids", Grid, "网格 grids", "grid", "polygon",
    (CODE, NAME,
     Field("village_code", "ref", required=True, ref="villages", aliases=("村编码",)),
     Field("population", "int", minimum=0, aliases=("人口",))),
    "SELECT g.code, g.name, a.code AS village_code, g.population, g.geom FROM grid g "
    "JOIN admin_area a ON a.id = g.village_id ORDER BY g.code",
)
