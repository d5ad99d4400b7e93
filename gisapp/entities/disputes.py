"""矛盾纠纷 disputes: graded points followed through a closed loop; village and grid by location.

The export carries every field of a dispute that another server can take in: its closed loop's
state (level, assignee, return visit, version), whether its place is approximate, the login of the
account that took it in, and its times to the microsecond. Not its history (``dispute_event``),
which only a backup keeps (``gisapp backup``).
"""
from __future__ import annotations

import pandas as pd

from gisapp import domain
from gisapp.entities.entity import CODE, Entity, Field, enum
from gisapp.models import Dispute

# What ``created_by`` names: an account, by its login (resolved by gisapp.io.load.make_resolver).
ACCOUNTS = "accounts"


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
    revisited, satisfaction = values["revisited_at"], values["satisfaction"]
    v.fail(revisited.notna() != satisfaction.notna(), "satisfaction",
           "a return visit has both revisited_at and satisfaction, or neither")
    v.fail(revisited.notna() & status.notna() & (status != "closed"), "revisited_at",
           "only a closed dispute is visited back")
    v.fail(revisited < received, "revisited_at", "must not be before received_at")


def check_account(v) -> None:
    """``created_by`` names an account by its login; it is stored as the account's id."""
    logins = v.values["created_by"]
    named = sorted({login for login in logins if isinstance(login, str)})
    ids = v.resolve(ACCOUNTS, named) if named else {}
    v.fail(logins.map(lambda login: isinstance(login, str) and login not in ids), "created_by",
           lambda i: f"no account with login {logins[i]!r} (add it with gisapp user add, or leave the field empty)")
    v.values["created_by"] = pd.Series([ids.get(login) if isinstance(login, str) else None for login in logins],
                                       index=logins.index, dtype=object)


def check_row(v) -> None:
    check_dates(v)
    check_account(v)


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
     Field("closed_at", "datetime", help="required when, and only when, status is closed"),
     enum("level", domain.DISPUTE_LEVELS, required=False, default="village", aliases=("层级",)),
     Field("assignee", max_len=200, aliases=("承办", "承办人"), help="whom it is routed to"),
     Field("revisited_at", "datetime", aliases=("回访时间",), help="the return visit, after closure"),
     Field("satisfaction", "int", minimum=1, maximum=5, aliases=("满意度", "回访满意度"),
           help="the return visit's score, 1 to 5"),
     Field("version", "int", minimum=1, default=1, aliases=("版本",),
           help="how many times it was changed (the API's optimistic lock)"),
     Field("location_approx", "bool", default=False, aliases=("位置近似",),
           help="true when only its grid or village is known"),
     Field("created_by", max_len=64, aliases=("登记人",),
           help="login of the account that took it in; that account must exist")),
    "SELECT d.code, d.category, d.summary, d.parties, d.parties_phone, d.grade, d.status, d.source, "
    "d.received_at, d.due_at, d.closed_at, d.level, d.assignee, d.revisited_at, d.satisfaction, d.version, "
    "d.location_approx, u.login AS created_by, v.code AS village_code, g.code AS grid_code, d.geom "
    "FROM dispute d LEFT JOIN admin_area v ON v.id = d.village_id "
    "LEFT JOIN grid g ON g.id = d.grid_id LEFT JOIN app_user u ON u.id = d.created_by ORDER BY d.code",
    ignored_on_import=("village_code", "grid_code"),
    # The database gives each dispute the village and grid its point lies in.
    after=("areas", "grids"),
    rule=check_row,
    counts=(("矛盾纠纷 disputes", None), ("矛盾纠纷 open disputes", "status <> 'closed'")),
)
