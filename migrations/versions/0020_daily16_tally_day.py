"""statistics: the tallies' daily counts, kept with the tallies (issue 16 §3)

Revision ID: 0020_daily16
Revises: 0019_stats200
Create Date: 2026-12-02 04:00:00.000000

tally_day holds, per activity, field, local day, option and unit, the sum of the live value
rows' counts and of their record keys; the row with field '' and option '' counts the
tallies themselves (models/tally/daily.py). Every tally written, undone, corrected or
imported updates it in the same transaction; statistics read it instead of the value rows
(a year of a busy activity: a row per day, field, option and unit instead of one per value).
The sums ride in the primary key's index (PostgreSQL: INCLUDE; SQLite: WITHOUT ROWID), so
a period is read from the index alone.
The existing tallies are counted into it here.

ix_tally_value_choice (0019_stats200) served only the reads that now use tally_day: it
goes, and every tally saved writes one index fewer.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

revision = '0020_daily16'
down_revision = '0019_stats200'
branch_labels = None
depends_on = None

_TZ = os.environ.get("NARA_TIMEZONE", "Europe/Stockholm")
_CHOICE_COLUMNS = ['activity_id', 'field_key', 'choice', 'occurred_at', 'unit_id', 'voided',
                   'count', 'record_key']


def upgrade() -> None:
    op.create_table(
        'tally_day',
        sa.Column('activity_id', sa.Integer(), sa.ForeignKey('activity.id'), nullable=False),
        sa.Column('field_key', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('choice', sa.String(length=24), nullable=False),
        sa.Column('unit_id', sa.Integer(), sa.ForeignKey('unit.id'), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.Column('key_sum', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('activity_id', 'field_key', 'day', 'choice', 'unit_id',
                                name='pk_tally_day', postgresql_include=['n', 'key_sum']),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # Each activity has its own fields: without this PostgreSQL multiplies the two
        # conditions' shares as if independent, expects 1 % of a year's rows, and sorts
        # them (10 M tallies: 28 ms) where hashing them takes 16 ms.
        op.execute("CREATE STATISTICS tally_day_fields (dependencies, mcv) "
                   "ON activity_id, field_key FROM tally_day")
        day = "CAST((occurred_at AT TIME ZONE :tz) AS DATE)"
    else:  # registered on every SQLite connection by models.core.db
        day = "nara_local_day(occurred_at)"
    bind.execute(sa.text(
        "INSERT INTO tally_day (activity_id, field_key, day, choice, unit_id, n, key_sum) "
        f"SELECT activity_id, '', {day}, '', unit_id, COUNT(*), SUM(record_key) FROM tally "
        f"WHERE voided_at IS NULL GROUP BY activity_id, {day}, unit_id"), {"tz": _TZ})
    bind.execute(sa.text(
        "INSERT INTO tally_day (activity_id, field_key, day, choice, unit_id, n, key_sum) "
        f"SELECT activity_id, field_key, {day}, COALESCE(choice, ''), unit_id, SUM(count), "
        "SUM(record_key) FROM tally_value WHERE voided = false "
        f"GROUP BY activity_id, field_key, {day}, COALESCE(choice, ''), unit_id"), {"tz": _TZ})
    op.drop_index('ix_tally_value_choice', table_name='tally_value')


def downgrade() -> None:
    op.create_index('ix_tally_value_choice', 'tally_value', _CHOICE_COLUMNS, unique=False)
    op.drop_table('tally_day')
