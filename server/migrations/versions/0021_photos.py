"""photos: each photo a tablet uploads, once, by the SHA-256 of its bytes

A photo travels apart from the records (``PUT /api/v1/photos/{sha256}``), which refer to it by
that hash. The server re-encodes it (shared_schemas.photos.clean_photo: orientation applied, every
metadata block dropped, at most 1,600 px) and keeps the result in the photo store (files under the
data folder, or S3); this row says it has arrived. The same photo sent twice, even at once, is one row.

Revision ID: 0021_photos
Revises: 0017_buildings
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_photos"
down_revision = "0017_buildings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("byte_size", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer,
                  sa.ForeignKey("app_user.id", name="fk_photo_uploaded_by_user_id_app_user"), nullable=False),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="ck_photo_sha256_hex"),
        sa.PrimaryKeyConstraint("sha256", name="pk_photo"),
    )


def downgrade() -> None:
    op.drop_table("photo")
