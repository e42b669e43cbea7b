"""reach every household: communication needs, the card left at the door, answers online

- ``visit.communication``: how an answered visit was held (language, interpreter, adjustments;
  shared_schemas/communication.py), as the tablet or the /respond page sent it.
- ``followup_resident.contact_method`` and ``language``: how and in which language the resident
  wants the partner to get in touch; beside the other contact details, so under the same consent rule.
- ``response_card``: one row per card left at a door, keyed by the SHA-256 of its code (the code
  itself is never stored): the door, the pair and the card_left visit it came with, and, once a
  resident has answered online with it, when and with which visit. Answering marks it with one
  ``UPDATE … WHERE answered_at IS NULL``, so two answers racing for one code cannot both count.
- ``doorstep_closing_rank``: ``answered_online`` ranks as ``answered`` (a door answered online is
  answered: shared_schemas/doors.py CLOSED_AS). No visit has that outcome yet, so nothing to recount.

Revision ID: 0018_reach_every_household
Revises: 0013_walk_order
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0018_reach_every_household"
down_revision = "0013_walk_order"
branch_labels = None
depends_on = None

_RANK = """
    CREATE OR REPLACE FUNCTION doorstep_closing_rank(outcome text) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT (CASE outcome WHEN 'answered' THEN 4 WHEN 'answered_online' THEN 4 WHEN 'refused' THEN 3
                             WHEN 'do_not_visit' THEN 2 WHEN 'vacant' THEN 1 ELSE 0 END)::smallint
    $$"""


def upgrade() -> None:
    op.add_column("visit", sa.Column("communication", JSONB, nullable=True))
    op.add_column("followup_resident", sa.Column("contact_method", sa.String(20), nullable=True))
    op.add_column("followup_resident", sa.Column("language", sa.String(35), nullable=True))
    op.create_table(
        "response_card",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("operation_id", sa.Integer, nullable=False),
        sa.Column("household_id", sa.Integer, nullable=False),
        sa.Column("team_id", sa.Integer, nullable=False),
        sa.Column("visit_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_visit_id", UUID(as_uuid=True), nullable=True),
        sa.ForeignKeyConstraint(["household_id", "operation_id"], ["household.id", "household.operation_id"],
                                ondelete="CASCADE", name="fk_response_card_household_id_household"),
        sa.ForeignKeyConstraint(["team_id", "operation_id"], ["team.id", "team.operation_id"],
                                ondelete="CASCADE", name="fk_response_card_team_id_team"),
        sa.CheckConstraint("(answered_at IS NULL) = (answer_visit_id IS NULL)", name="ck_response_card_answered"),
    )
    op.create_index("ix_response_card_household", "response_card", ["household_id"])
    op.execute(_RANK)


def downgrade() -> None:
    op.execute(_RANK.replace("WHEN 'answered_online' THEN 4 ", ""))
    op.drop_index("ix_response_card_household", table_name="response_card")
    op.drop_table("response_card")
    op.drop_column("followup_resident", "language")
    op.drop_column("followup_resident", "contact_method")
    op.drop_column("visit", "communication")
