"""one pair per street: team_street is unique on the street

"A street goes to one pair" was a check before an insert (server/domain/setup/services.py),
which two coordinators saving at the same moment could both pass, and which the demo loader
and moving a street did not run; readers took ``min(team_id)`` in case a street had two. The
database now refuses a second pair for a street; server/domain/operations/teams.py turns the
refusal into a 422 naming the pair that has it.

A street that already has more than one pair keeps the lowest-numbered one (what every reader
showed); each pair that loses a street gets a team event, so tablets pull the change.

Revision ID: 0011_one_pair_per_street
Revises: 0010_planning
"""

from alembic import op

revision = "0011_one_pair_per_street"
down_revision = "0010_planning"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        WITH dropped AS (
            DELETE FROM team_street AS ts
             WHERE EXISTS (SELECT 1 FROM team_street AS other
                            WHERE other.street_id = ts.street_id AND other.team_id < ts.team_id)
            RETURNING ts.team_id
        )
        INSERT INTO team_event (operation_id, team_id, removed)
        SELECT DISTINCT t.operation_id, t.id, false FROM dropped JOIN team AS t ON t.id = dropped.team_id
    """)
    op.drop_index("ix_team_street_street_id", table_name="team_street")
    op.create_unique_constraint("uq_team_street_street_id", "team_street", ["street_id"])


def downgrade() -> None:
    op.drop_constraint("uq_team_street_street_id", "team_street", type_="unique")
    op.create_index("ix_team_street_street_id", "team_street", ["street_id"], unique=False)
