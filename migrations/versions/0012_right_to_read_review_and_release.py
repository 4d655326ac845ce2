"""right to read: the secrecy review, its marks and the released copies

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-01 13:00:00.000000

seed 002 and OSL 26:1: a manager reviews the whole file before a copy is released, marks
notes or passages to withhold with a reason, and releases the copy (the PDF/A as released,
its SHA-256, who, when and to whom). The rows go with the client's file when it is
destroyed (ON DELETE CASCADE).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reading_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reading_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reading_review_client_id'), ['client_id'], unique=False)

    op.create_table('reading_withholding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('passage', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('marked_by', sa.Integer(), nullable=False),
    sa.Column('marked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entry.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marked_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['reading_review.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reading_withholding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reading_withholding_review_id'), ['review_id'], unique=False)

    op.create_table('reading_release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('released_by', sa.Integer(), nullable=False),
    sa.Column('released_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('withheld_count', sa.Integer(), nullable=False),
    sa.Column('pdf_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['released_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['reading_review.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id')
    )
    with op.batch_alter_table('reading_release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reading_release_client_id'), ['client_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reading_release', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reading_release_client_id'))
    op.drop_table('reading_release')

    with op.batch_alter_table('reading_withholding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reading_withholding_review_id'))
    op.drop_table('reading_withholding')

    with op.batch_alter_table('reading_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reading_review_client_id'))
    op.drop_table('reading_review')
