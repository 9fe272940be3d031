"""account hardening: passwords that must be changed, login failures counted per source

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Existing accounts keep their passwords (no forced change); from now on a password an
administrator sets is temporary. Failed logins move from a per-account lock (which anyone
could keep closed by guessing) to a per-source count shared by every app node.
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password",
                sa.Boolean(),
                nullable=False,
                server_default=sa.text("false"),
            )
        )
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("at", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    op.create_index("ix_login_failure_source_at", "login_failure", ["source", "at"])
    op.create_index(
        "ix_login_failure_username_source_at", "login_failure", ["username", "source", "at"]
    )


def downgrade() -> None:
    op.drop_table("login_failure")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("must_change_password")
