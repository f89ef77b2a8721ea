"""steward console security: token expiry, server-side console sessions, pending identity changes

stewards.expires_at stays null for tokens created before this revision: their end of life is
created_at + settings.steward_token_days (credithub/stewardship/tokens.py), so no token lives forever.

Revision ID: 0002_steward_security
Revises: 0001
Create Date: 2026-11-29 20:00:40.685687
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002_steward_security'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('steward_sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('steward_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_hash', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['steward_id'], ['stewards.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('session_hash')
    )
    with op.batch_alter_table('steward_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_steward_sessions_steward_id'), ['steward_id'], unique=False)

    op.create_table('steward_pending_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('staged_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('department', sa.String(length=64), nullable=False),
    sa.Column('record_version', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('identity_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('proposed_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['stewards.id'], ),
    sa.ForeignKeyConstraint(['proposed_by'], ['stewards.id'], ),
    sa.ForeignKeyConstraint(['staged_record_id'], ['staged_records.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('steward_pending_changes', schema=None) as batch_op:
        batch_op.create_index('ix_pending_changes_record_status', ['staged_record_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_steward_pending_changes_department'), ['department'], unique=False)

    with op.batch_alter_table('stewards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('stewards', schema=None) as batch_op:
        batch_op.drop_column('expires_at')

    with op.batch_alter_table('steward_pending_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_steward_pending_changes_department'))
        batch_op.drop_index('ix_pending_changes_record_status')

    op.drop_table('steward_pending_changes')
    with op.batch_alter_table('steward_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_steward_sessions_steward_id'))

    op.drop_table('steward_sessions')
