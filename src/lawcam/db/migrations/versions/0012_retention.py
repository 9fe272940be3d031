"""retention: penalty cases and their links, legal holds, effective retention, disposal

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

第十四条第（二）项、第（三）项 (R14.2, R14.3), 第十五条 (R15.1): a case links recordings and activities;
a hold keeps a recording beyond any date; ``retention_state`` keeps the effective retention of
recordings whose retention is more than the ingest promise; a disposal batch is proposed and
approved twice; a disposition (tombstone) is written once, and the database refuses to change it.
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = lawcam.db.base.UTCDateTime
PG_FUNCTION = """
CREATE FUNCTION disposition_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is write-once: % refused', TG_TABLE_NAME, TG_OP;
END;
$$;
"""


def _make_write_once() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER disposition_write_once BEFORE UPDATE OR DELETE ON disposition "
            "FOR EACH ROW EXECUTE FUNCTION disposition_write_once()"
        )
        op.execute(
            "CREATE TRIGGER disposition_no_truncate BEFORE TRUNCATE ON disposition "
            "FOR EACH STATEMENT EXECUTE FUNCTION disposition_write_once()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER disposition_no_{verb.lower()} BEFORE {verb} ON disposition "
            f"BEGIN SELECT RAISE(ABORT, 'disposition is write-once: {verb} refused'); END"
        )


def upgrade() -> None:
    op.create_table(
        "penalty_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("parties", sa.String(length=1000), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("archived_on", sa.Date(), nullable=True),
        sa.Column("term", sa.String(length=20), nullable=False),
        sa.Column("term_years", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_penalty_case_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_penalty_case")),
        sa.UniqueConstraint("number", name=op.f("uq_penalty_case_number")),
    )
    op.create_index(op.f("ix_penalty_case_status"), "penalty_case", ["status"], unique=False)
    op.create_index(op.f("ix_penalty_case_unit_id"), "penalty_case", ["unit_id"], unique=False)
    op.create_table(
        "disposal_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("proposed_by", sa.String(length=200), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", UTC(), nullable=False),
        sa.Column("head_by", sa.String(length=200), nullable=False),
        sa.Column("head_by_id", sa.Integer(), nullable=True),
        sa.Column("head_at", UTC(), nullable=True),
        sa.Column("supervision_by", sa.String(length=200), nullable=False),
        sa.Column("supervision_by_id", sa.Integer(), nullable=True),
        sa.Column("supervision_at", UTC(), nullable=True),
        sa.Column("rejected_by", sa.String(length=200), nullable=False),
        sa.Column("rejected_at", UTC(), nullable=True),
        sa.Column("reject_reason", sa.String(length=1000), nullable=False),
        sa.Column("run_by", sa.String(length=200), nullable=False),
        sa.Column("run_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["head_by_id"], ["person.id"], name=op.f("fk_disposal_batch_head_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["person.id"], name=op.f("fk_disposal_batch_proposed_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["supervision_by_id"],
            ["person.id"],
            name=op.f("fk_disposal_batch_supervision_by_id_person"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_disposal_batch_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_batch")),
    )
    op.create_index(op.f("ix_disposal_batch_status"), "disposal_batch", ["status"], unique=False)
    op.create_index(op.f("ix_disposal_batch_unit_id"), "disposal_batch", ["unit_id"], unique=False)
    op.create_table(
        "case_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("linked_by", sa.String(length=200), nullable=False),
        sa.Column("linked_at", UTC(), nullable=False),
        sa.Column("unlink_reason", sa.String(length=1000), nullable=False),
        sa.Column("unlink_requested_by", sa.String(length=200), nullable=False),
        sa.Column("unlink_requested_by_id", sa.Integer(), nullable=True),
        sa.Column("unlink_requested_at", UTC(), nullable=True),
        sa.Column("unlinked_by", sa.String(length=200), nullable=False),
        sa.Column("unlinked_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_case_link_activity_id_activity")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["penalty_case.id"], name=op.f("fk_case_link_case_id_penalty_case")
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recording.id"], name=op.f("fk_case_link_recording_id_recording")
        ),
        sa.ForeignKeyConstraint(
            ["unlink_requested_by_id"],
            ["person.id"],
            name=op.f("fk_case_link_unlink_requested_by_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_link")),
    )
    op.create_index(op.f("ix_case_link_activity_id"), "case_link", ["activity_id"], unique=False)
    op.create_index(op.f("ix_case_link_case_id"), "case_link", ["case_id"], unique=False)
    op.create_index(op.f("ix_case_link_recording_id"), "case_link", ["recording_id"], unique=False)
    op.create_index(op.f("ix_case_link_unlinked_at"), "case_link", ["unlinked_at"], unique=False)
    op.create_table(
        "disposal_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["disposal_batch.id"],
            name=op.f("fk_disposal_item_batch_id_disposal_batch"),
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recording.id"], name=op.f("fk_disposal_item_recording_id_recording")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_item")),
        sa.UniqueConstraint("batch_id", "recording_id", name=op.f("uq_disposal_item_batch_id")),
    )
    op.create_index(op.f("ix_disposal_item_batch_id"), "disposal_item", ["batch_id"], unique=False)
    op.create_index(
        op.f("ix_disposal_item_recording_id"), "disposal_item", ["recording_id"], unique=False
    )
    op.create_table(
        "disposition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sm3", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("disposed_at", UTC(), nullable=False),
        sa.Column("disposed_by", sa.String(length=200), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["disposal_batch.id"], name=op.f("fk_disposition_batch_id_disposal_batch")
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recording.id"], name=op.f("fk_disposition_recording_id_recording")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposition")),
        sa.UniqueConstraint("recording_id", name=op.f("uq_disposition_recording_id")),
    )
    op.create_index(op.f("ix_disposition_batch_id"), "disposition", ["batch_id"], unique=False)
    op.create_index(op.f("ix_disposition_sha256"), "disposition", ["sha256"], unique=False)
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("placed_by", sa.String(length=200), nullable=False),
        sa.Column("placed_by_id", sa.Integer(), nullable=True),
        sa.Column("placed_at", UTC(), nullable=False),
        sa.Column("release_reason", sa.String(length=1000), nullable=False),
        sa.Column("release_requested_by", sa.String(length=200), nullable=False),
        sa.Column("release_requested_by_id", sa.Integer(), nullable=True),
        sa.Column("release_requested_at", UTC(), nullable=True),
        sa.Column("released_by", sa.String(length=200), nullable=False),
        sa.Column("released_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["placed_by_id"], ["person.id"], name=op.f("fk_legal_hold_placed_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recording.id"], name=op.f("fk_legal_hold_recording_id_recording")
        ),
        sa.ForeignKeyConstraint(
            ["release_requested_by_id"],
            ["person.id"],
            name=op.f("fk_legal_hold_release_requested_by_id_person"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_legal_hold_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold")),
    )
    op.create_index(
        op.f("ix_legal_hold_recording_id"), "legal_hold", ["recording_id"], unique=False
    )
    op.create_index(op.f("ix_legal_hold_released_at"), "legal_hold", ["released_at"], unique=False)
    op.create_index(op.f("ix_legal_hold_unit_id"), "legal_hold", ["unit_id"], unique=False)
    op.create_table(
        "retention_state",
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("indefinite", sa.Boolean(), nullable=False),
        sa.Column("computed_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recording.id"],
            name=op.f("fk_retention_state_recording_id_recording"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_retention_state_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("recording_id", name=op.f("pk_retention_state")),
    )
    op.create_index(
        op.f("ix_retention_state_indefinite"), "retention_state", ["indefinite"], unique=False
    )
    op.create_index(
        op.f("ix_retention_state_retain_until"), "retention_state", ["retain_until"], unique=False
    )
    op.create_index(
        op.f("ix_retention_state_unit_id"), "retention_state", ["unit_id"], unique=False
    )

    _make_write_once()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER disposition_write_once ON disposition")
        op.execute("DROP TRIGGER disposition_no_truncate ON disposition")
        op.execute("DROP FUNCTION disposition_write_once()")
    for table in (
        "retention_state",
        "legal_hold",
        "disposition",
        "disposal_item",
        "case_link",
        "disposal_batch",
        "penalty_case",
    ):
        op.drop_table(table)
