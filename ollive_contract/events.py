"""Wire contract v1: the event envelope the SDK emits and the ingest API accepts.

Names follow the OpenTelemetry GenAI semantic conventions where they exist (noted per field), so
mapping to and from OTLP is a rename. Server-set fields live only on `StoredEvent`: a client
cannot set them, whatever it sends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

SCHEMA_VERSION = 1
PREVIEW_MAX_CHARS = 500
TEXT_MAX_CHARS = 32_768
ID_MAX_CHARS = 256

LogType = Literal["inference", "tool_execution", "application"]
LOG_TYPES: tuple[LogType, ...] = ("inference", "tool_execution", "application")
Status = Literal["ok", "error", "cancelled", "timeout"]
Level = Literal["debug", "info", "warning", "error", "critical"]

Id = Annotated[str, Field(min_length=1, max_length=ID_MAX_CHARS)]
Name = Annotated[str, Field(min_length=1, max_length=ID_MAX_CHARS)]
Text = Annotated[str, Field(max_length=TEXT_MAX_CHARS)]
Count = Annotated[int, Field(ge=0, le=2**53)]
Millis = Annotated[float, Field(ge=0, le=86_400_000)]
MetadataValue = str | int | float | bool | None


class _Event(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False, frozen=True)

    event_id: UUID = Field(description="UUIDv7 made by the SDK; the dedupe key end to end.")
    started_at: datetime = Field(description="When the work began (a log: when it was emitted).")
    finished_at: datetime | None = Field(None, description="When the work ended.")
    service: Name = Field(description="Emitting service (OTel `service.name`).")
    environment: Name | None = Field(None, description="deployment.environment.name")
    request_id: Id | None = None
    trace_id: Id | None = Field(
        None, description="W3C trace id (32 hex), made or adopted by the SDK."
    )
    span_id: Id | None = Field(None, description="W3C span id (16 hex) of this event.")
    parent_span_id: Id | None = Field(None, description="The enclosing span's id; none at a root.")
    sample_rate: float = Field(
        1.0,
        gt=0,
        le=1,
        description=(
            "Head-sampling probability the event's trace was kept with; counts, tokens and "
            "cost are weighted by 1/sample_rate."
        ),
    )
    conversation_id: Id | None = Field(None, description="gen_ai.conversation.id")
    session_id: Id | None = None
    user_id: Id | None = Field(None, description="Pseudonymised downstream; never shown raw.")
    sdk_name: Name | None = None
    sdk_version: Name | None = None
    metadata: dict[Name, MetadataValue] = Field(default_factory=dict, max_length=64)


class ToolCall(BaseModel):
    """A function call the model asked for (gen_ai.tool.*)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Name
    id: Id | None = None
    arguments_preview: Text | None = None


class InferenceEvent(_Event):
    """One call to a model (OTel span `gen_ai.operation.name`)."""

    log_type: Literal["inference"] = "inference"
    provider: Name = Field(description="gen_ai.provider.name, e.g. `gcp.gemini`, `openai`.")
    operation: Name = Field("chat", description="gen_ai.operation.name")
    model: Name = Field(description="gen_ai.request.model")
    response_model: Name | None = Field(None, description="gen_ai.response.model")
    stream: bool = False
    latency_ms: Millis | None = None
    ttft_ms: Millis | None = Field(None, description="Time to first chunk (streaming).")
    input_tokens: Count | None = Field(None, description="gen_ai.usage.input_tokens")
    output_tokens: Count | None = Field(None, description="gen_ai.usage.output_tokens")
    cached_input_tokens: Count | None = Field(
        None, description="gen_ai.usage.cache_read.input_tokens"
    )
    reasoning_tokens: Count | None = Field(None, description="gen_ai.usage.reasoning.output_tokens")
    cost_usd: Annotated[float, Field(ge=0, le=1e6)] | None = Field(
        None, description="The producer's own cost; priced from `model_prices` when absent."
    )
    status: Status = "ok"
    finish_reason: Name | None = Field(None, description="gen_ai.response.finish_reasons[0]")
    tool_calls: list[ToolCall] = Field(default_factory=list, max_length=128)
    error_code: Name | None = Field(None, description="error.type")
    error_message: Text | None = None
    input_preview: Text | None = None
    output_preview: Text | None = None


class ToolExecutionEvent(_Event):
    """One execution of a tool (OTel `execute_tool` span)."""

    log_type: Literal["tool_execution"] = "tool_execution"
    tool_name: Name = Field(description="gen_ai.tool.name")
    tool_call_id: Id | None = Field(None, description="gen_ai.tool.call.id")
    latency_ms: Millis | None = None
    status: Status = "ok"
    error_code: Name | None = None
    error_message: Text | None = None
    arguments_preview: Text | None = None
    result_preview: Text | None = None


class ApplicationEvent(_Event):
    """One application log record (OTel log record)."""

    log_type: Literal["application"] = "application"
    level: Level = Field(description="Lower-cased severity_text.")
    logger: Name = "root"
    message: Text = ""
    exception_type: Name | None = None
    exception_message: Text | None = None
    exception_stack: Text | None = None


Event = Annotated[
    InferenceEvent | ToolExecutionEvent | ApplicationEvent, Field(discriminator="log_type")
]
EVENT_ADAPTER: TypeAdapter[InferenceEvent | ToolExecutionEvent | ApplicationEvent] = TypeAdapter(
    Event
)

# Free-text fields PII redaction must cover, by log type (metadata string values too).
FREE_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "inference": ("error_message", "input_preview", "output_preview"),
    "tool_execution": ("error_message", "arguments_preview", "result_preview"),
    "application": ("message", "exception_message", "exception_stack"),
}


class ServerFields(BaseModel):
    """Fields only the ingest API sets; whatever a client sends for them is dropped."""

    received_at: datetime
    project_id: Name
    pii_detected: bool = False
    pii_entities: list[Name] = Field(default_factory=list)
    schema_version: int = SCHEMA_VERSION


SERVER_FIELDS: frozenset[str] = frozenset(ServerFields.model_fields)
