"""log review (loggkontroll): reviews, their samples, marks, signatures and notes

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-01 13:00:00.000000

Issue 14, part 4. Every table is written by INSERT only (models/records/log_review.py), so
the app's PostgreSQL role can be limited to INSERT and SELECT on them (README).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('log_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('unit_ids', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('filter_user_id', sa.Integer(), nullable=True),
    sa.Column('filter_client_id', sa.Integer(), nullable=True),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('denied_only', sa.Boolean(), nullable=False),
    sa.Column('max_log_id', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.ForeignKeyConstraint(['reviewer_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('log_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_review_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('log_review_sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('access_log_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['access_log_id'], ['access_log.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['log_review.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id', 'access_log_id', name='uq_log_review_sample_row')
    )
    with op.batch_alter_table('log_review_sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_review_sample_review_id'), ['review_id'], unique=False)

    op.create_table('log_review_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('access_log_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('marked_by', sa.Integer(), nullable=False),
    sa.Column('marked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['access_log_id'], ['access_log.id'], ),
    sa.ForeignKeyConstraint(['marked_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['log_review.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('log_review_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_review_mark_review_id'), ['review_id'], unique=False)

    op.create_table('log_review_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('signed_by', sa.Integer(), nullable=False),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('conclusion', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('follow_up', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['log_review.id'], ),
    sa.ForeignKeyConstraint(['signed_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('review_id')
    )

    op.create_table('log_review_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['review_id'], ['log_review.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('log_review_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_review_note_review_id'), ['review_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('log_review_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_review_note_review_id'))
    op.drop_table('log_review_note')
    op.drop_table('log_review_signature')
    with op.batch_alter_table('log_review_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_review_mark_review_id'))
    op.drop_table('log_review_mark')
    with op.batch_alter_table('log_review_sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_review_sample_review_id'))
    op.drop_table('log_review_sample')
    with op.batch_alter_table('log_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_review_reviewer_id'))
    op.drop_table('log_review')
