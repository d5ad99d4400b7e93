"""Loading the demo town (and its demo accounts) into the database, once."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp import accounts
from gisapp.coverage import recompute
from gisapp.demo.town import TOWNSHIP, TownBuilder
from gisapp.io.load import import_frame
from gisapp.io.specs import LOAD_ORDER, SPECS

# login -> (password, role, team, grids): for trying the server, never for production.
DEMO_ACCOUNTS = {
    "center": ("center-demo", "center", None, ()),
    "leader": ("leader-demo", "team_leader", "T01", ()),
    "planner": ("planner-demo", "planner", None, ()),
    "gridworker": ("gridworker-demo", "grid_worker", None, (f"{TOWNSHIP}00101", f"{TOWNSHIP}00102")),
    "viewer": ("viewer-demo", "viewer", None, ()),
}
DATA_TABLES = ["grid_coverage", "coverage_dirty", "dispute", "patrol_window", "patrol_route", "alarm_camera", "alarm_point", "camera",
               "person_assignment", "user_grid", "api_token", "app_user", "person", "patrol_team",
               "road", "grid", "admin_area"]


def is_loaded(engine) -> bool:
    """True when the demo township is in the database."""
    with engine.connect() as conn:
        return bool(conn.scalar(text("SELECT 1 FROM admin_area WHERE code = :c"), {"c": TOWNSHIP}))


def clear_all(conn) -> None:
    """Delete every row of the application's tables (not the schema)."""
    conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))


def load_demo(engine, settings: dict, *, reset: bool = False, progress: bool = True) -> dict[str, int] | None:
    """Load the demo town and accounts in one transaction; return rows per layer.

    Returns None, changing nothing, when the town is already loaded and ``reset`` is false.
    With ``reset``, every row of every table is deleted first.
    """
    if is_loaded(engine) and not reset:
        return None
    layers = TownBuilder().layers()
    counts = {}
    with engine.begin() as conn:
        if reset:
            clear_all(conn)
        for name in LOAD_ORDER:
            counts[name], _ = import_frame(conn, name, layers[name], settings, progress=progress)
        session = Session(bind=conn)
        for login, (password, role, team, grids) in DEMO_ACCOUNTS.items():
            if not session.scalar(text("SELECT 1 FROM app_user WHERE login = :l"), {"l": login}):
                accounts.create_user(session, login, password, role, team, grids)
        session.flush()
    recompute(engine, settings, only_dirty=True, progress=progress)
    return counts


def describe_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {SPECS[name].title}" for name, n in counts.items())
