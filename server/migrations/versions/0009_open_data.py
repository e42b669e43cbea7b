"""open data: an operation's published state, and what happens next (priorities, who to contact)

- operation.published_at / published_by: set while the operation's results are published as open
  data (``POST /api/v1/operations/{id}/publish``), cleared when they are withdrawn. Every publish
  and withdrawal is also written to audit_log, so the history survives a withdrawal.
- operation.public_contact: who residents contact about the operation, as the coordinator writes
  it for the "you said, we did" report (a team's address or phone, never a person's).
- operation_priority: up to three "what happens next" priorities per operation, as a PACT meeting
  sets them; the database itself holds them to three (position 1..3) and to non-empty text.

Revision ID: 0009_open_data
Revises: 0008_user_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_open_data"
down_revision = "0008_user_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("operation", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("operation", sa.Column("published_by", sa.Integer(),
                                         sa.ForeignKey("app_user.id", name="fk_operation_published_by_app_user"),
                                         nullable=True))
    op.add_column("operation", sa.Column("public_contact", sa.Text(), nullable=True))
    # The open-data list reads published operations only.
    op.create_index("ix_operation_published", "operation", ["published_at"],
                    postgresql_where=sa.text("published_at IS NOT NULL"))
    op.create_table(
        "operation_priority",
        sa.Column("operation_id", sa.Integer(), sa.ForeignKey("operation.id", ondelete="CASCADE",
                                                             name="fk_operation_priority_operation_id_operation"),
                  nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("app_user.id",
                                                            name="fk_operation_priority_updated_by_app_user"),
                  nullable=True),
        sa.PrimaryKeyConstraint("operation_id", "position", name="pk_operation_priority"),
        sa.CheckConstraint("position BETWEEN 1 AND 3", name="ck_operation_priority_position"),
        sa.CheckConstraint("length(btrim(text)) > 0", name="ck_operation_priority_text"),
    )


def downgrade() -> None:
    op.drop_table("operation_priority")
    op.drop_index("ix_operation_published", table_name="operation")
    op.drop_column("operation", "public_contact")
    op.drop_column("operation", "published_by")
    op.drop_column("operation", "published_at")
