"""retention_promise: the kept state carries the recording's ingest promise

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

The recomputation of every effective retention (``lawcam retention recompute``, issue 17)
compares each recording's rows with its kept state; the ingest promise (``recording
.retain_until``, set once at ingest and never changed) was the one fact it still had to read from
the wide recording table, a page per recording. ``retention_state.promise`` keeps a copy, written
with the state (``enforce._keep``) and filled in here for the states already kept. Nullable: a
state left NULL is read from the recording, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite adds a nullable column in place (ALTER TABLE … ADD COLUMN), without a batch rebuild.
    op.add_column("retention_state", sa.Column("promise", sa.Date(), nullable=True))
    op.execute(
        "UPDATE retention_state SET promise = "
        "(SELECT recording.retain_until FROM recording "
        "WHERE recording.id = retention_state.recording_id)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE retention_state DROP COLUMN promise")
    else:
        op.drop_column("retention_state", "promise")
