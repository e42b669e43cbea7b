"""building outlines from the OpenStreetMap import, drawn faintly on the coordinators' maps

Streets floated on white: the map had no sense of place. Every building of the extract (numbered or
not) keeps its outline here; an import replaces the operation's outlines with the extract's. Nothing
refers to them: they are a picture, not doors (doors are households).

Revision ID: 0017_buildings
Revises: 0020_device_orders
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0017_buildings"
down_revision = "0020_device_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "building",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("operation_id", sa.Integer, sa.ForeignKey("operation.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    )
    op.create_index("ix_building_operation", "building", ["operation_id"])


def downgrade() -> None:
    op.drop_table("building")
