"""device orders: a tablet marked lost or retired erases itself at its next contact

An admin or a coordinator marks a tablet (the ``device_id`` of one of its sessions) **lost** or
**retired**. Lost ends every live session on that tablet at once (reason ``lost``): its next
request is refused with that reason and the tablet erases its store, photos and key. Retired
keeps the sessions until the tablet has sent what it still holds; it then erases itself the same
way. Either way the tablet reports the erasure, and ``done_at`` records when. One open order per
tablet; orders are never deleted.

Revision ID: 0020_device_orders
Revises: 0016_followup_assignee
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0020_device_orders"
down_revision = "0016_followup_assignee"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_order",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("device_id", sa.String(200), nullable=False),
        sa.Column("device_name", sa.String(200)),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("session_id", UUID(as_uuid=True),
                  sa.ForeignKey("user_session.id", name="fk_device_order_session_id_user_session"), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("ordered_by_user_id", sa.Integer,
                  sa.ForeignKey("app_user.id", name="fk_device_order_ordered_by_user_id_app_user"), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('lost', 'retired')", name="ck_device_order_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_device_order"),
    )
    op.create_index("uq_device_order_open_device", "device_order", ["device_id"], unique=True,
                    postgresql_where=sa.text("done_at IS NULL"))


def downgrade() -> None:
    op.drop_table("device_order")
