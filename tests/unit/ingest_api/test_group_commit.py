"""Group commit and spool with an in-memory store that can fail on demand."""

from __future__ import annotations

import asyncio
import gzip
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest_api.metrics import IngestMetrics
from ingest_api.storage.group_commit import GroupCommitter
from ingest_api.storage.spool import Spool, SpooledObject, SpoolFull
from ingest_api.storage.spool_upload import drain_once
from ollive_contract.object_keys import META_EVENT_COUNT, ObjectKey


class MemoryStore:
    """Stands in for ObjectStore: same put/run, objects in a dict, `down` makes PUTs fail."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.down = False
        self.executor = ThreadPoolExecutor(4)

    def put(self, key: str, body: bytes, metadata: dict[str, str]) -> None:
        if self.down:
            raise OSError("store down")
        self.objects[key] = (body, metadata)

    async def run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def lines(self) -> list[bytes]:
        return [
            ln for body, _ in self.objects.values() for ln in gzip.decompress(body).splitlines()
        ]


def _committer(store: MemoryStore, spool: Spool, **kw) -> GroupCommitter:
    args = dict(
        max_events=1000,
        max_bytes=2**20,
        max_ms=20,
        concurrency=2,
        gzip_level=1,
        store_backoff_seconds=60,
    )
    return GroupCommitter(store, spool, IngestMetrics(), **{**args, **kw})


def test_concurrent_requests_share_one_object_per_log_type(tmp_path: Path) -> None:
    store = MemoryStore()
    now = datetime.now(UTC)

    async def main() -> None:
        gc = _committer(store, Spool(tmp_path, 2**20))
        await asyncio.gather(
            *(
                gc.submit({"inference": (1, b"i%d\n" % n), "application": (1, b"a%d\n" % n)}, now)
                for n in range(50)
            )
        )

    asyncio.run(main())
    assert len(store.objects) == 2
    for key, (_, meta) in store.objects.items():
        assert ObjectKey.parse(key).log_type in ("inference", "application")
        assert meta[META_EVENT_COUNT] == "50"
    assert len(store.lines()) == 100


def test_store_down_spools_then_drains_in_order(tmp_path: Path) -> None:
    store = MemoryStore()
    store.down = True
    spool = Spool(tmp_path, 2**20)
    metrics = IngestMetrics()

    async def main() -> None:
        gc = _committer(store, spool, max_events=1)
        for n in range(5):
            await gc.submit({"inference": (1, b"e%d\n" % n)}, datetime.now(UTC))
        assert spool.depth() == 5 and not store.objects
        assert not await drain_once(spool, gc, metrics)
        store.down = False
        assert await drain_once(spool, gc, metrics)

    asyncio.run(main())
    assert spool.depth() == 0 and spool.bytes == 0
    assert sorted(store.lines()) == [b"e%d" % n for n in range(5)]


def test_full_spool_refuses(tmp_path: Path) -> None:
    store = MemoryStore()
    store.down = True

    async def main() -> None:
        gc = _committer(store, Spool(tmp_path, 10), max_events=1)
        with pytest.raises(SpoolFull):
            await gc.submit({"inference": (1, b"x" * 100 + b"\n")}, datetime.now(UTC))

    asyncio.run(main())


def test_spool_survives_restart_and_drops_partial_writes(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 2**20)
    spool.write([SpooledObject("k1", {"a": "1"}, b"body1"), SpooledObject("k2", {}, b"body2")])
    (tmp_path / "999.spool.tmp").write_bytes(b"half")
    again = Spool(tmp_path, 2**20)
    assert [again.read(p).key for p in again.pending()] == ["k1", "k2"]
    assert again.read(again.pending()[0]) == SpooledObject("k1", {"a": "1"}, b"body1")
    assert not list(tmp_path.glob("*.tmp"))
    assert again.bytes == spool.bytes


def test_flush_commits_a_pending_batch(tmp_path: Path) -> None:
    store = MemoryStore()

    async def main() -> None:
        gc = _committer(store, Spool(tmp_path, 2**20), max_ms=60_000)
        waiter = asyncio.create_task(gc.submit({"inference": (1, b"x\n")}, datetime.now(UTC)))
        await asyncio.sleep(0.05)
        assert not store.objects
        await gc.flush()
        await waiter

    asyncio.run(main())
    assert store.lines() == [b"x"]
