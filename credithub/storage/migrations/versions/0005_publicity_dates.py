"""profiles.public_next_change: a new day re-publishes only the profiles whose public view changes

Revision ID: 0005_publicity_dates
Revises: 0004_match_keys

NULL (every row this migration finds) means "not known": such a profile is re-published on the
next new day, which then records its date.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_publicity_dates"
down_revision = "0004_match_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("profiles", sa.Column("public_next_change", sa.Date(), nullable=True))
    op.create_index("ix_profiles_public_next_change", "profiles", ["public_next_change"])


def downgrade() -> None:
    op.drop_index("ix_profiles_public_next_change", table_name="profiles")
    op.drop_column("profiles", "public_next_change")
