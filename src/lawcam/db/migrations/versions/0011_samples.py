"""samples: conduct-review samples, their recordings and results; review grants marked

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

第十三条 (R13.1): a sample keeps its filters, the population's size and digest, the seed and the
size, so that it can be drawn again; each sampled recording gets the reviewer's result. The
draw's view grant is an access request whose ``sample_id`` names the sample.
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC = lawcam.db.base.UTCDateTime


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "access_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drawn_by_id", sa.Integer(), nullable=False),
        sa.Column("drawn_by", sa.String(200), nullable=False),
        sa.Column("drawn_at", UTC(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("units", sa.JSON(), nullable=True),
        sa.Column("date_from", sa.Date(), nullable=False),
        sa.Column("date_to", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=True),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("population_sha256", sa.String(64), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("due_at", UTC(), nullable=False),
        _fk("access_sample", "drawn_by_id", "person"),
        _fk("access_sample", "reviewer_id", "person"),
        _fk("access_sample", "unit_id", "unit"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_sample")),
    )
    for column in ("drawn_by_id", "reviewer_id", "unit_id"):
        op.create_index(op.f(f"ix_access_sample_{column}"), "access_sample", [column])
    op.create_table(
        "access_sample_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(20), nullable=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", UTC(), nullable=True),
        _fk("access_sample_item", "sample_id", "access_sample"),
        _fk("access_sample_item", "recording_id", "recording"),
        _fk("access_sample_item", "recorded_by_id", "person"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_sample_item")),
        sa.UniqueConstraint(
            "sample_id", "recording_id", name=op.f("uq_access_sample_item_sample_id")
        ),
    )
    for column in ("sample_id", "recording_id", "result"):
        op.create_index(op.f(f"ix_access_sample_item_{column}"), "access_sample_item", [column])
    _add_sample_id()


def _add_sample_id() -> None:
    """A nullable column with its foreign key. SQLite adds one in place (ALTER TABLE … ADD
    COLUMN … REFERENCES); a batch rebuild would drop access_request under the rows of
    access_item and access_view that refer to it, which its foreign keys refuse."""
    fk = "fk_access_request_sample_id_access_sample"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE access_request ADD COLUMN sample_id INTEGER CONSTRAINT {fk} "
            "REFERENCES access_sample (id)"
        )
    else:
        op.add_column("access_request", sa.Column("sample_id", sa.Integer(), nullable=True))
        op.create_foreign_key(fk, "access_request", "access_sample", ["sample_id"], ["id"])
    op.create_index(op.f("ix_access_request_sample_id"), "access_request", ["sample_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_access_request_sample_id"), table_name="access_request")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE access_request DROP COLUMN sample_id")
    else:
        op.drop_constraint(
            "fk_access_request_sample_id_access_sample", "access_request", type_="foreignkey"
        )
        op.drop_column("access_request", "sample_id")
    op.drop_table("access_sample_item")
    op.drop_table("access_sample")
