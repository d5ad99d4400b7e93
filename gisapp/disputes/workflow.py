"""The closed loop of a dispute: intake, status steps, escalation, grading and the return visit.

Status moves only forward, one step at a time: 受理 received → 分流 routed → 办理 handling →
反馈 feedback → 结单 closed; a closed dispute may have one 回访 return visit. Every change names the
version it was made against (optimistic locking): a stale version is refused, so two users never
overwrite each other. Each change appends one row to ``dispute_event``. The caller owns the
transaction; refusals raise ``WorkflowError`` with the HTTP status to give. ``actor`` is the
signed-in user (``gisapp.auth.SignedInUser``: id, login, role, grid_ids).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import text

from gisapp import clock, domain
from gisapp.editing import EditError, create_feature
from gisapp.reach import reaches

STATUSES = list(domain.DISPUTE_STATUSES)  # in their order
LEVELS = list(domain.DISPUTE_LEVELS)      # lowest first
# What each role may do: the center everything; a grid worker, in its own grids, the steps on the ground.
GRID_WORKER_STEPS = {"handling", "feedback"}
MAX_REMARK = 2000
# The moves that must say what was done: the result reported back, the conclusion of closing (sending back and
# notes need their remark too: send_back, note).
REMARK_NEEDED = {"feedback": "the result of the handling", "closed": "the conclusion"}
# A return visit at or below this satisfaction (不满意 dissatisfied) lets the center reopen a closed dispute.
REOPEN_AT_MOST = 2


class WorkflowError(ValueError):
    """A refused change: ``status`` is the HTTP status, ``field`` the field the message is about."""

    def __init__(self, status: int, field: str, message: str, **extra):
        self.status, self.field, self.extra = status, field, extra
        super().__init__(f"{field}: {message}")


def next_statuses(status: str) -> list[str]:
    """The statuses a dispute in ``status`` may move to (none once closed)."""
    position = STATUSES.index(status)
    return STATUSES[position + 1:position + 2]


def due_at(received_at: dt.datetime, grade: str, settings: dict) -> dt.datetime:
    """The due date of a dispute of ``grade`` received at ``received_at`` (days from configuration)."""
    return received_at + dt.timedelta(days=settings["dispute_due_days"][grade])


def _text(body: dict, field: str, *, limit: int = MAX_REMARK) -> str | None:
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise WorkflowError(400, field, "must be text")
    if len(value) > limit:
        raise WorkflowError(400, field, f"must be at most {limit} characters (got {len(value)})")
    return value.strip()


def _location(conn, body: dict) -> tuple[tuple[float, float], bool]:
    """The point of a new dispute, and whether it is only approximate (a grid or village picked)."""
    if body.get("lon") is not None or body.get("lat") is not None:
        try:
            lon, lat = float(body["lon"]), float(body["lat"])
        except (KeyError, TypeError, ValueError):
            raise WorkflowError(400, "lon, lat", "give both, as numbers (degrees, EPSG:4326)") from None
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise WorkflowError(400, "lon, lat", "out of range (longitude ±180, latitude ±90)")
        return (lon, lat), False
    for field, sql in (("grid", "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grid "
                                "WHERE code = :code) x"),
                       ("village", "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_area "
                                   "WHERE code = :code AND level = 'village') x")):
        if body.get(field) not in (None, ""):
            point = conn.execute(text(sql), {"code": str(body[field])}).first()
            if point is None:
                raise WorkflowError(400, field, f"no {field} with code {body[field]!r}")
            return (point[0], point[1]), True
    raise WorkflowError(400, "location", "give lon and lat, or the code of a grid or of a village")


def intake(conn, actor, body: dict, settings: dict) -> str:
    """Take in a new dispute from ``body``; return its code. Village and grid follow from the place."""
    if not isinstance(body, dict):
        raise WorkflowError(400, "body", "must be a JSON object")
    (lon, lat), approx = _location(conn, body)
    grid_id = conn.execute(text(
        "SELECT id FROM grid WHERE geom && ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) "
        "AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) ORDER BY code LIMIT 1"),
        {"lon": lon, "lat": lat}).scalar()
    if grid_id is None:
        raise WorkflowError(400, "lon, lat", f"({lon}, {lat}) lies outside every grid of the area")
    if not reaches(actor, grid_id):
        raise WorkflowError(403, "location", "lies outside your grids")
    now = clock.now()
    number = conn.execute(text("SELECT nextval('dispute_code_seq')")).scalar()
    properties = {k: body.get(k) for k in ("category", "summary", "parties", "parties_phone", "grade", "source")}
    day = now.astimezone(ZoneInfo(settings["timezone"]))  # the code's date is the day people live in, not UTC's
    properties.update(code=f"D{day:%Y%m%d}-{number:06d}", status="received", received_at=now.isoformat(),
                      due_at=None, closed_at=None)
    if properties["source"] is None:
        properties["source"] = "grid_worker" if actor.role == "grid_worker" else "other"
    feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}
    try:
        code = create_feature(conn, "disputes", feature, settings)
    except EditError as exc:
        first = exc.problems[0]
        raise WorkflowError(exc.status, first.field, first.problem,
                            problems=[{"field": p.field, "problem": p.problem} for p in exc.problems]) from None
    # The importer's checks filled the due date from the grade (configuration's days).
    dispute_id, grade = conn.execute(text(
        "UPDATE dispute SET location_approx = :approx, created_by = :actor WHERE code = :code RETURNING id, grade"),
        {"approx": approx, "actor": actor.id, "code": code}).one()
    _record(conn, dispute_id, actor, now, "intake", to_status="received", grade=grade, level="village",
            remark=_text(body, "remark"))
    return code


def _locked(conn, code: str, body: dict) -> dict:
    """The dispute ``code``, locked for this transaction, checked against the version in ``body``."""
    if not isinstance(body, dict):
        raise WorkflowError(400, "body", "must be a JSON object")
    row = conn.execute(text(
        "SELECT id, status, level, grade, version, grid_id, received_at, revisited_at, satisfaction, assignee "
        "FROM dispute "
        "WHERE code = :code FOR UPDATE"), {"code": code}).mappings().first()
    if row is None:
        raise WorkflowError(404, "code", f"no dispute {code!r}")
    version = body.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise WorkflowError(400, "version", "is required: the version you last read (a whole number)")
    if version != row["version"]:
        raise WorkflowError(409, "version", f"the dispute was changed by someone else: it is at version "
                                            f"{row['version']} (status {row['status']}), you sent {version}; "
                                            "read it again", current_version=row["version"], current_status=row["status"])
    return dict(row)


def _may(actor, dispute: dict, grid_workers_too: bool) -> bool:
    """Whether ``actor`` may act on ``dispute``: the center always; a grid worker, in its own grids, when
    the change is one of theirs (``grid_workers_too``)."""
    return actor.role == "center" or (grid_workers_too and actor.role == "grid_worker"
                                      and reaches(actor, dispute["grid_id"]))


def _require(actor, dispute: dict, allowed: bool, what: str) -> None:
    if _may(actor, dispute, allowed):
        return
    raise WorkflowError(403, "role", f"the role {actor.role!r} may not {what} this dispute")


def allowed_changes(conn, actor, code: str) -> dict | None:
    """What ``actor`` may do to dispute ``code`` now, by the rules the changes below enforce (None when
    there is no such dispute): ``status`` the next statuses it may move it to, ``escalate`` the levels it
    may raise it to, ``grade`` the grades it may give it (not the one it has), ``revisit`` whether it may
    record the return visit, ``return`` send it back to handling, ``assign`` reassign it, ``note`` write down
    progress. The page offers these and nothing else; the changes still check everything."""
    dispute = conn.execute(text("SELECT status, level, grade, grid_id, revisited_at, satisfaction FROM dispute "
                                "WHERE code = :code"),
                           {"code": code}).mappings().first()
    if dispute is None:
        return None
    is_open, supervises = dispute["status"] != "closed", _may(actor, dispute, False)
    return {"status": [s for s in next_statuses(dispute["status"]) if _may(actor, dispute, s in GRID_WORKER_STEPS)],
            "escalate": LEVELS[LEVELS.index(dispute["level"]) + 1:] if is_open and supervises else [],
            "grade": [g for g in domain.DISPUTE_GRADES if g != dispute["grade"]] if is_open and supervises else [],
            "revisit": not is_open and dispute["revisited_at"] is None and _may(actor, dispute, True),
            "return": supervises and _returnable(dispute),
            "assign": supervises and dispute["status"] in ("routed", "handling"),
            "note": is_open and _may(actor, dispute, True)}


def _returnable(dispute: dict) -> bool:
    """Whether the dispute may go back to handling: its result reported back, or closed and visited back
    dissatisfied (satisfaction at most REOPEN_AT_MOST)."""
    return dispute["status"] == "feedback" or (
        dispute["status"] == "closed" and dispute["satisfaction"] is not None
        and dispute["satisfaction"] <= REOPEN_AT_MOST)


def waiting_on(role: str) -> list[str]:
    """The open statuses whose next step is ``role``'s: a grid worker's lead to its steps on the ground
    (handling, feedback), the center's to the others (it routes and closes); none for other roles."""
    if role not in ("center", "grid_worker"):
        return []
    return [s for s in STATUSES[:-1] if (next_statuses(s)[0] in GRID_WORKER_STEPS) == (role == "grid_worker")]


def _record(conn, dispute_id: int, actor, at: dt.datetime, action: str, **values) -> None:
    conn.execute(text(
        "INSERT INTO dispute_event (dispute_id, at, actor_id, actor, action, from_status, to_status, level, grade, "
        "assignee, satisfaction, remark) VALUES (:dispute_id, :at, :actor_id, :actor, :action, :from_status, "
        ":to_status, :level, :grade, :assignee, :satisfaction, :remark)"),
        {"from_status": None, "to_status": None, "level": None, "grade": None, "assignee": None,
         "satisfaction": None, "remark": None, **values,
         "dispute_id": dispute_id, "at": at, "actor_id": actor.id, "actor": actor.login, "action": action})


def _bump(conn, dispute: dict, assignments: str, values: dict) -> None:
    """Change the dispute (``assignments``, SQL; none: only a new version) and count a version more."""
    conn.execute(text(f"UPDATE dispute SET {assignments + ', ' if assignments else ''}version = version + 1 "
                      "WHERE id = :id"),
                 dict(values, id=dispute["id"]))


def change_status(conn, actor, code: str, body: dict) -> None:
    """Move the dispute one step forward to ``body['status']`` (routing needs ``assignee``)."""
    dispute = _locked(conn, code, body)
    target = body.get("status")
    allowed = next_statuses(dispute["status"])
    if target not in STATUSES:
        raise WorkflowError(400, "status", f"unknown status {target!r}; statuses: {', '.join(STATUSES)}")
    if target not in allowed:
        raise WorkflowError(409, "status", f"cannot go from {dispute['status']!r} to {target!r}; allowed next: "
                                           f"{', '.join(allowed) or 'none (the dispute is closed)'}",
                            current_status=dispute["status"], allowed=allowed)
    _require(actor, dispute, target in GRID_WORKER_STEPS, f"move to {target!r}")
    assignee = _text(body, "assignee", limit=200)
    if target == "routed" and assignee is None:
        raise WorkflowError(400, "assignee", "is required to route: the department or person it goes to")
    remark, now = _text(body, "remark"), clock.now()
    if target in REMARK_NEEDED and remark is None:
        raise WorkflowError(400, "remark", f"is required to move to {target!r}: {REMARK_NEEDED[target]}")
    _bump(conn, dispute, "status = CAST(:status AS varchar), assignee = coalesce(:assignee, assignee), "
                         "closed_at = CASE WHEN CAST(:status AS varchar) = 'closed' THEN CAST(:now AS timestamptz) END",
          {"status": target, "assignee": assignee, "now": now})
    _record(conn, dispute["id"], actor, now, "status", from_status=dispute["status"], to_status=target,
            assignee=assignee, remark=remark)


def escalate(conn, actor, code: str, body: dict) -> None:
    """Raise an open dispute's level (village → township → county): 小事不出村、大事不出镇."""
    dispute = _locked(conn, code, body)
    _require(actor, dispute, False, "escalate")
    level = body.get("level")
    if level not in LEVELS:
        raise WorkflowError(400, "level", f"unknown level {level!r}; levels: {', '.join(LEVELS)}")
    if dispute["status"] == "closed":
        raise WorkflowError(409, "status", "the dispute is closed; it cannot be escalated")
    higher = LEVELS[LEVELS.index(dispute["level"]) + 1:]
    if level not in higher:
        raise WorkflowError(409, "level", f"the dispute is at {dispute['level']!r}; it can only go up to: "
                                          f"{', '.join(higher) or 'nothing higher'}", current_level=dispute["level"])
    now = clock.now()
    _bump(conn, dispute, "level = :level", {"level": level})
    _record(conn, dispute["id"], actor, now, "escalate", level=level, remark=_text(body, "remark"))


def regrade(conn, actor, code: str, body: dict, settings: dict) -> None:
    """Set an open dispute's grade (the center's call); its due date follows from the new grade."""
    dispute = _locked(conn, code, body)
    _require(actor, dispute, False, "grade")
    grade = body.get("grade")
    if grade not in domain.DISPUTE_GRADES:
        raise WorkflowError(400, "grade", f"unknown grade {grade!r}; grades: {', '.join(domain.DISPUTE_GRADES)}")
    if dispute["status"] == "closed":
        raise WorkflowError(409, "status", "the dispute is closed; its grade is final")
    now = clock.now()
    _bump(conn, dispute, "grade = :grade, due_at = :due",
          {"grade": grade, "due": due_at(dispute["received_at"], grade, settings)})
    _record(conn, dispute["id"], actor, now, "grade", grade=grade, remark=_text(body, "remark"))


def revisit(conn, actor, code: str, body: dict) -> None:
    """Record the one return visit (回访) of a closed dispute, with a satisfaction score of 1 to 5."""
    dispute = _locked(conn, code, body)
    _require(actor, dispute, True, "visit back")
    score = body.get("satisfaction")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise WorkflowError(400, "satisfaction", "must be a whole number from 1 to 5")
    if dispute["status"] != "closed":
        raise WorkflowError(409, "status", f"a return visit follows closure; the dispute is {dispute['status']!r}",
                            current_status=dispute["status"])
    if dispute["revisited_at"] is not None:
        raise WorkflowError(409, "revisited_at", "the dispute has had its return visit already")
    now = clock.now()
    _bump(conn, dispute, "revisited_at = :now, satisfaction = :score", {"now": now, "score": score})
    _record(conn, dispute["id"], actor, now, "revisit", satisfaction=score, remark=_text(body, "remark"))


def send_back(conn, actor, code: str, body: dict) -> None:
    """Send a dispute back to handling (退回重办), saying why: its reported result is not enough, or it was
    closed and visited back dissatisfied. A reopened dispute is open again, with no closure nor return visit
    (those of before stay in its history), and gets a return visit again once closed."""
    dispute = _locked(conn, code, body)
    _require(actor, dispute, False, "send back")
    if not _returnable(dispute):
        raise WorkflowError(409, "status", f"only a dispute reported back (feedback), or closed and visited back "
                                           f"with satisfaction {REOPEN_AT_MOST} or less, goes back to handling; "
                                           f"this one is {dispute['status']!r}", current_status=dispute["status"])
    remark = _text(body, "remark")
    if remark is None:
        raise WorkflowError(400, "remark", "is required to send back: what is still to be done")
    now = clock.now()
    _bump(conn, dispute, "status = 'handling', closed_at = NULL, revisited_at = NULL, satisfaction = NULL", {})
    _record(conn, dispute["id"], actor, now, "return", from_status=dispute["status"], to_status="handling",
            remark=remark)


def reassign(conn, actor, code: str, body: dict) -> None:
    """Route a dispute being routed or handled to another department or person (改派)."""
    dispute = _locked(conn, code, body)
    _require(actor, dispute, False, "reassign")
    if dispute["status"] not in ("routed", "handling"):
        raise WorkflowError(409, "status", f"only a routed or handled dispute is reassigned; this one is "
                                           f"{dispute['status']!r}", current_status=dispute["status"])
    assignee = _text(body, "assignee", limit=200)
    if assignee is None:
        raise WorkflowError(400, "assignee", "is required: the department or person it goes to now")
    if assignee == dispute["assignee"]:
        raise WorkflowError(409, "assignee", f"the dispute is routed to {assignee!r} already")
    now = clock.now()
    _bump(conn, dispute, "assignee = :assignee", {"assignee": assignee})
    _record(conn, dispute["id"], actor, now, "assign", assignee=assignee, remark=_text(body, "remark"))


def note(conn, actor, code: str, body: dict) -> None:
    """Write down progress on an open dispute (记录进展) without moving it: the center, or a grid worker in its
    own grids."""
    dispute = _locked(conn, code, body)
    _require(actor, dispute, True, "add a note to")
    if dispute["status"] == "closed":
        raise WorkflowError(409, "status", "the dispute is closed; send it back to handling to go on with it",
                            current_status=dispute["status"])
    remark = _text(body, "remark")
    if remark is None:
        raise WorkflowError(400, "remark", "is required: the progress to write down")
    now = clock.now()
    _bump(conn, dispute, "", {})
    _record(conn, dispute["id"], actor, now, "note", remark=remark)
