"""custody

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.Column("created_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.Column("read_at", lawcam.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_notification_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_person_id"), ["person_id"], unique=False)

    op.create_table(
        "custody_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("battery_pct", sa.Integer(), nullable=False),
        sa.Column("free_hours", sa.Float(), nullable=False),
        sa.Column("clock_offset_s", sa.Float(), nullable=False),
        sa.Column("check_failures", sa.JSON(), nullable=False),
        sa.Column("override_reason", sa.String(length=500), nullable=False),
        sa.Column("handed_over_from_id", sa.Integer(), nullable=True),
        sa.Column("returned_at", lawcam.db.base.UTCDateTime(), nullable=True),
        sa.Column("returned_to", sa.String(length=200), nullable=True),
        sa.Column("condition", sa.String(length=20), nullable=True),
        sa.Column("return_note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_custody_period_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["handed_over_from_id"],
            ["custody_period.id"],
            name=op.f("fk_custody_period_handed_over_from_id_custody_period"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["person.id"], name=op.f("fk_custody_period_officer_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_period")),
    )
    with op.batch_alter_table("custody_period", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custody_period_device_id"), ["device_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_custody_period_officer_id"), ["officer_id"], unique=False
        )
        batch_op.create_index(
            "uq_custody_period_one_open",
            ["device_id"],
            unique=True,
            sqlite_where=sa.text("returned_at IS NULL"),
            postgresql_where=sa.text("returned_at IS NULL"),
        )

    op.create_table(
        "fault_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("reported_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=True),
        sa.Column("registered_at", lawcam.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_fault_report_device_id_device")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fault_report")),
    )
    with op.batch_alter_table("fault_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fault_report_device_id"), ["device_id"], unique=False)

    op.create_table(
        "loss_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("custodian_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=False),
        sa.Column("opened_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=True),
        sa.Column("decision", sa.String(length=1000), nullable=False),
        sa.Column("compensation", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", lawcam.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["custodian_id"], ["person.id"], name=op.f("fk_loss_case_custodian_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_loss_case_device_id_device")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loss_case")),
    )
    with op.batch_alter_table("loss_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_loss_case_custodian_id"), ["custodian_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loss_case_device_id"), ["device_id"], unique=False)

    op.create_table(
        "repair_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fault_id", sa.Integer(), nullable=False),
        sa.Column("ordered_by", sa.String(length=200), nullable=False),
        sa.Column("ordered_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.Column("diagnosis", sa.String(length=1000), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("completed_by", sa.String(length=200), nullable=True),
        sa.Column("completed_at", lawcam.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fault_id"], ["fault_report.id"], name=op.f("fk_repair_order_fault_id_fault_report")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_order")),
    )
    with op.batch_alter_table("repair_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repair_order_fault_id"), ["fault_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("repair_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_order_fault_id"))

    op.drop_table("repair_order")
    with op.batch_alter_table("loss_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loss_case_device_id"))
        batch_op.drop_index(batch_op.f("ix_loss_case_custodian_id"))

    op.drop_table("loss_case")
    with op.batch_alter_table("fault_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fault_report_device_id"))

    op.drop_table("fault_report")
    with op.batch_alter_table("custody_period", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_custody_period_one_open",
            sqlite_where=sa.text("returned_at IS NULL"),
            postgresql_where=sa.text("returned_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_custody_period_officer_id"))
        batch_op.drop_index(batch_op.f("ix_custody_period_device_id"))

    op.drop_table("custody_period")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_person_id"))

    op.drop_table("notification")
