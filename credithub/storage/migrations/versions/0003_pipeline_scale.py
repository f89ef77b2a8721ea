"""pipeline at city scale: indexes for chunked validation and superseding older versions

Revision ID: 0003_pipeline_scale
Revises: 0002_steward_security

- ix_staged_batch_pending: the validate stage reads a batch's pending rows in (record id, id)
  order, chunk by chunk; without it every chunk sorted the whole batch.
- ix_staged_source: sync marks older versions of a record superseded; without it that update
  scanned every pending row of the department per landed chunk (quadratic on a first load).
"""

from alembic import op

revision = "0003_pipeline_scale"
down_revision = "0002_steward_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_staged_batch_pending", "staged_records", ["batch_id", "status", "source_record_id", "id"]
    )
    op.create_index("ix_staged_source", "staged_records", ["department", "stream", "source_record_id"])


def downgrade() -> None:
    op.drop_index("ix_staged_source", table_name="staged_records")
    op.drop_index("ix_staged_batch_pending", table_name="staged_records")
