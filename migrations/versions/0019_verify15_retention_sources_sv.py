"""issue 15 §5: the retention periods cite their rule in Swedish

Revision ID: 0019_verify15
Revises: 0018_save16
Create Date: 2026-12-01 22:00:00.000000

0011 seeded each period's source in English ("Seed 003: SoL files are kept 5 years after
the last entry.", "Issue 14: ..."), shown as is on the records officer's and the admin's
Swedish pages. A row still holding its seeded text gets the Swedish one; a source an admin
wrote is left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019_verify15'
down_revision = '0018_save16'
branch_labels = None
depends_on = None

SOURCES = [  # (kind, seeded by 0011, Swedish)
    ("sol", "Seed 003: SoL files are kept 5 years after the last entry.",
     "Underlag 003: akter enligt SoL bevaras 5 år efter den sista anteckningen."),
    ("lss", "Seed 003: LSS files are kept 5 years after the last entry.",
     "Underlag 003: akter enligt LSS bevaras 5 år efter den sista anteckningen."),
    ("service", "Seed 002: service interventions are kept 2 years after the last entry.",
     "Underlag 002: serviceinsatser bevaras 2 år efter den sista anteckningen."),
    ("access_log", "Issue 14: access-log rows are kept 5 years from the row's date.",
     "Åtkomstloggens rader bevaras 5 år räknat från dagen de skrevs."),
]
PERIOD = sa.table("retention_period", sa.column("kind", sa.String),
                  sa.column("source", sa.String))


def _replace(old_index: int, new_index: int) -> None:
    for row in SOURCES:
        op.execute(PERIOD.update()
                   .where(PERIOD.c.kind == row[0], PERIOD.c.source == row[old_index])
                   .values(source=row[new_index]))


def upgrade() -> None:
    _replace(1, 2)


def downgrade() -> None:
    _replace(2, 1)
