"""Gaps found in the SDK's google-genai integration while building the chatbot, as tests.

Each was an xfail until the SDK was fixed; now they guard the fix.
"""

from __future__ import annotations

import asyncio
import gc

from chatbot.gemini import make_genai_client
from tests.fixtures.chatbot import fast_settings


def test_an_async_stream_dropped_before_iteration_still_emits_its_inference(sdk, captured):
    """The request was sent and answered (200, headers in), so the call happened: closing the
    stream before its first chunk must still leave one event, marked cancelled."""
    g = make_genai_client(fast_settings(time_scale=0.0), sdk)

    async def main() -> None:
        stream = await g.aio.models.generate_content_stream(model="gemini-2.5-flash", contents="Hi")
        await stream.aclose()  # e.g. the caller was cancelled right after the call returned

    asyncio.run(main())
    gc.collect()
    events = captured("inference")
    assert len(events) == 1
    assert events[0]["status"] == "cancelled"


def test_an_async_stream_dropped_unclosed_still_emits_its_inference(sdk, captured):
    g = make_genai_client(fast_settings(time_scale=0.0), sdk)

    async def main() -> None:
        await g.aio.models.generate_content_stream(model="gemini-2.5-flash", contents="Hi")

    asyncio.run(main())
    gc.collect()
    events = captured("inference")
    assert len(events) == 1
    assert events[0]["status"] == "cancelled"
