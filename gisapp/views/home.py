"""The home page (what is loaded) and /healthz (database, PostGIS, migration head)."""
from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text

from gisapp.auth import roles_allowed
from gisapp.db import engine_for, migrate
from gisapp.db.server import server_versions
from gisapp.entities import ENTITIES
from gisapp.request_db import db_session

bp = Blueprint("home", __name__)


def figures_sql() -> tuple[list[str], str]:
    """The home page's figures (from each entity's description): their labels, and one statement
    giving them all as one row."""
    labels, columns = [], []
    for entity in ENTITIES.values():
        for label, where in entity.figures():
            labels.append(label)
            columns.append(f"(SELECT count(*) FROM {entity.table}{f' WHERE {where}' if where else ''})")
    return labels, "SELECT " + ", ".join(columns)


@bp.route("/")
@roles_allowed()
def index():
    """What is loaded: counts per layer."""
    labels, sql = figures_sql()
    counts = list(zip(labels, db_session().execute(text(sql)).one()))
    return render_template("home.html", counts=counts, user=current_user)


@bp.route("/favicon.ico")
def favicon():
    """The site icon, from static/."""
    return current_app.send_static_file("favicon.svg"), 200, {"Content-Type": "image/svg+xml"}


@bp.route("/healthz")
def healthz():
    """200 with versions when the database answers and is migrated to head, else 503.

    Anyone may ask, so a failure says only "database unreachable": what went wrong (host, port,
    the driver's message) goes to the log.
    """
    head = migrate.head_revision()
    try:
        # The app's pooled engine, which follows the embedded cluster's port and drops dead connections.
        with engine_for(current_app.config["DATABASE_URL"]).connect() as conn:
            versions = server_versions(conn.connection.driver_connection)
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        current_app.logger.warning("healthz: database unreachable: %s: %s", type(exc).__name__,
                                   str(getattr(exc, "orig", None) or exc).strip())
        return jsonify(status="error", database="unreachable", message="database unreachable",
                       migration={"head": head}), 503
    ok = current == head
    body = {"status": "ok" if ok else "error", "database": "ok", **versions,
            "migration": {"head": head, "current": current}}
    if not ok:
        body["message"] = "the schema is not at the newest migration: run `gisapp db migrate`"
    return jsonify(body), 200 if ok else 503
