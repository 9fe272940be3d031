"""What an app node refuses to start without on PostgreSQL (DESIGN principle 5; issue 19): a
file:// store not declared shared would keep each node's originals apart, so the settings
refuse it in Chinese (S3, or a folder declared mounted at the same path on every node, are
accepted); SQLite with its home's folder needs neither. ``lawcam serve`` says so before it
starts. Independent of the suite's database: the URLs are only read, never connected to."""

from __future__ import annotations

from pathlib import Path

import pytest

from lawcam.config import Settings
from lawcam.errors import InvalidInput
from tests.cli.conftest import Cli

PG = "postgresql://lawcam@127.0.0.1:1/none"
KEY = "one-key-for-every-node-0123456789abcdefghij"


@pytest.fixture(autouse=True)
def _undeclared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAWCAM_STORAGE_SHARED", raising=False)
    monkeypatch.delenv("LAWCAM_STORAGE_URL", raising=False)
    monkeypatch.setenv("LAWCAM_SESSION_SECRET", KEY)


def test_a_node_folder_on_postgresql_is_refused_unless_declared_shared(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url=PG)
    with pytest.raises(InvalidInput, match="LAWCAM_STORAGE_SHARED=true") as refused:
        settings.check_node()
    assert "s3://" in str(refused.value)
    shared = Settings(home=tmp_path, database_url=PG, storage_shared=True)
    shared.check_node()
    assert shared.resolved_storage_url == (tmp_path / "objects").resolve().as_uri()


def test_s3_on_postgresql_and_a_folder_on_sqlite_are_accepted(tmp_path: Path) -> None:
    s3 = Settings(home=tmp_path, database_url=PG, storage_url="s3://lawcam/originals")
    s3.check_node()
    assert s3.resolved_storage_url == "s3://lawcam/originals"
    alone = Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'lawcam.db'}")
    alone.check_node()
    assert alone.resolved_storage_url.startswith("file:")


def test_serve_refuses_in_chinese_before_starting(tmp_path: Path) -> None:
    cli = Cli(home=tmp_path / "home", database_url=PG)
    error = cli.refused("serve", "--port", "1")
    assert "LAWCAM_STORAGE_SHARED" in error["message"]
