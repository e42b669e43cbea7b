"""sign-in throttle: failed sign-ins counted in PostgreSQL, shared by every server process

Failures used to be counted in each process's memory, per username and per client address,
with a lockout after ten a minute: any process behind a load balancer kept its own count, and
ten wrong passwords from an attacker locked the real user out too. Now each failure is counted
here under three keys (server/domain/auth/throttle.py): the username from this client, the
client, and the username from anywhere. Past a few free failures each key makes the next
attempt wait twice as long as the last (a progressive delay, never a lockout): the attacker's
own username-and-client pair slows down fastest, while the real user, from another address,
signs in as usual. A count starts again a day after its last failure.

Revision ID: 0012_sign_in_throttle
Revises: 0011_one_pair_per_street
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_sign_in_throttle"
down_revision = "0011_one_pair_per_street"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sign_in_throttle"),
    )
    # Old counts are cleared by age.
    op.create_index("ix_sign_in_throttle_last_failure_at", "sign_in_throttle", ["last_failure_at"])


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
