"""The ids of the active OpenTelemetry span, when the host application uses OpenTelemetry.

No dependency and no import: a span can only be active if the host imported
`opentelemetry.trace`, so when that module is not loaded the lookup is one dict access.
"""

from __future__ import annotations

import sys


def active_ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current OpenTelemetry span as W3C hex, or None."""
    api = sys.modules.get("opentelemetry.trace")
    if api is None:
        return None
    try:
        ctx = api.get_current_span().get_span_context()
        if not ctx.is_valid:  # the default INVALID_SPAN: no span is active
            return None
        return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"
    except Exception:  # an exotic or broken OpenTelemetry must not break the host
        return None
