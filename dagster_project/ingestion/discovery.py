"""Finds raw objects not yet in the load manifest by re-listing recent hour prefixes.

A `LastModified` or start-after cursor misses objects whose PUT finished out of key order
(dagster issues 22892, 25890); re-listing the last few hours and diffing by key does not.
`recent_keys` is the cheap look between two such listings: it only says when to list again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dagster_project.ingestion import manifest
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.object_keys import SUFFIX, hour_prefix, recent_hour_prefixes

# How far back `recent_keys` looks: objects are named at their first event's arrival and stored
# within the API's commit window (50 ms) and a PUT, far less than this.
RECENT_SECONDS = 60


def unloaded_objects(
    store: ObjectStoreResource, client: Any, now: datetime, hours: int, s3: Any = None
) -> dict[str, list[tuple[str, int]]]:
    """(key, size) of objects in the last `hours` arrival hours absent from the manifest."""
    s3 = s3 or store.client()
    prefixes = {lt: recent_hour_prefixes(lt, now, hours) for lt in LOG_TYPES}
    every_prefix = [p for ps in prefixes.values() for p in ps]
    known = manifest.keys_under(client, every_prefix)
    return {
        lt: sorted(
            (key, size)
            for prefix in ps
            for key, size in store.list_keys(prefix, s3)
            if key.endswith(SUFFIX) and key not in known
        )
        for lt, ps in prefixes.items()
    }


def recent_keys(
    store: ObjectStoreResource, s3: Any, now: datetime, seconds: int = RECENT_SECONDS
) -> dict[str, set[str]]:
    """Keys of the objects named in the last `seconds` (a key starts with its arrival in ms), by
    log type: one short listing per log type, from that moment on, however many objects the
    hour holds. An object that took longer to be stored is left to the next full listing."""
    since = now - timedelta(seconds=seconds)
    start = f"{int(since.timestamp() * 1000):013d}"
    paginator = s3.get_paginator("list_objects_v2")
    found: dict[str, set[str]] = {lt: set() for lt in LOG_TYPES}
    for lt in LOG_TYPES:
        for prefix in dict.fromkeys(hour_prefix(lt, at) for at in (since, now)):
            after = prefix + start
            pages = paginator.paginate(Bucket=store.bucket, Prefix=prefix, StartAfter=after)
            found[lt].update(obj["Key"] for page in pages for obj in page.get("Contents") or ())
    return found
