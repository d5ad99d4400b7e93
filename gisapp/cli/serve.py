"""``gisapp serve``: the app behind gunicorn (several workers), or Flask's server with --dev."""
from __future__ import annotations

import os
import shutil
import sys

import click

from gisapp.cli.common import fail_cleanly, settings_and_url

# gunicorn's usual access line, then the request's id (the X-Request-Id the app answers with).
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" [%({x-request-id}o)s]'


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=3, show_default=True, type=int, help="gunicorn worker processes.")
@click.option("--dev", is_flag=True, help="Flask's development server with reloading (never in production).")
@fail_cleanly
def serve(host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the map and the API on http://HOST:PORT."""
    settings_and_url()  # start the embedded database first, once, not in every worker
    click.echo(f"serving on http://{host}:{port}")
    if dev:
        from gisapp import create_app
        create_app().run(host=host, port=port, debug=True)
        return
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which("gunicorn")
    os.execv(gunicorn, [gunicorn, "--bind", f"{host}:{port}", "--workers", str(workers),
                        "--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT, "gisapp.wsgi:app"])
