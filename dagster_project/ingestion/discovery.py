"""Finds raw objects not yet in the load manifest by re-listing recent hour prefixes.

A `LastModified` or start-after cursor misses objects whose PUT finished out of key order
(dagster issues 22892, 25890); re-listing the last few hours and diffing by key does not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dagster_project.ingestion import manifest
from dagster_project.resources.object_store import ObjectStoreResource
from ollive_contract.events import LOG_TYPES
from ollive_contract.object_keys import SUFFIX, recent_hour_prefixes


def unloaded_objects(
    store: ObjectStoreResource, client: Any, now: datetime, hours: int
) -> dict[str, list[tuple[str, int]]]:
    """(key, size) of objects in the last `hours` arrival hours absent from the manifest."""
    s3 = store.client()
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
