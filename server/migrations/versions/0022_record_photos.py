"""record photos: which photos a fix or follow-up refers to (by hash), in the order taken

A record names its photos by the SHA-256 of each (shared_schemas.records ``photos``); the photo
itself travels apart and may arrive later, so there is no foreign key to ``photo``: a row whose
photo has not arrived is shown as "photo on its way". Who may see a photo follows from the records
that refer to it (server/domain/photos/service.py).

Revision ID: 0022_record_photos
Revises: 0021_photos
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0022_record_photos"
down_revision = "0021_photos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_photo",
        sa.Column("record_id", UUID(as_uuid=True), nullable=False),
        sa.Column("record_type", sa.String(10), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(10)),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.CheckConstraint("record_type IN ('fix', 'followup')", name="ck_record_photo_record_type"),
        sa.CheckConstraint("stage IS NULL OR stage IN ('before', 'after')", name="ck_record_photo_stage"),
        sa.PrimaryKeyConstraint("record_id", "sha256", name="pk_record_photo"),
    )
    op.create_index("ix_record_photo_sha256", "record_photo", ["sha256"])


def downgrade() -> None:
    op.drop_table("record_photo")
