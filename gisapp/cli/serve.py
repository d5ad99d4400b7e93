"""``gisapp serve``: the app behind gunicorn (threaded workers), or Flask's server with --dev.

gunicorn runs ``gthread`` workers: each worker process serves several requests at once on its
threads, so a page's tile requests or a slow client do not hold up a click, and a new connection
that sends nothing is handed back to the worker's poller instead of keeping a thread. There is one
worker per core by default (at least two): a request is mostly Python, which a process runs on one
core at a time, and more processes than cores only take turns on them (bench/README.md, "tiles.py").
Workers that stop answering are restarted (``--timeout``). For production, put a reverse proxy in front (nginx,
docs/nginx.conf) and tell the app so (``--proxies 1``): it buffers slow clients and bodies, ends TLS
and serves /static.

The web server connects to the database as its own role (``gisapp_app`` in the embedded cluster,
``app_database_url`` otherwise), which may only read and write rows; the privileges are granted here,
once, as the schema's owner, before the workers start.
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import click

from gisapp.cli.common import fail_cleanly
from gisapp.cli.db import grant_web_role, owner_settings_and_url
from gisapp.config import load_settings

# gunicorn's usual access line, then the request's id (the X-Request-Id the app answers with). The
# logger class takes personal fields out of the query strings and the referrer first.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" [%({x-request-id}o)s]'
LOGGER_CLASS = "gisapp.logging_setup.GunicornLogger"


def worker_count(configured: int) -> int:
    """The worker processes to run: as configured, or with 0 one per core, at least two."""
    return configured or max(2, os.cpu_count() or 1)


def gunicorn_arguments(host: str, port: int, serve: dict) -> list[str]:
    """gunicorn's command line for the app (``serve``: the configuration's ``serve`` table)."""
    return ["--bind", f"{host}:{port}", "--worker-class", "gthread",
            "--workers", str(worker_count(serve["workers"])), "--threads", str(serve["threads"]),
            "--timeout", str(serve["timeout_s"]), "--graceful-timeout", str(serve["graceful_timeout_s"]),
            "--keep-alive", str(serve["keepalive_s"]),
            "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT, "--logger-class", LOGGER_CLASS,
            "gisapp.cli.serve:proxied_app()"]


def proxied_app():
    """The app as gunicorn serves it: behind ``serve.proxies`` reverse proxies (nginx: 1), the client's
    address and scheme are taken from their X-Forwarded-For and X-Forwarded-Proto (so that sign-in is
    throttled per client, not per proxy, and cookies know HTTPS); with none, those headers are ignored."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from gisapp import create_app
    app = create_app()
    hops = app.config["GISAPP"]["serve"]["proxies"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(1), help="gunicorn worker processes [serve.workers: 0, one per core].")
@click.option("--threads", type=click.IntRange(1), help="Threads per worker [serve.threads: 8].")
@click.option("--timeout", type=click.IntRange(1),
              help="Seconds before a worker that stopped answering is restarted [serve.timeout_s: 60].")
@click.option("--proxies", type=click.IntRange(0),
              help="Reverse proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are believed [serve.proxies: 0].")
@click.option("--dev", is_flag=True, help="Flask's development server with reloading (never in production).")
@fail_cleanly
def serve(host: str, port: int, workers: int | None, threads: int | None, timeout: int | None,
          proxies: int | None, dev: bool) -> None:
    """Serve the map and the API on http://HOST:PORT."""
    # Start the embedded database and grant the web server's role its privileges, once, as the owner.
    settings, url = owner_settings_and_url()
    grant_web_role(settings, url)
    # Every worker (and --dev's app) connects as the web server's role.
    os.environ["GISAPP_DATABASE_ROLE"] = "app"
    if proxies is not None:
        given = json.loads(os.environ.get("GISAPP_SERVE") or "{}")
        os.environ["GISAPP_SERVE"] = json.dumps({**given, "proxies": proxies})
    options = {**load_settings()["serve"], **{k: v for k, v in (("workers", workers), ("threads", threads),
                                                                 ("timeout_s", timeout)) if v is not None}}
    click.echo(f"serving on http://{host}:{port}")
    if dev:
        from gisapp import create_app
        create_app().run(host=host, port=port, debug=True)
        return
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(gunicorn, [gunicorn, *gunicorn_arguments(host, port, options)])
