"""retention schedule: a daily job's lease and the day it last ran; photos waiting to leave the store

``scheduled_job`` holds one row per daily job (``retention`` now). Whichever server process finds the
job due leases the row (``claimed_until``, like ``notification``); the run writes ``done_for`` (the
local day it ran for) in its own transaction, so with any number of servers a day's run happens once,
and a server that was down at the hour catches up when it comes back.

``photo_removal`` is the queue of photos retention took out of the database whose stored object
(a file or an S3 object) is still to be deleted: the rows go in the retention transaction, the
objects after it commits, so a crash in between leaves the queue, not an object nobody knows about.

Revision ID: 0023_retention_schedule
Revises: 0014_visit_corrections
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_retention_schedule"
down_revision = "0014_visit_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_job",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("done_for", sa.Date),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("name", name="pk_scheduled_job"),
    )
    op.execute("INSERT INTO scheduled_job (name) VALUES ('retention')")
    op.create_table(
        "photo_removal",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_photo_removal"),
    )


def downgrade() -> None:
    op.drop_table("photo_removal")
    op.drop_table("scheduled_job")
