"""Reading disputes: filtered lists and one dispute with its history, through the disputes layer.

Every read goes through the catalogue's ``disputes`` layer SQL, which empties the parties for
users not allowed to see them; the caller passes the property names the role may see at all.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from gisapp import domain
from gisapp.catalogue import Layer
from gisapp.config import PERIODS
from gisapp.disputes.workflow import next_statuses, waiting_on
from gisapp.features import property_pairs

# ?name=value filters on a column of the layer's SQL.
EQUALS = {"status": domain.DISPUTE_STATUSES, "grade": domain.DISPUTE_GRADES, "level": domain.DISPUTE_LEVELS,
          "source": domain.DISPUTE_SOURCES, "village": None, "grid": None, "category": None}
COLUMNS = {"village": "village_code", "grid": "grid_code"}
# ?todo=: what waits on the signed-in user, in the grids it acts in (gisapp/reach.py).
TODO = {"steps": "open disputes whose next step is yours (the center routes and closes, grid workers handle "
                 "and report back)",
        "revisit": "closed disputes not yet visited back"}
# ?sort=: keys, comma-separated, each ascending or descending with a leading "-"; vocabularies sort in
# their own order (grades by severity, statuses along the loop, levels upwards).
SORT_KEYS = {"code": "src.code", "received_at": "src.received_at", "due_at": "src.due_at",
             "closed_at": "src.closed_at", "overdue": "src.overdue", "category": "src.category",
             "village": "src.village", "grid": "src.grid_code",
             "grade": "array_position(CAST(:sort_grades AS text[]), CAST(src.grade AS text))",
             "status": "array_position(CAST(:sort_statuses AS text[]), CAST(src.status AS text))",
             "level": "array_position(CAST(:sort_levels AS text[]), CAST(src.level AS text))"}
DEFAULT_SORT = "-received_at"
MAX_SORT_KEYS = 4


class FilterError(ValueError):
    """A bad filter; the message names it (HTTP 400)."""


def _flag(raw: str, name: str) -> bool:
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise FilterError(f"{name}: must be true or false")


def parse_date(raw: str | None, name: str) -> dt.date | None:
    """A YYYY-MM-DD query parameter, or None; FilterError naming it when malformed."""
    if raw in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"{name}: must be a date, YYYY-MM-DD") from None


def where_clause(args: dict, categories: dict, tz: str, params: dict) -> str:
    """SQL conditions on the layer's rows (alias ``src``) for the filters in ``args``; dates are whole
    days in the time zone ``tz``."""
    clauses = []
    for name, allowed in {**EQUALS, "category": categories}.items():
        value = args.get(name)
        if value in (None, ""):
            continue
        if allowed is not None and value not in allowed:
            raise FilterError(f"{name}: unknown value {value!r}; expected one of {', '.join(allowed)}")
        clauses.append(f"src.{COLUMNS.get(name, name)} = :{name}")
        params[name] = value
    if args.get("open") not in (None, ""):
        clauses.append(("" if _flag(args["open"], "open") else "NOT ") + "(src.status <> 'closed')")
    if args.get("overdue") not in (None, ""):
        clauses.append(("" if _flag(args["overdue"], "overdue") else "NOT ") + "src.overdue")
    for name, op in (("received_from", ">="), ("received_to", "<")):
        day = parse_date(args.get(name), name)
        if day is not None:
            clauses.append(f"src.received_at {op} (CAST(:{name} AS date)::timestamp AT TIME ZONE :tz)")
            params.update({name: day, "tz": tz})
    todo = args.get("todo")
    if todo not in (None, ""):
        if todo not in TODO:
            raise FilterError(f"todo: must be one of {', '.join(TODO)}")
        if todo == "steps":
            clauses.append("CAST(src.status AS text) = ANY(CAST(:todo_statuses AS text[]))")
            params["todo_statuses"] = waiting_on(params.get("viewer_role", ""))
        else:
            clauses.append("src.status = 'closed' AND EXISTS (SELECT 1 FROM dispute x WHERE x.code = src.fid "
                           "AND x.revisited_at IS NULL)")
        # in the user's own grids (every grid for a role not limited to some)
        clauses.append("(CAST(:viewer_grids AS int[]) IS NULL OR src.grid_id = ANY(CAST(:viewer_grids AS int[])))")
    gap = args.get("in_gap")
    if gap not in (None, ""):
        if gap not in PERIODS:
            raise FilterError("in_gap: must be day or night (open disputes inside that period's coverage gaps)")
        clauses.append("src.status <> 'closed' AND EXISTS (SELECT 1 FROM grid_coverage gc WHERE gc.grid_id = src.grid_id "
                       "AND gc.period = :gap_period AND gc.gap_geom && src.geom AND ST_Intersects(gc.gap_geom, src.geom))")
        params["gap_period"] = gap
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


def order_by(raw: str | None, params: dict) -> str:
    """The ORDER BY of ``?sort=`` (``-received_at`` when none), ties broken by code; FilterError naming a bad key."""
    keys = [k.strip() for k in (raw or DEFAULT_SORT).split(",")]
    if len(keys) > MAX_SORT_KEYS or not all(keys):
        raise FilterError(f"sort: give 1 to {MAX_SORT_KEYS} keys, comma-separated")
    terms = []
    for key in keys:
        name = key.removeprefix("-")
        if name not in SORT_KEYS:
            raise FilterError(f"sort: unknown key {name!r}; keys: {', '.join(SORT_KEYS)} (a leading - for descending)")
        terms.append(f"{SORT_KEYS[name]} {'DESC' if key.startswith('-') else 'ASC'} NULLS LAST")
    params.update(sort_grades=list(domain.DISPUTE_GRADES), sort_statuses=list(domain.DISPUTE_STATUSES),
                  sort_levels=list(domain.DISPUTE_LEVELS))
    return "ORDER BY " + ", ".join(terms + ["src.fid"])


def _object(properties: list[str]) -> str:
    return (f"json_build_object({property_pairs(properties)}, 'lon', round(ST_X(src.geom)::numeric, 7), "
            "'lat', round(ST_Y(src.geom)::numeric, 7), 'location_approx', src.location_approx, 'version', src.version)")


def list_disputes(conn, layer: Layer, properties: list[str], params: dict, args: dict, categories: dict,
                  tz: str, limit: int, offset: int) -> tuple[list[dict], int]:
    """One page of disputes matching ``args`` in the order of ``args['sort']`` (newest first by default)
    and how many match in all."""
    params = dict(params, limit=limit, offset=offset)
    where = where_clause(args, categories, tz, params)
    order = order_by(args.get("sort"), params)
    matched = conn.execute(text(f"SELECT count(*) FROM ({layer.sql}) AS src {where}"), params).scalar()
    rows = conn.execute(text(f"SELECT {_object(properties)} FROM ({layer.sql}) AS src {where} "
                             f"{order} LIMIT :limit OFFSET :offset"), params).scalars()
    return list(rows), matched


def dispute_detail(conn, layer: Layer, properties: list[str], params: dict, code: str) -> dict | None:
    """One dispute with its history (oldest first) and the statuses it may move to, or None."""
    found = conn.execute(text(f"SELECT {_object(properties)} FROM ({layer.sql}) AS src WHERE src.fid = :code"),
                         dict(params, code=code)).scalar()
    if found is None:
        return None
    history = conn.execute(text(
        "SELECT e.at, e.actor, e.action, e.from_status, e.to_status, e.level, e.grade, e.assignee, e.satisfaction, "
        "e.remark FROM dispute_event e JOIN dispute d ON d.id = e.dispute_id WHERE d.code = :code ORDER BY e.id"),
        {"code": code}).mappings().all()
    found["history"] = [{k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
                        for row in history]
    found["next_statuses"] = next_statuses(found["status"])
    return found
