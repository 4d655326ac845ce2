"""statistics at municipal scale: covering indexes for the report (issue 16 §3)

Revision ID: 0018_stats16
Revises: 0017
Create Date: 2026-12-01 18:00:00.000000

- ix_tally_value_stats gains tally_id right after occurred_at: the cross table joins a
  tally's second value through the same index (activity, field, time, tally) without
  touching the table; the other breakdowns read it as before.
- ix_tally_stats on tally (activity, time, unit, undone, record key, logged): the period's
  totals, the units' counts, the series and the logging lag read the index alone instead of
  one table row per tally.
"""

from __future__ import annotations

from alembic import op

revision = '0018_stats16'
down_revision = '0017'
branch_labels = None
depends_on = None

_OLD = ['activity_id', 'field_key', 'occurred_at', 'unit_id', 'voided', 'choice', 'count',
        'record_key']
_NEW = ['activity_id', 'field_key', 'occurred_at', 'tally_id', 'unit_id', 'voided', 'choice',
        'count', 'record_key']
_TALLY = ['activity_id', 'occurred_at', 'unit_id', 'voided_at', 'record_key', 'created_at']


def upgrade() -> None:
    op.drop_index('ix_tally_value_stats', table_name='tally_value')
    op.create_index('ix_tally_value_stats', 'tally_value', _NEW, unique=False)
    op.create_index('ix_tally_stats', 'tally', _TALLY, unique=False)


def downgrade() -> None:
    op.drop_index('ix_tally_stats', table_name='tally')
    op.drop_index('ix_tally_value_stats', table_name='tally_value')
    op.create_index('ix_tally_value_stats', 'tally_value', _OLD, unique=False)
