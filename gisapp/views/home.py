"""The home page (what is loaded) and /healthz (database, PostGIS, migration head)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from gisapp.auth import roles_allowed
from gisapp.db import engine_for, migrate
from gisapp.db.server import server_versions
from gisapp.request_db import db_session

bp = Blueprint("home", __name__)

# What the home page counts: (label, SQL giving one number).
LOADED = [
    ("行政区 administrative areas", "SELECT count(*) FROM admin_area"),
    ("村/社区 villages", "SELECT count(*) FROM admin_area WHERE level = 'village'"),
    ("网格 grids", "SELECT count(*) FROM grid"),
    ("天网 cameras", "SELECT count(*) FROM camera"),
    ("天网 cameras online", "SELECT count(*) FROM camera WHERE status = 'online'"),
    ("地网 one-button alarms", "SELECT count(*) FROM alarm_point"),
    ("人网 people", "SELECT count(*) FROM person"),
    ("人网 patrol teams", "SELECT count(*) FROM patrol_team"),
    ("人网 patrol routes", "SELECT count(*) FROM patrol_route"),
    ("矛盾纠纷 disputes", "SELECT count(*) FROM dispute"),
    ("矛盾纠纷 open disputes", "SELECT count(*) FROM dispute WHERE status <> 'closed'"),
    ("道路 road segments", "SELECT count(*) FROM road"),
]


@bp.route("/")
@roles_allowed()
def index():
    """What is loaded: counts per layer."""
    session = db_session()
    counts = [(label, session.scalar(text(sql))) for label, sql in LOADED]
    return render_template("home.html", counts=counts, user=current_user)


@bp.route("/favicon.ico")
def favicon():
    """The site icon, from static/."""
    return current_app.send_static_file("favicon.svg"), 200, {"Content-Type": "image/svg+xml"}


@bp.route("/healthz")
def healthz():
    """200 with versions when the database answers and is migrated to head, else 503."""
    url = current_app.config["DATABASE_URL"]
    head = migrate.head_revision()
    try:
        with engine_for(url).connect() as conn:
            versions = server_versions(conn.connection.driver_connection)
            conn.execute(text("SELECT 1"))
        current = migrate.current_revision(url)
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        current_app.logger.warning("healthz: %s", exc)
        return jsonify(status="error", database="unreachable", message=str(exc).splitlines()[0],
                       migration={"head": head}), 503
    ok = current == head
    body = {"status": "ok" if ok else "error", "database": "ok", **versions,
            "migration": {"head": head, "current": current}}
    if not ok:
        body["message"] = "the schema is not at the newest migration: run `gisapp db migrate`"
    return jsonify(body), 200 if ok else 503
