"""天网 cameras: a point, a kind, a view (azimuth, field of view, range) and a status."""
from __future__ import annotations

import pandas as pd

from gisapp import domain
from gisapp.entities.entity import CODE, Entity, Field, enum
from gisapp.models import Camera


def check_view(v) -> None:
    """A bullet camera faces somewhere; azimuths wrap to [0, 360); the field of view defaults by kind."""
    kind, azimuth, fov = v.values["kind"], v.values["azimuth"], v.values["fov_deg"]
    v.fail((kind == "bullet") & azimuth.isna(), "azimuth", "is required for a fixed bullet camera")
    v.values["azimuth"] = azimuth.map(lambda a: None if pd.isna(a) else float(a) % 360)
    v.values["fov_deg"] = fov.where(fov.notna(), kind.map({"bullet": 60.0}).fillna(360.0))


ENTITY = Entity(
    "cameras", Camera, "天网 cameras", "camera", "point",
    (CODE, Field("name", required=True, max_len=200, aliases=("名称",)),
     enum("kind", domain.CAMERA_KINDS, aliases=("camera:type", "类型"),
          synonyms={"fixed": "bullet", "panning": "dome", "ptz": "dome", "枪机": "bullet", "球机": "dome"}),
     Field("azimuth", "float", minimum=0, maximum=360, aliases=("camera:direction", "direction", "朝向"),
           help="degrees clockwise from north (or N, NE, E, ...); required for a bullet camera"),
     Field("fov_deg", "float", minimum=1, maximum=360, aliases=("fov", "视场角"),
           help="horizontal field of view in degrees; default 360 for domes, 60 for bullets"),
     Field("range_m", "float", required=True, minimum=0.1, maximum=3000, aliases=("range", "距离")),
     enum("status", domain.DEVICE_STATUSES, aliases=("状态",)),
     Field("owner", max_len=200, aliases=("operator", "所属")),
     Field("night_vision", "bool", default=False, aliases=("夜视",)),
     Field("installed_on", "date", aliases=("安装日期",)),
     Field("height_m", "float", minimum=0, maximum=300, aliases=("height", "高度")),
     Field("cost", "float", minimum=0, aliases=("造价",), help="what it cost or will cost (yuan)")),
    "SELECT code, name, kind, azimuth, fov_deg, range_m, status, owner, night_vision, "
    "installed_on, height_m, cost, geom FROM camera ORDER BY code",
    rule=check_view,
    counts=(("天网 cameras", None), ("天网 cameras online", "status = 'online'")),
)
