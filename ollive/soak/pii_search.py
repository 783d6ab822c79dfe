"""Searches the raw archive, staging and the facts for the personal data the traffic planted."""

from __future__ import annotations

import gzip
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ollive_contract.tables import MARTS_DATABASE, STAGING_DATABASE, STAGING_TABLES

NEEDLES_PER_QUERY = 250  # multiSearchAny takes at most 255 needles


def _pattern(needles: set[str]) -> re.Pattern[bytes]:
    ordered = sorted(needles, key=len, reverse=True)
    return re.compile(b"|".join(re.escape(n.encode()) for n in ordered))


def in_archive(s3: Any, bucket: str, keys: list[str], needles: set[str]) -> dict[str, int]:
    """Planted values found in the raw objects `keys`, with how many objects hold each."""
    if not needles:
        return {}
    pattern = _pattern(needles)

    def search(key: str) -> set[str]:
        body = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return {m.decode() for m in pattern.findall(body)}

    found: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=8) as pool:
        for hits in pool.map(search, keys):
            for value in hits:
                found[value] = found.get(value, 0) + 1
    return found


def in_tables(ch: Any, tables: list[str], service: str, needles: set[str]) -> dict[str, int]:
    """Rows of `service` in each of `tables` holding any planted value in any column."""
    ordered = sorted(needles)
    chunks = [ordered[i : i + NEEDLES_PER_QUERY] for i in range(0, len(ordered), NEEDLES_PER_QUERY)]
    if not chunks:
        return {}
    any_needle = " OR ".join(
        f"multiSearchAny(formatRow('TSV', *), {{n{i}:Array(String)}})" for i in range(len(chunks))
    )
    params: dict[str, Any] = {f"n{i}": chunk for i, chunk in enumerate(chunks)}
    found: dict[str, int] = {}
    for table in tables:
        rows = ch.query(
            f"SELECT count() FROM {table} WHERE service = {{service:String}} AND ({any_needle})",
            parameters={**params, "service": service},
        ).result_rows[0][0]
        if rows:
            found[table] = int(rows)
    return found


def staging_tables() -> list[str]:
    return [f"{STAGING_DATABASE}.{name}" for name in STAGING_TABLES.values()]


def fact_tables(facts: list[str]) -> list[str]:
    return [f"{MARTS_DATABASE}.{name}" for name in facts]
