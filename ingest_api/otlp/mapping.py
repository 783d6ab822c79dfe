"""OTLP spans → wire-contract event dicts, driven by one table of attribute rules.

`RULES` lists, per contract field, the attributes that fill it, first present wins: the OTel
GenAI semantic conventions' current names, then the legacy ones older instrumentations still
emit, then OpenInference and OpenLLMetry. docs/otlp.md is checked against it. Bump
`MAPPING_VERSION` whenever a rule changes: it is stamped on every event, and the archived
requests (`archive.py`) can be mapped again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from ingest_api.otlp.spans import SpanError, SpanView, attributes, hex_id, unix_nano
from ingest_api.otlp.tool_calls import tool_calls
from ollive_contract.events import TEXT_MAX_CHARS

MAPPING_VERSION = 2  # 2: the model's tool calls (tool_calls.py)

CURRENT = "OTel GenAI"
LEGACY = "OTel GenAI, legacy"
GENERAL = "OTel general"
OPENINFERENCE = "OpenInference"
OPENLLMETRY = "OpenLLMetry"

INFERENCE = ("inference",)
TOOL = ("tool_execution",)
BOTH = ("inference", "tool_execution")

# why a span produced no event (the response message and the metrics count them)
NOT_GENAI = "not_genai"
UNMAPPED_OPERATION = "genai_operation_not_mapped"

_INFERENCE_OPERATIONS = {
    "chat": "chat",
    "text_completion": "text_completion",
    "completion": "text_completion",  # OpenLLMetry's llm.request.type
    "generate_content": "generate_content",
    "embeddings": "embeddings",
    "embedding": "embeddings",
}
_OPENINFERENCE_KINDS = {"LLM": "chat", "EMBEDDING": "embeddings"}
# legacy gen_ai.system and OpenInference llm.provider / llm.system values → gen_ai.provider.name
PROVIDER_ALIASES = {
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "google": "gcp.gen_ai",
    "az.ai.inference": "azure.ai.inference",
    "az.ai.openai": "azure.ai.openai",
    "azure": "azure.ai.openai",
    "mistralai": "mistral_ai",
    "aws": "aws.bedrock",
}


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _provider(value: Any) -> str | None:
    name = _name(value)
    return PROVIDER_ALIASES.get(name.lower(), name.lower()) if name else None


def _operation(value: Any) -> str | None:
    name = _name(value)
    return _INFERENCE_OPERATIONS.get(name, name) if name else None


def _id(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _name(value)


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return _name(value[0]) if value else None
    return _name(value)


def _seconds_as_ms(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value) * 1000
    return None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text[:TEXT_MAX_CHARS]  # records.py redacts, then cuts previews much shorter


@dataclass(frozen=True)
class Rule:
    """A contract field (or a metadata key) and the attributes that fill it, in priority order."""

    field: str
    sources: tuple[tuple[str, str], ...]  # (attribute, convention)
    convert: Callable[[Any], Any]
    log_types: tuple[str, ...] = INFERENCE
    metadata: bool = False  # no contract field: kept in metadata under `field`


RULES: tuple[Rule, ...] = (
    Rule(
        "provider",
        (
            ("gen_ai.provider.name", CURRENT),
            ("gen_ai.system", LEGACY),
            ("llm.provider", OPENINFERENCE),
            ("llm.system", OPENINFERENCE),
        ),
        _provider,
    ),
    Rule(
        "operation",
        (("gen_ai.operation.name", CURRENT), ("llm.request.type", OPENLLMETRY)),
        _operation,
    ),
    Rule(
        "model",
        (
            ("gen_ai.request.model", CURRENT),
            ("llm.model_name", OPENINFERENCE),
            ("embedding.model_name", OPENINFERENCE),
            ("gen_ai.response.model", CURRENT),
        ),
        _name,
    ),
    Rule("response_model", (("gen_ai.response.model", CURRENT),), _name),
    Rule(
        "input_tokens",
        (
            ("gen_ai.usage.input_tokens", CURRENT),
            ("gen_ai.usage.prompt_tokens", LEGACY),
            ("llm.token_count.prompt", OPENINFERENCE),
        ),
        _count,
    ),
    Rule(
        "output_tokens",
        (
            ("gen_ai.usage.output_tokens", CURRENT),
            ("gen_ai.usage.completion_tokens", LEGACY),
            ("llm.token_count.completion", OPENINFERENCE),
        ),
        _count,
    ),
    Rule(
        "cached_input_tokens",
        (
            ("gen_ai.usage.cache_read.input_tokens", CURRENT),
            ("gen_ai.usage.cache_read_input_tokens", OPENLLMETRY),
            ("llm.token_count.prompt_details.cache_read", OPENINFERENCE),
        ),
        _count,
    ),
    Rule(
        "cache_creation_input_tokens",
        (
            ("gen_ai.usage.cache_write.input_tokens", CURRENT),
            ("gen_ai.usage.cache_creation.input_tokens", LEGACY),
            ("gen_ai.usage.cache_creation_input_tokens", OPENLLMETRY),
            ("llm.token_count.prompt_details.cache_write", OPENINFERENCE),
        ),
        _count,
        metadata=True,
    ),
    Rule(
        "reasoning_tokens",
        (
            ("gen_ai.usage.reasoning.output_tokens", CURRENT),
            ("gen_ai.usage.reasoning_tokens", OPENLLMETRY),
            ("llm.token_count.completion_details.reasoning", OPENINFERENCE),
        ),
        _count,
    ),
    Rule("finish_reason", (("gen_ai.response.finish_reasons", CURRENT),), _first),
    Rule(
        "stream",
        (("gen_ai.request.stream", CURRENT), ("llm.is_streaming", OPENLLMETRY)),
        _flag,
    ),
    Rule("ttft_ms", (("gen_ai.response.time_to_first_chunk", CURRENT),), _seconds_as_ms),
    Rule(
        "input_preview",
        (
            ("gen_ai.input.messages", CURRENT),
            ("input.value", OPENINFERENCE),
            ("gen_ai.prompt", LEGACY),
            ("gen_ai.prompt.0.content", OPENLLMETRY),
        ),
        _text,
    ),
    Rule(
        "output_preview",
        (
            ("gen_ai.output.messages", CURRENT),
            ("output.value", OPENINFERENCE),
            ("gen_ai.completion", LEGACY),
            ("gen_ai.completion.0.content", OPENLLMETRY),
        ),
        _text,
    ),
    Rule("tool_name", (("gen_ai.tool.name", CURRENT), ("tool.name", OPENINFERENCE)), _name, TOOL),
    Rule(
        "tool_call_id",
        (("gen_ai.tool.call.id", CURRENT), ("tool_call.id", OPENINFERENCE)),
        _id,
        TOOL,
    ),
    Rule(
        "arguments_preview",
        (("gen_ai.tool.call.arguments", CURRENT), ("input.value", OPENINFERENCE)),
        _text,
        TOOL,
    ),
    Rule(
        "result_preview",
        (("gen_ai.tool.call.result", CURRENT), ("output.value", OPENINFERENCE)),
        _text,
        TOOL,
    ),
    Rule("conversation_id", (("gen_ai.conversation.id", CURRENT),), _id, BOTH),
    Rule("session_id", (("session.id", OPENINFERENCE),), _id, BOTH),
    Rule("user_id", (("user.id", GENERAL),), _id, BOTH),
    Rule("error_code", (("error.type", GENERAL),), _name, BOTH),
)
# resource attributes (the emitting process)
RESOURCE_RULES: tuple[Rule, ...] = (
    Rule("service", (("service.name", GENERAL),), _name, BOTH),
    Rule(
        "environment",
        (("deployment.environment.name", GENERAL), ("deployment.environment", GENERAL)),
        _name,
        BOTH,
    ),
)
_CONSUMED = frozenset(attr for rule in RULES for attr, _ in rule.sources)
# fields the contract holds as ids and names, stored as sent (never redacted on either path)
_IDENTIFIER_FIELDS = frozenset(
    {
        "provider",
        "operation",
        "model",
        "response_model",
        "finish_reason",
        "tool_name",
        "tool_call_id",
        "conversation_id",
        "error_code",
        "service",
        "environment",
    }
)
# the attributes that fill them: the archive need not redact what the event stores as sent
IDENTIFIER_ATTRIBUTES = frozenset(
    attr
    for rule in (*RULES, *RESOURCE_RULES)
    if rule.field in _IDENTIFIER_FIELDS
    for attr, _ in rule.sources
)
# content and schemas: large, and the archive keeps them; never copied into metadata
_CONTENT_PREFIXES = (
    "gen_ai.input.",
    "gen_ai.output.",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.",
    "gen_ai.retrieval.",
    "llm.input_messages",
    "llm.output_messages",
    "llm.prompts",
    "llm.tools",
    "llm.invocation_parameters",
)
_METADATA_PREFIXES = ("gen_ai.", "llm.")
_METADATA_MAX_KEYS = 64
_METADATA_TEXT_MAX = 1024


def classify(attrs: dict[str, Any]) -> str:
    """`inference`, `tool_execution`, or why the span is dropped."""
    operation = attrs.get("gen_ai.operation.name") or attrs.get("llm.request.type")
    kind = attrs.get("openinference.span.kind")
    kind = kind.upper() if isinstance(kind, str) else None
    if operation == "execute_tool" or kind == "TOOL":
        return "tool_execution"
    if not isinstance(operation, str | None):
        operation = str(operation)  # an array or map where a name belongs: unhashable, unmapped
    if operation in _INFERENCE_OPERATIONS or kind in _OPENINFERENCE_KINDS:
        return "inference"
    if operation is not None or kind is not None:
        return UNMAPPED_OPERATION  # agents, workflows, retrievals, chains: no contract kind yet
    if any(a in attrs for a in ("gen_ai.request.model", "llm.model_name")):
        return "inference"  # older instrumentations without an operation name
    return NOT_GENAI


def map_span(view: SpanView) -> dict[str, Any] | str:
    """The contract event dict of a GenAI span, or the reason it is dropped; SpanError if bad."""
    span = view.span
    attrs = attributes(span.get("attributes"))
    log_type = classify(attrs)
    if log_type not in BOTH:
        return log_type
    trace_id = hex_id(span.get("traceId"), 32, "traceId", required=True)
    span_id = hex_id(span.get("spanId"), 16, "spanId", required=True)
    start = unix_nano(span.get("startTimeUnixNano"), "startTimeUnixNano")
    end = _end(span.get("endTimeUnixNano"), start)
    assert trace_id is not None and span_id is not None
    event: dict[str, Any] = {
        "log_type": log_type,
        "event_id": event_id(trace_id, span_id, start),
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_span_id": hex_id(span.get("parentSpanId"), 16, "parentSpanId", required=False),
        "started_at": _time(start),
        "service": "unknown_service",  # the SDKs' own default when service.name is unset
        "sample_rate": sample_rate(span.get("traceState")),
    }
    if end is not None:
        event["finished_at"] = _time(end)
        event["latency_ms"] = (end - start) / 1e6
    metadata: dict[str, Any] = {
        "otlp.mapping_version": MAPPING_VERSION,
        "otlp.span_name": str(span.get("name") or "")[:256] or None,
        "otlp.scope_name": view.scope_name[:256] or None,
        "otlp.scope_version": view.scope_version[:256] or None,
    }
    for rules, source in ((RESOURCE_RULES, view.resource), (RULES, attrs)):
        for rule in rules:
            if log_type in rule.log_types:
                value = _apply(rule, source)
                if value is not None:
                    (metadata if rule.metadata else event)[rule.field] = value
    if log_type == "inference":
        kind = attrs.get("openinference.span.kind")
        if "operation" not in event and isinstance(kind, str):
            event["operation"] = _OPENINFERENCE_KINDS.get(kind.upper(), "chat")
        calls = tool_calls(attrs)
        if calls:
            event["tool_calls"] = calls
    _status(span, event)
    _passthrough(attrs, metadata)
    event["metadata"] = {k: v for k, v in metadata.items() if v is not None}
    return event


def _apply(rule: Rule, attrs: dict[str, Any]) -> Any:
    for attr, _convention in rule.sources:
        if attr in attrs:
            value = rule.convert(attrs[attr])
            if value is not None:
                return value
    return None


def _status(span: dict[str, Any], event: dict[str, Any]) -> None:
    """error.type, span status and the `exception` span event → status, error code and message."""
    status = span.get("status") if isinstance(span.get("status"), dict) else {}
    code = status.get("code")
    failed = code in (2, "STATUS_CODE_ERROR") or "error_code" in event
    message = status.get("message") or None
    for e in span.get("events") or ():
        if isinstance(e, dict) and e.get("name") == "exception":
            exc = attributes(e.get("attributes"))
            failed = True
            event.setdefault("error_code", _name(exc.get("exception.type")))
            message = message or _name(exc.get("exception.message"))
    if not failed:
        return
    error = (event.get("error_code") or "").lower()
    event["status"] = (
        "cancelled" if "cancel" in error else "timeout" if "timeout" in error else ("error")
    )
    if event.get("error_code") is None:
        event.pop("error_code", None)
    if isinstance(message, str) and message:
        event["error_message"] = message[:TEXT_MAX_CHARS]


def _passthrough(attrs: dict[str, Any], metadata: dict[str, Any]) -> None:
    """Unmapped GenAI scalars into metadata; unknown gen_ai.usage.* first, so none is lost."""
    keys = sorted(
        (k for k in attrs if k.startswith(_METADATA_PREFIXES) and k not in _CONSUMED),
        key=lambda k: (not k.startswith("gen_ai.usage."), k),
    )
    for key in keys:
        if len(metadata) >= _METADATA_MAX_KEYS:
            return
        if key.startswith(_CONTENT_PREFIXES) or len(key) > 256:
            continue
        value = attrs[key]
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            value = orjson.dumps(value).decode()
        if isinstance(value, str):
            metadata[key] = value[:_METADATA_TEXT_MAX]
        elif isinstance(value, int | float | bool):
            metadata[key] = value


def event_id(trace_id: str, span_id: str, start_ns: int) -> str:
    """A UUIDv7-shaped id, the same for every copy of a span: its start time, a hash of its ids."""
    digest = int.from_bytes(hashlib.blake2b(bytes.fromhex(trace_id + span_id)).digest()[:10])
    millis = (start_ns // 1_000_000) & ((1 << 48) - 1)
    value = (millis << 80) | (0x7 << 76) | (((digest >> 62) & 0xFFF) << 64)
    value |= (0b10 << 62) | (digest & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def sample_rate(trace_state: Any) -> float:
    """The probability of OTel's tracestate sampling threshold (`ot=th:<hex>`), else 1."""
    if not isinstance(trace_state, str) or "ot=" not in trace_state:
        return 1.0
    for member in trace_state.split(","):
        key, _, value = member.strip().partition("=")
        if key != "ot":
            continue
        for field in value.split(";"):
            name, _, th = field.partition(":")
            if name == "th" and 0 < len(th) <= 14:
                try:
                    threshold = int(th.ljust(14, "0"), 16)
                except ValueError:
                    return 1.0
                probability = (2**56 - threshold) / 2**56
                return probability if probability > 0 else 1.0
    return 1.0


def _end(value: Any, start: int) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        end = int(value)
    except (TypeError, ValueError):
        raise SpanError("endTimeUnixNano must be an integer") from None
    if end == 0:
        return None
    if end < start:
        raise SpanError("endTimeUnixNano is before startTimeUnixNano")
    return end


def _time(nanos: int) -> datetime:
    return datetime.fromtimestamp(nanos / 1e9, UTC)
