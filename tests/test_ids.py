"""``uuid7_hex``: RFC 9562 layout, increasing within a millisecond and across clock steps,
unique over a million calls, and not repeated by a forked child."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

from modelsteward import ids
from modelsteward.ids import uuid7_hex


def test_layout_is_uuid7_in_uuid4_hex_shape() -> None:
    before = time.time_ns() // 1_000_000
    made = [uuid7_hex() for _ in range(1000)]
    after = time.time_ns() // 1_000_000
    for h in made:
        assert len(h) == 32 and h == h.lower() and int(h, 16) >= 0
        u = uuid.UUID(hex=h)
        assert u.version == 7
        assert u.variant == uuid.RFC_4122 and (u.int >> 62) & 0b11 == 0b10
        assert before <= u.int >> 80 <= after + 1  # the Unix time in ms (+1: a counter carry)


def test_increasing_within_one_millisecond_and_when_the_clock_steps_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1_800_000_000_000 * 1_000_000]
    monkeypatch.setattr(ids.time, "time_ns", lambda: clock[0])
    monkeypatch.setattr(ids, "_last", 0)
    same_ms = [uuid7_hex() for _ in range(10_000)]
    assert same_ms == sorted(same_ms) and len(set(same_ms)) == len(same_ms)
    first = int(same_ms[0], 16)
    assert first >> 80 == 1_800_000_000_000
    assert (first >> 64) & 0xFFF < 0x800  # a fresh millisecond leaves room to count up
    assert int(same_ms[-1], 16) - first == 9_999  # counted up by one each
    clock[0] -= 5_000_000_000  # five seconds back
    assert uuid7_hex() > same_ms[-1]
    clock[0] += 10_000_000_000
    later = uuid7_hex()
    assert int(later, 16) >> 80 == 1_800_000_005_000  # a new millisecond: its own time again


def test_a_full_counter_carries_into_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    ms = 1_800_000_000_000
    monkeypatch.setattr(ids.time, "time_ns", lambda: ms * 1_000_000)
    full_b = (ms << 80) | (7 << 76) | (0x123 << 64) | (0b10 << 62) | ((1 << 62) - 1)
    monkeypatch.setattr(ids, "_last", full_b)
    u = uuid.UUID(hex=uuid7_hex())  # rand_b carries into rand_a
    assert (u.int >> 80, (u.int >> 64) & 0xFFF, u.int & ((1 << 62) - 1)) == (ms, 0x124, 0)
    assert u.version == 7 and u.variant == uuid.RFC_4122
    monkeypatch.setattr(ids, "_last", full_b | (0xFFF << 64))
    u = uuid.UUID(hex=uuid7_hex())  # and a full rand_a into the time
    assert (u.int >> 80, (u.int >> 64) & 0xFFF, u.int & ((1 << 62) - 1)) == (ms + 1, 0, 0)
    assert u.version == 7 and u.variant == uuid.RFC_4122


def test_unique_and_increasing_over_a_million_calls() -> None:
    made = [uuid7_hex() for _ in range(1_000_000)]
    assert len(set(made)) == len(made)
    assert made == sorted(made)


def test_unique_across_threads() -> None:
    out: list[list[str]] = [[] for _ in range(4)]

    def run(i: int) -> None:
        out[i].extend(uuid7_hex() for _ in range(20_000))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [h for part in out for h in part]
    assert len(set(every)) == len(every)
    assert all(part == sorted(part) for part in out)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_child_does_not_continue_the_parents_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_800_000_000_000 * 1_000_000)
    uuid7_hex()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, uuid7_hex().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert len(child) == 32 and child != uuid7_hex()
