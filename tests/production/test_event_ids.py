"""Time-ordered event ids (UUIDv7) for the senders Forgeline writes itself."""

from __future__ import annotations

import time

from forgeline.production.events import new_event_id


def test_event_ids_are_version_7_and_unique() -> None:
    ids = [new_event_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {"specified in RFC 4122"}


def test_event_ids_carry_the_time_and_sort_by_it() -> None:
    before = time.time_ns() // 1_000_000
    first = new_event_id()
    time.sleep(0.002)
    second = new_event_id()
    after = time.time_ns() // 1_000_000
    assert before <= first.int >> 80 <= second.int >> 80 <= after
    assert first < second  # a later millisecond sorts after, in the index as in Python
