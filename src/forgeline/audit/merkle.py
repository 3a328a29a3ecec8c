"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing. Pure: no database, no web.

leaf = SHA-256(0x00 || data); node = SHA-256(0x01 || left || right). The tree over n leaves
splits at the largest power of two smaller than n (RFC 9162 section 2.1.1).
"""

from __future__ import annotations

import hashlib

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()
