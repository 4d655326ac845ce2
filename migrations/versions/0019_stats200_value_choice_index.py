"""statistics: the value rows in (activity, field, option, time) order (issue 16 §3)

Revision ID: 0019_stats200
Revises: 0018_save16
Create Date: 2026-12-01 22:00:00.000000

ix_tally_value_choice on tally_value (activity, field, option, time, unit, undone, count,
record key): the report's series and breakdowns (models.manage.aggregate.value_cells) read
each bucket of a period with the options listed, and get the rows grouped by (field,
option) as the index holds them: SQLite no longer sorts every value row of the period in a
temporary B-tree (most of the shared tables' time at 1 M tallies, bench/stats.py), and
PostgreSQL aggregates a bucket at a time without a CASE per row. ix_tally_value_stats
stays: the monthly breakdown by time and the cross table's per-tally join read it.
"""

from __future__ import annotations

from alembic import op

revision = '0019_stats200'
down_revision = '0018_save16'
branch_labels = None
depends_on = None

_COLUMNS = ['activity_id', 'field_key', 'choice', 'occurred_at', 'unit_id', 'voided', 'count',
            'record_key']


def upgrade() -> None:
    op.create_index('ix_tally_value_choice', 'tally_value', _COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index('ix_tally_value_choice', table_name='tally_value')
