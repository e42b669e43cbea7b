"""notification lease: the worker leases a row instead of locking it while it sends

The notification worker used to claim a row with ``SELECT … FOR UPDATE SKIP LOCKED`` and keep
that transaction open during the SMTP or webhook exchange, up to their timeouts. Pulls only show
rows older than the oldest running transaction in the cluster (README, "The change cursor"), so
no tablet saw a new change meanwhile. Now a short transaction sets ``claimed_until`` (the lease)
and commits, the message is sent with no transaction open, and another short transaction records
the outcome and clears the lease. A worker that dies mid-send leaves a lease that expires, and
the row is sent again (at least once, as before).

Revision ID: 0006_notification_lease
Revises: 0005_session_timeouts
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_notification_lease"
down_revision = "0005_session_timeouts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notification", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("notification", "claimed_until")
