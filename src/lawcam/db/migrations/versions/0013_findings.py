"""findings: what the rules found, who is concerned, the evidence, and its review

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

第十八条 (R18.1), 第十三条 (R13.1): one row per finding, its key (rule + subject) unique so that
sweeps never duplicate; documents attached to a finding (a complaint, a statement's scan).
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC = lawcam.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=30), nullable=False),
        sa.Column("article", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("found_at", UTC(), nullable=False),
        sa.Column("found_by", sa.String(length=200), nullable=False),
        sa.Column("cured_at", UTC(), nullable=True),
        sa.Column("statement_due", UTC(), nullable=True),
        sa.Column("statement", sa.String(length=4000), nullable=False),
        sa.Column("statement_at", UTC(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("decision_reason", sa.String(length=2000), nullable=False),
        sa.Column("measure", sa.String(length=500), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", UTC(), nullable=True),
        sa.Column("review_reason", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["person.id"], name=op.f("fk_finding_decided_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_finding_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["person.id"], name=op.f("fk_finding_reviewed_by_id_person")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_finding_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
        sa.UniqueConstraint("key", name=op.f("uq_finding_key")),
    )
    op.create_index(op.f("ix_finding_found_at"), "finding", ["found_at"], unique=False)
    op.create_index(op.f("ix_finding_person_id"), "finding", ["person_id"], unique=False)
    op.create_index(op.f("ix_finding_rule"), "finding", ["rule"], unique=False)
    op.create_index(op.f("ix_finding_status"), "finding", ["status"], unique=False)
    op.create_index(op.f("ix_finding_unit_id"), "finding", ["unit_id"], unique=False)
    op.create_table(
        "finding_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_finding_document_document_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["finding.id"], name=op.f("fk_finding_document_finding_id_finding")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_document")),
    )
    op.create_index(
        op.f("ix_finding_document_document_id"), "finding_document", ["document_id"], unique=False
    )
    op.create_index(
        op.f("ix_finding_document_finding_id"), "finding_document", ["finding_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("finding_document")
    op.drop_table("finding")
