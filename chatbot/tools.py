"""The chatbot's tools: what Gemini may call, and the code that answers, each traced by the SDK.

They are real in-process implementations (a keyword search over a few help articles, a
deterministic weather service, a ticket desk that hands out numbers), so tool events carry
genuine arguments, results and latencies. `tool_traced` is bound to the given SDK client
because the demo sends through its own client, not the process-wide one.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import ollive_sdk
from google.genai import types

ARTICLES = {
    "Rotate an API key": "Settings → API keys → Rotate. The old key works for 24 hours.",
    "Rate limits": "Free plans allow 60 requests per minute; 429 means wait and retry.",
    "Configure the SDK": "Call ollive_sdk.init(endpoint=..., api_key=...) once at start-up.",
    "Export your data": "Settings → Data → Export writes NDJSON to your bucket nightly.",
    "Single sign-on": "SAML and OIDC are available on the Team plan and above.",
}

DECLARATIONS = [
    types.FunctionDeclaration(
        name="search_docs",
        description="Search the help centre; returns the best matching articles.",
        parameters_json_schema={
            "type": "object",
            "properties": {"query": {"type": "string", "description": "What to look for."}},
            "required": ["query"],
        },
    ),
    types.FunctionDeclaration(
        name="get_weather",
        description="Current weather for a city.",
        parameters_json_schema={
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    ),
    types.FunctionDeclaration(
        name="create_ticket",
        description="Open a support ticket for a human to follow up.",
        parameters_json_schema={
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "priority": {"type": "string", "enum": ["low", "normal", "high"]},
                "contact": {"type": "string", "description": "Email or phone to reply to."},
            },
            "required": ["summary"],
        },
    ),
]
TOOLS = [types.Tool(function_declarations=DECLARATIONS)]

Tool = Callable[..., Awaitable[dict[str, Any]]]


class UnknownTool(LookupError):
    """The model asked for a function the chatbot does not offer."""


class Toolbox:
    """The tools, traced; `time_scale` stretches their simulated I/O like the model's."""

    def __init__(self, sdk: ollive_sdk.Client | None = None, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale
        self.tools: dict[str, Tool] = {
            name: ollive_sdk.tool_traced(name=name, client=sdk)(fn)
            for name, fn in (
                ("search_docs", self._search_docs),
                ("get_weather", self._get_weather),
                ("create_ticket", self._create_ticket),
            )
        }

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        tool = self.tools.get(name)
        if tool is None:
            raise UnknownTool(name)
        return await tool(**args)

    async def _search_docs(self, query: str) -> dict[str, Any]:
        await asyncio.sleep(0.04 * self.time_scale)
        words = {w.strip("?.,!").lower() for w in query.split() if len(w) > 3}
        scored = sorted(
            ((sum(w in f"{t} {b}".lower() for w in words), t) for t, b in ARTICLES.items()),
            reverse=True,
        )
        hits = [{"title": t, "snippet": ARTICLES[t]} for score, t in scored[:2] if score]
        return {"results": hits}

    async def _get_weather(self, city: str) -> dict[str, Any]:
        await asyncio.sleep(0.12 * self.time_scale)  # an external API, in real life
        h = int.from_bytes(hashlib.sha256(city.lower().encode()).digest()[:4], "big")
        sky = ("sunny", "cloudy", "light rain", "windy")[h % 4]
        return {"city": city, "temperature_c": round(h % 350 / 10 - 5, 1), "sky": sky}

    async def _create_ticket(
        self, summary: str, priority: str = "normal", contact: str | None = None
    ) -> dict[str, Any]:
        await asyncio.sleep(0.08 * self.time_scale)
        # numbered from the content, not a counter: replies stay repeatable under concurrency
        digest = hashlib.sha256(f"{summary}|{contact}".encode()).hexdigest()
        return {"ticket": f"SUP-{int(digest[:6], 16) % 90000 + 10000}", "priority": priority,
                "status": "open"}  # fmt: skip
