from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lawcam.db.base import Base, UTCDateTime


class AuditEvent(Base):
    """One audit entry. ``seq`` is dense from 0 in commit order, so that each row can become
    leaf ``seq`` of an RFC 9162 Merkle tree; ``entry`` holds the exact canonical JSON bytes
    (UTF-8) that the leaf hash will cover. Triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tag: Mapped[str] = mapped_column(String(80))
    actor_label: Mapped[str] = mapped_column(String(200))
    actor_source: Mapped[str] = mapped_column(String(20))
    actor_account_id: Mapped[int | None] = mapped_column(Integer)
    actor_person_id: Mapped[int | None] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    entry: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_audit_event_subject", "subject_type", "subject_id"),
        Index("ix_audit_event_tag", "tag"),
        # The auditor's board: the refusals of the last days, not every refusal ever (0017).
        Index("ix_audit_event_tag_time", "tag", "occurred_at"),
    )


class MerkleNode(Base):
    """The hash of one perfect subtree of the audit log's Merkle tree (RFC 9162): level 0 is a
    leaf (the SHA-256 of 0x00 and the row's canonical JSON), level l covers 2**l leaves from
    ``index << l``. Kept so that tree heads and proofs never re-read the log."""

    __tablename__ = "audit_merkle_node"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(Integer)
    idx: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))

    @staticmethod
    def key_of(level: int, index: int) -> int:
        return (index << 6) | level


class TreeHead(Base):
    """A signed tree head: the log's size and root at a moment, signed with the home's Ed25519
    key (the signed bytes are ``audit.signing.head_message``)."""

    __tablename__ = "audit_tree_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(16))


class SigningKey(Base):
    """A key registered to sign tree heads (and disposition records): one per app node, each a
    home's own Ed25519 key. Registered and retired through the audit log (``audit.keys``), so
    that verify can tell a row written behind its back; a retired key signs nothing that covers
    its retirement."""

    __tablename__ = "audit_signing_key"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)  # raw Ed25519, hex
    node: Mapped[str] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_seq: Mapped[int] = mapped_column(BigInteger)  # its registration's audit entry
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_seq: Mapped[int | None] = mapped_column(BigInteger)  # and its retirement's
