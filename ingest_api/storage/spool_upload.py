"""Background re-upload of the spool, oldest object first, once the store answers again.

An object whose key names an hour other than the current one is re-keyed (header rewritten and
fsynced) before its PUT: keys are partitioned by arrival in the store, and the loader only
re-lists recent hours. The rewrite happens before the PUT, so a crash between PUT and delete
repeats the same key, which overwrites the same object: no duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from ingest_api.metrics import IngestMetrics
from ingest_api.storage.group_commit import GroupCommitter
from ingest_api.storage.object_store import StoreError
from ingest_api.storage.spool import Spool, SpooledObject
from ollive_contract.object_keys import ObjectKey, hour_prefix

log = logging.getLogger(__name__)


def upload_pending(spool: Spool, committer: GroupCommitter) -> tuple[int, bool]:
    """Upload spooled objects in order; stop at the first failure. Returns (uploaded, all_done)."""
    uploaded = 0
    for path in spool.pending():
        obj = spool.read(path)
        now = datetime.now(UTC)
        key = ObjectKey.parse(obj.key)
        if hour_prefix(key.log_type, key.received_at) != hour_prefix(key.log_type, now):
            obj = SpooledObject(str(ObjectKey.new(key.log_type, now)), obj.metadata, obj.body)
            spool.rewrite(path, obj)
        try:
            committer.store.put(obj.key, obj.body, obj.metadata)
        except StoreError as exc:
            log.warning("spool re-upload paused: store unavailable (%s)", type(exc).__name__)
            return uploaded, False
        spool.remove(path)
        uploaded += 1
    return uploaded, True


async def upload_forever(
    spool: Spool, committer: GroupCommitter, metrics: IngestMetrics, retry_seconds: float
) -> None:
    """Poll the spool; drain it whenever the store is reachable."""
    while True:
        await drain_once(spool, committer, metrics)
        await asyncio.sleep(retry_seconds)


async def drain_once(spool: Spool, committer: GroupCommitter, metrics: IngestMetrics) -> bool:
    """One pass over the spool; True when it is empty afterwards."""
    done = True
    if spool.pending():
        uploaded, done = await committer.store.run(upload_pending, spool, committer)
        if uploaded:
            log.info("re-uploaded %d spooled objects", uploaded)
        if done:
            committer.mark_store_up()
    metrics.spool_depth.set(spool.depth())
    metrics.spool_bytes.set(spool.bytes)
    return done
