"""admin log: every change an admin makes, with before and after values

Revision ID: 0016_admin17
Revises: 0015
Create Date: 2026-12-01 14:45:00.000000

Issue 17 §2: who changed what and when (people, units, the activity catalogue, settings);
settings with their values before and after, never a password.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016_admin17'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('admin_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admin_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_log_actor_id'), ['actor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('admin_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_admin_log_at'))
    op.drop_table('admin_log')
