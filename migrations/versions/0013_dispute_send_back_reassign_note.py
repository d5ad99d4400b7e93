"""Disputes: three more steps of the loop are recorded in a dispute's history — sent back to handling
(退回重办: its result not enough, or closed and visited back dissatisfied), reassigned (改派) and a note of
progress (记录进展).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BEFORE = ("intake", "status", "escalate", "grade", "revisit")
AFTER = (*BEFORE, "return", "assign", "note")


def _actions(actions: tuple[str, ...]) -> None:
    op.drop_constraint("ck_dispute_event_action", "dispute_event", type_="check")
    op.create_check_constraint("ck_dispute_event_action", "dispute_event",
                               "action IN (" + ", ".join(f"'{a}'" for a in actions) + ")")


def upgrade() -> None:
    _actions(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM dispute_event WHERE action IN ('return', 'assign', 'note')")
    _actions(BEFORE)
