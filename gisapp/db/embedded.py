"""The embedded PostgreSQL + PostGIS + pgRouting cluster, from the operating system's packages.

It lives under ``var_dir/pg`` and listens on 127.0.0.1 only, on a free port chosen at first start.
PostgreSQL refuses to run as root, so when we are root the server runs as an unprivileged system
user (Debian's ``postgres``, else a ``gisapp-db`` user made for it). When that user cannot reach
the project folder (a clone under ``/root``), the cluster lives under ``/var/lib/gisapp/`` instead
and ``var_dir/pg.json`` records where.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

DB_NAME = "gisapp"
SUPERUSER = "gisapp"
FALLBACK_ROOT = Path("/var/lib/gisapp")


class ClusterError(RuntimeError):
    """The embedded cluster could not be created, started or stopped."""


def postgres_bindir() -> Path:
    """Return the folder of the newest installed PostgreSQL server binaries."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                        key=lambda p: int(p.parent.parent.name))
    if candidates:
        return candidates[-1].parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ClusterError("PostgreSQL server binaries not found: run scripts/install-system-deps.sh "
                       "(or `make install`) to install PostgreSQL, PostGIS and pgRouting")


def _server_user() -> str | None:
    """Return the unprivileged account to run the server as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "gisapp-db"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    "gisapp-db"], check=True)
    return "gisapp-db"


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class EmbeddedCluster:
    """A project-local PostgreSQL cluster; its state (port, password, folder) is in pg.json."""

    def __init__(self, var_dir: Path):
        self.var_dir = Path(var_dir)
        self.state_file = self.var_dir / "pg.json"
        self.user = _server_user()

    # -- state -------------------------------------------------------------------------------
    def _state(self) -> dict:
        return json.loads(self.state_file.read_text()) if self.state_file.exists() else {}

    def _save_state(self, state: dict) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.touch(mode=0o600)
        self.state_file.write_text(json.dumps(state, indent=2))

    @property
    def home(self) -> Path:
        """Folder holding the data directory and the server log."""
        return Path(self._state().get("home", self.var_dir / "pg"))

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def url(self, database: str = DB_NAME) -> str:
        """Return the SQLAlchemy URL of a database in this cluster."""
        state = self._state()
        return (f"postgresql+psycopg://{SUPERUSER}:{state['password']}@127.0.0.1:"
                f"{state['port']}/{database}")

    # -- commands ----------------------------------------------------------------------------
    def _as_server(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
        """Run a command as the server's user, capturing its output."""
        result = subprocess.run(args, user=self.user, capture_output=True, text=True,
                                cwd="/", check=False)
        if check and result.returncode != 0:
            raise ClusterError(f"{Path(args[0]).name} failed ({result.returncode}):\n"
                               f"{result.stderr.strip() or result.stdout.strip()}")
        return result

    def _choose_home(self) -> Path:
        """Pick a folder the server user can write: var_dir/pg, or the fallback for root."""
        home = self.var_dir / "pg"
        home.mkdir(parents=True, exist_ok=True)
        if self.user is None:
            return home
        shutil.chown(home, self.user)
        if self._as_server(["test", "-w", str(home)], check=False).returncode == 0:
            return home
        digest = hashlib.sha1(str(self.var_dir.resolve()).encode()).hexdigest()[:12]
        home.rmdir()
        home = FALLBACK_ROOT / digest
        home.mkdir(parents=True, exist_ok=True)
        FALLBACK_ROOT.chmod(0o755)
        shutil.chown(home, self.user)
        return home

    def init(self) -> None:
        """Create the cluster (initdb) with a random superuser password; no-op if it exists."""
        if self.initialized:
            return
        home = self._choose_home()
        password = secrets.token_urlsafe(24)
        pwfile = home / ".pwfile"
        pwfile.write_text(password + "\n")
        if self.user:
            shutil.chown(pwfile, self.user)
        try:
            self._as_server([str(postgres_bindir() / "initdb"), "-D", str(home / "data"),
                             "-U", SUPERUSER, "--auth=scram-sha-256", f"--pwfile={pwfile}",
                             "-E", "UTF8", "--no-locale"])
        finally:
            pwfile.unlink(missing_ok=True)
        self._save_state({"home": str(home), "password": password, "port": _free_port()})

    def is_running(self) -> bool:
        """True when the server of this cluster answers pg_ctl status."""
        if not self.state_file.exists():
            return False
        result = self._as_server([str(postgres_bindir() / "pg_ctl"), "status", "-D",
                                  str(self.data_dir)], check=False)
        return result.returncode == 0

    def start(self) -> None:
        """Start the server on its port (a new free one if another program took it)."""
        if self.is_running():
            return
        state = self._state()
        if not _port_is_free(state["port"]):
            state["port"] = _free_port()
            self._save_state(state)
        options = (f"-p {state['port']} -c listen_addresses=127.0.0.1 "
                   "-c unix_socket_directories='' -c max_connections=200")
        self._as_server([str(postgres_bindir() / "pg_ctl"), "start", "-w", "-t", "60",
                         "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options])

    def stop(self) -> None:
        """Stop the server (fast shutdown); no-op when it is not running."""
        if self.is_running():
            self._as_server([str(postgres_bindir() / "pg_ctl"), "stop", "-w", "-m", "fast",
                             "-D", str(self.data_dir)])

    def up(self) -> str:
        """Create if needed, start, create the database and extensions; return its URL."""
        self.init()
        self.start()
        from gisapp.db.server import ensure_database
        ensure_database(self.url("postgres"), DB_NAME)
        return self.url()

    def destroy(self) -> None:
        """Stop the server and delete the cluster and its state."""
        self.stop()
        if self.user:
            self._as_server(["rm", "-rf", str(self.home)], check=False)
        shutil.rmtree(self.home, ignore_errors=True)
        self.state_file.unlink(missing_ok=True)
