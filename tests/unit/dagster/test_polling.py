"""The looks of one sensor evaluation: at once, then every half second within the poll time."""

from __future__ import annotations

import itertools
import time

from dagster_project.ingestion.polling import polls


def test_polls_look_at_once_then_every_interval_within_the_poll_time() -> None:
    started = time.monotonic()
    looks = [time.monotonic() - started for _ in polls(1.2, every=0.5)]
    assert len(looks) == 3  # at 0, 0.5 and 1.0 s; a look at 1.5 s would pass the poll time
    assert looks[0] < 0.1
    assert all(0.45 < later - earlier < 0.9 for earlier, later in itertools.pairwise(looks))


def test_no_poll_time_is_one_look() -> None:
    assert len(list(polls(0))) == 1


def test_a_look_that_found_work_ends_the_polling() -> None:
    started = time.monotonic()
    for n, _ in enumerate(polls(4.0, every=0.2)):
        if n == 1:
            break
    assert time.monotonic() - started < 1.0
