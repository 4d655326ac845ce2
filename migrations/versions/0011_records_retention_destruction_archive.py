"""records management: retention periods, legal holds, destruction log, archive packages

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-05 10:00:00.000000

Issue 14, sections 1 and 2. Retention periods are data, seeded here with the seeds'
defaults (each row cites its seed); an admin edits them. A destroyed file leaves only its
former id and unit in `destroyed_file` (the access log keeps its rows and shows "destroyed
file"). The journal's tables whose rows a destruction deletes get AUTOINCREMENT on SQLite,
as 0008 did for working notes: a new client never gets a destroyed client's id.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None

# children before parents is not needed (foreign keys are off while migrating, env.py)
JOURNAL_TABLES = ("client", "assignment", "staff_assignment", "consent", "plan", "plan_goal",
                  "journal_entry", "goal_outcome", "shift_read")
PERIODS = [
    ("sol", 5, "Seed 003: SoL files are kept 5 years after the last entry."),
    ("lss", 5, "Seed 003: LSS files are kept 5 years after the last entry."),
    ("service", 2, "Seed 002: service interventions are kept 2 years after the last entry."),
    ("access_log", 5, "Issue 14: access-log rows are kept 5 years from the row's date."),
]


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in JOURNAL_TABLES:
        with op.batch_alter_table(name, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    period = op.create_table('retention_period',
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('years', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('kind')
    )
    now = datetime.now(UTC)
    op.bulk_insert(period, [{"kind": k, "years": y, "source": s, "updated_at": now}
                            for k, y, s in PERIODS])
    op.create_table('legal_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('set_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], ),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['set_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_hold_client_id'), ['client_id'], unique=False)

    op.create_table('destruction_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('files', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('destruction_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_run_at'), ['at'], unique=False)

    op.create_table('destruction_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('files', sa.Integer(), nullable=False),
    sa.Column('assignments', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('plans', sa.Integer(), nullable=False),
    sa.Column('goals', sa.Integer(), nullable=False),
    sa.Column('consents', sa.Integer(), nullable=False),
    sa.Column('staff', sa.Integer(), nullable=False),
    sa.Column('archived', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['destruction_run.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('destruction_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_log_run_id'), ['run_id'], unique=False)

    op.create_table('archived_package',
    sa.Column('package_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('mets_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['destruction_run.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('package_id')
    )
    with op.batch_alter_table('archived_package', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archived_package_run_id'), ['run_id'], unique=False)

    op.create_table('destroyed_file',
    sa.Column('client_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('destroyed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('client_id')
    )
    with op.batch_alter_table('destroyed_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destroyed_file_unit_id'), ['unit_id'], unique=False)
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
    for name in ('destroyed_file', 'archived_package', 'destruction_log', 'destruction_run',
                 'legal_hold', 'retention_period'):
        op.drop_table(name)
