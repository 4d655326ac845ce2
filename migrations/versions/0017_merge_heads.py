"""issues 14–18: the parts' migrations joined into one head

Revision ID: 0017
Revises: 0016_lead, 0016_admin17, 0016_rec14, 0016_oidc17, 0016_stats18
Create Date: 2026-12-01 16:00:00.000000

Built side by side after 0015: historic imports and API tokens (0016_lead), the admin log
(0016_admin17), the access log's retention and review snapshots (0016_rec14), sign-in
through an identity provider (0016_oidc17), the tallies' record keys (0016_stats18); this
revision makes one head again.
"""

from __future__ import annotations

revision = '0017'
down_revision = ('0016_lead', '0016_admin17', '0016_rec14', '0016_oidc17', '0016_stats18')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
