"""board_indexes: the auditor's board reads the recent refusals and the open tampering findings
from indexes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

The auditor's board counts and lists the refused accesses of the last 30 days and the open
tampering and missing-object findings. By the tag's index alone, SQLite visits every refusal
ever logged to test its time (8,185 rows at the bench's 10^6 entries, ~20 ms a query with a
fresh connection's cache; the log only grows); by the status index alone, every pending finding
(25,314) to test its rule. (tag, occurred_at) and (rule, status, found_at) read only the rows
wanted (issue 18; bench/findings.py --explain).
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_tag_time", "audit_event", ["tag", "occurred_at"])
    op.create_index("ix_finding_rule_status", "finding", ["rule", "status", "found_at"])


def downgrade() -> None:
    op.drop_index("ix_finding_rule_status", table_name="finding")
    op.drop_index("ix_audit_event_tag_time", table_name="audit_event")
