"""access-log retention: signed reviews keep a copy of their sample; prune runs are logged

Revision ID: 0016_rec14
Revises: 0015
Create Date: 2026-12-01 15:00:00.000000

Issue 14, section 1: access-log rows have their own retention (models/records/
log_retention.py). A signed log review keeps a copy of each sampled row
(`log_review_snapshot`, filled here for the reviews signed before this revision), so the
samples' and marks' ids no longer hold the rows with a foreign key. A prune of the access
log is a destruction run with a count of rows (`what`, `log_rows`, `log_before`).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016_rec14'
down_revision = '0015'
branch_labels = None
depends_on = None

# SQLite's foreign keys have no names: batch mode names them by this convention to drop them
CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
HOLDERS = ("log_review_sample", "log_review_mark")

BACKFILL = """
INSERT INTO log_review_snapshot (review_id, position, access_log_id, at, user_id, user_label,
                                 subject_type, subject_id, action, outcome)
SELECT s.review_id, s.position, s.access_log_id, a.at, a.user_id,
       COALESCE(u.display_name, ''), a.subject_type, a.subject_id, a.action, a.outcome
FROM log_review_sample s
JOIN log_review_signature g ON g.review_id = s.review_id
JOIN access_log a ON a.id = s.access_log_id
LEFT JOIN app_user u ON u.id = a.user_id
"""


def _drop_fk(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(table, recreate="always",
                                  naming_convention=CONVENTION) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_access_log_id_access_log", type_="foreignkey")
        return
    op.drop_constraint(f"{table}_access_log_id_fkey", table, type_="foreignkey")


def upgrade() -> None:
    op.create_table('log_review_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('access_log_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_label', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('subject_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['log_review.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('log_review_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_review_snapshot_review_id'), ['review_id'],
                              unique=False)
    op.execute(BACKFILL)
    for table in HOLDERS:
        _drop_fk(table)
    with op.batch_alter_table('destruction_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('what', sqlmodel.sql.sqltypes.AutoString(length=16),
                                      nullable=False, server_default='files'))
        batch_op.add_column(sa.Column('log_rows', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('log_before', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('destruction_run', schema=None) as batch_op:
        batch_op.drop_column('log_before')
        batch_op.drop_column('log_rows')
        batch_op.drop_column('what')
    for table in HOLDERS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(f"{table}_access_log_id_fkey", 'access_log',
                                        ['access_log_id'], ['id'])
    with op.batch_alter_table('log_review_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_review_snapshot_review_id'))
    op.drop_table('log_review_snapshot')
