"""server-side sessions: one row per sign-in; the per-user session token goes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00.000000

The cookie now carries only a random session key; `user_session` stores its SHA-256 with
the user, the times and a coarse device label, and records when and why it ended. The
old `app_user.session_token` (rotated to end every session of a person at once) is
replaced by ending the rows, so it is dropped; every existing sign-in ends here.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'user_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.Column('device', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.ForeignKeyConstraint(['ended_by_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_user_session_live', 'user_session', ['user_id', 'ended_at'])
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index('ix_app_user_session_token')
        batch_op.drop_column('session_token')


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=True))
    op.execute("UPDATE app_user SET session_token = "
               "substr(md5(random()::text || id::text), 1, 32)"
               if op.get_bind().dialect.name == 'postgresql' else
               "UPDATE app_user SET session_token = lower(hex(randomblob(16)))")
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.alter_column('session_token', nullable=False)
        batch_op.create_index('ix_app_user_session_token', ['session_token'], unique=True)
    op.drop_index('ix_user_session_live', table_name='user_session')
    op.drop_table('user_session')
