"""access: requests to view, download or provide recordings, their items, and viewing sessions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

第十五条: viewing or retrieving recordings needs approval by procedure. A request names the
recordings, the use and the reason; the rule fixes who decides; an approved request is a grant
until it expires or is revoked; viewing sessions keep the byte ranges served.
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC = lawcam.db.base.UTCDateTime


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "access_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_at", UTC(), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(1000), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("recipient_org", sa.String(200), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("approver", sa.String(20), nullable=False),
        sa.Column("approver_unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("decision_reason", sa.String(1000), nullable=False),
        sa.Column("expires_at", UTC(), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", UTC(), nullable=True),
        sa.Column("revoke_reason", sa.String(1000), nullable=False),
        _fk("access_request", "requester_id", "person"),
        _fk("access_request", "approver_unit_id", "unit"),
        _fk("access_request", "decided_by_id", "person"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_request")),
    )
    for column in ("requester_id", "approver_unit_id", "status", "expires_at"):
        op.create_index(op.f(f"ix_access_request_{column}"), "access_request", [column])
    op.create_table(
        "access_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        _fk("access_item", "request_id", "access_request"),
        _fk("access_item", "recording_id", "recording"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_item")),
        sa.UniqueConstraint("request_id", "recording_id", name=op.f("uq_access_item_request_id")),
    )
    for column in ("request_id", "recording_id"):
        op.create_index(op.f(f"ix_access_item_{column}"), "access_item", [column])
    op.create_table(
        "access_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("last_at", UTC(), nullable=False),
        sa.Column("bytes_served", sa.BigInteger(), nullable=False),
        sa.Column("ranges", sa.JSON(), nullable=False),
        _fk("access_view", "request_id", "access_request"),
        _fk("access_view", "recording_id", "recording"),
        _fk("access_view", "viewer_id", "person"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_view")),
    )
    for column in ("request_id", "recording_id", "viewer_id"):
        op.create_index(op.f(f"ix_access_view_{column}"), "access_view", [column])


def downgrade() -> None:
    op.drop_table("access_view")
    op.drop_table("access_item")
    op.drop_table("access_request")
