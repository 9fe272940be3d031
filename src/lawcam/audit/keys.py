"""The registry of the keys that sign tree heads and disposition records (issue 19).

Each app node signs with its own home's Ed25519 key (the private key never leaves the home).
Verify knew one public key, the verifying home's, and named every other node's head a bad
signature. The registry lists every node's public key; each row is written with an audit entry
(so verify can tell a row added or changed behind the log's back), and a key is retired — by a
rotation on its node — with another: a head signed by a retired key that covers its retirement
is named, whatever time the head claims. Registering is explicit (``lawcam audit key register``
on each node, once), so a single machine goes on as before."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawcam.audit.models import SigningKey
from lawcam.audit.service import record
from lawcam.audit.signing import KEY_FILE, Signer, key_id, read_signer, write_new_key
from lawcam.audit.types import KeyEvent
from lawcam.authz import Actor
from lawcam.errors import Forbidden
from lawcam.storage.local import fsync_dir

NEXT_FILE = "audit_signing_key.next.pem"  # a rotation's new key, until it takes over


def node_name() -> str:
    return socket.gethostname()[:200] or "node"


def register(
    *, session: Session, actor: Actor, signer: Signer, node: str
) -> tuple[SigningKey, bool]:
    """The key in the registry (True when added now; registering twice changes nothing)."""
    _console_only(actor)
    found = session.get(SigningKey, signer.key_id)
    if found is not None:
        return found, False
    after = {"public_key": signer.public_key.hex(), "node": node}
    entry = record(session, actor, KeyEvent.REGISTERED, ("signing_key", signer.key_id), after=after)
    row = SigningKey(
        key_id=signer.key_id, public_key=signer.public_key.hex(), node=node,
        registered_at=entry.occurred_at, registered_seq=entry.seq,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row, True


def rotate(
    *, session: Session, actor: Actor, home: Path, node: str
) -> tuple[SigningKey, SigningKey]:
    """This home's key retired and a new one registered in the caller's transaction; the new key
    takes over the home's key file only after the commit (``take_over``). Resumable: a rotation
    cut off after its commit finds its new key registered and only swaps the files."""
    _console_only(actor)
    old, new = read_signer(home / KEY_FILE), _next_signer(home)
    row, _ = register(session=session, actor=actor, signer=new, node=node)
    retired = session.get(SigningKey, old.key_id)
    if retired is None:  # never registered: registered now, so that its heads still verify
        retired, _ = register(session=session, actor=actor, signer=old, node=node)
    if retired.retired_seq is None:
        entry = record(session, actor, KeyEvent.RETIRED, ("signing_key", old.key_id),
                       after={"replaced_by": new.key_id})  # fmt: skip
        retired.retired_at, retired.retired_seq = entry.occurred_at, entry.seq
    return retired, row


def take_over(home: Path) -> None:
    """After the rotation's commit: the old key kept as ``audit_signing_key.<key id>.pem`` (its
    heads are verified from the registry; the file is for the backup), the new one in place."""
    current, pending = home / KEY_FILE, home / NEXT_FILE
    if not pending.exists():
        return
    old = read_signer(current)
    os.replace(current, home / f"audit_signing_key.{old.key_id}.pem")
    os.replace(pending, current)
    fsync_dir(home)


def registered(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.registered_seq)))


def public_key_for(session: Session, signed_by: str, fallback: bytes) -> bytes:
    """The public key of ``signed_by`` (a key id): ``fallback`` (the home's) when it is that
    key or unknown to the registry."""
    if signed_by == key_id(fallback):
        return fallback
    row = session.get(SigningKey, signed_by)
    return bytes.fromhex(row.public_key) if row is not None else fallback


def _next_signer(home: Path) -> Signer:
    pending = home / NEXT_FILE
    if not pending.exists():
        write_new_key(pending)
    return read_signer(pending)


def _console_only(actor: Actor) -> None:
    if not actor.console:
        raise Forbidden("签名密钥只能在服务器本机的命令行上登记和更换。", action="audit:key")
