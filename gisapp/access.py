"""Who may use what: the named role sets the views and pages check (roles are ``domain.USER_ROLES``)."""
from __future__ import annotations

# Where the nets leave gaps is sensitive: not for the plain viewer role.
COVERAGE_READERS = ("center", "team_leader", "planner", "grid_worker")
# Take disputes in, move them through the closed loop, record the return visit (grid workers in their own grids).
DISPUTE_HANDLERS = ("center", "grid_worker")
# Escalate and regrade disputes.
DISPUTE_SUPERVISORS = ("center",)
# See every account.
ACCOUNT_ADMINS = ("center",)
# Plan patrol routes: propose, evaluate, save (a team leader for their own team only).
PATROL_PLANNERS = ("center", "team_leader")
# Read the road network and the patrol plans.
PATROL_READERS = ("center", "team_leader", "planner", "grid_worker")
# Propose new cameras and save, change or delete siting plans (plans are read by COVERAGE_READERS).
SITING_PLANNERS = ("center", "planner")
