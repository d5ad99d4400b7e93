"""Configuration in one place: built-in defaults, then a TOML file, then environment variables.

The file is ``gisapp.toml`` in the project folder, or the path in ``GISAPP_CONFIG``.
Environment variables override single top-level keys: ``DATABASE_URL``, ``SECRET_KEY`` and
``GISAPP_<KEY>`` for any other key (``GISAPP_VAR_DIR=/srv/gisapp``; tables and numbers as JSON).
Every source is checked against the defaults' shape (gisapp/settings_check.py) before it is used:
an unknown key or a wrong type stops start-up with a message naming the source and the key.
"""
from __future__ import annotations

import copy
import json
import os
import secrets
import tomllib
from pathlib import Path

from gisapp.domain import DISPUTE_CATEGORIES
from gisapp.settings_check import ConfigError, check

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The times of day coverage is computed for, each at the time configured under [coverage].
PERIODS = ("day", "night")

DEFAULTS: dict = {
    # None: the embedded cluster under var_dir; else any PostgreSQL >= 13 with PostGIS >= 3.1.
    "database_url": None,
    "var_dir": str(PROJECT_DIR / "var"),
    # The layer catalogue: one TOML file per map layer.
    "layers_dir": str(PROJECT_DIR / "layers"),
    # None: generated once and kept in var_dir/secret_key (never in the repository).
    "secret_key": None,
    # "auto": the UTM zone of the data's centre; or any CRS pyproj understands ("EPSG:4527").
    "projected_crs": "auto",
    # Patrol sight width on each side of a route, in metres, by mode (overridable per route).
    "sight_width_m": {"foot": 25.0, "ebike": 35.0, "motorcycle": 40.0, "car": 50.0},
    # Coverage analysis (see docs/domain.md, "Coverage, exactly").
    "coverage": {
        "min_gap_m2": 200.0,        # gap parts smaller than this are slivers, ignored
        "target_share": 0.8,        # a grid whose covered share of its area of concern is below this is flagged
        "road_buffer_m": 30.0,      # the area of concern is the grid within this of a road (when roads exist)
        "alarm_patrol_reach_m": 500.0,  # without pgRouting: an alarm farther than this from every active route is flagged
        "day": "10:00",             # the time of day that "day" coverage is computed for
        "night": "23:00",           # the time of night that "night" coverage is computed for
    },
    # Patrol planning on the road network (see docs/domain.md, "Planning").
    "patrol": {
        "speed_kmh": {"foot": 4.5, "ebike": 15.0, "motorcycle": 25.0, "car": 30.0},
        # The share of its speed a mode keeps on a road class (missing: 1); 0: the class is closed to it.
        "class_speed_factor": {"foot": {}, "ebike": {"track": 0.8},
                               "motorcycle": {"path": 0.5, "track": 0.7},
                               "car": {"path": 0.0, "track": 0.5, "service": 0.7}},
        # Road ends and crossings closer than this (metres) are joined when the network is built.
        "snap_tolerance_m": 2.0,
        # What a proposed route collects: open disputes by grade, each km of gap road brought into
        # sight, each Gi* hot spot grid stopped at, each online alarm brought within reach.
        "weights": {"disputes": {"ordinary": 1.0, "complex": 2.0, "difficult": 3.0}, "gaps": 2.0,
                    "hotspots": 2.0, "alarms": 1.0},
        "dwell_min": 12.0,          # stop at a hot spot (10-16 minutes deter best: the Koper curve)
        "hotspot_days": 90,         # hot spots from the disputes received in the last so many days
        "max_start_m": 300.0,       # a start or end farther than this from a usable road is refused
        "max_candidates": 150,      # the most valuable places a proposal chooses among
        "solver_seconds": 2.0,      # OR-Tools' search time for a proposal
        "alarm_reach_min": 10.0,    # an alarm farther than this by road from a shift's patrols is flagged
        "response_mode": "motorcycle",  # how a base's team answers an alarm (minutes from a base)
    },
    # Camera siting (see docs/domain.md, "Planning"): what is worth watching, and the cameras' optics.
    "siting": {
        # Demand weights: open or recent disputes by grade, each road sample in a coverage gap, a Gi*
        # hot spot grid (spread over its road samples), an alarm no camera watches, a key place.
        "weights": {"disputes": {"ordinary": 1.0, "complex": 2.0, "difficult": 3.0}, "gaps": 0.2,
                    "hotspots": 4.0, "alarms": 2.0, "key_places": 5.0},
        "recent_days": 90,          # closed disputes received in the last so many days still count
        "sample_m": 25.0,           # roads are sampled every so many metres (gaps, hot spots)
        "directions": 8,            # a bullet camera's candidate directions (every 45 degrees)
        "spacing_m": 50.0,          # generated candidate sites: along the roads every so many metres
        "default_cost": 8000.0,     # a camera's cost (yuan) at a site that gives none
        "fov_deg": {"bullet": 60.0, "dome": 60.0},        # the lens's horizontal field of view
        "resolution_px": {"bullet": 1920, "dome": 1920},  # horizontal pixels
        "default_purpose": "detect",
        "exact_seconds": 20.0,      # the exact method's time limit
    },
    # The periodic report (gisapp report, /report): the 雪亮工程 (Sharp Eyes) target share of the cameras
    # in service that are online, and the CJK font family of the PDF ("": the first of
    # gisapp.report.fonts.FAMILIES installed, else any font fontconfig has for Chinese).
    "report": {"camera_online_target": 0.98, "font": ""},
    # Days from receipt to due date, by dispute grade.
    "dispute_due_days": {"ordinary": 3, "complex": 7, "difficult": 15},
    # Gi* hot spots of disputes only when the period has at least this many in the whole area: with fewer, a
    # cluster cannot be told from chance and every grid is "not significant" (SuperMap's and ArcGIS's optimized
    # hot spot analyses ask for at least 30 incidents aggregated into polygons).
    "hotspot_min_disputes": 30,
    # Dispute categories: stored value -> label (Chinese first). A table in the file replaces this one.
    "dispute_categories": DISPUTE_CATEGORIES,
    # The map's base layer: {type = "none"} (plain background), {type = "local", url = "/static/tiles/{z}/{x}/{y}.png"},
    # {type = "osm"} or {type = "tianditu", key = "..."} (the last two need the internet).
    "basemap": {"type": "none"},
    # Time zone of times given without an offset (imports, forms).
    "timezone": "Asia/Shanghai",
    # The largest request body accepted, in MiB (a larger one is refused with 413).
    "max_request_mb": 5.0,
    # Logging: the level (DEBUG, INFO, WARNING, ERROR) and whether each line is a JSON object.
    "log_level": "INFO",
    "log_json": False,
    # Sign-in and API tokens (gisapp.accounts). After so many failed sign-ins (the form and
    # POST /api/auth/token) within the window, per login or per client address, further attempts are
    # refused with 429 until the lockout lifts by itself; a success clears its login's count. 0: no limit.
    "auth": {
        "max_failures_per_login": 5,
        "max_failures_per_address": 20,
        "failure_window_min": 15.0,  # failures older than this are forgotten
        "lockout_min": 15.0,         # how long a lockout lasts
        "token_days": 30,            # an API token expires so many days after it is issued
    },
    # The role this process connects as: "owner" (the gisapp command: migrations, imports, backups)
    # or "app" (the web server: rows only, history and audit append-only; `gisapp serve` sets it).
    "database_role": "owner",
    # With DATABASE_URL (the owner's): the URL of the web server's own role (README, "The database");
    # None: the web server connects as DATABASE_URL's user.
    "app_database_url": None,
    # gunicorn under `gisapp serve`: worker processes (0: one per core), threads each (gthread), seconds
    # before a silent worker is restarted, seconds a stopping worker may finish its requests, seconds an
    # idle keep-alive connection is kept, and how many reverse proxies in front (nginx: 1) are trusted to
    # say the client's address and scheme (X-Forwarded-For, X-Forwarded-Proto); 0: none, the default;
    # the megabytes of vector tiles each process keeps by ETag (0: none).
    "serve": {"workers": 0, "threads": 8, "timeout_s": 60, "graceful_timeout_s": 30, "keepalive_s": 5,
              "proxies": 0, "tile_cache_mb": 32},
}

# Keys whose value in the file or overrides replaces the default whole, instead of being merged into it.
_REPLACED = ("dispute_categories",)
# Environment variables read for a key, first found wins; every key also has GISAPP_<KEY>.
_ENV_NAMES = {"database_url": ("DATABASE_URL",), "secret_key": ("SECRET_KEY",)}


def _merge(base: dict, override: dict, replaced: tuple[str, ...] = ()) -> dict:
    """Return ``base`` updated recursively with ``override`` (the ``replaced`` keys replaced whole)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in replaced:
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_value(name: str, raw: str, default):
    """Parse an environment string into the type of the default (JSON for tables, numbers and flags)."""
    if not isinstance(default, (dict, list, int, float, bool)):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError(f"{name}: must be JSON (a table as {{\"key\": value}}, a number, true or false), "
                          f"got {raw!r}") from None


def load_settings(overrides: dict | None = None) -> dict:
    """Return the effective settings: defaults, the TOML file, environment, then ``overrides``, each
    checked (ConfigError naming the source and the key when a key is unknown or a value of the wrong type)."""
    settings = copy.deepcopy(DEFAULTS)
    path = Path(os.environ.get("GISAPP_CONFIG", PROJECT_DIR / "gisapp.toml"))
    if path.is_file():
        try:
            with path.open("rb") as fh:
                from_file = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
        settings = _merge(settings, check(path.name, from_file, DEFAULTS), _REPLACED)
    for key, default in DEFAULTS.items():
        names = (*_ENV_NAMES.get(key, ()), f"GISAPP_{key.upper()}")
        name = next((n for n in names if os.environ.get(n)), None)
        if name:
            value = _env_value(name, os.environ[name], default)
            settings = _merge(settings, check(name, {key: value}, DEFAULTS), _REPLACED)
    return _merge(settings, check("settings", overrides or {}, DEFAULTS), _REPLACED)


def var_dir(settings: dict) -> Path:
    """Return the project's state folder (embedded cluster, secret key), creating it."""
    path = Path(settings["var_dir"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(settings: dict) -> str:
    """Return the configured secret key, or the one generated and kept under var_dir."""
    if settings.get("secret_key"):
        return settings["secret_key"]
    path = var_dir(settings) / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
