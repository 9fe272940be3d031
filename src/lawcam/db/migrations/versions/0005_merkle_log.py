"""merkle log: the audit log as an RFC 9162 Merkle tree, and signed tree heads;
one sighting per file and device

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

Every existing audit row becomes a leaf in seq order (its canonical JSON ``entry``), and the
hashes of the perfect subtrees are stored. Both new tables are append-only, like the log.
"""

import hashlib

import sqlalchemy as sa
from alembic import op

import lawcam.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY_TABLES = ("audit_merkle_node", "audit_tree_head")

APPEND_ONLY_PG_FUNCTION = """
CREATE FUNCTION audit_tree_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$;
"""


def _make_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_PG_FUNCTION)
        for table in APPEND_ONLY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION audit_tree_append_only()"
            )
        return
    for table in APPEND_ONLY_TABLES:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )


def _drop_append_only() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY_TABLES:
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
    if postgresql:
        op.execute("DROP FUNCTION audit_tree_append_only()")


def _append(
    frontier: list[tuple[int, bytes]], index: int, entry: str
) -> list[tuple[int, int, bytes]]:
    """RFC 9162 leaf and completed parents, frozen here as this revision computes them (the
    same rule as lawcam.audit.merkle.append_leaf, which the tests check against the RFC)."""
    current = hashlib.sha256(b"\x00" + entry.encode("utf-8")).digest()
    new, level, idx = [(0, index, current)], 0, index
    while frontier and frontier[-1][0] == level:
        _, left = frontier.pop()
        current = hashlib.sha256(b"\x01" + left + current).digest()
        level, idx = level + 1, idx >> 1
        new.append((level, idx, current))
    frontier.append((level, current))
    return new


def _existing_rows_become_leaves(nodes: sa.Table) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT seq, entry FROM audit_event ORDER BY seq"))
    frontier: list[tuple[int, bytes]] = []
    batch: list[dict[str, object]] = []
    for seq, entry in rows:
        for level, index, value in _append(frontier, seq, entry):
            key = (index << 6) | level
            batch.append({"key": key, "level": level, "idx": index, "hash": value.hex()})
        if len(batch) >= 5000:
            op.bulk_insert(nodes, batch)
            batch = []
    if batch:
        op.bulk_insert(nodes, batch)


def upgrade() -> None:
    nodes = op.create_table(
        "audit_merkle_node",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("idx", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_audit_merkle_node")),
    )
    op.create_table(
        "audit_tree_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("timestamp", lawcam.db.base.UTCDateTime(), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_tree_head")),
    )
    with op.batch_alter_table("audit_tree_head", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_tree_head_size"), ["size"], unique=False)
    _existing_rows_become_leaves(nodes)
    _make_append_only()
    _sightings_once()


def _sightings_once() -> None:
    """Two workstations docking the same card at once must not record the same sighting twice
    (older rows keep source_hash NULL: the table is write-once, and NULLs never collide)."""
    # Plain ALTER and CREATE INDEX: a batch rebuild on SQLite would drop the write-once triggers.
    op.add_column("recording_sighting", sa.Column("source_hash", sa.String(length=64)))
    op.create_index(
        "uq_sighting_once",
        "recording_sighting",
        ["device_id", "source_hash", "size", "mtime_ns", "recording_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_sighting_once", table_name="recording_sighting")
    with op.batch_alter_table("recording_sighting", schema=None) as batch_op:
        batch_op.drop_column("source_hash")
    if op.get_bind().dialect.name != "postgresql":  # SQLite's rebuild dropped its triggers
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER recording_sighting_no_{verb.lower()} BEFORE {verb} "
                "ON recording_sighting BEGIN SELECT RAISE(ABORT, "
                f"'recording_sighting is write-once: {verb} refused'); END"
            )
    _drop_append_only()
    with op.batch_alter_table("audit_tree_head", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_tree_head_size"))
    op.drop_table("audit_tree_head")
    op.drop_table("audit_merkle_node")
