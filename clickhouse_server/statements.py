"""Just enough SQL lexing to route a request: the statement kind, its FORMAT, and where an
INSERT's inline data begins.

The engine parses the SQL; this module only has to find the boundary between an INSERT
statement and the data that follows it in the same HTTP body (as ClickHouse's own server does),
so the data can be streamed into the engine instead of being parsed as SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from clickhouse_server import errors

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


class Incomplete(Exception):
    """The buffer ends inside the statement head; read more of the body first."""


@dataclass(frozen=True)
class Token:
    """A word or punctuation mark at paren depth `depth`, spanning `start:end` of the buffer."""

    text: bytes
    start: int
    end: int
    depth: int

    @property
    def upper(self) -> str:
        return self.text.decode("ascii", "replace").upper()


def tokens(buf: bytes, final: bool) -> Iterator[Token]:
    """Words and punctuation outside strings, quoted identifiers, heredocs and comments, as
    ClickHouse's `Lexer` splits them: `--`, `//` and `# ` / `#!` comments to the end of the
    line, nested `/* */` comments, `$tag$ … $tag$` heredoc strings (any text between the two
    dollars is the tag, none included), `$` inside and at the start of bare words.

    With `final=False` a string, comment, heredoc or word cut off by the end of `buf` raises
    `Incomplete`, since more body bytes may complete it.
    """
    i, n, depth = 0, len(buf), 0
    while i < n:
        c = buf[i : i + 1]
        if c in (b" ", b"\t", b"\n", b"\r", b"\f", b"\v"):
            i += 1
        elif (
            buf.startswith(b"--", i)
            or buf.startswith(b"//", i)
            or buf.startswith(b"# ", i)
            or buf.startswith(b"#!", i)
        ):
            end = buf.find(b"\n", i)
            if end < 0:
                if not final:
                    raise Incomplete
                return
            i = end + 1
        elif buf.startswith(b"/*", i):
            end = _comment_end(buf, i + 2)
            if end < 0:
                if not final:
                    raise Incomplete
                return
            i = end
        elif c in (b"'", b'"', b"`"):
            j = i + 1
            while True:
                if j >= n:
                    if not final:
                        raise Incomplete
                    return
                if buf[j : j + 1] == b"\\":
                    j += 2
                elif buf[j : j + 1] == c:
                    if buf[j + 1 : j + 2] == c:
                        j += 2
                    else:
                        break
                else:
                    j += 1
            yield Token(buf[i : j + 1], i, j + 1, depth)
            i = j + 1
        elif c == b"$" and (heredoc_end := _heredoc_end(buf, i)) > 0:
            yield Token(buf[i:heredoc_end], i, heredoc_end, depth)
            i = heredoc_end
        elif c == b"$" and not final:
            raise Incomplete  # the rest of the body may close the heredoc
        elif c.isalpha() or c == b"_" or (c == b"$" and _WORD_CHAR.match(buf, i + 1)):
            match = _BARE_WORD.match(buf, i)
            assert match is not None
            if match.end() == n and not final:
                raise Incomplete
            yield Token(match.group(), i, match.end(), depth)
            i = match.end()
        else:
            if c in (b"(", b"["):
                depth += 1
            elif c in (b")", b"]"):
                depth = max(0, depth - 1)
            yield Token(c, i, i + 1, depth)
            i += 1


# A bare word as ClickHouse's lexer reads it: word characters and dollars.
_BARE_WORD = re.compile(rb"[A-Za-z0-9_$]+")
_WORD_CHAR = re.compile(rb"[A-Za-z0-9_]")


def _comment_end(buf: bytes, pos: int) -> int:
    """Where a `/*` comment whose body starts at `pos` ends (comments nest), or -1."""
    level = 1
    while level:
        close = buf.find(b"*/", pos)
        if close < 0:
            return -1
        opened = buf.find(b"/*", pos, close + 1)  # `/*/` opens before it closes
        if opened >= 0:
            level, pos = level + 1, opened + 2
        else:
            level, pos = level - 1, close + 2
    return pos


def _heredoc_end(buf: bytes, start: int) -> int:
    """The end of a `$tag$ … $tag$` heredoc starting at `start`, or -1 when there is none in
    `buf` (then, at the end of the body, the `$` is a dollar sign or starts a bare word, as in
    ClickHouse)."""
    tag_end = buf.find(b"$", start + 1)
    if tag_end < 0:
        return -1
    tag = buf[start : tag_end + 1]
    close = buf.find(tag, tag_end + 1)
    return -1 if close < 0 else close + len(tag)


# ClickHouse shows this much of the query from the offending token in a syntax error.
_SHOW_CHARS_ON_SYNTAX_ERROR = 160


def refuse_multi_statements(query: bytes) -> None:
    """One statement per request, as ClickHouse's parser (allow_multi_statements=false):
    after a `;` only blanks, comments and more `;` may follow. The engine itself would run
    every statement, so the server refuses them with ClickHouse's SYNTAX_ERROR text."""
    toks = tokens(query, final=True)
    for tok in toks:
        if tok.text == b";":
            break
    else:
        return
    extra = next((tok for tok in toks if tok.text != b";"), None)
    if extra is None:
        return
    message = (
        f"Syntax error (Multi-statements are not allowed): failed at position {extra.start + 1}"
        f" ({extra.text.decode('utf-8', 'replace')})"
    )
    newline = query.find(b"\n")
    if newline >= 0 and newline + 1 < len(query):
        line = query.count(b"\n", 0, extra.start) + 1
        column = extra.start - (query.rfind(b"\n", 0, extra.start) + 1) + 1
        message += f" (line {line}, col {column})"
    shown = query[extra.start : extra.start + _SHOW_CHARS_ON_SYNTAX_ERROR]
    message += f": {shown.decode('utf-8', 'replace')}. "
    raise errors.ClickHouseError(errors.SYNTAX_ERROR, message)


def first_keyword(sql: str) -> str:
    """The statement's leading keyword, upper-cased ('' for an empty statement)."""
    for token in tokens(sql.encode(), final=True):
        return token.upper
    return ""


def output_format(sql: str) -> str | None:
    """The top-level `FORMAT name` of a query, if it has one."""
    toks = [t for t in tokens(sql.encode(), final=True) if t.depth == 0]
    for k, tok in enumerate(toks[:-1]):
        name = toks[k + 1]
        if tok.upper != "FORMAT" or not _WORD.fullmatch(name.text):
            continue
        after = toks[k + 2] if k + 2 < len(toks) else None
        if after is None or after.text == b";" or after.upper == "SETTINGS":
            return name.text.decode()
    return None


@dataclass(frozen=True)
class InsertWithData:
    """An INSERT whose data follows in the body: `statement` goes to the engine, the bytes
    from `data_offset` on are data in `data_format`."""

    statement: str
    data_format: str
    data_offset: int


def split_insert(buf: bytes, final: bool) -> InsertWithData | None:
    """Find where an `INSERT … FORMAT X` / `INSERT … VALUES` head ends and its data begins.

    Returns None when the statement is not an INSERT carrying inline data (INSERT … SELECT,
    any other statement). Raises `Incomplete` when `buf` is too short to decide.
    """
    toks = tokens(buf, final)
    first = next(toks, None)
    if first is None:
        if not final:
            raise Incomplete
        return None
    if first.upper != "INSERT":
        return None
    previous: Token | None = None
    for tok in toks:
        if tok.depth == 0 and tok.upper in ("SELECT", "WITH"):
            return None
        if tok.depth == 0 and tok.upper == "VALUES":
            return InsertWithData(buf[: tok.start].decode(), "Values", tok.end)
        if previous is not None and previous.upper == "FORMAT" and previous.depth == 0:
            if not _WORD.fullmatch(tok.text):
                return None
            data_offset = _data_start(buf, tok.end)
            if not final and data_offset + 2 > len(buf):
                raise Incomplete
            return InsertWithData(buf[: previous.start].decode(), tok.text.decode(), data_offset)
        previous = tok
    if not final:
        raise Incomplete
    return None


def _data_start(buf: bytes, pos: int) -> int:
    """ClickHouse's rule: skip blanks, then one optional CR and one optional LF."""
    while pos < len(buf) and buf[pos : pos + 1] in (b" ", b"\t", b"\f"):
        pos += 1
    if buf[pos : pos + 1] == b"\r":
        pos += 1
    if buf[pos : pos + 1] == b"\n":
        pos += 1
    return pos
