from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lawcam.audit.models import AuditEvent, SigningKey


class AuditEventOut(BaseModel):
    seq: int
    occurred_at: datetime
    tag: str
    actor: str
    source: str
    subject_type: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            seq=event.seq,
            occurred_at=event.occurred_at,
            tag=event.tag,
            actor=event.actor_label,
            source=event.actor_source,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            before=json.loads(event.before) if event.before else None,
            after=json.loads(event.after) if event.after else None,
        )


class AuditPage(BaseModel):
    total: int
    items: list[AuditEventOut]


class TreeHeadOut(BaseModel):
    size: int
    root: str
    timestamp: str
    signature: str
    public_key: str


class PublicKeyOut(BaseModel):
    public_key: str
    pem: str
    key_id: str


class SigningKeyOut(BaseModel):
    """A registered tree-head signing key (``lawcam audit key list``)."""

    key_id: str
    public_key: str
    node: str
    registered_at: datetime
    retired_at: datetime | None

    @classmethod
    def of(cls, row: SigningKey) -> SigningKeyOut:
        return cls(
            key_id=row.key_id, public_key=row.public_key, node=row.node,
            registered_at=row.registered_at, retired_at=row.retired_at,
        )  # fmt: skip


class InclusionOut(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    path: list[str]
    root: str


class ConsistencyOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    first: int = Field(alias="from")
    to: int
    path: list[str]
    first_root: str
    second_root: str
