"""道路 roads: segments for routing and for the area of concern."""
from __future__ import annotations

from gisapp import domain
from gisapp.entities.entity import Entity, Field, enum
from gisapp.models import Road

ENTITY = Entity(
    "roads", Road, "道路 roads", "road", "line",
    (enum("road_class", domain.ROAD_CLASSES, aliases=("highway", "class", "等级"),
          synonyms={"unclassified": "tertiary", "motorway": "trunk", "living_street": "residential",
                    "footway": "path", "cycleway": "path"}),
     Field("name", max_len=100, aliases=("名称",))),
    "SELECT road_class, name, geom FROM road ORDER BY id", has_code=False,
    counts=(("道路 road segments", None),),
)
