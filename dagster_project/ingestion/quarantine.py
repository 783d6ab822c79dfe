"""Objects that cannot be loaded: recorded with their reason so they never block the others.

The quarantine table also holds what the stuck check found: an object never loaded and older
than the loader's lookback gets a row whose reason starts with `STUCK_REASON` (no manifest row),
so the warehouse (the Privacy dashboard's pipeline tiles, SQL Lab) sees it as well as Dagster.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dagster_project.ingestion.manifest import MANIFEST, QUARANTINED, ManifestRow, record
from ollive_contract.tables import QUARANTINE_TABLE, STAGING_DATABASE

QUARANTINE = f"{STAGING_DATABASE}.{QUARANTINE_TABLE}"

# ClickHouse error codes that mean "this object's bytes are bad", not "the system is unwell".
# Anything else (network, S3 5xx, timeouts, memory) is raised so the retry policy handles it.
DATA_ERROR_CODES = frozenset(
    {
        6,  # CANNOT_PARSE_TEXT
        26,  # CANNOT_PARSE_QUOTED_STRING
        27,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
        32,  # ATTEMPT_TO_READ_AFTER_EOF
        33,  # CANNOT_READ_ALL_DATA
        38,  # CANNOT_PARSE_DATE
        41,  # CANNOT_PARSE_DATETIME
        53,  # TYPE_MISMATCH
        69,  # ARGUMENT_OUT_OF_BOUND
        70,  # CANNOT_CONVERT_TYPE
        72,  # CANNOT_PARSE_NUMBER
        117,  # INCORRECT_DATA
        131,  # TOO_LARGE_STRING_SIZE
        354,  # ZLIB_INFLATE_FAILED
        376,  # CANNOT_PARSE_UUID
        395,  # FUNCTION_THROW_IF_VALUE_IS_NON_ZERO (our conformance guard)
        467,  # CANNOT_PARSE_BOOL
        561,  # ZSTD_DECODER_FAILED
        636,  # CANNOT_EXTRACT_TABLE_STRUCTURE
    }
)

# The reason of a stuck object's row (the manifest has none for it); the dashboards match on it.
STUCK_REASON = "stuck: never loaded"
# The manifest status of a quarantined object an operator moved out of `raw/`: never loaded.
DISMISSED = "dismissed"

_CODE_RE = re.compile(r"Code: (\d+)\.")


def error_code(exc: BaseException) -> int | None:
    """The ClickHouse error code of a clickhouse-connect exception, if it carries one."""
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    match = _CODE_RE.search(str(exc))
    return int(match[1]) if match else None


def is_data_error(exc: BaseException) -> bool:
    return error_code(exc) in DATA_ERROR_CODES


def reason_of(exc: BaseException, limit: int = 2000) -> str:
    """The server's message without the client's wrapper text, bounded."""
    text = str(exc)
    start = text.find("Code: ")
    return (text[start:] if start >= 0 else text)[:limit]


def quarantine(client: Any, object_key: str, log_type: str, reason: str, raw_sample: bytes) -> None:
    client.insert(
        QUARANTINE,
        [[object_key, log_type, reason, raw_sample.decode("utf-8", "replace")]],
        column_names=["object_key", "log_type", "reason", "raw_sample"],
    )


def record_stuck(client: Any, log_type: str, stuck: Sequence[str], lookback_hours: int) -> None:
    """A row per stuck object, each time the stuck check finds it: the first is when it was seen
    stuck, the latest says it still is (an object loaded or moved away stops being recorded)."""
    reason = (
        f"{STUCK_REASON}, older than the loader's {lookback_hours} h lookback: "
        "run `redrive_raw_objects_job` with `stuck: true`"
    )
    if stuck:
        client.insert(
            QUARANTINE,
            [[key, log_type, reason, ""] for key in stuck],
            column_names=["object_key", "log_type", "reason", "raw_sample"],
        )


def record_dismissed(client: Any, log_type: str, gone: Sequence[str]) -> None:
    """Quarantined objects no longer in the store become `dismissed` in the manifest: no longer
    quarantined for the check, the re-drive or the warehouse's view, and never asked for again."""
    record(client, [ManifestRow(key, log_type, DISMISSED, 0, 0, "") for key in gone])


def quarantined_objects(client: Any, log_type: str, limit: int = 1000) -> list[tuple[str, str]]:
    """(key, latest reason) of `log_type` objects whose latest manifest status is quarantined,
    newest first: what the quarantine check raises and the re-drive job takes by default."""
    result = client.query(
        f"SELECT m.object_key, q.reason FROM {MANIFEST} AS m FINAL"
        f" LEFT JOIN (SELECT object_key, argMax(reason, quarantined_at) AS reason"
        f"  FROM {QUARANTINE} WHERE log_type = {{lt:String}} GROUP BY object_key) AS q"
        f" ON q.object_key = m.object_key"
        f" WHERE m.log_type = {{lt:String}} AND m.status = {{status:String}}"
        f" ORDER BY m.loaded_at DESC LIMIT {{limit:UInt32}}",
        parameters={"lt": log_type, "status": QUARANTINED, "limit": limit},
    )
    return [(key, reason or "") for key, reason in result.result_rows]
