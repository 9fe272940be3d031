"""activities: enforcement activities, their officers, linked recordings and interruptions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

第十条 asks for recording from arrival on scene until the on-site work ends, and every
interruption explained; 第十四条 counts the 24 hours from the end of the duty. Nothing knew an
activity before: these tables hold them, with coverage stored and kept current.
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = lawcam.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("place", sa.String(500), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("arrived_at", UTC(), nullable=False),
        sa.Column("ended_at", UTC(), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=True),
        sa.Column("obstructed", sa.Boolean(), nullable=False),
        sa.Column("obstruction_note", sa.String(1000), nullable=False),
        sa.Column("case_number", sa.String(100), nullable=False),
        sa.Column("entry_key", sa.String(64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("coverage", sa.Float(), nullable=False),
        sa.Column("no_recording", sa.Boolean(), nullable=False),
        sa.Column("unexplained", sa.Integer(), nullable=False),
        sa.Column("upload_deadline", UTC(), nullable=False),
        sa.Column("late_uploads", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_activity_unit_id_unit")),
        sa.ForeignKeyConstraint(["zone_id"], ["zone.id"], name=op.f("fk_activity_zone_id_zone")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        sa.UniqueConstraint("entry_key", name=op.f("uq_activity_entry_key")),
    )
    for column in ("unit_id", "arrived_at", "ended_at", "no_recording", "unexplained"):
        op.create_index(op.f(f"ix_activity_{column}"), "activity", [column])
    op.create_index(op.f("ix_activity_late_uploads"), "activity", ["late_uploads"])
    op.create_table(
        "activity_officer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_activity_officer_activity_id_activity")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_activity_officer_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_officer")),
        sa.UniqueConstraint(
            "activity_id", "person_id", name=op.f("uq_activity_officer_activity_id")
        ),
    )
    op.create_index(op.f("ix_activity_officer_activity_id"), "activity_officer", ["activity_id"])
    op.create_index(op.f("ix_activity_officer_person_id"), "activity_officer", ["person_id"])
    op.create_table(
        "activity_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("linked_by", sa.String(200), nullable=False),
        sa.Column("linked_at", UTC(), nullable=False),
        sa.Column("detached_at", UTC(), nullable=True),
        sa.Column("detached_by", sa.String(200), nullable=False),
        sa.Column("detach_reason", sa.String(500), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_activity_link_activity_id_activity")
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recording.id"], name=op.f("fk_activity_link_recording_id_recording")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_link")),
        sa.UniqueConstraint(
            "activity_id", "recording_id", name=op.f("uq_activity_link_activity_id")
        ),
    )
    op.create_index(op.f("ix_activity_link_activity_id"), "activity_link", ["activity_id"])
    op.create_index(op.f("ix_activity_link_recording_id"), "activity_link", ["recording_id"])
    op.create_table(
        "activity_interruption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("start_at", UTC(), nullable=False),
        sa.Column("end_at", UTC(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("explanation", sa.String(10), nullable=True),
        sa.Column("voice_recording_id", sa.Integer(), nullable=True),
        sa.Column("cause", sa.String(20), nullable=True),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("explained_by", sa.String(200), nullable=False),
        sa.Column("explained_at", UTC(), nullable=True),
        sa.Column("confirmed_by", sa.String(200), nullable=False),
        sa.Column("confirmed_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity.id"],
            name=op.f("fk_activity_interruption_activity_id_activity"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["person.id"], name=op.f("fk_activity_interruption_officer_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["voice_recording_id"],
            ["recording.id"],
            name=op.f("fk_activity_interruption_voice_recording_id_recording"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_interruption")),
        sa.UniqueConstraint(
            "activity_id", "seq", name=op.f("uq_activity_interruption_activity_id")
        ),
    )
    op.create_index(
        op.f("ix_activity_interruption_activity_id"), "activity_interruption", ["activity_id"]
    )
    op.create_index(op.f("ix_activity_interruption_current"), "activity_interruption", ["current"])


def downgrade() -> None:
    op.drop_table("activity_interruption")
    op.drop_table("activity_link")
    op.drop_table("activity_officer")
    op.drop_table("activity")
