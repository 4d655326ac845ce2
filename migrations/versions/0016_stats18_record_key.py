"""statistics: a random record key on every tally (the cell-key method, issue 18 §1)

Revision ID: 0016_stats18
Revises: 0015
Create Date: 2026-12-01 14:45:00.000000

Every tally gets a secret random 32-bit record key, copied onto its value rows so that a
cell's key is SUM(record_key) in the same GROUP BY as its count (models/manage/protection.py).
Existing tallies get random keys here, from the database's own generator; the statistics
index gains the column so the breakdowns still never touch the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016_stats18'
down_revision = '0015'
branch_labels = None
depends_on = None

_STATS_COLUMNS = ['activity_id', 'field_key', 'occurred_at', 'unit_id', 'voided', 'choice',
                  'count']


def upgrade() -> None:
    for table in ('tally', 'tally_value'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('record_key', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE tally SET record_key = "
                   "(floor(random() * 4294967296) - 2147483648)::integer")
        op.execute("UPDATE tally_value v SET record_key = t.record_key "
                   "FROM tally t WHERE t.id = v.tally_id")
    else:
        # random() is a signed 64-bit integer; its top 32 bits are a signed 32-bit one.
        op.execute("UPDATE tally SET record_key = (random() >> 32)")
        op.execute("UPDATE tally_value SET record_key = "
                   "(SELECT t.record_key FROM tally t WHERE t.id = tally_value.tally_id)")
    for table in ('tally', 'tally_value'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('record_key', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('tally_value', schema=None) as batch_op:
        batch_op.drop_index('ix_tally_value_stats')
        batch_op.create_index('ix_tally_value_stats', [*_STATS_COLUMNS, 'record_key'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tally_value', schema=None) as batch_op:
        batch_op.drop_index('ix_tally_value_stats')
        batch_op.create_index('ix_tally_value_stats', _STATS_COLUMNS, unique=False)
    for table in ('tally_value', 'tally'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('record_key')
