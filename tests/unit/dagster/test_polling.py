"""The looks of one sensor evaluation: at once, then every half second within the poll time.

A clock of the test's own stands in for `time`, so the schedule is checked exactly, whatever
the machine's load does to real sleeps."""

from __future__ import annotations

import pytest

from dagster_project.ingestion import polling
from dagster_project.ingestion.polling import polls


class _Clock:
    """`monotonic` and `sleep` over a counter: a sleep advances it by exactly what was asked."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(polling, "time", fake)
    return fake


def test_polls_look_at_once_then_every_interval_within_the_poll_time(clock: _Clock) -> None:
    started = clock.now
    looks = [clock.now - started for _ in polls(1.2, every=0.5)]
    # a look at 1.5 s would pass the poll time
    assert looks == pytest.approx([0.0, 0.5, 1.0])


def test_no_poll_time_is_one_look(clock: _Clock) -> None:
    assert len(list(polls(0))) == 1


def test_a_look_that_found_work_ends_the_polling(clock: _Clock) -> None:
    started = clock.now
    for n, _ in enumerate(polls(4.0, every=0.2)):
        if n == 1:
            break
    assert clock.now - started == pytest.approx(0.2)  # no sleep after the look that broke off
