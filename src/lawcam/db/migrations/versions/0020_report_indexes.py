"""report_indexes: the disposal dry run reads a unit's recordings past their date by an index

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08

At 10^6 recordings (issue 19) the dry run (retention.disposal.candidates: a unit's recordings
whose ingest promise ``retain_until`` has passed) read every recording of the unit through
(unit_id, start_at, id) to test the date. (unit_id, retain_until, id) reads only those past it.
The retention reports themselves read every recording once (retention.reports._tally): a sum
over all of them has no narrower index to read. ANALYZE follows (db.migrate).
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_recording_unit_retain", "recording", ["unit_id", "retain_until", "id"])


def downgrade() -> None:
    op.drop_index("ix_recording_unit_retain", table_name="recording")
