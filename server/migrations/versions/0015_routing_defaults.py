"""routing defaults: the follow-up routing a new operation starts with, kept by admins

An operation's routing table (category → agency code) is its coordinator's to change; a new
operation used to start with none, so its follow-ups went unrouted until someone filled it in.
Admins now keep one default table here (the admin pages' "Routing defaults"), and a new operation
starts with a copy of it. The agency is a foreign key: an agency in use cannot vanish from it.

Revision ID: 0015_routing_defaults
Revises: 0018_reach_every_household
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_routing_defaults"
down_revision = "0018_reach_every_household"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_default",
        sa.Column("category", sa.String(40), primary_key=True),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agency.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("app_user.id")),
    )


def downgrade() -> None:
    op.drop_table("routing_default")
