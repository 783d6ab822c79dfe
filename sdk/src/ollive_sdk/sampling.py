"""Head sampling decided from the trace id, so a trace is kept or dropped whole.

The rule of OpenTelemetry's `TraceIdRatioBased` sampler: keep a trace when the low 64 bits of
its id are below `rate * 2**64`. Every span of a trace, in any process, reaches the same verdict
without coordination, and since those bits are uniformly random the share of traces kept is
`rate`, whatever the traces contain (errors included), so totals re-weighted by `1/rate` are
unbiased.
"""

from __future__ import annotations

_SPACE = 1 << 64


def keep(trace_id: str, rate: float) -> bool:
    """Whether the trace with this 32-hex id is recorded at sampling `rate` (0 to 1)."""
    if rate >= 1.0:
        return True
    if rate <= 0.0:
        return False
    return int(trace_id[-16:], 16) < round(rate * _SPACE)
