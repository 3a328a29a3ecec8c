"""RFC 9162 hashing: known answers, and properties of proofs over random trees."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forgeline.audit import merkle

# RFC 6962/9162 reference vectors (the certificate-transparency test suite's eight leaves).
CT_INPUTS = [
    b"",
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_LEAVES = [merkle.leaf_hash(data) for data in CT_INPUTS]
CT_CONSISTENCY = {
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 2.1.1 written literally (recursive, slicing): the yardstick, not the product."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split_point(len(leaves))
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def test_empty_tree_is_hash_of_empty_string() -> None:
    expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle.root([]).hex() == expected
    assert merkle.CompactRange().root().hex() == expected


def test_three_leaf_tree_by_hand() -> None:
    a, b, c = (hashlib.sha256(b"\x00" + x).digest() for x in (b"a", b"b", b"c"))
    left = hashlib.sha256(b"\x01" + a + b).digest()
    expected = hashlib.sha256(b"\x01" + left + c).digest()
    assert merkle.root([merkle.leaf_hash(x) for x in (b"a", b"b", b"c")]) == expected
    # Leaf 2's path is the left subtree only; leaf 0's is its sibling then leaf 2.
    assert merkle.inclusion_proof(2, 3, [a, b, c]) == [left]
    assert merkle.inclusion_proof(0, 3, [a, b, c]) == [b, c]


@pytest.mark.parametrize("size", range(1, 9))
def test_certificate_transparency_roots(size: int) -> None:
    leaves = CT_LEAVES[:size]
    assert merkle.root(leaves).hex() == CT_ROOTS[size - 1]
    tree = merkle.CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    assert tree.root().hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("old", "new"), sorted(CT_CONSISTENCY))
def test_certificate_transparency_consistency_proofs(old: int, new: int) -> None:
    proof = merkle.consistency_proof(old, new, CT_LEAVES)
    assert [p.hex() for p in proof] == CT_CONSISTENCY[(old, new)]
    old_root, new_root = bytes.fromhex(CT_ROOTS[old - 1]), bytes.fromhex(CT_ROOTS[new - 1])
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)


def test_split_point_is_largest_power_of_two_below() -> None:
    assert [merkle.split_point(n) for n in range(2, 10)] == [1, 2, 2, 4, 4, 4, 4, 8]
    with pytest.raises(ValueError, match="fewer than two"):
        merkle.split_point(1)


def test_proof_for_leaf_outside_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        merkle.inclusion_proof(3, 3, CT_LEAVES)
    with pytest.raises(ValueError, match="need more"):
        merkle.inclusion_proof(0, 8, CT_LEAVES[:4])


leaf_lists = st.lists(st.binary(min_size=0, max_size=12), min_size=1, max_size=130).map(
    lambda data: [merkle.leaf_hash(i.to_bytes(4, "big") + d) for i, d in enumerate(data)]
)


@given(leaf_lists)
def test_root_matches_the_rfc_definition(leaves: list[bytes]) -> None:
    tree = merkle.CompactRange()
    for leaf in leaves:
        tree.append(leaf)
    assert merkle.root(leaves) == reference_root(leaves) == tree.root()
    assert tree.size == len(leaves)


@given(leaf_lists, st.data())
def test_every_inclusion_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    tree_root = reference_root(leaves[:size])
    proof = merkle.inclusion_proof(index, size, iter(leaves))
    assert merkle.verify_inclusion(index, size, leaves[index], proof, tree_root)


def _flip(proof: list[bytes], element: int, byte: int) -> list[bytes]:
    changed = bytearray(proof[element])
    changed[byte] ^= 0x01
    return [*proof[:element], bytes(changed), *proof[element + 1 :]]


@given(leaf_lists, st.data())
def test_altered_inclusion_proof_fails(leaves: list[bytes], data: st.DataObject) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    tree_root = merkle.root(leaves)
    proof = merkle.inclusion_proof(index, size, leaves)
    altered: list[tuple[int, int, bytes, list[bytes]]] = [
        (index, size, leaves[index], [*proof, proof[0] if proof else leaves[0]]),
        (index, size, merkle.leaf_hash(b"forged"), proof),
    ]
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1))
        altered.append(
            (index, size, leaves[index], _flip(proof, element, data.draw(st.integers(0, 31))))
        )
        altered.append((index, size, leaves[index], proof[:-1]))
        altered.append((index, size, leaves[index], proof[1:]))
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        altered.append((other, size, leaves[index], proof))
    for claimed_index, claimed_size, leaf, bad_proof in altered:
        assert not merkle.verify_inclusion(claimed_index, claimed_size, leaf, bad_proof, tree_root)


@given(leaf_lists, st.data())
def test_consistency_proofs_between_random_sizes_verify(
    leaves: list[bytes], data: st.DataObject
) -> None:
    new = data.draw(st.integers(1, len(leaves)))
    old = data.draw(st.integers(1, new))
    proof = merkle.consistency_proof(old, new, iter(leaves))
    old_root, new_root = merkle.root(leaves[:old]), merkle.root(leaves[:new])
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)


@given(leaf_lists, st.data())
def test_altered_consistency_proof_fails(leaves: list[bytes], data: st.DataObject) -> None:
    new = data.draw(st.integers(2, max(2, len(leaves))).filter(lambda n: n <= len(leaves)))
    old = data.draw(st.integers(1, new - 1))
    proof = merkle.consistency_proof(old, new, leaves)
    old_root, new_root = merkle.root(leaves[:old]), merkle.root(leaves[:new])
    element = data.draw(st.integers(0, len(proof) - 1))
    forged_root = merkle.leaf_hash(b"forged")
    assert not merkle.verify_consistency(
        old, new, old_root, new_root, _flip(proof, element, data.draw(st.integers(0, 31)))
    )
    assert not merkle.verify_consistency(old, new, old_root, new_root, proof[:-1])
    assert not merkle.verify_consistency(old, new, forged_root, new_root, proof)
    assert not merkle.verify_consistency(old, new, old_root, forged_root, proof)


def test_empty_tree_is_consistent_with_every_tree() -> None:
    assert merkle.verify_consistency(0, 8, merkle.EMPTY_ROOT, bytes.fromhex(CT_ROOTS[7]), [])
    assert not merkle.verify_consistency(0, 8, CT_LEAVES[0], bytes.fromhex(CT_ROOTS[7]), [])
