"""ClickHouse-style errors: codes, names, HTTP statuses and the text clients parse.

Clients (clickhouse-connect, dbt-clickhouse, Superset) read the code from the
`X-ClickHouse-Exception-Code` header and show the body, so both must look exactly like a
ClickHouse server's. chDB raises its errors as text; `from_engine` recovers the code from it.
"""

from __future__ import annotations

import re

ENGINE_VERSION_TRAILER = "(version {version} (official build))"

# The codes this server raises itself (the engine raises the rest).
BAD_ARGUMENTS = 36
NOT_IMPLEMENTED = 48
UNKNOWN_DATABASE = 81
UNKNOWN_SETTING = 115
READONLY = 164
SYNTAX_ERROR = 62
SESSION_NOT_FOUND = 372
SESSION_IS_LOCKED = 373
UNKNOWN_QUERY_PARAMETER = 456
AUTHENTICATION_FAILED = 516
UNSUPPORTED_METHOD = 1
CANNOT_DECOMPRESS = 271

_NAMES = {
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    UNKNOWN_DATABASE: "UNKNOWN_DATABASE",
    UNKNOWN_SETTING: "UNKNOWN_SETTING",
    READONLY: "READONLY",
    SYNTAX_ERROR: "SYNTAX_ERROR",
    SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
    SESSION_IS_LOCKED: "SESSION_IS_LOCKED",
    UNKNOWN_QUERY_PARAMETER: "UNKNOWN_QUERY_PARAMETER",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    UNSUPPORTED_METHOD: "UNSUPPORTED_METHOD",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
}

# After ClickHouse's src/Server/HTTP/exceptionCodeToHTTPStatus.cpp (codes from ErrorCodes.cpp);
# anything not listed is 500, as there.
_STATUS_BY_CODE: dict[int, int] = {
    194: 401,  # REQUIRED_PASSWORD
    **dict.fromkeys((192, 193, 497, 512, 516), 403),  # unknown user, wrong password, access denied
    **dict.fromkeys(
        # BAD_ARGUMENTS, CANNOT_PARSE_*, DUPLICATE_COLUMN, ILLEGAL_COLUMN, THERE_IS_NO_COLUMN,
        # UNKNOWN_ELEMENT_IN_AST, TOO_DEEP_AST, TOO_BIG_AST, SYNTAX_ERROR, INCORRECT_DATA,
        # TYPE_MISMATCH, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE, CANNOT_COMPILE_REGEXP
        (36, 6, 25, 26, 27, 38, 41, 72, 376, 441, 15, 44, 8, 37, 167, 168, 62, 117, 53, 321, 427),
        400,
    ),
    **dict.fromkeys(
        # UNKNOWN_TABLE, _FUNCTION, _IDENTIFIER, _TYPE, _STORAGE, _DATABASE, _SETTING,
        # _AGGREGATE_FUNCTION, _FORMAT, _ROLE
        (60, 46, 47, 50, 56, 81, 115, 63, 73, 511),
        404,
    ),
    48: 501,  # NOT_IMPLEMENTED
    209: 503,  # SOCKET_TIMEOUT
    76: 503,  # CANNOT_OPEN_FILE
    439: 503,  # CANNOT_SCHEDULE_TASK
    381: 411,  # HTTP_LENGTH_REQUIRED
    159: 408,  # TIMEOUT_EXCEEDED
}

_CODE_PREFIX = re.compile(r"Code: (\d+)\. DB::Exception: ")
_NAME_SUFFIX = re.compile(r"\. \(([A-Z][A-Z0-9_]+)\)")


class ClickHouseError(Exception):
    """An error with a ClickHouse code, rendered the way a ClickHouse server renders it."""

    def __init__(self, code: int, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message.rstrip().removesuffix(".")
        self.name = name or _NAMES.get(code, "UNKNOWN_EXCEPTION")

    @property
    def http_status(self) -> int:
        return http_status(self.code)

    def render(self, version: str) -> str:
        """`Code: N. DB::Exception: message. (NAME) (version X (official build))` and a newline."""
        trailer = ENGINE_VERSION_TRAILER.format(version=version)
        return f"Code: {self.code}. DB::Exception: {self.message}. ({self.name}) {trailer}\n"


def http_status(code: int) -> int:
    """The HTTP status ClickHouse answers an exception code with."""
    return _STATUS_BY_CODE.get(code, 500)


def from_engine(exc: BaseException) -> ClickHouseError:
    """Recover code, name and message from chDB's exception text.

    chDB nests messages ("Code: 115. DB::Exception: Code: 115. DB::Exception: …") and prefixes
    streaming failures; the innermost `Code: N. DB::Exception:` holds what a server would say.
    """
    if isinstance(exc, ClickHouseError):
        return exc
    text = str(exc)
    prefixes = list(_CODE_PREFIX.finditer(text))
    if not prefixes:
        return ClickHouseError(1001, text.strip() or type(exc).__name__, "STD_EXCEPTION")
    innermost = prefixes[-1]
    body = text[innermost.end() :]
    suffix = _NAME_SUFFIX.search(body)
    if suffix is None:
        return ClickHouseError(int(innermost.group(1)), body.strip())
    return ClickHouseError(int(innermost.group(1)), body[: suffix.start()], suffix.group(1))
