"""The write-once blob store, chosen by URL (R14.2, R15.1).

``file:///abs/path`` is a local folder (one machine); ``s3://bucket?endpoint=http://host:8333
&region=us-east-1`` is a bucket with Object Lock (optional ``spool=/abs/dir``: where uploads
collect before they are sent). S3 keys come from ``LAWCAM_S3_ACCESS_KEY`` and
``LAWCAM_S3_SECRET_KEY``, else from boto3's usual environment and configuration files; never
from the URL, which ends up in logs and settings files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from lawcam.errors import InvalidInput
from lawcam.storage.base import (
    BlobStore,
    BlobWriter,
    Protection,
    StorageError,
    StorageLocked,
    StoredObject,
    address,
)
from lawcam.storage.local import LocalStore

if TYPE_CHECKING:
    from lawcam.storage.s3 import S3Store

__all__ = [
    "BlobStore",
    "BlobWriter",
    "LocalStore",
    "Protection",
    "StorageError",
    "StorageLocked",
    "StoredObject",
    "address",
    "open_store",
]

_HINT = "应为 file:///绝对路径 或 s3://存储桶名?endpoint=http://主机:端口&region=区域"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_S3_PARAMS = frozenset({"endpoint", "region", "spool"})


def _bad(reason: str) -> InvalidInput:
    return InvalidInput(f"存储地址无效：{reason}（{_HINT}）")


def open_store(url: str) -> BlobStore:
    """The store a storage URL names; InvalidInput (in Chinese) when the URL is malformed."""
    parts = urlsplit(url.strip())
    if parts.scheme == "file":
        return _local(parts)
    if parts.scheme == "s3":
        return _s3(parts)
    raise _bad("只支持 file:// 与 s3:// 两种地址")


def _local(parts: SplitResult) -> LocalStore:
    if parts.netloc not in ("", "localhost"):
        raise _bad("file:// 地址只能指向本机目录")
    if parts.query or parts.fragment:
        raise _bad("file:// 地址不能带参数")
    path = unquote(parts.path)
    if not path.startswith("/"):
        raise _bad("目录必须是绝对路径")
    return LocalStore(Path(path))


def _s3(parts: SplitResult) -> S3Store:
    from lawcam.storage.s3 import S3Store  # boto3 loads only for sites that use S3

    if "@" in parts.netloc:
        raise _bad(
            "不要把密钥写进地址，请设置环境变量 LAWCAM_S3_ACCESS_KEY 和 LAWCAM_S3_SECRET_KEY"
        )
    if not _BUCKET.match(parts.netloc) or ".." in parts.netloc:
        raise _bad(f"存储桶名“{parts.netloc}”不合规（3 至 63 位小写字母、数字、点或连字符）")
    if parts.path not in ("", "/") or parts.fragment:
        raise _bad("s3:// 地址只写存储桶名，不带路径")
    params = _params(parts.query)
    access_key, secret_key = _keys()
    spool = params.get("spool")
    return S3Store(
        parts.netloc, _endpoint(params.get("endpoint")), params.get("region"),
        access_key, secret_key, spool_dir=Path(spool) if spool else None,
    )  # fmt: skip


def _params(query: str) -> dict[str, str]:
    try:
        found = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise _bad("参数格式错误") from None
    unknown = sorted(set(found) - _S3_PARAMS)
    if unknown:
        raise _bad(f"不认识的参数 {', '.join(unknown)}（可用 endpoint、region、spool）")
    if any(len(values) != 1 or not values[0] for values in found.values()):
        raise _bad("每个参数只能出现一次且不能为空")
    spool = found.get("spool", [""])[0]
    if spool and not spool.startswith("/"):
        raise _bad("spool 必须是绝对路径")
    return {name: values[0] for name, values in found.items()}


def _endpoint(endpoint: str | None) -> str | None:
    if endpoint is None:
        return None
    parts = urlsplit(endpoint)
    try:
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise _bad(f"endpoint“{endpoint}”的端口不是数字") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad(f"endpoint“{endpoint}”应为 http://主机:端口 或 https://主机:端口")
    return endpoint


def _keys() -> tuple[str | None, str | None]:
    access_key = os.environ.get("LAWCAM_S3_ACCESS_KEY") or None
    secret_key = os.environ.get("LAWCAM_S3_SECRET_KEY") or None
    if (access_key is None) != (secret_key is None):
        raise InvalidInput("LAWCAM_S3_ACCESS_KEY 与 LAWCAM_S3_SECRET_KEY 必须同时设置")
    return access_key, secret_key
