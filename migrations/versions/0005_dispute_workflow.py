"""The disputes' closed loop: escalation level, assignee, return visit, history, and the audit log

dispute gains its escalation level (village, township, county), the department or person it is
routed to, whether its place is only approximate (a village or grid picked, not a point), the
return visit (when, satisfaction 1–5) and the account that took it in. dispute_event is its
append-only history: each step records who, when, what and a remark. audit_log records every
view of a dispute's parties. Both refuse UPDATE and DELETE (a dispute's history goes only with
the dispute itself, by cascade). dispute_code_seq numbers the disputes taken in through the API.
A change of a dispute marks its grid's coverage dirty (open disputes in gaps are counted there).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY = """
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A cascade from the dispute's own deletion runs nested inside another trigger: allowed.
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'check_violation';
END $$;
"""

MARK_DISPUTES = """
CREATE FUNCTION coverage_mark_dispute() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO coverage_dirty (grid_id)
    SELECT DISTINCT g.id FROM changed c JOIN grid g ON g.id = c.grid_id  -- grids still there
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
"""
MARK_TRIGGERS = {"insert": ("INSERT", "NEW"), "update_new": ("UPDATE", "NEW"), "update_old": ("UPDATE", "OLD"),
                 "delete": ("DELETE", "OLD")}


def upgrade() -> None:
    op.add_column("dispute", sa.Column("level", sa.String(10), server_default="village", nullable=False))
    op.add_column("dispute", sa.Column("assignee", sa.String(200)))
    op.add_column("dispute", sa.Column("location_approx", sa.Boolean, server_default="false", nullable=False))
    op.add_column("dispute", sa.Column("revisited_at", sa.DateTime(timezone=True)))
    op.add_column("dispute", sa.Column("satisfaction", sa.SmallInteger))
    op.add_column("dispute", sa.Column("created_by", sa.Integer,
                                       sa.ForeignKey("app_user.id", name="fk_dispute_created_by",
                                                     ondelete="SET NULL")))
    op.create_check_constraint("ck_dispute_level", "dispute", "level IN ('village', 'township', 'county')")
    op.create_check_constraint("ck_dispute_assignee", "dispute", "length(btrim(assignee)) BETWEEN 1 AND 200")
    op.create_check_constraint("ck_dispute_satisfaction", "dispute", "satisfaction BETWEEN 1 AND 5")
    op.create_check_constraint(
        "ck_dispute_revisit", "dispute",
        "(revisited_at IS NULL) = (satisfaction IS NULL) AND (revisited_at IS NULL OR status = 'closed')")
    op.create_index("ix_dispute_received_at", "dispute", ["received_at"])
    op.create_index("ix_dispute_open_due", "dispute", ["due_at"], postgresql_where=sa.text("status <> 'closed'"))

    op.create_table(
        "dispute_event",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("dispute_id", sa.Integer, sa.ForeignKey("dispute.id", name="fk_dispute_event_dispute_id",
                                                          ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("app_user.id", name="fk_dispute_event_actor_id",
                                                        ondelete="SET NULL")),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("from_status", sa.String(10)),
        sa.Column("to_status", sa.String(10)),
        sa.Column("level", sa.String(10)),
        sa.Column("grade", sa.String(10)),
        sa.Column("assignee", sa.String(200)),
        sa.Column("satisfaction", sa.SmallInteger),
        sa.Column("remark", sa.Text),
        sa.CheckConstraint("action IN ('intake', 'status', 'escalate', 'grade', 'revisit')",
                           name="ck_dispute_event_action"),
        sa.CheckConstraint("length(remark) <= 2000", name="ck_dispute_event_remark"),
    )
    op.create_index("ix_dispute_event_dispute_id", "dispute_event", ["dispute_id", "id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("user_id", sa.Integer),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("layer", sa.String(64), nullable=False),
        sa.Column("fid", sa.String(64), nullable=False),
        sa.Column("via", sa.String(200), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_fid", "audit_log", ["layer", "fid"])

    op.execute("CREATE SEQUENCE dispute_code_seq")
    op.execute(MARK_DISPUTES)
    for name, (event, which) in MARK_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER coverage_dispute_{name} AFTER {event} ON dispute REFERENCING {which} TABLE "
                   "AS changed FOR EACH STATEMENT EXECUTE FUNCTION coverage_mark_dispute()")
    op.execute(APPEND_ONLY)
    for table in ("dispute_event", "audit_log"):
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_change()")


def downgrade() -> None:
    for name in MARK_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS coverage_dispute_{name} ON dispute")
    op.execute("DROP FUNCTION IF EXISTS coverage_mark_dispute()")
    op.execute("DROP SEQUENCE IF EXISTS dispute_code_seq")
    op.drop_table("audit_log")
    op.drop_table("dispute_event")
    op.execute("DROP FUNCTION IF EXISTS refuse_change()")
    op.drop_index("ix_dispute_open_due", "dispute")
    op.drop_index("ix_dispute_received_at", "dispute")
    for name in ("revisit", "satisfaction", "assignee", "level"):
        op.drop_constraint(f"ck_dispute_{name}", "dispute")
    for column in ("created_by", "satisfaction", "revisited_at", "location_approx", "assignee", "level"):
        op.drop_column("dispute", column)
