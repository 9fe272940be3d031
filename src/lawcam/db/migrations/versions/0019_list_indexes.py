"""list_indexes: recordings lists and the ledger read pages from indexes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08

At 10^6 recordings (issue 19) every recordings list not narrowed to one officer read and sorted
all of a unit's rows (733k) to show 100: the permission filter ``unit_id IN (…) OR officer_id =
…`` has no index in ``start_at`` order. The list now reads each unit (and the officer) as its own
branch, newest first, from (unit_id | officer_id | device_id, start_at, id), and merges the
branches (evidence.queries). The ledger pages by (issued_at, id) and finds a period's recordings
by the device and the start, or the start corrected for the device clock when there is one.
The single-column indexes these begin with go. Nothing had ever run ANALYZE: the planner is
given statistics here (SQLite's are then kept by ``PRAGMA optimize``, db.engine).
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_recording_unit_start", "recording", ["unit_id", "start_at", "id"])
    op.create_index("ix_recording_officer_start", "recording", ["officer_id", "start_at", "id"])
    op.create_index("ix_recording_device_start", "recording", ["device_id", "start_at", "id"])
    op.create_index(
        "ix_recording_device_corrected", "recording", ["device_id", "corrected_start_at"]
    )
    op.drop_index("ix_recording_unit_id", table_name="recording")
    op.drop_index("ix_recording_officer_id", table_name="recording")
    op.drop_index("ix_recording_device_id", table_name="recording")
    op.create_index("ix_custody_period_issued", "custody_period", ["issued_at", "id"])
    op.create_index("ix_custody_period_returned", "custody_period", ["returned_at"])
    op.execute("ANALYZE")


def downgrade() -> None:
    op.drop_index("ix_custody_period_returned", table_name="custody_period")
    op.drop_index("ix_custody_period_issued", table_name="custody_period")
    op.create_index("ix_recording_device_id", "recording", ["device_id"])
    op.create_index("ix_recording_officer_id", "recording", ["officer_id"])
    op.create_index("ix_recording_unit_id", "recording", ["unit_id"])
    op.drop_index("ix_recording_device_corrected", table_name="recording")
    op.drop_index("ix_recording_device_start", table_name="recording")
    op.drop_index("ix_recording_officer_start", table_name="recording")
    op.drop_index("ix_recording_unit_start", table_name="recording")
