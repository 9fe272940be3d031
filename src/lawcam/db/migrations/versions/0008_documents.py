"""documents: filed documents (a written report's scan), written once; an interruption names
the document filed with its written explanation

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

第十条 lets an interruption be explained by a written report kept by the unit's device
administrator; the scanned page is stored write-once with its digests like an original, and the
database refuses UPDATE and DELETE of its row whoever connects.
"""

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = lawcam.db.base.UTCDateTime
PG_FUNCTION = """
CREATE FUNCTION document_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is write-once: % refused', TG_TABLE_NAME, TG_OP;
END;
$$;
"""


def _make_write_once() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER document_write_once BEFORE UPDATE OR DELETE ON document "
            "FOR EACH ROW EXECUTE FUNCTION document_write_once()"
        )
        op.execute(
            "CREATE TRIGGER document_no_truncate BEFORE TRUNCATE ON document "
            "FOR EACH STATEMENT EXECUTE FUNCTION document_write_once()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER document_no_{verb.lower()} BEFORE {verb} ON document "
            f"BEGIN SELECT RAISE(ABORT, 'document is write-once: {verb} refused'); END"
        )


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("sm3", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(50), nullable=False),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("filed_by_person_id", sa.Integer(), nullable=True),
        sa.Column("filed_by", sa.String(200), nullable=False),
        sa.Column("filed_at", UTC(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_document_unit_id_unit")),
        sa.ForeignKeyConstraint(
            ["filed_by_person_id"],
            ["person.id"],
            name=op.f("fk_document_filed_by_person_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    for column in ("sha256", "unit_id", "filed_by_person_id"):
        op.create_index(op.f(f"ix_document_{column}"), "document", [column])
    _make_write_once()
    with op.batch_alter_table("activity_interruption") as batch:
        batch.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_activity_interruption_document_id_document"),
            "document",
            ["document_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("activity_interruption") as batch:
        batch.drop_constraint(
            op.f("fk_activity_interruption_document_id_document"), type_="foreignkey"
        )
        batch.drop_column("document_id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER document_write_once ON document")
        op.execute("DROP TRIGGER document_no_truncate ON document")
    else:
        op.execute("DROP TRIGGER document_no_update")
        op.execute("DROP TRIGGER document_no_delete")
    op.drop_table("document")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION document_write_once()")
