"""Tamper-evident audit log: every state change, hashed into an RFC 9162 Merkle tree."""
