"""What a backup folder holds and the refusals of ``lawcam backup`` and ``lawcam restore``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lawcam.errors import InvalidInput

MANIFEST = "manifest.json"
FORMAT = "lawcam-backup/1"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"
# The database file of each kind, under the name the backup folder gives it.
DATABASE_FILES = {"sqlite": SQLITE_FILE, "postgresql": PG_FILE}
# The home's key files: the audit log's signing key (and any a key rotation keeps beside it,
# ``audit_signing_key.<id>.pem``) and the session key of a home on SQLite.
KEY_PATTERNS = ("audit_signing_key.pem", "audit_signing_key.*.pem", "secret_key")


class BackupRefused(InvalidInput):
    """A backup or restore that would not be sound; nothing has been written."""

    code = "backup_refused"


@dataclass(frozen=True)
class FileDigest:
    """One file of the backup folder: its name there, size and SHA-256."""

    name: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class AuditState:
    """The audit log as the database copy holds it: its size and newest signed head."""

    size: int
    head_size: int | None
    head_root: str | None
    head_key_id: str | None
    head_timestamp: str | None

    def as_dict(self) -> dict[str, Any]:
        head = None
        if self.head_size is not None:
            head = {
                "size": self.head_size,
                "root": self.head_root,
                "key_id": self.head_key_id,
                "timestamp": self.head_timestamp,
            }
        return {"size": self.size, "head": head}
