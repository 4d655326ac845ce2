"""staff assignments record who ended them and why

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:10:00.000000

seed 003: the file shows who was concerned when. An assignment now also records who ended
it and why: a manager ("ended"), the person leaving the unit ("left_unit"), deactivation
("deactivated"), or the file being closed ("closed").
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(length=24),
                                      nullable=True))
        batch_op.create_foreign_key('fk_staff_assignment_ended_by', 'app_user',
                                    ['ended_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('staff_assignment', schema=None) as batch_op:
        batch_op.drop_constraint('fk_staff_assignment_ended_by', type_='foreignkey')
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_by_id')
