"""The stream a traced call hands back instead of the library's own: it reads each item into the
span as it passes, and ends the span however the caller leaves the stream.

Exhausted, the span ends ok; an error raised while reading ends it with that error; closed (or
dropped) before the end, the caller cancelled the rest of the stream. Anything else is the
library's stream's own (`response`, helpers, attributes), reached through the proxy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ollive_sdk.integrations._reader import Reader
    from ollive_sdk.spans import InferenceSpan


class _Traced:
    __slots__ = ("_done", "_reader", "_span", "_stream")

    def __init__(self, stream: Any, span: InferenceSpan, reader: Reader) -> None:
        self._done = False  # first: __del__ runs even when __init__ did not finish
        self._stream = stream
        self._span = span
        self._reader = reader

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_stream"), name)

    def _finish(self, exc: BaseException | None) -> None:
        if self._done:
            return
        self._done = True
        self._reader.finish()
        self._span.end(exc)

    def _failed(self, exc: BaseException) -> None:
        self._reader.failed(exc)
        self._finish(exc)


class TracedStream(_Traced):
    """A traced synchronous stream."""

    __slots__ = ("_iterator",)

    def __init__(self, stream: Any, span: InferenceSpan, reader: Reader) -> None:
        super().__init__(stream, span, reader)
        self._iterator: Iterator[Any] = iter(stream)

    def __iter__(self) -> TracedStream:
        return self

    def __next__(self) -> Any:
        try:
            item = next(self._iterator)
        except StopIteration:
            self._finish(None)
            raise
        except BaseException as e:
            self._failed(e)
            raise
        self._reader.chunk(item)
        return item

    def __enter__(self) -> TracedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Closing before the end counts as the caller cancelling the rest of the stream."""
        self._finish(None if self._done else GeneratorExit())
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()

    def __del__(self) -> None:
        if not self._done:
            self._finish(GeneratorExit())


class TracedAsyncStream(_Traced):
    """A traced asynchronous stream."""

    __slots__ = ("_iterator",)

    def __init__(self, stream: Any, span: InferenceSpan, reader: Reader) -> None:
        super().__init__(stream, span, reader)
        self._iterator: AsyncIterator[Any] = stream.__aiter__()

    def __aiter__(self) -> TracedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self._iterator.__anext__()
        except StopAsyncIteration:
            self._finish(None)
            raise
        except BaseException as e:
            self._failed(e)
            raise
        self._reader.chunk(item)
        return item

    async def __aenter__(self) -> TracedAsyncStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def close(self) -> None:
        """Closing before the end counts as the caller cancelling the rest of the stream."""
        self._finish(None if self._done else asyncio.CancelledError())
        close = getattr(self._stream, "close", None)
        if close is not None:
            await close()

    aclose = close

    def __del__(self) -> None:
        if not self._done:
            self._finish(asyncio.CancelledError())
