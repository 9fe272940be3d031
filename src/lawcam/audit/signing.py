"""The home's Ed25519 key, which signs tree heads. The private key never leaves the home
(mode 0600); the public key is exported so that anyone can check a head offline."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

KEY_FILE = "audit_signing_key.pem"
HEAD_PREFIX = b"lawcam tree head v1\n"


def head_message(size: int, root_hex: str, timestamp: datetime) -> bytes:
    """The bytes a tree head's signature covers: a fixed prefix, then canonical JSON of
    size, root (lowercase hex) and timestamp (ISO 8601, UTC)."""
    body = {"root": root_hex, "size": size, "timestamp": timestamp.isoformat()}
    return HEAD_PREFIX + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_key_pem(self) -> str:
        pem = self.private_key.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def signature_valid(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def load_signer(home: Path) -> Signer:
    """The home's key, created (mode 0600) the first time it is needed (``lawcam init``)."""
    path = home / KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        try:
            write_new_key(path)
        except FileExistsError:  # another process made it first: use theirs
            return load_signer(home)
    return read_signer(path)


def write_new_key(path: Path) -> None:
    """A new Ed25519 key at ``path`` (mode 0600, durable); FileExistsError if one is there."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def read_signer(path: Path) -> Signer:
    loaded = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return Signer(loaded)


class HomeSigner:
    """A server's view of its home's key: read again whenever the key file changes, so that a
    rotation (``lawcam audit key rotate``) takes over without a restart and nothing is signed
    with a retired key once the new one is in place. A stat per use: cheap beside a signature."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._stamp: tuple[int, int] | None = None
        self._signer: Signer | None = None

    def current(self) -> Signer:
        path = self.home / KEY_FILE
        try:
            stamp: tuple[int, int] | None = _stamp(path)
        except FileNotFoundError:
            stamp = None
        if self._signer is None or stamp != self._stamp:
            self._signer = load_signer(self.home)  # made when the home has none
            self._stamp = _stamp(path)
        return self._signer


def _stamp(path: Path) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_ino, info.st_mtime_ns
