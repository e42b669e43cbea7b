"""user sessions: each sign-in is a row the server checks, so it can be ended

A sign-in token used to carry the user (id, agency, roles) and nothing on the server knew it:
a deactivated user kept working until the token expired, and signing out only cleared the
cookie. Now each sign-in is a ``user_session`` row; the token names it (the JWT's ``jti``)
and every request checks it (server/lib/auth.py, cached at most 30 s per process). A web
sign-in ends at a fixed time; a tablet's (``kind = 'device'``, one per user and device) lives
while the tablet keeps using it, so a shift offline never needs the password mid-shift.

A session is never deleted: ``ended_at`` and ``ended_reason`` say when and why it ended
(signed out, revoked by an admin or coordinator, user deactivated, password changed, replaced
by a new sign-in on the same device), and ``ended_by_user_id`` who ended it.

Revision ID: 0008_user_sessions
Revises: 0007_visit_keys
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0008_user_sessions"
down_revision = "0007_visit_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id", name="fk_user_session_user_id_app_user"),
                  nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("device_id", sa.String(200)),
        sa.Column("device_name", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("ended_reason", sa.String(40)),
        sa.Column("ended_by_user_id", sa.Integer,
                  sa.ForeignKey("app_user.id", name="fk_user_session_ended_by_user_id_app_user")),
        sa.CheckConstraint("kind IN ('web', 'device')", name="ck_user_session_kind"),
        sa.CheckConstraint("kind = 'web' OR device_id IS NOT NULL", name="ck_user_session_device_has_id"),
        sa.CheckConstraint("(ended_at IS NULL) = (ended_reason IS NULL)", name="ck_user_session_ended_with_reason"),
        sa.PrimaryKeyConstraint("id", name="pk_user_session"),
    )
    # Ending every session of a user (deactivation, password change) finds the live ones fast.
    op.create_index("ix_user_session_live_user", "user_session", ["user_id"],
                    postgresql_where=sa.text("ended_at IS NULL"))
    # One live session per user and tablet: a new sign-in on the same tablet replaces the old one.
    op.create_index("uq_user_session_live_device", "user_session", ["user_id", "device_id"], unique=True,
                    postgresql_where=sa.text("ended_at IS NULL AND kind = 'device'"))


def downgrade() -> None:
    op.drop_table("user_session")
