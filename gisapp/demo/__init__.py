"""Loading the demo town (and its demo accounts) into the database, once."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp import accounts
from gisapp.coverage import recompute
from gisapp.demo.city import CityBuilder
from gisapp.demo.town import TownBuilder
from gisapp.io.load import import_frame
from gisapp.models import Base
from gisapp.patrol import network
from gisapp.entities import ENTITIES, LOAD_ORDER

# login -> (password, role): for trying the server, never for production. The team leader leads
# the first patrol team, the grid worker has the first two grids.
DEMO_ACCOUNTS = {
    "center": ("center-demo", "center"),
    "leader": ("leader-demo", "team_leader"),
    "planner": ("planner-demo", "planner"),
    "gridworker": ("gridworker-demo", "grid_worker"),
    "viewer": ("viewer-demo", "viewer"),
}
# Every table of the models holds data, but data_version and data_change: they count the changes to the others.
DATA_TABLES = [table.name for table in reversed(Base.metadata.sorted_tables)
               if table.name not in ("data_version", "data_change")]


def is_loaded(engine) -> bool:
    """True when the database holds areas already (the demo town, a city, or real data)."""
    with engine.connect() as conn:
        return bool(conn.scalar(text("SELECT EXISTS (SELECT 1 FROM admin_area)")))


def _builder(scale: str):
    """The town (scale "town"), the whole city ("city") or a city of that many villages."""
    if scale == "town":
        return TownBuilder()
    return CityBuilder() if scale == "city" else CityBuilder(int(scale))


def _add_accounts(session) -> None:
    team = session.scalar(text("SELECT code FROM patrol_team ORDER BY code LIMIT 1"))
    grids = tuple(session.scalars(text("SELECT code FROM grid ORDER BY code LIMIT 2")))
    for login, (password, role) in DEMO_ACCOUNTS.items():
        if not session.scalar(text("SELECT 1 FROM app_user WHERE login = :l"), {"l": login}):
            accounts.create_user(session, login, password, role, team if role == "team_leader" else None,
                                 grids if role == "grid_worker" else ())


def clear_all(conn) -> None:
    """Delete every row of the application's tables (not the schema)."""
    conn.execute(text(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE"))


def load_demo(engine, settings: dict, *, scale: str = "town", reset: bool = False,
              progress: bool = True) -> dict[str, int] | None:
    """Load demo data and the demo accounts in one transaction; return rows per layer.

    ``scale`` is "town" (the township of the source material), "city" (a prefecture's published
    counts) or a number of villages. Returns None, changing nothing, when areas are already loaded
    and ``reset`` is false; with ``reset``, every row of every table is deleted first. The road
    network is built with the data; the town's coverage is computed at once, a city's is left to
    ``gisapp coverage --all`` (a long job).
    """
    if is_loaded(engine) and not reset:
        return None
    layers = _builder(scale).layers()
    counts = {}
    with engine.begin() as conn:
        if reset:
            clear_all(conn)
        for name in LOAD_ORDER:
            if name in layers:
                counts[name], _ = import_frame(conn, name, layers[name], settings, progress=progress)
        network.build(conn, settings)
        session = Session(bind=conn)
        _add_accounts(session)
        session.flush()
    if scale == "town":
        recompute(engine, settings, only_dirty=True, progress=progress)
    return counts


def describe_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {ENTITIES[name].title}" for name, n in counts.items())
