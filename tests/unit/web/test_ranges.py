"""HTTP Range on a stored original (R15.2, issue 16 item 4): every edge case of RFC 9110's
single byte ranges, through a real app on a real LocalStore, the bytes compared with the
original's slices."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from lawcam.storage import StorageError
from lawcam.storage.local import LocalStore
from lawcam.web.ranges import UNSATISFIABLE, parse
from tests.unit.web.ranged_app import Served, make_app, put

SIZE = 1_000_003
DATA = os.urandom(SIZE)
SHA = hashlib.sha256(DATA).hexdigest()
ETAG = f'"{SHA}"'
URL = "/content/clip"


@pytest.fixture
def served() -> Served:
    return Served()


@pytest.fixture
def client(tmp_path: Path, served: Served) -> Iterator[TestClient]:
    store = LocalStore(tmp_path / "objects")
    objects = {"clip": (put(store, DATA), SIZE), "empty": (put(store, b""), 0)}
    missing = hashlib.sha256(b"a row whose object is gone").hexdigest()
    objects["gone"] = (missing, 10)
    with TestClient(make_app(store, objects, served)) as test_client:
        yield test_client


def get(
    client: TestClient, range_: str | bytes | None = None, **headers: str | bytes
) -> httpx.Response:
    if range_ is not None:
        headers["Range"] = range_
    response: httpx.Response = client.get(URL, headers=headers)
    return response


def assert_common(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"] == ETAG
    assert headers["cache-control"] == "no-store"  # the caller's max-age does not win
    assert headers["x-content-type-options"] == "nosniff"


def assert_partial(client: TestClient, range_: str, start: int, end: int, **headers: str) -> None:
    """206 with exactly DATA[start:end] and its Content-Range."""
    response = get(client, range_, **headers)
    assert response.status_code == 206, (range_, response.status_code)
    assert response.content == DATA[start:end]
    got = response.headers
    assert got["content-range"] == f"bytes {start}-{end - 1}/{SIZE}"
    assert got["content-length"] == str(end - start)
    assert got["content-type"] == "video/mp4"
    assert got["x-recording"] == "clip"  # the caller's own headers are kept
    assert_common(response)


def assert_whole(client: TestClient, range_: str | bytes | None, **headers: str) -> None:
    response = get(client, range_, **headers)
    assert response.status_code == 200, (range_, response.status_code)
    assert response.content == DATA
    assert response.headers["content-length"] == str(SIZE)
    assert "content-range" not in response.headers
    assert_common(response)


def assert_unsatisfiable(client: TestClient, range_: str) -> None:
    response = get(client, range_)
    assert response.status_code == 416, (range_, response.status_code)
    assert response.headers["content-range"] == f"bytes */{SIZE}"
    error = response.json()["error"]
    assert error == {"code": "range_not_satisfiable", "message": UNSATISFIABLE}
    assert_common(response)


@pytest.mark.req("R15.2")
def test_without_range_the_whole_original(client: TestClient, served: Served) -> None:
    assert_whole(client, None)
    assert served.calls == [("clip", 0, SIZE)]


@pytest.mark.req("R15.2")
def test_single_ranges_are_the_exact_slices(client: TestClient, served: Served) -> None:
    cases = {
        "bytes=0-0": (0, 1),
        "bytes=0-99": (0, 100),
        "bytes=500000-600000": (500_000, 600_001),
        f"bytes={SIZE - 1}-{SIZE - 1}": (SIZE - 1, SIZE),
        "bytes=123456-": (123_456, SIZE),  # open-ended
        "bytes=-1": (SIZE - 1, SIZE),  # suffix
        "bytes=-65536": (SIZE - 65_536, SIZE),
        f"bytes=-{SIZE + 500}": (0, SIZE),  # a suffix longer than the object: all of it
        "bytes=999000-5000000": (999_000, SIZE),  # an end past the object is cut to it
        "bytes=10-" + "9" * 5000: (10, SIZE),  # too long to parse: past any end
        "Bytes=5-9": (5, 10),  # range units are case-insensitive
        "bytes= 5-9 ,": (5, 10),  # whitespace and empty list elements are allowed
    }
    for range_, (start, end) in cases.items():
        assert_partial(client, range_, start, end)
    assert [(s, e) for _, s, e in served.calls] == list(cases.values())


@pytest.mark.req("R15.2")
def test_past_the_end_is_416_and_serves_nothing(client: TestClient, served: Served) -> None:
    for range_ in [
        f"bytes={SIZE}-",
        f"bytes={SIZE}-{SIZE + 10}",
        f"bytes={SIZE + 1000}-{SIZE + 2000}",
        "bytes=-0",  # a suffix of nothing
        "bytes=" + "9" * 5000 + "-",
        f"bytes={SIZE}-,{SIZE + 5}-{SIZE + 9},-0",  # several, none satisfiable
    ]:
        assert_unsatisfiable(client, range_)
    assert served.calls == []


@pytest.mark.req("R15.2")
def test_garbage_is_ignored_and_the_whole_original_served(client: TestClient) -> None:
    """RFC 9110 §14.2: a server may ignore a Range it cannot use; the answer is then what a
    request without one gets, never a guess at what was meant."""
    garbage: list[str | bytes] = [
        "bytes=abc",
        "bytes=",
        "bytes=-",
        "bytes=5-2",  # the end before the start
        "bytes=1-2-3",
        "bytes 0-10",
        "bytes=0x10-0x20",
        "bytes=+5-9",
        "bytes=٣-٤".encode(),  # Arabic-Indic digits (as UTF-8 bytes): not ASCII DIGIT
        "items=0-10",  # a unit other than bytes
        "bytes=0-10,abc",  # one bad spec spoils the set
    ]
    for range_ in garbage:
        assert_whole(client, range_)


@pytest.mark.req("R15.2")
def test_a_range_field_given_twice_is_ignored(client: TestClient) -> None:
    response = client.get(URL, headers=[("Range", "bytes=0-9"), ("Range", "bytes=10-19")])
    assert response.status_code == 200
    assert response.content == DATA


@pytest.mark.req("R15.2")
def test_several_ranges_get_the_whole_original(client: TestClient, served: Served) -> None:
    """Not multipart (larger than the object when ranges overlap, a read per part), never
    the first range alone: one sequential read of the whole, audited as one range."""
    for range_ in [
        "bytes=0-10,20-30",
        "bytes=0-499,-500",
        "bytes=0-10, 5-15",
        f"bytes=0-1,{SIZE}-",
    ]:
        assert_whole(client, range_)
    assert {(s, e) for _, s, e in served.calls} == {(0, SIZE)}


@pytest.mark.req("R15.2")
def test_if_range_with_the_strong_etag_keeps_the_range(client: TestClient) -> None:
    assert_partial(client, "bytes=100-199", 100, 200, **{"If-Range": ETAG})
    past_the_end = get(client, f"bytes={SIZE}-", **{"If-Range": ETAG})
    assert past_the_end.status_code == 416


@pytest.mark.req("R15.2")
def test_if_range_that_does_not_match_gets_the_whole_original(client: TestClient) -> None:
    other = '"' + hashlib.sha256(b"another version").hexdigest() + '"'
    for validator in [other, f"W/{ETAG}", SHA, "Mon, 07 Dec 2026 10:00:00 GMT", ""]:
        assert_whole(client, "bytes=100-199", **{"If-Range": validator})
    assert_whole(client, f"bytes={SIZE}-", **{"If-Range": other})  # the Range is ignored whole


@pytest.mark.req("R15.2")
def test_head_answers_the_headers_without_serving(client: TestClient, served: Served) -> None:
    partial = client.head(URL, headers={"Range": "bytes=10-19"})
    assert partial.status_code == 206
    assert partial.headers["content-range"] == f"bytes 10-19/{SIZE}"
    assert partial.headers["content-length"] == "10"
    assert partial.content == b""
    whole = client.head(URL)
    assert whole.status_code == 200
    assert whole.headers["content-length"] == str(SIZE)
    assert_common(whole)
    assert client.head(URL, headers={"Range": f"bytes={SIZE}-"}).status_code == 416
    assert served.calls == []  # nothing was sent, nothing to audit


@pytest.mark.req("R15.2")
def test_an_empty_original_is_served_whole_whatever_the_range(client: TestClient) -> None:
    for range_ in [None, "bytes=0-", "bytes=-5", "bytes=0-0"]:
        headers = {} if range_ is None else {"Range": range_}
        response = client.get("/content/empty", headers=headers)
        assert response.status_code == 200
        assert response.content == b""
        assert response.headers["content-length"] == "0"


@pytest.mark.req("R15.2")
def test_a_missing_object_fails_before_any_header(client: TestClient) -> None:
    """A row whose object is gone is the store's failure (verify names it), raised while the
    app can still answer its error, not a 200 with a short body."""
    with pytest.raises(StorageError):
        client.get("/content/gone", headers={"Range": "bytes=0-4"})


def test_parse_keeps_inclusive_positions_as_written() -> None:
    assert parse("bytes=0-99") == [(0, 99)]
    assert parse("bytes=-5, 7-") == [(None, 5), (7, None)]
    assert parse("bytes=9-3") is None
    assert parse("pages=1-2") is None
