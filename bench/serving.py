"""``gisapp serve`` started for a benchmark: a free port, a log file, ready when /healthz answers."""
from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def gisapp_server(url: str, options: list[str] = (), *, env: dict | None = None, cwd: Path | None = None,
                  name: str = "bench") -> Iterator[int]:
    """``gisapp serve`` (this checkout's venv) on a free port of 127.0.0.1 against the database ``url``, with
    ``options`` and ``env`` added to the environment, run in ``cwd`` (gunicorn puts its working directory
    first on sys.path: a checkout's own code is served from there); yields the port once /healthz
    answers 200, stops the server after."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = dict(os.environ, DATABASE_URL=url, SECRET_KEY=secrets.token_hex(16), **(env or {}))
    log = tempfile.NamedTemporaryFile("w+", prefix=f"{name}-", suffix=".log", delete=False)
    process = subprocess.Popen([str(ROOT / ".venv/bin/gisapp"), "serve", "--port", str(port), *options],
                               env=environment, cwd=cwd, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server ({cwd or ROOT}) did not start; see {log.name}")
            time.sleep(0.5)
        yield port
    finally:
        process.terminate()
        process.wait(30)
        print(f"(server log: {log.name})")


def city_url(stack: contextlib.ExitStack, url: str | None, prefix: str) -> str:
    """``url`` when given, else the URL of a fresh database holding the demo city and its coverage
    (``routes.city_database``), dropped when ``stack`` closes."""
    if url:
        return url
    from routes import city_database
    city = stack.enter_context(city_database("city", prefix=prefix))
    print(f"city loaded in {city.loaded:.0f} s, its coverage in {city.covered:.0f} s")
    return city.engine.url.render_as_string(hide_password=False)
