"""行政区 administrative areas: counties, townships and villages with their statistical codes."""
from __future__ import annotations

from gisapp import domain
from gisapp.entities.entity import NAME, Entity, Field, Subset, enum
from gisapp.models import AdminArea


def check_code_length(v) -> None:
    """A county's code has 6 digits, a township's 9, a village's 12."""
    code, level = v.values["code"].astype("string"), v.values["level"]
    expected = level.map(domain.AREA_CODE_LENGTH)
    bad = code.notna() & level.notna() & ~(code.str.fullmatch(r"\d+").fillna(False) & (code.str.len() == expected))
    v.fail(bad, "code", lambda i: f"a {level[i]} code has {domain.AREA_CODE_LENGTH[level[i]]} digits: got {code[i]!r}")


ENTITY = Entity(
    "areas", AdminArea, "行政区 administrative areas", "administrative area", "polygon",
    (Field("code", required=True, aliases=("编码", "区划代码"),
           help="statistical division code: 6 digits county, 9 township, 12 village"),
     NAME,
     enum("level", domain.AREA_LEVELS, synonyms={"县": "county", "乡镇": "township", "街道": "township",
                                                  "村": "village", "社区": "village"}, aliases=("级别",)),
     Field("parent_code", "ref", ref="areas", aliases=("上级编码",),
           help="code of the county or township above (may be in the same file)")),
    "SELECT a.code, a.name, a.level, p.code AS parent_code, a.geom FROM admin_area a "
    "LEFT JOIN admin_area p ON p.id = a.parent_id "
    "ORDER BY array_position(ARRAY['county','township','village'], a.level::text), a.code",
    subsets={"villages": Subset("level = 'village'", "village")},
    rule=check_code_length,
    counts=(("行政区 administrative areas", None), ("村/社区 villages", "level = 'village'")),
)
