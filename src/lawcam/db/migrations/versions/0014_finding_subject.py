"""finding_subject: findings found by their subject

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

An incremental findings sweep (R18.1) cures only among the findings about the subjects that
changed (an activity, an interruption, a recording, a sample item): it asks for them by subject,
which without this index reads every finding of the rule.
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_finding_subject", "finding", ["subject_type", "subject_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_finding_subject", table_name="finding")
