"""Traceability: the device history record of a unit (backward) and the recall set (forward)."""
