"""Every stored original re-hashed (SHA-256 and SM3) on all cores, started as soon as the store
is known (R15.1).

``lawcam verify`` starts this before it loads the database layer, so the hashing runs on the
other core while SQLAlchemy and the models are imported; the results are then compared with the
rows by ``lawcam.evidence.integrity``. This module therefore imports only the standard library
and the store.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from lawcam.evidence.stream import Digests, read_digests
from lawcam.storage import BlobStore, StorageError, StoredObject

Progress = Callable[[int], None]


class Rehash:
    """Re-hashing of every object the store lists, one file per task; use it as a context
    manager so that a command that fails early stops the tasks not yet begun."""

    def __init__(self, store: BlobStore, on_bytes: Progress | None = None) -> None:
        self.stored: dict[str, StoredObject] = {blob.sha256: blob for blob in store.objects()}
        # hashlib and file reads release the GIL, so threads use every core.
        self._pool = ThreadPoolExecutor(
            max_workers=max(os.cpu_count() or 1, 1), thread_name_prefix="lawcam-rehash"
        )
        self._tasks: dict[str, Future[Digests | str]] = {
            sha: self._pool.submit(_digests_or_reason, store, sha, on_bytes) for sha in self.stored
        }

    def result(self, sha256: str) -> Digests | str:
        """The object's digests, or why it could not be read; waits for its task."""
        return self._tasks[sha256].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Rehash:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _digests_or_reason(store: BlobStore, sha256: str, on_bytes: Progress | None) -> Digests | str:
    try:
        with store.open(sha256) as handle:
            return read_digests(handle, on_bytes)
    except (OSError, StorageError) as exc:
        return str(exc)
