"""deviations and self-checks (quality system)

Revision ID: 0014
Revises: 0009
Create Date: 2026-12-01 13:00:00.000000

seed 003, SOSFS 2011:9: deviations are reported, investigated, classified (a unit's own
list of classes, stored as data), given measures and closed; self-checks draw a sample of
files with a stored seed and keep each criterion's computed and confirmed answer.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deviation_kind',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('custom_label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_id', 'key', name='uq_deviation_kind_unit_key')
    )
    with op.batch_alter_table('deviation_kind', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deviation_kind_unit_id'), ['unit_id'], unique=False)

    op.create_table('deviation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('reported_by', sa.Integer(), nullable=False),
    sa.Column('reported_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('occurred_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('what', sqlmodel.sql.sqltypes.AutoString(length=1200), nullable=False),
    sa.Column('immediate_action', sqlmodel.sql.sqltypes.AutoString(length=600), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind_id', sa.Integer(), nullable=True),
    sa.Column('investigation', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('measures', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entry.id'], ),
    sa.ForeignKeyConstraint(['kind_id'], ['deviation_kind.id'], ),
    sa.ForeignKeyConstraint(['reported_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uuid')
    )
    with op.batch_alter_table('deviation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deviation_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deviation_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deviation_unit_id'), ['unit_id'], unique=False)

    op.create_table('self_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('drawn_by', sa.Integer(), nullable=False),
    sa.Column('drawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('conclusion', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('measures', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('signed_by', sa.Integer(), nullable=True),
    sa.Column('signed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['drawn_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['signed_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('self_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_check_unit_id'), ['unit_id'], unique=False)

    op.create_table('self_check_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('self_check_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('criterion', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('auto_result', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['self_check_id'], ['self_check.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('self_check_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_self_check_item_self_check_id'), ['self_check_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('self_check_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_check_item_self_check_id'))
    op.drop_table('self_check_item')
    with op.batch_alter_table('self_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_self_check_unit_id'))
    op.drop_table('self_check')
    with op.batch_alter_table('deviation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deviation_unit_id'))
        batch_op.drop_index(batch_op.f('ix_deviation_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_deviation_client_id'))
    op.drop_table('deviation')
    with op.batch_alter_table('deviation_kind', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deviation_kind_unit_id'))
    op.drop_table('deviation_kind')
