"""planning from the web: import jobs with leases, streets' USRNs, the close time of an operation

- ``import_job``: an uploaded OSM extract or address list waiting to be imported, being imported
  (a worker's lease in ``claimed_until``, like ``notification``), or done with its summary kept
  for the operation's set-up page. The file itself is kept in ``content`` until the job ends, so
  any server process can run it. Two uploads of the same file (same SHA-256) into the same
  operation cannot both wait or run: a partial unique index refuses the second.
- ``street.usrn``: the Unique Street Reference Number, learnt from an address list whose rows
  name a street of the area and give its USRN; later rows and uploads with that USRN find the
  street by it. Unique per operation where set.
- ``operation.closed_at``: when it was closed; visits made after it are refused, visits made
  before it still arrive and count. Cleared when the operation is reopened.
- ``household.source`` gains ``address_list`` (a String column: no type change).

Revision ID: 0010_planning
Revises: 0009_open_data
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010_planning"
down_revision = "0009_open_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("operation", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("street", sa.Column("usrn", sa.BigInteger(), nullable=True))
    op.create_index("uq_street_operation_usrn", "street", ["operation_id", "usrn"], unique=True,
                    postgresql_where=sa.text("usrn IS NOT NULL"))
    op.create_table(
        "import_job",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("operation_id", sa.Integer(), sa.ForeignKey("operation.id", ondelete="CASCADE",
                                                              name="fk_import_job_operation_id_operation"),
                  nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),  # osm, addresses
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),  # dropped when the job ends
        sa.Column("status", sa.String(10), nullable=False, server_default="queued"),  # queued running done failed
        sa.Column("step", sa.Text(), nullable=False, server_default=""),
        sa.Column("done", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("total", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("summary", JSONB(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("app_user.id", name="fk_import_job_created_by_app_user"),
                  nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('osm', 'addresses')", name="ck_import_job_kind"),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_import_job_status"),
    )
    op.create_index("ix_import_job_operation", "import_job", ["operation_id", "id"])
    op.create_index(
        "ix_import_job_due", "import_job", ["id"], postgresql_where=sa.text("status IN ('queued', 'running')")
    )
    op.create_index("uq_import_job_same_file", "import_job", ["operation_id", "sha256"], unique=True,
                    postgresql_where=sa.text("status IN ('queued', 'running')"))


def downgrade() -> None:
    op.drop_table("import_job")
    op.drop_index("uq_street_operation_usrn", table_name="street")
    op.drop_column("street", "usrn")
    op.drop_column("operation", "closed_at")
