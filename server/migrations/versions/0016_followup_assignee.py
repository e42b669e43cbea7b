"""follow-up assignee and event kinds: a follow-up can be assigned to a named person of its agency,
and each event says what it was (raised, status, note, assign, reassign)

A partner agency's inbox is a work queue: "assigned to me" needs a person on the follow-up
(``followup.assignee_user_id``), and the history needs to tell a note or an assignment from a status
change (``followup_event.kind``; ``assignee_user_id`` on an "assign" event). A stale version is then
refused only when what changed since conflicts with the change sent (a status or an agency), not when
someone added a note or took the follow-up on. Earlier events are given their kind from their statuses.

Revision ID: 0016_followup_assignee
Revises: 0015_routing_defaults
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_followup_assignee"
down_revision = "0015_routing_defaults"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("followup", sa.Column("assignee_user_id", sa.Integer, sa.ForeignKey("app_user.id")))
    op.create_index("ix_followup_assignee", "followup", ["assignee_user_id"],
                    postgresql_where=sa.text("assignee_user_id IS NOT NULL"))
    op.add_column("followup_event", sa.Column("kind", sa.String(10), nullable=False, server_default="status"))
    op.add_column("followup_event", sa.Column("assignee_user_id", sa.Integer, sa.ForeignKey("app_user.id")))
    op.execute("""
        UPDATE followup_event AS e
           SET kind = CASE WHEN e.from_status IS NULL THEN 'raised'
                           WHEN e.agency_id IS DISTINCT FROM prev.agency_id THEN 'reassign'
                           ELSE 'status' END
          FROM (SELECT id, lag(agency_id) OVER (PARTITION BY followup_id ORDER BY id) AS agency_id
                  FROM followup_event) AS prev
         WHERE prev.id = e.id
    """)


def downgrade() -> None:
    op.drop_column("followup_event", "assignee_user_id")
    op.drop_column("followup_event", "kind")
    op.drop_index("ix_followup_assignee", table_name="followup")
    op.drop_column("followup", "assignee_user_id")
