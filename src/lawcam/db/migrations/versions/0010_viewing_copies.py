"""viewing copies: a copy of an original that the browser can play, written once

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

Debian's Chromium plays neither HEVC nor MPEG-4 Part 2 nor AVI (docs/operations.md, 播放副本).
For such an original a viewing copy (H.264/AAC in MP4) is made and stored write-once under its
own digests, beside the original and never in its place; the database refuses UPDATE and
DELETE of its row whoever connects.
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC = lawcam.db.base.UTCDateTime
PG_FUNCTION = """
CREATE FUNCTION viewing_copy_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is write-once: % refused', TG_TABLE_NAME, TG_OP;
END;
$$;
"""


def _make_write_once() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER viewing_copy_write_once BEFORE UPDATE OR DELETE ON viewing_copy "
            "FOR EACH ROW EXECUTE FUNCTION viewing_copy_write_once()"
        )
        op.execute(
            "CREATE TRIGGER viewing_copy_no_truncate BEFORE TRUNCATE ON viewing_copy "
            "FOR EACH STATEMENT EXECUTE FUNCTION viewing_copy_write_once()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER viewing_copy_no_{verb.lower()} BEFORE {verb} ON viewing_copy "
            f"BEGIN SELECT RAISE(ABORT, 'viewing_copy is write-once: {verb} refused'); END"
        )


def upgrade() -> None:
    op.create_table(
        "viewing_copy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sm3", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("container", sa.String(20), nullable=False),
        sa.Column("video_codec", sa.String(50), nullable=True),
        sa.Column("audio_codec", sa.String(50), nullable=True),
        sa.Column("made_at", UTC(), nullable=False),
        sa.Column("made_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recording.id"], name=op.f("fk_viewing_copy_recording_id_recording")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewing_copy")),
        sa.UniqueConstraint("recording_id", name=op.f("uq_viewing_copy_recording_id")),
    )
    op.create_index(op.f("ix_viewing_copy_sha256"), "viewing_copy", ["sha256"])
    _make_write_once()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER viewing_copy_write_once ON viewing_copy")
        op.execute("DROP TRIGGER viewing_copy_no_truncate ON viewing_copy")
    else:
        op.execute("DROP TRIGGER viewing_copy_no_update")
        op.execute("DROP TRIGGER viewing_copy_no_delete")
    op.drop_table("viewing_copy")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION viewing_copy_write_once()")
