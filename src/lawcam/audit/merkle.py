"""RFC 9162 (Certificate Transparency 2.0, §2.1) Merkle tree hashing, proofs and their
verification, over a store of perfect subtree hashes.

The log keeps the hash of every perfect subtree (``2**level`` leaves starting at a multiple of
``2**level``); any tree head, inclusion proof or consistency proof then needs O(log n) of them,
never the whole log. Node ``(level, index)`` covers leaves ``[index << level, (index + 1) << level)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]  # (level, index)
Fetch = Callable[[Iterable[NodeKey]], Mapping[NodeKey, bytes]]


class ProofError(ValueError):
    """A proof that does not verify, with the reason in RFC 9162's terms."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) from leaf hashes, for small trees and tests (linear, recursive)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


# Which perfect subtrees a range needs -------------------------------------------------------


def range_keys(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees whose hashes give MTH(D[start:end]), for the ranges RFC 9162's
    recursion produces (``start`` aligned to a power of two at least ``end - start``)."""
    keys: list[NodeKey] = []
    while end - start > 0:
        size = end - start
        if size & (size - 1) == 0:  # a perfect subtree
            level = size.bit_length() - 1
            keys.append((level, start >> level))
            break
        k = split(size)
        level = k.bit_length() - 1
        keys.append((level, start >> level))
        start += k
    return keys


def compact_root(hashes: Sequence[bytes]) -> bytes:
    """The root over consecutive perfect subtrees, largest first (a compact range): each one
    is the left sibling of everything to its right."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def range_hash(nodes: Mapping[NodeKey, bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) from the perfect subtrees ``range_keys`` names."""
    return compact_root([nodes[key] for key in range_keys(start, end)])


def _path_ranges(m: int, start: int, end: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[start:end]) as the ranges whose hashes it lists."""
    ranges: list[tuple[int, int]] = []
    while end - start > 1:
        k = split(end - start)
        if m < k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
    return list(reversed(ranges))


def _proof_ranges(m: int, start: int, end: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], true) as ranges."""
    ranges: list[tuple[int, int]] = []
    complete = True
    while True:
        n = end - start
        if m == n:
            if not complete:
                ranges.append((start, end))
            break
        k = split(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            complete = False
    return list(reversed(ranges))


def _hashes(fetch: Fetch, ranges: list[tuple[int, int]]) -> list[bytes]:
    keys = dict.fromkeys(key for start, end in ranges for key in range_keys(start, end))
    nodes = fetch(keys)
    return [range_hash(nodes, start, end) for start, end in ranges]


def tree_root(fetch: Fetch, size: int) -> bytes:
    return _hashes(fetch, [(0, size)])[0] if size else EMPTY_ROOT


def inclusion(fetch: Fetch, leaf_index: int, size: int) -> tuple[bytes, list[bytes], bytes]:
    """(leaf hash, PATH, root) of leaf ``leaf_index`` in the tree of ``size``: one fetch."""
    if not 0 <= leaf_index < size:
        raise ProofError(f"leaf {leaf_index} is not in a tree of size {size}")
    ranges = [(leaf_index, leaf_index + 1), (0, size), *_path_ranges(leaf_index, 0, size)]
    leaf, root, *path = _hashes(fetch, ranges)
    return leaf, path, root


def inclusion_path(fetch: Fetch, leaf_index: int, size: int) -> list[bytes]:
    return inclusion(fetch, leaf_index, size)[1]


def consistency(fetch: Fetch, first: int, second: int) -> tuple[list[bytes], bytes, bytes]:
    """(PROOF, first root, second root) between trees of ``first`` and ``second``: one fetch."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    proof = [] if first in (0, second) else _proof_ranges(first, 0, second)
    first_root, second_root, *path = _hashes(fetch, [(0, first), (0, second), *proof])
    return path, first_root, second_root


def consistency_path(fetch: Fetch, first: int, second: int) -> list[bytes]:
    return consistency(fetch, first, second)[0]


# Verification, exactly as RFC 9162 §2.1.3.2 and §2.1.4.2 ----------------------------------


def verify_inclusion(
    leaf_index: int, tree_size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> None:
    """Raises ProofError unless ``path`` proves ``leaf`` at ``leaf_index`` in ``root``."""
    if leaf_index >= tree_size or leaf_index < 0:
        raise ProofError("leaf_index is not less than tree_size")
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("the inclusion path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion path is shorter than the tree is deep")
    if r != root:
        raise ProofError("the inclusion path does not lead to the root hash")


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: Sequence[bytes]
) -> None:
    """Raises ProofError unless ``path`` proves that tree ``second`` extends tree ``first``.
    RFC 9162 defines the check for 0 < first < second; equal sizes are consistent when the
    hashes are equal and the path is empty, and the empty tree is a prefix of every tree."""
    if first < 0 or second < first:
        raise ProofError("first must not be greater than second")
    if first == second:
        if path or first_hash != second_hash:
            raise ProofError("equal sizes need equal root hashes and an empty path")
        return
    if first == 0:
        if path or first_hash != EMPTY_ROOT:
            raise ProofError("the empty tree needs the empty root hash and an empty path")
        return
    if not path:
        raise ProofError("the consistency path is empty")
    values = list(path)
    if first & (first - 1) == 0:
        values.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = values[0]
    for c in values[1:]:
        if sn == 0:
            raise ProofError("the consistency path is longer than needed")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency path is shorter than needed")
    if fr != first_hash:
        raise ProofError("the path does not lead to the first root hash")
    if sr != second_hash:
        raise ProofError("the path does not lead to the second root hash")


# Appending ----------------------------------------------------------------------------------


def frontier_keys(size: int) -> list[NodeKey]:
    """The perfect subtrees of a tree of ``size`` leaves, largest first (its compact range)."""
    return range_keys(0, size) if size else []


def append_leaf(
    frontier: list[tuple[int, bytes]], index: int, leaf: bytes
) -> list[tuple[NodeKey, bytes]]:
    """Adds leaf ``index`` to the compact range ``frontier`` ((level, hash) pairs, largest first)
    and returns the new perfect subtrees to store: the leaf and every parent it completes."""
    new = [((0, index), leaf)]
    level, current, idx = 0, leaf, index
    while frontier and frontier[-1][0] == level:
        _, left = frontier.pop()
        current = node_hash(left, current)
        level, idx = level + 1, idx >> 1
        new.append(((level, idx), current))
    frontier.append((level, current))
    return new
