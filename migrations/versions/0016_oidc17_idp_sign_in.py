"""sign-in through the identity provider: links and the session's level

Revision ID: 0016_oidc17
Revises: 0015
Create Date: 2026-12-01 14:45:00.000000

Issue 17 §1: a person is linked to one subject at one OpenID provider (idp_link, unique
both ways); a session started through the provider keeps the level it vouched for (acr,
amr) and its ID token while it lives (the hint for the provider's sign-out).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016_oidc17'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idp_link',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('linked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['linked_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('issuer', 'subject', name='uq_idp_link_subject')
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acr', sqlmodel.sql.sqltypes.AutoString(length=255),
                                      nullable=True))
        batch_op.add_column(sa.Column('amr', sqlmodel.sql.sqltypes.AutoString(length=255),
                                      nullable=True))
        batch_op.add_column(sa.Column('idp_id_token',
                                      sqlmodel.sql.sqltypes.AutoString(length=8000),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('idp_id_token')
        batch_op.drop_column('amr')
        batch_op.drop_column('acr')
    op.drop_table('idp_link')
