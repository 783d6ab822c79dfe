"""FastAPI dependencies: the app's state, and the project of the request's API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from ingest_api.api.errors import RequestRefused
from ingest_api.state import IngestState


async def get_state(request: Request) -> IngestState:
    """The parts the lifespan built (the one place that reads `app.state`)."""
    return request.app.state.ingest


IngestStateDep = Annotated[IngestState, Depends(get_state)]


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.headers.get("x-api-key")


async def authenticated_project(request: Request, state: IngestStateDep) -> str:
    """The project of an active key (Bearer, else X-API-Key); a 401 refusal otherwise."""
    if state.keys.stale():  # the reload is a query: off the event loop
        await run_in_threadpool(state.keys.refresh)
    project_id = state.keys.project_for(presented_key(request))
    if project_id is None:
        raise RequestRefused(
            401, "unauthorized", "a valid API key is required (Authorization: Bearer)"
        )
    return project_id


AuthenticatedProject = Annotated[str, Depends(authenticated_project)]
