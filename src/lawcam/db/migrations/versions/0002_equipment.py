"""equipment

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("maker", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("video_width", sa.Integer(), nullable=True),
        sa.Column("video_height", sa.Integer(), nullable=True),
        sa.Column("photo_mp", sa.Float(), nullable=True),
        sa.Column("battery_mah", sa.Integer(), nullable=True),
        sa.Column("record_hours", sa.Float(), nullable=True),
        sa.Column("storage_gb", sa.Integer(), nullable=True),
        sa.Column("ip_rating", sa.String(length=10), nullable=True),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("quality_status", sa.String(length=20), nullable=False),
        sa.Column("quality_reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_model")),
        sa.UniqueConstraint("model", name=op.f("uq_device_model_model")),
    )
    op.create_table(
        "threshold_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("video_width", sa.Integer(), nullable=False),
        sa.Column("video_height", sa.Integer(), nullable=False),
        sa.Column("photo_mp", sa.Float(), nullable=False),
        sa.Column("battery_mah", sa.Integer(), nullable=False),
        sa.Column("record_hours", sa.Float(), nullable=False),
        sa.Column("storage_gb", sa.Integer(), nullable=False),
        sa.Column("ip_rating", sa.String(length=10), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threshold_set")),
    )
    op.create_table(
        "budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_budget_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget")),
        sa.UniqueConstraint("unit_id", "year", name=op.f("uq_budget_unit_id")),
    )
    op.create_table(
        "procurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("purchased_on", sa.Date(), nullable=False),
        sa.Column("supplier", sa.String(length=200), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("overrun_reason", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", lawcam.db.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["device_model.id"], name=op.f("fk_procurement_model_id_device_model")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_procurement_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procurement")),
    )
    with op.batch_alter_table("procurement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_procurement_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "unit_need",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(length=30), nullable=False),
        sa.Column("declared_by", sa.String(length=200), nullable=False),
        sa.Column("declared_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_unit_need_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_need")),
        sa.UniqueConstraint("unit_id", "feature", name=op.f("uq_unit_need_unit_id")),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("asset_no", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_since", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.Column("commissioned_on", sa.Date(), nullable=True),
        sa.Column("firmware", sa.String(length=100), nullable=False),
        sa.Column("purchase_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("procurement_id", sa.Integer(), nullable=True),
        sa.Column("need", sa.String(length=500), nullable=False),
        sa.Column("created_at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["device_model.id"], name=op.f("fk_device_model_id_device_model")
        ),
        sa.ForeignKeyConstraint(
            ["procurement_id"],
            ["procurement.id"],
            name=op.f("fk_device_procurement_id_procurement"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_device_unit_id_unit")),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_device_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("asset_no", name=op.f("uq_device_asset_no")),
        sa.UniqueConstraint("serial", name=op.f("uq_device_serial")),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_model_id"), ["model_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_device_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_unit_id"))
        batch_op.drop_index(batch_op.f("ix_device_model_id"))

    op.drop_table("device")
    op.drop_table("unit_need")
    with op.batch_alter_table("procurement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_procurement_unit_id"))

    op.drop_table("procurement")
    op.drop_table("budget")
    op.drop_table("threshold_set")
    op.drop_table("device_model")
