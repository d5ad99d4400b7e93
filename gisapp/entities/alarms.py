"""地网 one-button alarms: an enterprise's alarm point, its premises or response radius, its cameras."""
from __future__ import annotations

from gisapp import domain
from gisapp.entities.entity import CODE, Entity, Field, Link, enum
from gisapp.models import AlarmPoint

ENTITY = Entity(
    "alarms", AlarmPoint, "地网 one-button alarms", "alarm point", "point",
    (CODE, Field("enterprise", required=True, max_len=200, aliases=("企业", "单位")),
     enum("status", domain.DEVICE_STATUSES, aliases=("状态",)),
     Field("response_radius_m", "float", minimum=1, maximum=5000, default=200.0, aliases=("响应半径",)),
     Field("contact_name", max_len=100, aliases=("联系人",)),
     Field("contact_phone", max_len=20, aliases=("联系电话",)),
     Field("cameras", "refs", ref="cameras", help="codes of the linked cameras, comma-separated",
           link=Link("alarm_camera", "alarm_id", "camera_id")),
     Field("premises_wkt", "wkt", column="premises", help="premises polygon as WKT in lon/lat (optional)")),
    "SELECT a.code, a.enterprise, a.status, a.response_radius_m, a.contact_name, a.contact_phone, "
    "(SELECT string_agg(c.code, ',' ORDER BY c.code) FROM alarm_camera ac "
    " JOIN camera c ON c.id = ac.camera_id WHERE ac.alarm_id = a.id) AS cameras, "
    "ST_AsText(a.premises) AS premises_wkt, a.geom FROM alarm_point a ORDER BY a.code",
)
