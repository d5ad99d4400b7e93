"""Checking configuration against the shape of its defaults (``gisapp.config.DEFAULTS``).

A key must be one the defaults have, and its value of the default's type: text, a whole number, a
number, true/false, or a table checked the same way. A default of None takes text. A few keys say
more below (tables with other keys, extra keys, formats). Each number is 0 or more.
"""
from __future__ import annotations

import fnmatch
import re
import zoneinfo

from gisapp.domain import ROAD_CLASSES

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Tables whose keys are not the default's (``*`` stands for any key): the keys allowed (None: any)
# and the default each value is checked against. Dispute categories (value -> label); the share of
# its speed a mode keeps on a road class.
OPEN_TABLES = {"dispute_categories": (None, ""), "patrol.class_speed_factor.*": (tuple(ROAD_CLASSES), 0.0)}
# Keys a table may have that its default leaves out, with their type's default.
EXTRA_KEYS = {"basemap": {"url": "", "key": "", "attribution": "", "max_zoom": 0}}
TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _zone(value: str) -> bool:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


# Keys whose text or number must also pass a test: the test and what it asks for.
FORMATS = {
    "coverage.day": (TIME.match, "a time of day as HH:MM"),
    "coverage.night": (TIME.match, "a time of day as HH:MM"),
    "coverage.target_share": (lambda v: v <= 1, "a share from 0 to 1"),
    "report.camera_online_target": (lambda v: v <= 1, "a share from 0 to 1"),
    "auth.token_days": (lambda v: v >= 1, "at least 1 day"),
    "auth.max_failures_per_login": (lambda v: v >= 1, "at least 1"),
    "auth.max_failures_per_address": (lambda v: v >= 1, "at least 1"),
    "max_request_mb": (lambda v: v > 0, "more than 0"),
    "timezone": (_zone, "a time zone name such as Asia/Shanghai"),
    "log_level": (lambda v: v in LOG_LEVELS, f"one of {', '.join(LOG_LEVELS)}"),
}


class ConfigError(ValueError):
    """A configuration value is not usable; the message names its source and the key."""


def _kind(default) -> tuple[tuple[type, ...], str]:
    """The types a value may have where the default is ``default``, and how to say it."""
    if default is None or isinstance(default, str):
        return (str,), "text"
    if isinstance(default, bool):
        return (bool,), "true or false"
    if isinstance(default, int):
        return (int,), "a whole number"
    if isinstance(default, float):
        return (int, float), "a number"
    return (dict,), "a table"


def _value(source: str, key: str, value, default) -> None:
    types, wanted = _kind(default)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise ConfigError(f"{source}: {key}: must be {wanted}, got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        raise ConfigError(f"{source}: {key}: must be 0 or more, got {value!r}")
    if key in FORMATS and not FORMATS[key][0](value):
        raise ConfigError(f"{source}: {key}: must be {FORMATS[key][1]}, got {value!r}")
    if isinstance(value, dict):
        table = next((t for pattern, t in OPEN_TABLES.items() if fnmatch.fnmatchcase(key, pattern)), None)
        if table is not None:
            keys, each = table
            check(source, value, {name: each for name in (keys or value)}, f"{key}.")
        else:
            check(source, value, {**default, **EXTRA_KEYS.get(key, {})}, f"{key}.")


def check(source: str, values: dict, defaults: dict, prefix: str = "") -> dict:
    """Return ``values`` when every key is one of ``defaults``' and every value of its default's type;
    else raise ConfigError naming ``source`` and the key (``prefix`` is the enclosing table's)."""
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: must be a table of settings")
    for key, value in values.items():
        if key not in defaults:
            raise ConfigError(f"{source}: {prefix}{key}: unknown key; known keys: {', '.join(defaults)}")
        _value(source, f"{prefix}{key}", value, defaults[key])
    return values
