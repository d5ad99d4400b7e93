"""The embedded PostgreSQL + PostGIS + pgRouting cluster, from the operating system's packages.

It lives under ``var_dir/pg`` and listens on 127.0.0.1 only, on a port chosen at first start and
kept from then on (a new one only when another program really listens on it). PostgreSQL refuses
to run as root, so when we are root the server runs as an unprivileged system user (Debian's
``postgres``, else a ``gisapp-db`` user made for it). When that user cannot reach the project
folder (a clone under ``/root``), the cluster lives under ``/var/lib/gisapp/`` instead and
``var_dir/pg.json`` records where.

Two roles log in: the superuser ``gisapp``, which owns the schema (migrations, imports, backups:
the ``gisapp`` command), and ``gisapp_app``, which the web server connects as and which may only
read and write the rows (``gisapp.db.roles``). Their passwords are in ``pg.json`` (mode 0600).

The server is started so that its log holds no row of data: a refused row is not echoed
("Failing row contains ..."), no statement and no parameter is written (``LOG_SETTINGS``).
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
# The web server's role: no superuser, owns nothing; its privileges are granted by gisapp.db.roles.
APP_ROLE = "gisapp_app"
FALLBACK_ROOT = Path("/var/lib/gisapp")
# What the server writes to its log: the error's one line, never the row it refused (DETAIL),
# the statement (log_min_error_statement = panic: only for a crash), nor the values bound to it.
# These are superuser-only settings: no client of the app's role can change them for its session.
LOG_SETTINGS = {
    "log_error_verbosity": "terse",
    "log_min_error_statement": "panic",
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
}
# New clusters take a port below the kernel's ephemeral range, where outgoing connections never
# sit (they would make the port look taken when the server starts again).
PORT_RANGE = (20000, 32000)
# URL of an embedded cluster -> its state file, for engines that follow the port (gisapp.db.engine_for).
_STATE_OF_URL: dict[str, Path] = {}


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


def _ephemeral_low() -> int:
    """The lowest port the kernel hands out to outgoing connections (32768 when unknown)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now, below the ephemeral range if possible."""
    low, high = PORT_RANGE[0], min(PORT_RANGE[1], _ephemeral_low() - 1)
    for _ in range(50):
        port = secrets.randbelow(max(high - low, 1)) + low
        if _port_is_free(port):
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    """True unless another socket listens on (or is bound to) 127.0.0.1:``port``.

    SO_REUSEADDR, as PostgreSQL itself binds: the connections the server closed when it stopped
    linger in TIME_WAIT on its port, and do not keep it from listening there again.
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def recorded_port(url: str) -> int | None:
    """The port an embedded cluster's state file records now, for the URL it gave out (None when
    ``url`` is not one of this process's embedded clusters, or the file cannot be read)."""
    state_file = _STATE_OF_URL.get(url)
    if state_file is None:
        return None
    try:
        return int(json.loads(state_file.read_text())["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_embedded(url: str) -> bool:
    """True when ``url`` was given out by an embedded cluster in this process."""
    return url in _STATE_OF_URL


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
        """Write pg.json whole (readers, such as a running server's engine, never see half of it), 0600."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        partial = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps(state, indent=2))
        os.replace(partial, self.state_file)

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
        """Return the SQLAlchemy URL of a database in this cluster, as the superuser (the owner)."""
        state = self._state()
        url = (f"postgresql+psycopg://{SUPERUSER}:{state['password']}@127.0.0.1:"
               f"{state['port']}/{database}")
        _STATE_OF_URL[url] = self.state_file
        return url

    def app_url(self, database: str = DB_NAME) -> str:
        """Return the URL of a database in this cluster as the web server's role (``APP_ROLE``)."""
        state = self._state()
        if "app_password" not in state:
            raise ClusterError("the web server's database role is not set up yet: run `gisapp db up`")
        url = (f"postgresql+psycopg://{APP_ROLE}:{state['app_password']}@127.0.0.1:"
               f"{state['port']}/{database}")
        _STATE_OF_URL[url] = self.state_file
        return url

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
        """Start the server on its recorded port (a new free one only if another program listens there)."""
        if self.is_running():
            return
        state = self._state()
        if not _port_is_free(state["port"]):
            state["port"] = _free_port()
            self._save_state(state)
        options = (f"-p {state['port']} -c listen_addresses=127.0.0.1 "
                   "-c unix_socket_directories='' -c max_connections=200 "
                   + " ".join(f"-c {name}={value}" for name, value in LOG_SETTINGS.items()))
        self._as_server([str(postgres_bindir() / "pg_ctl"), "start", "-w", "-t", "60",
                         "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options])

    def stop(self) -> None:
        """Stop the server (fast shutdown); no-op when it is not running."""
        if self.is_running():
            self._as_server([str(postgres_bindir() / "pg_ctl"), "stop", "-w", "-m", "fast",
                             "-D", str(self.data_dir)])

    def up(self) -> str:
        """Create if needed, start, create the database, its extensions and the web server's role;
        return the database's URL (as the owner)."""
        self.init()
        self.start()
        from gisapp.db.server import ensure_database
        ensure_database(self.url("postgres"), DB_NAME)
        self.ensure_app_role()
        return self.url()

    def ensure_app_role(self) -> None:
        """Create the web server's login role (``APP_ROLE``) with a random password kept in pg.json,
        unless it exists and pg.json knows its password. It gets no privilege here: see gisapp.db.roles."""
        import psycopg
        from psycopg import sql

        from gisapp.db.server import libpq_dsn
        state = self._state()
        with psycopg.connect(libpq_dsn(self.url("postgres")), autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone()
            if exists and state.get("app_password"):
                return
            password = secrets.token_urlsafe(24)
            verb = "ALTER" if exists else "CREATE"
            conn.execute(sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                                 "NOBYPASSRLS PASSWORD {}").format(sql.Identifier(APP_ROLE), sql.Literal(password)))
        state["app_password"] = password
        self._save_state(state)

    def destroy(self) -> None:
        """Stop the server and delete the cluster and its state."""
        self.stop()
        if self.user:
            self._as_server(["rm", "-rf", str(self.home)], check=False)
        shutil.rmtree(self.home, ignore_errors=True)
        self.state_file.unlink(missing_ok=True)
