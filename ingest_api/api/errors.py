"""Refusals of a whole request: the documented error body, and the exception that carries one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from ingest_api.api.json_response import JSONBytes
from ingest_api.intake.validation import Rejection


class RejectedEvent(BaseModel):
    index: int
    code: str
    reason: str


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResult(BaseModel):
    error: ErrorBody
    accepted: int = 0
    rejected: list[RejectedEvent] = []


class RequestRefused(Exception):
    """Raised by a dependency to answer with an error body instead of running the handler."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, rejected: Sequence[Rejection] = (), **headers: str
) -> JSONBytes:
    body = {"error": {"code": code, "message": message}, "accepted": 0}
    body["rejected"] = [rejected_item(r) for r in rejected]
    return JSONBytes(body, status_code=status, headers=headers or None)


def rejected_item(r: Rejection) -> dict[str, Any]:
    return {"index": r.index, "code": r.code, "reason": r.reason}
