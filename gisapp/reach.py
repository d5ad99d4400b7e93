"""Where a user acts: a grid worker in its own grids, every other role in all of them.

The one statement of that rule: the disputes workflow asks ``reaches`` before a grid worker acts,
and layer SQL gets ``grids_of`` as ``:viewer_grids`` (NULL for every grid) to show personal data.
"""
from __future__ import annotations

# Roles whose users act only in the grids they are assigned to.
GRID_LIMITED_ROLES = frozenset({"grid_worker"})


def grids_of(user) -> list[int] | None:
    """The ids of the grids ``user`` is limited to (sorted), None when not limited; no user reaches no grid."""
    if user is None:
        return []
    if user.role not in GRID_LIMITED_ROLES:
        return None
    return sorted(user.grid_ids)


def reaches(user, grid_id: int | None) -> bool:
    """Whether ``user`` may act in the grid ``grid_id`` (a place in no grid is nobody's own grid)."""
    grids = grids_of(user)
    return grids is None or grid_id in grids
