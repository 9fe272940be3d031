"""``lawcam audit key list|register|rotate`` (issue 19; R15.1): a node registers its home's key
once (again: nothing more), a rotation retires it and starts the next, the newest head is then
signed by the new key, and ``lawcam verify`` stays clean with heads of both keys. In-process,
on the suite's database."""

from __future__ import annotations

import pytest

from lawcam.audit.signing import load_signer
from tests.cli.conftest import Cli

pytestmark = pytest.mark.req("R15.1")


def test_register_list_rotate_and_verify(ready: Cli) -> None:
    first = ready.ok("audit", "key", "register")
    assert first["added"] is True
    again = ready.ok("audit", "key", "register")
    assert again == {**first, "added": False}
    old = first["key"]["key_id"]
    before = ready.ok("audit", "sth")
    assert before["public_key"] == first["key"]["public_key"]

    rotated = ready.ok("audit", "key", "rotate")
    assert rotated["retired"]["key_id"] == old and rotated["retired"]["retired_at"]
    new = rotated["registered"]["key_id"]
    assert new != old and load_signer(ready.home).key_id == new
    ready.ok("unit", "add", "--name", "执法二处", "--class", "more")  # the log grows
    after = ready.ok("audit", "sth")
    assert (
        after["public_key"] == rotated["registered"]["public_key"]
        and after["size"] > before["size"]
    )
    listed = ready.ok("audit", "key", "list")
    assert [k["key_id"] for k in listed["items"]] == [old, new] and listed["total"] == 2
    assert ready.ok("verify")["problems"] == []
