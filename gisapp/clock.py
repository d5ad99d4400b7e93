"""The application's clock: one place to read the time, so tests can fix it."""
from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The current time, timezone-aware (UTC). Call it as ``clock.now()`` so tests can replace it."""
    return dt.datetime.now(dt.timezone.utc)
