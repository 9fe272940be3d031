"""The write-once folder: nothing visible before publish, never overwritten, read-only (R14.2)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lawcam.errors import InvalidInput
from lawcam.storage import StorageError, StoredObject, address, open_store
from lawcam.storage.local import NODE, TMP_DIR, LocalStore

UNTIL = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=1)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(store: LocalStore, data: bytes) -> str:
    digest = sha(data)
    writer = store.writer()
    writer.write(data)
    assert writer.publish(digest, UNTIL) is True
    return digest


def temp_files(store: LocalStore) -> list[str]:
    return sorted(os.listdir(store.root / TMP_DIR))


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


@pytest.mark.req("R14.2")
def test_publish_makes_the_exact_bytes_visible_read_only(local_store: LocalStore) -> None:
    data = os.urandom(300_000)
    writer = local_store.writer()
    for start in range(0, len(data), 65_536):
        writer.write(data[start : start + 65_536])
    assert writer.publish(sha(data), UNTIL) is True

    path = local_store.root / address(sha(data))
    assert path.stat().st_mode & 0o777 == 0o444
    assert path.read_bytes() == data
    assert local_store.local_path(sha(data)) == path
    assert local_store.stat(sha(data)) == StoredObject(sha(data), len(data))
    with local_store.open(sha(data)) as handle:
        assert handle.read() == data
    assert temp_files(local_store) == []
    assert local_store.retention(sha(data)) is None  # a folder has no store-side lock
    writer.abort()  # after publish: nothing to do, the object stays
    assert path.read_bytes() == data


@pytest.mark.req("R14.2")
def test_publishing_an_address_again_leaves_the_first_object_untouched(
    local_store: LocalStore,
) -> None:
    first = b"the original recording"
    digest = put(local_store, first)
    path = local_store.root / address(digest)
    before = path.stat()

    writer = local_store.writer()
    writer.write(b"other bytes claiming the same address")
    assert writer.publish(digest, UNTIL) is False

    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino, before.st_size, before.st_mtime_ns)  # fmt: skip
    assert path.read_bytes() == first
    assert temp_files(local_store) == []


@pytest.mark.req("R14.2")
def test_abort_leaves_nothing(local_store: LocalStore) -> None:
    writer = local_store.writer()
    writer.write(b"x" * 100_000)
    assert len(temp_files(local_store)) == 1
    writer.abort()
    writer.abort()  # twice is fine
    assert temp_files(local_store) == []
    assert list(local_store.objects()) == []
    assert list(local_store.strays()) == []
    with pytest.raises(StorageError):
        writer.write(b"more")
    with pytest.raises(StorageError):
        writer.publish(sha(b"x" * 100_000), UNTIL)


@pytest.mark.req("R15.1")
def test_nothing_is_visible_at_the_address_before_publish(local_store: LocalStore) -> None:
    blocks = [os.urandom(65_536) for _ in range(64)]
    digest = sha(b"".join(blocks))
    path = local_store.root / address(digest)
    with local_store.writer() as writer:
        for block in blocks:
            writer.write(block)
            assert local_store.stat(digest) is None
            assert not path.exists()
            assert list(local_store.objects()) == []
        assert writer.publish(digest, UNTIL) is True
    assert local_store.stat(digest) == StoredObject(digest, 64 * 65_536)


@pytest.mark.req("R14.2")
def test_clean_abandoned_removes_only_temp_files_of_dead_writers(local_store: LocalStore) -> None:
    dead = local_store.root / TMP_DIR / f"{dead_pid()}-0123abcd.part"
    dead.write_bytes(b"left by a crash")
    live = local_store.writer()
    live.write(b"still being written")
    published = put(local_store, b"published")

    assert local_store.clean_abandoned() == 1
    assert not dead.exists()
    assert len(temp_files(local_store)) == 1  # the live writer's
    assert live.publish(sha(b"still being written"), UNTIL) is True
    assert {o.sha256 for o in local_store.objects()} == {published, sha(b"still being written")}


@pytest.mark.req("R14.2")
def test_another_nodes_temp_files_are_judged_by_age_not_by_pid(local_store: LocalStore) -> None:
    """A folder shared by several app nodes (issue 19): a process id names a process only on
    the node that wrote it. Another node's file whose pid is dead here is kept while written
    to; left untouched a day, it is someone's crash and goes. This node's own, by its pid."""
    folder = local_store.root / TMP_DIR
    pid = dead_pid()  # dead here; on the other node, who knows
    busy = folder / f"other_node~{pid}-0a0b.part"
    stale = folder / f"other_node~{pid}-0c0d.part"
    mine = folder / f"{NODE}~{pid}-0e0f.part"
    for path in (busy, stale, mine):
        path.write_bytes(b"part")
    day_ago = (datetime.now(UTC) - timedelta(hours=25)).timestamp()
    os.utime(stale, (day_ago, day_ago))
    live = local_store.writer()  # this node's own writer names itself so
    live.write(b"in progress")
    assert [n for n in temp_files(local_store) if n.startswith(f"{NODE}~{os.getpid()}-")]

    assert local_store.clean_abandoned() == 2
    assert busy.exists() and not stale.exists() and not mine.exists()
    assert live.publish(sha(b"in progress"), UNTIL) is True


@pytest.mark.req("R14.2")
def test_objects_and_strays_see_exactly_what_is_there(local_store: LocalStore) -> None:
    one, two = put(local_store, b"one"), put(local_store, b"two")
    root = local_store.root
    misplaced = sha(b"misplaced")
    assert not misplaced.startswith("0000")
    (root / "00" / "00").mkdir(parents=True)
    strays = {
        root / "notes.txt": "file",
        root / "zz": "dir",
        root / one[:2] / "README": "file",
        root / one[:2] / one[2:4] / "not-a-digest": "file",
        root / one[:2] / one[2:4] / one.upper(): "file",
        root / "00" / "00" / misplaced: "file",
    }
    for path, kind in strays.items():
        path.mkdir() if kind == "dir" else path.write_bytes(b"?")
    linked = sha(b"linked")
    local_store.make_dirs((root / address(linked)).parent)
    (root / address(linked)).symlink_to(root / "notes.txt")  # a link is never an object
    (root / TMP_DIR / f"{os.getpid()}-ff.part").write_bytes(b"in progress")  # not a stray

    assert sorted(local_store.objects(), key=lambda o: o.sha256) == sorted(
        [StoredObject(one, 3), StoredObject(two, 3)], key=lambda o: o.sha256)  # fmt: skip
    assert set(local_store.strays()) == set(strays) | {root / address(linked)}
    with pytest.raises(StorageError):
        local_store.stat(linked)
    with pytest.raises(StorageError):
        local_store.open(linked)


@pytest.mark.req("R14.2")
@pytest.mark.parametrize(
    "digest",
    [
        "",
        "abc",
        "A" * 64,
        "g" * 64,
        "a" * 63,
        "a" * 65,
        "../" + "a" * 61,
        "a" * 62 + "/a",
        " " + "a" * 63,
    ],
)
def test_address_rejects_malformed_digests(local_store: LocalStore, digest: str) -> None:
    with pytest.raises(StorageError):
        address(digest)
    writer = local_store.writer()
    writer.write(b"data")
    with pytest.raises(StorageError):
        writer.publish(digest, UNTIL)
    writer.abort()
    assert list(local_store.objects()) == [] and temp_files(local_store) == []


def test_address_is_two_levels_of_the_digest() -> None:
    digest = sha(b"")
    assert address(digest) == f"{digest[:2]}/{digest[2:4]}/{digest}"


def test_open_of_a_missing_object_raises(local_store: LocalStore) -> None:
    assert local_store.stat(sha(b"never")) is None
    with pytest.raises(StorageError):
        local_store.open(sha(b"never"))


@pytest.mark.req("R14.2")
def test_file_urls_open_a_local_store(tmp_path: Path) -> None:
    folder = tmp_path / "证据 库"
    store = open_store(folder.as_uri())  # percent-encoded, as Settings writes it
    assert isinstance(store, LocalStore) and store.root == folder
    assert (folder / TMP_DIR).is_dir()
    assert open_store(f"file://localhost{tmp_path}/x").root == tmp_path / "x"  # type: ignore[attr-defined]
    assert open_store(store.url).url == store.url


@pytest.mark.parametrize(
    "url",
    ["", "objects", "/abs/path", "ftp://host/x", "file://server/share", "file:relative",
     "file:///tmp/x?mode=rw", "file:///tmp/x#frag", "http://127.0.0.1:8333/bucket"],
)  # fmt: skip
def test_bad_file_urls_are_refused_in_chinese(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        open_store(url)
    assert refused.value.message.startswith("存储地址无效")
    assert CHINESE.search(refused.value.message)
