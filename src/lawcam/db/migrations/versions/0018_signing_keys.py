"""signing_keys: the registry of the keys that sign tree heads

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

Several app nodes each sign tree heads with their own home's key; verify checked every head
against one public key and named the other nodes' heads bad signatures (issue 19). The registry
lists each node's public key with the audit entries that registered and retired it.
"""

import sqlalchemy as sa
from alembic import op

from lawcam.db.base import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_signing_key",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("public_key", sa.String(64), nullable=False, unique=True),
        sa.Column("node", sa.String(200), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("registered_seq", sa.BigInteger(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.Column("retired_seq", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("audit_signing_key")
