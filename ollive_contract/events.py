"""Wire contract v1: the event envelope the SDK emits and the ingest API accepts.

Names follow the OpenTelemetry GenAI semantic conventions where they exist (noted per field), so
mapping to and from OTLP is a rename. Server-set fields live only on `StoredEvent`: a client
cannot set them, whatever it sends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    computed_field,
    model_validator,
)

SCHEMA_VERSION = 1
PREVIEW_MAX_CHARS = 500
TEXT_MAX_CHARS = 32_768
ID_MAX_CHARS = 256

LogType = Literal["inference", "tool_execution", "application", "score"]
LOG_TYPES: tuple[LogType, ...] = ("inference", "tool_execution", "application", "score")
Status = Literal["ok", "error", "cancelled", "timeout"]
Level = Literal["debug", "info", "warning", "error", "critical"]
AuthorKind = Literal["user", "human_annotator", "model", "system"]
ScoreDataType = Literal["numeric", "categorical", "boolean"]

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
    user_id: Id | None = Field(
        None,
        description=(
            "Pseudonymised at ingest with a keyed HMAC (`<key id>:<hex>`), before anything is"
            " stored; never stored raw."
        ),
    )
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


class ScoreEvent(_Event):
    """Feedback on an event, a trace or a conversation: a user's thumbs, an annotator's label,
    an evaluator model's grade. It may arrive long after what it scores."""

    log_type: Literal["score"] = "score"
    name: Name = Field(description="What is scored, e.g. `helpfulness`, `thumbs`.")
    value: StrictBool | Annotated[float, Field(allow_inf_nan=False)] | Name = Field(
        description="A number, a category (a string) or a boolean; `data_type` says which."
    )
    comment: Text | None = Field(None, description="Free text from the author; PII-redacted.")
    author_kind: AuthorKind = Field("user", description="Who scored.")
    target_event_id: UUID | None = Field(None, description="The scored event.")
    target_trace_id: Id | None = Field(None, description="The scored trace.")
    target_conversation_id: Id | None = Field(None, description="The scored conversation.")

    @model_validator(mode="after")
    def _has_a_target(self) -> ScoreEvent:
        if not (self.target_event_id or self.target_trace_id or self.target_conversation_id):
            raise ValueError(
                "a score needs a target: target_event_id, target_trace_id or target_conversation_id"
            )
        return self

    # Stored beside `value`, so the loader reads typed columns (a JSON value of three types
    # does not fit one).
    @computed_field  # type: ignore[prop-decorator]
    @property
    def data_type(self) -> ScoreDataType:
        if isinstance(self.value, bool):
            return "boolean"
        return "categorical" if isinstance(self.value, str) else "numeric"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def numeric_value(self) -> float | None:
        """The number; 1 or 0 for a boolean; none for a category."""
        return None if isinstance(self.value, str) else float(self.value)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def string_value(self) -> str | None:
        """The category; `true`/`false` for a boolean; none for a number."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return self.value if isinstance(self.value, str) else None


AnyEvent = InferenceEvent | ToolExecutionEvent | ApplicationEvent | ScoreEvent
Event = Annotated[AnyEvent, Field(discriminator="log_type")]
EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(Event)

# Free-text fields PII redaction must cover, by log type (metadata string values too).
FREE_TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "inference": ("error_message", "input_preview", "output_preview"),
    "tool_execution": ("error_message", "arguments_preview", "result_preview"),
    "application": ("message", "exception_message", "exception_stack"),
    "score": ("comment",),
}


class ServerFields(BaseModel):
    """Fields only the ingest API sets; whatever a client sends for them is dropped."""

    received_at: datetime
    project_id: Name
    pii_detected: bool = False
    pii_entities: list[Name] = Field(default_factory=list)
    schema_version: int = SCHEMA_VERSION


SERVER_FIELDS: frozenset[str] = frozenset(ServerFields.model_fields)
