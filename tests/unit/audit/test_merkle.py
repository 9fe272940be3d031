# ruff: noqa: RUF005
# (the reference keeps the RFC's list concatenation, word for word)
"""RFC 9162 §2.1 hashing and proofs, checked against an independent reference written here from
the RFC's recursive definitions (MTH, PATH, PROOF/SUBPROOF), which never look at the subtree
store, and against the RFC's verification algorithms' error cases."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lawcam.audit import merkle

pytestmark = [pytest.mark.req("R15.1"), pytest.mark.req("R18.1")]


# The reference: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1, word for word --------------------------


def ref_mth(entries: list[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:])).digest()


def ref_path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return ref_path(m, entries[:k]) + [ref_mth(entries[k:])]
    return ref_path(m - k, entries[k:]) + [ref_mth(entries[:k])]


def ref_subproof(m: int, entries: list[bytes], b: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if b else [ref_mth(entries)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return ref_subproof(m, entries[:k], b) + [ref_mth(entries[k:])]
    return ref_subproof(m - k, entries[k:], False) + [ref_mth(entries[:k])]


def ref_proof(m: int, entries: list[bytes]) -> list[bytes]:
    return ref_subproof(m, entries, True)


# The store of perfect subtrees, built the way the log builds it: leaf by leaf ---------------


def build(entries: list[bytes]) -> dict[merkle.NodeKey, bytes]:
    nodes: dict[merkle.NodeKey, bytes] = {}
    frontier: list[tuple[int, bytes]] = []
    for index, entry in enumerate(entries):
        for key, value in merkle.append_leaf(frontier, index, merkle.leaf_hash(entry)):
            nodes[key] = value
    return nodes


def fetcher(nodes: dict[merkle.NodeKey, bytes]) -> merkle.Fetch:
    def fetch(keys: Iterable[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        return {key: nodes[key] for key in keys}

    return fetch


def entries_of(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100]


def test_empty_tree_root_is_the_hash_of_nothing() -> None:
    assert merkle.tree_root(fetcher({}), 0) == hashlib.sha256(b"").digest()
    assert merkle.root_of([]) == ref_mth([])


def test_one_leaf_tree_root_is_the_leaf_hash() -> None:
    nodes = build([b"only"])
    assert merkle.tree_root(fetcher(nodes), 1) == hashlib.sha256(b"\x00only").digest()
    assert merkle.inclusion_path(fetcher(nodes), 0, 1) == []
    merkle.verify_inclusion(0, 1, merkle.leaf_hash(b"only"), [], ref_mth([b"only"]))


def test_known_answer_for_two_leaves() -> None:
    left, right = hashlib.sha256(b"\x00a").digest(), hashlib.sha256(b"\x00b").digest()
    expected = hashlib.sha256(b"\x01" + left + right).hexdigest()
    assert merkle.tree_root(fetcher(build([b"a", b"b"])), 2).hex() == expected


@pytest.mark.parametrize("n", SIZES)
def test_roots_at_every_size_match_the_reference(n: int) -> None:
    entries = entries_of(n)
    fetch = fetcher(build(entries))
    for size in range(n + 1):
        assert merkle.tree_root(fetch, size) == ref_mth(entries[:size])


@pytest.mark.parametrize("n", SIZES)
def test_inclusion_paths_match_the_reference_and_verify(n: int) -> None:
    entries = entries_of(n)
    fetch = fetcher(build(entries))
    for size in range(1, n + 1):
        root = ref_mth(entries[:size])
        for m in range(size):
            path = merkle.inclusion_path(fetch, m, size)
            assert path == ref_path(m, entries[:size])
            merkle.verify_inclusion(m, size, merkle.leaf_hash(entries[m]), path, root)


@pytest.mark.parametrize("n", SIZES)
def test_consistency_paths_match_the_reference_and_verify(n: int) -> None:
    entries = entries_of(n)
    fetch = fetcher(build(entries))
    for first, second in itertools.combinations_with_replacement(range(n + 1), 2):
        path = merkle.consistency_path(fetch, first, second)
        if 0 < first < second:
            assert path == ref_proof(first, entries[:second])
        merkle.verify_consistency(
            first, second, ref_mth(entries[:first]), ref_mth(entries[:second]), path
        )


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), data=st.data())
def test_random_sizes_inclusion_and_consistency(n: int, data: st.DataObject) -> None:
    entries = entries_of(n)
    fetch = fetcher(build(entries))
    second = data.draw(st.integers(1, n))
    first = data.draw(st.integers(1, second))
    m = data.draw(st.integers(0, second - 1))
    root = ref_mth(entries[:second])
    path = merkle.inclusion_path(fetch, m, second)
    assert path == ref_path(m, entries[:second])
    merkle.verify_inclusion(m, second, merkle.leaf_hash(entries[m]), path, root)
    proof = merkle.consistency_path(fetch, first, second)
    merkle.verify_consistency(first, second, ref_mth(entries[:first]), root, proof)


# RFC 9162's error cases ----------------------------------------------------------------------


def _inclusion_case(n: int = 13, m: int = 6) -> tuple[list[bytes], bytes, bytes]:
    entries = entries_of(n)
    return ref_path(m, entries), merkle.leaf_hash(entries[m]), ref_mth(entries)


def test_inclusion_rejects_leaf_index_not_below_size() -> None:
    path, leaf, root = _inclusion_case()
    with pytest.raises(merkle.ProofError, match="not less than tree_size"):
        merkle.verify_inclusion(13, 13, leaf, path, root)


def test_inclusion_rejects_a_path_too_long() -> None:
    path, leaf, root = _inclusion_case()
    with pytest.raises(merkle.ProofError, match="longer"):
        merkle.verify_inclusion(6, 13, leaf, [*path, b"\x00" * 32], root)


def test_inclusion_rejects_a_path_too_short() -> None:
    path, leaf, root = _inclusion_case()
    with pytest.raises(merkle.ProofError, match="shorter"):
        merkle.verify_inclusion(6, 13, leaf, path[:-1], root)


def test_inclusion_rejects_a_wrong_leaf_or_sibling_or_index() -> None:
    path, leaf, root = _inclusion_case()
    with pytest.raises(merkle.ProofError, match="root hash"):
        merkle.verify_inclusion(6, 13, merkle.leaf_hash(b"forged"), path, root)
    bad = list(path)
    bad[1] = bytes(32)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(6, 13, leaf, bad, root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(7, 13, leaf, path, root)


def test_consistency_rejects_an_empty_path_between_different_sizes() -> None:
    entries = entries_of(8)
    with pytest.raises(merkle.ProofError, match="empty"):
        merkle.verify_consistency(3, 8, ref_mth(entries[:3]), ref_mth(entries), [])


def test_consistency_rejects_a_forged_second_root() -> None:
    entries = entries_of(20)
    proof = ref_proof(7, entries)
    forged = ref_mth([*entries[:19], b"rewritten"])
    with pytest.raises(merkle.ProofError, match="second root"):
        merkle.verify_consistency(7, 20, ref_mth(entries[:7]), forged, proof)


def test_consistency_rejects_a_rewritten_history() -> None:
    entries = entries_of(20)
    rewritten = [b"changed", *entries[1:]]
    proof = ref_proof(7, rewritten)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(7, 20, ref_mth(entries[:7]), ref_mth(rewritten), proof)


def test_consistency_rejects_paths_of_the_wrong_length() -> None:
    entries = entries_of(20)
    proof = ref_proof(6, entries)
    first, second = ref_mth(entries[:6]), ref_mth(entries)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 20, first, second, proof[:-1])
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 20, first, second, [*proof, bytes(32)])


def test_consistency_rejects_first_greater_than_second_and_unequal_same_size() -> None:
    entries = entries_of(5)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(5, 4, ref_mth(entries), ref_mth(entries[:4]), [])
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(5, 5, ref_mth(entries), ref_mth(entries[:4]), [])


def test_proofs_need_only_logarithmically_many_subtrees() -> None:
    """The subtree store answers any proof with O(log n) nodes."""
    asked: list[int] = []
    entries = entries_of(1000)
    nodes = build(entries)

    def counting(keys: Iterable[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        keys = list(keys)
        asked.append(len(keys))
        return {key: nodes[key] for key in keys}

    for m in (0, 1, 499, 998, 999):
        merkle.inclusion_path(counting, m, 1000)
        merkle.consistency_path(counting, m + 1, 1000)
    assert max(asked) <= 2 * 10 + 2  # ~ 2 log2(1000)
