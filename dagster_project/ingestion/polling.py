"""Several looks within one sensor evaluation, so new work is seen within half a second.

The daemon starts a sensor's evaluations at most every 5 s (`MIN_INTERVAL_LOOP_TIME` in
`dagster/_daemon/sensor.py`; with a `minimum_interval_seconds` of 5 too, its loop's jitter skips
about every other one), so work that lands just after an evaluation waited 2.5 s or more on
average for the next one. An evaluation that finds
nothing to request looks again every `POLL_EVERY_SECONDS` for up to `POLL_SECONDS`, below the 5 s
loop so the next evaluation is not skipped. Both sensors (`raw_objects_sensor`, `dbt_after_loads`)
poll this way; each look must be cheap, since an idle pipeline repeats it all the time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

POLL_SECONDS = 4.0
POLL_EVERY_SECONDS = 0.5


def polls(seconds: float, every: float = POLL_EVERY_SECONDS) -> Iterator[None]:
    """Yields at once, then every `every` s for as long as the next look starts within
    `seconds`; the caller looks at each yield and breaks out once it has something to request."""
    give_up = time.monotonic() + seconds
    yield
    while time.monotonic() + every <= give_up:
        time.sleep(every)
        yield
