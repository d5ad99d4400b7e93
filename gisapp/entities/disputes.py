"""矛盾纠纷 disputes: graded points followed through a closed loop; village and grid by location."""
from __future__ import annotations

import pandas as pd

from gisapp import domain
from gisapp.entities.entity import CODE, Entity, Field, enum
from gisapp.models import Dispute


def check_dates(v) -> None:
    """Due dates default to receipt plus the grade's days; a closing date exactly when closed."""
    values, due_days = v.values, v.settings["dispute_due_days"]
    received, status = values["received_at"], values["status"]
    default_due = received + pd.to_timedelta(values["grade"].map(due_days).fillna(0), unit="D")
    values["due_at"] = values["due_at"].where(values["due_at"].notna(), default_due)
    v.fail(values["due_at"] < received, "due_at", "must not be before received_at")
    closed = values["closed_at"]
    v.fail((status == "closed") & closed.isna(), "closed_at", "is required when status is closed")
    v.fail((status != "closed") & status.notna() & closed.notna(), "closed_at",
           "must be empty unless status is closed")
    v.fail(closed < received, "closed_at", "must not be before received_at")


ENTITY = Entity(
    "disputes", Dispute, "矛盾纠纷 disputes", "dispute", "point",
    (CODE, enum("category", domain.DISPUTE_CATEGORIES, aliases=("类别",), values_setting="dispute_categories"),
     Field("summary", required=True, max_len=2000, aliases=("摘要", "内容")),
     Field("parties", max_len=500, aliases=("当事人",)),
     Field("parties_phone", max_len=20, aliases=("当事人电话",)),
     enum("grade", domain.DISPUTE_GRADES, aliases=("等级",)),
     enum("status", domain.DISPUTE_STATUSES, required=False, default="received", aliases=("状态",)),
     enum("source", domain.DISPUTE_SOURCES, required=False, default="other", aliases=("来源",),
          synonyms={"12345": "hotline"}),
     Field("received_at", "datetime", required=True, aliases=("受理时间",)),
     Field("due_at", "datetime", help="empty: received_at plus the grade's days from configuration"),
     Field("closed_at", "datetime", help="required when, and only when, status is closed")),
    "SELECT d.code, d.category, d.summary, d.parties, d.parties_phone, d.grade, d.status, d.source, "
    "d.received_at, d.due_at, d.closed_at, v.code AS village_code, g.code AS grid_code, d.geom "
    "FROM dispute d LEFT JOIN admin_area v ON v.id = d.village_id "
    "LEFT JOIN grid g ON g.id = d.grid_id ORDER BY d.code",
    ignored_on_import=("village_code", "grid_code"),
    # The database gives each dispute the village and grid its point lies in.
    after=("areas", "grids"),
    rule=check_dates,
    counts=(("矛盾纠纷 disputes", None), ("矛盾纠纷 open disputes", "status <> 'closed'")),
)
