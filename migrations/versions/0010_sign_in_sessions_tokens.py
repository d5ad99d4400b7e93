"""Sign-in, sessions and tokens: throttling, session versions, token expiry and public ids

sign_in_throttle counts sign-in attempts per login and per client address, and holds the time a
lockout lifts (gisapp.accounts); it lives in the database so that every server process (gunicorn's
workers) sees the same counts. app_user.session_version is kept in each session cookie: raising it
ends every session signed in before (sign-out, a new password, disabling). api_token gets an expiry
and a public id that names it when it is listed or revoked.

Tokens issued before this revision expire 30 days after it is applied (the default of
auth.token_days); each gets a random public id.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("value", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('login', 'address')", name="ck_sign_in_throttle_kind"),
    )
    op.add_column("app_user", sa.Column("session_version", sa.Integer, nullable=False, server_default="0"))
    op.add_column("api_token", sa.Column("public_id", sa.String(16)))
    op.add_column("api_token", sa.Column("expires_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE api_token SET public_id = substr(md5(random()::text || id::text || token_hash), 1, 16), "
               "expires_at = now() + interval '30 days'")
    op.alter_column("api_token", "public_id", nullable=False)
    op.alter_column("api_token", "expires_at", nullable=False)
    op.create_unique_constraint("uq_api_token_public_id", "api_token", ["public_id"])


def downgrade() -> None:
    op.drop_constraint("uq_api_token_public_id", "api_token", type_="unique")
    op.drop_column("api_token", "expires_at")
    op.drop_column("api_token", "public_id")
    op.drop_column("app_user", "session_version")
    op.drop_table("sign_in_throttle")
