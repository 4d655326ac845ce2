"""records management: the four parts' migrations joined into one head

Revision ID: 0015
Revises: 0011, 0012, 0013, 0014
Create Date: 2026-12-01 13:30:00.000000

Retention and archive (0011), the right to read (0012), log review (0013) and the quality
system (0014) were built side by side, each after 0009; this revision makes one head again.
"""

from __future__ import annotations

revision = '0015'
down_revision = ('0011', '0012', '0013', '0014')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
