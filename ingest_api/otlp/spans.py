"""Walk an OTLP/JSON traces document span by span, with attributes as plain Python values.

int64 values arrive as decimal strings or numbers (OTLP/JSON allows both); ids as hex. A span
whose structure is wrong is refused on its own (`SpanError`), never the whole request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_HEX_ID = {32: re.compile(r"^[0-9a-fA-F]{32}$"), 16: re.compile(r"^[0-9a-fA-F]{16}$")}
_ZERO = frozenset({"0" * 32, "0" * 16})


class SpanError(ValueError):
    """A span that cannot be read (a value-free reason)."""


@dataclass(frozen=True)
class SpanView:
    """One span with what the mapping needs around it."""

    index: int  # position among all spans of the request
    span: dict[str, Any]
    resource: dict[str, Any]  # resource attributes, flattened
    scope_name: str
    scope_version: str


def iter_spans(doc: dict[str, Any]) -> Iterator[SpanView | tuple[int, SpanError]]:
    """Every span in request order; a span that cannot be read yields (index, SpanError)."""
    index = 0
    for rs in _list(doc.get("resourceSpans")):
        rs = rs if isinstance(rs, dict) else {}
        resource_doc = rs.get("resource")
        try:
            resource = attributes(resource_doc.get("attributes") if resource_doc else None)
        except SpanError as exc:
            resource, resource_error = {}, exc
        else:
            resource_error = None
        for ss in _list(rs.get("scopeSpans")):
            ss = ss if isinstance(ss, dict) else {}
            scope = ss.get("scope") if isinstance(ss.get("scope"), dict) else {}
            name, version = scope.get("name") or "", scope.get("version") or ""
            for span in _list(ss.get("spans")):
                if resource_error is not None:
                    yield index, resource_error
                elif not isinstance(span, dict):
                    yield index, SpanError("a span must be a JSON object")
                else:
                    yield SpanView(index, span, resource, str(name), str(version))
                index += 1


def count_spans(doc: dict[str, Any]) -> int:
    return sum(
        len(_list(ss.get("spans")))
        for rs in _list(doc.get("resourceSpans"))
        if isinstance(rs, dict)
        for ss in _list(rs.get("scopeSpans"))
        if isinstance(ss, dict)
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def hex_id(value: Any, size: int, name: str, *, required: bool) -> str | None:
    """A lower-case hex trace or span id; None for an absent parent."""
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not _HEX_ID[size].match(value) or value in _ZERO:
        raise SpanError(f"{name} must be {size} hex digits, not all zero")
    return value.lower()


def unix_nano(value: Any, name: str) -> int:
    """A fixed64 timestamp, as a decimal string or a number."""
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        raise SpanError(f"{name} must be an integer (a decimal string or a number)") from None
    if nanos <= 0:
        raise SpanError(f"{name} is required")
    return nanos


def attributes(kvs: Any) -> dict[str, Any]:
    """OTLP KeyValue list → {key: value}; the last of repeated keys wins."""
    if kvs is None:
        return {}
    if not isinstance(kvs, list):
        raise SpanError("attributes must be a list of key/value pairs")
    out: dict[str, Any] = {}
    for kv in kvs:
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise SpanError("an attribute must have a string key")
        out[kv["key"]] = any_value(kv.get("value"))
    return out


def any_value(value: Any) -> Any:
    """OTLP/JSON AnyValue → str, int, float, bool, list, dict or None."""
    if not isinstance(value, dict) or not value:
        return None
    if "stringValue" in value:
        return str(value["stringValue"])
    if "intValue" in value:
        raw = value["intValue"]
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise SpanError("an intValue must be a decimal string or an integer")
        try:
            return int(raw)
        except ValueError:
            raise SpanError("an intValue must be a decimal string or an integer") from None
    if "doubleValue" in value:
        raw = value["doubleValue"]
        try:
            return float(raw)  # also "NaN", "Infinity": the JSON mapping's names
        except (TypeError, ValueError):
            raise SpanError("a doubleValue must be a number") from None
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        inner = value["arrayValue"] or {}
        return [any_value(v) for v in _list(inner.get("values"))]
    if "kvlistValue" in value:
        inner = value["kvlistValue"] or {}
        return attributes(inner.get("values") or [])
    if "bytesValue" in value:
        return str(value["bytesValue"])
    return None
