"""issue 16: 'saved today' counted from the index alone

Revision ID: 0018_save16
Revises: 0018_stats16
Create Date: 2026-12-01 18:00:00.000000

Every tally save answers with how many of the person's tallies for the activity still count
today ("Sparad · 4 i dag"). With voided_at as the index's last column, SQLite and PostgreSQL
count them from the index without reading a table row per tally.

ix_tally_activity_occurred (activity, time) goes: ix_tally_stats (0018_stats16) begins with
the same two columns and answers what it did, so a save writes one index entry fewer.
"""

from __future__ import annotations

from alembic import op

revision = '0018_save16'
down_revision = '0018_stats16'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tally', schema=None) as batch_op:
        batch_op.drop_index('ix_tally_activity_occurred')
        batch_op.drop_index('ix_tally_user_activity_created')
        batch_op.create_index('ix_tally_user_activity_created',
                              ['user_id', 'activity_id', 'created_at', 'voided_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tally', schema=None) as batch_op:
        batch_op.create_index('ix_tally_activity_occurred', ['activity_id', 'occurred_at'],
                              unique=False)
        batch_op.drop_index('ix_tally_user_activity_created')
        batch_op.create_index('ix_tally_user_activity_created',
                              ['user_id', 'activity_id', 'created_at'], unique=False)
