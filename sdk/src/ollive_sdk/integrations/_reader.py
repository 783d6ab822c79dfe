"""What an integration reads out of a model call, and how it lands on the span.

A provider's reader fills the fields from a whole response (`read_response`) or from a stream's
items (`read_chunk`); `finish` writes them into the span once. Reading never raises: a response
the reader does not understand costs its details, never the host's call.
"""

from __future__ import annotations

from typing import Any

from ollive_sdk._log import warn_once
from ollive_sdk.spans import InferenceSpan

CACHE_CREATION_KEY = "gen_ai.usage.cache_creation.input_tokens"
RESPONSE_ID_KEY = "gen_ai.response.id"
STATUS_CODE_KEY = "http.response.status_code"


class Reader:
    """Token counts per OTel: input includes cached (read and written), output reasoning."""

    provider = "model"

    def __init__(self, span: InferenceSpan) -> None:
        self.span = span
        self.response_model: str | None = None
        self.response_id: str | None = None
        self.finish_reason: str | None = None
        self.text: list[str] = []
        self.calls: list[tuple[str, str | None, Any]] = []  # (name, id, arguments)
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.cached_input_tokens: int | None = None
        self.cache_creation_tokens: int | None = None
        self.reasoning_tokens: int | None = None
        self.error: tuple[str | None, str | None] | None = None  # a failure returned as data

    def read_response(self, response: Any) -> None:
        """Fill the fields from a whole response."""

    def read_chunk(self, item: Any) -> None:
        """Fill the fields from one item of a stream."""

    def response(self, response: Any) -> None:
        if not self.span.recording:
            return
        # A raw response (`with_raw_response`, `with_streaming_response`) is timed, not read:
        # parsing it here would consume a body its caller means to read.
        if not (hasattr(response, "http_response") and hasattr(response, "parse")):
            self._safely(self.read_response, response)
        self.finish()

    def chunk(self, item: Any) -> None:
        if self.span.recording:
            self.span.first_chunk()
            self._safely(self.read_chunk, item)

    def finish(self) -> None:
        if self.span.recording:
            self._safely(self._write)

    def failed(self, exc: BaseException) -> None:
        """An API error: its HTTP status, and the provider's code (more telling than the class)."""
        self._safely(self._read_error, exc)

    def _read_error(self, exc: BaseException) -> None:
        status = getattr(exc, "status_code", None)
        if isinstance(status, int) and not isinstance(status, bool):
            self.span.set_metadata(STATUS_CODE_KEY, status)
        for name in ("error_code", "code", "type"):
            code = getattr(exc, name, None)
            if isinstance(code, str) and code:
                self.span.set_status("error", code=code)
                return
        if isinstance(status, int) and not isinstance(status, bool):
            self.span.set_status("error", code=str(status))

    def _write(self) -> None:
        span = self.span
        span.set_response_model(self.response_model)
        span.set_finish_reason(self.finish_reason)
        span.set_usage(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cached_input_tokens=self.cached_input_tokens,
            reasoning_tokens=self.reasoning_tokens,
        )
        if self.cache_creation_tokens is not None:
            span.set_metadata(CACHE_CREATION_KEY, self.cache_creation_tokens)
        if self.response_id:
            span.set_metadata(RESPONSE_ID_KEY, self.response_id)
        for name, call_id, arguments in self.calls:
            span.add_tool_call(name or "unknown", id=call_id or None, arguments=arguments)
        if self.text and span.capture_previews:
            span.set_output("".join(self.text))
        if self.error is not None:
            code, message = self.error
            span.set_status("error", code=code or None, message=message or None)

    def _safely(self, read: Any, *args: Any) -> None:
        try:
            read(*args)
        except Exception as e:
            key = f"{self.provider}_read"
            warn_once(key, "ollive: could not read a response from %s: %r", self.provider, e)
