"""Session timeouts: a transaction left idle holds back every tablet's pull.

Pull returns rows whose writing transaction has finished (the snapshot's xmin, see the
README's design notes), so one session forgotten "idle in transaction" would delay all pulls
until it ends. PostgreSQL ends such sessions after a minute.

Revision ID: 0005_session_timeouts
Revises: 0003_results
"""

from alembic import op

revision = "0005_session_timeouts"
down_revision = "0003_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        DO $$ BEGIN
            EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = %L',
                           current_database(), '60s');
        END $$""")


def downgrade() -> None:
    op.execute("""
        DO $$ BEGIN
            EXECUTE format('ALTER DATABASE %I RESET idle_in_transaction_session_timeout', current_database());
        END $$""")
