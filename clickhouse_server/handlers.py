"""ClickHouse's HTTP protocol on top of the engine: authenticate, read the statement (and any
INSERT data streaming behind it), run it on the request's or the session's connection, and
answer with ClickHouse's headers, status codes and error text."""

from __future__ import annotations

import json
import secrets
import string
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from clickhouse_server import (
    compression,
    connection_setup,
    errors,
    external_data,
    form_body,
    formats,
    query_log,
    statements,
)
from clickhouse_server import query_settings as qs
from clickhouse_server.auth import Authenticator, User
from clickhouse_server.engine import Connection, Engine, Stats, check_output_format
from clickhouse_server.sessions import Session, SessionRegistry

# Without wait_end_of_query, ClickHouse sends each block as it comes (its output format
# flushes after every block), so a failure after the first block is reported in-band; here
# the first chunk starts the answer unless `http_response_buffer_size` asks for more.
STREAM_AFTER_BYTES = 1
# With wait_end_of_query=1 (clickhouse-connect's for commands and inserts) ClickHouse buffers
# the whole result; here up to this much, then it streams anyway.
WAIT_END_BUFFER_BYTES = 16 << 20
# Insert data is handed to the engine in pieces of about this size.
INSERT_CHUNK_BYTES = 1 << 20
# ClickHouse's mid-stream exception block: its marker, tag length and size cap.
EXCEPTION_MARKER = b"__exception__"
EXCEPTION_TAG_LENGTH = 16
MAX_EXCEPTION_BYTES = 16 * 1024


@dataclass
class ServerState:
    """What every request needs: the engine, the users, the sessions, the thread budget."""

    engine: Engine
    authenticator: Authenticator
    sessions: SessionRegistry
    limiter: anyio.CapacityLimiter
    display_name: str


async def ping(request: Request) -> Response:
    return PlainTextResponse("Ok.\n")


async def replicas_status(request: Request) -> Response:
    return PlainTextResponse("Ok.\n")


async def query(request: Request) -> Response:
    """The `/` endpoint: every query, insert and command."""
    state: ServerState = request.app.state.server
    started = time.perf_counter_ns()
    query_id = request.query_params.get("query_id") or str(uuid.uuid4())
    request.scope["ollive.query_id"] = query_id
    try:
        return await _query(request, state, query_id, started)
    except errors.ClickHouseError as exc:
        return error_response(exc, state, query_id)


def error_response(exc: errors.ClickHouseError, state: ServerState, query_id: str) -> Response:
    return PlainTextResponse(
        exc.render(state.engine.version),
        status_code=exc.http_status,
        headers={
            "X-ClickHouse-Exception-Code": str(exc.code),
            "X-ClickHouse-Server-Display-Name": state.display_name,
            "X-ClickHouse-Query-Id": query_id,
        },
    )


class _Body:
    """The request body, decompressed, chunk by chunk."""

    def __init__(self, request: Request) -> None:
        self._chunks = request.stream()
        self._decoder = compression.decoder(request.headers.get("content-encoding"))
        self._eof = False

    async def next(self) -> bytes | None:
        while not self._eof:
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                self._eof = True
                try:
                    tail = self._decoder.finish()
                except Exception as exc:
                    raise compression.decode_error(exc) from None
                return tail or None
            try:
                decoded = self._decoder.decode(chunk)
            except Exception as exc:
                raise compression.decode_error(exc) from None
            if decoded:
                return decoded
        return None


async def _query(request: Request, state: ServerState, query_id: str, started: int) -> Response:
    engine = state.engine
    url_params = request.query_params
    user = state.authenticator.authenticate(request.headers, url_params)
    body = _Body(request)
    items = url_params.multi_items()
    content_type = request.headers.get("content-type")
    external: list[external_data.ExternalTable] = []
    if form_body.is_multipart(content_type):
        fields, files = await _form_parts(body, content_type or "", url_params)
        items, table_params = external_data.split_params(items + fields, files, engine.catalog)
        external = external_data.tables(files, table_params)
    params = qs.parse(items, engine.catalog)
    params.database = params.database or request.headers.get("x-clickhouse-database")
    params.default_format = params.default_format or request.headers.get("x-clickhouse-format")
    if user.readonly:
        qs.check_readonly_user(params, engine.catalog)
    is_get = request.method in ("GET", "HEAD")

    buf = bytearray((params.query + "\n").encode() if params.query else b"")
    eof = False
    while True:
        try:
            split = statements.split_insert(bytes(buf), final=eof)
            break
        except statements.Incomplete:
            chunk = await body.next()
            if chunk is None:
                eof = True
            else:
                buf += chunk
    if split is not None and split.data_format == "Values":
        split = None  # VALUES is SQL; the engine parses it with the statement
    if split is None:
        while (chunk := await body.next()) is not None:
            buf += chunk
        raw = bytes(buf)
        try:
            sql = raw.decode()
            engine_sql: str | bytes = sql
        except UnicodeDecodeError:
            # Binary string literals (clickhouse-connect's `$name$` binary parameters): the
            # engine takes the bytes as they are; the server only lexes a lossy copy.
            sql, engine_sql = raw.decode("utf-8", "replace"), raw
        if not sql.strip():
            if is_get and not params.query:
                return PlainTextResponse("Ok.\n")
            raise errors.ClickHouseError(errors.SYNTAX_ERROR, "Empty query")
        statements.refuse_multi_statements(raw)
    else:
        sql = engine_sql = split.statement

    readonly = connection_setup.readonly_level(user, params, is_get)
    lease = await _Lease.take(state, user, params, readonly, sql, query_id, external)
    try:
        if split is not None:
            stats = await _insert(lease, split, bytes(buf[split.data_offset :]), body)
            return _response(state, params, query_id, started, b"", stats, None, None)
        return await _select_or_command(request, lease, params, sql, engine_sql, query_id, started)
    except BaseException:
        await lease.release()
        raise


async def _form_parts(
    body: _Body, content_type: str, url_params: Any
) -> tuple[list[tuple[str, str]], list[form_body.FilePart]]:
    """The form's fields and file parts, read whole; the URL's `query` wins over the form's,
    as in ClickHouse (its parameter collection returns the first `query`, and the URL is read
    first)."""
    data = bytearray()
    while (chunk := await body.next()) is not None:
        data += chunk
        form_body.check_size(len(data))
    items, files = form_body.parts(content_type, bytes(data))
    if "query" in url_params:
        items = [(name, value) for name, value in items if name != "query"]
    return items, files


class _Lease:
    """The connection a request runs on (its own, or its session's) until it is released."""

    def __init__(
        self,
        state: ServerState,
        session: Session | None,
        connection: Connection,
        saved: connection_setup.Saved | None,
        close_session: bool,
        sql: str,
        user: User,
        external: list[external_data.ExternalTable],
    ) -> None:
        self.state = state
        self._user = user
        self._external = external  # a session's to drop after the query
        self.session = session
        self.connection = connection
        self._saved = saved
        self._close_session = close_session
        self._keyword = statements.first_keyword(sql)
        self._released = False

    @classmethod
    async def take(
        cls,
        state: ServerState,
        user: User,
        params: qs.HttpParams,
        readonly: int,
        sql: str,
        query_id: str,
        external: list[external_data.ExternalTable],
    ) -> _Lease:
        """A connection in the request's state, labelled with its query id (query_log.py)."""
        connection_setup.refuse_role_switch(sql)
        if params.session_id is None:
            connection = await run(state, state.engine.connect, user.name)
            try:
                # readonly last: the query id must be set first (readonly=1 forbids changing
                # any setting), and ClickHouse checks URL settings against the level before.
                await run(state, connection_setup.prepare_fresh, connection, params, 0)
                await run(state, external_data.create, connection, external)
                await run(state, query_log.tag, connection, query_id, user.name)
                if readonly:
                    await run(state, query_log.set_readonly, connection, readonly)
            except BaseException:
                await run(state, state.engine.release, connection)
                raise
            return cls(state, None, connection, None, False, sql, user, [])
        session = await state.sessions.acquire(
            user, params.session_id, params.session_timeout_s, params.session_check
        )
        assert session.connection is not None
        try:
            saved = await run(
                state,
                connection_setup.prepare_session,
                session.connection,
                params,
                readonly,
                sql,
                user,
            )
        except BaseException:
            await state.sessions.release(session)
            raise
        lease = cls(
            state, session, session.connection, saved, params.close_session, sql, user, external
        )
        try:
            await run(state, external_data.create, session.connection, external)
            if not user.readonly:  # a read-only user's session is readonly=1 for good
                await run(state, query_log.tag, session.connection, query_id, user.name)
        except BaseException:
            await lease.release()
            raise
        return lease

    async def release(self) -> None:
        if self._released:
            return
        self._released = True
        if self.session is None:
            await run(self.state, self.state.engine.release, self.connection)
            return
        try:
            if not self._user.readonly:
                await run(self.state, query_log.untag, self.connection)
            await run(self.state, external_data.drop, self.connection, self._external)
            if self._saved is not None:
                await run(
                    self.state,
                    connection_setup.restore_session,
                    self.connection,
                    self._saved,
                    self._keyword,
                )
        finally:
            await self.state.sessions.release(self.session, close=self._close_session)


async def run(state: ServerState, fn: Callable[..., Any], *args: Any) -> Any:
    """Run blocking engine work on a worker thread (chDB releases the GIL)."""
    return await anyio.to_thread.run_sync(fn, *args, limiter=state.limiter)


async def _insert(
    lease: _Lease, split: statements.InsertWithData, first: bytes, body: _Body
) -> Stats:
    state = lease.state
    inserter = await run(state, lease.connection.insert, split.statement, split.data_format)
    try:
        pending = bytearray(first)
        while (chunk := await body.next()) is not None:
            pending += chunk
            if len(pending) >= INSERT_CHUNK_BYTES:
                await run(state, inserter.append, bytes(pending))
                pending.clear()
        if pending:
            await run(state, inserter.append, bytes(pending))
        stats = await run(state, inserter.finish)
    except BaseException:
        await run(state, inserter.cancel)
        raise
    await lease.release()
    return stats


def _add(total: Stats, part: Stats) -> Stats:
    return Stats(*(a + b for a, b in zip(vars(total).values(), vars(part).values(), strict=True)))


def _start(
    connection: Connection, sql: str | bytes, fmt: str, params: dict[str, str], budget: int
) -> tuple[list[bytes], Stats, Any, bool]:
    """Run or start the statement; read up to `budget` bytes of output.

    Returns the chunks read, their stats, the still-open stream (None when done), and whether
    the statement produces a result (a read, or any output): ClickHouse names the format of
    a result only, and clients tell commands from queries by it.
    """
    query_class = connection.query_class(sql)  # type: ignore[arg-type]  # chDB takes bytes too
    if not formats.is_streamable(fmt) or query_class != "READ_ONLY":
        output, stats = connection.execute(sql, fmt, params)  # type: ignore[arg-type]
        return [output], stats, None, query_class == "READ_ONLY" or bool(output)
    try:
        stream = connection.stream(sql, fmt, params)  # type: ignore[arg-type]
    except errors.ClickHouseError as exc:
        unsupported = "Streaming query is not supported" in exc.message
        if exc.code != errors.BAD_ARGUMENTS or not unsupported:
            raise
        output, stats = connection.execute(sql, fmt, params)  # type: ignore[arg-type]
        return [output], stats, None, True
    chunks: list[bytes] = []
    total, size = Stats(), 0
    try:
        for chunk, stats in stream:
            chunks.append(chunk)
            total = _add(total, stats)
            size += len(chunk)
            if size >= budget:
                return chunks, total, stream, True
    except BaseException:
        stream.close()
        raise
    return chunks, total, None, True


async def _select_or_command(
    request: Request,
    lease: _Lease,
    params: qs.HttpParams,
    sql: str,
    engine_sql: str | bytes,
    query_id: str,
    started: int,
) -> Response:
    state = lease.state
    fmt = statements.output_format(sql) or params.default_format or formats.DEFAULT_FORMAT
    check_output_format(fmt)
    budget = WAIT_END_BUFFER_BYTES if params.wait_end_of_query else STREAM_AFTER_BYTES
    buffer_size = params.settings.get("http_response_buffer_size", "")
    if not params.wait_end_of_query and buffer_size.isdigit():
        budget = max(budget, min(int(buffer_size), WAIT_END_BUFFER_BYTES))
    # A session's time zone may have been SET by an earlier query (X-ClickHouse-Timezone).
    timezone = None
    if lease.session is not None:
        timezone = await run(state, _timezone, lease.connection)
    chunks, stats, stream, has_result = await run(
        state, _start, lease.connection, engine_sql, fmt, params.query_params, budget
    )
    result_format = fmt if has_result else None
    encoder = None
    # chDB's default for enable_http_compression is 1 (system.settings says so, and clients
    # trust it), so Accept-Encoding alone turns compression on unless the URL sets it to 0.
    compress = params.settings.get(
        "enable_http_compression", state.engine.catalog.defaults.get("enable_http_compression", "0")
    )
    if compress.lower() in ("1", "true"):
        level = int(params.settings.get("http_zlib_compression_level", "3") or 3)
        encoder = compression.encoder(request.headers.get("accept-encoding"), level)
    if stream is None:
        await lease.release()
        payload = b"".join(chunks)
        return _response(
            state, params, query_id, started, payload, stats, result_format, encoder, timezone
        )
    tag = _exception_tag()
    headers = _headers(state, params, query_id, started, stats, result_format, timezone)
    headers["X-ClickHouse-Exception-Tag"] = tag
    if encoder is not None:
        headers["Content-Encoding"] = encoder.name
    return StreamingResponse(
        _stream_body(lease, chunks, stream, encoder, tag),
        headers=headers,
        media_type=None,
    )


def _timezone(connection: Connection) -> str:
    ((timezone,),) = connection.rows(query_log.internal("SELECT timezone()"))
    return str(timezone)


def _exception_tag() -> str:
    """16 random letters and digits, like ClickHouse's getRandomASCIIString."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(EXCEPTION_TAG_LENGTH))


async def _stream_body(
    lease: _Lease, chunks: list[bytes], stream: Any, encoder: compression.Encoder | None, tag: str
) -> AsyncIterator[bytes]:
    state = lease.state

    def out(data: bytes) -> bytes:
        return encoder.encode(data) if encoder is not None else data

    def next_chunk() -> bytes | None:
        item = next(stream, None)
        return None if item is None else item[0]

    try:
        for chunk in chunks:
            yield out(chunk)
        chunks.clear()
        while True:
            try:
                chunk = await run(state, next_chunk)
            except errors.ClickHouseError as exc:
                # Headers are gone: ClickHouse's in-band exception block, then a broken body.
                message = exc.render(state.engine.version).encode()
                yield out(exception_block(message, tag))
                if encoder is not None:
                    yield encoder.finish()
                raise StreamAborted(exc.code) from None
            if chunk is None:
                break
            yield out(chunk)
        if encoder is not None:
            yield encoder.finish()
    finally:
        await run(state, stream.close)
        await lease.release()


class StreamAborted(Exception):
    """A query failed after its response began; the connection must end without the final
    chunk, so that no client mistakes the truncated body for a complete one."""


def exception_block(message: bytes, tag: str) -> bytes:
    r"""ClickHouse's in-band exception block (WriteBufferFromHTTP1ServerResponse::
    cancelWithException): `\r\n__exception__\r\n<tag>\r\n<message>\n<length> <tag>\r\n
    __exception__\r\n`, the message cut to fit 16 KiB and ending with a newline, `length`
    counting it with that newline."""
    overhead = 2 + len(EXCEPTION_MARKER) + 2 + len(tag) + 2 + 8 + 1 + len(tag) + 2
    overhead += len(EXCEPTION_MARKER) + 2
    message = message[: MAX_EXCEPTION_BYTES - overhead]
    if not message.endswith(b"\n"):
        message += b"\n"
    marker, tag_bytes = EXCEPTION_MARKER, tag.encode()
    return (
        b"\r\n"
        + marker
        + b"\r\n"
        + tag_bytes
        + b"\r\n"
        + message
        + str(len(message)).encode()
        + b" "
        + tag_bytes
        + b"\r\n"
        + marker
        + b"\r\n"
    )


def _headers(
    state: ServerState,
    params: qs.HttpParams,
    query_id: str,
    started: int,
    stats: Stats,
    fmt: str | None,
    timezone: str | None = None,
) -> dict[str, str]:
    """ClickHouse's answer headers; `fmt` None for a statement without a result (DDL, SET,
    INSERT), which gets no X-ClickHouse-Format, as from ClickHouse."""
    summary = {
        "read_rows": stats.read_rows,
        "read_bytes": stats.read_bytes,
        "written_rows": stats.written_rows,
        "written_bytes": stats.written_bytes,
        "total_rows_to_read": stats.read_rows,
        "result_rows": stats.result_rows,
        "result_bytes": stats.result_bytes,
        "elapsed_ns": time.perf_counter_ns() - started,
        "memory_usage": 0,
    }
    headers = {
        "Content-Type": formats.content_type(fmt) if fmt else formats.NO_RESULT_CONTENT_TYPE,
        "X-ClickHouse-Server-Display-Name": state.display_name,
        "X-ClickHouse-Query-Id": query_id,
        "X-ClickHouse-Timezone": timezone
        or params.settings.get("session_timezone")
        or state.engine.timezone,
        "X-ClickHouse-Summary": json.dumps(
            {key: str(value) for key, value in summary.items()}, separators=(",", ":")
        ),
    }
    if fmt:
        headers["X-ClickHouse-Format"] = fmt
    return headers


def _response(
    state: ServerState,
    params: qs.HttpParams,
    query_id: str,
    started: int,
    payload: bytes,
    stats: Stats,
    fmt: str | None,
    encoder: compression.Encoder | None,
    timezone: str | None = None,
) -> Response:
    headers = _headers(state, params, query_id, started, stats, fmt, timezone)
    if encoder is not None and payload:
        payload = encoder.encode(payload) + encoder.finish()
        headers["Content-Encoding"] = encoder.name
    return Response(payload, headers=headers, media_type=None)
