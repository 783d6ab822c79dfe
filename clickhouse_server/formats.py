"""Output formats: the default, and the Content-Type ClickHouse sends for each."""

from __future__ import annotations

DEFAULT_FORMAT = "TabSeparated"

_TEXT = "text/plain; charset=UTF-8"
# ClickHouse's HTTP handler's default, kept for statements that produce no result.
NO_RESULT_CONTENT_TYPE = _TEXT
_BINARY = "application/octet-stream"


def content_type(fmt: str) -> str:
    """Content-Type for an output format, after ClickHouse's IOutputFormat::getContentType."""
    name = fmt.lower()
    if name.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if name.startswith("csv"):
        return "text/csv; charset=UTF-8; header=" + ("present" if "names" in name else "absent")
    if name.startswith("json") or name in ("jsoneachrow", "ndjson", "jsonlines"):
        if "eachrow" in name or name in ("ndjson", "jsonlines", "jsonobjecteachrow"):
            return "application/x-ndjson; charset=UTF-8"
        return "application/json; charset=UTF-8"
    if name in ("xml",):
        return "application/xml; charset=UTF-8"
    if name.startswith(("pretty", "vertical", "markdown", "values", "raw", "template")):
        return _TEXT
    return _BINARY


# chDB's streaming API formats every chunk as a complete output of its own (header, rows,
# footer), so only formats whose outputs concatenate into one valid output can be streamed;
# the rest (JSON, Parquet, Arrow, Pretty, *WithNames…) are produced in one piece.
_STREAMABLE = frozenset(
    {
        "native",
        "rowbinary",
        "tabseparated",
        "tsv",
        "tabseparatedraw",
        "tsvraw",
        "csv",
        "jsoneachrow",
        "jsonlines",
        "ndjson",
        "jsoncompacteachrow",
        "jsonstringseachrow",
        "jsoncompactstringseachrow",
        "values",
        "lineasstring",
    }
)


def is_streamable(fmt: str) -> bool:
    return fmt.lower() in _STREAMABLE
