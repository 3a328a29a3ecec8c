"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing. Pure: no database, no web.

leaf = SHA-256(0x00 || data); node = SHA-256(0x01 || left || right). The tree over n leaves
splits at the largest power of two smaller than n (RFC 9162 section 2.1.1); the empty tree's
hash is SHA-256 of the empty string.

Proofs (sections 2.1.3 and 2.1.4) are lists of subtree hashes. Every subtree a proof needs is a
contiguous, disjoint range of leaves, so the generators here first work out those ranges and
then hash them in one pass over the leaves (`subtree_roots`): a proof over a log of millions of
entries streams the leaf hashes from the database instead of holding them all in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]  # [start, end) leaf indexes


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than n (n >= 2): where RFC 9162 splits."""
    if n < 2:
        raise ValueError("a tree of fewer than two leaves does not split")
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over already-hashed leaves, level by level in O(n) time.

    Pairing neighbours and carrying an odd last node up unchanged gives exactly the RFC 9162
    tree: the left subtree of every split is a perfect tree of power-of-two size.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    while len(level) > 1:
        pairs = iter(level)
        upper = [node_hash(left, right) for left, right in zip(pairs, pairs, strict=False)]
        if len(level) % 2:
            upper.append(level[-1])
        level = upper
    return level[0]


class CompactRange:
    """The root of a growing tree in O(log n) memory: feed leaf hashes, ask for the root.

    Holds the roots of the perfect subtrees that make up the leaves seen so far (one per set bit
    of the size, largest first), which is all a streaming verifier needs.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        node = leaf
        self._size += 1
        # Each trailing zero bit of the new size is a pair of equal subtrees to merge.
        merges = (self._size & -self._size).bit_length() - 1
        for _ in range(merges):
            node = node_hash(self._stack.pop(), node)
        self._stack.append(node)

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


def subtree_roots(ranges: Sequence[Range], leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """The root of each of the disjoint `ranges`, in the order given, in one pass over the leaves.

    Leaves outside every range are skipped; iteration stops at the end of the last range.
    """
    if not ranges:
        return []
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    roots: list[bytes | None] = [None] * len(ranges)
    last_end = max(end for _, end in ranges)
    position = 0
    current = 0
    builder = CompactRange()
    for index, leaf in enumerate(leaf_hashes):
        if index >= last_end:
            break
        while position < len(order) and ranges[order[position]][1] <= index:
            position += 1
        start, end = ranges[order[position]]
        if index < start:
            continue
        builder.append(leaf)
        if index == end - 1:
            roots[order[position]] = builder.root()
            builder = CompactRange()
        current = index + 1
    missing = [ranges[i] for i, r in enumerate(roots) if r is None]
    if missing:
        raise ValueError(f"only {current} leaves given; ranges {missing} need more")
    return [r for r in roots if r is not None]


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose roots make PATH(index, D[size]) (RFC 9162 2.1.3.1), bottom up."""
    _check_index(index, size)
    ranges: list[Range] = []
    start, end = 0, size
    # Walk from the root down to the leaf; each split contributes the sibling subtree.
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def inclusion_proof(index: int, size: int, leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """The audit path for leaf `index` in the tree of the first `size` leaves."""
    return subtree_roots(inclusion_ranges(index, size), leaf_hashes)


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """The root an audit path leads to (RFC 9162 2.1.3.2), or None if the path is malformed."""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof):
        return None
    fn, sn = index, size - 1
    node = leaf
    for sibling in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return node if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """True when `proof` shows `leaf` is leaf `index` of the tree of `size` with that root."""
    return root_from_inclusion_proof(index, size, leaf, proof) == expected_root


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The subtrees whose roots make PROOF(old, D[new]) (RFC 9162 2.1.4.1), in proof order."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    ranges: list[Range] = []
    start, end, m = 0, new_size, old_size
    complete = True  # RFC 9162's b: the old tree is exactly this subtree, whose root is known
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def consistency_proof(old_size: int, new_size: int, leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """Proof that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves."""
    if old_size == new_size:
        return []
    return subtree_roots(consistency_ranges(old_size, new_size), leaf_hashes)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: does `proof` show the old tree is a prefix of the new one?"""
    if any(len(p) != HASH_SIZE for p in proof) or not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        # Every tree extends the empty tree; a proof for that is empty by definition.
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a perfect subtree of the new one, so its root starts the walk.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
