"""each responsible unit's current field-set version, stored; one tally_value index fewer

Revision ID: 0006
Revises: 0004, 0005
Create Date: 2026-11-25 22:40:00.000000

`activity_unit.field_set_id` is derived data (models/catalogue.refresh_field_sets). Here it
is filled for every unit without option lists of its own (their version is the activity's
newest base version); the rest stay NULL, are derived on read, and are stored by
`flask db-upgrade`, which refreshes the links after migrating.

ix_tally_value_activity_field_time is dropped: ix_tally_value_stats (0005) begins with the
same three columns, so it served no query and cost a write per tally value.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = ('0004', '0005')
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('activity_unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('field_set_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_activity_unit_field_set', 'field_set',
                                    ['field_set_id'], ['id'])
    op.execute("""
        UPDATE activity_unit SET field_set_id = (
            SELECT fs.id FROM field_set fs
            WHERE fs.activity_id = activity_unit.activity_id AND fs.base = true
            ORDER BY fs.version DESC LIMIT 1)
        WHERE NOT EXISTS (
            SELECT 1 FROM unit_option_list u WHERE u.unit_id = activity_unit.unit_id)
          AND EXISTS (
            SELECT 1 FROM activity a WHERE a.id = activity_unit.activity_id
              AND a.level IN ('aggregate', 'notes'))
    """)


    with op.batch_alter_table('tally_value', schema=None) as batch_op:
        batch_op.drop_index('ix_tally_value_activity_field_time')


def downgrade() -> None:
    with op.batch_alter_table('tally_value', schema=None) as batch_op:
        batch_op.create_index('ix_tally_value_activity_field_time',
                              ['activity_id', 'field_key', 'occurred_at'], unique=False)
    with op.batch_alter_table('activity_unit', schema=None) as batch_op:
        batch_op.drop_constraint('fk_activity_unit_field_set', type_='foreignkey')
        batch_op.drop_column('field_set_id')
