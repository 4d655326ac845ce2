"""manager day review, statistics index

Revision ID: 0005
Revises: 0002, 0003
Create Date: 2026-11-25 19:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0005'
down_revision = ('0002', '0003')
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('day_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['reviewed_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'day', 'reviewed_by', name='uq_day_review_unit_day_by')
    )
    with op.batch_alter_table('day_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_day_review_unit_id'), ['unit_id'], unique=False)

    # Statistics read tally_value through this covering index (models/stats.py).
    with op.batch_alter_table('tally_value', schema=None) as batch_op:
        batch_op.create_index('ix_tally_value_stats', ['activity_id', 'field_key', 'occurred_at', 'unit_id', 'voided', 'choice', 'count'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tally_value', schema=None) as batch_op:
        batch_op.drop_index('ix_tally_value_stats')

    with op.batch_alter_table('day_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_day_review_unit_id'))

    op.drop_table('day_review')
