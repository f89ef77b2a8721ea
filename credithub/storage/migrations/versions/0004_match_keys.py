"""persistent match index for incremental resolve

Revision ID: 0004_match_keys
Revises: 0003_pipeline_scale

- match_keys: one row per blocking key (identifier keys, name blocks; a 64-bit hash) of each
  resolved canonical record. The resolve stage looks up the keys of the day's new and changed
  records here and loads only the records they can meet, instead of every resolved record.
  Filled by the next resolve: an index that is empty or of another key version is rebuilt by
  one full resolve (see credithub/pipeline/resolve.py).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_match_keys"
down_revision = "0003_pipeline_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_keys",
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("canonical_record_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "canonical_record_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_match_keys_record", "match_keys", ["canonical_record_id"])


def downgrade() -> None:
    op.drop_index("ix_match_keys_record", table_name="match_keys")
    op.drop_table("match_keys")
