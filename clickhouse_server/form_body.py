"""A multipart/form-data request body: the `query`, `param_*` and settings fields in it.

clickhouse-connect sends the query and its parameters this way once they no longer fit the
URL (about 4 KB, e.g. a list of 100 object keys). ClickHouse reads the non-file fields as if
they were URL parameters; file parts are external tables (external_data.py).
`application/x-www-form-urlencoded` bodies are *not* read as forms, as in ClickHouse: `curl
-d` sends that content type with INSERT data and plain SQL bodies.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass

from clickhouse_server import errors

# ClickHouse's http_max_multipart_form_data_size is 1 GiB; the form path is meant for a query
# and its parameters, so a much smaller cap keeps a mistaken upload from filling memory.
MAX_FORM_BYTES = 64 << 20


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").lower().startswith("multipart/form-data")


def check_size(size: int) -> None:
    if size > MAX_FORM_BYTES:
        raise errors.ClickHouseError(
            errors.BAD_ARGUMENTS,
            f"The multipart/form-data body is larger than {MAX_FORM_BYTES} bytes",
        )


@dataclass(frozen=True)
class FilePart:
    """A file part of the form (an external table): its field name and its bytes."""

    name: str
    data: bytes


def parts(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], list[FilePart]]:
    """(name, value) of every field, in order, and the file parts."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise errors.ClickHouseError(
            errors.BAD_ARGUMENTS, "Malformed multipart/form-data body (no boundary or parts)"
        )
    out: list[tuple[str, str]] = []
    files: list[FilePart] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise errors.ClickHouseError(
                errors.BAD_ARGUMENTS, "A multipart/form-data part has no name"
            )
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files.append(FilePart(str(name), payload))
            continue
        try:
            out.append((str(name), payload.decode()))
        except UnicodeDecodeError:
            raise errors.ClickHouseError(
                errors.BAD_ARGUMENTS, f"The form field '{name}' is not valid UTF-8"
            ) from None
    return out, files
