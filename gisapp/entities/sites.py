"""候选点位 candidate camera sites: where a camera can be mounted, which kinds it takes, its height and cost."""
from __future__ import annotations

from gisapp import domain
from gisapp.entities.entity import CODE, Entity, Field, enum
from gisapp.models import CameraSite

ENTITY = Entity(
    "sites", CameraSite, "候选点位 candidate camera sites", "candidate site", "point",
    (CODE, Field("name", max_len=200, aliases=("名称",)),
     enum("mounts", domain.SITE_MOUNTS, required=False, default="any", aliases=("kinds", "可装类型"),
          synonyms={"both": "any", "枪机": "bullet", "球机": "dome"},
          help="which cameras the site takes: any, bullet or dome"),
     Field("height_m", "float", minimum=0, maximum=300, aliases=("height", "安装高度"), help="mount height in metres"),
     Field("cost", "float", minimum=0, aliases=("造价", "费用"),
           help="cost of a camera here (yuan); empty: siting.default_cost")),
    "SELECT code, name, mounts, height_m, cost, geom FROM camera_site ORDER BY code",
    counts=(("候选点位 candidate sites", None),),
)
